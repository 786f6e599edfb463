// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! The in-memory store: the reference for the conformance suite, and what tests use.

use std::collections::BTreeMap;

use zeroize::Zeroizing;

use super::{
    DeviceEntry, DeviceListStore, IdentityStore, OwnDevice, PreKeyStore, SessionStore,
    SignedPreKeyStore, StoreError, StoreResult, TrustStore,
};
use crate::{
    DeviceAddress, Namespace, Session,
    keys::{PreKey, SignedPreKey},
    trust::TrustLevel,
};

/// Everything in memory. Sessions are kept in their storage encoding, so the
/// encoding is exercised exactly as a database store would.
#[derive(Default)]
pub struct MemoryStore {
    own: Option<OwnDevice>,
    prekeys: BTreeMap<u32, PreKey>,
    signed_prekeys: BTreeMap<u32, SignedPreKey>,
    sessions: BTreeMap<(Namespace, String, u32), Zeroizing<Vec<u8>>>,
    device_lists: BTreeMap<(Namespace, String), Vec<DeviceEntry>>,
    trust: BTreeMap<(String, [u8; 32]), TrustLevel>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }
}

impl std::fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryStore")
            .field("own", &self.own.as_ref().map(|d| d.device_id))
            .field("prekeys", &self.prekeys.len())
            .field("sessions", &self.sessions.len())
            .finish_non_exhaustive()
    }
}

impl IdentityStore for MemoryStore {
    fn own_device(&self) -> StoreResult<Option<OwnDevice>> {
        Ok(self.own.clone())
    }
    fn save_own_device(&mut self, device: &OwnDevice) -> StoreResult<()> {
        self.own = Some(device.clone());
        Ok(())
    }
}

impl PreKeyStore for MemoryStore {
    fn load_prekey(&self, id: u32) -> StoreResult<Option<PreKey>> {
        Ok(self.prekeys.get(&id).cloned())
    }
    fn save_prekey(&mut self, prekey: &PreKey) -> StoreResult<()> {
        self.prekeys.insert(prekey.id, prekey.clone());
        Ok(())
    }
    fn remove_prekey(&mut self, id: u32) -> StoreResult<()> {
        self.prekeys.remove(&id);
        Ok(())
    }
    fn prekeys(&self) -> StoreResult<Vec<PreKey>> {
        Ok(self.prekeys.values().cloned().collect())
    }
}

impl SignedPreKeyStore for MemoryStore {
    fn load_signed_prekey(&self, id: u32) -> StoreResult<Option<SignedPreKey>> {
        Ok(self.signed_prekeys.get(&id).cloned())
    }
    fn save_signed_prekey(&mut self, spk: &SignedPreKey) -> StoreResult<()> {
        self.signed_prekeys.insert(spk.id, spk.clone());
        Ok(())
    }
    fn remove_signed_prekey(&mut self, id: u32) -> StoreResult<()> {
        self.signed_prekeys.remove(&id);
        Ok(())
    }
    fn signed_prekeys(&self) -> StoreResult<Vec<SignedPreKey>> {
        Ok(self.signed_prekeys.values().cloned().collect())
    }
}

impl SessionStore for MemoryStore {
    fn load_session(&self, ns: Namespace, device: &DeviceAddress) -> StoreResult<Option<Session>> {
        self.sessions
            .get(&(ns, device.jid.clone(), device.device_id))
            .map(|bytes| {
                Session::from_bytes(bytes)
                    .map_err(|e| StoreError::new("loading an OMEMO session from memory", e))
            })
            .transpose()
    }
    fn save_session(
        &mut self,
        ns: Namespace,
        device: &DeviceAddress,
        session: &Session,
    ) -> StoreResult<()> {
        self.sessions.insert(
            (ns, device.jid.clone(), device.device_id),
            session.to_bytes(),
        );
        Ok(())
    }
    fn delete_session(&mut self, ns: Namespace, device: &DeviceAddress) -> StoreResult<()> {
        self.sessions
            .remove(&(ns, device.jid.clone(), device.device_id));
        Ok(())
    }
}

impl DeviceListStore for MemoryStore {
    fn device_list(&self, ns: Namespace, jid: &str) -> StoreResult<Vec<DeviceEntry>> {
        Ok(self
            .device_lists
            .get(&(ns, jid.to_owned()))
            .cloned()
            .unwrap_or_default())
    }
    fn save_device_list(
        &mut self,
        ns: Namespace,
        jid: &str,
        devices: &[DeviceEntry],
    ) -> StoreResult<()> {
        let mut devices = devices.to_vec();
        devices.sort_by_key(|d| d.device_id);
        self.device_lists.insert((ns, jid.to_owned()), devices);
        Ok(())
    }
}

impl TrustStore for MemoryStore {
    fn trust(&self, jid: &str, identity: &[u8; 32]) -> StoreResult<Option<TrustLevel>> {
        Ok(self.trust.get(&(jid.to_owned(), *identity)).copied())
    }
    fn set_trust(&mut self, jid: &str, identity: &[u8; 32], level: TrustLevel) -> StoreResult<()> {
        self.trust.insert((jid.to_owned(), *identity), level);
        Ok(())
    }
    fn trusted_identities(&self, jid: &str) -> StoreResult<Vec<([u8; 32], TrustLevel)>> {
        Ok(self
            .trust
            .iter()
            .filter(|((j, _), _)| j == jid)
            .map(|((_, k), l)| (*k, *l))
            .collect())
    }
}
