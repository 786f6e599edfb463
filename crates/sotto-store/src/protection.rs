// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! Changing how a profile is protected while it is open: a new passphrase,
//! or moving the key into or out of the OS keyring.
//!
//! The caller proves it may do this by naming the current protection (the
//! passphrase, or "the key in the keyring"), which is checked against the
//! database before anything changes. The order of the steps keeps the
//! profile openable at every moment: a new keyring key is stored before the
//! database is re-encrypted under it (and removed again if that fails), and
//! an old keyring key is deleted only after the database no longer needs it.

use std::fmt;

use crate::{Password, ProfileKey, Result, SqlStore, StoreError, keyring_key};

/// How a profile's key is kept.
#[derive(Clone)]
pub enum Protection {
    /// A passphrase the user types at every start.
    Passphrase(Password),
    /// A random key kept in the OS keyring.
    Keyring,
}

impl fmt::Debug for Protection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Passphrase(_) => f.write_str("Protection::Passphrase(<redacted>)"),
            Self::Keyring => f.write_str("Protection::Keyring"),
        }
    }
}

/// What [`ProfileKeyStore::change_protection`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProtectionChanged {
    /// The profile's key is now in the OS keyring.
    pub keyring: bool,
    /// Something the user should know although the change succeeded (the
    /// old keyring entry could not be removed).
    pub warning: Option<String>,
}

/// Re-protecting an open profile.
pub trait ProfileKeyStore {
    /// Re-encrypts the profile under `new` after checking that `current`
    /// opens it. Blocking: runs SQLCipher's key derivation (twice for
    /// passphrases) and may wait for the OS keyring.
    ///
    /// A wrong `current` is [`StoreError::WrongPassphrase`] and nothing
    /// changes; so is any failure before the re-encryption.
    fn change_protection(
        &self,
        current: &Protection,
        new: &Protection,
    ) -> Result<ProtectionChanged>;
}

impl ProfileKeyStore for SqlStore {
    fn change_protection(
        &self,
        current: &Protection,
        new: &Protection,
    ) -> Result<ProtectionChanged> {
        let dir = self.dir();
        let current_key = match current {
            Protection::Passphrase(p) => ProfileKey::Passphrase(p.clone()),
            Protection::Keyring => keyring_key::load(dir)?.ok_or_else(|| {
                StoreError::Keyring("the OS keyring holds no key for this profile".into())
            })?,
        };
        self.check_key(&current_key)?;
        match new {
            Protection::Passphrase(p) => {
                let new_key = ProfileKey::Passphrase(p.clone());
                self.change_key(&new_key)?;
                let warning = match current {
                    Protection::Keyring => keyring_key::delete(dir).err().map(|e| {
                        format!(
                            "The profile now uses the passphrase, but its old key could not be \
                             removed from the OS keyring ({e}). It no longer opens anything; \
                             you can delete the keyring entry of service \"sotto\" for this \
                             profile yourself."
                        )
                    }),
                    Protection::Passphrase(_) => None,
                };
                Ok(ProtectionChanged {
                    keyring: false,
                    warning,
                })
            }
            Protection::Keyring => {
                if matches!(current, Protection::Keyring) {
                    return Err(StoreError::InvalidInput(
                        "the profile key is already kept in the OS keyring".into(),
                    ));
                }
                let new_key = keyring_key::generate_and_store(dir)?;
                if let Err(e) = self.change_key(&new_key) {
                    // The passphrase still opens the profile; do not leave a
                    // key behind that opens nothing.
                    if let Err(delete) = keyring_key::delete(dir) {
                        tracing::warn!(error = %delete, "removing an unused keyring key");
                    }
                    return Err(e);
                }
                Ok(ProtectionChanged {
                    keyring: true,
                    warning: None,
                })
            }
        }
    }
}

impl ProfileKeyStore for crate::MemoryStore {
    fn change_protection(&self, _: &Protection, _: &Protection) -> Result<ProtectionChanged> {
        Err(StoreError::InvalidInput(
            "this profile lives in memory only and has no key".into(),
        ))
    }
}

#[cfg(test)]
mod tests;
