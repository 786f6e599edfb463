// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! Finding, creating and unlocking the profile.
//!
//! The profile directory is the CLI's: `<user data dir>/default`, unless
//! `--profile DIR` names another. Opening runs SQLCipher's key derivation
//! (hundreds of milliseconds) or waits for the OS keyring (up to two
//! minutes), so [`open`] is blocking and the GUI runs it on a blocking
//! thread. Errors are sentences for the user; they never contain the
//! passphrase.

use std::path::{Path, PathBuf};

use sotto_store::{Password, ProfileKey, SettingsStore as _, SqlStore, StoreError, keyring_key};
use zeroize::Zeroizing;

use crate::screen::ready::conversation::encryption::Choice;

/// The encrypted-store setting that remembers the last open conversation.
/// It names a contact, so it lives inside the encrypted profile, not in the
/// plain preferences file.
const LAST_CONVERSATION: &str = "gui.last_conversation";
/// The encrypted-store setting of the default encryption.
const DEFAULT_ENCRYPTION: &str = "gui.default_encryption";

/// The default profile directory, as the CLI computes it.
pub fn default_dir() -> Option<PathBuf> {
    directories::ProjectDirs::from("org", "Sotto", "Sotto")
        .map(|dirs| dirs.data_dir().join("default"))
}

/// How the user unlocks (or protects a new) profile.
#[derive(Clone)]
pub enum KeySource {
    /// A passphrase.
    Passphrase(Zeroizing<String>),
    /// A random key kept in the OS keyring.
    Keyring,
}

impl std::fmt::Debug for KeySource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Passphrase(_) => f.write_str("Passphrase(<redacted>)"),
            Self::Keyring => f.write_str("Keyring"),
        }
    }
}

/// An unlocked profile.
#[derive(Debug, Clone)]
pub struct Opened {
    /// The profile directory.
    pub dir: PathBuf,
    /// The open store; handed to the core when it starts.
    pub store: SqlStore,
    /// Whether the profile was created just now.
    pub created: bool,
    /// The conversation that was open when the app last quit.
    pub last_conversation: Option<(String, String)>,
    /// The encryption of conversations without a choice of their own, from
    /// the encrypted store (`None`: never saved there yet).
    pub default_encryption: Option<Choice>,
}

/// Opens the profile in `dir`, or creates it when `create` is set. Blocking.
///
/// A wrong passphrase leaves every file as it was (the store verifies the key
/// before writing anything).
pub fn open(dir: &Path, key: KeySource, create: bool) -> Result<Opened, String> {
    let store = if create {
        let key = match key {
            KeySource::Passphrase(p) => passphrase_key(p)?,
            KeySource::Keyring => keyring_key::generate_and_store(dir)
                .map_err(|e| format!("Could not keep a new profile key in the OS keyring: {e}"))?,
        };
        SqlStore::create(dir, &key)
            .map_err(|e| format!("Could not create the profile in {}: {e}", dir.display()))?
    } else {
        let key = match key {
            KeySource::Passphrase(p) => passphrase_key(p)?,
            KeySource::Keyring => keyring_key::load(dir)
                .map_err(|e| format!("Could not read the profile key from the OS keyring: {e}"))?
                .ok_or_else(|| {
                    "The OS keyring holds no key for this profile. \
                     Was it created with a passphrase?"
                        .to_owned()
                })?,
        };
        SqlStore::open(dir, &key).map_err(|e| match e {
            StoreError::WrongPassphrase => {
                "Wrong passphrase. Nothing was changed; try again.".to_owned()
            }
            other => format!("Could not open the profile in {}: {other}", dir.display()),
        })?
    };
    let last_conversation = read_last_conversation(&store);
    let default_encryption = read_default_encryption(&store);
    Ok(Opened {
        dir: dir.to_path_buf(),
        store,
        created: create,
        last_conversation,
        default_encryption,
    })
}

fn passphrase_key(passphrase: Zeroizing<String>) -> Result<ProfileKey, String> {
    if passphrase.is_empty() {
        return Err("Enter a passphrase.".to_owned());
    }
    Ok(ProfileKey::Passphrase(Password::new(
        passphrase.to_string(),
    )))
}

fn read_last_conversation(store: &SqlStore) -> Option<(String, String)> {
    let value = match store.setting(LAST_CONVERSATION) {
        Ok(value) => value?,
        Err(e) => {
            tracing::warn!(error = %e, "reading the last open conversation");
            return None;
        }
    };
    serde_json::from_str(&value).ok()
}

/// The default encryption as stored. It lives in the encrypted store, not
/// in `desktop.json`: a plaintext file anyone with access to the disk could
/// edit must not be able to turn encryption off. Unreadable means "not
/// saved": the caller keeps the safe default.
fn read_default_encryption(store: &SqlStore) -> Option<Choice> {
    let value = match store.setting(DEFAULT_ENCRYPTION) {
        Ok(value) => value?,
        Err(e) => {
            tracing::warn!(error = %e, "reading the default encryption");
            return None;
        }
    };
    serde_json::from_str(&value).ok()
}

/// Saves the default encryption in the encrypted store (at quit, with the
/// last conversation).
pub fn save_default_encryption(store: &SqlStore, choice: Choice) {
    let value = serde_json::to_string(&choice).unwrap_or_default();
    if let Err(e) = store.set_setting(DEFAULT_ENCRYPTION, &value) {
        tracing::warn!(error = %e, "saving the default encryption");
    }
}

/// Remembers the open conversation. Called once the core has stopped, so
/// the GUI never writes to the store while the core owns it.
pub fn save_last_conversation(store: &SqlStore, conversation: Option<&(String, String)>) {
    let value = match conversation {
        Some(c) => serde_json::to_string(c).unwrap_or_default(),
        None => String::new(),
    };
    if let Err(e) = store.set_setting(LAST_CONVERSATION, &value) {
        tracing::warn!(error = %e, "saving the last open conversation");
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn pass(s: &str) -> KeySource {
        KeySource::Passphrase(Zeroizing::new(s.to_owned()))
    }

    #[test]
    fn create_then_wrong_then_right_passphrase() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("p");
        let opened = open(&dir, pass("right horse battery"), true).unwrap();
        assert!(opened.created);
        save_last_conversation(
            &opened.store,
            Some(&("a@example.org".into(), "b@example.org".into())),
        );
        drop(opened);
        let db = std::fs::read(dir.join("sotto.db")).unwrap();
        let err = open(&dir, pass("wrong"), false).unwrap_err();
        assert!(err.starts_with("Wrong passphrase"), "{err}");
        assert!(!err.contains("wrong"), "the passphrase leaked: {err}");
        assert_eq!(std::fs::read(dir.join("sotto.db")).unwrap(), db);
        let opened = open(&dir, pass("right horse battery"), false).unwrap();
        assert_eq!(
            opened.last_conversation,
            Some(("a@example.org".into(), "b@example.org".into()))
        );
        assert_eq!(opened.default_encryption, None);
        save_default_encryption(&opened.store, Choice::Omemo);
        drop(opened);
        let opened = open(&dir, pass("right horse battery"), false).unwrap();
        assert_eq!(opened.default_encryption, Some(Choice::Omemo));
    }

    #[test]
    fn empty_passphrase_is_refused_before_touching_disk() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("p");
        assert_eq!(
            open(&dir, pass(""), true).unwrap_err(),
            "Enter a passphrase."
        );
        assert!(!dir.exists());
    }
}
