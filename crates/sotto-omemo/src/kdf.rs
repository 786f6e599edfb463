// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! Key derivation: HKDF-SHA-256 and the HMAC chain steps of the Double Ratchet.

use hkdf::Hkdf;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::Namespace;

pub(crate) type HmacSha256 = Hmac<Sha256>;

/// HKDF-SHA-256 with the given salt (empty means 32 zero bytes).
pub(crate) fn hkdf<const N: usize>(salt: &[u8], ikm: &[u8], info: &[u8]) -> Zeroizing<[u8; N]> {
    let zero = [0u8; 32];
    let salt = if salt.is_empty() { &zero[..] } else { salt };
    let mut out = Zeroizing::new([0u8; N]);
    // Expanding at most 255 * 32 bytes cannot fail; N is at most 80 here.
    if Hkdf::<Sha256>::new(Some(salt), ikm)
        .expand(info, out.as_mut())
        .is_err()
    {
        unreachable!("HKDF output of {N} bytes is within the limit");
    }
    out
}

/// HMAC-SHA-256.
pub(crate) fn hmac(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    let mut mac = match <HmacSha256 as Mac>::new_from_slice(key) {
        Ok(mac) => mac,
        Err(_) => unreachable!("HMAC accepts keys of any length"),
    };
    for part in parts {
        mac.update(part);
    }
    mac.finalize().into_bytes().into()
}

/// The root-chain step: `(root, chain) = HKDF(salt = root, ikm = dh)`.
pub(crate) fn kdf_rk(
    namespace: Namespace,
    root: &[u8; 32],
    dh: &[u8; 32],
) -> (Zeroizing<[u8; 32]>, Zeroizing<[u8; 32]>) {
    let out = hkdf::<64>(root, dh, namespace.root_info());
    split(&out)
}

fn split(out: &[u8; 64]) -> (Zeroizing<[u8; 32]>, Zeroizing<[u8; 32]>) {
    let mut a = Zeroizing::new([0u8; 32]);
    let mut b = Zeroizing::new([0u8; 32]);
    a.copy_from_slice(&out[..32]);
    b.copy_from_slice(&out[32..]);
    (a, b)
}

/// The symmetric chain step: next chain key `HMAC(ck, 0x02)`, message key `HMAC(ck, 0x01)`.
pub(crate) fn kdf_ck(ck: &[u8; 32]) -> (Zeroizing<[u8; 32]>, Zeroizing<[u8; 32]>) {
    (
        Zeroizing::new(hmac(ck, &[&[0x02]])),
        Zeroizing::new(hmac(ck, &[&[0x01]])),
    )
}

/// The three keys derived from one message key.
#[derive(Zeroize, ZeroizeOnDrop)]
pub(crate) struct MessageKeys {
    pub enc: [u8; 32],
    pub mac: [u8; 32],
    pub iv: [u8; 16],
}

impl MessageKeys {
    /// `HKDF(zero salt, mk, info) -> enc 32 || mac 32 || iv 16`.
    pub(crate) fn derive(info: &[u8], mk: &[u8; 32]) -> Self {
        let out = hkdf::<80>(&[], mk, info);
        let mut keys = Self {
            enc: [0; 32],
            mac: [0; 32],
            iv: [0; 16],
        };
        keys.enc.copy_from_slice(&out[..32]);
        keys.mac.copy_from_slice(&out[32..64]);
        keys.iv.copy_from_slice(&out[64..]);
        keys
    }
}

/// X3DH: `HKDF(zero salt, 0xFF*32 || DH1..DH4, info)`; the first 32 bytes are the root key.
pub(crate) fn x3dh(namespace: Namespace, dhs: &[&[u8; 32]]) -> Zeroizing<[u8; 32]> {
    let mut ikm = Zeroizing::new(vec![0xffu8; 32]);
    for dh in dhs {
        ikm.extend_from_slice(dh.as_slice());
    }
    let mut root = Zeroizing::new([0u8; 32]);
    match namespace {
        // libsignal derives root ‖ chain; the chain is never used in OMEMO
        // (the responder only ever sends after a DH ratchet step).
        Namespace::Legacy => root.copy_from_slice(&hkdf::<64>(&[], &ikm, b"WhisperText")[..32]),
        Namespace::Omemo2 => root.copy_from_slice(hkdf::<32>(&[], &ikm, b"OMEMO X3DH").as_ref()),
    }
    root
}
