// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! `sotto profile passphrase|keyring`.

use super::*;

/// `sotto profile passphrase|keyring`: a wrong current passphrase changes
/// nothing; a new passphrase replaces the old one; the key moves into the
/// OS keyring and out again (the test script runs a private GNOME Keyring;
/// without any keyring the move must fail clearly and change nothing).
#[test]
fn profile_passphrase_and_keyring() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let profile = tmp.path().join("profile");
    let port = closed_port().to_string();
    let out = add_unreachable_account(&profile, &port, "1");
    assert_eq!(out.status.code(), Some(6), "the profile was created");
    let new = "a different long passphrase";

    let before = snapshot(&profile);
    let out = run(
        &profile,
        &["profile", "passphrase", "--new-passphrase-env", "NEW_PW"],
        &[("SOTTO_PASSPHRASE", "guess"), ("NEW_PW", new)],
    );
    assert_eq!(out.status.code(), Some(3));
    assert_eq!(
        snapshot(&profile),
        before,
        "a wrong passphrase changes nothing"
    );

    let out = run(
        &profile,
        &["profile", "passphrase", "--new-passphrase-env", "NEW_PW"],
        &[("SOTTO_PASSPHRASE", PASSPHRASE), ("NEW_PW", "")],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("must not be empty"));

    let out = run(
        &profile,
        &["profile", "passphrase", "--new-passphrase-env", "NEW_PW"],
        &[("SOTTO_PASSPHRASE", PASSPHRASE), ("NEW_PW", new)],
    );
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("now opens with the new passphrase"));
    assert!(!stderr(&out).contains(new) && !stderr(&out).contains(PASSPHRASE));
    assert_eq!(
        unlocked(&profile, &["account", "list"]).status.code(),
        Some(3)
    );
    let with_new = [("SOTTO_PASSPHRASE", new)];
    let out = run(&profile, &["account", "list", "--json"], &with_new);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(json(&out)[0]["jid"], JID, "the data survived");

    let out = run(&profile, &["profile", "keyring"], &with_new);
    if std::env::var_os("SOTTO_REQUIRE_KEYRING").is_none() && out.status.code() != Some(0) {
        assert!(stderr(&out).contains("OS keyring"), "{}", stderr(&out));
        assert_eq!(
            run(&profile, &["account", "list"], &with_new).status.code(),
            Some(0)
        );
        println!("SKIPPED the keyring half (no OS keyring)");
        return;
    }
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("unlock with --keyring"));
    assert_eq!(
        run(&profile, &["account", "list"], &with_new).status.code(),
        Some(3)
    );
    assert_eq!(
        run(&profile, &["--keyring", "account", "list"], &[])
            .status
            .code(),
        Some(0)
    );
    let out = run(&profile, &["--keyring", "profile", "keyring"], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("already kept in the OS keyring"));

    let out = run(
        &profile,
        &[
            "--keyring",
            "profile",
            "passphrase",
            "--new-passphrase-env",
            "NEW_PW",
        ],
        &[("NEW_PW", PASSPHRASE)],
    );
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        unlocked(&profile, &["account", "list"]).status.code(),
        Some(0)
    );
    assert_eq!(
        run(&profile, &["--keyring", "account", "list"], &[])
            .status
            .code(),
        Some(3)
    );
}
