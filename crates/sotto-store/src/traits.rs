// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! The narrow storage traits. [`crate::MemoryStore`] and [`crate::SqlStore`]
//! implement all of them with identical semantics, checked by one shared
//! conformance suite.

use crate::{
    AccountRecord, Encryption, Inserted, MessageRecord, MessageState, NewMessage, OtrFingerprint,
    OtrIdentity, Result, RosterItem,
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
    /// Removes the account with its roster, roster version, messages and
    /// archive cursor, in one transaction. Removing an unknown account is a
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
    /// Empty ids count as absent. A new message N duplicates a stored message
    /// S of the same account when the first of these rules that applies holds
    /// (the oldest matching S wins):
    /// 1. N has a stanza-id and S has the same stanza-id (stanza-ids are
    ///    assigned by our own server's archive, so they are unique per account);
    /// 2. N has an origin-id, and S has the same peer and the same origin-id;
    /// 3. N has a message id, and S has the same peer, direction, message id
    ///    and body, and neither their stanza-ids nor their origin-ids conflict
    ///    (a conflict is both present and different). The body check guards
    ///    against clients that reuse stanza ids.
    ///
    /// On a duplicate, ids the stored message lacks (stanza-id, origin-id,
    /// message id) are filled in from N, so a live message later seen in MAM is
    /// matched by rule 1 from then on. Nothing else of S changes.
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
        + OmemoStores
        + crate::ProfileKeyStore
        + Send
        + Sync
        + std::fmt::Debug
{
}
