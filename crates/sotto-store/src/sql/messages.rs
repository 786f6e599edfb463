// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! Messages, their full-text index and the MAM cursor in SQL.

use rusqlite::{Connection, OptionalExtension, Params, Transaction, params};

use super::accounts::require_account;
use super::{SqlStore, codec};
use crate::error::SqlContext;
use crate::traits::MessageStore;
use crate::{
    Encryption, Inserted, MessageRecord, MessageState, NewMessage, Result, RoomMessageKind,
    RoomSender, StoreError, dedup, search,
};

/// Columns of a [`MessageRecord`], for a query that names `messages` as `m`.
const COLS: &str = "m.id, m.account, m.peer, m.direction, m.body, m.timestamp_ms, \
                    m.message_id, m.origin_id, m.stanza_id, m.state, m.encryption, \
                    m.sender_device, m.room_kind, m.room_nick, m.room_real_jid, \
                    m.room_occupant_id";

struct RawMessage {
    id: i64,
    account: String,
    peer: String,
    direction: String,
    body: String,
    timestamp_ms: i64,
    message_id: Option<String>,
    origin_id: Option<String>,
    stanza_id: Option<String>,
    state: String,
    encryption: String,
    sender_device: Option<u32>,
    room_kind: Option<String>,
    room_nick: Option<String>,
    room_real_jid: Option<String>,
    room_occupant_id: Option<String>,
}

impl RawMessage {
    fn decode(self) -> Result<MessageRecord> {
        let room = match (self.room_kind, self.room_nick) {
            (None, None) => None,
            (Some(kind), Some(nick)) => Some(RoomSender {
                kind: codec::parse_room_kind(&kind)?,
                nick,
                real_jid: self.room_real_jid,
                occupant_id: self.room_occupant_id,
            }),
            _ => {
                return Err(StoreError::Corrupt(format!(
                    "message {} has half of a room sender",
                    self.id
                )));
            }
        };
        Ok(MessageRecord {
            id: self.id,
            account: self.account,
            peer: self.peer,
            direction: codec::parse_direction(&self.direction)?,
            body: self.body,
            timestamp_ms: self.timestamp_ms,
            message_id: self.message_id,
            origin_id: self.origin_id,
            stanza_id: self.stanza_id,
            state: codec::parse_state(&self.state)?,
            encryption: codec::parse_encryption(&self.encryption)?,
            sender_device: self.sender_device,
            room,
        })
    }
}

/// Runs a query selecting [`COLS`] and decodes the rows.
fn query(
    conn: &Connection,
    context: &'static str,
    sql: &str,
    params: impl Params,
) -> Result<Vec<MessageRecord>> {
    let mut stmt = conn.prepare_cached(sql).ctx(context)?;
    let rows = stmt
        .query_map(params, |r| {
            Ok(RawMessage {
                id: r.get(0)?,
                account: r.get(1)?,
                peer: r.get(2)?,
                direction: r.get(3)?,
                body: r.get(4)?,
                timestamp_ms: r.get(5)?,
                message_id: r.get(6)?,
                origin_id: r.get(7)?,
                stanza_id: r.get(8)?,
                state: r.get(9)?,
                encryption: r.get(10)?,
                sender_device: r.get(11)?,
                room_kind: r.get(12)?,
                room_nick: r.get(13)?,
                room_real_jid: r.get(14)?,
                room_occupant_id: r.get(15)?,
            })
        })
        .ctx(context)?
        .collect::<rusqlite::Result<Vec<_>>>()
        .ctx(context)?;
    rows.into_iter().map(RawMessage::decode).collect()
}

fn sql_limit(limit: usize) -> i64 {
    i64::try_from(limit).unwrap_or(i64::MAX)
}

/// Inserts one normalized message, or reports (and fills in) its duplicate.
fn insert_one(conn: &Connection, account: &str, msg: NewMessage) -> Result<Inserted> {
    let candidates = query(
        conn,
        "looking for duplicate messages",
        &format!(
            // One index lookup per id kind: SQLite cannot use the indexes
            // for the nested OR, and a scan per insert makes importing an
            // archive quadratic.
            "SELECT {COLS} FROM messages m WHERE m.id IN (
                 SELECT id FROM messages WHERE account = ?1 AND stanza_id = ?2
                 UNION ALL
                 SELECT id FROM messages WHERE account = ?1 AND peer = ?3 AND origin_id = ?4
                 UNION ALL
                 SELECT id FROM messages WHERE account = ?1 AND peer = ?3 AND message_id = ?5)
             ORDER BY m.id"
        ),
        params![
            account,
            msg.stanza_id,
            msg.peer,
            msg.origin_id,
            msg.message_id
        ],
    )?;
    if let Some(dup) = dedup::duplicate_of(&msg, &candidates) {
        if let Some(f) = dedup::filled(dup, &msg) {
            let room = f.room.as_ref();
            conn.execute(
                "UPDATE messages SET stanza_id = ?1, origin_id = ?2, message_id = ?3,
                     room_real_jid = ?4, room_occupant_id = ?5
                 WHERE id = ?6",
                params![
                    f.stanza_id,
                    f.origin_id,
                    f.message_id,
                    room.and_then(|r| r.real_jid.as_deref()),
                    room.and_then(|r| r.occupant_id.as_deref()),
                    f.id
                ],
            )
            .ctx("filling in the ids of a duplicate message")?;
        }
        return Ok(Inserted::Duplicate { id: dup.id });
    }
    let room = msg.room.as_ref();
    conn.execute(
        "INSERT INTO messages (account, peer, direction, body, timestamp_ms, message_id,
             origin_id, stanza_id, state, encryption, sender_device, room_kind, room_nick,
             room_real_jid, room_occupant_id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
        params![
            account,
            msg.peer,
            codec::direction(msg.direction),
            msg.body,
            msg.timestamp_ms,
            msg.message_id,
            msg.origin_id,
            msg.stanza_id,
            codec::state(msg.state),
            codec::encryption(msg.encryption),
            msg.sender_device,
            room.map(|r| codec::room_kind(r.kind)),
            room.map(|r| r.nick.as_str()),
            room.and_then(|r| r.real_jid.as_deref()),
            room.and_then(|r| r.occupant_id.as_deref()),
        ],
    )
    .ctx("storing a message")?;
    Ok(Inserted::New(dedup::record(
        conn.last_insert_rowid(),
        account,
        msg,
    )))
}

/// [`MessageStore::insert_messages`] inside the caller's transaction, so other
/// state (an OMEMO session) can commit or roll back with the messages.
pub(super) fn insert_messages_tx(
    tx: &Transaction<'_>,
    account: &str,
    msgs: &[NewMessage],
    archive_cursor: Option<&str>,
) -> Result<Vec<Inserted>> {
    require_account(tx, account)?;
    let out = msgs
        .iter()
        .map(|m| insert_one(tx, account, dedup::normalized(m)))
        .collect::<Result<Vec<_>>>()?;
    if let Some(cursor) = archive_cursor {
        tx.execute(
            "INSERT INTO account_sync (account, archive_cursor) VALUES (?1, ?2)
             ON CONFLICT (account) DO UPDATE SET archive_cursor = excluded.archive_cursor",
            [account, cursor],
        )
        .ctx("storing the archive cursor")?;
    }
    Ok(out)
}

impl SqlStore {
    fn update_message(
        &self,
        context: &'static str,
        sql: &str,
        account: &str,
        id: i64,
        value: &str,
    ) -> Result<()> {
        self.write(context, |tx| {
            let changed = tx.execute(sql, params![value, account, id]).ctx(context)?;
            if changed == 0 {
                return Err(StoreError::NotFound(format!("message {id}")));
            }
            Ok(())
        })
    }
}

impl MessageStore for SqlStore {
    fn insert_messages(
        &self,
        account: &str,
        msgs: &[NewMessage],
        archive_cursor: Option<&str>,
    ) -> Result<Vec<Inserted>> {
        self.write("storing messages", |tx| {
            insert_messages_tx(tx, account, msgs, archive_cursor)
        })
    }

    fn set_message_state(&self, account: &str, id: i64, state: MessageState) -> Result<()> {
        self.update_message(
            "updating a message state",
            "UPDATE messages SET state = ?1 WHERE account = ?2 AND id = ?3",
            account,
            id,
            codec::state(state),
        )
    }

    fn set_stanza_id(&self, account: &str, id: i64, stanza_id: &str) -> Result<()> {
        self.update_message(
            "setting a message's stanza-id",
            "UPDATE messages SET stanza_id = ?1 WHERE account = ?2 AND id = ?3",
            account,
            id,
            stanza_id,
        )
    }

    fn set_message_encryption(&self, account: &str, id: i64, encryption: Encryption) -> Result<()> {
        self.update_message(
            "changing a message's encryption",
            "UPDATE messages SET encryption = ?1 WHERE account = ?2 AND id = ?3",
            account,
            id,
            codec::encryption(encryption),
        )
    }

    fn conversation_encryption(
        &self,
        account: &str,
        peer: &str,
        before: Option<i64>,
    ) -> Result<Option<Encryption>> {
        let conn = self.lock();
        let found: Option<String> = conn
            .query_row(
                "SELECT encryption FROM messages
                 WHERE account = ?1 AND peer = ?2 AND encryption <> ?3 AND id < ?4
                 ORDER BY id DESC LIMIT 1",
                params![
                    account,
                    peer,
                    codec::encryption(Encryption::Plain),
                    before.unwrap_or(i64::MAX)
                ],
                |row| row.get(0),
            )
            .optional()
            .ctx("reading a conversation's encryption")?;
        found.map(|e| codec::parse_encryption(&e)).transpose()
    }

    fn find_outgoing(
        &self,
        account: &str,
        peer: &str,
        message_id: &str,
    ) -> Result<Option<MessageRecord>> {
        let found = query(
            &self.lock(),
            "looking up an outgoing message",
            &format!(
                "SELECT {COLS} FROM messages m WHERE m.direction = 'outgoing' AND m.id IN (
                     SELECT id FROM messages WHERE account = ?1 AND peer = ?2 AND message_id = ?3
                     UNION ALL
                     SELECT id FROM messages WHERE account = ?1 AND peer = ?2 AND origin_id = ?3)
                 ORDER BY m.id DESC LIMIT 1"
            ),
            params![account, peer, message_id],
        )?;
        Ok(found.into_iter().next())
    }

    fn find_outgoing_in_room(
        &self,
        account: &str,
        room: &str,
        origin_id: &str,
    ) -> Result<Option<MessageRecord>> {
        let found = query(
            &self.lock(),
            "looking up our message reflected by a room",
            &format!(
                "SELECT {COLS} FROM messages m
                 WHERE m.account = ?1 AND m.peer = ?2 AND m.origin_id = ?3
                     AND m.direction = 'outgoing' AND m.room_kind = ?4
                 ORDER BY m.id DESC LIMIT 1"
            ),
            params![
                account,
                room,
                origin_id,
                codec::room_kind(RoomMessageKind::Groupchat)
            ],
        )?;
        Ok(found.into_iter().next())
    }

    fn history(
        &self,
        account: &str,
        peer: &str,
        before: Option<i64>,
        limit: usize,
    ) -> Result<Vec<MessageRecord>> {
        let conn = self.lock();
        let (stamp, id) = match before {
            None => (i64::MAX, i64::MAX),
            Some(before) => conn
                .query_row(
                    "SELECT timestamp_ms FROM messages WHERE account = ?1 AND id = ?2",
                    params![account, before],
                    |r| r.get::<_, i64>(0),
                )
                .optional()
                .ctx("reading message history")?
                .map_or((i64::MAX, before), |stamp| (stamp, before)),
        };
        let mut page = query(
            &conn,
            "reading message history",
            &format!(
                "SELECT {COLS} FROM messages m WHERE m.account = ?1 AND m.peer = ?2
                 AND (m.timestamp_ms < ?3 OR (m.timestamp_ms = ?3 AND m.id < ?4))
                 ORDER BY m.timestamp_ms DESC, m.id DESC LIMIT ?5"
            ),
            params![account, peer, stamp, id, sql_limit(limit)],
        )?;
        page.reverse();
        Ok(page)
    }

    fn message(&self, account: &str, id: i64) -> Result<Option<MessageRecord>> {
        let mut found = query(
            &self.lock(),
            "reading a message",
            &format!("SELECT {COLS} FROM messages m WHERE m.account = ?1 AND m.id = ?2"),
            params![account, id],
        )?;
        Ok(found.pop())
    }

    fn count_messages(&self, account: &str, peer: &str) -> Result<u64> {
        let n: i64 = self
            .lock()
            .query_row(
                "SELECT count(*) FROM messages WHERE account = ?1 AND peer = ?2",
                [account, peer],
                |r| r.get(0),
            )
            .ctx("counting messages")?;
        u64::try_from(n).map_err(|_| StoreError::Corrupt("negative message count".into()))
    }

    fn search(&self, text: &str, limit: usize) -> Result<Vec<MessageRecord>> {
        let Some(fts) = search::fts_query(text) else {
            return Ok(Vec::new());
        };
        query(
            &self.lock(),
            "searching messages",
            &format!(
                "SELECT {COLS} FROM messages_fts JOIN messages m ON m.id = messages_fts.rowid
                 WHERE messages_fts MATCH ?1
                 ORDER BY m.timestamp_ms DESC, m.id DESC LIMIT ?2"
            ),
            params![fts, sql_limit(limit)],
        )
    }

    fn outbox(&self, account: &str) -> Result<Vec<MessageRecord>> {
        query(
            &self.lock(),
            "reading the outbox",
            &format!(
                "SELECT {COLS} FROM messages m WHERE m.account = ?1
                     AND m.state = 'queued' AND m.direction = 'outgoing'
                 ORDER BY m.id"
            ),
            [account],
        )
    }

    fn archive_cursor(&self, account: &str) -> Result<Option<String>> {
        Ok(self
            .lock()
            .query_row(
                "SELECT archive_cursor FROM account_sync WHERE account = ?1",
                [account],
                |r| r.get::<_, Option<String>>(0),
            )
            .optional()
            .ctx("reading the archive cursor")?
            .flatten())
    }

    fn conversations(&self, account: &str) -> Result<Vec<MessageRecord>> {
        query(
            &self.lock(),
            "listing conversations",
            &format!(
                "SELECT {COLS} FROM (
                     SELECT *, row_number() OVER (
                         PARTITION BY peer ORDER BY timestamp_ms DESC, id DESC) AS rank
                     FROM messages WHERE account = ?1) m
                 WHERE m.rank = 1
                 ORDER BY m.timestamp_ms DESC, m.id DESC"
            ),
            [account],
        )
    }
}
