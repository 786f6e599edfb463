// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! OMEMO state in SQL: sotto-omemo's store traits, for one account.
//!
//! The engine's traits have no account parameter, so [`SqlStore::omemo`]
//! hands out an [`OmemoAccountStore`] bound to one account. Key material is
//! stored as BLOBs in the encrypted database and nowhere else.

use std::fmt;

use rusqlite::{OptionalExtension, Transaction, params};
use sotto_omemo::store::{
    IdentityStore, OwnDevice, PreKeyStore, SignedPreKeyStore, StoreError as OmemoError, StoreResult,
};
use sotto_omemo::{
    DeviceAddress, IdentityKeyPair, KeyPair, Namespace, PreKey, Session, SignedPreKey,
};
use zeroize::Zeroizing;

use super::SqlStore;
use super::accounts::require_account;
use super::messages::insert_messages_tx;
use crate::error::SqlContext;
use crate::{Inserted, NewMessage, Result, StoreError};

mod records;
#[cfg(test)]
mod tests;

/// The OMEMO store of one account of a [`SqlStore`] profile (made by
/// [`SqlStore::omemo`]). Clones share the profile's connection. Writes for an
/// account that is not stored fail; removing the account removes its OMEMO
/// data.
#[derive(Clone)]
pub struct OmemoAccountStore {
    store: SqlStore,
    account: String,
}

impl fmt::Debug for OmemoAccountStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OmemoAccountStore")
            .field("store", &self.store)
            .field("account", &self.account)
            .finish()
    }
}

impl SqlStore {
    /// The OMEMO store (sotto-omemo's `OmemoStore` traits) of `account`.
    pub fn omemo(&self, account: &str) -> OmemoAccountStore {
        OmemoAccountStore {
            store: self.clone(),
            account: account.to_owned(),
        }
    }
}

fn ns_name(ns: Namespace) -> &'static str {
    match ns {
        Namespace::Legacy => "legacy",
        Namespace::Omemo2 => "omemo2",
    }
}

fn to_u32(value: i64, what: &str) -> Result<u32> {
    u32::try_from(value).map_err(|_| StoreError::Corrupt(format!("OMEMO {what} {value}")))
}

/// A stored 32-byte key, kept in zeroizing memory.
fn key32(bytes: &[u8], what: &str) -> Result<Zeroizing<[u8; 32]>> {
    let mut out = Zeroizing::new([0u8; 32]);
    if bytes.len() != out.len() {
        return Err(StoreError::Corrupt(format!(
            "OMEMO {what} of {} bytes",
            bytes.len()
        )));
    }
    out.copy_from_slice(bytes);
    Ok(out)
}

/// Wraps a store error for the engine, with what was being done.
fn wrap(context: &'static str) -> impl FnOnce(StoreError) -> OmemoError {
    move |e| OmemoError::new(context, e)
}

fn save_session_tx(
    tx: &Transaction<'_>,
    account: &str,
    ns: Namespace,
    device: &DeviceAddress,
    session: &Session,
) -> Result<()> {
    let record = session.to_bytes();
    tx.execute(
        "INSERT INTO omemo_sessions (account, namespace, jid, device_id, record)
         VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (account, namespace, jid, device_id) DO UPDATE SET record = excluded.record",
        params![
            account,
            ns_name(ns),
            device.jid,
            i64::from(device.device_id),
            record.as_slice()
        ],
    )
    .ctx("storing an OMEMO session")?;
    Ok(())
}

fn remove_prekey_tx(tx: &Transaction<'_>, account: &str, id: u32) -> Result<()> {
    tx.execute(
        "DELETE FROM omemo_prekeys WHERE account = ?1 AND id = ?2",
        params![account, i64::from(id)],
    )
    .ctx("removing an OMEMO prekey")?;
    Ok(())
}

impl OmemoAccountStore {
    /// The account this store belongs to.
    pub fn account(&self) -> &str {
        &self.account
    }

    /// Commits, in ONE transaction, what the engine's `decrypt` or `encrypt`
    /// produced together with the messages it belongs to: saves every changed
    /// session (for `decrypt`, the sender's; for `encrypt`, each of
    /// `Encrypted::sessions`), removes the one-time prekey `decrypt` used up,
    /// and inserts `msgs` exactly as [`crate::MessageStore::insert_messages`]
    /// does (same dedup, same results). If anything fails, nothing is saved:
    /// the ratchet never moves without its message, nor the message without
    /// its ratchet.
    pub fn save_sessions_with_messages<'a>(
        &self,
        ns: Namespace,
        sessions: impl IntoIterator<Item = (&'a DeviceAddress, &'a Session)>,
        consumed_prekey: Option<u32>,
        msgs: &[NewMessage],
    ) -> Result<Vec<Inserted>> {
        let account = self.account.as_str();
        self.store
            .write("storing OMEMO sessions with their messages", |tx| {
                require_account(tx, account)?;
                for (device, session) in sessions {
                    save_session_tx(tx, account, ns, device, session)?;
                }
                if let Some(id) = consumed_prekey {
                    remove_prekey_tx(tx, account, id)?;
                }
                insert_messages_tx(tx, account, msgs, None)
            })
    }

    /// Runs `f` in one write transaction for this (existing) account.
    fn write(
        &self,
        context: &'static str,
        f: impl FnOnce(&Transaction<'_>, &str) -> Result<()>,
    ) -> StoreResult<()> {
        let account = self.account.as_str();
        self.store
            .write(context, |tx| {
                require_account(tx, account)?;
                f(tx, account)
            })
            .map_err(wrap(context))
    }
}

impl crate::AccountOmemoStore for OmemoAccountStore {
    fn save_sessions_with_messages(
        &mut self,
        ns: Namespace,
        sessions: &[(DeviceAddress, Session)],
        consumed_prekey: Option<u32>,
        messages: &[NewMessage],
    ) -> Result<Vec<Inserted>> {
        OmemoAccountStore::save_sessions_with_messages(
            self,
            ns,
            sessions.iter().map(|(d, s)| (d, s)),
            consumed_prekey,
            messages,
        )
    }
}

impl crate::OmemoStores for SqlStore {
    fn omemo_store(&self, account: &str) -> Box<dyn crate::AccountOmemoStore> {
        Box::new(self.omemo(account))
    }
}

impl IdentityStore for OmemoAccountStore {
    fn own_device(&self) -> StoreResult<Option<OwnDevice>> {
        const CONTEXT: &str = "reading our OMEMO device";
        let row = self
            .store
            .lock()
            .query_row(
                "SELECT device_id, identity_seed FROM omemo_own_devices WHERE account = ?1",
                [&self.account],
                |r| Ok((r.get::<_, i64>(0)?, Zeroizing::new(r.get::<_, Vec<u8>>(1)?))),
            )
            .optional()
            .ctx(CONTEXT)
            .map_err(wrap(CONTEXT))?;
        row.map(|(id, seed)| {
            Ok(OwnDevice {
                device_id: to_u32(id, "device id")?,
                identity: IdentityKeyPair::from_seed(*key32(&seed, "identity seed")?),
            })
        })
        .transpose()
        .map_err(wrap(CONTEXT))
    }

    fn save_own_device(&mut self, device: &OwnDevice) -> StoreResult<()> {
        self.write("storing our OMEMO device", |tx, account| {
            tx.execute(
                "INSERT INTO omemo_own_devices (account, device_id, identity_seed)
                 VALUES (?1, ?2, ?3)
                 ON CONFLICT (account) DO UPDATE SET device_id = excluded.device_id,
                     identity_seed = excluded.identity_seed",
                params![
                    account,
                    i64::from(device.device_id),
                    device.identity.seed().as_slice()
                ],
            )
            .ctx("storing our OMEMO device")?;
            Ok(())
        })
    }
}

/// Reads `(id, private key[, created_at])` rows of one prekey table.
fn read_keys(
    store: &OmemoAccountStore,
    context: &'static str,
    sql: &str,
    id: Option<u32>,
) -> StoreResult<Vec<(u32, KeyPair, i64)>> {
    let conn = store.store.lock();
    let rows = (|| {
        let mut stmt = conn.prepare_cached(sql).ctx(context)?;
        let rows = stmt
            .query_map(params![store.account, id.map(i64::from)], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    Zeroizing::new(r.get::<_, Vec<u8>>(1)?),
                    r.get::<_, i64>(2)?,
                ))
            })
            .ctx(context)?
            .collect::<rusqlite::Result<Vec<_>>>()
            .ctx(context)?;
        rows.into_iter()
            .map(|(id, private, extra)| {
                let private = key32(&private, "private key")?;
                Ok((
                    to_u32(id, "key id")?,
                    KeyPair::from_private(*private),
                    extra,
                ))
            })
            .collect::<Result<Vec<_>>>()
    })();
    rows.map_err(wrap(context))
}

impl PreKeyStore for OmemoAccountStore {
    fn load_prekey(&self, id: u32) -> StoreResult<Option<PreKey>> {
        let found = read_keys(
            self,
            "reading an OMEMO prekey",
            "SELECT id, private_key, 0 FROM omemo_prekeys WHERE account = ?1 AND id = ?2",
            Some(id),
        )?;
        Ok(found
            .into_iter()
            .next()
            .map(|(id, key_pair, _)| PreKey { id, key_pair }))
    }

    fn save_prekey(&mut self, prekey: &PreKey) -> StoreResult<()> {
        self.write("storing an OMEMO prekey", |tx, account| {
            tx.execute(
                "INSERT INTO omemo_prekeys (account, id, private_key) VALUES (?1, ?2, ?3)
                 ON CONFLICT (account, id) DO UPDATE SET private_key = excluded.private_key",
                params![
                    account,
                    i64::from(prekey.id),
                    prekey.key_pair.private().as_slice()
                ],
            )
            .ctx("storing an OMEMO prekey")?;
            Ok(())
        })
    }

    fn remove_prekey(&mut self, id: u32) -> StoreResult<()> {
        self.write("removing an OMEMO prekey", |tx, account| {
            remove_prekey_tx(tx, account, id)
        })
    }

    fn prekeys(&self) -> StoreResult<Vec<PreKey>> {
        let all = read_keys(
            self,
            "reading OMEMO prekeys",
            "SELECT id, private_key, 0 FROM omemo_prekeys
             WHERE account = ?1 AND ?2 IS NULL ORDER BY id",
            None,
        )?;
        Ok(all
            .into_iter()
            .map(|(id, key_pair, _)| PreKey { id, key_pair })
            .collect())
    }
}

fn signed(
    context: &'static str,
    (id, key_pair, created_at): (u32, KeyPair, i64),
) -> StoreResult<SignedPreKey> {
    let created_at = u64::try_from(created_at)
        .map_err(|_| StoreError::Corrupt(format!("OMEMO signed prekey time {created_at}")))
        .map_err(wrap(context))?;
    Ok(SignedPreKey {
        id,
        key_pair,
        created_at,
    })
}

impl SignedPreKeyStore for OmemoAccountStore {
    fn load_signed_prekey(&self, id: u32) -> StoreResult<Option<SignedPreKey>> {
        const CONTEXT: &str = "reading an OMEMO signed prekey";
        read_keys(
            self,
            CONTEXT,
            "SELECT id, private_key, created_at FROM omemo_signed_prekeys
             WHERE account = ?1 AND id = ?2",
            Some(id),
        )?
        .into_iter()
        .next()
        .map(|row| signed(CONTEXT, row))
        .transpose()
    }

    fn save_signed_prekey(&mut self, spk: &SignedPreKey) -> StoreResult<()> {
        const CONTEXT: &str = "storing an OMEMO signed prekey";
        let created_at = i64::try_from(spk.created_at).map_err(|_| {
            OmemoError::msg("storing an OMEMO signed prekey: creation time out of range")
        })?;
        self.write(CONTEXT, |tx, account| {
            tx.execute(
                "INSERT INTO omemo_signed_prekeys (account, id, private_key, created_at)
                 VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (account, id) DO UPDATE SET private_key = excluded.private_key,
                     created_at = excluded.created_at",
                params![
                    account,
                    i64::from(spk.id),
                    spk.key_pair.private().as_slice(),
                    created_at
                ],
            )
            .ctx(CONTEXT)?;
            Ok(())
        })
    }

    fn remove_signed_prekey(&mut self, id: u32) -> StoreResult<()> {
        self.write("removing an OMEMO signed prekey", |tx, account| {
            tx.execute(
                "DELETE FROM omemo_signed_prekeys WHERE account = ?1 AND id = ?2",
                params![account, i64::from(id)],
            )
            .ctx("removing an OMEMO signed prekey")?;
            Ok(())
        })
    }

    fn signed_prekeys(&self) -> StoreResult<Vec<SignedPreKey>> {
        const CONTEXT: &str = "reading OMEMO signed prekeys";
        read_keys(
            self,
            CONTEXT,
            "SELECT id, private_key, created_at FROM omemo_signed_prekeys
             WHERE account = ?1 AND ?2 IS NULL ORDER BY id",
            None,
        )?
        .into_iter()
        .map(|row| signed(CONTEXT, row))
        .collect()
    }
}
