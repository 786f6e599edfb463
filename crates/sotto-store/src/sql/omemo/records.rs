// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! OMEMO sessions, device lists and trust decisions in SQL.

use rusqlite::{OptionalExtension, params};
use sotto_omemo::store::{
    DeviceEntry, DeviceListStore, SessionStore, StoreError as OmemoError, StoreResult, TrustStore,
};
use sotto_omemo::trust::TrustLevel;
use sotto_omemo::{DeviceAddress, Namespace, Session};
use zeroize::Zeroizing;

use super::{OmemoAccountStore, ns_name, save_session_tx, to_u32, wrap};
use crate::error::SqlContext;
use crate::{Result, StoreError};

impl SessionStore for OmemoAccountStore {
    fn load_session(&self, ns: Namespace, device: &DeviceAddress) -> StoreResult<Option<Session>> {
        const CONTEXT: &str = "reading an OMEMO session";
        let record = self
            .store
            .lock()
            .query_row(
                "SELECT record FROM omemo_sessions
                 WHERE account = ?1 AND namespace = ?2 AND jid = ?3 AND device_id = ?4",
                params![
                    self.account,
                    ns_name(ns),
                    device.jid,
                    i64::from(device.device_id)
                ],
                |r| Ok(Zeroizing::new(r.get::<_, Vec<u8>>(0)?)),
            )
            .optional()
            .ctx(CONTEXT)
            .map_err(wrap(CONTEXT))?;
        record
            .map(|bytes| {
                Session::from_bytes(&bytes)
                    .map_err(|e| OmemoError::new("decoding a stored OMEMO session", e))
            })
            .transpose()
    }

    fn save_session(
        &mut self,
        ns: Namespace,
        device: &DeviceAddress,
        session: &Session,
    ) -> StoreResult<()> {
        self.write("storing an OMEMO session", |tx, account| {
            save_session_tx(tx, account, ns, device, session)
        })
    }

    fn delete_session(&mut self, ns: Namespace, device: &DeviceAddress) -> StoreResult<()> {
        self.write("deleting an OMEMO session", |tx, account| {
            tx.execute(
                "DELETE FROM omemo_sessions
                 WHERE account = ?1 AND namespace = ?2 AND jid = ?3 AND device_id = ?4",
                params![
                    account,
                    ns_name(ns),
                    device.jid,
                    i64::from(device.device_id)
                ],
            )
            .ctx("deleting an OMEMO session")?;
            Ok(())
        })
    }
}

impl DeviceListStore for OmemoAccountStore {
    fn device_list(&self, ns: Namespace, jid: &str) -> StoreResult<Vec<DeviceEntry>> {
        const CONTEXT: &str = "reading an OMEMO device list";
        let conn = self.store.lock();
        let rows = (|| {
            let mut stmt = conn
                .prepare_cached(
                    "SELECT device_id, active, label FROM omemo_devices
                     WHERE account = ?1 AND namespace = ?2 AND jid = ?3 ORDER BY device_id",
                )
                .ctx(CONTEXT)?;
            let rows = stmt
                .query_map(params![self.account, ns_name(ns), jid], |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        r.get::<_, bool>(1)?,
                        r.get::<_, Option<String>>(2)?,
                    ))
                })
                .ctx(CONTEXT)?
                .collect::<rusqlite::Result<Vec<_>>>()
                .ctx(CONTEXT)?;
            rows.into_iter()
                .map(|(id, active, label)| {
                    Ok(DeviceEntry {
                        device_id: to_u32(id, "device id")?,
                        active,
                        label,
                    })
                })
                .collect::<Result<Vec<_>>>()
        })();
        rows.map_err(wrap(CONTEXT))
    }

    fn save_device_list(
        &mut self,
        ns: Namespace,
        jid: &str,
        devices: &[DeviceEntry],
    ) -> StoreResult<()> {
        const CONTEXT: &str = "storing an OMEMO device list";
        self.write(CONTEXT, |tx, account| {
            tx.execute(
                "DELETE FROM omemo_devices WHERE account = ?1 AND namespace = ?2 AND jid = ?3",
                params![account, ns_name(ns), jid],
            )
            .ctx(CONTEXT)?;
            let mut insert = tx
                .prepare_cached(
                    "INSERT INTO omemo_devices (account, namespace, jid, device_id, active, label)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                     ON CONFLICT (account, namespace, jid, device_id)
                     DO UPDATE SET active = excluded.active, label = excluded.label",
                )
                .ctx(CONTEXT)?;
            for d in devices {
                insert
                    .execute(params![
                        account,
                        ns_name(ns),
                        jid,
                        i64::from(d.device_id),
                        d.active,
                        d.label
                    ])
                    .ctx(CONTEXT)?;
            }
            Ok(())
        })
    }
}

fn parse_trust(name: &str) -> Result<TrustLevel> {
    TrustLevel::parse(name)
        .ok_or_else(|| StoreError::Corrupt(format!("OMEMO trust level {name:?}")))
}

fn identity_key(bytes: &[u8]) -> Result<[u8; 32]> {
    <[u8; 32]>::try_from(bytes)
        .map_err(|_| StoreError::Corrupt(format!("OMEMO identity key of {} bytes", bytes.len())))
}

impl TrustStore for OmemoAccountStore {
    fn trust(&self, jid: &str, identity: &[u8; 32]) -> StoreResult<Option<TrustLevel>> {
        const CONTEXT: &str = "reading an OMEMO trust decision";
        let name = self
            .store
            .lock()
            .query_row(
                "SELECT trust FROM omemo_trust WHERE account = ?1 AND jid = ?2 AND identity = ?3",
                params![self.account, jid, identity.as_slice()],
                |r| r.get::<_, String>(0),
            )
            .optional()
            .ctx(CONTEXT)
            .map_err(wrap(CONTEXT))?;
        name.map(|n| parse_trust(&n))
            .transpose()
            .map_err(wrap(CONTEXT))
    }

    fn set_trust(&mut self, jid: &str, identity: &[u8; 32], level: TrustLevel) -> StoreResult<()> {
        const CONTEXT: &str = "storing an OMEMO trust decision";
        self.write(CONTEXT, |tx, account| {
            tx.execute(
                "INSERT INTO omemo_trust (account, jid, identity, trust) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (account, jid, identity) DO UPDATE SET trust = excluded.trust",
                params![account, jid, identity.as_slice(), level.as_str()],
            )
            .ctx(CONTEXT)?;
            Ok(())
        })
    }

    fn trusted_identities(&self, jid: &str) -> StoreResult<Vec<([u8; 32], TrustLevel)>> {
        const CONTEXT: &str = "reading OMEMO trust decisions";
        let conn = self.store.lock();
        let rows = (|| {
            // BLOBs compare bytewise (memcmp), the order of [u8; 32].
            let mut stmt = conn
                .prepare_cached(
                    "SELECT identity, trust FROM omemo_trust
                     WHERE account = ?1 AND jid = ?2 ORDER BY identity",
                )
                .ctx(CONTEXT)?;
            let rows = stmt
                .query_map(params![self.account, jid], |r| {
                    Ok((r.get::<_, Vec<u8>>(0)?, r.get::<_, String>(1)?))
                })
                .ctx(CONTEXT)?
                .collect::<rusqlite::Result<Vec<_>>>()
                .ctx(CONTEXT)?;
            rows.into_iter()
                .map(|(key, trust)| Ok((identity_key(&key)?, parse_trust(&trust)?)))
                .collect::<Result<Vec<_>>>()
        })();
        rows.map_err(wrap(CONTEXT))
    }
}
