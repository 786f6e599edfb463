// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! XEdDSA (Signal's "The XEdDSA and VXEdDSA Signature Schemes", rev. 1) over
//! Curve25519, and the legacy verification rule for real bundles.
//!
//! Why not the spec's verification alone: libsignal-era clients sign with
//! their Ed25519 key and put its sign bit into the top bit of `sig[63]`
//! (unused, since `s < 2^253`). The spec assumes sign 0. Verifying with the
//! sign taken from the signature accepts both kinds: spec XEdDSA signatures
//! carry bit 0 and a public key of sign 0.

use curve25519_dalek::{
    constants::ED25519_BASEPOINT_TABLE, montgomery::MontgomeryPoint, scalar::Scalar,
};
use ed25519_dalek::{Signature, VerifyingKey};
use sha2::{Digest, Sha512};
use zeroize::Zeroizing;

/// Signs `message` with a Curve25519 private key, per the XEdDSA spec
/// (`random` is the 64 random bytes Z).
pub fn sign(curve_private: &[u8; 32], message: &[u8], random: &[u8; 64]) -> [u8; 64] {
    let k = Scalar::from_bytes_mod_order(clamp(curve_private));
    let e = &k * ED25519_BASEPOINT_TABLE;
    let mut a_bytes = e.compress().to_bytes();
    let a = if a_bytes[31] & 0x80 != 0 { -k } else { k };
    a_bytes[31] &= 0x7f;

    // hash_1(a || M || Z): the prefix is 2^256 - 1 - 1, little endian.
    let mut prefix = [0xffu8; 32];
    prefix[0] = 0xfe;
    let a_enc = Zeroizing::new(a.to_bytes());
    let r = Scalar::from_hash(
        Sha512::new()
            .chain_update(prefix)
            .chain_update(a_enc.as_ref())
            .chain_update(message)
            .chain_update(random),
    );
    let big_r = (&r * ED25519_BASEPOINT_TABLE).compress().to_bytes();
    let h = Scalar::from_hash(
        Sha512::new()
            .chain_update(big_r)
            .chain_update(a_bytes)
            .chain_update(message),
    );
    let s = r + h * a;
    let mut sig = [0u8; 64];
    sig[..32].copy_from_slice(&big_r);
    sig[32..].copy_from_slice(&s.to_bytes());
    sig
}

fn clamp(k: &[u8; 32]) -> [u8; 32] {
    let mut k = *k;
    k[0] &= 248;
    k[31] &= 127;
    k[31] |= 64;
    k
}

/// Verifies a signature against a Curve25519 public key, taking the Ed25519
/// sign from the top bit of `sig[63]` (libsignal's rule; spec signatures have 0 there).
pub fn verify(curve_public: &[u8; 32], message: &[u8], signature: &[u8; 64]) -> bool {
    let sign = signature[63] >> 7;
    let mut sig = *signature;
    sig[63] &= 0x7f;
    let Some(edwards) = MontgomeryPoint(*curve_public).to_edwards(sign) else {
        return false;
    };
    verify_ed25519(&edwards.compress().to_bytes(), message, &sig)
}

/// Verifies a plain Ed25519 signature.
pub fn verify_ed25519(public: &[u8; 32], message: &[u8], signature: &[u8; 64]) -> bool {
    let Ok(key) = VerifyingKey::from_bytes(public) else {
        return false;
    };
    key.verify_strict(message, &Signature::from_bytes(signature))
        .is_ok()
}

#[cfg(test)]
mod tests;
