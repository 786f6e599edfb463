// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! Sotto's OMEMO engine, for both namespaces: legacy
//! `eu.siacs.conversations.axolotl` (XEP-0384 v0.3, the libsignal version 3
//! wire format) and `urn:xmpp:omemo:2` (XEP-0384 current, with XEP-0420
//! envelopes).
//!
//! It does X3DH, the Double Ratchet (with a bounded store of skipped message
//! keys), XEdDSA, both message formats and both payload encryptions, and
//! defines narrow store traits with an in-memory implementation.
//!
//! What it must never do: I/O of any kind (no sockets, files, database,
//! clock or RNG of its own — `now` and the RNG are arguments), log or print
//! keys or plaintext, or change a session because of a message that did not
//! authenticate. It knows no XML: it gives and takes the values of the
//! elements, and the XMPP layer writes and reads them.

mod bundle;
pub mod device;
mod engine;
mod error;
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
mod kdf;
mod keys;
pub mod payload;
mod proto;
mod session;
pub mod store;
pub mod trust;
mod wire;
mod x3dh;
pub mod xeddsa;

pub use bundle::Bundle;
pub use engine::{Decrypted, Encrypted, EncryptedMessage, KeyElement, Recipient, decrypt, encrypt};
pub use error::{Error, Result};
pub use keys::{
    IdentityKey, IdentityKeyPair, KeyPair, PreKey, SignedPreKey, ed25519_to_curve25519,
    legacy_decode, legacy_encode,
};
pub use session::{Limits, Session};
pub use wire::KeyExchange;
pub use x3dh::initiate;

/// The two OMEMO namespaces.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Namespace {
    /// `eu.siacs.conversations.axolotl` (XEP-0384 v0.3, libsignal wire format).
    Legacy,
    /// `urn:xmpp:omemo:2`.
    Omemo2,
}

impl Namespace {
    /// The XML namespace.
    pub const fn xmlns(self) -> &'static str {
        match self {
            Self::Legacy => "eu.siacs.conversations.axolotl",
            Self::Omemo2 => "urn:xmpp:omemo:2",
        }
    }

    /// The namespace for an XML namespace string.
    pub fn from_xmlns(xmlns: &str) -> Option<Self> {
        match xmlns {
            "eu.siacs.conversations.axolotl" => Some(Self::Legacy),
            "urn:xmpp:omemo:2" => Some(Self::Omemo2),
            _ => None,
        }
    }

    pub(crate) const fn root_info(self) -> &'static [u8] {
        match self {
            Self::Legacy => b"WhisperRatchet",
            Self::Omemo2 => b"OMEMO Root Chain",
        }
    }

    pub(crate) const fn message_key_info(self) -> &'static [u8] {
        match self {
            Self::Legacy => b"WhisperMessageKeys",
            Self::Omemo2 => b"OMEMO Message Key Material",
        }
    }
}

/// A remote (or own) device: bare JID and device id.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DeviceAddress {
    /// The bare JID.
    pub jid: String,
    /// The device id.
    pub device_id: u32,
}

impl DeviceAddress {
    /// A device address.
    pub fn new(jid: impl Into<String>, device_id: u32) -> Self {
        Self {
            jid: jid.into(),
            device_id,
        }
    }
}
