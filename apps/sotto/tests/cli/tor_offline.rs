// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! Proxies and Tor without a working Tor: the switch, refusals and exit
//! codes, with no server needed.

use super::*;

/// A private Tor network whose authority and relay are closed loopback
/// ports: Arti starts but never becomes ready, and nothing leaves the host.
fn dead_tor_network(dir: &Path) -> PathBuf {
    let file = dir.join("dead-tor-network.json");
    let network = serde_json::json!({
        "authorities": [{
            "v3ident": "0123456789ABCDEF0123456789ABCDEF01234567",
            "dir_addr": format!("127.0.0.1:{}", closed_port()),
        }],
        "fallbacks": [{
            "rsa_identity": "89ABCDEF0123456789ABCDEF0123456789ABCDEF",
            "ed_identity": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
            "orports": [format!("127.0.0.1:{}", closed_port())],
        }],
        "loopback": true,
    });
    std::fs::write(&file, network.to_string()).expect("write the network file");
    file
}

/// A SOCKS5 account on a closed proxy port (exit 6, stored with its proxy),
/// then the "Tor for everything" switch on and off.
#[test]
fn proxy_account_and_tor_switch_offline() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let profile = tmp.path().join("profile");
    let proxy = format!("socks5://127.0.0.1:{}", closed_port());
    let out = run(
        &profile,
        &[
            "account",
            "add",
            JID,
            "--proxy",
            &proxy,
            "--timeout",
            "3",
            "--password-env",
            "ACCOUNT_PW",
        ],
        &[("SOTTO_PASSPHRASE", PASSPHRASE), ("ACCOUNT_PW", "pw")],
    );
    assert_eq!(out.status.code(), Some(6));
    assert!(stderr(&out).contains("stays stored"), "{}", stderr(&out));
    assert!(
        !stderr(&out).contains("Tor"),
        "a proxy account does not wait for Tor"
    );

    let out = unlocked(&profile, &["account", "list", "--json"]);
    assert_eq!(out.status.code(), Some(0));
    let accounts = json(&out);
    assert_eq!(accounts[0]["proxy"], proxy.as_str(), "{accounts}");
    assert_eq!(accounts[0]["tor"], false, "{accounts}");
    let out = unlocked(&profile, &["account", "list"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains(&format!("  proxy {proxy}")), "{text}");

    let status = |profile: &Path| {
        let out = unlocked(profile, &["tor", "status", "--json"]);
        assert_eq!(out.status.code(), Some(0));
        json(&out)
    };
    assert_eq!(
        status(&profile),
        serde_json::json!({ "tor_everywhere": false })
    );

    // With Tor for everything the core starts the account on Tor, which
    // cannot bootstrap here; the switch is confirmed without waiting for it.
    let network = dead_tor_network(tmp.path());
    let network = network.to_str().expect("UTF-8 path");
    let tor = |args: &[&str]| {
        run(
            &profile,
            args,
            &[
                ("SOTTO_PASSPHRASE", PASSPHRASE),
                ("SOTTO_TOR_NETWORK", network),
            ],
        )
    };
    let started = std::time::Instant::now();
    let out = tor(&["tor", "on"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(
        String::from_utf8_lossy(&out.stdout).starts_with("Tor for everything: on"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
    assert_eq!(
        status(&profile),
        serde_json::json!({ "tor_everywhere": true })
    );
    let out = unlocked(&profile, &["tor", "status"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains(": on"));

    // The proxy account now goes only through Tor, which is not ready: it
    // stays offline rather than using the proxy or going direct.
    let out = tor(&["send", "bob@sotto.test", "hi", "--timeout", "3"]);
    assert_eq!(out.status.code(), Some(6));
    let err = stderr(&out);
    assert!(
        err.contains("Tor is not ready: ")
            && err.contains("the account stays offline, nothing was sent directly"),
        "{err}"
    );

    let out = tor(&["tor", "off", "--json"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(json(&out), serde_json::json!({ "tor_everywhere": false }));
    assert_eq!(
        status(&profile),
        serde_json::json!({ "tor_everywhere": false })
    );
}

/// `account add --tor` on a Tor network that never comes up: exit 6 with
/// Tor's state, and the account is stored as a Tor account.
#[test]
fn tor_account_without_tor_is_exit_6() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let profile = tmp.path().join("profile");
    let network = dead_tor_network(tmp.path());
    let port = closed_port().to_string();
    let out = run(
        &profile,
        &[
            "--tor-network",
            network.to_str().expect("UTF-8 path"),
            "account",
            "add",
            JID,
            "--tor",
            "--host",
            "127.0.0.1",
            "--port",
            &port,
            "--timeout",
            "3",
            "--password-env",
            "ACCOUNT_PW",
        ],
        &[("SOTTO_PASSPHRASE", PASSPHRASE), ("ACCOUNT_PW", "pw")],
    );
    assert_eq!(out.status.code(), Some(6));
    let err = stderr(&out);
    assert!(
        err.contains(&format!("{JID}: Tor is not ready: "))
            && err.contains("nothing was sent directly")
            && err.contains("stays stored"),
        "{err}"
    );
    assert!(
        profile.join("tor").is_dir(),
        "Arti keeps its state in the profile"
    );

    let out = unlocked(&profile, &["account", "list", "--json"]);
    assert_eq!(json(&out)[0]["tor"], true);
    let out = unlocked(&profile, &["account", "list"]);
    assert!(String::from_utf8_lossy(&out.stdout).ends_with("  tor\n"));
}

/// A missing or malformed `--tor-network` file is exit 1, named.
#[test]
fn bad_tor_network_file_is_exit_1() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let missing = tmp.path().join("missing.json");
    let out = unlocked(
        tmp.path(),
        &[
            "--tor-network",
            missing.to_str().expect("UTF-8"),
            "tor",
            "status",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains(&format!(
            "reading the Tor network file {}",
            missing.display()
        )),
        "{}",
        stderr(&out)
    );
    let bad = tmp.path().join("bad.json");
    std::fs::write(&bad, r#"{"authorities": "nope"}"#).expect("write");
    let out = run(
        tmp.path(),
        &["account", "list"],
        &[("SOTTO_TOR_NETWORK", bad.to_str().expect("UTF-8"))],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("is invalid"), "{}", stderr(&out));
}
