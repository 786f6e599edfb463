// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! Encrypting one payload for many devices and decrypting a message addressed
//! to our device: pure functions that return the state to save.
//!
//! Nothing here writes to a store. [`encrypt`] returns every changed session;
//! [`decrypt`] returns the new session and the one-time prekey it used. The
//! caller saves them together with the message they belong to, in one
//! transaction ([`crate::store::apply_decrypted`] does it for a plain store).

use rand_core::CryptoRng;
use zeroize::Zeroizing;

use crate::{
    Bundle, DeviceAddress, Error, IdentityKey, IdentityKeyPair, Limits, Namespace, Result, Session,
    payload,
    store::{PreKeyStore, SignedPreKeyStore},
    wire, x3dh,
};

/// One `<key>` element: the key material encrypted for one device.
#[derive(Clone, PartialEq, Eq)]
pub struct KeyElement {
    /// The recipient's bare JID (OMEMO 2 groups keys by `<keys jid>`).
    pub jid: String,
    /// The recipient device (`rid`).
    pub device_id: u32,
    /// The element's content, base64-decoded.
    pub data: Vec<u8>,
    /// `prekey="true"` (legacy) / `kex="true"` (OMEMO 2).
    pub key_exchange: bool,
}

impl std::fmt::Debug for KeyElement {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyElement")
            .field("device_id", &self.device_id)
            .field("len", &self.data.len())
            .field("key_exchange", &self.key_exchange)
            .finish_non_exhaustive()
    }
}

/// The values of one `<encrypted>` element.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EncryptedMessage {
    /// Which namespace's element this is.
    pub namespace: Namespace,
    /// The sending device (`sid`).
    pub sender_device_id: u32,
    /// Legacy `<iv>` (inside `<header>`); `None` in OMEMO 2.
    pub iv: Option<Vec<u8>>,
    /// `<payload>`; `None` for an empty (key transport) message.
    pub payload: Option<Vec<u8>>,
    /// The `<key>` elements.
    pub keys: Vec<KeyElement>,
}

/// A device to encrypt for: its session, or a bundle to start one.
#[derive(Debug)]
pub struct Recipient {
    /// The device.
    pub address: DeviceAddress,
    /// The existing session, if any.
    pub session: Option<Session>,
    /// Its bundle, needed when there is no session.
    pub bundle: Option<Bundle>,
}

/// The result of [`encrypt`].
pub struct Encrypted {
    /// The element to send.
    pub message: EncryptedMessage,
    /// The key material (legacy KeyTransportElement users need it).
    pub key_material: Zeroizing<Vec<u8>>,
    /// Every session that changed, to save with the outgoing message.
    pub sessions: Vec<(DeviceAddress, Session)>,
    /// Devices that could not be encrypted for, and why.
    pub failures: Vec<(DeviceAddress, Error)>,
}

impl std::fmt::Debug for Encrypted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Encrypted")
            .field("message", &self.message)
            .field("sessions", &self.sessions)
            .field("failures", &self.failures)
            .finish_non_exhaustive()
    }
}

/// Encrypts `plaintext` (or, with `None`, an empty key transport message) for
/// every recipient device. For OMEMO 2 the plaintext is the SCE envelope.
pub fn encrypt<R: CryptoRng + ?Sized>(
    namespace: Namespace,
    own: &IdentityKeyPair,
    own_device_id: u32,
    recipients: Vec<Recipient>,
    plaintext: Option<&[u8]>,
    rng: &mut R,
) -> Result<Encrypted> {
    let sealed = payload::seal(namespace, plaintext, rng)?;
    let mut keys = Vec::new();
    let mut sessions = Vec::new();
    let mut failures = Vec::new();
    for recipient in recipients {
        let address = recipient.address;
        let session = match (recipient.session, recipient.bundle) {
            (Some(session), _) if session.namespace() == namespace => Ok(session),
            (_, Some(bundle)) if bundle.namespace == namespace => x3dh::initiate(own, &bundle, rng),
            _ => Err(Error::NoSession {
                device_id: address.device_id,
            }),
        };
        let result = session.and_then(|mut s| {
            let (data, key_exchange) = s.encrypt(&sealed.key_material)?;
            Ok((s, data, key_exchange))
        });
        match result {
            Ok((session, data, key_exchange)) => {
                keys.push(KeyElement {
                    jid: address.jid.clone(),
                    device_id: address.device_id,
                    data,
                    key_exchange,
                });
                sessions.push((address, session));
            }
            Err(e) => failures.push((address, e)),
        }
    }
    Ok(Encrypted {
        message: EncryptedMessage {
            namespace,
            sender_device_id: own_device_id,
            iv: sealed.iv,
            payload: sealed.ciphertext,
            keys,
        },
        key_material: sealed.key_material,
        sessions,
        failures,
    })
}

/// The result of [`decrypt`]: what to show and what to save.
pub struct Decrypted {
    /// The payload plaintext; `None` for an empty (key transport) message.
    pub plaintext: Option<Vec<u8>>,
    /// The key material the message carried.
    pub key_material: Zeroizing<Vec<u8>>,
    /// The session after this message: save it (with the message).
    pub session: Session,
    /// The one-time prekey this message used up: remove it (and publish a new one).
    pub consumed_prekey: Option<u32>,
    /// Whether a new session was built from a key exchange.
    pub new_session: bool,
    /// The sender's identity key (to check trust).
    pub sender_identity: IdentityKey,
}

impl std::fmt::Debug for Decrypted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the plaintext or the key material.
        f.debug_struct("Decrypted")
            .field("empty", &self.plaintext.is_none())
            .field("session", &self.session)
            .field("consumed_prekey", &self.consumed_prekey)
            .field("new_session", &self.new_session)
            .finish_non_exhaustive()
    }
}

/// Decrypts `message` from `sender`, addressed to `own_device_id`.
/// `session` is the stored session with the sender device, if any.
#[allow(clippy::too_many_arguments)]
pub fn decrypt<S, R>(
    own: &IdentityKeyPair,
    own_jid: &str,
    own_device_id: u32,
    message: &EncryptedMessage,
    session: Option<&Session>,
    prekeys: &S,
    now: u64,
    limits: &Limits,
    rng: &mut R,
) -> Result<Decrypted>
where
    S: PreKeyStore + SignedPreKeyStore + ?Sized,
    R: CryptoRng + ?Sized,
{
    let namespace = message.namespace;
    let key = message
        .keys
        .iter()
        .find(|k| {
            k.device_id == own_device_id
                && (namespace == Namespace::Legacy || k.jid.is_empty() || k.jid == own_jid)
        })
        .ok_or(Error::NotForThisDevice {
            device_id: own_device_id,
        })?;
    let session = session.filter(|s| s.namespace() == namespace);

    let (session, key_material, consumed_prekey, new_session) = if key.key_exchange {
        let (kex, inner) = wire::unwrap_key_exchange(namespace, &key.data)?;
        match session {
            // A repeated key exchange of a session we already have: the
            // initiator keeps sending it until we answer.
            Some(s) if s.base_key() == &kex.ek && s.remote_identity() == kex.identity => {
                let (s, km) = s.decrypt(&inner, now, limits, rng)?;
                (s, km, None, false)
            }
            _ => {
                let spk = prekeys
                    .load_signed_prekey(kex.spk_id)?
                    .ok_or(Error::UnknownSignedPreKey(kex.spk_id))?;
                let pk = prekeys
                    .load_prekey(kex.pk_id)?
                    .ok_or(Error::UnknownPreKey(kex.pk_id))?;
                let fresh = x3dh::respond(namespace, own, &kex, &spk, &pk)?;
                let (s, km) = fresh.decrypt(&inner, now, limits, rng)?;
                (s, km, Some(kex.pk_id), true)
            }
        }
    } else {
        let s = session.ok_or(Error::NoSession {
            device_id: message.sender_device_id,
        })?;
        let (s, km) = s.decrypt(&key.data, now, limits, rng)?;
        (s, km, None, false)
    };
    let key_material = Zeroizing::new(key_material);
    let plaintext = match &message.payload {
        Some(ciphertext) => Some(payload::open(
            namespace,
            &key_material,
            message.iv.as_deref(),
            ciphertext,
        )?),
        None => None,
    };
    Ok(Decrypted {
        plaintext,
        key_material,
        sender_identity: session.remote_identity(),
        session,
        consumed_prekey,
        new_session,
    })
}
