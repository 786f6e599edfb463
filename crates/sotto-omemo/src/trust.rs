// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! Trust: Blind Trust Before Verification (the default) or manual decisions;
//! fingerprints in the familiar grouped-hex form; `xmpp:` verification URIs
//! with `?omemo-sid-<id>=<fingerprint>` parameters (XEP-0379 style).

use crate::{Error, Result};

/// How new devices of a contact are treated.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum TrustMode {
    /// Blind Trust Before Verification: new devices are trusted until the user
    /// verifies one device of that contact; after that, new devices need a decision.
    #[default]
    Btbv,
    /// Every new device needs a decision.
    Manual,
}

/// The trust in one identity key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TrustLevel {
    /// No decision yet: not encrypted to.
    Undecided,
    /// Trusted without verification (BTBV).
    Blind,
    /// Verified by the user.
    Verified,
    /// Distrusted: never encrypted to again.
    Distrusted,
}

impl TrustLevel {
    /// Whether we encrypt to a device with this trust.
    pub fn may_encrypt(self) -> bool {
        matches!(self, Self::Blind | Self::Verified)
    }

    /// A stable name for storage.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Undecided => "undecided",
            Self::Blind => "blind",
            Self::Verified => "verified",
            Self::Distrusted => "distrusted",
        }
    }

    /// Parses [`Self::as_str`].
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "undecided" => Self::Undecided,
            "blind" => Self::Blind,
            "verified" => Self::Verified,
            "distrusted" => Self::Distrusted,
            _ => return None,
        })
    }
}

/// The trust a newly seen identity key of a contact gets, given the trust in
/// that contact's other keys.
pub fn initial_trust(mode: TrustMode, others: &[TrustLevel]) -> TrustLevel {
    match mode {
        TrustMode::Btbv if !others.contains(&TrustLevel::Verified) => TrustLevel::Blind,
        _ => TrustLevel::Undecided,
    }
}

/// The trust in `identity` of `jid`, recording the initial decision for a key
/// seen for the first time ([`initial_trust`] under `mode`). Call it for every
/// device before encrypting to it or showing its messages as trusted.
pub fn decide<S: crate::store::TrustStore + ?Sized>(
    store: &mut S,
    mode: TrustMode,
    jid: &str,
    identity: &[u8; 32],
) -> Result<TrustLevel> {
    if let Some(level) = store.trust(jid, identity)? {
        return Ok(level);
    }
    let others: Vec<TrustLevel> = store
        .trusted_identities(jid)?
        .into_iter()
        .map(|(_, level)| level)
        .collect();
    let level = initial_trust(mode, &others);
    store.set_trust(jid, identity, level)?;
    Ok(level)
}

/// An identity key's fingerprint: the Curve25519 form, shown as eight groups
/// of eight lowercase hex digits (as Conversations, Dino, Gajim and
/// python-omemo show it, in both namespaces).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Fingerprint([u8; 32]);

impl Fingerprint {
    /// The fingerprint of a Curve25519 identity key.
    pub fn of_curve25519(key: &[u8; 32]) -> Self {
        Self(*key)
    }

    /// The key bytes.
    pub fn bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// The first group, for logs and `Debug`.
    pub fn prefix(&self) -> String {
        hex(&self.0[..4])
    }

    /// The 64 hex digits without spaces (as in verification URIs).
    pub fn to_hex(&self) -> String {
        hex(&self.0)
    }

    /// Parses 64 hex digits, ignoring spaces, colons and dashes; a leading
    /// `05` type byte (66 digits) is accepted.
    pub fn parse(s: &str) -> Result<Self> {
        let digits: String = s
            .chars()
            .filter(|c| !matches!(c, ' ' | ':' | '-' | '\t'))
            .collect();
        let digits = match digits.len() {
            66 if digits.starts_with("05") => &digits[2..],
            64 => &digits[..],
            _ => return Err(Error::Uri("a fingerprint has 64 hex digits")),
        };
        let mut out = [0u8; 32];
        for (i, byte) in out.iter_mut().enumerate() {
            *byte = u8::from_str_radix(digits.get(2 * i..2 * i + 2).unwrap_or("zz"), 16)
                .map_err(|_| Error::Uri("fingerprint is not hexadecimal"))?;
        }
        Ok(Self(out))
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl std::fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, group) in self.0.chunks(4).enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            f.write_str(&hex(group))?;
        }
        Ok(())
    }
}

impl std::fmt::Debug for Fingerprint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Fingerprint({})", self)
    }
}

/// An `xmpp:` URI naming a JID and the fingerprints of some of its devices.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerificationUri {
    /// The bare JID.
    pub jid: String,
    /// Device ids and their fingerprints.
    pub devices: Vec<(u32, Fingerprint)>,
}

impl VerificationUri {
    /// Parses `xmpp:jid?omemo-sid-<id>=<hex>;omemo-sid-<id>=<hex>`. Other
    /// parameters (and an action such as `message`) are ignored.
    pub fn parse(uri: &str) -> Result<Self> {
        let rest = uri
            .strip_prefix("xmpp:")
            .ok_or(Error::Uri("not an xmpp: URI"))?;
        let rest = rest
            .strip_prefix("//")
            .map_or(rest, |r| r.split_once('/').map_or(r, |(_, p)| p));
        let (jid, query) = rest.split_once('?').unwrap_or((rest, ""));
        let jid = percent_decode(jid)?;
        if jid.is_empty() || jid.contains('/') {
            return Err(Error::Uri("the URI must name a bare JID"));
        }
        let mut devices = Vec::new();
        for param in query.split(';') {
            let Some((key, value)) = param.split_once('=') else {
                continue;
            };
            let Some(id) = key.strip_prefix("omemo-sid-") else {
                continue;
            };
            let id = id
                .parse::<u32>()
                .map_err(|_| Error::Uri("device id is not a number"))?;
            devices.push((id, Fingerprint::parse(&percent_decode(value)?)?));
        }
        Ok(Self { jid, devices })
    }
}

impl std::fmt::Display for VerificationUri {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "xmpp:{}", percent_encode(&self.jid))?;
        for (i, (id, fp)) in self.devices.iter().enumerate() {
            let sep = if i == 0 { '?' } else { ';' };
            write!(f, "{sep}omemo-sid-{id}={}", fp.to_hex())?;
        }
        Ok(())
    }
}

fn percent_encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~@!$&'()*+,=:".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn percent_decode(s: &str) -> Result<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s
                .get(i + 1..i + 3)
                .ok_or(Error::Uri("bad percent escape"))?;
            out.push(u8::from_str_radix(hex, 16).map_err(|_| Error::Uri("bad percent escape"))?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| Error::Uri("URI is not UTF-8"))
}

#[cfg(test)]
mod tests;
