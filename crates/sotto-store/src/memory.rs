// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! In-memory store with the same semantics as [`crate::SqlStore`], for tests
//! of the layers above. Every operation checks before it mutates, so a failed
//! call changes nothing, just like a rolled-back transaction.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use crate::traits::{AccountStore, MessageStore, OtrStore, RosterStore, SettingsStore};
use crate::{
    AccountRecord, Direction, Encryption, Inserted, MessageRecord, MessageState, NewMessage,
    OtrFingerprint, OtrIdentity, Result, RoomMessageKind, RosterItem, StoreError, dedup,
    normalize_fingerprint, search,
};

mod omemo;
mod rooms;

#[derive(Default)]
struct Inner {
    /// In the order first added.
    accounts: Vec<AccountRecord>,
    roster_versions: HashMap<String, String>,
    rosters: HashMap<String, BTreeMap<String, RosterItem>>,
    cursors: HashMap<String, String>,
    /// In id order.
    messages: Vec<MessageRecord>,
    last_id: i64,
    settings: HashMap<String, String>,
    otr_identities: HashMap<String, OtrIdentity>,
    /// Per account, keyed by (contact, fingerprint).
    otr_fingerprints: HashMap<String, BTreeMap<(String, String), OtrFingerprint>>,
    /// Per account: the engine's own in-memory OMEMO store.
    omemo: HashMap<String, omemo::Shared>,
    /// Per account, keyed by room JID.
    rooms: HashMap<String, BTreeMap<String, crate::RoomRecord>>,
    /// Per (account, room), keyed by member JID.
    room_members: HashMap<(String, String), BTreeMap<String, crate::RoomMember>>,
}

impl Inner {
    fn require_account(&self, jid: &str) -> Result<()> {
        if self.accounts.iter().any(|a| a.settings.jid == jid) {
            Ok(())
        } else {
            Err(StoreError::NotFound(format!("account {jid}")))
        }
    }

    fn message_mut(&mut self, account: &str, id: i64) -> Result<&mut MessageRecord> {
        self.messages
            .iter_mut()
            .find(|m| m.id == id && m.account == account)
            .ok_or_else(|| StoreError::NotFound(format!("message {id}")))
    }
}

/// A store that keeps everything in memory. Clones share the same data.
#[derive(Clone, Default)]
pub struct MemoryStore {
    inner: Arc<Mutex<Inner>>,
}

impl fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = self.lock();
        f.debug_struct("MemoryStore")
            .field("accounts", &inner.accounts.len())
            .field("messages", &inner.messages.len())
            .finish()
    }
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding the lock cannot leave half-applied changes:
        // every operation mutates only after all its checks passed.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl AccountStore for MemoryStore {
    fn upsert_account(&self, account: &AccountRecord) -> Result<()> {
        let mut inner = self.lock();
        match inner
            .accounts
            .iter_mut()
            .find(|a| a.settings.jid == account.settings.jid)
        {
            Some(stored) => *stored = account.clone(),
            None => inner.accounts.push(account.clone()),
        }
        Ok(())
    }

    fn accounts(&self) -> Result<Vec<AccountRecord>> {
        Ok(self.lock().accounts.clone())
    }

    fn account(&self, jid: &str) -> Result<Option<AccountRecord>> {
        let inner = self.lock();
        Ok(inner
            .accounts
            .iter()
            .find(|a| a.settings.jid == jid)
            .cloned())
    }

    fn remove_account(&self, jid: &str) -> Result<()> {
        let mut inner = self.lock();
        inner.accounts.retain(|a| a.settings.jid != jid);
        inner.roster_versions.remove(jid);
        inner.rosters.remove(jid);
        inner.cursors.remove(jid);
        inner.messages.retain(|m| m.account != jid);
        inner.otr_identities.remove(jid);
        inner.otr_fingerprints.remove(jid);
        inner.omemo.remove(jid);
        inner.rooms.remove(jid);
        inner.room_members.retain(|(account, _), _| account != jid);
        Ok(())
    }
}

impl RosterStore for MemoryStore {
    fn roster(&self, account: &str) -> Result<(Option<String>, Vec<RosterItem>)> {
        let inner = self.lock();
        let version = inner.roster_versions.get(account).cloned();
        let items = inner
            .rosters
            .get(account)
            .map(|r| r.values().cloned().collect())
            .unwrap_or_default();
        Ok((version, items))
    }

    fn replace_roster(
        &self,
        account: &str,
        version: Option<&str>,
        items: &[RosterItem],
    ) -> Result<()> {
        let mut inner = self.lock();
        inner.require_account(account)?;
        set_version(&mut inner, account, version);
        let roster = items.iter().map(|i| (i.jid.clone(), i.clone())).collect();
        inner.rosters.insert(account.to_owned(), roster);
        Ok(())
    }

    fn apply_roster_push(
        &self,
        account: &str,
        version: Option<&str>,
        item: &RosterItem,
        removed: bool,
    ) -> Result<()> {
        let mut inner = self.lock();
        inner.require_account(account)?;
        set_version(&mut inner, account, version);
        let roster = inner.rosters.entry(account.to_owned()).or_default();
        if removed {
            roster.remove(&item.jid);
        } else {
            roster.insert(item.jid.clone(), item.clone());
        }
        Ok(())
    }
}

fn set_version(inner: &mut Inner, account: &str, version: Option<&str>) {
    match version {
        Some(v) => inner
            .roster_versions
            .insert(account.to_owned(), v.to_owned()),
        None => inner.roster_versions.remove(account),
    };
}

/// Newest first: by timestamp, then id.
fn newest_first(a: &MessageRecord, b: &MessageRecord) -> std::cmp::Ordering {
    (b.timestamp_ms, b.id).cmp(&(a.timestamp_ms, a.id))
}

impl MessageStore for MemoryStore {
    fn insert_messages(
        &self,
        account: &str,
        msgs: &[NewMessage],
        archive_cursor: Option<&str>,
    ) -> Result<Vec<Inserted>> {
        let mut inner = self.lock();
        inner.require_account(account)?;
        let mut out = Vec::with_capacity(msgs.len());
        for msg in msgs {
            let msg = dedup::normalized(msg);
            let candidates: Vec<MessageRecord> = inner
                .messages
                .iter()
                .filter(|m| m.account == account)
                .cloned()
                .collect();
            if let Some(dup) = dedup::duplicate_of(&msg, &candidates) {
                let id = dup.id;
                if let Some(filled) = dedup::filled(dup, &msg) {
                    *inner.message_mut(account, id)? = filled;
                }
                out.push(Inserted::Duplicate { id });
            } else {
                inner.last_id += 1;
                let rec = dedup::record(inner.last_id, account, msg);
                inner.messages.push(rec.clone());
                out.push(Inserted::New(rec));
            }
        }
        if let Some(cursor) = archive_cursor {
            inner.cursors.insert(account.to_owned(), cursor.to_owned());
        }
        Ok(out)
    }

    fn set_message_state(&self, account: &str, id: i64, state: MessageState) -> Result<()> {
        self.lock().message_mut(account, id)?.state = state;
        Ok(())
    }

    fn set_stanza_id(&self, account: &str, id: i64, stanza_id: &str) -> Result<()> {
        self.lock().message_mut(account, id)?.stanza_id = Some(stanza_id.to_owned());
        Ok(())
    }

    fn set_message_encryption(&self, account: &str, id: i64, encryption: Encryption) -> Result<()> {
        self.lock().message_mut(account, id)?.encryption = encryption;
        Ok(())
    }

    fn conversation_encryption(
        &self,
        account: &str,
        peer: &str,
        before: Option<i64>,
    ) -> Result<Option<Encryption>> {
        Ok(self
            .lock()
            .messages
            .iter()
            .rev()
            .find(|m| {
                m.account == account
                    && m.peer == peer
                    && m.encryption != Encryption::Plain
                    && m.id < before.unwrap_or(i64::MAX)
            })
            .map(|m| m.encryption))
    }

    fn find_outgoing(
        &self,
        account: &str,
        peer: &str,
        message_id: &str,
    ) -> Result<Option<MessageRecord>> {
        let inner = self.lock();
        Ok(inner
            .messages
            .iter()
            .rev()
            .find(|m| {
                m.account == account
                    && m.peer == peer
                    && m.direction == Direction::Outgoing
                    && (m.message_id.as_deref() == Some(message_id)
                        || m.origin_id.as_deref() == Some(message_id))
            })
            .cloned())
    }

    fn find_outgoing_in_room(
        &self,
        account: &str,
        room: &str,
        origin_id: &str,
    ) -> Result<Option<MessageRecord>> {
        let inner = self.lock();
        Ok(inner
            .messages
            .iter()
            .rev()
            .find(|m| {
                m.account == account
                    && m.peer == room
                    && m.direction == Direction::Outgoing
                    && m.origin_id.as_deref() == Some(origin_id)
                    && m.room.as_ref().map(|r| r.kind) == Some(RoomMessageKind::Groupchat)
            })
            .cloned())
    }

    fn history(
        &self,
        account: &str,
        peer: &str,
        before: Option<i64>,
        limit: usize,
    ) -> Result<Vec<MessageRecord>> {
        let inner = self.lock();
        let bound = match before {
            None => (i64::MAX, i64::MAX),
            Some(before) => inner
                .messages
                .iter()
                .find(|m| m.account == account && m.id == before)
                .map_or((i64::MAX, before), |m| (m.timestamp_ms, before)),
        };
        let mut timeline: Vec<&MessageRecord> = inner
            .messages
            .iter()
            .filter(|m| m.account == account && m.peer == peer)
            .filter(|m| (m.timestamp_ms, m.id) < bound)
            .collect();
        timeline.sort_by_key(|m| (m.timestamp_ms, m.id));
        let skip = timeline.len().saturating_sub(limit);
        Ok(timeline.into_iter().skip(skip).cloned().collect())
    }

    fn message(&self, account: &str, id: i64) -> Result<Option<MessageRecord>> {
        Ok(self
            .lock()
            .messages
            .iter()
            .find(|m| m.account == account && m.id == id)
            .cloned())
    }

    fn count_messages(&self, account: &str, peer: &str) -> Result<u64> {
        let inner = self.lock();
        let n = inner
            .messages
            .iter()
            .filter(|m| m.account == account && m.peer == peer)
            .count();
        Ok(u64::try_from(n).unwrap_or(u64::MAX))
    }

    fn search(&self, text: &str, limit: usize) -> Result<Vec<MessageRecord>> {
        let words = search::query_words(text);
        if words.is_empty() {
            return Ok(Vec::new());
        }
        let inner = self.lock();
        let mut hits: Vec<MessageRecord> = inner
            .messages
            .iter()
            .filter(|m| search::matches(&m.body, &words))
            .cloned()
            .collect();
        hits.sort_by(newest_first);
        hits.truncate(limit);
        Ok(hits)
    }

    fn outbox(&self, account: &str) -> Result<Vec<MessageRecord>> {
        let inner = self.lock();
        Ok(inner
            .messages
            .iter()
            .filter(|m| {
                m.account == account
                    && m.direction == Direction::Outgoing
                    && m.state == MessageState::Queued
            })
            .cloned()
            .collect())
    }

    fn archive_cursor(&self, account: &str) -> Result<Option<String>> {
        Ok(self.lock().cursors.get(account).cloned())
    }

    fn conversations(&self, account: &str) -> Result<Vec<MessageRecord>> {
        let inner = self.lock();
        let mut last: HashMap<&str, &MessageRecord> = HashMap::new();
        for m in inner.messages.iter().filter(|m| m.account == account) {
            let entry = last.entry(m.peer.as_str()).or_insert(m);
            if newest_first(m, entry).is_lt() {
                *entry = m;
            }
        }
        let mut out: Vec<MessageRecord> = last.into_values().cloned().collect();
        out.sort_by(newest_first);
        Ok(out)
    }
}

impl SettingsStore for MemoryStore {
    fn setting(&self, key: &str) -> Result<Option<String>> {
        Ok(self.lock().settings.get(key).cloned())
    }

    fn set_setting(&self, key: &str, value: &str) -> Result<()> {
        self.lock()
            .settings
            .insert(key.to_owned(), value.to_owned());
        Ok(())
    }
}

impl OtrStore for MemoryStore {
    fn otr_identity(&self, account: &str) -> Result<Option<OtrIdentity>> {
        Ok(self.lock().otr_identities.get(account).cloned())
    }

    fn set_otr_identity(&self, account: &str, identity: &OtrIdentity) -> Result<()> {
        let mut inner = self.lock();
        inner.require_account(account)?;
        inner
            .otr_identities
            .insert(account.to_owned(), identity.clone());
        Ok(())
    }

    fn otr_fingerprints(&self, account: &str, contact: &str) -> Result<Vec<OtrFingerprint>> {
        let mut out: Vec<_> = self
            .all_otr_fingerprints(account)?
            .into_iter()
            .filter(|f| f.contact == contact)
            .collect();
        out.sort_by(|a, b| {
            (a.first_seen_ms, &a.fingerprint).cmp(&(b.first_seen_ms, &b.fingerprint))
        });
        Ok(out)
    }

    fn all_otr_fingerprints(&self, account: &str) -> Result<Vec<OtrFingerprint>> {
        let inner = self.lock();
        let mut out: Vec<_> = inner
            .otr_fingerprints
            .get(account)
            .map(|m| m.values().cloned().collect())
            .unwrap_or_default();
        out.sort_by(|a, b| {
            (&a.contact, a.first_seen_ms, &a.fingerprint).cmp(&(
                &b.contact,
                b.first_seen_ms,
                &b.fingerprint,
            ))
        });
        Ok(out)
    }

    fn put_otr_fingerprint(&self, account: &str, fingerprint: &OtrFingerprint) -> Result<()> {
        if normalize_fingerprint(&fingerprint.fingerprint).as_deref()
            != Some(fingerprint.fingerprint.as_str())
        {
            return Err(StoreError::InvalidInput(
                "an OTR fingerprint must be 40 lowercase hex digits".into(),
            ));
        }
        let mut inner = self.lock();
        inner.require_account(account)?;
        let key = (fingerprint.contact.clone(), fingerprint.fingerprint.clone());
        let entry = inner
            .otr_fingerprints
            .entry(account.to_owned())
            .or_default()
            .entry(key)
            .or_insert_with(|| fingerprint.clone());
        entry.trust = fingerprint.trust;
        Ok(())
    }
}

#[cfg(test)]
mod conformance {
    crate::store_conformance_tests!(|| (crate::MemoryStore::default(), ()));
}
