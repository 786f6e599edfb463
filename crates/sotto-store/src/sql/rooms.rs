// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! Rooms and their members in SQL (migration 0006).

use std::collections::HashSet;

use rusqlite::{Connection, OptionalExtension, Params, Row, Transaction, params};

use super::accounts::require_account;
use super::{SqlStore, codec};
use crate::error::SqlContext;
use crate::traits::{RoomMemberStore, RoomStore};
use crate::{Password, Result, RoomConfig, RoomMember, RoomRecord, RoomSettings, StoreError};

/// Columns of a [`RoomRecord`], in the order [`room_from_row`] reads them.
const ROOM_COLS: &str = "jid, name, nick, password, autojoin, bookmarked, members_only, \
                         non_anonymous, persistent, subject, archive_cursor";

fn room_from_row(r: &Row<'_>) -> rusqlite::Result<RoomRecord> {
    Ok(RoomRecord {
        settings: RoomSettings {
            jid: r.get(0)?,
            name: r.get(1)?,
            nick: r.get(2)?,
            password: r.get::<_, Option<String>>(3)?.map(Password::new),
            autojoin: r.get(4)?,
            bookmarked: r.get(5)?,
            config: RoomConfig {
                members_only: r.get(6)?,
                non_anonymous: r.get(7)?,
                persistent: r.get(8)?,
            },
        },
        subject: r.get(9)?,
        archive_cursor: r.get(10)?,
    })
}

fn query_rooms(
    conn: &Connection,
    context: &'static str,
    sql: &str,
    params: impl Params,
) -> Result<Vec<RoomRecord>> {
    let mut stmt = conn.prepare_cached(sql).ctx(context)?;
    stmt.query_map(params, room_from_row)
        .ctx(context)?
        .collect::<rusqlite::Result<Vec<_>>>()
        .ctx(context)
}

/// `NotFound` unless the room is stored (checked inside the transaction
/// that then writes for it).
fn require_room(tx: &Transaction<'_>, account: &str, room: &str) -> Result<()> {
    let found = tx
        .query_row(
            "SELECT 1 FROM rooms WHERE account = ?1 AND jid = ?2",
            [account, room],
            |_| Ok(()),
        )
        .optional()
        .ctx("looking up the room")?;
    found.ok_or_else(|| StoreError::NotFound(format!("room {room}")))
}

fn put_member(tx: &Transaction<'_>, account: &str, room: &str, m: &RoomMember) -> Result<()> {
    // A member written without a nickname keeps the one already known.
    tx.execute(
        "INSERT INTO room_members (account, room, jid, affiliation, nick)
         VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (account, room, jid) DO UPDATE SET affiliation = excluded.affiliation,
             nick = coalesce(excluded.nick, room_members.nick)",
        params![
            account,
            room,
            m.jid,
            codec::affiliation(m.affiliation),
            m.nick
        ],
    )
    .ctx("storing a room member")?;
    Ok(())
}

impl SqlStore {
    /// Sets one column of a stored room (`NotFound` if it is not stored).
    fn update_room(
        &self,
        context: &'static str,
        sql: &str,
        account: &str,
        room: &str,
        value: Option<&str>,
    ) -> Result<()> {
        self.write(context, |tx| {
            let changed = tx
                .execute(sql, params![value, account, room])
                .ctx(context)?;
            if changed == 0 {
                return Err(StoreError::NotFound(format!("room {room}")));
            }
            Ok(())
        })
    }
}

impl RoomStore for SqlStore {
    fn upsert_room(&self, account: &str, room: &RoomSettings) -> Result<()> {
        self.write("storing a room", |tx| {
            require_account(tx, account)?;
            // An upsert, not INSERT OR REPLACE: replacing would delete the
            // row, cascade away the members and drop subject and cursor.
            tx.execute(
                "INSERT INTO rooms (account, jid, name, nick, password, autojoin, bookmarked,
                     members_only, non_anonymous, persistent)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
                 ON CONFLICT (account, jid) DO UPDATE SET name = excluded.name,
                     nick = excluded.nick, password = excluded.password,
                     autojoin = excluded.autojoin, bookmarked = excluded.bookmarked,
                     members_only = excluded.members_only,
                     non_anonymous = excluded.non_anonymous,
                     persistent = excluded.persistent",
                params![
                    account,
                    room.jid,
                    room.name,
                    room.nick,
                    room.password.as_ref().map(Password::expose),
                    room.autojoin,
                    room.bookmarked,
                    room.config.members_only,
                    room.config.non_anonymous,
                    room.config.persistent,
                ],
            )
            .ctx("storing a room")?;
            Ok(())
        })
    }

    fn rooms(&self, account: &str) -> Result<Vec<RoomRecord>> {
        query_rooms(
            &self.lock(),
            "listing rooms",
            &format!("SELECT {ROOM_COLS} FROM rooms WHERE account = ?1 ORDER BY jid"),
            [account],
        )
    }

    fn room(&self, account: &str, room: &str) -> Result<Option<RoomRecord>> {
        let mut found = query_rooms(
            &self.lock(),
            "reading a room",
            &format!("SELECT {ROOM_COLS} FROM rooms WHERE account = ?1 AND jid = ?2"),
            [account, room],
        )?;
        Ok(found.pop())
    }

    fn remove_room(&self, account: &str, room: &str) -> Result<()> {
        self.write("removing a room", |tx| {
            // Explicit, so secure_delete sees every row go (as for accounts).
            for sql in [
                "DELETE FROM room_members WHERE account = ?1 AND room = ?2",
                "DELETE FROM rooms WHERE account = ?1 AND jid = ?2",
            ] {
                tx.execute(sql, [account, room]).ctx("removing a room")?;
            }
            Ok(())
        })
    }

    fn set_room_archive_cursor(
        &self,
        account: &str,
        room: &str,
        cursor: Option<&str>,
    ) -> Result<()> {
        self.update_room(
            "storing a room's archive cursor",
            "UPDATE rooms SET archive_cursor = ?1 WHERE account = ?2 AND jid = ?3",
            account,
            room,
            cursor,
        )
    }

    fn set_room_subject(&self, account: &str, room: &str, subject: Option<&str>) -> Result<()> {
        self.update_room(
            "storing a room's subject",
            "UPDATE rooms SET subject = ?1 WHERE account = ?2 AND jid = ?3",
            account,
            room,
            subject,
        )
    }
}

impl RoomMemberStore for SqlStore {
    fn room_members(&self, account: &str, room: &str) -> Result<Vec<RoomMember>> {
        let conn = self.lock();
        let mut stmt = conn
            .prepare_cached(
                "SELECT jid, affiliation, nick FROM room_members
                 WHERE account = ?1 AND room = ?2 ORDER BY jid",
            )
            .ctx("reading room members")?;
        let rows = stmt
            .query_map([account, room], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, Option<String>>(2)?,
                ))
            })
            .ctx("reading room members")?
            .collect::<rusqlite::Result<Vec<_>>>()
            .ctx("reading room members")?;
        rows.into_iter()
            .map(|(jid, affiliation, nick)| {
                Ok(RoomMember {
                    jid,
                    affiliation: codec::parse_affiliation(&affiliation)?,
                    nick,
                })
            })
            .collect()
    }

    fn replace_room_members(
        &self,
        account: &str,
        room: &str,
        members: &[RoomMember],
    ) -> Result<()> {
        self.write("replacing room members", |tx| {
            require_room(tx, account, room)?;
            // Listed members keep their known nicknames (put_member), so
            // only the members no longer listed are deleted.
            let mut stmt = tx
                .prepare_cached("SELECT jid FROM room_members WHERE account = ?1 AND room = ?2")
                .ctx("replacing room members")?;
            let stored = stmt
                .query_map([account, room], |r| r.get::<_, String>(0))
                .ctx("replacing room members")?
                .collect::<rusqlite::Result<Vec<_>>>()
                .ctx("replacing room members")?;
            let listed: HashSet<&str> = members.iter().map(|m| m.jid.as_str()).collect();
            for jid in stored.iter().filter(|jid| !listed.contains(jid.as_str())) {
                tx.execute(
                    "DELETE FROM room_members WHERE account = ?1 AND room = ?2 AND jid = ?3",
                    [account, room, jid.as_str()],
                )
                .ctx("replacing room members")?;
            }
            for m in members {
                put_member(tx, account, room, m)?;
            }
            Ok(())
        })
    }

    fn upsert_room_member(&self, account: &str, room: &str, member: &RoomMember) -> Result<()> {
        self.write("storing a room member", |tx| {
            require_room(tx, account, room)?;
            put_member(tx, account, room, member)
        })
    }

    fn remove_room_member(&self, account: &str, room: &str, jid: &str) -> Result<()> {
        self.write("removing a room member", |tx| {
            tx.execute(
                "DELETE FROM room_members WHERE account = ?1 AND room = ?2 AND jid = ?3",
                [account, room, jid],
            )
            .ctx("removing a room member")?;
            Ok(())
        })
    }
}
