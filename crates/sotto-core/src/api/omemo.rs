// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! The OMEMO types of the boundary: devices, their fingerprints and trust.

use serde::{Deserialize, Serialize};
use sotto_omemo::trust::{TrustLevel, TrustMode};

/// What the user decided about one OMEMO device key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum OmemoTrust {
    /// No decision yet: messages are not encrypted to it until the user
    /// decides (a new device of a contact with a verified device, or any
    /// new device in manual mode).
    Undecided,
    /// Trusted without verification (blind trust before verification).
    Blind,
    /// Verified by the user (fingerprint compared or URI scanned).
    Verified,
    /// Distrusted: never encrypted to again, its messages flagged.
    Distrusted,
}

impl From<TrustLevel> for OmemoTrust {
    fn from(level: TrustLevel) -> Self {
        match level {
            TrustLevel::Undecided => Self::Undecided,
            TrustLevel::Blind => Self::Blind,
            TrustLevel::Verified => Self::Verified,
            TrustLevel::Distrusted => Self::Distrusted,
        }
    }
}

impl From<OmemoTrust> for TrustLevel {
    fn from(trust: OmemoTrust) -> Self {
        match trust {
            OmemoTrust::Undecided => Self::Undecided,
            OmemoTrust::Blind => Self::Blind,
            OmemoTrust::Verified => Self::Verified,
            OmemoTrust::Distrusted => Self::Distrusted,
        }
    }
}

/// How new devices of contacts are treated.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum OmemoTrustMode {
    /// Blind trust before verification (the default): new devices are
    /// trusted until the user verifies one of the contact's devices; after
    /// that, new devices wait for a decision.
    #[default]
    Btbv,
    /// Every new device waits for a decision.
    Manual,
}

impl OmemoTrustMode {
    /// The stored setting value.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Btbv => "btbv",
            Self::Manual => "manual",
        }
    }

    /// Reads the stored setting (anything unknown is the default).
    pub(crate) fn parse(s: Option<&str>) -> Self {
        match s {
            Some("manual") => Self::Manual,
            _ => Self::Btbv,
        }
    }
}

impl From<OmemoTrustMode> for TrustMode {
    fn from(mode: OmemoTrustMode) -> Self {
        match mode {
            OmemoTrustMode::Btbv => Self::Btbv,
            OmemoTrustMode::Manual => Self::Manual,
        }
    }
}

/// One OMEMO device (ours or a contact's) with its key's fingerprint.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OmemoDevice {
    /// The bare JID it belongs to.
    pub jid: String,
    /// The device id.
    pub device_id: u32,
    /// The identity key fingerprint: eight groups of eight hex digits, as
    /// Conversations, Dino and Gajim show it. Empty when the key is not
    /// known (its bundle could not be fetched; see `problem`).
    pub fingerprint: String,
    /// The decision about it.
    pub trust: OmemoTrust,
    /// Listed in the JID's current device list.
    pub active: bool,
    /// The namespaces it speaks (`legacy`, `omemo2`).
    pub namespaces: Vec<String>,
    /// Why its key is unknown, in plain words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trust_round_trips_and_serializes() {
        for t in [
            OmemoTrust::Undecided,
            OmemoTrust::Blind,
            OmemoTrust::Verified,
            OmemoTrust::Distrusted,
        ] {
            assert_eq!(OmemoTrust::from(TrustLevel::from(t)), t);
        }
        assert_eq!(
            serde_json::to_string(&OmemoTrust::Distrusted).unwrap_or_default(),
            "\"distrusted\""
        );
        assert_eq!(
            OmemoTrustMode::parse(Some("manual")),
            OmemoTrustMode::Manual
        );
        assert_eq!(
            OmemoTrustMode::parse(Some("nonsense")),
            OmemoTrustMode::Btbv
        );
        assert_eq!(OmemoTrustMode::parse(None), OmemoTrustMode::Btbv);
    }
}
