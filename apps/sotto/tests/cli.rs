// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! The `sotto` binary on the paths that need no XMPP server: profile
//! creation and unlocking, an unreachable host or proxy, a Tor that never
//! comes up, the "Tor for everything" switch, reading an empty profile and
//! the `run` bridge. The online paths are tested against Prosody in the
//! workspace's `tests/` crate.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

const PASSPHRASE: &str = "correct horse battery staple";
const JID: &str = "alice@sotto.test";

/// `sotto --profile DIR ARGS…` with a clean environment apart from `env`.
fn sotto(profile: &Path, args: &[&str], env: &[(&str, &str)]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_sotto"));
    cmd.arg("--profile")
        .arg(profile)
        .args(args)
        .env_remove("SOTTO_PASSPHRASE")
        .env_remove("SOTTO_PROFILE")
        .env_remove("SOTTO_TOR_NETWORK")
        .env_remove("RUST_LOG")
        .stdin(Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd
}

fn run(profile: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let out = sotto(profile, args, env).output().expect("run sotto");
    eprintln!(
        "$ sotto {}\n[exit {:?}]\n{}{}",
        args.join(" "),
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn unlocked(profile: &Path, args: &[&str]) -> Output {
    run(profile, args, &[("SOTTO_PASSPHRASE", PASSPHRASE)])
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn json(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).expect("stdout is JSON")
}

/// A loopback port nothing listens on.
fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("addr").port()
}

/// `account add` of [`JID`] (password `account-secret-7`) at `port` on
/// loopback, where nothing listens: creates the profile if needed, stores
/// the account, and gives up after `timeout` seconds (exit 6).
fn add_unreachable_account(profile: &Path, port: &str, timeout: &str) -> Output {
    run(
        profile,
        &[
            "account",
            "add",
            JID,
            "--host",
            "127.0.0.1",
            "--port",
            port,
            "--timeout",
            timeout,
            "--password-env",
            "ACCOUNT_PW",
        ],
        &[
            ("SOTTO_PASSPHRASE", PASSPHRASE),
            ("ACCOUNT_PW", "account-secret-7"),
        ],
    )
}

/// Every file of the profile with its bytes, to prove nothing changed.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    std::fs::read_dir(dir)
        .expect("read profile dir")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.is_file())
        .map(|p| {
            let bytes = std::fs::read(&p).expect("read file");
            (p, bytes)
        })
        .collect()
}

#[test]
fn missing_profile_is_exit_3() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let profile = tmp.path().join("nothing-here");
    for args in [
        &["account", "list"][..],
        &["roster"],
        &["history", "bob@sotto.test"],
        &["search", "x"],
        &["send", "bob@sotto.test", "hi"],
        &["run"],
    ] {
        let out = unlocked(&profile, args);
        assert_eq!(out.status.code(), Some(3), "{args:?}");
        assert!(
            stderr(&out).contains(&format!(
                "no profile at {}; create one with `sotto account add`",
                profile.display()
            )),
            "{args:?}: {}",
            stderr(&out)
        );
    }
    assert!(
        !profile.exists(),
        "reading commands must not create a profile"
    );
}

#[test]
fn usage_errors_are_exit_2() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = unlocked(tmp.path(), &["account", "add", "not-a-jid"]);
    assert_eq!(out.status.code(), Some(2));
    let out = unlocked(tmp.path(), &["account", "pin", JID, "abc"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn offline_life_of_a_profile() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let profile = tmp.path().join("profile");
    let port = closed_port().to_string();

    // Created by `account add`; the host refuses, so exit 6 after --timeout.
    let out = add_unreachable_account(&profile, &port, "3");
    assert_eq!(out.status.code(), Some(6));
    let err = stderr(&out);
    assert!(err.contains(JID) && err.contains("stays stored"), "{err}");
    assert!(!err.contains("account-secret-7") && !err.contains(PASSPHRASE));

    // The account is stored.
    let out = unlocked(&profile, &["account", "list", "--json"]);
    assert_eq!(out.status.code(), Some(0));
    let accounts = json(&out);
    assert_eq!(accounts.as_array().map(Vec::len), Some(1), "{accounts}");
    assert_eq!(accounts[0]["jid"], JID);
    assert_eq!(accounts[0]["host"], "127.0.0.1");
    assert_eq!(accounts[0]["port"].to_string(), port);
    assert!(!String::from_utf8_lossy(&out.stdout).contains("account-secret-7"));
    let out = unlocked(&profile, &["account", "list"]);
    assert!(String::from_utf8_lossy(&out.stdout).starts_with(JID));

    // Adding it again is refused and changes nothing.
    let out = run(
        &profile,
        &["account", "add", JID, "--password-env", "ACCOUNT_PW"],
        &[("SOTTO_PASSPHRASE", PASSPHRASE), ("ACCOUNT_PW", "x")],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("already in this profile"));

    // A wrong passphrase is exit 3 and leaves every byte as it was.
    let before = snapshot(&profile);
    assert!(!before.is_empty());
    let out = run(
        &profile,
        &["account", "list", "--json"],
        &[("SOTTO_PASSPHRASE", "wrong horse")],
    );
    assert_eq!(out.status.code(), Some(3));
    assert!(
        stderr(&out).contains(&format!(
            "wrong passphrase for profile {} (nothing was changed)",
            profile.display()
        )),
        "{}",
        stderr(&out)
    );
    assert!(out.stdout.is_empty());
    assert_eq!(
        snapshot(&profile),
        before,
        "a wrong passphrase changed the profile"
    );
    // So does --passphrase-env naming another variable.
    let out = run(
        &profile,
        &["--passphrase-env", "MY_PW", "roster"],
        &[("MY_PW", "also wrong"), ("SOTTO_PASSPHRASE", PASSPHRASE)],
    );
    assert_eq!(out.status.code(), Some(3));

    // Reading an empty history works, in both forms.
    let out = unlocked(&profile, &["history", "bob@sotto.test", "--json"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(json(&out), serde_json::json!([]));
    let out = unlocked(&profile, &["history", "bob@sotto.test"]);
    assert_eq!(String::from_utf8_lossy(&out.stdout), "no messages\n");
    let out = unlocked(&profile, &["search", "hello", "--json", "--limit", "5"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(json(&out), serde_json::json!([]));
    let out = unlocked(&profile, &["roster", "--json"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        json(&out),
        serde_json::json!([{"account": JID, "items": []}])
    );
    let out = unlocked(&profile, &["roster", "--account", "nobody@sotto.test"]);
    assert_eq!(out.status.code(), Some(2));

    // `send` picks the only account, cannot go online, sends nothing: exit 6.
    let out = unlocked(
        &profile,
        &["send", "bob@sotto.test", "hi", "--timeout", "2"],
    );
    assert_eq!(out.status.code(), Some(6));
    assert!(
        stderr(&out).contains("Nothing was sent"),
        "{}",
        stderr(&out)
    );

    run_bridge(&profile);

    // Disable, enable, remove.
    let out = unlocked(&profile, &["account", "disable", JID]);
    assert_eq!(out.status.code(), Some(0));
    let out = unlocked(&profile, &["account", "list", "--json"]);
    assert_eq!(json(&out)[0]["enabled"], false);
    let out = unlocked(&profile, &["account", "enable", JID]);
    assert_eq!(out.status.code(), Some(0));
    let out = unlocked(&profile, &["account", "remove", JID]);
    assert_eq!(out.status.code(), Some(0));
    let out = unlocked(&profile, &["account", "list", "--json"]);
    assert_eq!(json(&out), serde_json::json!([]));
    let out = unlocked(&profile, &["account", "remove", JID]);
    assert_eq!(out.status.code(), Some(1));
}

/// `run`: a malformed line is answered with `command_failed` naming the
/// line, a good one is carried out, and stdin EOF ends with `stopped`, exit 0.
fn run_bridge(profile: &Path) {
    let mut child = sotto(profile, &["run"], &[("SOTTO_PASSPHRASE", PASSPHRASE)])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn sotto run");
    {
        let mut stdin = child.stdin.take().expect("stdin");
        stdin
            .write_all(b"this is not json\n\n{\"type\":\"list_accounts\"}\n")
            .expect("write stdin");
        // Dropping stdin is EOF: the bridge shuts the core down.
    }
    let out = child.wait_with_output().expect("wait for sotto run");
    eprintln!("run stderr: {}", stderr(&out));
    assert_eq!(out.status.code(), Some(0));
    let events: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("each stdout line is one JSON event"))
        .collect();
    let types: Vec<&str> = events.iter().filter_map(|e| e["type"].as_str()).collect();
    assert!(types.contains(&"accounts_snapshot"), "{types:?}");
    assert_eq!(types.last(), Some(&"stopped"), "{types:?}");
    let failed = events
        .iter()
        .find(|e| e["type"] == "command_failed")
        .expect("a command_failed event");
    let reason = failed["reason"].as_str().unwrap_or_default();
    assert!(reason.contains("line 1"), "{reason}");
    assert!(failed.get("account").is_none());
}

/// Two accounts: commands for one account need `--account` (exit 2); and
/// Ctrl-C makes `run` shut down and exit 0 even with stdin still open.
#[cfg(unix)]
#[test]
fn several_accounts_and_ctrl_c() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let profile = tmp.path().join("profile");
    let port = closed_port().to_string();
    for jid in [JID, "bob@sotto.test"] {
        let out = run(
            &profile,
            &[
                "account",
                "add",
                jid,
                "--host",
                "127.0.0.1",
                "--port",
                &port,
                "--timeout",
                "1",
                "--password-env",
                "ACCOUNT_PW",
            ],
            &[("SOTTO_PASSPHRASE", PASSPHRASE), ("ACCOUNT_PW", "pw")],
        );
        assert_eq!(out.status.code(), Some(6));
    }
    let out = unlocked(&profile, &["send", "carol@sotto.test", "hi"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--account"), "{}", stderr(&out));
    let out = unlocked(&profile, &["history", "carol@sotto.test"]);
    assert_eq!(out.status.code(), Some(2));
    let out = unlocked(
        &profile,
        &["history", "carol@sotto.test", "--account", "bob@sotto.test"],
    );
    assert_eq!(out.status.code(), Some(0));

    let mut child = sotto(&profile, &["run"], &[("SOTTO_PASSPHRASE", PASSPHRASE)])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn sotto run");
    let stdin = child.stdin.take().expect("stdin");
    std::thread::sleep(std::time::Duration::from_millis(1500));
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("run kill");
    assert!(status.success());
    let out = child.wait_with_output().expect("wait for sotto run");
    drop(stdin);
    eprintln!("run stderr: {}", stderr(&out));
    assert_eq!(out.status.code(), Some(0));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        stdout.lines().last(),
        Some(r#"{"type":"stopped"}"#),
        "{stdout}"
    );
}

#[path = "cli/profile.rs"]
mod profile;
#[path = "cli/tor_offline.rs"]
mod tor_offline;
