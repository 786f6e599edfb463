// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! The one error type of the crate.

/// What went wrong. Every variant says what was being done; none carries
/// message text or key material.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An `?OTR:...` message whose base64 did not decode.
    #[error("decoding the base64 of an OTR message")]
    Base64,
    /// Input ended before a field was complete.
    #[error("reading {what}: input truncated")]
    Truncated {
        /// The field or message being read.
        what: &'static str,
    },
    /// Input was complete but not well-formed.
    #[error("reading {what}: malformed")]
    Malformed {
        /// The field or message being read.
        what: &'static str,
    },
    /// A message in a protocol version we do not speak (or have disabled).
    #[error("reading an OTR message: unsupported protocol version {0}")]
    UnsupportedVersion(u16),
    /// A MAC did not verify: the message was forged, damaged or not for us.
    #[error("verifying the MAC of {what}: mismatch")]
    BadMac {
        /// The message whose MAC failed.
        what: &'static str,
    },
    /// A DSA signature did not verify.
    #[error("verifying the peer's signature in the key exchange: invalid")]
    BadSignature,
    /// A data message whose counter was already seen (or far too old).
    #[error("decrypting a data message: counter replayed")]
    Replay,
    /// A data message for keys we do not (or no longer) have.
    #[error("decrypting a data message: unknown key id")]
    UnknownKeyId,
    /// A data message arrived while no encrypted session exists with its sender.
    #[error("decrypting a data message: no encrypted session with this peer instance")]
    NoSession,
    /// A v3 message addressed to another of our instances.
    #[error("reading an OTR message: addressed to instance tag {0:#x}, not ours")]
    NotOurInstance(u32),
    /// A v3 message carrying an instance tag below 0x100.
    #[error("reading an OTR message: invalid instance tag {0:#x}")]
    InvalidInstanceTag(u32),
    /// A value received from the peer is not a valid group element or exponent.
    #[error("checking {what}: value out of range")]
    OutOfRange {
        /// The value being checked.
        what: &'static str,
    },
    /// The operation needs an encrypted session and there is none.
    #[error("{what}: no encrypted session")]
    NotEncrypted {
        /// The operation that was attempted.
        what: &'static str,
    },
    /// The peer ended the encrypted session; nothing is sent until the user
    /// ends it too (or restarts it).
    #[error("sending a message: the peer has ended the private conversation")]
    SessionFinished,
    /// An SMP call made in the wrong SMP state.
    #[error("{what}: not possible in the current SMP state")]
    SmpState {
        /// The SMP operation that was attempted.
        what: &'static str,
    },
    /// A fragment size too small to carry any payload, or too many fragments.
    #[error("fragmenting a message: maximum size {0} too small")]
    FragmentSize(usize),
    /// A stored or imported long-term key could not be read.
    #[error("reading a long-term DSA key: {what}")]
    Key {
        /// What was wrong.
        what: &'static str,
    },
    /// A Pidgin/libotr file could not be parsed.
    #[error("importing the libotr file {file}, line {line}: {what}")]
    Import {
        /// Which file (`otr.private_key`, `otr.fingerprints`).
        file: &'static str,
        /// Line number (1-based) where the problem was found.
        line: usize,
        /// What was wrong.
        what: &'static str,
    },
}

impl Error {
    /// The OTR error message to send back to the peer for this error, if the
    /// protocol calls for one (libotr sends one when it cannot read an
    /// encrypted message, so that the peer can restart the session).
    pub fn reply_to_peer(&self) -> Option<String> {
        match self {
            Error::NoSession | Error::UnknownKeyId | Error::BadMac { .. } => {
                Some("?OTR Error: You transmitted an unreadable encrypted message.".to_owned())
            }
            _ => None,
        }
    }
}
