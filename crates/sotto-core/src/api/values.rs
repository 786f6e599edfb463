// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! Small value types the commands and events carry.

use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

/// A secret crossing the boundary (a password). Its `Debug` never shows it.
#[derive(Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(transparent)]
pub struct Secret(Zeroizing<String>);

impl Secret {
    /// Wraps a secret string.
    pub fn new(value: impl Into<String>) -> Self {
        Self(Zeroizing::new(value.into()))
    }

    /// The secret itself, for the one place that must use it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

/// How the profile's key is kept (for `change_profile_protection`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ProfileProtection {
    /// A passphrase typed at every start.
    Passphrase {
        /// The passphrase.
        passphrase: Secret,
    },
    /// A random key kept in the OS keyring.
    Keyring,
}

/// How an account reaches its server.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerOptions {
    /// Connect to this host instead of resolving SRV records for the domain.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    /// Port (defaults: 5222 for STARTTLS, 5223 for direct TLS).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    /// Use TLS from the first byte (XEP-0368) instead of STARTTLS.
    #[serde(default)]
    pub direct_tls: bool,
    /// Accept exactly this certificate (SHA-256 of its DER form, hex).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pinned_cert_sha256: Option<String>,
    /// Connect through the built-in Tor (Arti); never directly.
    #[serde(default)]
    pub tor: bool,
    /// Connect through this SOCKS5 proxy (`socks5://HOST:PORT`; the proxy
    /// resolves the server's name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proxy: Option<String>,
}

/// Presence shown to contacts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Availability {
    /// Online and available.
    Available,
    /// Free for chat.
    Chat,
    /// Away.
    Away,
    /// Extended away.
    Xa,
    /// Do not disturb.
    Dnd,
    /// Offline / unavailable.
    Unavailable,
}

/// Chat states (XEP-0085) a front end may send and receive.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChatState {
    /// Actively participating.
    Active,
    /// Typing.
    Composing,
    /// Stopped typing.
    Paused,
    /// Not paying attention.
    Inactive,
    /// Left the conversation.
    Gone,
}
