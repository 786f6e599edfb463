// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! Re-protecting a profile. The keyring cases need a real OS keyring: the
//! test script runs them against a private GNOME Keyring; elsewhere they
//! skip and say so.

#![allow(clippy::unwrap_used)]

use super::*;
use crate::keyring_key::tests::keyring_usable;
use crate::{MemoryStore, SettingsStore};

fn pass(s: &str) -> Protection {
    Protection::Passphrase(Password::new(s.to_owned()))
}

fn key(s: &str) -> ProfileKey {
    ProfileKey::Passphrase(Password::new(s.to_owned()))
}

fn profile(passphrase: &str) -> (tempfile::TempDir, std::path::PathBuf, SqlStore) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("profile");
    let store = SqlStore::create(&dir, &key(passphrase)).unwrap();
    store.set_setting("kept", "yes").unwrap();
    (tmp, dir, store)
}

#[test]
fn new_passphrase_replaces_the_old_one_and_keeps_the_data() {
    let (_tmp, dir, store) = profile("old horse");
    let changed = store
        .change_protection(&pass("old horse"), &pass("new battery"))
        .unwrap();
    assert_eq!(
        changed,
        ProtectionChanged {
            keyring: false,
            warning: None
        }
    );
    // The open store goes on working under the new key.
    store.set_setting("after", "1").unwrap();
    drop(store);
    assert!(matches!(
        SqlStore::open(&dir, &key("old horse")),
        Err(StoreError::WrongPassphrase)
    ));
    let reopened = SqlStore::open(&dir, &key("new battery")).unwrap();
    assert_eq!(reopened.setting("kept").unwrap().as_deref(), Some("yes"));
    assert_eq!(reopened.setting("after").unwrap().as_deref(), Some("1"));
}

#[test]
fn wrong_current_passphrase_changes_nothing() {
    let (_tmp, dir, store) = profile("old horse");
    assert!(matches!(
        store.change_protection(&pass("guess"), &pass("new battery")),
        Err(StoreError::WrongPassphrase)
    ));
    drop(store);
    assert!(matches!(
        SqlStore::open(&dir, &key("new battery")),
        Err(StoreError::WrongPassphrase)
    ));
    SqlStore::open(&dir, &key("old horse")).unwrap();
}

#[test]
fn empty_new_passphrase_is_refused() {
    let (_tmp, dir, store) = profile("old horse");
    assert!(matches!(
        store.change_protection(&pass("old horse"), &pass("")),
        Err(StoreError::InvalidKey(_))
    ));
    drop(store);
    SqlStore::open(&dir, &key("old horse")).unwrap();
}

#[test]
fn a_memory_profile_has_no_key_to_change() {
    let err = MemoryStore::default()
        .change_protection(&pass("a"), &pass("b"))
        .unwrap_err();
    assert!(err.to_string().contains("in memory only"), "{err}");
}

#[test]
fn into_the_keyring_and_back_to_a_passphrase() {
    if !keyring_usable() {
        return;
    }
    let (_tmp, dir, store) = profile("old horse");
    // A profile with a passphrase has no keyring key to be "current".
    assert!(matches!(
        store.change_protection(&Protection::Keyring, &pass("x")),
        Err(StoreError::Keyring(_))
    ));

    let changed = store
        .change_protection(&pass("old horse"), &Protection::Keyring)
        .unwrap();
    assert!(changed.keyring);
    let in_keyring = keyring_key::load(&dir).unwrap().unwrap();
    assert!(matches!(
        store.change_protection(&Protection::Keyring, &Protection::Keyring),
        Err(StoreError::InvalidInput(_))
    ));
    drop(store);
    assert!(matches!(
        SqlStore::open(&dir, &key("old horse")),
        Err(StoreError::WrongPassphrase)
    ));
    let store = SqlStore::open(&dir, &in_keyring).unwrap();
    assert_eq!(store.setting("kept").unwrap().as_deref(), Some("yes"));

    let changed = store
        .change_protection(&Protection::Keyring, &pass("new battery"))
        .unwrap();
    assert_eq!(
        changed,
        ProtectionChanged {
            keyring: false,
            warning: None
        }
    );
    assert!(
        keyring_key::load(&dir).unwrap().is_none(),
        "the old key is removed from the keyring"
    );
    drop(store);
    SqlStore::open(&dir, &key("new battery")).unwrap();
}

#[test]
fn a_wrong_passphrase_stores_no_key_in_the_keyring() {
    if !keyring_usable() {
        return;
    }
    let (_tmp, dir, store) = profile("old horse");
    assert!(matches!(
        store.change_protection(&pass("guess"), &Protection::Keyring),
        Err(StoreError::WrongPassphrase)
    ));
    assert!(keyring_key::load(&dir).unwrap().is_none());
    drop(store);
    SqlStore::open(&dir, &key("old horse")).unwrap();
}
