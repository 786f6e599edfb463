// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! The conformance suite every [`Store`] implementation must pass.
//!
//! Each case is a generic function; [`store_conformance_tests!`] turns them
//! all into `#[test]`s for one implementation:
//!
//! ```ignore
//! mod conformance_memory {
//!     sotto_store::store_conformance_tests!(|| (sotto_store::MemoryStore::default(), ()));
//! }
//! ```
//!
//! The factory returns the store and a guard kept alive for the test (e.g. a
//! temporary directory).

#![allow(clippy::unwrap_used, missing_docs)]

mod accounts;
mod messages;
mod otr;
mod queries;
mod room_messages;
mod rooms;

pub use accounts::*;
pub use messages::*;
pub use otr::*;
pub use queries::*;
pub use room_messages::*;
pub use rooms::*;

use crate::{
    AccountRecord, AccountSettings, Direction, Encryption, MessageRecord, MessageState, NewMessage,
    Password, Store,
};

/// Generates one `#[test]` per conformance case for the store made by the
/// factory expression (`Fn() -> (S, Guard)`).
#[macro_export]
macro_rules! store_conformance_tests {
    ($make:expr) => {
        $crate::store_conformance_tests!(@cases $make;
            accounts_round_trip,
            upsert_keeps_account_data,
            remove_account_cascades,
            roster_replace_and_version,
            roster_push_add_update_remove,
            writes_to_unknown_account_fail,
            settings_round_trip,
            insert_and_read_back,
            dedup_by_stanza_id,
            dedup_by_origin_id,
            dedup_by_message_id,
            dedup_fills_in_ids,
            dedup_within_batch,
            empty_ids_are_absent,
            history_paging,
            history_follows_time_not_insertion,
            count_messages,
            search_words_and_order,
            search_hostile_queries,
            search_unicode,
            outbox_order,
            archive_cursor_with_page,
            set_state_and_stanza_id,
            conversation_encryption_is_sticky,
            find_outgoing,
            conversations,
            otr_identity_round_trip,
            otr_fingerprints_trust_and_order,
            rooms_round_trip,
            room_upsert_keeps_state,
            room_writes_need_account_and_room,
            room_password_never_in_debug,
            room_members_replace_all,
            room_members_upsert_and_remove,
            room_message_round_trip,
            room_message_dedup_live_and_archive,
            room_stanza_ids_are_per_archive,
            room_origin_ids_are_per_sender,
            room_reflection_matched_by_origin_id,
            room_messages_in_search_conversations_outbox,
        );
    };
    (@cases $make:expr; $($case:ident),* $(,)?) => {
        $(
            #[test]
            fn $case() {
                let (store, _guard) = ($make)();
                $crate::conformance::$case(&store);
            }
        )*
    };
}

pub(crate) const ALICE: &str = "alice@example.org";
pub(crate) const BOB: &str = "bob@example.net";
pub(crate) const CAROL: &str = "carol@example.com";

/// An account with a password derived from its JID.
pub fn account(jid: &str) -> AccountRecord {
    AccountRecord {
        settings: AccountSettings {
            jid: jid.to_owned(),
            resource: "sotto".to_owned(),
            host: None,
            port: None,
            direct_tls: false,
            pinned_cert_sha256: None,
            tor: false,
            proxy: None,
            enabled: true,
        },
        password: Password::new(format!("pw-of-{jid}")),
    }
}

/// An incoming message without ids.
pub fn incoming(peer: &str, body: &str, timestamp_ms: i64) -> NewMessage {
    NewMessage {
        peer: peer.to_owned(),
        direction: Direction::Incoming,
        body: body.to_owned(),
        timestamp_ms,
        message_id: None,
        origin_id: None,
        stanza_id: None,
        state: MessageState::Received,
        encryption: Encryption::Plain,
        sender_device: None,
        room: None,
    }
}

/// A queued outgoing message without ids.
pub fn outgoing(peer: &str, body: &str, timestamp_ms: i64) -> NewMessage {
    NewMessage {
        direction: Direction::Outgoing,
        state: MessageState::Queued,
        ..incoming(peer, body, timestamp_ms)
    }
}

/// `msg` with the given ids.
pub fn with_ids(
    msg: NewMessage,
    message_id: Option<&str>,
    origin_id: Option<&str>,
    stanza_id: Option<&str>,
) -> NewMessage {
    NewMessage {
        message_id: message_id.map(str::to_owned),
        origin_id: origin_id.map(str::to_owned),
        stanza_id: stanza_id.map(str::to_owned),
        ..msg
    }
}

/// Inserts one message that must be new, returning its record.
pub fn insert_new<S: Store>(store: &S, account: &str, msg: NewMessage) -> MessageRecord {
    match store.insert_messages(account, &[msg], None).unwrap().pop() {
        Some(crate::Inserted::New(rec)) => rec,
        other => panic!("expected a new message, got {other:?}"),
    }
}

/// Inserts one message that must duplicate `id`.
pub fn insert_dup<S: Store>(store: &S, account: &str, msg: NewMessage, id: i64) {
    let out = store.insert_messages(account, &[msg], None).unwrap();
    assert_eq!(out, vec![crate::Inserted::Duplicate { id }]);
}

/// The stored message with local id `id` (found through history).
pub fn stored<S: Store>(store: &S, account: &str, peer: &str, id: i64) -> MessageRecord {
    store
        .history(account, peer, Some(id + 1), 1)
        .unwrap()
        .into_iter()
        .find(|m| m.id == id)
        .unwrap()
}
