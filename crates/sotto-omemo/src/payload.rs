// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! Payload encryption: what goes in `<payload>`, and the key material that
//! travels through each device's ratchet.
//!
//! Legacy: AES-128-GCM with a 12-byte IV (16-byte IVs of old senders are
//! accepted); key material = key 16 ‖ tag 16, `<payload>` = ciphertext without tag.
//! OMEMO 2: a 32-byte key → HKDF(zero salt, "OMEMO Payload") → enc 32 ‖ auth 32 ‖ IV 16;
//! AES-256-CBC, HMAC-SHA-256 truncated to 16; key material = key 32 ‖ MAC 16.

use aes::{Aes128, Aes256};
use aes_gcm::{
    AesGcm, KeyInit,
    aead::{Aead, Payload, consts::U12, consts::U16},
};
use cbc::cipher::{BlockDecryptMut, BlockEncryptMut, KeyIvInit, block_padding::Pkcs7};
use rand_core::CryptoRng;
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::{
    Error, Namespace, Result,
    kdf::{hkdf, hmac},
};

type Gcm12 = AesGcm<Aes128, U12>;
type Gcm16 = AesGcm<Aes128, U16>;

/// An encrypted payload before it is split into XML elements.
pub struct SealedPayload {
    /// The key material to encrypt for every device (secret).
    pub key_material: Zeroizing<Vec<u8>>,
    /// Legacy only: the IV for `<iv>`.
    pub iv: Option<Vec<u8>>,
    /// The `<payload>` bytes; `None` for an empty (key transport) message.
    pub ciphertext: Option<Vec<u8>>,
}

impl std::fmt::Debug for SealedPayload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SealedPayload")
            .field("key_material_len", &self.key_material.len())
            .field("ciphertext_len", &self.ciphertext.as_ref().map(Vec::len))
            .finish_non_exhaustive()
    }
}

fn payload_keys(key: &[u8]) -> Zeroizing<[u8; 80]> {
    hkdf::<80>(&[], key, b"OMEMO Payload")
}

/// Encrypts a payload, or makes the key material of an empty message.
pub fn seal<R: CryptoRng + ?Sized>(
    namespace: Namespace,
    plaintext: Option<&[u8]>,
    rng: &mut R,
) -> Result<SealedPayload> {
    match namespace {
        Namespace::Legacy => {
            let mut key = Zeroizing::new([0u8; 16]);
            rng.fill_bytes(key.as_mut());
            let mut iv = vec![0u8; 12];
            rng.fill_bytes(&mut iv);
            let Some(plaintext) = plaintext else {
                return Ok(SealedPayload {
                    key_material: Zeroizing::new(key.to_vec()),
                    iv: Some(iv),
                    ciphertext: None,
                });
            };
            let mut sealed = Gcm12::new(key.as_ref().into())
                .encrypt(iv.as_slice().into(), plaintext)
                .map_err(|_| Error::Corrupted("encrypting the payload"))?;
            let tag = sealed.split_off(sealed.len() - 16);
            let mut material = Zeroizing::new(key.to_vec());
            material.extend_from_slice(&tag);
            Ok(SealedPayload {
                key_material: material,
                iv: Some(iv),
                ciphertext: Some(sealed),
            })
        }
        Namespace::Omemo2 => {
            let mut key = Zeroizing::new([0u8; 32]);
            rng.fill_bytes(key.as_mut());
            let Some(plaintext) = plaintext else {
                return Ok(SealedPayload {
                    key_material: Zeroizing::new(key.to_vec()),
                    iv: None,
                    ciphertext: None,
                });
            };
            let keys = payload_keys(key.as_ref());
            let (enc, rest) = keys.split_at(32);
            let (auth, iv) = rest.split_at(32);
            let ciphertext = cbc::Encryptor::<Aes256>::new(enc.into(), iv.into())
                .encrypt_padded_vec_mut::<Pkcs7>(plaintext);
            let mac = hmac(auth, &[&ciphertext]);
            let mut material = Zeroizing::new(key.to_vec());
            material.extend_from_slice(&mac[..16]);
            Ok(SealedPayload {
                key_material: material,
                iv: None,
                ciphertext: Some(ciphertext),
            })
        }
    }
}

/// Decrypts a payload with the key material a ratchet message carried.
pub fn open(
    namespace: Namespace,
    key_material: &[u8],
    iv: Option<&[u8]>,
    ciphertext: &[u8],
) -> Result<Vec<u8>> {
    let bad = || Error::Corrupted("payload authentication failed");
    match namespace {
        Namespace::Legacy => {
            let iv = iv.ok_or(Error::Corrupted("missing IV"))?;
            // Old senders put the tag after the ciphertext and sent a 16-byte key.
            let (key, sealed) = match key_material.len() {
                32 => (
                    &key_material[..16],
                    [ciphertext, &key_material[16..]].concat(),
                ),
                16 => (key_material, ciphertext.to_vec()),
                _ => return Err(Error::Corrupted("bad key material length")),
            };
            let payload = Payload {
                msg: &sealed,
                aad: &[],
            };
            match iv.len() {
                12 => Gcm12::new(key.into()).decrypt(iv.into(), payload),
                16 => Gcm16::new(key.into()).decrypt(iv.into(), payload),
                _ => return Err(Error::Corrupted("bad IV length")),
            }
            .map_err(|_| bad())
        }
        Namespace::Omemo2 => {
            if key_material.len() != 48 {
                return Err(Error::Corrupted("bad key material length"));
            }
            let keys = payload_keys(&key_material[..32]);
            let (enc, rest) = keys.split_at(32);
            let (auth, iv) = rest.split_at(32);
            let mac = hmac(auth, &[ciphertext]);
            if !bool::from(mac[..16].ct_eq(&key_material[32..])) {
                return Err(bad());
            }
            cbc::Decryptor::<Aes256>::new(enc.into(), iv.into())
                .decrypt_padded_vec_mut::<Pkcs7>(ciphertext)
                .map_err(|_| bad())
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use rand_chacha::ChaCha20Rng;
    use rand_core::SeedableRng;

    use super::*;

    #[test]
    fn round_trips_and_empty_messages() {
        let mut rng = ChaCha20Rng::seed_from_u64(1);
        for ns in [Namespace::Legacy, Namespace::Omemo2] {
            let sealed = seal(ns, Some(b"body"), &mut rng).unwrap();
            let ct = sealed.ciphertext.as_deref().unwrap();
            assert_eq!(
                sealed.key_material.len(),
                if ns == Namespace::Legacy { 32 } else { 48 }
            );
            assert_eq!(
                open(ns, &sealed.key_material, sealed.iv.as_deref(), ct).unwrap(),
                b"body"
            );
            let mut bad = ct.to_vec();
            bad[0] ^= 1;
            assert!(open(ns, &sealed.key_material, sealed.iv.as_deref(), &bad).is_err());
            let empty = seal(ns, None, &mut rng).unwrap();
            assert!(empty.ciphertext.is_none());
            assert_eq!(
                empty.key_material.len(),
                if ns == Namespace::Legacy { 16 } else { 32 }
            );
        }
        assert_eq!(
            seal(Namespace::Legacy, Some(b""), &mut rng)
                .unwrap()
                .iv
                .unwrap()
                .len(),
            12
        );
    }

    /// Old legacy senders: a 16-byte IV, and a bare 16-byte key with the tag
    /// after the ciphertext in `<payload>`.
    #[test]
    fn legacy_sixteen_byte_iv_and_tag_in_payload() {
        let key = [7u8; 16];
        let iv = [9u8; 16];
        let sealed = Gcm16::new((&key).into())
            .encrypt((&iv).into(), &b"old client"[..])
            .unwrap();
        assert_eq!(
            open(Namespace::Legacy, &key, Some(&iv), &sealed).unwrap(),
            b"old client"
        );
        let (ct, tag) = sealed.split_at(sealed.len() - 16);
        let material = [&key[..], tag].concat();
        assert_eq!(
            open(Namespace::Legacy, &material, Some(&iv), ct).unwrap(),
            b"old client"
        );
        assert!(open(Namespace::Legacy, &material, Some(&iv[..8]), ct).is_err());
        assert!(open(Namespace::Legacy, &material, None, ct).is_err());
    }
}
