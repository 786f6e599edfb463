// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! The OMEMO commands of the CLI against a real Prosody and ejabberd: `fingerprints`
//! (text and JSON), `trust`, `distrust`, `verify`, and
//! `send --encryption omemo`, including its failure when the contact has
//! no OMEMO device.

#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use sotto_tests::{TestDir, TestServer, XmppServer};

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
