// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! OMEMO state of the in-memory profile: the engine's own in-memory store,
//! one per account, shared by every handle on that account.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use sotto_omemo::store::{
    DeviceEntry, DeviceListStore, IdentityStore, MemoryStore as EngineStore, OwnDevice,
    PreKeyStore, SessionStore, SignedPreKeyStore, StoreError as OmemoError, StoreResult,
    TrustStore,
};
use sotto_omemo::trust::TrustLevel;
use sotto_omemo::{DeviceAddress, Namespace, PreKey, Session, SignedPreKey};

use super::MemoryStore;
use crate::traits::{AccountOmemoStore, MessageStore, OmemoStores};
use crate::{Inserted, NewMessage, Result};

pub(super) type Shared = Arc<Mutex<EngineStore>>;

/// One account's OMEMO store in a [`MemoryStore`] profile.
pub(crate) struct MemoryOmemo {
    profile: MemoryStore,
    account: String,
    engine: Shared,
}

impl std::fmt::Debug for MemoryOmemo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryOmemo")
            .field("account", &self.account)
            .finish_non_exhaustive()
    }
}

impl MemoryOmemo {
    fn engine(&self) -> MutexGuard<'_, EngineStore> {
        self.engine.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Writes need the account to exist, as in the SQL store.
    fn writable(&self) -> StoreResult<MutexGuard<'_, EngineStore>> {
        self.profile
            .lock()
            .require_account(&self.account)
            .map_err(|e| OmemoError::new("writing OMEMO state", e))?;
        Ok(self.engine())
    }
}

impl OmemoStores for MemoryStore {
    fn omemo_store(&self, account: &str) -> Box<dyn AccountOmemoStore> {
        let engine = self
            .lock()
            .omemo
            .entry(account.to_owned())
            .or_default()
            .clone();
        Box::new(MemoryOmemo {
            profile: self.clone(),
            account: account.to_owned(),
            engine,
        })
    }
}

impl AccountOmemoStore for MemoryOmemo {
    fn save_sessions_with_messages(
        &mut self,
        ns: Namespace,
        sessions: &[(DeviceAddress, Session)],
        consumed_prekey: Option<u32>,
        messages: &[NewMessage],
    ) -> Result<Vec<Inserted>> {
        // Messages first: they are the part that can fail on input (an
        // unknown account); the engine store cannot fail after that.
        let inserted = self
            .profile
            .insert_messages(&self.account, messages, None)?;
        let mut engine = self.engine();
        for (device, session) in sessions {
            let _ = engine.save_session(ns, device, session);
        }
        if let Some(id) = consumed_prekey {
            let _ = engine.remove_prekey(id);
        }
        Ok(inserted)
    }
}

impl IdentityStore for MemoryOmemo {
    fn own_device(&self) -> StoreResult<Option<OwnDevice>> {
        self.engine().own_device()
    }
    fn save_own_device(&mut self, device: &OwnDevice) -> StoreResult<()> {
        self.writable()?.save_own_device(device)
    }
}

impl PreKeyStore for MemoryOmemo {
    fn load_prekey(&self, id: u32) -> StoreResult<Option<PreKey>> {
        self.engine().load_prekey(id)
    }
    fn save_prekey(&mut self, prekey: &PreKey) -> StoreResult<()> {
        self.writable()?.save_prekey(prekey)
    }
    fn remove_prekey(&mut self, id: u32) -> StoreResult<()> {
        self.writable()?.remove_prekey(id)
    }
    fn prekeys(&self) -> StoreResult<Vec<PreKey>> {
        self.engine().prekeys()
    }
}

impl SignedPreKeyStore for MemoryOmemo {
    fn load_signed_prekey(&self, id: u32) -> StoreResult<Option<SignedPreKey>> {
        self.engine().load_signed_prekey(id)
    }
    fn save_signed_prekey(&mut self, spk: &SignedPreKey) -> StoreResult<()> {
        self.writable()?.save_signed_prekey(spk)
    }
    fn remove_signed_prekey(&mut self, id: u32) -> StoreResult<()> {
        self.writable()?.remove_signed_prekey(id)
    }
    fn signed_prekeys(&self) -> StoreResult<Vec<SignedPreKey>> {
        self.engine().signed_prekeys()
    }
}

impl SessionStore for MemoryOmemo {
    fn load_session(&self, ns: Namespace, device: &DeviceAddress) -> StoreResult<Option<Session>> {
        self.engine().load_session(ns, device)
    }
    fn save_session(
        &mut self,
        ns: Namespace,
        device: &DeviceAddress,
        session: &Session,
    ) -> StoreResult<()> {
        self.writable()?.save_session(ns, device, session)
    }
    fn delete_session(&mut self, ns: Namespace, device: &DeviceAddress) -> StoreResult<()> {
        self.writable()?.delete_session(ns, device)
    }
}

impl DeviceListStore for MemoryOmemo {
    fn device_list(&self, ns: Namespace, jid: &str) -> StoreResult<Vec<DeviceEntry>> {
        self.engine().device_list(ns, jid)
    }
    fn save_device_list(
        &mut self,
        ns: Namespace,
        jid: &str,
        devices: &[DeviceEntry],
    ) -> StoreResult<()> {
        self.writable()?.save_device_list(ns, jid, devices)
    }
}

impl TrustStore for MemoryOmemo {
    fn trust(&self, jid: &str, identity: &[u8; 32]) -> StoreResult<Option<TrustLevel>> {
        self.engine().trust(jid, identity)
    }
    fn set_trust(&mut self, jid: &str, identity: &[u8; 32], level: TrustLevel) -> StoreResult<()> {
        self.writable()?.set_trust(jid, identity, level)
    }
    fn trusted_identities(&self, jid: &str) -> StoreResult<Vec<([u8; 32], TrustLevel)>> {
        self.engine().trusted_identities(jid)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::AccountStore;
    use crate::conformance::{ALICE, account, incoming};

    fn alice() -> MemoryOmemo {
        let profile = MemoryStore::new();
        profile.upsert_account(&account(ALICE)).unwrap();
        MemoryOmemo {
            engine: Shared::default(),
            account: ALICE.to_owned(),
            profile,
        }
    }

    mod conformance {
        sotto_omemo::omemo_store_conformance!(super::alice());
    }

    #[test]
    fn handles_share_state_and_writes_need_the_account() {
        let profile = MemoryStore::new();
        let mut nobody = profile.omemo_store(ALICE);
        assert!(nobody.save_prekey(&sample_prekey()).is_err());
        profile.upsert_account(&account(ALICE)).unwrap();
        let mut one = profile.omemo_store(ALICE);
        one.save_prekey(&sample_prekey()).unwrap();
        let other = profile.omemo_store(ALICE);
        assert_eq!(other.prekeys().unwrap().len(), 1);
        let inserted = one
            .save_sessions_with_messages(
                Namespace::Legacy,
                &[],
                Some(7),
                &[incoming(crate::conformance::BOB, "x", 1)],
            )
            .unwrap();
        assert!(matches!(inserted[..], [Inserted::New(_)]));
        assert!(other.prekeys().unwrap().is_empty());
        profile.remove_account(ALICE).unwrap();
        assert!(profile.omemo_store(ALICE).prekeys().unwrap().is_empty());
    }

    fn sample_prekey() -> PreKey {
        PreKey {
            id: 7,
            key_pair: sotto_omemo::KeyPair::from_private([3; 32]),
        }
    }
}
