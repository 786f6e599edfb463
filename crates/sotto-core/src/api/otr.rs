// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! The OTR and encryption-choice types of the boundary.

use serde::{Deserialize, Serialize};
use sotto_store::OtrTrust;

/// End-to-end encryption: what a front end asks for when sending, and what
/// a stored message was sent or received with. One type on both sides of
/// the boundary (the store's), so nothing converts between two copies.
pub use sotto_store::Encryption;

/// Where an OTR conversation with one of a contact's clients stands.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
#[non_exhaustive]
pub enum OtrSessionState {
    /// Not encrypted.
    Plaintext,
    /// Encrypted and authenticated with the contact's key `fingerprint`.
    Encrypted {
        /// The contact's fingerprint, in libotr's form.
        fingerprint: String,
        /// What the user decided about that key.
        trust: OtrTrust,
        /// OTR protocol version (2 or 3).
        version: u8,
        /// The contact used a different key before: warn the user.
        key_changed: bool,
    },
    /// The contact ended the session. Messages are held back until the user
    /// ends it too (back to plaintext) or starts a new one.
    Finished,
}

/// A step of an SMP verification, as front ends show it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "step", rename_all = "snake_case")]
#[non_exhaustive]
pub enum SmpProgress {
    /// The contact wants to verify: ask the user for the secret (answering
    /// `question` when given), then send `otr_smp_respond`.
    Requested {
        /// The contact's question.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        question: Option<String>,
    },
    /// Running.
    InProgress {
        /// 0–100.
        percent: u8,
    },
    /// The secrets matched: the contact's key is now verified.
    Succeeded,
    /// The secrets differ: the contact may not be who they claim.
    Failed,
    /// Aborted by either side.
    Aborted,
}

/// A contact's OTR fingerprint with its trust.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OtrContactFingerprint {
    /// The contact's bare JID.
    pub contact: String,
    /// The fingerprint, in libotr's form.
    pub fingerprint: String,
    /// What the user decided.
    pub trust: OtrTrust,
}

/// A 40-hex-digit fingerprint in libotr's form: five groups of eight
/// upper-case hex digits.
pub(crate) fn human_fingerprint(hex: &str) -> String {
    let upper = hex.to_ascii_uppercase();
    let groups: Vec<&str> = (0..upper.len())
        .step_by(8)
        .filter_map(|i| upper.get(i..(i + 8).min(upper.len())))
        .collect();
    groups.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_print_like_libotr() {
        assert_eq!(
            human_fingerprint("3f8a2b10c0ffee00123456789abcdef0deadbeef"),
            "3F8A2B10 C0FFEE00 12345678 9ABCDEF0 DEADBEEF"
        );
    }

    #[test]
    fn states_serialize_flat() {
        let s = serde_json::to_string(&OtrSessionState::Encrypted {
            fingerprint: "F".into(),
            trust: OtrTrust::Smp,
            version: 3,
            key_changed: false,
        })
        .unwrap_or_default();
        assert_eq!(
            s,
            r#"{"state":"encrypted","fingerprint":"F","trust":"smp","version":3,"key_changed":false}"#
        );
    }
}
