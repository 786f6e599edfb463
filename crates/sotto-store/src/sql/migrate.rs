// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! Numbered schema migrations, tracked in `PRAGMA user_version`.
//! See `NOTES.md` before adding one.

use rusqlite::{Connection, TransactionBehavior};

use crate::error::SqlContext;
use crate::{Result, StoreError};

/// Migration `i` (0-based) takes the schema from version `i` to `i + 1`.
/// Never edit a migration that has shipped; add a new one.
const MIGRATIONS: &[&str] = &[
    include_str!("../../migrations/0001_init.sql"),
    include_str!("../../migrations/0002_otr.sql"),
    include_str!("../../migrations/0003_omemo.sql"),
    include_str!("../../migrations/0004_sender_device.sql"),
    include_str!("../../migrations/0005_conversation_encryption.sql"),
    include_str!("../../migrations/0006_rooms.sql"),
];

/// The schema version this build writes.
pub(crate) const LATEST: i64 = MIGRATIONS.len() as i64;

/// Brings the schema up to [`LATEST`], one transaction per migration, so a
/// crash leaves the database at some whole version.
pub(crate) fn run(conn: &mut Connection) -> Result<()> {
    let current: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .ctx("reading the schema version")?;
    if current > LATEST {
        return Err(StoreError::Corrupt(format!(
            "the profile has schema version {current}, newer than this build knows ({LATEST}); \
             it was written by a newer Sotto"
        )));
    }
    let start = usize::try_from(current)
        .map_err(|_| StoreError::Corrupt(format!("negative schema version {current}")))?;
    for (index, sql) in MIGRATIONS.iter().enumerate().skip(start) {
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .ctx("starting a schema migration")?;
        tx.execute_batch(sql).ctx("migrating the schema")?;
        // user_version cannot be bound as a parameter; the value is ours.
        tx.execute_batch(&format!("PRAGMA user_version = {};", index + 1))
            .ctx("recording the schema version")?;
        tx.commit().ctx("committing a schema migration")?;
        tracing::info!(version = index + 1, "migrated the profile schema");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_apply_to_an_empty_database_and_are_idempotent() {
        let mut conn = Connection::open_in_memory().unwrap();
        run(&mut conn).unwrap();
        run(&mut conn).unwrap();
        let v: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(v, LATEST);
    }

    /// A profile written by the previous schema keeps its messages; they
    /// have no sending device.
    #[test]
    fn a_version_3_profile_is_upgraded_with_its_messages() {
        let mut conn = Connection::open_in_memory().unwrap();
        for sql in &MIGRATIONS[..3] {
            conn.execute_batch(sql).unwrap();
        }
        conn.execute_batch(
            "PRAGMA user_version = 3;
             INSERT INTO accounts (jid, settings, password) VALUES ('a@x.org', '{}', 'pw');
             INSERT INTO messages (account, peer, direction, body, timestamp_ms, state, encryption)
             VALUES ('a@x.org', 'b@x.org', 'incoming', 'old', 1, 'received', 'omemo');",
        )
        .unwrap();
        run(&mut conn).unwrap();
        let (body, device): (String, Option<u32>) = conn
            .query_row("SELECT body, sender_device FROM messages", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .unwrap();
        assert_eq!((body.as_str(), device), ("old", None));
        let v: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(v, MIGRATIONS.len() as i64);
    }

    /// A version-5 profile keeps its messages (as one-to-one messages,
    /// still found by search), and takes rooms and room messages afterwards.
    #[test]
    fn a_version_5_profile_is_upgraded_with_its_messages() {
        use crate::conformance::{ALICE, BOB, account, incoming, insert_new, private_group};
        use crate::{AccountStore, MessageStore, RoomMemberStore, RoomSender, RoomStore};

        let mut conn = Connection::open_in_memory().unwrap();
        for sql in &MIGRATIONS[..5] {
            conn.execute_batch(sql).unwrap();
        }
        conn.execute_batch(
            "PRAGMA user_version = 5;
             INSERT INTO accounts (jid, settings, password) VALUES ('alice@example.org', '{}', 'pw');
             INSERT INTO messages (account, peer, direction, body, timestamp_ms, stanza_id,
                 state, encryption, sender_device)
             VALUES ('alice@example.org', 'bob@example.net', 'incoming', 'older words', 1, 's1',
                 'received', 'omemo', 7),
                    ('alice@example.org', 'bob@example.net', 'outgoing', 'newer words', 2, NULL,
                 'queued', 'plain', NULL);",
        )
        .unwrap();
        run(&mut conn).unwrap();
        let v: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(v, LATEST);
        let store = super::super::SqlStore::from_conn(std::path::Path::new("mem"), conn);
        let old = store.history(ALICE, BOB, None, 10).unwrap();
        assert_eq!(old.len(), 2);
        assert_eq!(old[0].body, "older words");
        assert_eq!(old[0].sender_device, Some(7));
        assert!(old.iter().all(|m| m.room.is_none()));
        assert_eq!(store.search("words", 10).unwrap().len(), 2);
        assert_eq!(store.outbox(ALICE).unwrap().len(), 1);
        // The old message still deduplicates against its archive copy.
        let out = store
            .insert_messages(
                ALICE,
                &[crate::conformance::with_ids(
                    incoming(BOB, "older words", 1),
                    None,
                    None,
                    Some("s1"),
                )],
                None,
            )
            .unwrap();
        assert_eq!(out, vec![crate::Inserted::Duplicate { id: old[0].id }]);
        // And the new tables work.
        store.upsert_account(&account(ALICE)).unwrap();
        store
            .upsert_room(ALICE, &private_group("r@chat.example.org"))
            .unwrap();
        store
            .replace_room_members(ALICE, "r@chat.example.org", &[])
            .unwrap();
        let mut msg = incoming("r@chat.example.org", "in a room", 3);
        msg.room = Some(RoomSender::groupchat("bob"));
        let rec = insert_new(&store, ALICE, msg);
        assert_eq!(rec.room, Some(RoomSender::groupchat("bob")));
    }

    /// The schema refuses half a room sender, whatever the code does.
    #[test]
    fn room_columns_are_all_or_nothing() {
        let mut conn = Connection::open_in_memory().unwrap();
        run(&mut conn).unwrap();
        conn.execute_batch(
            "INSERT INTO accounts (jid, settings, password) VALUES ('a@x.org', '{}', 'pw');",
        )
        .unwrap();
        let insert = |cols: &str, vals: &str| {
            conn.execute_batch(&format!(
                "INSERT INTO messages (account, peer, direction, body, timestamp_ms, state,
                     encryption{cols})
                 VALUES ('a@x.org', 'r@x.org', 'incoming', 'b', 1, 'received', 'plain'{vals});"
            ))
        };
        assert!(insert("", "").is_ok());
        assert!(insert(", room_kind, room_nick", ", 'groupchat', 'n'").is_ok());
        assert!(insert(", room_kind", ", 'groupchat'").is_err());
        assert!(insert(", room_nick", ", 'n'").is_err());
        assert!(insert(", room_real_jid", ", 'j@x.org'").is_err());
        assert!(insert(", room_occupant_id", ", 'occ'").is_err());
        assert!(insert(", room_kind, room_nick", ", 'chat', 'n'").is_err());
    }

    #[test]
    fn newer_schema_is_refused() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(&format!("PRAGMA user_version = {};", LATEST + 1))
            .unwrap();
        assert!(matches!(run(&mut conn), Err(StoreError::Corrupt(_))));
    }
}
