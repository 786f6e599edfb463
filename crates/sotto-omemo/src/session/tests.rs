// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

#![allow(clippy::unwrap_used)]

//! Ratchet tests: both namespaces, out-of-order delivery, loss, limits,
//! expiry, and messages that must leave the session untouched.

use proptest::prelude::*;
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

use crate::{
    Bundle, Error, IdentityKeyPair, Limits, Namespace, Session,
    keys::{KeyPair, PreKey, SignedPreKey},
    wire, x3dh,
};

const NAMESPACES: [Namespace; 2] = [Namespace::Legacy, Namespace::Omemo2];

/// Alice's session (initiator) and Bob's (responder, after Alice's first message).
fn pair(ns: Namespace, seed: u64) -> (Session, Session, ChaCha20Rng) {
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    let alice = IdentityKeyPair::generate(&mut rng);
    let bob = IdentityKeyPair::generate(&mut rng);
    let spk = SignedPreKey::generate(1, 0, &mut rng);
    let pk = PreKey {
        id: 5,
        key_pair: KeyPair::generate(&mut rng),
    };
    let bundle = Bundle::own(ns, 2, &bob, &spk, std::slice::from_ref(&pk));
    let mut a = x3dh::initiate(&alice, &bundle, &mut rng).unwrap();
    let (first, kex) = a.encrypt(b"hello").unwrap();
    assert!(kex);
    let (k, inner) = wire::unwrap_key_exchange(ns, &first).unwrap();
    assert_eq!((k.pk_id, k.spk_id), (5, 1));
    let b0 = x3dh::respond(ns, &bob, &k, &spk, &pk).unwrap();
    let (b, pt) = b0.decrypt(&inner, 0, &Limits::default(), &mut rng).unwrap();
    assert_eq!(pt, b"hello");
    (a, b, rng)
}

fn send(s: &mut Session, pt: &[u8]) -> Vec<u8> {
    let (bytes, kex) = s.encrypt(pt).unwrap();
    if kex {
        wire::unwrap_key_exchange(s.namespace, &bytes).unwrap().1
    } else {
        bytes
    }
}

fn recv(s: &mut Session, msg: &[u8], now: u64, rng: &mut ChaCha20Rng) -> Result<Vec<u8>, Error> {
    let (next, pt) = s.decrypt(msg, now, &Limits::default(), rng)?;
    *s = next;
    Ok(pt)
}

#[test]
fn conversation_both_ways_with_ratchet_steps() {
    for ns in NAMESPACES {
        let (mut a, mut b, mut rng) = pair(ns, 1);
        assert!(a.has_pending_key_exchange());
        for round in 0..5u8 {
            let m = send(&mut b, &[round; 3]);
            assert_eq!(recv(&mut a, &m, 0, &mut rng).unwrap(), [round; 3]);
            assert!(
                !a.has_pending_key_exchange(),
                "an answer ends the key exchange"
            );
            let m = send(&mut a, &[round + 100]);
            assert_eq!(recv(&mut b, &m, 0, &mut rng).unwrap(), [round + 100]);
        }
        let (_, kex) = a.encrypt(b"x").unwrap();
        assert!(!kex);
    }
}

#[test]
fn replay_and_corruption_leave_the_session_untouched() {
    for ns in NAMESPACES {
        let (mut a, mut b, mut rng) = pair(ns, 2);
        let m1 = send(&mut a, b"one");
        let before = b.to_bytes();
        let mut bad = m1.clone();
        let last = bad.len() - 1;
        bad[last] ^= 1;
        assert!(matches!(
            recv(&mut b, &bad, 0, &mut rng),
            Err(Error::Corrupted(_))
        ));
        let mut bad = m1.clone();
        let mid = bad.len() / 2;
        bad[mid] ^= 0x40;
        assert!(recv(&mut b, &bad, 0, &mut rng).is_err());
        assert!(recv(&mut b, b"\x33garbage", 0, &mut rng).is_err());
        assert_eq!(b.to_bytes(), before, "{ns:?}: failures change nothing");
        assert_eq!(recv(&mut b, &m1, 0, &mut rng).unwrap(), b"one");
        let after = b.to_bytes();
        assert!(matches!(
            recv(&mut b, &m1, 0, &mut rng),
            Err(Error::Duplicate)
        ));
        assert_eq!(b.to_bytes(), after);
        // Still usable both ways.
        let r = send(&mut b, b"reply");
        assert_eq!(recv(&mut a, &r, 0, &mut rng).unwrap(), b"reply");
        let m2 = send(&mut a, b"two");
        assert_eq!(recv(&mut b, &m2, 0, &mut rng).unwrap(), b"two");
        // A message of an old chain, replayed after a ratchet step.
        assert!(matches!(
            recv(&mut b, &m1, 0, &mut rng),
            Err(Error::Duplicate)
        ));
    }
}

#[test]
fn out_of_order_and_lost_messages() {
    for ns in NAMESPACES {
        let (mut a, mut b, mut rng) = pair(ns, 3);
        let msgs: Vec<Vec<u8>> = (0..10u8).map(|i| send(&mut a, &[i])).collect();
        // 9 first, then 3, lose 5, the rest in reverse.
        assert_eq!(recv(&mut b, &msgs[9], 0, &mut rng).unwrap(), [9]);
        assert_eq!(b.skipped_keys(), 9);
        assert_eq!(recv(&mut b, &msgs[3], 0, &mut rng).unwrap(), [3]);
        for i in [8usize, 7, 6, 4, 2, 1, 0] {
            assert_eq!(recv(&mut b, &msgs[i], 0, &mut rng).unwrap(), [i as u8]);
        }
        assert_eq!(b.skipped_keys(), 1, "only the lost message's key remains");
        // Across a ratchet step: keys of the previous chain stay usable.
        let r = send(&mut b, b"r");
        recv(&mut a, &r, 0, &mut rng).unwrap();
        let late = send(&mut a, b"new chain");
        assert_eq!(recv(&mut b, &late, 0, &mut rng).unwrap(), b"new chain");
        assert_eq!(recv(&mut b, &msgs[5], 0, &mut rng).unwrap(), [5]);
    }
}

#[test]
fn skipped_key_limits_and_expiry() {
    for ns in NAMESPACES {
        let (mut a, b, mut rng) = pair(ns, 4);
        let limits = Limits {
            max_skip_per_chain: 5,
            max_skipped_total: 8,
            max_skipped_age: 100,
        };
        let msgs: Vec<Vec<u8>> = (0..20u8).map(|i| send(&mut a, &[i])).collect();
        let before = b.to_bytes();
        assert!(matches!(
            b.decrypt(&msgs[7], 0, &limits, &mut rng),
            Err(Error::TooManySkipped {
                needed: 7,
                limit: 5
            })
        ));
        assert_eq!(b.to_bytes(), before);
        let (s, _) = b.decrypt(&msgs[5], 10, &limits, &mut rng).unwrap();
        let (s, _) = s.decrypt(&msgs[11], 20, &limits, &mut rng).unwrap();
        assert_eq!(s.skipped_keys(), 8, "the total is capped, oldest dropped");
        // The oldest (0, 1) were evicted; 2 is still there.
        assert!(s.decrypt(&msgs[0], 20, &limits, &mut rng).is_err());
        let (s2, pt) = s.decrypt(&msgs[2], 20, &limits, &mut rng).unwrap();
        assert_eq!(pt, [2]);
        // Expiry: after max age, skipped keys are gone.
        assert!(s2.decrypt(&msgs[3], 200, &limits, &mut rng).is_err());
        let (s3, _) = s2.decrypt(&msgs[12], 200, &limits, &mut rng).unwrap();
        assert_eq!(s3.skipped_keys(), 0);
    }
}

#[test]
fn storage_encoding_round_trips() {
    for ns in NAMESPACES {
        let (mut a, mut b, mut rng) = pair(ns, 5);
        let m0 = send(&mut a, b"0");
        let m1 = send(&mut a, b"1");
        recv(&mut b, &m1, 0, &mut rng).unwrap();
        let mut restored = Session::from_bytes(&b.to_bytes()).unwrap();
        assert_eq!(restored.to_bytes(), b.to_bytes());
        assert_eq!(recv(&mut restored, &m0, 0, &mut rng).unwrap(), b"0");
        assert!(Session::from_bytes(b"\x08\x02").is_err());
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// Any delivery order of a burst, with any subset lost, decrypts every
    /// delivered message exactly once, in both namespaces.
    #[test]
    fn any_order_any_loss(
        omemo2 in any::<bool>(),
        seed in any::<u64>(),
        order in Just((0..30usize).collect::<Vec<_>>()).prop_shuffle(),
        lost in proptest::collection::vec(any::<bool>(), 30),
        replies in 0usize..3,
    ) {
        let ns = if omemo2 { Namespace::Omemo2 } else { Namespace::Legacy };
        let (mut a, mut b, mut rng) = pair(ns, seed);
        for _ in 0..replies {
            let r = send(&mut b, b"r");
            recv(&mut a, &r, 0, &mut rng).unwrap();
            let q = send(&mut a, b"q");
            recv(&mut b, &q, 0, &mut rng).unwrap();
        }
        let msgs: Vec<Vec<u8>> = (0..30u8).map(|i| send(&mut a, &[i])).collect();
        for &i in &order {
            if lost[i] { continue; }
            prop_assert_eq!(recv(&mut b, &msgs[i], 0, &mut rng).unwrap(), vec![i as u8]);
        }
        for &i in &order {
            if lost[i] { continue; }
            prop_assert!(matches!(recv(&mut b, &msgs[i], 0, &mut rng), Err(Error::Duplicate)));
        }
        let r = send(&mut b, b"after");
        prop_assert_eq!(recv(&mut a, &r, 0, &mut rng).unwrap(), b"after".to_vec());
    }

    /// Flipping any single bit of a message is detected and changes nothing.
    #[test]
    fn any_bit_flip_is_rejected(omemo2 in any::<bool>(), seed in any::<u64>(), bit in any::<proptest::sample::Index>()) {
        let ns = if omemo2 { Namespace::Omemo2 } else { Namespace::Legacy };
        let (mut a, b, mut rng) = pair(ns, seed);
        let m = send(&mut a, b"payload");
        let mut bad = m.clone();
        let i = bit.index(bad.len() * 8);
        bad[i / 8] ^= 1 << (i % 8);
        let before = b.to_bytes();
        let result = b.decrypt(&bad, 0, &Limits::default(), &mut rng);
        // A flip in a protobuf varint may still parse to another counter; it
        // must then fail authentication or hit a limit, never succeed.
        prop_assert!(result.is_err());
        prop_assert_eq!(b.to_bytes(), before);
        prop_assert_eq!(b.decrypt(&m, 0, &Limits::default(), &mut rng).unwrap().1, b"payload".to_vec());
    }
}
