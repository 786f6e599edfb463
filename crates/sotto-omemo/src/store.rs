// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! Narrow storage traits, one per kind of record, and an in-memory store.
//!
//! The engine never writes through these traits by itself: [`crate::decrypt`]
//! and [`crate::encrypt`] return the new state, and the caller saves it in the
//! same transaction as the message it belongs to. [`apply_decrypted`] is that
//! step for stores without transactions (the in-memory one).

use crate::{
    DeviceAddress, IdentityKeyPair, Namespace, Session,
    engine::Decrypted,
    keys::{PreKey, SignedPreKey},
    trust::TrustLevel,
};

mod memory;

pub use memory::MemoryStore;

/// A storage failure, with what was being done.
#[derive(Debug, thiserror::Error)]
#[error("{context}")]
pub struct StoreError {
    context: String,
    #[source]
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

impl StoreError {
    /// A failure while doing `context`, caused by `source`.
    pub fn new(
        context: impl Into<String>,
        source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Self {
        Self {
            context: context.into(),
            source: Some(source.into()),
        }
    }

    /// A failure without an underlying error.
    pub fn msg(context: impl Into<String>) -> Self {
        Self {
            context: context.into(),
            source: None,
        }
    }
}

/// Store results.
pub type StoreResult<T> = Result<T, StoreError>;

/// Our own device: its id and identity key pair.
#[derive(Clone, Debug)]
pub struct OwnDevice {
    /// Our device id (1 ..= 2^31 - 1).
    pub device_id: u32,
    /// Our identity.
    pub identity: IdentityKeyPair,
}

/// One entry of a device list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeviceEntry {
    /// The device id.
    pub device_id: u32,
    /// Whether the device is in the currently published list.
    pub active: bool,
    /// The optional label (OMEMO 2).
    pub label: Option<String>,
}

/// Our identity.
pub trait IdentityStore {
    /// Our device, once created.
    fn own_device(&self) -> StoreResult<Option<OwnDevice>>;
    /// Saves our device.
    fn save_own_device(&mut self, device: &OwnDevice) -> StoreResult<()>;
}

/// One-time prekeys.
pub trait PreKeyStore {
    /// A prekey by id.
    fn load_prekey(&self, id: u32) -> StoreResult<Option<PreKey>>;
    /// Saves (or replaces) a prekey.
    fn save_prekey(&mut self, prekey: &PreKey) -> StoreResult<()>;
    /// Removes a used prekey (absent ids are fine).
    fn remove_prekey(&mut self, id: u32) -> StoreResult<()>;
    /// All prekeys, by ascending id.
    fn prekeys(&self) -> StoreResult<Vec<PreKey>>;
}

/// Signed prekeys (the current one and those kept for a grace period).
pub trait SignedPreKeyStore {
    /// A signed prekey by id.
    fn load_signed_prekey(&self, id: u32) -> StoreResult<Option<SignedPreKey>>;
    /// Saves (or replaces) a signed prekey.
    fn save_signed_prekey(&mut self, spk: &SignedPreKey) -> StoreResult<()>;
    /// Removes a signed prekey.
    fn remove_signed_prekey(&mut self, id: u32) -> StoreResult<()>;
    /// All signed prekeys, by ascending id.
    fn signed_prekeys(&self) -> StoreResult<Vec<SignedPreKey>>;
}

/// Sessions, one per namespace and remote device.
pub trait SessionStore {
    /// The session with a device.
    fn load_session(&self, ns: Namespace, device: &DeviceAddress) -> StoreResult<Option<Session>>;
    /// Saves (or replaces) the session with a device.
    fn save_session(
        &mut self,
        ns: Namespace,
        device: &DeviceAddress,
        session: &Session,
    ) -> StoreResult<()>;
    /// Deletes the session with a device.
    fn delete_session(&mut self, ns: Namespace, device: &DeviceAddress) -> StoreResult<()>;
}

/// Device lists, per namespace and bare JID (ours included).
pub trait DeviceListStore {
    /// The known devices of `jid`, by ascending id.
    fn device_list(&self, ns: Namespace, jid: &str) -> StoreResult<Vec<DeviceEntry>>;
    /// Replaces the known devices of `jid`.
    fn save_device_list(
        &mut self,
        ns: Namespace,
        jid: &str,
        devices: &[DeviceEntry],
    ) -> StoreResult<()>;
}

/// Trust decisions, per bare JID and identity key (Curve25519 form).
pub trait TrustStore {
    /// The trust in one identity key of `jid`.
    fn trust(&self, jid: &str, identity: &[u8; 32]) -> StoreResult<Option<TrustLevel>>;
    /// Records a trust decision.
    fn set_trust(&mut self, jid: &str, identity: &[u8; 32], level: TrustLevel) -> StoreResult<()>;
    /// Every identity key of `jid` with its trust, by ascending key.
    fn trusted_identities(&self, jid: &str) -> StoreResult<Vec<([u8; 32], TrustLevel)>>;
}

/// Everything the engine stores.
pub trait OmemoStore:
    IdentityStore + PreKeyStore + SignedPreKeyStore + SessionStore + DeviceListStore + TrustStore
{
}

impl<T> OmemoStore for T where
    T: IdentityStore
        + PreKeyStore
        + SignedPreKeyStore
        + SessionStore
        + DeviceListStore
        + TrustStore
{
}

/// Saves what [`crate::decrypt`] returned: the new session, and the removal of
/// the used one-time prekey. A store with transactions does this (and stores
/// the message) in one transaction instead.
pub fn apply_decrypted<S: SessionStore + PreKeyStore + ?Sized>(
    store: &mut S,
    ns: Namespace,
    sender: &DeviceAddress,
    decrypted: &Decrypted,
) -> StoreResult<()> {
    store.save_session(ns, sender, &decrypted.session)?;
    if let Some(id) = decrypted.consumed_prekey {
        store.remove_prekey(id)?;
    }
    Ok(())
}

#[cfg(any(test, feature = "testing"))]
pub mod conformance;
