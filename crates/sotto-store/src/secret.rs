// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! Secret wrappers that are zeroized on drop and never printed.

use std::fmt;

use zeroize::Zeroizing;

use crate::{Result, StoreError};

/// A password or passphrase. Zeroized on drop; `Debug` prints
/// `Password(<redacted>)`; deliberately not `Serialize`.
#[derive(Clone)]
pub struct Password(Zeroizing<String>);

impl Password {
    /// Wraps a secret string.
    pub fn new(secret: String) -> Self {
        Self(Zeroizing::new(secret))
    }

    /// The secret itself. Callers must not log or display it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

/// The key that unlocks a profile database.
#[derive(Clone)]
pub enum ProfileKey {
    /// A user passphrase; SQLCipher derives the key with its KDF.
    Passphrase(Password),
    /// A 32-byte raw key (from the OS keyring); used as is, no KDF.
    Raw(Zeroizing<[u8; 32]>),
}

impl fmt::Debug for ProfileKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Passphrase(_) => f.write_str("ProfileKey::Passphrase(<redacted>)"),
            Self::Raw(_) => f.write_str("ProfileKey::Raw(<redacted>)"),
        }
    }
}

impl ProfileKey {
    /// The value for `PRAGMA key` / `PRAGMA rekey`, as a quoted SQL string
    /// literal. Refuses keys that would silently weaken the profile: an empty
    /// passphrase means "no encryption" to SQLCipher, and SQL text stops at NUL.
    pub(crate) fn pragma_literal(&self) -> Result<Zeroizing<String>> {
        let mut out = Zeroizing::new(String::with_capacity(80));
        out.push('\'');
        match self {
            Self::Passphrase(p) => {
                let p = p.expose();
                if p.is_empty() {
                    return Err(StoreError::InvalidKey("the passphrase is empty"));
                }
                if p.contains('\0') {
                    return Err(StoreError::InvalidKey(
                        "the passphrase contains a NUL character",
                    ));
                }
                for c in p.chars() {
                    if c == '\'' {
                        out.push('\'');
                    }
                    out.push(c);
                }
            }
            Self::Raw(bytes) => {
                // SQLCipher's raw-key form: the string x'<64 hex digits>'
                // (quotes doubled inside the SQL literal).
                out.push_str("x''");
                let hex = Zeroizing::new(hex::encode(bytes.as_slice()));
                out.push_str(&hex);
                out.push_str("''");
            }
        }
        out.push('\'');
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_secrets() {
        let pw = Password::new("hunter2-secret".to_owned());
        assert_eq!(format!("{pw:?}"), "Password(<redacted>)");
        let key = ProfileKey::Passphrase(pw.clone());
        assert!(!format!("{key:?}").contains("hunter2"));
        let raw = ProfileKey::Raw(Zeroizing::new([0xab; 32]));
        let shown = format!("{raw:?}");
        assert!(!shown.contains("ab") && !shown.contains("171"), "{shown}");
        let rec = crate::AccountRecord {
            settings: crate::AccountSettings {
                jid: "a@example.org".into(),
                resource: "r".into(),
                host: None,
                port: None,
                direct_tls: false,
                pinned_cert_sha256: None,
                tor: false,
                proxy: None,
                enabled: true,
            },
            password: pw,
        };
        assert!(!format!("{rec:?}").contains("hunter2"));
        assert!(!format!("{rec:#?}").contains("hunter2"));
    }

    #[test]
    fn pragma_literal_escapes_quotes_and_refuses_weak_keys() {
        let key = ProfileKey::Passphrase(Password::new("it's \"x\"".into()));
        assert_eq!(key.pragma_literal().unwrap().as_str(), "'it''s \"x\"'");
        let raw = ProfileKey::Raw(Zeroizing::new([1; 32]));
        let lit = raw.pragma_literal().unwrap();
        assert_eq!(lit.len(), 1 + 3 + 64 + 2 + 1);
        assert!(lit.starts_with("'x''0101") && lit.ends_with("01'''"));
        let empty = ProfileKey::Passphrase(Password::new(String::new()));
        assert!(matches!(
            empty.pragma_literal(),
            Err(StoreError::InvalidKey(_))
        ));
        let nul = ProfileKey::Passphrase(Password::new("a\0b".into()));
        assert!(matches!(
            nul.pragma_literal(),
            Err(StoreError::InvalidKey(_))
        ));
    }
}
