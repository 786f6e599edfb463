// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! Our side of every conversation: the long-term key, our instance tag,
//! the policy and the protocol versions we speak.

use rand_core::CryptoRng;

use crate::{Error, Fingerprint, PrivateKey};

/// A v3 instance tag: tells apart several clients of one account. Tags below
/// 0x100 are reserved; ours is generated once and persisted by the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct InstanceTag(u32);

impl InstanceTag {
    /// The smallest valid tag.
    pub const MIN: u32 = 0x100;

    /// A stored tag; rejects reserved values (< 0x100).
    pub fn new(tag: u32) -> Result<Self, Error> {
        if tag < Self::MIN {
            return Err(Error::InvalidInstanceTag(tag));
        }
        Ok(InstanceTag(tag))
    }

    /// A fresh random tag (persist it: peers use it to address this client).
    pub fn generate<R: CryptoRng + ?Sized>(rng: &mut R) -> Self {
        loop {
            let t = rng.next_u32();
            if t >= Self::MIN {
                return InstanceTag(t);
            }
        }
    }

    /// The numeric value.
    pub fn get(self) -> u32 {
        self.0
    }
}

/// When OTR starts by itself, and whether plaintext may be sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Policy {
    /// Never start OTR unasked; answer the peer's queries and key exchanges.
    Manual,
    /// Advertise OTR with a whitespace tag on outgoing plaintext and start the
    /// key exchange when the peer shows OTR support (tag or query).
    #[default]
    Opportunistic,
    /// Never send plaintext: outgoing messages wait (queued) while a query is
    /// sent, and go out once the session is encrypted.
    Always,
}

impl Policy {
    pub(crate) fn starts_on_tag(self) -> bool {
        matches!(self, Policy::Opportunistic | Policy::Always)
    }
}

/// The protocol versions we accept; both by default (v3 preferred).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Versions {
    /// OTR v2 (no instance tags; what some libotr-based clients still offer).
    pub v2: bool,
    /// OTR v3.
    pub v3: bool,
}

impl Default for Versions {
    fn default() -> Self {
        Versions { v2: true, v3: true }
    }
}

/// Our identity: long-term key, instance tag, default policy and versions.
/// Shared (e.g. in an `Arc`) by every [`Conversation`](crate::Conversation)
/// of the account.
#[derive(Debug, Clone)]
pub struct Account {
    key: PrivateKey,
    instance_tag: InstanceTag,
    policy: Policy,
    versions: Versions,
}

impl Account {
    /// An account with both versions enabled.
    pub fn new(key: PrivateKey, instance_tag: InstanceTag, policy: Policy) -> Self {
        Account {
            key,
            instance_tag,
            policy,
            versions: Versions::default(),
        }
    }

    /// The same account speaking only the given versions.
    pub fn with_versions(mut self, versions: Versions) -> Self {
        self.versions = versions;
        self
    }

    /// The long-term key.
    pub fn key(&self) -> &PrivateKey {
        &self.key
    }

    /// Our fingerprint.
    pub fn fingerprint(&self) -> Fingerprint {
        self.key.fingerprint()
    }

    /// Our instance tag.
    pub fn instance_tag(&self) -> InstanceTag {
        self.instance_tag
    }

    /// The default policy of new conversations.
    pub fn policy(&self) -> Policy {
        self.policy
    }

    /// The versions we speak.
    pub fn versions(&self) -> Versions {
        self.versions
    }
}
