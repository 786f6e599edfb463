// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! Accounts and rosters in SQL.

use rusqlite::{OptionalExtension, Row, Transaction, params};

use super::{SqlStore, codec};
use crate::error::SqlContext;
use crate::traits::{AccountStore, RosterStore};
use crate::{AccountRecord, AccountSettings, Password, Result, RosterItem, StoreError};

fn account_from_row(row: &Row<'_>) -> rusqlite::Result<(String, String)> {
    Ok((row.get(0)?, row.get(1)?))
}

fn decode_account((settings, password): (String, String)) -> Result<AccountRecord> {
    let settings: AccountSettings = serde_json::from_str(&settings)
        .map_err(|e| StoreError::Corrupt(format!("stored account settings: {e}")))?;
    Ok(AccountRecord {
        settings,
        password: Password::new(password),
    })
}

/// `NotFound` unless the account is stored (checked inside the transaction
/// that then writes for it).
pub(super) fn require_account(tx: &Transaction<'_>, jid: &str) -> Result<()> {
    let found = tx
        .query_row("SELECT 1 FROM accounts WHERE jid = ?1", [jid], |_| Ok(()))
        .optional()
        .ctx("looking up the account")?;
    found.ok_or_else(|| StoreError::NotFound(format!("account {jid}")))
}

fn set_roster_version(tx: &Transaction<'_>, account: &str, version: Option<&str>) -> Result<()> {
    tx.execute(
        "INSERT INTO account_sync (account, roster_version) VALUES (?1, ?2)
         ON CONFLICT (account) DO UPDATE SET roster_version = excluded.roster_version",
        params![account, version],
    )
    .ctx("storing the roster version")?;
    Ok(())
}

fn put_roster_item(tx: &Transaction<'_>, account: &str, item: &RosterItem) -> Result<()> {
    let groups = serde_json::to_string(&item.groups)
        .map_err(|e| StoreError::Corrupt(format!("encoding roster groups: {e}")))?;
    tx.execute(
        "INSERT INTO roster_items (account, jid, name, subscription, ask_subscribe, groups_json)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT (account, jid) DO UPDATE SET name = excluded.name,
             subscription = excluded.subscription, ask_subscribe = excluded.ask_subscribe,
             groups_json = excluded.groups_json",
        params![
            account,
            item.jid,
            item.name,
            codec::subscription(item.subscription),
            item.ask_subscribe,
            groups
        ],
    )
    .ctx("storing a roster item")?;
    Ok(())
}

impl AccountStore for SqlStore {
    fn upsert_account(&self, account: &AccountRecord) -> Result<()> {
        let settings = serde_json::to_string(&account.settings)
            .map_err(|e| StoreError::Corrupt(format!("encoding account settings: {e}")))?;
        self.write("storing an account", |tx| {
            // An upsert, not INSERT OR REPLACE: replacing would delete the row
            // and cascade away the account's roster and messages.
            tx.execute(
                "INSERT INTO accounts (jid, settings, password) VALUES (?1, ?2, ?3)
                 ON CONFLICT (jid) DO UPDATE SET settings = excluded.settings,
                     password = excluded.password",
                params![account.settings.jid, settings, account.password.expose()],
            )
            .ctx("storing an account")?;
            Ok(())
        })
    }

    fn accounts(&self) -> Result<Vec<AccountRecord>> {
        let conn = self.lock();
        let mut stmt = conn
            .prepare_cached("SELECT settings, password FROM accounts ORDER BY id")
            .ctx("listing accounts")?;
        let rows = stmt
            .query_map([], account_from_row)
            .ctx("listing accounts")?
            .collect::<rusqlite::Result<Vec<_>>>()
            .ctx("listing accounts")?;
        rows.into_iter().map(decode_account).collect()
    }

    fn account(&self, jid: &str) -> Result<Option<AccountRecord>> {
        let row = self
            .lock()
            .query_row(
                "SELECT settings, password FROM accounts WHERE jid = ?1",
                [jid],
                account_from_row,
            )
            .optional()
            .ctx("reading an account")?;
        row.map(decode_account).transpose()
    }

    fn remove_account(&self, jid: &str) -> Result<()> {
        self.write("removing an account", |tx| {
            // Explicit deletes rather than relying on ON DELETE CASCADE alone,
            // so the FTS triggers and secure_delete see every row go.
            for sql in [
                "DELETE FROM messages WHERE account = ?1",
                "DELETE FROM room_members WHERE account = ?1",
                "DELETE FROM rooms WHERE account = ?1",
                "DELETE FROM roster_items WHERE account = ?1",
                "DELETE FROM account_sync WHERE account = ?1",
                "DELETE FROM accounts WHERE jid = ?1",
            ] {
                tx.execute(sql, [jid]).ctx("removing an account")?;
            }
            Ok(())
        })
    }
}

impl RosterStore for SqlStore {
    fn roster(&self, account: &str) -> Result<(Option<String>, Vec<RosterItem>)> {
        let conn = self.lock();
        let version: Option<String> = conn
            .query_row(
                "SELECT roster_version FROM account_sync WHERE account = ?1",
                [account],
                |r| r.get(0),
            )
            .optional()
            .ctx("reading the roster version")?
            .flatten();
        let mut stmt = conn
            .prepare_cached(
                "SELECT jid, name, subscription, ask_subscribe, groups_json
                 FROM roster_items WHERE account = ?1 ORDER BY jid",
            )
            .ctx("reading the roster")?;
        let rows = stmt
            .query_map([account], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, Option<String>>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, bool>(3)?,
                    r.get::<_, String>(4)?,
                ))
            })
            .ctx("reading the roster")?
            .collect::<rusqlite::Result<Vec<_>>>()
            .ctx("reading the roster")?;
        let items = rows
            .into_iter()
            .map(|(jid, name, subscription, ask_subscribe, groups)| {
                Ok(RosterItem {
                    jid,
                    name,
                    subscription: codec::parse_subscription(&subscription)?,
                    ask_subscribe,
                    groups: serde_json::from_str(&groups)
                        .map_err(|e| StoreError::Corrupt(format!("stored roster groups: {e}")))?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok((version, items))
    }

    fn replace_roster(
        &self,
        account: &str,
        version: Option<&str>,
        items: &[RosterItem],
    ) -> Result<()> {
        self.write("replacing the roster", |tx| {
            require_account(tx, account)?;
            tx.execute("DELETE FROM roster_items WHERE account = ?1", [account])
                .ctx("clearing the roster")?;
            for item in items {
                put_roster_item(tx, account, item)?;
            }
            set_roster_version(tx, account, version)
        })
    }

    fn apply_roster_push(
        &self,
        account: &str,
        version: Option<&str>,
        item: &RosterItem,
        removed: bool,
    ) -> Result<()> {
        self.write("applying a roster push", |tx| {
            require_account(tx, account)?;
            if removed {
                tx.execute(
                    "DELETE FROM roster_items WHERE account = ?1 AND jid = ?2",
                    [account, item.jid.as_str()],
                )
                .ctx("removing a roster item")?;
            } else {
                put_roster_item(tx, account, item)?;
            }
            set_roster_version(tx, account, version)
        })
    }
}
