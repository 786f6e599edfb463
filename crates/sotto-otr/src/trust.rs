// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! Trust decisions about peers' fingerprints (stored by the caller).

use crate::Fingerprint;

/// How far the user trusts a peer's fingerprint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Trust {
    /// Seen, never verified.
    #[default]
    Unverified,
    /// The user compared the fingerprint by hand (libotr's `verified`).
    VerifiedFingerprint,
    /// Verified by a successful SMP run (libotr's `smp`).
    VerifiedSmp,
}

impl Trust {
    /// Whether this counts as verified.
    pub fn is_verified(self) -> bool {
        !matches!(self, Trust::Unverified)
    }

    /// libotr's trust word in `otr.fingerprints` (empty when unverified).
    pub fn as_libotr_word(self) -> &'static str {
        match self {
            Trust::Unverified => "",
            Trust::VerifiedFingerprint => "verified",
            Trust::VerifiedSmp => "smp",
        }
    }

    /// Reads libotr's trust word: any non-empty word means trusted.
    pub fn from_libotr_word(word: &str) -> Self {
        match word.trim() {
            "" => Trust::Unverified,
            "smp" => Trust::VerifiedSmp,
            _ => Trust::VerifiedFingerprint,
        }
    }
}

/// What a fingerprint seen in a session means against what is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum FingerprintCheck {
    /// No fingerprint stored for this peer yet.
    New,
    /// The stored fingerprint, with its trust.
    Known(Trust),
    /// The peer's key changed: warn the user. `previous` is the trust the old
    /// fingerprint had.
    Changed {
        /// Trust of the previously stored fingerprint.
        previous: Trust,
    },
}

/// Compares the fingerprint seen in a session against the stored ones for
/// the peer (a peer may have several keys, e.g. several clients).
pub fn check_fingerprint(stored: &[(Fingerprint, Trust)], seen: &Fingerprint) -> FingerprintCheck {
    if let Some((_, t)) = stored.iter().find(|(f, _)| f == seen) {
        return FingerprintCheck::Known(*t);
    }
    match stored.iter().map(|(_, t)| *t).find(|t| t.is_verified()) {
        Some(previous) => FingerprintCheck::Changed { previous },
        None if stored.is_empty() => FingerprintCheck::New,
        None => FingerprintCheck::Changed {
            previous: Trust::Unverified,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check() {
        let a = Fingerprint([1; 20]);
        let b = Fingerprint([2; 20]);
        assert_eq!(check_fingerprint(&[], &a), FingerprintCheck::New);
        assert_eq!(
            check_fingerprint(&[(a, Trust::VerifiedSmp)], &a),
            FingerprintCheck::Known(Trust::VerifiedSmp)
        );
        assert_eq!(
            check_fingerprint(&[(a, Trust::VerifiedSmp)], &b),
            FingerprintCheck::Changed {
                previous: Trust::VerifiedSmp
            }
        );
        assert_eq!(
            Trust::from_libotr_word("verified"),
            Trust::VerifiedFingerprint
        );
        assert_eq!(Trust::from_libotr_word(""), Trust::Unverified);
    }
}
