// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! Tests only the SQLCipher store needs: keys, files on disk, pragmas.

use std::collections::BTreeMap;
use std::path::Path;

use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use super::SqlStore;
use crate::conformance::{ALICE, BOB, account, incoming, insert_new, outgoing};
use crate::{
    AccountStore, MessageStore, Password, ProfileKey, RoomStore, RosterItem, RosterStore,
    StoreError, Subscription,
};

fn pass(s: &str) -> ProfileKey {
    ProfileKey::Passphrase(Password::new(s.to_owned()))
}

fn raw(byte: u8) -> ProfileKey {
    ProfileKey::Raw(Zeroizing::new([byte; 32]))
}

/// Every file in `dir` with the SHA-256 of its bytes.
fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            let bytes = std::fs::read(e.path()).unwrap();
            (
                e.file_name().to_string_lossy().into_owned(),
                Sha256::digest(&bytes).to_vec(),
            )
        })
        .collect()
}

mod conformance {
    crate::store_conformance_tests!(|| {
        let tmp = tempfile::tempdir().unwrap();
        // A raw key skips the passphrase KDF, keeping the suite fast.
        let store = super::SqlStore::create(&tmp.path().join("p"), &super::raw(7)).unwrap();
        (store, tmp)
    });
}

#[test]
fn store_is_clone_send_sync() {
    fn check<T: Clone + Send + Sync + crate::Store>() {}
    check::<SqlStore>();
    check::<crate::MemoryStore>();
}

#[test]
fn wrong_passphrase_leaves_every_file_untouched() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("profile");
    let store = SqlStore::create(&dir, &pass("correct horse")).unwrap();
    store.upsert_account(&account(ALICE)).unwrap();
    insert_new(&store, ALICE, incoming(BOB, "hello", 1));
    drop(store);
    let before = snapshot(&dir);
    assert!(before.contains_key("sotto.db"));
    for wrong in [pass("wrong horse"), pass("correct horse "), raw(1)] {
        match SqlStore::open(&dir, &wrong) {
            Err(StoreError::WrongPassphrase) => {}
            other => panic!("expected WrongPassphrase, got {other:?}"),
        }
        assert_eq!(snapshot(&dir), before, "files changed or appeared");
    }
    let err = SqlStore::open(&dir, &pass("nope")).unwrap_err();
    assert_eq!(
        err.to_string(),
        "the passphrase is wrong (or the file is not a Sotto profile)"
    );
}

#[test]
fn wrong_passphrase_while_open_elsewhere() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("profile");
    let store = SqlStore::create(&dir, &pass("right")).unwrap();
    store.upsert_account(&account(ALICE)).unwrap();
    let before = snapshot(&dir);
    assert!(matches!(
        SqlStore::open(&dir, &pass("wrong")),
        Err(StoreError::WrongPassphrase)
    ));
    // The database and its WAL are untouched and no file appears. The -shm
    // WAL index is scratch shared memory: any reader, even one with a wrong
    // key, takes a read mark in it while another connection has the WAL open.
    let mut after = snapshot(&dir);
    let mut before = before;
    assert!(before.remove("sotto.db-shm").is_some());
    assert!(after.remove("sotto.db-shm").is_some());
    assert_eq!(after, before);
    assert_eq!(store.accounts().unwrap().len(), 1);
}

#[test]
fn not_a_database_is_wrong_passphrase() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("sotto.db"), [0x42u8; 4096]).unwrap();
    let before = snapshot(tmp.path());
    assert!(matches!(
        SqlStore::open(tmp.path(), &pass("x")),
        Err(StoreError::WrongPassphrase)
    ));
    assert_eq!(snapshot(tmp.path()), before);
}

#[test]
fn reopen_keeps_data_and_quotes_in_passphrases_work() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("profile");
    let key = pass("it's a \"secret\"; x'00'");
    let store = SqlStore::create(&dir, &key).unwrap();
    store.upsert_account(&account(ALICE)).unwrap();
    let rec = insert_new(&store, ALICE, outgoing(BOB, "kept", 1));
    drop(store);
    let store = SqlStore::open(&dir, &key).unwrap();
    assert_eq!(store.history(ALICE, BOB, None, 10).unwrap(), vec![rec]);
    assert_eq!(store.search("kept", 5).unwrap().len(), 1);
}

#[test]
fn create_open_exists() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("a").join("b");
    assert!(!SqlStore::exists(&dir));
    assert!(matches!(
        SqlStore::open(&dir, &pass("x")),
        Err(StoreError::ProfileMissing(p)) if p == dir
    ));
    let store = SqlStore::create(&dir, &pass("x")).unwrap();
    assert!(SqlStore::exists(&dir));
    assert!(format!("{store:?}").starts_with("SqlStore"));
    assert!(matches!(
        SqlStore::create(&dir, &pass("y")),
        Err(StoreError::ProfileExists(p)) if p == dir
    ));
    drop(store);
    SqlStore::open(&dir, &pass("x")).unwrap();
}

#[test]
fn weak_keys_are_refused_before_touching_disk() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("p");
    for key in [pass(""), pass("a\0b")] {
        assert!(matches!(
            SqlStore::create(&dir, &key),
            Err(StoreError::InvalidKey(_))
        ));
    }
    assert!(!dir.exists());
    let store = SqlStore::create(&dir, &pass("ok")).unwrap();
    assert!(matches!(
        store.change_key(&pass("")),
        Err(StoreError::InvalidKey(_))
    ));
}

#[test]
fn change_key_rekeys() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("p");
    let store = SqlStore::create(&dir, &pass("old")).unwrap();
    store.upsert_account(&account(ALICE)).unwrap();
    insert_new(&store, ALICE, incoming(BOB, "survives", 1));
    store.change_key(&pass("new")).unwrap();
    // The live handle keeps working after the rekey.
    insert_new(&store, ALICE, incoming(BOB, "after", 2));
    drop(store);
    assert!(matches!(
        SqlStore::open(&dir, &pass("old")),
        Err(StoreError::WrongPassphrase)
    ));
    let store = SqlStore::open(&dir, &pass("new")).unwrap();
    assert_eq!(store.count_messages(ALICE, BOB).unwrap(), 2);
    store.change_key(&raw(9)).unwrap();
    drop(store);
    assert!(matches!(
        SqlStore::open(&dir, &pass("new")),
        Err(StoreError::WrongPassphrase)
    ));
    let store = SqlStore::open(&dir, &raw(9)).unwrap();
    assert_eq!(store.search("survives", 10).unwrap().len(), 1);
}

#[test]
fn raw_key_profile() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("p");
    let store = SqlStore::create(&dir, &raw(0xa5)).unwrap();
    store.upsert_account(&account(ALICE)).unwrap();
    drop(store);
    for wrong in [raw(0xa4), pass("a5"), pass(&hex::encode([0xa5u8; 32]))] {
        assert!(matches!(
            SqlStore::open(&dir, &wrong),
            Err(StoreError::WrongPassphrase)
        ));
    }
    let store = SqlStore::open(&dir, &raw(0xa5)).unwrap();
    assert_eq!(store.accounts().unwrap().len(), 1);
}

fn assert_no_plaintext(dir: &Path, needles: &[&str]) {
    let mut files = 0;
    for e in std::fs::read_dir(dir).unwrap() {
        let path = e.unwrap().path();
        let bytes = std::fs::read(&path).unwrap();
        files += 1;
        for needle in needles {
            for form in [needle.as_bytes().to_vec(), utf16le(needle)] {
                assert!(
                    !bytes.windows(form.len()).any(|w| w == form.as_slice()),
                    "{needle:?} found in plaintext in {}",
                    path.display()
                );
            }
        }
    }
    assert!(files >= 1);
}

fn utf16le(s: &str) -> Vec<u8> {
    s.encode_utf16().flat_map(u16::to_le_bytes).collect()
}

#[test]
fn nothing_is_stored_in_plaintext() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("p");
    let store = SqlStore::create(&dir, &pass("pw")).unwrap();
    let mut acct = account("plaintextcanary-jid@example.org");
    acct.password = Password::new("CanaryPassw0rd-7f3a".into());
    store.upsert_account(&acct).unwrap();
    let jid = acct.settings.jid.clone();
    let body = "DistinctiveCanaryBody-91c2 zyxwvutsrq";
    for i in 0..200 {
        insert_new(&store, &jid, incoming("canarypeer@example.net", body, i));
    }
    store
        .replace_roster(
            &jid,
            Some("v"),
            &[RosterItem {
                jid: "canaryroster@example.net".into(),
                name: Some("CanaryRosterName".into()),
                subscription: Subscription::Both,
                ask_subscribe: false,
                groups: vec![],
            }],
        )
        .unwrap();
    let mut room = crate::RoomSettings::new("canaryroom@chat.example.net", "CanaryNick");
    room.password = Some(Password::new("CanaryRoomPassw0rd-5e1d".into()));
    store.upsert_room(&jid, &room).unwrap();
    store
        .set_room_subject(&jid, &room.jid, Some("CanarySubject"))
        .unwrap();
    assert_eq!(store.search("zyxwvutsrq", 500).unwrap().len(), 200);
    let needles = [
        "DistinctiveCanaryBody",
        "zyxwvutsrq",
        "CanaryPassw0rd",
        "plaintextcanary",
        "canarypeer",
        "CanaryRosterName",
        "CanaryRoomPassw0rd",
        "canaryroom",
        "CanaryNick",
        "CanarySubject",
        "SQLite format 3",
    ];
    // While open, the WAL holds the fresh pages...
    assert!(dir.join("sotto.db-wal").exists());
    assert_no_plaintext(&dir, &needles);
    drop(store);
    // ...and after close everything is checkpointed into the database.
    assert_no_plaintext(&dir, &needles);
}

#[cfg(unix)]
#[test]
fn profile_files_are_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("p");
    let store = SqlStore::create(&dir, &raw(1)).unwrap();
    store.upsert_account(&account(ALICE)).unwrap();
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&dir), 0o700);
    for name in ["sotto.db", "sotto.db-wal", "sotto.db-shm"] {
        assert_eq!(mode(&dir.join(name)), 0o600, "{name}");
    }
    drop(store);
    // Opened up since (a restore, a careless chmod): the next open restricts
    // them again.
    let open_up = |p: &Path, m| std::fs::set_permissions(p, std::fs::Permissions::from_mode(m));
    open_up(&dir, 0o755).unwrap();
    open_up(&dir.join("sotto.db"), 0o644).unwrap();
    let _store = SqlStore::open(&dir, &raw(1)).unwrap();
    assert_eq!(mode(&dir), 0o700);
    assert_eq!(mode(&dir.join("sotto.db")), 0o600);
}

#[test]
fn connection_pragmas() {
    let tmp = tempfile::tempdir().unwrap();
    let store = SqlStore::create(&tmp.path().join("p"), &raw(1)).unwrap();
    let conn = store.lock();
    let get = |pragma: &str| -> String {
        conn.query_row(&format!("PRAGMA {pragma}"), [], |r| {
            r.get::<_, rusqlite::types::Value>(0)
        })
        .map(|v| format!("{v:?}"))
        .unwrap()
    };
    assert_eq!(get("journal_mode"), "Text(\"wal\")");
    assert_eq!(get("temp_store"), "Integer(2)", "MEMORY");
    assert_eq!(get("secure_delete"), "Integer(1)");
    assert_eq!(get("foreign_keys"), "Integer(1)");
    assert_eq!(
        get("user_version"),
        format!("Integer({})", super::migrate::LATEST)
    );
    assert_eq!(get("cipher_memory_security"), "Text(\"1\")");
}
