// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

#![allow(clippy::unwrap_used)]

use super::*;
use crate::testutil::{keys, rng};

#[test]
fn generated_key_has_libotr_sizes_and_signs() {
    let k = &keys()[0];
    assert_eq!(k.public.p.bits(), 1024);
    assert_eq!(k.public.q.bits(), 160);
    let hash = [7u8; 32];
    let sig = k.sign(&hash, &mut rng(9));
    assert_eq!(sig.len(), 40);
    k.public_key().verify(&hash, &sig).unwrap();
    // Every bit of the 32-byte hash counts (libgcrypt takes it mod q).
    let mut other = hash;
    other[31] ^= 1;
    assert_eq!(
        k.public_key().verify(&other, &sig),
        Err(Error::BadSignature)
    );
    assert!(keys()[1].public_key().verify(&hash, &sig).is_err());
}

#[test]
fn storage_round_trip_keeps_fingerprint() {
    let k = &keys()[0];
    let bytes = k.to_bytes();
    let back = PrivateKey::from_bytes(&bytes).unwrap();
    assert_eq!(back.fingerprint(), k.fingerprint());
    assert!(PrivateKey::from_bytes(&bytes[..bytes.len() - 1]).is_err());
    let mut bad = bytes.to_vec();
    let last = bad.len() - 1;
    bad[last] ^= 1;
    assert!(PrivateKey::from_bytes(&bad).is_err());
    assert!(PrivateKey::from_bytes(&[]).is_err());
}

#[test]
fn public_key_encoding_and_fingerprint() {
    let pk = keys()[1].public_key();
    let enc = pk.to_otr_bytes();
    assert_eq!(&enc[..2], &[0, 0]);
    assert_eq!(PublicKey::from_otr_bytes(&enc).unwrap(), *pk);
    // Fingerprint hashes the encoding without the type field.
    assert_eq!(
        pk.fingerprint().0,
        <[u8; 20]>::from(Sha1::digest(&enc[2..]))
    );
    assert!(PublicKey::from_otr_bytes(&enc[..enc.len() - 3]).is_err());
}

#[test]
fn fingerprint_human_form() {
    let f = Fingerprint([
        0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11,
    ]);
    assert_eq!(
        f.to_string(),
        "12345678 9ABCDEF0 00010203 04050607 08090A0B"
    );
    assert_eq!(f.to_hex(), "123456789abcdef0000102030405060708090a0b");
    assert_eq!(Fingerprint::from_hex(&f.to_string()).unwrap(), f);
    assert_eq!(f.to_hex().parse::<Fingerprint>().unwrap(), f);
    assert!(Fingerprint::from_hex("1234").is_err());
    assert!(Fingerprint::from_hex(&"zz".repeat(20)).is_err());
    assert!(!format!("{:?}", keys()[0]).contains("x:"));
}

/// Signatures made by libotr 4.1.1 (`otrl_privkey_sign` over 32 bytes of
/// 0x3f and of 0xc5) with the first key of `pidgin/testdata/otr.private_key`.
#[test]
fn verifies_libotr_signatures() {
    let text = include_str!("../pidgin/testdata/otr.private_key");
    let keys = crate::parse_private_keys(text).unwrap();
    let pk = keys[0].key.public_key();
    for (byte, sig) in [
        (
            0x3f,
            "53caf7a5578a6a3bcda4886c26a722c2de44862604904ce08216fe49373c1403145bb39bf697667f",
        ),
        (
            0xc5,
            "803d0e9dede805aa05c987b100f2bdfcbd3a0f12269e826900f4b8cc3d50df46f3b06901bcb9c970",
        ),
    ] {
        let sig: Vec<u8> = (0..40)
            .map(|i| u8::from_str_radix(&sig[2 * i..2 * i + 2], 16).unwrap())
            .collect();
        pk.verify(&[byte; 32], &sig).unwrap();
        assert!(pk.verify(&[byte ^ 1; 32], &sig).is_err());
    }
}

/// A key whose numbers are `key`'s with one replaced, OTR-encoded.
fn encoded_with(key: &PublicKey, which: usize, v: &BigUint) -> Vec<u8> {
    let mut nums = [&key.p, &key.q, &key.g, &key.y].map(Clone::clone);
    nums[which] = v.clone();
    let mut w = Writer::new();
    w.short(PUBKEY_TYPE_DSA);
    for n in &nums {
        w.mpi(n);
    }
    w.finish()
}

/// Adversarial: a peer's key with a q or p larger (or smaller) than libotr's
/// is refused when read, before any exponentiation; verifying a signature
/// under a 2-Mbit q once cost over a minute of CPU.
#[test]
fn dsa_key_of_other_sizes_is_rejected() {
    let k = keys()[0].public_key();
    let one = BigUint::from(1u8);
    let cases = [
        (1, &k.q << 1u8),                      // 161-bit q
        (1, &k.q >> 1u8),                      // 159-bit q
        (1, (&one << (8 * 256 * 1024)) - 1u8), // 2-Mbit q
        (0, &k.p << 1u8),                      // 1025-bit p
        (0, (&one << 2047u32) + 1u8),          // 2048-bit p
        (0, (&one << 4095u32) + 1u8),          // 4096-bit p
    ];
    for (which, v) in cases {
        let bytes = encoded_with(k, which, &v);
        assert!(matches!(
            PublicKey::from_otr_bytes(&bytes),
            Err(Error::Key { .. })
        ));
    }
    // The libotr-sized key itself still reads.
    assert_eq!(PublicKey::from_otr_bytes(&k.to_otr_bytes()).as_ref(), Ok(k));
}

/// The FIPS 186 sizes of Java-based clients (otr4j) read; a q of the right
/// size that divides p - 1 is all the structure the check asks for.
#[test]
fn dsa_keys_of_the_larger_standard_sizes_read() {
    let one = BigUint::from(1u8);
    for (p_bits, q_bits) in [(2048u32, 224u32), (2048, 256), (3072, 256)] {
        let q = (&one << (q_bits - 1)) + 1u8;
        let p = (&q << (p_bits - q_bits)) + 1u8;
        assert_eq!(p.bits(), u64::from(p_bits));
        let g = BigUint::from(4u8);
        let y = BigUint::from(9u8);
        let mut w = Writer::new();
        w.short(0);
        for n in [&p, &q, &g, &y] {
            w.mpi(n);
        }
        let bytes = w.finish();
        assert!(
            PublicKey::from_otr_bytes(&bytes).is_ok(),
            "{p_bits}/{q_bits} refused"
        );
        // The same p with a q one bit longer is not a standard size.
        let mut w = Writer::new();
        w.short(0);
        let wide = &q << 1u8;
        for n in [&p, &wide, &g, &y] {
            w.mpi(n);
        }
        assert!(PublicKey::from_otr_bytes(&w.finish()).is_err());
    }
}

/// Adversarial: a q of the right size that does not divide p - 1 is not a
/// DSA key.
#[test]
fn dsa_q_not_dividing_p_minus_1_is_rejected() {
    let k = keys()[0].public_key();
    let other_q = keys()[1].public_key().q.clone();
    let bytes = encoded_with(k, 1, &other_q);
    assert!(matches!(
        PublicKey::from_otr_bytes(&bytes),
        Err(Error::Key { .. })
    ));
}
