// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! The two ratchet message formats: framing, authentication and the
//! AES-256-CBC encryption of what travels through the ratchet.
//!
//! Legacy: `0x33 || SignalMessage || MAC8`, the MAC over
//! `IK_sender(33) || IK_receiver(33) || 0x33 || SignalMessage`.
//! OMEMO 2: `OMEMOAuthenticatedMessage { mac: 16 bytes, message: OMEMOMessage }`,
//! the MAC over `IK_initiator || IK_responder || OMEMOMessage` (the X3DH
//! associated data, fixed per session).

use aes::Aes256;
use cbc::cipher::{BlockDecryptMut, BlockEncryptMut, KeyIvInit, block_padding::Pkcs7};
use prost::Message as _;
use subtle::ConstantTimeEq;

use crate::{
    Error, Namespace, Result,
    kdf::{MessageKeys, hmac},
    keys::{legacy_decode, legacy_encode, raw_key},
    proto,
};

/// The legacy message version byte: current version 3, minimum version 3.
pub const LEGACY_VERSION: u8 = 0x33;
const LEGACY_MAC_LEN: usize = 8;
const OMEMO2_MAC_LEN: usize = 16;

/// A ratchet header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Header {
    pub dh: [u8; 32],
    pub n: u32,
    pub pn: u32,
}

/// A received ratchet message, parsed but not yet authenticated.
pub(crate) struct Parsed {
    pub header: Header,
    pub ciphertext: Vec<u8>,
    /// The bytes the MAC covers after the associated data.
    authenticated: Vec<u8>,
    mac: Vec<u8>,
}

fn corrupted(what: &'static str) -> Error {
    Error::Corrupted(what)
}

/// Parses a ratchet message of either namespace.
pub(crate) fn parse(namespace: Namespace, bytes: &[u8]) -> Result<Parsed> {
    match namespace {
        Namespace::Legacy => {
            if bytes.len() < 1 + LEGACY_MAC_LEN || bytes[0] != LEGACY_VERSION {
                return Err(corrupted("bad version byte or length"));
            }
            let (authenticated, mac) = bytes.split_at(bytes.len() - LEGACY_MAC_LEN);
            let msg = proto::SignalMessage::decode(&authenticated[1..])
                .map_err(|_| corrupted("unreadable SignalMessage"))?;
            let dh = legacy_decode(&msg.ratchet_key, "reading a SignalMessage")
                .map_err(|_| corrupted("bad ratchet key"))?;
            Ok(Parsed {
                header: Header {
                    dh,
                    n: msg.counter,
                    pn: msg.previous_counter,
                },
                ciphertext: msg.ciphertext,
                authenticated: authenticated.to_vec(),
                mac: mac.to_vec(),
            })
        }
        Namespace::Omemo2 => {
            let auth = proto::OmemoAuthenticatedMessage::decode(bytes)
                .map_err(|_| corrupted("unreadable OMEMOAuthenticatedMessage"))?;
            parse_omemo2(auth)
        }
    }
}

pub(crate) fn parse_omemo2(auth: proto::OmemoAuthenticatedMessage) -> Result<Parsed> {
    let msg = proto::OmemoMessage::decode(auth.message.as_slice())
        .map_err(|_| corrupted("unreadable OMEMOMessage"))?;
    let dh = raw_key(&msg.dh_pub, "reading an OMEMOMessage")
        .map_err(|_| corrupted("bad ratchet key"))?;
    if auth.mac.len() != OMEMO2_MAC_LEN {
        return Err(corrupted("bad MAC length"));
    }
    Ok(Parsed {
        header: Header {
            dh,
            n: msg.n,
            pn: msg.pn,
        },
        ciphertext: msg.ciphertext.unwrap_or_default(),
        authenticated: auth.message,
        mac: auth.mac,
    })
}

impl Parsed {
    /// Checks the MAC and decrypts; `ad` is the namespace's associated data.
    pub(crate) fn open(&self, namespace: Namespace, mk: &[u8; 32], ad: &[u8]) -> Result<Vec<u8>> {
        let keys = MessageKeys::derive(namespace.message_key_info(), mk);
        let mac = hmac(&keys.mac, &[ad, &self.authenticated]);
        if !bool::from(mac[..self.mac.len()].ct_eq(&self.mac)) {
            return Err(corrupted("MAC mismatch"));
        }
        cbc::Decryptor::<Aes256>::new(&keys.enc.into(), &keys.iv.into())
            .decrypt_padded_vec_mut::<Pkcs7>(&self.ciphertext)
            .map_err(|_| corrupted("bad padding"))
    }
}

/// Encrypts and frames one ratchet message.
pub(crate) fn seal(
    namespace: Namespace,
    header: &Header,
    mk: &[u8; 32],
    ad: &[u8],
    plaintext: &[u8],
) -> Vec<u8> {
    let keys = MessageKeys::derive(namespace.message_key_info(), mk);
    let ciphertext = cbc::Encryptor::<Aes256>::new(&keys.enc.into(), &keys.iv.into())
        .encrypt_padded_vec_mut::<Pkcs7>(plaintext);
    match namespace {
        Namespace::Legacy => {
            let mut out = vec![LEGACY_VERSION];
            proto::SignalMessage {
                ratchet_key: legacy_encode(&header.dh).to_vec(),
                counter: header.n,
                previous_counter: header.pn,
                ciphertext,
            }
            .encode(&mut out)
            .unwrap_or_else(|_| unreachable!("Vec grows as needed"));
            let mac = hmac(&keys.mac, &[ad, &out]);
            out.extend_from_slice(&mac[..LEGACY_MAC_LEN]);
            out
        }
        Namespace::Omemo2 => seal_omemo2(header, &keys, ad, ciphertext).encode_to_vec(),
    }
}

fn seal_omemo2(
    header: &Header,
    keys: &MessageKeys,
    ad: &[u8],
    ciphertext: Vec<u8>,
) -> proto::OmemoAuthenticatedMessage {
    let message = proto::OmemoMessage {
        n: header.n,
        pn: header.pn,
        dh_pub: header.dh.to_vec(),
        ciphertext: Some(ciphertext),
    }
    .encode_to_vec();
    let mac = hmac(&keys.mac, &[ad, &message]);
    proto::OmemoAuthenticatedMessage {
        mac: mac[..OMEMO2_MAC_LEN].to_vec(),
        message,
    }
}

/// The key exchange data that wraps a ratchet message until the peer answers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyExchange {
    /// The one-time prekey used.
    pub pk_id: u32,
    /// The signed prekey used.
    pub spk_id: u32,
    /// The initiator's identity key.
    pub identity: crate::IdentityKey,
    /// The initiator's ephemeral (base) key.
    pub ek: [u8; 32],
}

/// Wraps a sealed ratchet message into a key exchange message.
pub(crate) fn wrap_key_exchange(
    namespace: Namespace,
    kex: &KeyExchange,
    message: Vec<u8>,
) -> Result<Vec<u8>> {
    match namespace {
        Namespace::Legacy => {
            let mut out = vec![LEGACY_VERSION];
            proto::PreKeySignalMessage {
                pre_key_id: kex.pk_id,
                base_key: legacy_encode(&kex.ek).to_vec(),
                identity_key: kex.identity.encode(),
                message,
                registration_id: Some(0),
                signed_pre_key_id: kex.spk_id,
            }
            .encode(&mut out)
            .unwrap_or_else(|_| unreachable!("Vec grows as needed"));
            Ok(out)
        }
        Namespace::Omemo2 => {
            let inner = proto::OmemoAuthenticatedMessage::decode(message.as_slice())
                .map_err(|_| corrupted("re-reading our own message"))?;
            Ok(proto::OmemoKeyExchange {
                pk_id: kex.pk_id,
                spk_id: kex.spk_id,
                ik: kex.identity.encode(),
                ek: kex.ek.to_vec(),
                message: inner,
            }
            .encode_to_vec())
        }
    }
}

/// Unwraps a key exchange message into its data and the inner ratchet message bytes.
pub(crate) fn unwrap_key_exchange(
    namespace: Namespace,
    bytes: &[u8],
) -> Result<(KeyExchange, Vec<u8>)> {
    match namespace {
        Namespace::Legacy => {
            if bytes.first() != Some(&LEGACY_VERSION) {
                return Err(corrupted("bad key exchange version byte"));
            }
            let msg = proto::PreKeySignalMessage::decode(&bytes[1..])
                .map_err(|_| corrupted("unreadable PreKeySignalMessage"))?;
            let ctx = "reading a PreKeySignalMessage";
            let kex = KeyExchange {
                pk_id: msg.pre_key_id,
                spk_id: msg.signed_pre_key_id,
                identity: crate::IdentityKey::Curve25519(
                    legacy_decode(&msg.identity_key, ctx)
                        .map_err(|_| corrupted("bad identity key"))?,
                ),
                ek: legacy_decode(&msg.base_key, ctx).map_err(|_| corrupted("bad base key"))?,
            };
            Ok((kex, msg.message))
        }
        Namespace::Omemo2 => {
            let msg = proto::OmemoKeyExchange::decode(bytes)
                .map_err(|_| corrupted("unreadable OMEMOKeyExchange"))?;
            let ctx = "reading an OMEMOKeyExchange";
            let kex = KeyExchange {
                pk_id: msg.pk_id,
                spk_id: msg.spk_id,
                identity: crate::IdentityKey::Ed25519(
                    raw_key(&msg.ik, ctx).map_err(|_| corrupted("bad identity key"))?,
                ),
                ek: raw_key(&msg.ek, ctx).map_err(|_| corrupted("bad ephemeral key"))?,
            };
            Ok((kex, msg.message.encode_to_vec()))
        }
    }
}
