// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! The message-level API: one payload for many devices, repeated and
//! reordered key exchanges, devices that cannot be reached, and prekey
//! bookkeeping, in both namespaces.

#![allow(clippy::unwrap_used)]

use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use sotto_omemo::{
    DeviceAddress, EncryptedMessage, Error, Limits, Namespace, Recipient, device,
    store::{MemoryStore, OwnDevice, PreKeyStore, SessionStore, apply_decrypted},
};

struct Dev {
    jid: &'static str,
    store: MemoryStore,
    me: OwnDevice,
}

fn dev(jid: &'static str, rng: &mut ChaCha20Rng) -> Dev {
    let mut store = MemoryStore::new();
    let me = device::load_or_create(&mut store, 0, rng).unwrap();
    Dev { jid, store, me }
}

fn addr(d: &Dev) -> DeviceAddress {
    DeviceAddress::new(d.jid, d.me.device_id)
}

fn recv(
    to: &mut Dev,
    from: &Dev,
    m: &EncryptedMessage,
    rng: &mut ChaCha20Rng,
) -> Result<Option<Vec<u8>>, Error> {
    let ns = m.namespace;
    let session = to.store.load_session(ns, &addr(from)).unwrap();
    let d = sotto_omemo::decrypt(
        &to.me.identity,
        to.jid,
        to.me.device_id,
        m,
        session.as_ref(),
        &to.store,
        0,
        &Limits::default(),
        rng,
    )?;
    apply_decrypted(&mut to.store, ns, &addr(from), &d).unwrap();
    Ok(d.plaintext)
}

fn send(
    from: &mut Dev,
    to: &[&Dev],
    body: Option<&[u8]>,
    ns: Namespace,
    rng: &mut ChaCha20Rng,
) -> EncryptedMessage {
    let recipients = to
        .iter()
        .map(|d| {
            let session = from.store.load_session(ns, &addr(d)).unwrap();
            Recipient {
                address: addr(d),
                bundle: session
                    .is_none()
                    .then(|| device::own_bundle(&d.store, ns).unwrap()),
                session,
            }
        })
        .collect();
    let out = sotto_omemo::encrypt(
        ns,
        &from.me.identity,
        from.me.device_id,
        recipients,
        body,
        rng,
    )
    .unwrap();
    assert!(out.failures.is_empty());
    for (a, s) in &out.sessions {
        from.store.save_session(ns, a, s).unwrap();
    }
    out.message
}

#[test]
fn one_payload_for_many_devices() {
    for ns in [Namespace::Legacy, Namespace::Omemo2] {
        let mut rng = ChaCha20Rng::seed_from_u64(21);
        let mut alice = dev("alice@example.org", &mut rng);
        let mut bob1 = dev("bob@example.org", &mut rng);
        let mut bob2 = dev("bob@example.org", &mut rng);
        let mut alice2 = dev("alice@example.org", &mut rng);
        let m = send(
            &mut alice,
            &[&bob1, &bob2, &alice2],
            Some(b"to all"),
            ns,
            &mut rng,
        );
        assert_eq!(m.keys.len(), 3);
        assert!(m.keys.iter().all(|k| k.key_exchange));
        for d in [&mut bob1, &mut bob2, &mut alice2] {
            assert_eq!(
                recv(d, &alice, &m, &mut rng).unwrap().as_deref(),
                Some(&b"to all"[..])
            );
            assert_eq!(d.store.prekeys().unwrap().len(), device::PREKEY_COUNT - 1);
        }
        // An empty message to all of them ends the key exchanges on their side; answers end ours.
        let e = send(&mut bob1, &[&alice], None, ns, &mut rng);
        assert!(e.payload.is_none());
        assert_eq!(recv(&mut alice, &bob1, &e, &mut rng).unwrap(), None);
        let m = send(&mut alice, &[&bob1, &bob2], Some(b"again"), ns, &mut rng);
        let kex: Vec<bool> = m.keys.iter().map(|k| k.key_exchange).collect();
        assert_eq!(kex, vec![false, true], "only bob1 has answered");
    }
}

#[test]
fn unreachable_devices_are_reported_not_fatal() {
    let mut rng = ChaCha20Rng::seed_from_u64(22);
    let alice = dev("alice@example.org", &mut rng);
    let bob = dev("bob@example.org", &mut rng);
    let mut bad = device::own_bundle(&bob.store, Namespace::Legacy).unwrap();
    bad.spk_signature[5] ^= 1;
    let empty = {
        let mut b = device::own_bundle(&bob.store, Namespace::Omemo2).unwrap();
        b.prekeys.clear();
        b
    };
    let out = sotto_omemo::encrypt(
        Namespace::Legacy,
        &alice.me.identity,
        alice.me.device_id,
        vec![
            Recipient {
                address: DeviceAddress::new("x@example.org", 1),
                session: None,
                bundle: None,
            },
            Recipient {
                address: DeviceAddress::new("y@example.org", 2),
                session: None,
                bundle: Some(bad),
            },
            Recipient {
                address: DeviceAddress::new("z@example.org", 3),
                session: None,
                bundle: Some(empty),
            },
            Recipient {
                address: addr(&bob),
                session: None,
                bundle: Some(device::own_bundle(&bob.store, Namespace::Legacy).unwrap()),
            },
        ],
        Some(b"hi"),
        &mut rng,
    )
    .unwrap();
    assert_eq!(out.message.keys.len(), 1);
    let errors: Vec<String> = out.failures.iter().map(|(_, e)| format!("{e:?}")).collect();
    assert!(
        matches!(out.failures[0].1, Error::NoSession { device_id: 1 }),
        "{errors:?}"
    );
    assert!(
        matches!(out.failures[1].1, Error::BadBundleSignature { .. }),
        "{errors:?}"
    );
    // A bundle of the other namespace does not count.
    assert!(
        matches!(out.failures[2].1, Error::NoSession { device_id: 3 }),
        "{errors:?}"
    );
}

#[test]
fn repeated_and_reordered_key_exchanges() {
    for ns in [Namespace::Legacy, Namespace::Omemo2] {
        let mut rng = ChaCha20Rng::seed_from_u64(23);
        let mut alice = dev("alice@example.org", &mut rng);
        let mut bob = dev("bob@example.org", &mut rng);
        let m1 = send(&mut alice, &[&bob], Some(b"1"), ns, &mut rng);
        let m2 = send(&mut alice, &[&bob], Some(b"2"), ns, &mut rng);
        let m3 = send(&mut alice, &[&bob], Some(b"3"), ns, &mut rng);
        assert!(
            m3.keys[0].key_exchange,
            "until bob answers, every message carries the key exchange"
        );
        // The second arrives first: it builds the session and uses the prekey.
        assert_eq!(
            recv(&mut bob, &alice, &m2, &mut rng).unwrap().as_deref(),
            Some(&b"2"[..])
        );
        let left = bob.store.prekeys().unwrap().len();
        // The others reuse that session (same base key): no second prekey used.
        assert_eq!(
            recv(&mut bob, &alice, &m1, &mut rng).unwrap().as_deref(),
            Some(&b"1"[..])
        );
        assert_eq!(
            recv(&mut bob, &alice, &m3, &mut rng).unwrap().as_deref(),
            Some(&b"3"[..])
        );
        assert_eq!(bob.store.prekeys().unwrap().len(), left);
        assert!(matches!(
            recv(&mut bob, &alice, &m1, &mut rng),
            Err(Error::Duplicate)
        ));
        // A normal message without a session: NoSession.
        let mut carol = dev("carol@example.org", &mut rng);
        let r = send(&mut bob, &[&alice], Some(b"r"), ns, &mut rng);
        assert!(matches!(
            recv(&mut carol, &bob, &r, &mut rng),
            Err(Error::NotForThisDevice { .. })
        ));
        let mut to_carol = r.clone();
        to_carol.keys[0].device_id = carol.me.device_id;
        to_carol.keys[0].jid = carol.jid.into();
        assert!(matches!(
            recv(&mut carol, &bob, &to_carol, &mut rng),
            Err(Error::NoSession { .. })
        ));
        assert_eq!(
            recv(&mut alice, &bob, &r, &mut rng).unwrap().as_deref(),
            Some(&b"r"[..])
        );
    }
}

mod arbitrary_input {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]

        /// Whatever arrives in a `<key>` or `<payload>`, decryption returns an
        /// error (never panics) and there is no state to save.
        #[test]
        fn garbage_is_an_error(
            omemo2 in any::<bool>(),
            kex in any::<bool>(),
            data in proptest::collection::vec(any::<u8>(), 0..200),
            payload in proptest::option::of(proptest::collection::vec(any::<u8>(), 0..64)),
            iv in proptest::option::of(proptest::collection::vec(any::<u8>(), 0..20)),
        ) {
            let ns = if omemo2 { Namespace::Omemo2 } else { Namespace::Legacy };
            let mut rng = ChaCha20Rng::seed_from_u64(5);
            let mut bob = dev("bob@example.org", &mut rng);
            let alice = dev("alice@example.org", &mut rng);
            let m = EncryptedMessage {
                namespace: ns,
                sender_device_id: alice.me.device_id,
                iv,
                payload,
                keys: vec![sotto_omemo::KeyElement {
                    jid: bob.jid.into(),
                    device_id: bob.me.device_id,
                    data,
                    key_exchange: kex,
                }],
            };
            prop_assert!(recv(&mut bob, &alice, &m, &mut rng).is_err());
            prop_assert_eq!(bob.store.prekeys().unwrap().len(), device::PREKEY_COUNT);
        }

        /// Stored sessions and bundles read from arbitrary bytes fail cleanly.
        #[test]
        fn garbage_records_are_errors(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
            let _ = sotto_omemo::Session::from_bytes(&bytes);
            let sig = [0u8; 64];
            let _ = sotto_omemo::Bundle::from_wire(Namespace::Legacy, 1, &bytes, 1, &bytes, &sig, &[(1, bytes.clone())]);
        }
    }
}

#[test]
fn prekeys_are_replenished_and_signed_prekeys_rotate() {
    use sotto_omemo::store::SignedPreKeyStore;
    let mut rng = ChaCha20Rng::seed_from_u64(24);
    let mut alice = dev("alice@example.org", &mut rng);
    let mut bob = dev("bob@example.org", &mut rng);
    let m = send(&mut alice, &[&bob], Some(b"x"), Namespace::Omemo2, &mut rng);
    recv(&mut bob, &alice, &m, &mut rng).unwrap();
    let before = device::own_bundle(&bob.store, Namespace::Omemo2).unwrap();
    assert_eq!(before.prekeys.len(), device::PREKEY_COUNT - 1);
    let added = device::replenish_prekeys(&mut bob.store, &mut rng).unwrap();
    assert_eq!(added.len(), 1);
    assert_eq!(added[0].id, 101, "new ids go above the highest in use");
    assert_eq!(bob.store.prekeys().unwrap().len(), device::PREKEY_COUNT);

    // Rotation: nothing before the period, a new current key after it, the
    // old one kept for the grace period (sessions started from it still
    // complete), then removed.
    let day = 24 * 3600;
    assert!(
        !device::rotate_signed_prekey(&mut bob.store, 6 * day, 7 * day, 30 * day, &mut rng)
            .unwrap()
    );
    assert!(
        device::rotate_signed_prekey(&mut bob.store, 8 * day, 7 * day, 30 * day, &mut rng).unwrap()
    );
    let after = device::own_bundle(&bob.store, Namespace::Omemo2).unwrap();
    assert_eq!(after.spk_id, 2);
    after.verify().unwrap();
    let mut carol = dev("carol@example.org", &mut rng);
    let late = sotto_omemo::encrypt(
        Namespace::Omemo2,
        &carol.me.identity,
        carol.me.device_id,
        vec![Recipient {
            address: addr(&bob),
            session: None,
            bundle: Some(before),
        }],
        Some(b"from the old bundle"),
        &mut rng,
    )
    .unwrap();
    carol
        .store
        .save_session(Namespace::Omemo2, &addr(&bob), &late.sessions[0].1)
        .unwrap();
    assert_eq!(
        recv(&mut bob, &carol, &late.message, &mut rng)
            .unwrap()
            .as_deref(),
        Some(&b"from the old bundle"[..])
    );
    assert!(
        device::rotate_signed_prekey(&mut bob.store, 40 * day, 7 * day, 30 * day, &mut rng)
            .unwrap()
    );
    let ids: Vec<u32> = bob
        .store
        .signed_prekeys()
        .unwrap()
        .iter()
        .map(|s| s.id)
        .collect();
    assert_eq!(
        ids,
        vec![2, 3],
        "the first one is gone after period + grace"
    );
}
