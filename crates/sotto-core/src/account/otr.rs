// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! OTR in an account: one engine conversation per contact client (full
//! JID), the long-term key and trust decisions in the store, OTR bodies in
//! and out of XMPP messages.
//!
//! Rules kept here:
//! - a message the user sends with OTR is never sent in plaintext: it waits
//!   in the outbox (stored, encrypted at rest) until a session is encrypted;
//! - OTR bodies carry the private/no-copy/no-store hints and never reach the
//!   store as ciphertext; what is stored is the decrypted text;
//! - OTR errors from the contact's other clients (a bare-JID message reaches
//!   them all) are logged, not shown.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::SystemTime;

use sotto_otr::{Action, Conversation, Policy, State};
use sotto_store::{MessageRecord, MessageState, OtrIdentity};
use sotto_xmpp::xep::message;
use xmpp_parsers::jid::Jid;

mod commands;
mod incoming;

use super::Account;
use super::outbox::{Encoded, wire_id};

/// Largest OTR body put in one stanza. XMPP needs no fragmentation for
/// ordinary messages (Pidgin sends none), but servers cap stanza sizes (some
/// at 64 KiB), so very long messages go in pieces.
const MAX_FRAGMENT: usize = 30_000;

/// OTR conversations kept per account. Anyone can open one (one per full
/// JID, each up to ~1.6 MB the engine bounds), so strangers could otherwise
/// fill memory; an honest account talks OTR with far fewer clients at once.
const MAX_CONVERSATIONS: usize = 64;

/// libotr's whitespace tag prefix: a plaintext body carrying it offers OTR.
const WHITESPACE_TAG: &str = " \t  \t\t\t\t \t \t \t  ";

/// OTR state of one account. Sessions live only in memory, as OTR intends.
#[derive(Default)]
pub(crate) struct OtrSessions {
    /// The account's engine identity, loaded or created on first use.
    identity: Option<Arc<sotto_otr::Account>>,
    /// One conversation per contact client (full JID), at most
    /// [`MAX_CONVERSATIONS`].
    conversations: HashMap<String, Conversation>,
    /// When each conversation was last used (a counter, not a clock): the
    /// least recently used idle one makes room for a new one.
    pub(super) touched: HashMap<String, u64>,
    /// The counter behind `touched`.
    uses: u64,
    /// Contact (bare JID) → the client (full JID) of its current session.
    active: HashMap<String, String>,
    /// Contacts asked to start OTR (query sent) not yet answered.
    asked: HashSet<String>,
    /// Contacts whose current session uses a key never seen before while
    /// other keys of theirs are known: queued messages wait for the user
    /// (a trust decision, or sending one anyway) instead of going to it.
    unconfirmed: HashSet<String>,
}

impl std::fmt::Debug for OtrSessions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OtrSessions")
            .field("conversations", &self.conversations.len())
            .field("asked", &self.asked.len())
            .finish_non_exhaustive()
    }
}

/// Whether a body is OTR protocol or ciphertext (not a tagged plaintext).
pub(crate) fn is_otr_wire(body: &str) -> bool {
    body.starts_with("?OTR")
}

/// Whether a body is (or offers) OTR.
pub(crate) fn looks_like_otr(body: &str) -> bool {
    body.starts_with("?OTR") || body.contains(WHITESPACE_TAG)
}

impl OtrSessions {
    /// Marks `full` as just used, and makes room for it if it is new.
    fn touch(&mut self, full: &str) {
        self.uses += 1;
        self.touched.insert(full.to_owned(), self.uses);
        if !self.conversations.contains_key(full)
            && self.conversations.len() >= MAX_CONVERSATIONS
            && let Some(victim) = least_needed(self, full)
        {
            tracing::debug!("dropping the least recently used OTR conversation");
            self.conversations.remove(&victim);
            self.touched.remove(&victim);
        }
    }
}

/// The conversation to drop for a new one: the least recently used that is
/// not encrypted, else the least recently used that is no contact's current
/// session. Never `keep`.
fn least_needed(otr: &OtrSessions, keep: &str) -> Option<String> {
    let current: HashSet<&String> = otr.active.values().collect();
    let candidates = |encrypted_too: bool| {
        otr.conversations
            .iter()
            .filter(|(full, c)| {
                full.as_str() != keep
                    && !current.contains(full)
                    && (encrypted_too || c.state() != State::Encrypted)
            })
            .min_by_key(|(full, _)| otr.touched.get(*full).copied().unwrap_or(0))
            .map(|(full, _)| full.clone())
    };
    candidates(false).or_else(|| candidates(true))
}

fn now() -> SystemTime {
    SystemTime::now()
}

fn now_ms() -> i64 {
    message::received_now_ms()
}

fn bare_of(jid: &str) -> String {
    jid.split('/').next().unwrap_or(jid).to_owned()
}

impl Account {
    /// The user looked at (or chose to ignore) the new key of `contact`:
    /// messages held for it go.
    pub(crate) fn otr_key_confirmed(&mut self, contact: &str) {
        if self.otr.unconfirmed.remove(contact) {
            self.release_held(contact);
        }
    }

    /// The account's OTR identity: loaded from the store, or created (a DSA
    /// key, which takes a moment) and stored.
    pub(crate) async fn otr_identity(&mut self) -> Result<Arc<sotto_otr::Account>, String> {
        if let Some(identity) = &self.otr.identity {
            return Ok(identity.clone());
        }
        let stored = self
            .store
            .otr_identity(&self.jid)
            .map_err(|e| format!("reading the OTR key: {e}"))?;
        let (key, tag) = match stored {
            Some(stored) => (
                sotto_otr::PrivateKey::from_bytes(&stored.private_key)
                    .map_err(|e| format!("the stored OTR key is unusable: {e}"))?,
                sotto_otr::InstanceTag::new(stored.instance_tag)
                    .map_err(|e| format!("the stored OTR instance tag is unusable: {e}"))?,
            ),
            None => {
                let (key, tag) = tokio::task::spawn_blocking(|| {
                    let mut rng = rand::rng();
                    (
                        sotto_otr::PrivateKey::generate(&mut rng),
                        sotto_otr::InstanceTag::generate(&mut rng),
                    )
                })
                .await
                .map_err(|e| format!("creating the OTR key: {e}"))?;
                self.store
                    .set_otr_identity(
                        &self.jid,
                        &OtrIdentity {
                            private_key: key.to_bytes(),
                            instance_tag: tag.get(),
                        },
                    )
                    .map_err(|e| format!("storing the new OTR key: {e}"))?;
                (key, tag)
            }
        };
        let identity = Arc::new(sotto_otr::Account::new(key, tag, Policy::Opportunistic));
        self.otr.identity = Some(identity.clone());
        Ok(identity)
    }

    /// The identity if one exists: in memory, or loaded from the store
    /// (never created here).
    fn stored_otr_identity(&mut self) -> Option<Arc<sotto_otr::Account>> {
        if self.otr.identity.is_none() {
            let stored = self.store.otr_identity(&self.jid).ok().flatten()?;
            let key = sotto_otr::PrivateKey::from_bytes(&stored.private_key).ok()?;
            let tag = sotto_otr::InstanceTag::new(stored.instance_tag).ok()?;
            self.otr.identity = Some(Arc::new(sotto_otr::Account::new(
                key,
                tag,
                Policy::Opportunistic,
            )));
        }
        self.otr.identity.clone()
    }

    /// A fresh stream: contacts asked before may not have been online; ask
    /// again for messages still waiting.
    pub(crate) fn otr_on_fresh_session(&mut self) {
        self.otr.asked.clear();
    }

    fn conversation(
        &mut self,
        identity: &Arc<sotto_otr::Account>,
        full: &str,
    ) -> &mut Conversation {
        self.otr.touch(full);
        self.otr
            .conversations
            .entry(full.to_owned())
            .or_insert_with(|| {
                let mut conversation = Conversation::new(identity.clone());
                conversation.set_max_fragment_size(Some(MAX_FRAGMENT));
                conversation
            })
    }

    /// The client an OTR command about `jid` means: the full JID itself, or
    /// the contact's current session.
    fn otr_client(&self, jid: &str) -> Option<String> {
        if jid.contains('/') {
            return Some(jid.to_owned());
        }
        self.otr.active.get(jid).cloned()
    }

    /// Whether messages to the contact go with OTR by default: its current
    /// session is encrypted, or was ended by the contact (`Finished`: then
    /// messages wait rather than fall back to plaintext).
    pub(crate) fn otr_in_use(&self, contact: &str) -> bool {
        self.otr
            .active
            .get(contact)
            .and_then(|full| self.otr.conversations.get(full))
            .is_some_and(|c| matches!(c.state(), State::Encrypted | State::Finished))
    }

    /// Sends one OTR body (not tracked).
    fn send_otr_body(&self, to: &str, body: &str) {
        let (Some(session), Ok(jid)) = (&self.session, to.parse::<Jid>()) else {
            return;
        };
        let id = uuid::Uuid::new_v4().to_string();
        session.send(message::otr_chat(jid, &id, body, false));
    }

    /// The outbox's encryption step for OTR: the message's last piece to
    /// track (earlier fragments go out at once); `Waiting` until a session
    /// is encrypted (one is asked for), or held while a new key is
    /// unconfirmed.
    pub(crate) fn otr_encode(&mut self, record: &MessageRecord) -> Encoded {
        let bare = record.peer.clone();
        let full = self.otr.active.get(&bare).cloned();
        let encrypted = full
            .as_ref()
            .and_then(|f| self.otr.conversations.get(f))
            .map(|c| c.state());
        if self.otr.unconfirmed.contains(&bare) && encrypted == Some(State::Encrypted) {
            self.hold(
                record,
                format!(
                    "{bare} answered with an OTR key never seen before; check the key \
                     (or send anyway) before this message goes to it"
                ),
            );
            return Encoded::Handled;
        }
        let (Some(full), Some(State::Encrypted)) = (full, encrypted) else {
            if encrypted != Some(State::Finished) && !self.otr.asked.contains(&bare) {
                // A message is only queued for OTR once the identity exists,
                // so it is stored (after a restart it is not loaded yet).
                if let Some(identity) = self.stored_otr_identity() {
                    let query = Conversation::new(identity).start();
                    self.otr.asked.insert(bare.clone());
                    for action in query {
                        if let Action::SendWire(body) = action {
                            self.send_otr_body(&bare, &body);
                        }
                    }
                }
            }
            return Encoded::Waiting;
        };
        let Some(session) = &self.session else {
            return Encoded::Waiting;
        };
        let Some(conversation) = self.otr.conversations.get_mut(&full) else {
            return Encoded::Waiting;
        };
        let mut rng = rand::rng();
        let actions = match conversation.send(&record.body, now(), &mut rng) {
            Ok(actions) => actions,
            Err(e) => {
                tracing::warn!(error = %e, "OTR could not encrypt a message");
                self.set_state(record.id, &record.peer, MessageState::Failed);
                return Encoded::Handled;
            }
        };
        let Ok(to) = full.parse::<Jid>() else {
            return Encoded::Waiting;
        };
        let mut pieces: Vec<String> = actions
            .into_iter()
            .filter_map(|a| match a {
                Action::SendWire(body) => Some(body),
                _ => None,
            })
            .collect();
        let Some(last) = pieces.pop() else {
            return Encoded::Handled;
        };
        for piece in &pieces {
            let piece_id = uuid::Uuid::new_v4().to_string();
            session.send(message::otr_chat(to.clone(), &piece_id, piece, false));
        }
        Encoded::Stanza(Box::new(message::otr_chat(
            to,
            &wire_id(record),
            &last,
            true,
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Strangers opening conversations from many full JIDs cannot grow
    /// the table past its bound, nor push out a contact's current session.
    #[test]
    fn conversations_from_strangers_are_bounded_and_the_current_one_stays() {
        let key = sotto_otr::PrivateKey::generate(&mut rand::rng());
        let tag = sotto_otr::InstanceTag::new(0x1234).unwrap_or_else(|_| unreachable!());
        let identity = Arc::new(sotto_otr::Account::new(key, tag, Policy::Opportunistic));
        let mut otr = OtrSessions::default();
        let open = |otr: &mut OtrSessions, full: &str| {
            otr.touch(full);
            otr.conversations
                .entry(full.to_owned())
                .or_insert_with(|| Conversation::new(identity.clone()));
        };
        open(&mut otr, "bob@example.org/phone");
        otr.active
            .insert("bob@example.org".into(), "bob@example.org/phone".into());
        for i in 0..1000 {
            open(&mut otr, &format!("stranger@evil.example/{i}"));
        }
        assert_eq!(otr.conversations.len(), MAX_CONVERSATIONS);
        assert!(otr.conversations.contains_key("bob@example.org/phone"));
        assert!(otr.conversations.contains_key("stranger@evil.example/999"));
        assert!(!otr.conversations.contains_key("stranger@evil.example/0"));
        assert!(otr.touched.len() <= MAX_CONVERSATIONS + 1);
    }
}
