// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! The narrow storage traits. [`crate::MemoryStore`] and [`crate::SqlStore`]
//! implement all of them with identical semantics, checked by one shared
//! conformance suite.

use crate::{
    AccountRecord, Encryption, Inserted, MessageRecord, MessageState, NewMessage, OtrFingerprint,
    OtrIdentity, Result, RoomMember, RoomRecord, RoomSettings, RosterItem,
};

/// Accounts of the profile, keyed by bare JID, listed in the order they were
/// first added.
pub trait AccountStore {
    /// Adds the account, or updates its settings and password in place
    /// (its roster, messages and archive cursor are kept).
    fn upsert_account(&self, account: &AccountRecord) -> Result<()>;
    /// All accounts, in the order they were first added.
    fn accounts(&self) -> Result<Vec<AccountRecord>>;
    /// One account, if stored.
    fn account(&self, jid: &str) -> Result<Option<AccountRecord>>;
    /// Removes the account with its roster, roster version, messages,
    /// archive cursor and rooms, in one transaction. Removing an unknown account is a
    /// no-op.
    fn remove_account(&self, jid: &str) -> Result<()>;
}

/// Cached rosters (RFC 6121), with the roster version per account.
///
/// Writes to an account that is not stored fail with `NotFound`; reads of one
/// return an empty roster.
pub trait RosterStore {
    /// The stored roster version and items, items ordered by JID.
    fn roster(&self, account: &str) -> Result<(Option<String>, Vec<RosterItem>)>;
    /// Replaces the whole roster and its version (one transaction).
    fn replace_roster(
        &self,
        account: &str,
        version: Option<&str>,
        items: &[RosterItem],
    ) -> Result<()>;
    /// Applies one roster push: upserts `item`, or deletes the item with its
    /// JID when `removed`. The stored version becomes `version`; a push
    /// without a version clears it, so the next login fetches the full roster
    /// rather than trusting a cache that may have drifted.
    fn apply_roster_push(
        &self,
        account: &str,
        version: Option<&str>,
        item: &RosterItem,
        removed: bool,
    ) -> Result<()>;
}

/// Message history, outbox and MAM archive cursor of each account.
///
/// Writes to an account that is not stored fail with `NotFound`; reads of one
/// return nothing.
pub trait MessageStore {
    /// In one transaction: inserts each message unless it duplicates a stored
    /// one (or an earlier one of the same batch), and, if given, sets the
    /// account's MAM archive cursor.
    ///
    /// Empty ids count as absent. A message's *archive* is the room's (its
    /// peer) for a groupchat room message, and our own server's for every
    /// other message (one-to-one, and private messages through a room). Two
    /// messages have the *same sender* when neither is a room message, or
    /// both are room messages of the same kind whose occupant-ids are equal
    /// when both have one, and whose nicknames are equal otherwise.
    ///
    /// A new message N duplicates a stored message S of the same account
    /// when the first of these rules that applies holds (the oldest matching
    /// S wins):
    /// 1. N has a stanza-id and S has the same stanza-id from the same archive
    ///    (stanza-ids are unique only within one archive);
    /// 2. N has an origin-id, and S has the same peer, the same origin-id and
    ///    the same sender (occupants choose origin-ids, so two of them may
    ///    clash);
    /// 3. N has a message id, and S has the same peer, direction, message id,
    ///    body and sender, and neither their stanza-ids nor their origin-ids
    ///    conflict (a conflict is both present and different). The body check
    ///    guards against clients that reuse stanza ids.
    ///
    /// On a duplicate, what the stored message lacks of stanza-id, origin-id,
    /// message id, and a room sender's real JID and occupant-id is filled in
    /// from N, so a live message later seen in an archive is matched by rule 1
    /// from then on. Nothing else of S changes.
    fn insert_messages(
        &self,
        account: &str,
        msgs: &[NewMessage],
        archive_cursor: Option<&str>,
    ) -> Result<Vec<Inserted>>;
    /// Sets the delivery state of a stored message (`NotFound` if absent).
    fn set_message_state(&self, account: &str, id: i64, state: MessageState) -> Result<()>;
    /// Sets the stanza-id of a stored message (`NotFound` if absent).
    fn set_stanza_id(&self, account: &str, id: i64, stanza_id: &str) -> Result<()>;
    /// Changes the encryption a queued message is to be sent with
    /// (`NotFound` if absent). Only for the user's explicit choice about a
    /// message that was held: nothing else may lower a message's protection.
    fn set_message_encryption(&self, account: &str, id: i64, encryption: Encryption) -> Result<()>;
    /// The end-to-end encryption of the newest encrypted message (either
    /// direction) with `peer` — only among messages older than the local id
    /// `before`, if given — if any such message was encrypted: what makes a
    /// conversation's encryption sticky.
    fn conversation_encryption(
        &self,
        account: &str,
        peer: &str,
        before: Option<i64>,
    ) -> Result<Option<Encryption>>;
    /// Receipt/ack lookup: the newest outgoing message to `peer` whose message
    /// id or origin-id is `message_id`.
    fn find_outgoing(
        &self,
        account: &str,
        peer: &str,
        message_id: &str,
    ) -> Result<Option<MessageRecord>>;
    /// Reflection lookup: the newest outgoing groupchat message to `room`
    /// whose origin-id is `origin_id`. A room echoes our own message back to
    /// us; matching it by the origin-id we chose (never by nickname or body)
    /// confirms that one message and nothing an occupant forged.
    fn find_outgoing_in_room(
        &self,
        account: &str,
        room: &str,
        origin_id: &str,
    ) -> Result<Option<MessageRecord>>;
    /// One message by its local id.
    fn message(&self, account: &str, id: i64) -> Result<Option<MessageRecord>>;
    /// A page of the conversation's timeline, ordered by (timestamp, id):
    /// the newest `limit` messages before the message `before` (or the
    /// newest overall), returned oldest-first. Ordering by time rather than
    /// by local id keeps history fetched later from the archive in its
    /// place. An unknown `before` id pages by id alone.
    fn history(
        &self,
        account: &str,
        peer: &str,
        before: Option<i64>,
        limit: usize,
    ) -> Result<Vec<MessageRecord>>;
    /// Number of messages exchanged with `peer`.
    fn count_messages(&self, account: &str, peer: &str) -> Result<u64>;
    /// Full-text search over bodies across all accounts, newest first (by
    /// timestamp, then id). Every whitespace-separated word of `text` must
    /// occur as a whole word (case-insensitive, unicode61 tokenization, no
    /// diacritic folding); the text is quoted, so it is never FTS syntax.
    fn search(&self, text: &str, limit: usize) -> Result<Vec<MessageRecord>>;
    /// Outgoing messages still `Queued`, oldest first (by id).
    fn outbox(&self, account: &str) -> Result<Vec<MessageRecord>>;
    /// The account's MAM archive cursor.
    fn archive_cursor(&self, account: &str) -> Result<Option<String>>;
    /// One entry per peer: its last message (by timestamp, then id), newest
    /// first.
    fn conversations(&self, account: &str) -> Result<Vec<MessageRecord>>;
}

/// The rooms (XEP-0045) of each account, with their bookmark data
/// (XEP-0402), what we know of their configuration, their subject and the
/// cursor into each room's own archive.
///
/// Writes for an account that is not stored fail with `NotFound`, as do
/// the setters for a room that is not stored; reads of either return
/// nothing. Removing the account removes its rooms. Removing a room removes
/// its members but keeps its messages (history outlives leaving).
pub trait RoomStore {
    /// Adds the room, or replaces its settings in place (its subject,
    /// archive cursor and members are kept).
    fn upsert_room(&self, account: &str, room: &RoomSettings) -> Result<()>;
    /// The account's rooms, ordered by JID.
    fn rooms(&self, account: &str) -> Result<Vec<RoomRecord>>;
    /// One room, if stored.
    fn room(&self, account: &str, room: &str) -> Result<Option<RoomRecord>>;
    /// Removes the room and its members. Removing an unknown room is a no-op.
    fn remove_room(&self, account: &str, room: &str) -> Result<()>;
    /// Sets (or clears) the stanza-id up to which the room's archive has
    /// been read. Like the account's cursor, the caller sets it only once the
    /// messages up to it are stored.
    fn set_room_archive_cursor(
        &self,
        account: &str,
        room: &str,
        cursor: Option<&str>,
    ) -> Result<()>;
    /// Sets (or clears) the room's subject.
    fn set_room_subject(&self, account: &str, room: &str, subject: Option<&str>) -> Result<()>;
}

/// The members of each room: real bare JID → affiliation and last known
/// nickname. Needed for OMEMO in a room, which encrypts to every member,
/// online or not. Occupants present right now are not stored.
///
/// Writes for a room that is not stored fail with `NotFound`; reads of one
/// return nothing. A member written without a nickname keeps the nickname
/// already known for it: nicknames are "last known", and an affiliation
/// list does not always carry them.
pub trait RoomMemberStore {
    /// The room's members, ordered by JID.
    fn room_members(&self, account: &str, room: &str) -> Result<Vec<RoomMember>>;
    /// Replaces the whole member list (from the room's affiliation lists)
    /// in one transaction: members not listed are removed.
    fn replace_room_members(&self, account: &str, room: &str, members: &[RoomMember])
    -> Result<()>;
    /// Adds or updates one member (from presence or an affiliation change).
    fn upsert_room_member(&self, account: &str, room: &str, member: &RoomMember) -> Result<()>;
    /// Removes one member. Removing an unknown member is a no-op.
    fn remove_room_member(&self, account: &str, room: &str, jid: &str) -> Result<()>;
}

/// Profile-wide key/value settings.
pub trait SettingsStore {
    /// The value of `key`, if set.
    fn setting(&self, key: &str) -> Result<Option<String>>;
    /// Sets `key` to `value`.
    fn set_setting(&self, key: &str, value: &str) -> Result<()>;
}

/// OTR state that outlives sessions: each account's long-term identity and
/// the fingerprints of its contacts' keys with the user's trust decisions.
///
/// Writes to an account that is not stored fail with `NotFound`; reads of one
/// return nothing. Removing the account removes all of it.
pub trait OtrStore {
    /// The account's OTR identity, if one was created or imported.
    fn otr_identity(&self, account: &str) -> Result<Option<OtrIdentity>>;
    /// Stores the account's identity, replacing any previous one.
    fn set_otr_identity(&self, account: &str, identity: &OtrIdentity) -> Result<()>;
    /// Known fingerprints of one contact, oldest first (then by fingerprint).
    fn otr_fingerprints(&self, account: &str, contact: &str) -> Result<Vec<OtrFingerprint>>;
    /// Every known fingerprint of the account, ordered by contact, then as
    /// [`OtrStore::otr_fingerprints`].
    fn all_otr_fingerprints(&self, account: &str) -> Result<Vec<OtrFingerprint>>;
    /// Records a fingerprint. A new one is stored as given; for a known one
    /// only the trust changes (its first-seen time stays). The fingerprint
    /// must be 40 lowercase hex digits (`InvalidInput` otherwise).
    fn put_otr_fingerprint(&self, account: &str, fingerprint: &OtrFingerprint) -> Result<()>;
}

/// The OMEMO state of one account: sotto-omemo's narrow store traits, plus
/// the one transaction that saves ratchet state with the messages it produced.
pub trait AccountOmemoStore: sotto_omemo::store::OmemoStore + Send + std::fmt::Debug {
    /// Saves, in ONE transaction, the sessions `decrypt` or `encrypt`
    /// changed, removes the one-time prekey `decrypt` used up, and inserts
    /// `messages` exactly as [`MessageStore::insert_messages`] does. If
    /// anything fails nothing is saved: the ratchet never moves without its
    /// message, nor the message without its ratchet.
    fn save_sessions_with_messages(
        &mut self,
        ns: sotto_omemo::Namespace,
        sessions: &[(sotto_omemo::DeviceAddress, sotto_omemo::Session)],
        consumed_prekey: Option<u32>,
        messages: &[NewMessage],
    ) -> Result<Vec<Inserted>>;
}

/// Hands out the OMEMO store of each account.
pub trait OmemoStores {
    /// The OMEMO store of `account` (writes fail while the account is not stored).
    fn omemo_store(&self, account: &str) -> Box<dyn AccountOmemoStore>;
}

/// Everything the core needs from a store.
pub trait Store:
    AccountStore
    + RosterStore
    + MessageStore
    + SettingsStore
    + OtrStore
    + RoomStore
    + RoomMemberStore
    + OmemoStores
    + crate::ProfileKeyStore
    + Send
    + Sync
    + std::fmt::Debug
{
}

impl<T> Store for T where
    T: AccountStore
        + RosterStore
        + MessageStore
        + SettingsStore
        + OtrStore
        + RoomStore
        + RoomMemberStore
        + OmemoStores
        + crate::ProfileKeyStore
        + Send
        + Sync
        + std::fmt::Debug
{
}
