// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! The OMEMO commands of the CLI against a real Prosody and ejabberd: `fingerprints`
//! (text and JSON), `trust`, `distrust`, `verify`, and
//! `send --encryption omemo`, including its failure when the contact has
//! no OMEMO device; and `send` on a server without PEP or a minimal one.

#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use sotto_tests::{Prosody, ProsodyOptions, TestDir, TestServer, XmppServer};

const PASSPHRASE: &str = "cli omemo passphrase";

fn run(profile: &Path, args: &[&str], password: &str) -> Output {
    let out = Command::new(env!("CARGO_BIN_EXE_sotto"))
        .arg("--profile")
        .arg(profile)
        .args(args)
        .env("SOTTO_PASSPHRASE", PASSPHRASE)
        .env("ACCOUNT_PASSWORD", password)
        .env_remove("RUST_LOG")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    eprintln!(
        "$ sotto {}\n[exit {:?}]\n{}{}",
        args.join(" "),
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A profile with `user@localhost` added (and pinned to the test server).
fn profile(server: &TestServer, dir: &TestDir, user: &str, password: &str) -> PathBuf {
    server.register(user, password).unwrap();
    let path = dir.join("profile");
    let jid = server.jid(user);
    let port = server.c2s_port().to_string();
    let added = run(
        &path,
        &[
            "account",
            "add",
            &jid,
            "--password-env",
            "ACCOUNT_PASSWORD",
            "--host",
            "127.0.0.1",
            "--port",
            &port,
            "--pin-cert",
            &server.cert_sha256(),
            "--timeout",
            "20",
        ],
        password,
    );
    assert_eq!(added.status.code(), Some(0), "{}", stderr(&added));
    path
}

/// Eight groups of eight lower-case hex digits.
fn is_fingerprint(s: &str) -> bool {
    let groups: Vec<&str> = s.split(' ').collect();
    groups.len() == 8
        && groups
            .iter()
            .all(|g| g.len() == 8 && g.chars().all(|c| matches!(c, '0'..='9' | 'a'..='f')))
}

/// `(device id, fingerprint, URI)` from the text of `sotto fingerprints`.
fn own_device(text: &str, jid: &str) -> (u32, String, String) {
    let mut lines = text.lines();
    let heading = lines.next().unwrap();
    let id = heading
        .strip_prefix(&format!("this device: {jid} device "))
        .unwrap_or_else(|| panic!("unexpected first line: {heading}"));
    let fingerprint = lines
        .next()
        .and_then(|l| l.strip_prefix("  fingerprint: "))
        .unwrap();
    let uri = lines
        .next()
        .and_then(|l| l.strip_prefix("  verification URI: "))
        .unwrap();
    (id.parse().unwrap(), fingerprint.to_owned(), uri.to_owned())
}

sotto_tests::on_servers! { [Prosody, Ejabberd]
    fn fingerprints_trust_distrust_and_verify(server: TestServer) {
        let dirs = (
            TestDir::new("cli-omemo-alice").unwrap(),
            TestDir::new("cli-omemo-bob").unwrap(),
        );
        let alice = profile(&server, &dirs.0, "alice", "alice-omemo-pw");
        let bob = profile(&server, &dirs.1, "bob", "bob-omemo-pw");

        // Alice's own device: id, fingerprint (eight groups of eight hex
        // digits), and the URI Conversations and Dino scan.
        let out = run(&alice, &["fingerprints", "--timeout", "20"], "");
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        let text = stdout(&out);
        let (id, fingerprint, uri) = own_device(&text, "alice@localhost");
        assert!(is_fingerprint(&fingerprint), "{fingerprint}");
        assert_eq!(
            uri,
            format!(
                "xmpp:alice@localhost?omemo-sid-{id}={}",
                fingerprint.replace(' ', "")
            )
        );
        assert!(
            text.contains("no other OMEMO devices of alice@localhost"),
            "{text}"
        );

        // The same in JSON, and stable across runs (the device is stored).
        let out = run(&alice, &["fingerprints", "--json", "--timeout", "20"], "");
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(json["own"]["device_id"], id);
        assert_eq!(json["own"]["fingerprint"], fingerprint.as_str());
        assert_eq!(json["own_uri"], uri.as_str());
        assert_eq!(json["devices"], serde_json::json!([]));

        // Bob sees Alice's device with the same fingerprint (her node is open,
        // they are not contacts); blind trust before verification.
        let out = run(
            &bob,
            &["fingerprints", "alice@localhost", "--timeout", "20"],
            "",
        );
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        let text = stdout(&out);
        assert!(text.contains("devices of alice@localhost:"), "{text}");
        assert!(
            text.contains(&format!("  device {id}  blind  active")),
            "{text}"
        );
        assert!(text.contains(&format!("    {fingerprint}\n")), "{text}");

        // A malformed fingerprint is a usage error, before anything is opened.
        let out = run(&bob, &["trust", "alice@localhost", "0a1b2c3d", "xyz"], "");
        assert_eq!(out.status.code(), Some(2));
        assert!(
            stderr(&out).contains("is not an OMEMO fingerprint"),
            "{}",
            stderr(&out)
        );

        // Trust by the fingerprint as printed (eight separate groups)…
        let mut args = vec!["trust", "alice@localhost"];
        args.extend(fingerprint.split(' '));
        args.extend(["--timeout", "20"]);
        let out = run(&bob, &args, "");
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        assert!(
            stdout(&out).starts_with(&format!("alice@localhost device {id} is now verified\n")),
            "{}",
            stdout(&out)
        );

        // …distrust it (quoted)…
        let out = run(
            &bob,
            &[
                "distrust",
                "alice@localhost",
                &fingerprint,
                "--timeout",
                "20",
            ],
            "",
        );
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        assert!(
            stdout(&out).starts_with(&format!("alice@localhost device {id} is now distrusted\n")),
            "{}",
            stdout(&out)
        );

        // …and verify it again by her URI.
        let out = run(&bob, &["verify", &uri, "--timeout", "20"], "");
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        assert!(
            stdout(&out).starts_with(&format!("alice@localhost device {id} is now verified\n")),
            "{}",
            stdout(&out)
        );

        // A well-formed fingerprint no device of hers has: recorded, but exit 1.
        let other = "ee".repeat(32);
        let out = run(
            &bob,
            &["trust", "alice@localhost", &other, "--timeout", "20"],
            "",
        );
        assert_eq!(out.status.code(), Some(1));
        assert!(
            stderr(&out).contains("no known OMEMO device of alice@localhost"),
            "{}",
            stderr(&out)
        );
    }

    fn send_with_omemo_and_its_failure(server: TestServer) {
        let dirs = (
            TestDir::new("cli-omemo-send-alice").unwrap(),
            TestDir::new("cli-omemo-send-bob").unwrap(),
        );
        let alice = profile(&server, &dirs.0, "alice", "alice-omemo-pw");
        let bob = profile(&server, &dirs.1, "bob", "bob-omemo-pw");
        server.register("carol", "carol-omemo-pw").unwrap();

        // Bob's device is published once he has been online.
        let out = run(&bob, &["fingerprints", "--timeout", "20"], "");
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));

        let out = run(
            &alice,
            &[
                "send",
                "bob@localhost",
                "OmemoCanary hello",
                "--encryption",
                "omemo",
                "--timeout",
                "20",
            ],
            "",
        );
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        let history = run(&alice, &["history", "bob@localhost", "--json"], "");
        let history: serde_json::Value = serde_json::from_slice(&history.stdout).unwrap();
        let last = history.as_array().and_then(|a| a.last()).unwrap();
        assert_eq!(last["body"], "OmemoCanary hello");
        assert_eq!(last["encryption"], "omemo");

        // Carol never used OMEMO: the message is not sent in plaintext, and the
        // command fails with the core's reason.
        let out = run(
            &alice,
            &[
                "send",
                "carol@localhost",
                "OmemoCanary never plain",
                "--encryption",
                "omemo",
                "--timeout",
                "20",
            ],
            "",
        );
        assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
        let err = stderr(&out);
        assert!(
            err.contains("the message to carol@localhost could not be sent: ") && err.contains("OMEMO"),
            "{err}"
        );
    }
}

// `sotto send` on a server without PEP (so without OMEMO): the plaintext
// message goes out and the command succeeds, with one warning saying why
// OMEMO is unavailable; a message asked to go with OMEMO fails instead of
// going out in plaintext.

#[test]
fn send_works_and_warns_once_when_the_server_has_no_pep() {
    send_on(
        Prosody::start_with(ProsodyOptions::no_pep()).unwrap(),
        false,
    );
}

/// The minimal server also lacks stream management, MAM and carbons: `send`
/// ends once the message is written (nothing can acknowledge it), and says
/// so, with one plain note per missing feature instead of a time-out.
#[test]
fn send_works_on_a_minimal_server() {
    send_on(Prosody::start_minimal().unwrap(), true);
}

fn send_on(prosody: Prosody, minimal: bool) {
    prosody.register("alice", "alice-cli-pw").unwrap();
    prosody.register("bob", "bob-cli-pw").unwrap();
    let dir = TestDir::new("cli-no-pep").unwrap();
    let profile = dir.join("profile");
    let port = prosody.c2s_port().to_string();
    let added = run(
        &profile,
        &[
            "account",
            "add",
            "alice@localhost",
            "--password-env",
            "ACCOUNT_PASSWORD",
            "--host",
            "127.0.0.1",
            "--port",
            &port,
            "--pin-cert",
            &prosody.cert_sha256(),
            "--timeout",
            "20",
        ],
        "alice-cli-pw",
    );
    assert_eq!(added.status.code(), Some(0));

    let sent = run(
        &profile,
        &["send", "bob@localhost", "hi without PEP", "--timeout", "20"],
        "",
    );
    assert_eq!(sent.status.code(), Some(0));
    let stdout = String::from_utf8_lossy(&sent.stdout);
    assert!(stdout.contains("sent to bob@localhost"), "{stdout}");
    assert_eq!(stdout.contains("cannot acknowledge"), minimal, "{stdout}");
    let stderr = String::from_utf8_lossy(&sent.stderr);
    if minimal {
        for said in ["keeps no message archive", "stream management", "carbons"] {
            assert_eq!(stderr.matches(said).count(), 1, "{said}: {stderr}");
        }
    }
    assert_eq!(
        stderr
            .matches("OMEMO is unavailable for alice@localhost")
            .count(),
        1,
        "{stderr}"
    );
    assert!(stderr.contains("does not support PEP"), "{stderr}");

    let refused = run(
        &profile,
        &[
            "send",
            "bob@localhost",
            "only with OMEMO",
            "--encryption",
            "omemo",
            "--timeout",
            "20",
        ],
        "",
    );
    assert_ne!(refused.status.code(), Some(0));
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("could not be sent"),
        "the OMEMO message must fail, not go out in plaintext"
    );
}
