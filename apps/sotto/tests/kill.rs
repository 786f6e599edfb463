// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! `kill -9` of a receiving Sotto process at random moments during an OMEMO
//! exchange, through a real Prosody: after every restart the profile opens;
//! at the end, every message the server acknowledged to the sender is in
//! the receiver's history exactly once, and the next message decrypts (no
//! session broken by a kill between a ratchet step and its message).

#![cfg(unix)]
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use sotto_tests::{TestDir, TestServer, XmppServer};

const PASSPHRASE: &str = "cli kill passphrase";
/// How many times the receiver is killed.
const KILLS: usize = 50;
/// Messages sent per round (one kill per round).
const PER_ROUND: usize = 3;

fn sotto(profile: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_sotto"));
    cmd.arg("--profile")
        .arg(profile)
        .args(args)
        .env("SOTTO_PASSPHRASE", PASSPHRASE)
        .env_remove("RUST_LOG")
        .stdin(Stdio::null());
    cmd
}

fn run(profile: &Path, args: &[&str], password: &str) -> Output {
    let out = sotto(profile, args)
        .env("ACCOUNT_PASSWORD", password)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "sotto {}: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn profile(server: &TestServer, dir: &TestDir, user: &str) -> PathBuf {
    let password = format!("{user}-kill-pw");
    server.register(user, &password).unwrap();
    let path = dir.join("profile");
    let port = server.c2s_port().to_string();
    run(
        &path,
        &[
            "account",
            "add",
            &server.jid(user),
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
        &password,
    );
    path
}

#[path = "support/running.rs"]
mod running;
use running::Running;

/// `sotto run` for `profile` (stderr dropped: it is killed mid-line).
fn start(profile: &Path) -> Running {
    let mut command = sotto(profile, &["run"]);
    command.stderr(Stdio::null());
    Running::spawn(command)
}

/// A small deterministic generator for the kill moments (no dependency).
struct Moments(u64);

impl Moments {
    fn next_ms(&mut self, below: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % below
    }
}

sotto_tests::on_servers! { [Prosody, Ejabberd]
    fn a_receiver_killed_50_times_loses_no_acknowledged_message(server: TestServer) {
        let dirs = (TestDir::new("kill-alice").unwrap(), TestDir::new("kill-bob").unwrap());
        let alice_dir = profile(&server, &dirs.0, "alice");
        let bob_dir = profile(&server, &dirs.1, "bob");
        let mut alice = start(&alice_dir);
        alice.online();
        alice.expect("alice's OMEMO", |v| v["type"] == "omemo_ready");
        let bob = start(&bob_dir);
        bob.online();
        bob.expect("bob's OMEMO", |v| v["type"] == "omemo_ready");
        let mut bob = Some(bob);

        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos() as u64;
        eprintln!("kill moments seed {seed}");
        let mut moments = Moments(seed);
        let started = Instant::now();
        let mut acked = 0;
        for round in 0..KILLS {
            for j in 0..PER_ROUND {
                alice.command(serde_json::json!({
                    "type": "send_message", "account": "alice@localhost",
                    "to": "bob@localhost", "body": format!("kill {round:02}-{j}"),
                    "encryption": "omemo"
                }));
            }
            // Somewhere between the first message leaving and all arriving.
            std::thread::sleep(Duration::from_millis(moments.next_ms(600)));
            bob.take().unwrap().kill();
            let restarted = start(&bob_dir);
            restarted.online();
            bob = Some(restarted);
            // The server has each message (acked) before the next round.
            for _ in 0..PER_ROUND {
                alice.expect("acked", |v| {
                    v["type"] == "message_state_changed"
                        && (v["state"] == "acked" || v["state"] == "delivered")
                });
                acked += 1;
            }
        }
        alice.command(serde_json::json!({
            "type": "send_message", "account": "alice@localhost",
            "to": "bob@localhost", "body": "after the last kill", "encryption": "omemo"
        }));
        let bob = bob.take().unwrap();
        bob.expect("the next message", |v| {
            v["type"] == "message_added" && v["message"]["body"] == "after the last kill"
        });
        // Catch-up ends well within this.
        std::thread::sleep(Duration::from_secs(3));
        bob.finish();
        alice.finish();
        let out = run(
            &bob_dir,
            &["history", "alice@localhost", "--limit", "1000", "--json"],
            "",
        );
        let history: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
        let bodies: Vec<String> = history
            .iter()
            .filter_map(|m| m["body"].as_str().map(str::to_owned))
            .filter(|b| b.starts_with("kill "))
            .collect();
        let unique: std::collections::BTreeSet<_> = bodies.iter().cloned().collect();
        let unreadable = history
            .iter()
            .filter(|m| m["body"].as_str().is_some_and(|b| b.contains("could not be decrypted")))
            .count();
        eprintln!(
            "{KILLS} kills in {:.1?}: {acked} messages acknowledged to the sender, {} stored \
             once each at the receiver, {unreadable} unreadable",
            started.elapsed(),
            unique.len()
        );
        assert_eq!(bodies.len(), unique.len(), "duplicates stored");
        assert_eq!(unique.len(), KILLS * PER_ROUND, "acknowledged messages missing");
        assert_eq!(unreadable, 0, "a kill broke a session");
        assert!(
            history.iter().any(|m| m["body"] == "after the last kill" && m["encryption"] == "omemo"),
            "the next message decrypts"
        );
    }
}
