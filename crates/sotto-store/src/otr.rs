// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! What the store keeps for OTR: each account's long-term identity and the
//! fingerprints of contacts' keys with the user's trust decisions.

use std::fmt;

use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

/// An account's long-term OTR identity.
#[derive(Clone, PartialEq, Eq)]
pub struct OtrIdentity {
    /// The private key in the OTR engine's encoding. Zeroized on drop,
    /// never printed.
    pub private_key: Zeroizing<Vec<u8>>,
    /// The v3 instance tag of this client, kept across restarts.
    pub instance_tag: u32,
}

impl fmt::Debug for OtrIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OtrIdentity")
            .field("private_key", &"<redacted>")
            .field("instance_tag", &format_args!("{:#010x}", self.instance_tag))
            .finish()
    }
}

/// How far the user trusts a contact's OTR key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OtrTrust {
    /// Seen, never verified.
    Unverified,
    /// Verified by comparing fingerprints (or imported as verified).
    Fingerprint,
    /// Verified by a successful Socialist Millionaires' Protocol run.
    Smp,
}

impl OtrTrust {
    /// Whether the user verified the key one way or another.
    pub fn is_verified(self) -> bool {
        !matches!(self, Self::Unverified)
    }
}

/// A contact key's fingerprint as the store keeps it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OtrFingerprint {
    /// Bare JID of the contact.
    pub contact: String,
    /// 40 lowercase hex digits (SHA-1 of the public key).
    pub fingerprint: String,
    /// The user's decision.
    pub trust: OtrTrust,
    /// When it was first seen (or imported), ms since the epoch.
    pub first_seen_ms: i64,
}

/// `fingerprint` as 40 lowercase hex digits, accepting libotr's spaced
/// upper-case form; `None` if it is not a SHA-1 fingerprint.
pub fn normalize_fingerprint(fingerprint: &str) -> Option<String> {
    let hex: String = fingerprint
        .chars()
        .filter(|c| !c.is_whitespace() && *c != ':')
        .map(|c| c.to_ascii_lowercase())
        .collect();
    (hex.len() == 40 && hex.chars().all(|c| c.is_ascii_hexdigit())).then_some(hex)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identity_debug_hides_the_key() {
        let id = OtrIdentity {
            private_key: Zeroizing::new(vec![0x5a; 40]),
            instance_tag: 0x1234_5678,
        };
        let shown = format!("{id:?}");
        assert!(!shown.contains("90") && !shown.contains("5a"), "{shown}");
        assert!(shown.contains("0x12345678"));
    }

    #[test]
    fn fingerprints_normalize() {
        let spaced = "3F8A2B10 C0FFEE00 12345678 9ABCDEF0 DEADBEEF";
        assert_eq!(
            normalize_fingerprint(spaced).as_deref(),
            Some("3f8a2b10c0ffee00123456789abcdef0deadbeef")
        );
        assert_eq!(normalize_fingerprint("abc"), None);
        assert_eq!(normalize_fingerprint(&"g".repeat(40)), None);
    }
}
