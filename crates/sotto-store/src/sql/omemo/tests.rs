// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! The OMEMO engine's store conformance suite on SQLCipher, and what only
//! the SQL store has: per-account data, cascades, one-transaction commits.

use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use sotto_omemo::store::{
    DeviceEntry, DeviceListStore, IdentityStore, OwnDevice, PreKeyStore, SessionStore,
    SignedPreKeyStore, StoreResult, TrustStore,
};
use sotto_omemo::trust::TrustLevel;
use sotto_omemo::{
    Bundle, DeviceAddress, IdentityKeyPair, KeyPair, Namespace, PreKey, Session, SignedPreKey,
};
use tempfile::TempDir;
use zeroize::Zeroizing;

use super::OmemoAccountStore;
use crate::conformance::{ALICE, BOB, account, incoming};
use crate::{AccountStore, Inserted, MessageStore, ProfileKey, SqlStore, StoreError};

/// A fresh profile with the accounts ALICE and BOB.
fn profile() -> (SqlStore, TempDir) {
    let tmp = tempfile::tempdir().unwrap();
    // A raw key skips the passphrase KDF, keeping the suite fast.
    let key = ProfileKey::Raw(Zeroizing::new([9; 32]));
    let store = SqlStore::create(&tmp.path().join("p"), &key).unwrap();
    store.upsert_account(&account(ALICE)).unwrap();
    store.upsert_account(&account(BOB)).unwrap();
    (store, tmp)
}

/// ALICE's OMEMO store, keeping its temporary profile alive.
struct TempOmemo {
    store: OmemoAccountStore,
    _dir: TempDir,
}

fn temp_omemo() -> TempOmemo {
    let (store, dir) = profile();
    TempOmemo {
        store: store.omemo(ALICE),
        _dir: dir,
    }
}

impl IdentityStore for TempOmemo {
    fn own_device(&self) -> StoreResult<Option<OwnDevice>> {
        self.store.own_device()
    }
    fn save_own_device(&mut self, device: &OwnDevice) -> StoreResult<()> {
        self.store.save_own_device(device)
    }
}

impl PreKeyStore for TempOmemo {
    fn load_prekey(&self, id: u32) -> StoreResult<Option<PreKey>> {
        self.store.load_prekey(id)
    }
    fn save_prekey(&mut self, prekey: &PreKey) -> StoreResult<()> {
        self.store.save_prekey(prekey)
    }
    fn remove_prekey(&mut self, id: u32) -> StoreResult<()> {
        self.store.remove_prekey(id)
    }
    fn prekeys(&self) -> StoreResult<Vec<PreKey>> {
        self.store.prekeys()
    }
}

impl SignedPreKeyStore for TempOmemo {
    fn load_signed_prekey(&self, id: u32) -> StoreResult<Option<SignedPreKey>> {
        self.store.load_signed_prekey(id)
    }
    fn save_signed_prekey(&mut self, spk: &SignedPreKey) -> StoreResult<()> {
        self.store.save_signed_prekey(spk)
    }
    fn remove_signed_prekey(&mut self, id: u32) -> StoreResult<()> {
        self.store.remove_signed_prekey(id)
    }
    fn signed_prekeys(&self) -> StoreResult<Vec<SignedPreKey>> {
        self.store.signed_prekeys()
    }
}

impl SessionStore for TempOmemo {
    fn load_session(&self, ns: Namespace, device: &DeviceAddress) -> StoreResult<Option<Session>> {
        self.store.load_session(ns, device)
    }
    fn save_session(
        &mut self,
        ns: Namespace,
        device: &DeviceAddress,
        session: &Session,
    ) -> StoreResult<()> {
        self.store.save_session(ns, device, session)
    }
    fn delete_session(&mut self, ns: Namespace, device: &DeviceAddress) -> StoreResult<()> {
        self.store.delete_session(ns, device)
    }
}

impl DeviceListStore for TempOmemo {
    fn device_list(&self, ns: Namespace, jid: &str) -> StoreResult<Vec<DeviceEntry>> {
        self.store.device_list(ns, jid)
    }
    fn save_device_list(
        &mut self,
        ns: Namespace,
        jid: &str,
        devices: &[DeviceEntry],
    ) -> StoreResult<()> {
        self.store.save_device_list(ns, jid, devices)
    }
}

impl TrustStore for TempOmemo {
    fn trust(&self, jid: &str, identity: &[u8; 32]) -> StoreResult<Option<TrustLevel>> {
        self.store.trust(jid, identity)
    }
    fn set_trust(&mut self, jid: &str, identity: &[u8; 32], level: TrustLevel) -> StoreResult<()> {
        self.store.set_trust(jid, identity, level)
    }
    fn trusted_identities(&self, jid: &str) -> StoreResult<Vec<([u8; 32], TrustLevel)>> {
        self.store.trusted_identities(jid)
    }
}

mod conformance {
    sotto_omemo::omemo_store_conformance!(super::temp_omemo());
}

const CAROL: &str = "carol@example.org";

/// A session with CAROL's device 2, and the same session one message later.
fn sessions() -> (Session, Session) {
    let mut r = ChaCha20Rng::seed_from_u64(11);
    let ours = IdentityKeyPair::generate(&mut r);
    let carol = IdentityKeyPair::generate(&mut r);
    let spk = SignedPreKey::generate(1, 0, &mut r);
    let pk = PreKey {
        id: 1,
        key_pair: KeyPair::generate(&mut r),
    };
    let bundle = Bundle::own(Namespace::Omemo2, 2, &carol, &spk, &[pk]);
    let first = sotto_omemo::initiate(&ours, &bundle, &mut r).unwrap();
    let mut second = first.clone();
    second.encrypt(b"hello").unwrap();
    assert_ne!(first.to_bytes(), second.to_bytes());
    (first, second)
}

fn prekey(id: u32) -> PreKey {
    PreKey {
        id,
        key_pair: KeyPair::generate(&mut ChaCha20Rng::seed_from_u64(u64::from(id))),
    }
}

fn stored_bytes(store: &OmemoAccountStore, addr: &DeviceAddress) -> Option<Zeroizing<Vec<u8>>> {
    store
        .load_session(Namespace::Omemo2, addr)
        .unwrap()
        .map(|s| s.to_bytes())
}

#[test]
fn session_and_messages_commit_together() {
    let (store, _tmp) = profile();
    let mut omemo = store.omemo(ALICE);
    let addr = DeviceAddress::new(CAROL, 2);
    let (_, session) = sessions();
    omemo.save_prekey(&prekey(5)).unwrap();
    let msg = crate::NewMessage {
        encryption: crate::Encryption::Omemo,
        stanza_id: Some("s1".into()),
        ..incoming(CAROL, "hello", 1000)
    };
    let out = omemo
        .save_sessions_with_messages(
            Namespace::Omemo2,
            [(&addr, &session)],
            Some(5),
            std::slice::from_ref(&msg),
        )
        .unwrap();
    let [Inserted::New(rec)] = out.as_slice() else {
        panic!("expected one new message, got {out:?}");
    };
    assert_eq!(store.message(ALICE, rec.id).unwrap().unwrap().body, "hello");
    assert_eq!(stored_bytes(&omemo, &addr), Some(session.to_bytes()));
    assert!(
        omemo.load_prekey(5).unwrap().is_none(),
        "the used prekey is gone"
    );
    // The same dedup as insert_messages.
    let again = omemo
        .save_sessions_with_messages(Namespace::Omemo2, [(&addr, &session)], None, &[msg])
        .unwrap();
    assert!(matches!(again.as_slice(), [Inserted::Duplicate { id }] if *id == rec.id));
    assert_eq!(store.count_messages(ALICE, CAROL).unwrap(), 1);
}

#[test]
fn failed_message_insert_saves_no_session() {
    let (store, _tmp) = profile();
    let mut omemo = store.omemo(ALICE);
    let addr = DeviceAddress::new(CAROL, 2);
    let (before, after) = sessions();
    omemo
        .save_session(Namespace::Omemo2, &addr, &before)
        .unwrap();
    omemo.save_prekey(&prekey(5)).unwrap();
    // Make every message insert fail, after the session has been written.
    store
        .lock()
        .execute_batch(
            "CREATE TEMP TRIGGER fail_insert BEFORE INSERT ON main.messages
             BEGIN SELECT RAISE(ABORT, 'forced failure'); END;",
        )
        .unwrap();
    let err = omemo
        .save_sessions_with_messages(
            Namespace::Omemo2,
            [(&addr, &after)],
            Some(5),
            &[incoming(CAROL, "lost", 1000)],
        )
        .unwrap_err();
    assert!(matches!(err, StoreError::Sql { .. }), "{err:?}");
    assert_eq!(stored_bytes(&omemo, &addr), Some(before.to_bytes()));
    assert!(omemo.load_prekey(5).unwrap().is_some());
    assert_eq!(store.count_messages(ALICE, CAROL).unwrap(), 0);
}

#[test]
fn missing_account_saves_nothing() {
    let (store, _tmp) = profile();
    let mut ghost = store.omemo("ghost@example.org");
    let addr = DeviceAddress::new(CAROL, 2);
    let (session, _) = sessions();
    let err = ghost
        .save_sessions_with_messages(
            Namespace::Omemo2,
            [(&addr, &session)],
            None,
            &[incoming(CAROL, "x", 1)],
        )
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound(_)), "{err:?}");
    assert!(stored_bytes(&ghost, &addr).is_none());
    assert!(ghost.save_prekey(&prekey(1)).is_err());
    assert!(ghost.set_trust(CAROL, &[1; 32], TrustLevel::Blind).is_err());
    assert!(ghost.prekeys().unwrap().is_empty());
}

#[test]
fn accounts_are_separate_and_removal_cascades() {
    let (store, _tmp) = profile();
    let mut alice = store.omemo(ALICE);
    let bob = store.omemo(BOB);
    let addr = DeviceAddress::new(CAROL, 2);
    let (session, _) = sessions();
    let identity = IdentityKeyPair::generate(&mut ChaCha20Rng::seed_from_u64(3));
    alice
        .save_own_device(&OwnDevice {
            device_id: 7,
            identity,
        })
        .unwrap();
    alice.save_prekey(&prekey(1)).unwrap();
    alice
        .save_signed_prekey(&SignedPreKey::generate(
            1,
            5,
            &mut ChaCha20Rng::seed_from_u64(4),
        ))
        .unwrap();
    alice
        .save_session(Namespace::Omemo2, &addr, &session)
        .unwrap();
    let entry = DeviceEntry {
        device_id: 2,
        active: true,
        label: None,
    };
    alice
        .save_device_list(Namespace::Omemo2, CAROL, &[entry])
        .unwrap();
    alice.set_trust(CAROL, &[1; 32], TrustLevel::Blind).unwrap();
    assert!(bob.own_device().unwrap().is_none());
    assert!(bob.prekeys().unwrap().is_empty());
    assert!(stored_bytes(&bob, &addr).is_none());

    store.remove_account(ALICE).unwrap();
    store.upsert_account(&account(ALICE)).unwrap();
    assert!(alice.own_device().unwrap().is_none());
    assert!(alice.prekeys().unwrap().is_empty());
    assert!(alice.signed_prekeys().unwrap().is_empty());
    assert!(stored_bytes(&alice, &addr).is_none());
    assert!(
        alice
            .device_list(Namespace::Omemo2, CAROL)
            .unwrap()
            .is_empty()
    );
    assert!(alice.trusted_identities(CAROL).unwrap().is_empty());
}

#[test]
fn key_material_never_reaches_disk_in_plaintext() {
    let (store, tmp) = profile();
    let mut omemo = store.omemo(ALICE);
    let identity = IdentityKeyPair::generate(&mut ChaCha20Rng::seed_from_u64(5));
    let seed = *identity.seed();
    omemo
        .save_own_device(&OwnDevice {
            device_id: 7,
            identity,
        })
        .unwrap();
    let pk = prekey(9);
    omemo.save_prekey(&pk).unwrap();
    let secrets = [seed, *pk.key_pair.private()];
    for entry in std::fs::read_dir(tmp.path().join("p")).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        for secret in &secrets {
            assert!(!bytes.windows(32).any(|w| w == secret.as_slice()));
        }
    }
}
