// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! Two CLI profiles chat through a real Prosody and ejabberd, with receipts: certificate
//! refusal and pinning, `send`, `run` over JSON lines, `history`, `search`,
//! `send-file` and `save`, and no plaintext left in either profile directory.

#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::process::{Command, Output, Stdio};

use sotto_tests::{TestDir, TestServer, XmppServer, scan_for_plaintext};

const PASSPHRASE: &str = "cli profile passphrase";

fn sotto(profile: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_sotto"));
    cmd.arg("--profile")
        .arg(profile)
        .args(args)
        .env("SOTTO_PASSPHRASE", PASSPHRASE)
        .env("ACCOUNT_PASSWORD", "")
        .env_remove("RUST_LOG")
        .stdin(Stdio::null());
    cmd
}

fn run(profile: &Path, args: &[&str], password: &str) -> Output {
    let out = sotto(profile, args)
        .env("ACCOUNT_PASSWORD", password)
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

#[path = "support/running.rs"]
mod running;
use running::Running;

/// `sotto run` for `profile`, its stderr shown with the test's.
fn start(profile: &Path) -> Running {
    let mut command = sotto(profile, &["run"]);
    command.stderr(std::process::Stdio::inherit());
    Running::spawn(command)
}

sotto_tests::on_servers! { [Prosody, Ejabberd]
    fn two_cli_profiles_chat_with_receipts(server: TestServer) {
        server.register("alice", "alice-cli-pw").unwrap();
        server.register("bob", "bob-cli-pw").unwrap();
        let port = server.c2s_port().to_string();
        let dirs = (
            TestDir::new("cli-alice").unwrap(),
            TestDir::new("cli-bob").unwrap(),
        );
        let (alice_dir, bob_dir) = (dirs.0.join("profile"), dirs.1.join("profile"));

        // First contact with a self-signed server: refused, fingerprint shown, exit 5.
        let refused = run(
            &alice_dir,
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
                "--timeout",
                "20",
            ],
            "alice-cli-pw",
        );
        assert_eq!(refused.status.code(), Some(5));
        let stderr = String::from_utf8_lossy(&refused.stderr);
        assert!(stderr.contains(&server.cert_sha256()), "{stderr}");
        let pinned = run(
            &alice_dir,
            &[
                "account",
                "pin",
                "alice@localhost",
                &server.cert_sha256(),
                "--timeout",
                "20",
            ],
            "",
        );
        assert_eq!(pinned.status.code(), Some(0));
        let added = run(
            &bob_dir,
            &[
                "account",
                "add",
                "bob@localhost",
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
            "bob-cli-pw",
        );
        assert_eq!(added.status.code(), Some(0));
        // A wrong password is exit 4.
        let wrong = TestDir::new("cli-wrong").unwrap();
        let out = run(
            &wrong.join("profile"),
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
                &server.cert_sha256(),
                "--timeout",
                "20",
            ],
            "not-it",
        );
        assert_eq!(out.status.code(), Some(4));

        let mut bob = start(&bob_dir);
        bob.expect("bob online", |v| {
            v["type"] == "connection" && v["state"]["state"] == "online"
        });
        let mut alice = start(&alice_dir);
        alice.expect("alice online", |v| {
            v["type"] == "connection" && v["state"]["state"] == "online"
        });

        alice.command(serde_json::json!({"type": "send_message", "account": "alice@localhost", "to": "bob@localhost", "body": "CliCanary hello bob"}));
        let sent = alice.expect("own message", |v| {
            v["type"] == "message_added" && v["message"]["body"] == "CliCanary hello bob"
        });
        let id = sent["message"]["id"].clone();
        bob.expect("bob receives", |v| {
            v["type"] == "message_added"
                && v["message"]["body"] == "CliCanary hello bob"
                && v["message"]["direction"] == "incoming"
        });
        alice.expect("receipt", |v| {
            v["type"] == "message_state_changed" && v["id"] == id && v["state"] == "delivered"
        });

        bob.command(serde_json::json!({"type": "send_message", "account": "bob@localhost", "to": "alice@localhost", "body": "CliCanary hi alice"}));
        let reply = bob.expect("own reply", |v| {
            v["type"] == "message_added" && v["message"]["body"] == "CliCanary hi alice"
        });
        let reply_id = reply["message"]["id"].clone();
        alice.expect("alice receives", |v| {
            v["type"] == "message_added" && v["message"]["body"] == "CliCanary hi alice"
        });
        bob.expect("receipt", |v| {
            v["type"] == "message_state_changed" && v["id"] == reply_id && v["state"] == "delivered"
        });
        alice.finish();

        // `send` goes online, sends, and exits once the server has the message.
        let out = run(
            &alice_dir,
            &[
                "send",
                "bob@localhost",
                "CliCanary one more",
                "--timeout",
                "20",
            ],
            "",
        );
        assert_eq!(out.status.code(), Some(0));
        bob.expect("bob receives", |v| {
            v["type"] == "message_added" && v["message"]["body"] == "CliCanary one more"
        });
        bob.finish();

        let history = run(&alice_dir, &["history", "bob@localhost", "--json"], "");
        let history: serde_json::Value = serde_json::from_slice(&history.stdout).unwrap();
        let bodies: Vec<_> = history
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["body"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(
            bodies,
            vec![
                "CliCanary hello bob",
                "CliCanary hi alice",
                "CliCanary one more"
            ]
        );
        let found = run(&bob_dir, &["search", "alice", "--json"], "");
        let found: serde_json::Value = serde_json::from_slice(&found.stdout).unwrap();
        assert_eq!(found.as_array().unwrap().len(), 1);

        // `send-file` uploads (encrypted: bob has OMEMO) and sends the link;
        // `save` on bob's side fetches and decrypts it.
        let file = dirs.0.join("minutes.txt");
        std::fs::write(&file, "CliCanary file: the minutes").unwrap();
        let out = run(
            &alice_dir,
            &[
                "send-file",
                "bob@localhost",
                file.to_str().unwrap(),
                "--timeout",
                "20",
            ],
            "",
        );
        assert_eq!(out.status.code(), Some(0));
        assert!(String::from_utf8_lossy(&out.stdout).starts_with("sent to bob@localhost"));
        assert!(String::from_utf8_lossy(&out.stderr).contains("uploading minutes.txt: 100 %"));
        let history = run(&alice_dir, &["history", "bob@localhost", "--json"], "");
        let history: serde_json::Value = serde_json::from_slice(&history.stdout).unwrap();
        let link = history.as_array().unwrap().last().unwrap()["body"]
            .as_str()
            .unwrap()
            .to_owned();
        // The encrypted file's link is the slot's URL with the aesgcm scheme
        // (the host is the server's choice: 127.0.0.1 on Prosody, localhost
        // on ejabberd).
        let aesgcm = server.upload_url_prefix().replacen("https://", "aesgcm://", 1);
        assert!(link.starts_with(&aesgcm), "{link}");
        let saved = dirs.1.join("saved minutes.txt");
        let out = run(
            &bob_dir,
            &["save", &link, saved.to_str().unwrap(), "--timeout", "20"],
            "",
        );
        assert_eq!(out.status.code(), Some(0));
        assert_eq!(
            std::fs::read_to_string(&saved).unwrap(),
            "CliCanary file: the minutes"
        );
        let out = run(&bob_dir, &["save", "hello", "x"], "");
        assert_eq!(out.status.code(), Some(2), "not a link");

        for dir in [&alice_dir, &bob_dir] {
            let hits = scan_for_plaintext(
                dir,
                &[
                    b"CliCanary",
                    b"alice-cli-pw",
                    b"bob-cli-pw",
                    PASSPHRASE.as_bytes(),
                ],
            );
            assert!(hits.is_empty(), "{}: {hits:?}", dir.display());
        }
    }
}
