// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! `sotto send` on a server without PEP (so without OMEMO): the plaintext
//! message goes out and the command succeeds, with one warning saying why
//! OMEMO is unavailable; a message asked to go with OMEMO fails instead of
//! going out in plaintext.

#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::process::{Command, Output, Stdio};

use sotto_tests::{Prosody, ProsodyOptions, TestDir};

const PASSPHRASE: &str = "cli profile passphrase";

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
