// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! A profile's raw database key kept in the OS keyring, for profiles that are
//! not protected by a passphrase.
//!
//! The entry has service `sotto` and, as user, the profile directory's
//! canonical path; its secret is the 32-byte key as 64 lowercase hex digits.
//!
//! Caveat on Linux: with only the `linux-native` backend (kernel keyutils),
//! the key lives in the session keyring and is gone after logout or reboot;
//! a persistent backend (Secret Service) is needed for real use.

use std::path::Path;

use rand::TryRngCore;
use rand::rngs::OsRng;
use zeroize::Zeroizing;

use crate::{ProfileKey, Result, StoreError};

const SERVICE: &str = "sotto";

/// The keyring entry of the profile in `dir`, or `None` if `dir` does not
/// exist (then there can be no key for it either).
fn entry(dir: &Path, doing: &str) -> Result<Option<keyring::Entry>> {
    let path = match dir.canonicalize() {
        Ok(path) => path,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => {
            return Err(StoreError::Io {
                context: "resolving the profile directory for the OS keyring",
                source,
            });
        }
    };
    let user = path.to_str().ok_or_else(|| {
        StoreError::Keyring(format!(
            "{doing}: the profile path is not valid UTF-8, so it cannot name a keyring entry"
        ))
    })?;
    keyring::Entry::new(SERVICE, user)
        .map(Some)
        .map_err(|e| StoreError::Keyring(format!("{doing}: {e}")))
}

/// The profile's key from the OS keyring, if one is stored.
pub fn load(dir: &Path) -> Result<Option<ProfileKey>> {
    const DOING: &str = "reading the profile key";
    let Some(entry) = entry(dir, DOING)? else {
        return Ok(None);
    };
    let hex_key = match entry.get_password() {
        Ok(secret) => Zeroizing::new(secret),
        Err(keyring::Error::NoEntry) => return Ok(None),
        Err(e) => return Err(StoreError::Keyring(format!("{DOING}: {e}"))),
    };
    let mut key = Zeroizing::new([0u8; 32]);
    hex::decode_to_slice(hex_key.as_bytes(), key.as_mut_slice()).map_err(|_| {
        StoreError::Keyring(format!("{DOING}: the stored key is not 64 hex digits"))
    })?;
    Ok(Some(ProfileKey::Raw(key)))
}

/// Generates a random 32-byte key, stores it in the OS keyring for the
/// profile in `dir` (creating `dir`, mode 0700 on Unix, so its canonical path
/// exists) and returns it. Overwrites any key already stored for `dir`.
pub fn generate_and_store(dir: &Path) -> Result<ProfileKey> {
    const DOING: &str = "storing a new profile key";
    crate::sql::ensure_profile_dir(dir)?;
    let entry = entry(dir, DOING)?
        .ok_or_else(|| StoreError::Keyring(format!("{DOING}: the profile directory vanished")))?;
    let mut key = Zeroizing::new([0u8; 32]);
    OsRng
        .try_fill_bytes(key.as_mut_slice())
        .map_err(|e| StoreError::Keyring(format!("{DOING}: no OS randomness: {e}")))?;
    let hex_key = Zeroizing::new(hex::encode(key.as_slice()));
    entry
        .set_password(&hex_key)
        .map_err(|e| StoreError::Keyring(format!("{DOING}: {e}")))?;
    Ok(ProfileKey::Raw(key))
}

/// Removes the profile's key from the OS keyring (nothing to do if absent).
pub fn delete(dir: &Path) -> Result<()> {
    const DOING: &str = "deleting the profile key";
    let Some(entry) = entry(dir, DOING)? else {
        return Ok(());
    };
    match entry.delete_credential() {
        Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
        Err(e) => Err(StoreError::Keyring(format!("{DOING}: {e}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Whether this machine's keyring backend can store anything; prints why
    /// not. Only "no storage" skips: every other failure fails the test. The
    /// probe entry has a fixed name, so a backend that stores half of it (see
    /// below) keeps at most one stray probe key rather than one per run.
    fn keyring_usable() -> bool {
        let probe = match keyring::Entry::new("sotto-test-probe", "probe") {
            Ok(p) => p,
            Err(e) => panic!("creating a keyring probe entry: {e}"),
        };
        match probe.set_password("probe") {
            Ok(()) => {
                let _ = probe.delete_credential();
                true
            }
            Err(keyring::Error::NoStorageAccess(e) | keyring::Error::PlatformFailure(e)) => {
                println!(
                    "SKIPPED keyring_key test: the OS keyring has no usable storage here: {e}"
                );
                false
            }
            // keyutils maps EACCES on linking into the persistent keyring (as in
            // some containers) to NoEntry, even when storing.
            Err(keyring::Error::NoEntry) => {
                let _ = probe.delete_credential();
                println!(
                    "SKIPPED keyring_key test: the OS keyring refused to store a probe secret \
                     (keyutils cannot link into the persistent keyring here)"
                );
                false
            }
            Err(e) => panic!("probing the OS keyring: {e}"),
        }
    }

    #[test]
    fn generate_load_delete_round_trip() {
        if !keyring_usable() {
            return;
        }
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("profile");
        assert!(load(&dir).unwrap().is_none(), "no dir, no key");
        let key = generate_and_store(&dir).unwrap();
        let loaded = load(&dir).unwrap();
        match (&key, &loaded) {
            (ProfileKey::Raw(a), Some(ProfileKey::Raw(b))) => {
                assert_eq!(a.as_slice(), b.as_slice())
            }
            other => panic!("unexpected keys {other:?}"),
        }
        // The key opens a profile created with it.
        let store = crate::SqlStore::create(&dir, &key).unwrap();
        drop(store);
        let reopened = load(&dir).unwrap().unwrap();
        crate::SqlStore::open(&dir, &reopened).unwrap();
        delete(&dir).unwrap();
        assert!(load(&dir).unwrap().is_none());
        delete(&dir).unwrap();
    }
}
