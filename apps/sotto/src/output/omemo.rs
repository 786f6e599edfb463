// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! OMEMO devices as `sotto fingerprints`, `trust` and `verify` print them.
//! JIDs and the core's problem texts (which may quote a server) are
//! sanitized; fingerprints and URIs are built by the core from key bytes.

use std::fmt::Write as _;

use serde::Serialize;
use sotto_core::api::{OmemoDevice, OmemoTrust};

use super::sanitize;
use crate::wait::OmemoAnswer;

/// The snake_case word serde gives a value (`verified`, `omemo2`, …).
fn word<T: Serialize>(value: &T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// `verified`, `blind`, `undecided` or `distrusted`.
pub fn trust_word(trust: OmemoTrust) -> String {
    word(&trust)
}

/// A fingerprint reduced to its 64 hex digits, for comparing.
pub fn hex_digits(fingerprint: &str) -> String {
    fingerprint
        .chars()
        .filter(char::is_ascii_hexdigit)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// 64 hex digits as eight groups of eight.
pub fn grouped(hex: &str) -> String {
    let groups: Vec<&str> = (0..hex.len())
        .step_by(8)
        .filter_map(|i| hex.get(i..(i + 8).min(hex.len())))
        .collect();
    groups.join(" ")
}

/// One device: a heading line, then its fingerprint (or why it is unknown).
pub fn device(out: &mut String, d: &OmemoDevice) {
    let namespaces: Vec<String> = d.namespaces.iter().map(|n| sanitize(n)).collect();
    let _ = writeln!(
        out,
        "  device {}  {}  {}  {}",
        d.device_id,
        trust_word(d.trust),
        if d.active { "active" } else { "inactive" },
        if namespaces.is_empty() {
            "-".to_owned()
        } else {
            namespaces.join(", ")
        }
    );
    if !d.fingerprint.is_empty() {
        let _ = writeln!(out, "    {}", sanitize(&d.fingerprint));
    }
    match (&d.problem, d.fingerprint.is_empty()) {
        (Some(problem), _) => {
            let _ = writeln!(out, "    problem: {}", sanitize(problem));
        }
        (None, true) => out.push_str("    (key unknown)\n"),
        (None, false) => {}
    }
}

/// `sotto fingerprints`: this device with its URI, then the devices of the
/// contact (or the account's other devices).
pub fn fingerprints(account: &str, answer: &OmemoAnswer) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "this device: {} device {}",
        sanitize(&answer.own.jid),
        answer.own.device_id
    );
    let _ = writeln!(out, "  fingerprint: {}", sanitize(&answer.own.fingerprint));
    let _ = writeln!(out, "  verification URI: {}", sanitize(&answer.own_uri));
    let jid = sanitize(&answer.jid);
    let own = answer.jid.eq_ignore_ascii_case(account);
    match (answer.devices.is_empty(), own) {
        (true, true) => {
            let _ = writeln!(out, "no other OMEMO devices of {jid}");
        }
        (true, false) => {
            let _ = writeln!(out, "{jid} has no OMEMO devices");
        }
        (false, true) => {
            let _ = writeln!(out, "other devices of {jid}:");
        }
        (false, false) => {
            let _ = writeln!(out, "devices of {jid}:");
        }
    }
    for d in &answer.devices {
        device(&mut out, d);
    }
    out
}

/// The device of `answer` (ours included) whose key has `fingerprint`
/// (any form).
pub fn find<'a>(answer: &'a OmemoAnswer, fingerprint: &str) -> Option<&'a OmemoDevice> {
    let wanted = hex_digits(fingerprint);
    answer
        .devices
        .iter()
        .chain(std::iter::once(&answer.own))
        .find(|d| !d.fingerprint.is_empty() && hex_digits(&d.fingerprint) == wanted)
}

/// `sotto trust` / `distrust` / `verify`: one device's state now.
pub fn device_state(d: &OmemoDevice) -> String {
    let mut out = format!(
        "{} device {} is now {}\n",
        sanitize(&d.jid),
        d.device_id,
        trust_word(d.trust)
    );
    device(&mut out, d);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const FP: &str = "0a1b2c3d 4e5f6071 8293a4b5 c6d7e8f9 0a1b2c3d 4e5f6071 8293a4b5 c6d7e8f9";

    fn dev(jid: &str, id: u32, fingerprint: &str, trust: OmemoTrust) -> OmemoDevice {
        OmemoDevice {
            jid: jid.into(),
            device_id: id,
            fingerprint: fingerprint.into(),
            trust,
            active: true,
            namespaces: vec!["omemo2".into(), "legacy".into()],
            problem: None,
        }
    }

    fn answer(jid: &str, devices: Vec<OmemoDevice>) -> OmemoAnswer {
        OmemoAnswer {
            own: dev("alice@example.org", 1001, FP, OmemoTrust::Verified),
            own_uri: format!("xmpp:alice@example.org?omemo-sid-1001={}", hex_digits(FP)),
            jid: jid.into(),
            devices,
            failures: Vec::new(),
        }
    }

    #[test]
    fn fingerprints_of_a_contact() {
        let mut unknown = dev("bob@example.org", 7, "", OmemoTrust::Undecided);
        unknown.active = false;
        unknown.namespaces = vec!["legacy".into()];
        unknown.problem = Some("bundle not readable\x1b[31m".into());
        let other = "ffffffff ".repeat(8);
        let text = fingerprints(
            "alice@example.org",
            &answer(
                "bob@example.org",
                vec![
                    dev("bob@example.org", 5, other.trim_end(), OmemoTrust::Blind),
                    unknown,
                ],
            ),
        );
        assert_eq!(
            text,
            format!(
                "this device: alice@example.org device 1001\n  fingerprint: {FP}\n  \
                 verification URI: xmpp:alice@example.org?omemo-sid-1001={}\n\
                 devices of bob@example.org:\n  device 5  blind  active  omemo2, legacy\n    \
                 {}\n  device 7  undecided  inactive  legacy\n    \
                 problem: bundle not readable\\u{{1b}}[31m\n",
                hex_digits(FP),
                other.trim_end()
            )
        );
    }

    #[test]
    fn own_devices_and_none() {
        let text = fingerprints("alice@example.org", &answer("alice@example.org", vec![]));
        assert!(
            text.ends_with("no other OMEMO devices of alice@example.org\n"),
            "{text}"
        );
        let text = fingerprints("alice@example.org", &answer("bob@example.org", vec![]));
        assert!(
            text.ends_with("bob@example.org has no OMEMO devices\n"),
            "{text}"
        );
    }

    #[test]
    fn finds_a_device_by_any_form_of_its_fingerprint() {
        let a = answer(
            "bob@example.org",
            vec![
                dev("bob@example.org", 3, "", OmemoTrust::Undecided),
                dev(
                    "bob@example.org",
                    5,
                    &FP.to_uppercase(),
                    OmemoTrust::Distrusted,
                ),
            ],
        );
        let found = find(&a, &hex_digits(FP)).map(|d| d.device_id);
        assert_eq!(found, Some(5));
        assert_eq!(find(&a, &"e".repeat(64)), None);
        assert_eq!(grouped(&hex_digits(FP)), FP);
        let d = dev("bob@example.org", 5, FP, OmemoTrust::Distrusted);
        assert!(device_state(&d).starts_with("bob@example.org device 5 is now distrusted\n"));
    }
}
