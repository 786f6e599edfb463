// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! Errors of the XMPP session, each saying what was being done.

use crate::tls::CertFingerprint;

/// Why a connection attempt failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConnectError {
    /// The transport could not reach the server.
    #[error("could not reach the server: {0}")]
    Network(String),
    /// The server does not offer TLS; we never continue without it.
    #[error("the server does not offer TLS (STARTTLS); refusing to continue unencrypted")]
    NoTls,
    /// TLS failed for a reason other than certificate trust.
    #[error("{0}")]
    Tls(String),
    /// The configured server name cannot be used (not a valid host name).
    #[error("{0}")]
    InvalidServerName(String),
    /// The certificate does not validate against the system roots.
    #[error("the server's certificate is not trusted: {reason} (SHA-256 {presented})")]
    CertificateUntrusted {
        /// Fingerprint of what the server presented.
        presented: CertFingerprint,
        /// Why validation failed.
        reason: String,
    },
    /// A pinned certificate was replaced by another.
    #[error(
        "the server's certificate changed: pinned SHA-256 {pinned}, presented SHA-256 {presented}"
    )]
    CertificateChanged {
        /// The pinned fingerprint.
        pinned: CertFingerprint,
        /// What the server presented.
        presented: CertFingerprint,
    },
    /// The server rejected our credentials.
    #[error("the server refused the login: {0}")]
    AuthenticationFailed(String),
    /// The server refused the channel binding of the login (not the
    /// password). Never retried without binding: see `sasl`.
    #[error(
        "the server refused the login's channel binding ({mechanism}: {detail}). This is not \
         a wrong password: the server does not accept the binding it offered, or the \
         connection is being intercepted. Sotto does not retry without binding"
    )]
    ChannelBindingRejected {
        /// The mechanism used.
        mechanism: String,
        /// The server's condition and text.
        detail: String,
    },
    /// The account has logged in with SCRAM before, and the server now
    /// offers only PLAIN: refused, never tried (the password would go to
    /// whoever answers).
    #[error(
        "this account has logged in with SCRAM before, but the server now offers only a weaker \
         login ({0}): Sotto refuses it. The server may have been changed, or someone is \
         interfering; check with its administrator"
    )]
    DowngradeRefused(String),
    /// No mechanism we accept is offered.
    #[error("the server offers no login method Sotto accepts (offered: {0})")]
    NoAcceptableMechanism(String),
    /// Anything the server did that breaks the protocol.
    #[error("protocol error while {doing}: {detail}")]
    Protocol {
        /// What was being done.
        doing: &'static str,
        /// What went wrong.
        detail: String,
    },
    /// In-band registration was refused.
    #[error("the server refused to create the account: {0}")]
    RegistrationRefused(String),
}

impl ConnectError {
    /// Whether trying again later can help (network trouble) or the user must
    /// act first (credentials, certificate decisions).
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            Self::Network(_) | Self::Tls(_) | Self::Protocol { .. }
        )
    }

    pub(crate) fn protocol(doing: &'static str, detail: impl std::fmt::Display) -> Self {
        Self::Protocol {
            doing,
            detail: detail.to_string(),
        }
    }
}

/// Why an IQ request failed.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum IqError {
    /// The peer answered with an error.
    #[error("{what} was refused: {condition}{}", text.as_deref().map(|t| format!(" ({t})")).unwrap_or_default())]
    Refused {
        /// What was asked.
        what: &'static str,
        /// The defined condition, e.g. `item-not-found`.
        condition: String,
        /// The error text, if any.
        text: Option<String>,
    },
    /// No answer in time.
    #[error("{0} got no answer in time")]
    Timeout(&'static str),
    /// The stream ended before the answer came.
    #[error("{0} was interrupted because the connection was lost")]
    Disconnected(&'static str),
    /// The answer did not parse.
    #[error("{what} got a malformed answer: {detail}")]
    Malformed {
        /// What was asked.
        what: &'static str,
        /// What was wrong.
        detail: String,
    },
}

/// Why a PEP request about OMEMO keys failed.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum PepError {
    /// The contact's server refuses non-contacts (node not published with
    /// open access). Shown to the user as its own reason.
    #[error(
        "bundle not readable: the contact's server only shares keys with contacts ({jid}, device {device_id})"
    )]
    BundleForbidden {
        /// Whose bundle.
        jid: xmpp_parsers::jid::BareJid,
        /// Which device.
        device_id: u32,
    },
    /// The device has no bundle published.
    #[error("{jid} has published no OMEMO bundle for device {device_id}")]
    BundleNotFound {
        /// Whose bundle.
        jid: xmpp_parsers::jid::BareJid,
        /// Which device.
        device_id: u32,
    },
    /// The contact's device list is only shared with contacts.
    #[error("device list not readable: the contact's server only shares it with contacts ({0})")]
    DeviceListForbidden(xmpp_parsers::jid::BareJid),
    /// The account's server has no PEP (personal eventing), which OMEMO
    /// keeps its keys in: disco does not list it, or requests are answered
    /// `feature-not-implemented` / `service-unavailable`.
    #[error("the server of {0} does not support PEP (personal eventing), which OMEMO needs")]
    NoPep(xmpp_parsers::jid::BareJid),
    /// The server takes neither the publish-options nor the node
    /// configuration OMEMO needs (open access, one item per device).
    #[error(
        "{doing} was refused: the server does not accept the node settings OMEMO needs ({condition}{})",
        text.as_deref().map(|t| format!(": {t}")).unwrap_or_default()
    )]
    SettingsRefused {
        /// What was being done.
        doing: String,
        /// The defined condition, e.g. `resource-constraint`.
        condition: String,
        /// The server's explanation, if any (shortened).
        text: Option<String>,
    },
    /// The server refused for another reason.
    #[error(
        "{doing} was refused by the server ({condition}{})",
        text.as_deref().map(|t| format!(": {t}")).unwrap_or_default()
    )]
    Refused {
        /// What was being done.
        doing: String,
        /// The defined condition, e.g. `not-acceptable`.
        condition: String,
        /// The server's explanation, if any (shortened).
        text: Option<String>,
    },
    /// No answer (timeout, disconnection).
    #[error("{doing}: {source}")]
    Request {
        /// What was being done.
        doing: String,
        /// The underlying failure.
        source: IqError,
    },
    /// The answer did not parse.
    #[error("{doing} got a malformed answer: {detail}")]
    Malformed {
        /// What was being done.
        doing: String,
        /// What was wrong (no key material).
        detail: String,
    },
}

impl PepError {
    /// Whether publishing our own item again may succeed: the server failed
    /// on its side rather than refusing what was asked. ejabberd 23.01 aborts
    /// a PEP node creation that collides with another account's (a mnesia
    /// lock cycle) and answers `item-not-found` or `internal-server-error`;
    /// a publish to one's own PEP never legitimately finds no item.
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::Refused { condition, .. }
            if condition == "internal-server-error" || condition == "item-not-found")
    }
}

/// The XML name of a defined condition (`item-not-found`), from its Rust
/// variant name (`ItemNotFound`).
pub(crate) fn condition_name(condition: &impl std::fmt::Debug) -> String {
    let debug = format!("{condition:?}");
    let mut name = String::with_capacity(debug.len() + 4);
    for (i, c) in debug.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                name.push('-');
            }
            name.push(c.to_ascii_lowercase());
        } else if c.is_ascii_alphanumeric() {
            name.push(c);
        } else {
            // Variants with data: keep only the name.
            break;
        }
    }
    name
}

#[cfg(test)]
mod tests {
    #[derive(Debug)]
    enum Sample {
        ItemNotFound,
        NotAuthorized,
        Gone(#[allow(dead_code)] String),
    }

    #[test]
    fn condition_names_are_xml_names() {
        assert_eq!(
            super::condition_name(&Sample::ItemNotFound),
            "item-not-found"
        );
        assert_eq!(
            super::condition_name(&Sample::NotAuthorized),
            "not-authorized"
        );
        assert_eq!(super::condition_name(&Sample::Gone("x".into())), "gone");
    }

    #[test]
    fn only_server_side_failures_are_transient() {
        let refused = |condition: &str| super::PepError::Refused {
            doing: "publishing".into(),
            condition: condition.into(),
            text: None,
        };
        assert!(refused("internal-server-error").is_transient());
        assert!(refused("item-not-found").is_transient());
        assert!(!refused("not-acceptable").is_transient());
        assert!(!refused("forbidden").is_transient());
        let settings = super::PepError::SettingsRefused {
            doing: "publishing".into(),
            condition: "resource-constraint".into(),
            text: None,
        };
        assert!(!settings.is_transient());
    }
}
