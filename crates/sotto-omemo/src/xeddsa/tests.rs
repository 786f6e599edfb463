// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

#![allow(clippy::unwrap_used)]

use rand_chacha::ChaCha20Rng;
use rand_core::{RngCore, SeedableRng};

use super::*;
use crate::keys::{IdentityKeyPair, KeyPair};

#[test]
fn spec_signatures_verify_and_carry_sign_zero() {
    let mut rng = ChaCha20Rng::seed_from_u64(1);
    for _ in 0..32 {
        let kp = KeyPair::generate(&mut rng);
        let mut z = [0u8; 64];
        rng.fill_bytes(&mut z);
        let sig = sign(kp.private(), b"message", &z);
        assert_eq!(sig[63] & 0x80, 0);
        assert!(verify(kp.public(), b"message", &sig));
        assert!(!verify(kp.public(), b"messagf", &sig));
    }
}

#[test]
fn legacy_signatures_verify_with_both_sign_bits() {
    let mut rng = ChaCha20Rng::seed_from_u64(2);
    let (mut seen0, mut seen1) = (false, false);
    for _ in 0..64 {
        let id = IdentityKeyPair::generate(&mut rng);
        let sig = id.sign_legacy(b"spk");
        let bit = sig[63] >> 7;
        assert_eq!(bit, id.ed25519_public()[31] >> 7);
        if bit == 0 {
            seen0 = true;
        } else {
            seen1 = true;
        }
        assert!(verify(&id.curve25519_public(), b"spk", &sig));
        // Flipping the sign bit must break it: the sign really is used.
        let mut flipped = sig;
        flipped[63] ^= 0x80;
        assert!(!verify(&id.curve25519_public(), b"spk", &flipped));
        assert!(verify_ed25519(
            &id.ed25519_public(),
            b"spk",
            &id.sign_ed25519(b"spk")
        ));
    }
    assert!(seen0 && seen1, "both sign bits exercised");
}

#[test]
fn identity_dh_agrees_between_forms() {
    let mut rng = ChaCha20Rng::seed_from_u64(3);
    let id = IdentityKeyPair::generate(&mut rng);
    let other = KeyPair::generate(&mut rng);
    let a = crate::keys::dh(&id.curve25519_private(), other.public());
    let b = other.dh(&crate::keys::ed25519_to_curve25519(&id.ed25519_public()).unwrap());
    assert_eq!(*a, *b);
}
