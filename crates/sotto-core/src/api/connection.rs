// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! An account's connection as front ends see it: its state, and what its
//! server lacks.

use serde::{Deserialize, Serialize};

/// Connection state of one account.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum ConnectionState {
    /// Disabled by the user.
    Disabled,
    /// Trying to connect.
    Connecting,
    /// Online with this full JID.
    Online {
        /// Bound full JID.
        jid: String,
        /// Whether the previous session was resumed (XEP-0198).
        resumed: bool,
    },
    /// Offline; retrying after `retry_in_ms` unless that is absent, in which
    /// case the user must act (see `reason`).
    Offline {
        /// Why, in words a person understands.
        reason: String,
        /// Next attempt in this many milliseconds.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        retry_in_ms: Option<u64>,
    },
}

/// An optional server feature Sotto uses, found missing by service discovery.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum MissingFeature {
    /// Personal eventing (XEP-0163): OMEMO keys cannot be published or read.
    Pep,
    /// The message archive (XEP-0313).
    Mam,
    /// Message carbons (XEP-0280).
    Carbons,
    /// Stream management (XEP-0198).
    StreamManagement,
    /// Blocking command (XEP-0191).
    Blocking,
    /// HTTP file upload (XEP-0363).
    Upload,
}

impl MissingFeature {
    /// What the missing feature means, in words a person understands.
    pub fn explain(self) -> &'static str {
        match self {
            Self::Pep => {
                "this server does not support personal eventing (PEP): OMEMO encryption is \
                 unavailable on this account; OTR still works"
            }
            Self::Mam => {
                "this server keeps no message archive: messages that arrive while you are \
                 offline elsewhere are not fetched later"
            }
            Self::Carbons => {
                "this server does not copy your messages to your other devices (carbons)"
            }
            Self::StreamManagement => {
                "this server does not support stream management: a dropped connection is \
                 re-established from scratch, and messages in flight are sent again"
            }
            Self::Blocking => "this server cannot block contacts",
            Self::Upload => "this server offers no file upload: files cannot be sent",
        }
    }
}
