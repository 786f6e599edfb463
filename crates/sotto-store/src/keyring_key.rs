// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! A profile's raw database key kept in the OS keyring, for profiles that are
//! not protected by a passphrase.
//!
//! The entry has service `sotto` and, as user, the profile directory's
//! canonical path; its secret is the 32-byte key as 64 lowercase hex digits.
//!
//! Backends: the Keychain on macOS, the Credential Manager on Windows, and on
//! Linux and the BSDs the freedesktop Secret Service (GNOME Keyring, KWallet,
//! KeePassXC) over D-Bus, reached through zbus (pure Rust, no libdbus). All of
//! them keep the key until it is deleted. Kernel keyutils is deliberately not
//! used: it forgets keys at logout or reboot, which would lock the user out of
//! their profile for good.
//!
//! Without a Secret Service (no D-Bus session, or no keyring daemon on it,
//! as on a headless server or in CI) every function here fails promptly with
//! an error that says "no Secret Service available"; nothing falls back to a
//! store that would forget the key.
//!
//! Threads and async: every keyring call runs on a short-lived thread of its
//! own, one call at a time, and the caller waits for it at most
//! [`ANSWER_WITHIN`]. The keyring crate's Secret Service client drives a
//! private tokio runtime with `block_on`, which panics or deadlocks when called
//! on a thread that is already inside a tokio runtime; the fresh thread has
//! none, so these functions may be called from plain threads (the CLI) and
//! from async code (the GUI) alike. They block the calling thread, so async
//! callers should wrap them in `spawn_blocking`.

use std::path::Path;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use rand::TryRngCore;
use rand::rngs::OsRng;
use zeroize::Zeroizing;

use crate::{ProfileKey, Result, StoreError};

#[cfg(test)]
pub(crate) mod tests;

const SERVICE: &str = "sotto";

/// How long one keyring call may take before the caller gets an error. Long
/// enough to type a password into the keyring's unlock prompt; finite because
/// zbus 4 puts no timeout on D-Bus calls, so a wedged keyring daemon would
/// otherwise hang the caller for ever.
pub const ANSWER_WITHIN: Duration = Duration::from_secs(120);

/// Serialises keyring calls: the keyring crate warns that the Secret Service
/// (and the Windows store) may fail under concurrent access, and the zbus
/// runtime behind it is single-threaded.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// What the user sees when there is no Secret Service to talk to.
const NO_SECRET_SERVICE: &str = "no Secret Service available (is a keyring daemon running?); \
     Sotto keeps keyring keys only in the Secret Service (e.g. GNOME Keyring or KWallet in a \
     D-Bus session), never in memory-only stores that would forget them";

/// The keyring user name of the profile in `dir`: its canonical path, or
/// `None` if `dir` does not exist (then there can be no key for it either).
fn user_name(dir: &Path, doing: &str) -> Result<Option<String>> {
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
    match path.into_os_string().into_string() {
        Ok(user) => Ok(Some(user)),
        Err(_) => Err(StoreError::Keyring(format!(
            "{doing}: the profile path is not valid UTF-8, so it cannot name a keyring entry"
        ))),
    }
}

/// The keyring entry for `user`. Call only on the keyring thread.
fn new_entry(user: &str, doing: &str) -> Result<keyring::Entry> {
    keyring::Entry::new(SERVICE, user).map_err(|e| keyring_error(doing, e))
}

/// The profile's key from the OS keyring, if one is stored.
pub fn load(dir: &Path) -> Result<Option<ProfileKey>> {
    const DOING: &str = "reading the profile key";
    let Some(user) = user_name(dir, DOING)? else {
        return Ok(None);
    };
    let hex_key = on_keyring_thread(DOING, move || {
        match new_entry(&user, DOING)?.get_password() {
            Ok(secret) => Ok(Some(Zeroizing::new(secret))),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(keyring_error(DOING, e)),
        }
    })?;
    let Some(hex_key) = hex_key else {
        return Ok(None);
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
    let user = user_name(dir, DOING)?
        .ok_or_else(|| StoreError::Keyring(format!("{DOING}: the profile directory vanished")))?;
    let mut key = Zeroizing::new([0u8; 32]);
    OsRng
        .try_fill_bytes(key.as_mut_slice())
        .map_err(|e| StoreError::Keyring(format!("{DOING}: no OS randomness: {e}")))?;
    let hex_key = Zeroizing::new(hex::encode(key.as_slice()));
    on_keyring_thread(DOING, move || {
        new_entry(&user, DOING)?
            .set_password(&hex_key)
            .map_err(|e| keyring_error(DOING, e))
    })?;
    Ok(ProfileKey::Raw(key))
}

/// Removes the profile's key from the OS keyring (nothing to do if absent).
pub fn delete(dir: &Path) -> Result<()> {
    const DOING: &str = "deleting the profile key";
    let Some(user) = user_name(dir, DOING)? else {
        return Ok(());
    };
    on_keyring_thread(DOING, move || {
        match new_entry(&user, DOING)?.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(e) => Err(keyring_error(DOING, e)),
        }
    })
}

/// Runs `job` on a fresh thread (see the module docs for why) and waits for
/// it at most [`ANSWER_WITHIN`].
fn on_keyring_thread<T, F>(doing: &'static str, job: F) -> Result<T>
where
    T: Send + 'static,
    F: FnOnce() -> Result<T> + Send + 'static,
{
    on_keyring_thread_within(ANSWER_WITHIN, doing, job)
}

fn on_keyring_thread_within<T, F>(limit: Duration, doing: &'static str, job: F) -> Result<T>
where
    T: Send + 'static,
    F: FnOnce() -> Result<T> + Send + 'static,
{
    // Capacity 1, so a thread that answers after the caller gave up still
    // finishes (and exits) instead of blocking on the send.
    let (answer_tx, answer_rx) = mpsc::sync_channel(1);
    std::thread::Builder::new()
        .name("sotto-keyring".to_owned())
        .spawn(move || {
            let _one = ONE_AT_A_TIME.lock().unwrap_or_else(PoisonError::into_inner);
            let _ = answer_tx.send(job());
        })
        .map_err(|source| StoreError::Io {
            context: "starting a thread for the OS keyring",
            source,
        })?;
    match answer_rx.recv_timeout(limit) {
        Ok(answer) => answer,
        Err(RecvTimeoutError::Timeout) => Err(StoreError::Keyring(format!(
            "{doing}: the OS keyring did not answer within {} s (an unlock prompt left \
             unanswered, or a keyring daemon that hangs?)",
            limit.as_secs_f32()
        ))),
        Err(RecvTimeoutError::Disconnected) => Err(StoreError::Keyring(format!(
            "{doing}: the OS keyring call failed unexpectedly (its thread panicked)"
        ))),
    }
}

/// A keyring error as a store error, saying plainly when the cause is that
/// there is no Secret Service.
fn keyring_error(doing: &str, e: keyring::Error) -> StoreError {
    if no_secret_service(&e) {
        StoreError::Keyring(format!("{doing}: {NO_SECRET_SERVICE}: {e}"))
    } else {
        StoreError::Keyring(format!("{doing}: {e}"))
    }
}

/// Whether `e` means that no Secret Service can be reached: no session bus
/// (no address, no socket, nobody listening on it), or a bus on which nobody
/// owns or can start `org.freedesktop.secrets`.
///
/// This downcasts to the `secret-service` and `zbus` errors that keyring
/// boxes. Should keyring move to other majors of those crates, the downcast
/// would silently fail; `keyring_key::tests` then fail, and the two
/// dependencies in the root `Cargo.toml` must follow keyring's.
#[cfg(any(target_os = "linux", target_os = "freebsd", target_os = "openbsd"))]
fn no_secret_service(e: &keyring::Error) -> bool {
    use secret_service::Error as SsError;
    let (keyring::Error::PlatformFailure(inner) | keyring::Error::NoStorageAccess(inner)) = e
    else {
        return false;
    };
    match inner.downcast_ref::<SsError>() {
        Some(SsError::Unavailable) => true,
        Some(SsError::Zbus(e)) => zbus_no_service(e),
        Some(SsError::ZbusFdo(e)) => fdo_no_service(e),
        _ => false,
    }
}

#[cfg(any(target_os = "linux", target_os = "freebsd", target_os = "openbsd"))]
fn zbus_no_service(e: &zbus::Error) -> bool {
    use std::io::ErrorKind;
    match e {
        zbus::Error::Address(_) | zbus::Error::InterfaceNotFound => true,
        // No socket at the address, or a stale one nobody listens on.
        zbus::Error::InputOutput(io) => matches!(
            io.kind(),
            ErrorKind::NotFound | ErrorKind::ConnectionRefused | ErrorKind::PermissionDenied
        ),
        zbus::Error::MethodError(name, _, _) => matches!(
            name.as_str(),
            "org.freedesktop.DBus.Error.ServiceUnknown"
                | "org.freedesktop.DBus.Error.NameHasNoOwner"
        ),
        zbus::Error::FDO(e) => fdo_no_service(e),
        _ => false,
    }
}

#[cfg(any(target_os = "linux", target_os = "freebsd", target_os = "openbsd"))]
fn fdo_no_service(e: &zbus::fdo::Error) -> bool {
    matches!(
        e,
        zbus::fdo::Error::ServiceUnknown(_) | zbus::fdo::Error::NameHasNoOwner(_)
    )
}

/// The Keychain and the Credential Manager are always there.
#[cfg(not(any(target_os = "linux", target_os = "freebsd", target_os = "openbsd")))]
fn no_secret_service(_: &keyring::Error) -> bool {
    false
}
