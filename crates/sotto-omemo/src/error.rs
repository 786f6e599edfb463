// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! The crate's error type.

/// Everything that can go wrong in the OMEMO engine.
///
/// The variants that describe a received message (`Corrupted`, `Duplicate`,
/// `NotForThisDevice`, `NoSession`, `UnknownPreKey`, ...) are the reasons a
/// front end shows to a person; none of them changes any stored state.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The message failed authentication (MAC or GCM tag) or could not be parsed.
    #[error("decrypting an OMEMO message: message corrupted ({0})")]
    Corrupted(&'static str),
    /// The message key was already used: the message was replayed or delivered twice.
    #[error("decrypting an OMEMO message: message replayed or already decrypted")]
    Duplicate,
    /// The message carries no key for our device.
    #[error("decrypting an OMEMO message: not encrypted for this device ({device_id})")]
    NotForThisDevice {
        /// Our device id.
        device_id: u32,
    },
    /// A normal (non key exchange) message arrived from a device we have no session with.
    #[error("decrypting an OMEMO message from device {device_id}: no session with this device")]
    NoSession {
        /// The sender's device id.
        device_id: u32,
    },
    /// A key exchange names a one-time prekey we do not have (used or never published).
    #[error("decrypting an OMEMO key exchange: unknown one-time prekey {0}")]
    UnknownPreKey(u32),
    /// A key exchange names a signed prekey we do not have.
    #[error("decrypting an OMEMO key exchange: unknown signed prekey {0}")]
    UnknownSignedPreKey(u32),
    /// A message would need more skipped message keys than the limits allow.
    #[error("decrypting an OMEMO message: {needed} skipped messages exceed the limit of {limit}")]
    TooManySkipped {
        /// How many keys would have to be skipped.
        needed: u32,
        /// The limit in force.
        limit: u32,
    },
    /// A bundle's signed prekey signature does not verify.
    #[error("building an OMEMO session with device {device_id}: bundle signature invalid")]
    BadBundleSignature {
        /// The bundle's device id.
        device_id: u32,
    },
    /// A bundle has no one-time prekeys to use.
    #[error("building an OMEMO session with device {device_id}: bundle has no prekeys")]
    EmptyBundle {
        /// The bundle's device id.
        device_id: u32,
    },
    /// A key, signature or field has the wrong length or encoding.
    #[error("{context}: malformed {what}")]
    Malformed {
        /// What was being done.
        context: &'static str,
        /// What was malformed.
        what: &'static str,
    },
    /// A session was used before it could send (a responder that has not received yet).
    #[error("encrypting with an OMEMO session that has no sending chain yet")]
    NotReadyToSend,
    /// A store operation failed.
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    /// Parsing an `xmpp:` verification URI or fingerprint failed.
    #[error("parsing an OMEMO fingerprint or xmpp: URI: {0}")]
    Uri(&'static str),
}

/// The crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
