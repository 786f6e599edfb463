// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! The conformance suite every [`OmemoStore`](super::OmemoStore) must pass.
//!
//! Another store runs it with the [`omemo_store_conformance!`](crate::omemo_store_conformance)
//! macro (feature `testing`), giving an expression that makes a fresh, empty store:
//!
//! ```ignore
//! sotto_omemo::omemo_store_conformance!(make_sql_store());
//! ```
//!
//! Each check panics with what went wrong.

#![allow(clippy::unwrap_used, clippy::missing_panics_doc)]

use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

use super::{DeviceEntry, OmemoStore, OwnDevice};
use crate::{
    Bundle, DeviceAddress, IdentityKeyPair, Limits, Namespace,
    keys::{KeyPair, PreKey, SignedPreKey},
    trust::TrustLevel,
};

fn rng(seed: u64) -> ChaCha20Rng {
    ChaCha20Rng::seed_from_u64(seed)
}

/// Our device survives a round trip, identity included.
pub fn own_device<S: OmemoStore>(mut store: S) {
    assert!(
        store.own_device().unwrap().is_none(),
        "a new store has no device"
    );
    let identity = IdentityKeyPair::generate(&mut rng(1));
    store
        .save_own_device(&OwnDevice {
            device_id: 4242,
            identity: identity.clone(),
        })
        .unwrap();
    let loaded = store.own_device().unwrap().unwrap();
    assert_eq!(loaded.device_id, 4242);
    assert_eq!(loaded.identity.seed(), identity.seed());
}

/// Prekeys: save, load, list in id order, remove (twice is fine).
pub fn prekeys<S: OmemoStore>(mut store: S) {
    let mut r = rng(2);
    for id in [3u32, 1, 2] {
        store
            .save_prekey(&PreKey {
                id,
                key_pair: KeyPair::generate(&mut r),
            })
            .unwrap();
    }
    let ids: Vec<u32> = store.prekeys().unwrap().iter().map(|p| p.id).collect();
    assert_eq!(ids, vec![1, 2, 3]);
    let two = store.load_prekey(2).unwrap().unwrap();
    assert_eq!(
        KeyPair::from_private(*two.key_pair.private()).public(),
        two.key_pair.public()
    );
    store.remove_prekey(2).unwrap();
    store.remove_prekey(2).unwrap();
    assert!(store.load_prekey(2).unwrap().is_none());
    assert_eq!(store.prekeys().unwrap().len(), 2);
}

/// Signed prekeys keep their id, key and creation time.
pub fn signed_prekeys<S: OmemoStore>(mut store: S) {
    let mut r = rng(3);
    let a = SignedPreKey::generate(7, 1000, &mut r);
    let b = SignedPreKey::generate(8, 2000, &mut r);
    store.save_signed_prekey(&b).unwrap();
    store.save_signed_prekey(&a).unwrap();
    let all = store.signed_prekeys().unwrap();
    assert_eq!(all.iter().map(|s| s.id).collect::<Vec<_>>(), vec![7, 8]);
    let loaded = store.load_signed_prekey(7).unwrap().unwrap();
    assert_eq!(loaded.created_at, 1000);
    assert_eq!(loaded.key_pair.public(), a.key_pair.public());
    store.remove_signed_prekey(7).unwrap();
    assert!(store.load_signed_prekey(7).unwrap().is_none());
}

/// Sessions are kept per namespace and device, and a loaded session goes on
/// working exactly where the saved one was.
pub fn sessions<S: OmemoStore>(mut store: S) {
    let mut r = rng(4);
    let alice = IdentityKeyPair::generate(&mut r);
    let bob = IdentityKeyPair::generate(&mut r);
    let spk = SignedPreKey::generate(1, 0, &mut r);
    let pk = PreKey {
        id: 1,
        key_pair: KeyPair::generate(&mut r),
    };
    let bundle = Bundle::own(Namespace::Omemo2, 2, &bob, &spk, std::slice::from_ref(&pk));
    let mut session = crate::initiate(&alice, &bundle, &mut r).unwrap();
    let (first, _) = session.encrypt(b"one").unwrap();
    let addr = DeviceAddress::new("bob@example.org", 2);
    store
        .save_session(Namespace::Omemo2, &addr, &session)
        .unwrap();
    assert!(
        store
            .load_session(Namespace::Legacy, &addr)
            .unwrap()
            .is_none(),
        "sessions are per namespace"
    );
    assert!(
        store
            .load_session(Namespace::Omemo2, &DeviceAddress::new("bob@example.org", 3))
            .unwrap()
            .is_none(),
        "sessions are per device"
    );
    let mut loaded = store
        .load_session(Namespace::Omemo2, &addr)
        .unwrap()
        .unwrap();
    let (second, kex) = loaded.encrypt(b"two").unwrap();
    assert!(kex, "the pending key exchange survives storage");
    let (mut expected, _) = session.encrypt(b"two").unwrap();
    assert_eq!(
        second,
        std::mem::take(&mut expected),
        "a loaded session continues identically"
    );
    assert_ne!(first, second);

    // The responder side, with skipped keys, survives as well.
    let mut bob_store = crate::store::MemoryStore::new();
    use super::{PreKeyStore, SignedPreKeyStore};
    bob_store.save_signed_prekey(&spk).unwrap();
    bob_store.save_prekey(&pk).unwrap();
    let message = crate::EncryptedMessage {
        namespace: Namespace::Omemo2,
        sender_device_id: 1,
        iv: None,
        payload: None,
        keys: vec![crate::KeyElement {
            jid: "bob@example.org".into(),
            device_id: 2,
            data: second,
            key_exchange: true,
        }],
    };
    let d = crate::decrypt(
        &bob,
        "bob@example.org",
        2,
        &message,
        None,
        &bob_store,
        0,
        &Limits::default(),
        &mut r,
    )
    .unwrap();
    assert_eq!(d.session.skipped_keys(), 1);
    let alice_addr = DeviceAddress::new("alice@example.org", 1);
    store
        .save_session(Namespace::Omemo2, &alice_addr, &d.session)
        .unwrap();
    let back = store
        .load_session(Namespace::Omemo2, &alice_addr)
        .unwrap()
        .unwrap();
    assert_eq!(back.skipped_keys(), 1);
    assert_eq!(back.to_bytes(), d.session.to_bytes());

    store.delete_session(Namespace::Omemo2, &addr).unwrap();
    assert!(
        store
            .load_session(Namespace::Omemo2, &addr)
            .unwrap()
            .is_none()
    );
}

/// Device lists are per namespace and JID, replaced whole, ordered by id.
pub fn device_lists<S: OmemoStore>(mut store: S) {
    let jid = "carol@example.org";
    assert!(
        store
            .device_list(Namespace::Legacy, jid)
            .unwrap()
            .is_empty()
    );
    let entries = vec![
        DeviceEntry {
            device_id: 9,
            active: true,
            label: Some("phone".into()),
        },
        DeviceEntry {
            device_id: 3,
            active: false,
            label: None,
        },
    ];
    store
        .save_device_list(Namespace::Legacy, jid, &entries)
        .unwrap();
    let loaded = store.device_list(Namespace::Legacy, jid).unwrap();
    assert_eq!(
        loaded.iter().map(|d| d.device_id).collect::<Vec<_>>(),
        vec![3, 9]
    );
    assert_eq!(loaded[1].label.as_deref(), Some("phone"));
    assert!(!loaded[0].active);
    assert!(
        store
            .device_list(Namespace::Omemo2, jid)
            .unwrap()
            .is_empty()
    );
    store
        .save_device_list(Namespace::Legacy, jid, &entries[..1])
        .unwrap();
    assert_eq!(store.device_list(Namespace::Legacy, jid).unwrap().len(), 1);
}

/// Trust is per JID and identity key, and can be changed.
pub fn trust<S: OmemoStore>(mut store: S) {
    let (a, b) = ([1u8; 32], [2u8; 32]);
    assert!(store.trust("dave@example.org", &a).unwrap().is_none());
    store
        .set_trust("dave@example.org", &a, TrustLevel::Blind)
        .unwrap();
    store
        .set_trust("dave@example.org", &b, TrustLevel::Verified)
        .unwrap();
    store
        .set_trust("erin@example.org", &a, TrustLevel::Distrusted)
        .unwrap();
    assert_eq!(
        store.trust("dave@example.org", &a).unwrap(),
        Some(TrustLevel::Blind)
    );
    store
        .set_trust("dave@example.org", &a, TrustLevel::Distrusted)
        .unwrap();
    assert_eq!(
        store.trusted_identities("dave@example.org").unwrap(),
        vec![(a, TrustLevel::Distrusted), (b, TrustLevel::Verified)]
    );
}

/// Generates one `#[test]` per conformance check, each with a fresh store
/// made by the given expression.
#[macro_export]
macro_rules! omemo_store_conformance {
    ($make:expr) => {
        #[test]
        fn omemo_store_own_device() {
            $crate::store::conformance::own_device($make);
        }
        #[test]
        fn omemo_store_prekeys() {
            $crate::store::conformance::prekeys($make);
        }
        #[test]
        fn omemo_store_signed_prekeys() {
            $crate::store::conformance::signed_prekeys($make);
        }
        #[test]
        fn omemo_store_sessions() {
            $crate::store::conformance::sessions($make);
        }
        #[test]
        fn omemo_store_device_lists() {
            $crate::store::conformance::device_lists($make);
        }
        #[test]
        fn omemo_store_trust() {
            $crate::store::conformance::trust($make);
        }
    };
}

#[cfg(test)]
mod memory {
    crate::omemo_store_conformance!(crate::store::MemoryStore::new());
}
