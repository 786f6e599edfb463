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

use sotto_otr::{Action, Conversation, Policy, SmpEvent, State, Version};
use sotto_store::{
    Direction, Encryption as Stored, MessageRecord, MessageState, NewMessage, OtrFingerprint,
    OtrIdentity, OtrTrust, normalize_fingerprint,
};
use sotto_xmpp::xep::message::{self, IncomingMessage, Route};
use xmpp_parsers::jid::Jid;

use super::{Account, InFlight};
use crate::api::otr::human_fingerprint;
use crate::api::{Event, OtrContactFingerprint, OtrSessionState, SmpProgress};

/// Largest OTR body put in one stanza. XMPP needs no fragmentation for
/// ordinary messages (Pidgin sends none), but servers cap stanza sizes (some
/// at 64 KiB), so very long messages go in pieces.
const MAX_FRAGMENT: usize = 30_000;

/// libotr's whitespace tag prefix: a plaintext body carrying it offers OTR.
const WHITESPACE_TAG: &str = " \t  \t\t\t\t \t \t \t  ";

/// OTR state of one account. Sessions live only in memory, as OTR intends.
#[derive(Default)]
pub(crate) struct OtrSessions {
    /// The account's engine identity, loaded or created on first use.
    identity: Option<Arc<sotto_otr::Account>>,
    /// One conversation per contact client (full JID).
    conversations: HashMap<String, Conversation>,
    /// Contact (bare JID) → the client (full JID) of its current session.
    active: HashMap<String, String>,
    /// Contacts asked to start OTR (query sent) not yet answered.
    asked: HashSet<String>,
}

impl std::fmt::Debug for OtrSessions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OtrSessions")
            .field("conversations", &self.conversations.len())
            .field("asked", &self.asked.len())
            .finish_non_exhaustive()
    }
}

/// Whether a body is (or offers) OTR.
pub(crate) fn looks_like_otr(body: &str) -> bool {
    body.starts_with("?OTR") || body.contains(WHITESPACE_TAG)
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

    /// Asks the contact (every client of it) to start OTR.
    pub(crate) async fn otr_start(&mut self, jid: &str) {
        // Normalised as incoming stanzas name it, so replies find the
        // conversation.
        let target = match jid.parse::<Jid>() {
            Ok(parsed) if parsed.node().is_some() => parsed.to_string(),
            _ => return self.fail(format!("{jid:?} is not a contact's JID")),
        };
        let identity = match self.otr_identity().await {
            Ok(identity) => identity,
            Err(reason) => return self.fail(reason),
        };
        if self.live().is_none() {
            return;
        }
        let actions = self.conversation(&identity, &target).start();
        if !target.contains('/') {
            // The query went to the bare JID: whichever client answers gets
            // its own conversation.
            self.otr.conversations.remove(&target);
            self.otr.asked.insert(target.clone());
        }
        for action in actions {
            if let Action::SendWire(body) = action {
                self.send_otr_body(&target, &body);
            }
        }
    }

    pub(crate) fn otr_end(&mut self, jid: &str) {
        let Some(full) = self.otr_client(jid) else {
            return self.fail(format!("no OTR session with {jid}"));
        };
        let result = match self.otr.conversations.get_mut(&full) {
            Some(conversation) => conversation.end(now()),
            None => return self.fail(format!("no OTR session with {jid}")),
        };
        self.otr.asked.remove(&bare_of(&full));
        match result {
            Ok(actions) => self.otr_actions(&full, actions, None),
            Err(e) => self.fail(format!("ending the OTR session with {full}: {e}")),
        }
    }

    pub(crate) fn otr_smp(
        &mut self,
        jid: &str,
        secret: &str,
        question: Option<&str>,
        respond: bool,
    ) {
        let Some(full) = self.otr_client(jid) else {
            return self.fail(format!("no OTR session with {jid}: start one first"));
        };
        let Some(conversation) = self.otr.conversations.get_mut(&full) else {
            return self.fail(format!("no OTR session with {jid}: start one first"));
        };
        let mut rng = rand::rng();
        let result = if respond {
            conversation.smp_respond(secret.as_bytes(), now(), &mut rng)
        } else {
            conversation.smp_start(secret.as_bytes(), question, now(), &mut rng)
        };
        match result {
            Ok(actions) => {
                if !respond {
                    self.emit(Event::OtrSmp {
                        account: self.jid.clone(),
                        jid: full.clone(),
                        progress: SmpProgress::InProgress { percent: 20 },
                    });
                }
                self.otr_actions(&full, actions, None);
            }
            Err(e) => self.fail(format!("verifying {full} with SMP: {e}")),
        }
    }

    pub(crate) fn otr_smp_abort(&mut self, jid: &str) {
        let Some(full) = self.otr_client(jid) else {
            return self.fail(format!("no OTR session with {jid}"));
        };
        let Some(conversation) = self.otr.conversations.get_mut(&full) else {
            return self.fail(format!("no OTR session with {jid}"));
        };
        match conversation.smp_abort(now()) {
            Ok(actions) => {
                self.otr_actions(&full, actions, None);
                self.emit(Event::OtrSmp {
                    account: self.jid.clone(),
                    jid: full,
                    progress: SmpProgress::Aborted,
                });
            }
            Err(e) => self.fail(format!("aborting SMP with {full}: {e}")),
        }
    }

    pub(crate) async fn otr_fingerprints(&mut self) {
        let identity = match self.otr_identity().await {
            Ok(identity) => identity,
            Err(reason) => return self.fail(reason),
        };
        let contacts = match self.store.all_otr_fingerprints(&self.jid) {
            Ok(list) => list
                .into_iter()
                .map(|f| OtrContactFingerprint {
                    contact: f.contact,
                    fingerprint: human_fingerprint(&f.fingerprint),
                    trust: f.trust,
                })
                .collect(),
            Err(e) => return self.fail(format!("reading OTR fingerprints: {e}")),
        };
        self.emit(Event::OtrFingerprints {
            account: self.jid.clone(),
            own: human_fingerprint(&identity.fingerprint().to_hex()),
            contacts,
        });
    }

    pub(crate) fn otr_set_trust(&mut self, contact: &str, fingerprint: &str, verified: bool) {
        let Some(hex) = normalize_fingerprint(fingerprint) else {
            return self.fail(format!(
                "{fingerprint:?} is not an OTR fingerprint (40 hex digits)"
            ));
        };
        let contact = bare_of(contact);
        let record = OtrFingerprint {
            contact: contact.clone(),
            fingerprint: hex,
            trust: if verified {
                OtrTrust::Fingerprint
            } else {
                OtrTrust::Unverified
            },
            first_seen_ms: now_ms(),
        };
        if let Err(e) = self.store.put_otr_fingerprint(&self.jid, &record) {
            return self.fail(format!("storing the OTR trust decision: {e}"));
        }
        // Show the new trust on the contact's live sessions.
        let clients: Vec<String> = self
            .otr
            .conversations
            .keys()
            .filter(|full| bare_of(full) == contact)
            .cloned()
            .collect();
        for full in clients {
            self.report_state(&full, false);
        }
    }

    /// Imports the key (and known fingerprints) of a Pidgin/libotr profile.
    pub(crate) fn otr_import(&mut self, dir: &str) {
        match self.try_import(std::path::Path::new(dir)) {
            Ok((fingerprint, contacts)) => self.emit(Event::OtrImported {
                account: self.jid.clone(),
                fingerprint,
                contacts,
            }),
            Err(reason) => self.fail(reason),
        }
    }

    fn try_import(&mut self, dir: &std::path::Path) -> Result<(String, usize), String> {
        let read = |name: &str| std::fs::read_to_string(dir.join(name));
        // Not `read_to_string`: libgcrypt sometimes writes a key number as a
        // quoted string of raw bytes, so real key files are not always UTF-8.
        let keys = std::fs::read(dir.join("otr.private_key"))
            .map_err(|e| format!("reading {}: {e}", dir.join("otr.private_key").display()))?;
        let keys = sotto_otr::parse_private_keys(&keys)
            .map_err(|e| format!("reading the Pidgin OTR key file: {e}"))?;
        let key = keys
            .iter()
            .find(|k| k.bare_account() == self.jid && k.protocol == "prpl-jabber")
            .or_else(|| keys.iter().find(|k| k.bare_account() == self.jid))
            .ok_or_else(|| {
                format!(
                    "the Pidgin OTR key file has no key for {} (it has {} key(s))",
                    self.jid,
                    keys.len()
                )
            })?;
        let tag = match self.store.otr_identity(&self.jid) {
            Ok(Some(existing)) => existing.instance_tag,
            _ => sotto_otr::InstanceTag::generate(&mut rand::rng()).get(),
        };
        let instance_tag = sotto_otr::InstanceTag::new(tag)
            .map_err(|e| format!("the OTR instance tag is unusable: {e}"))?;
        self.store
            .set_otr_identity(
                &self.jid,
                &OtrIdentity {
                    private_key: key.key.to_bytes(),
                    instance_tag: tag,
                },
            )
            .map_err(|e| format!("storing the imported OTR key: {e}"))?;
        // Sessions made with the old key end with it.
        self.otr = OtrSessions::default();
        self.otr.identity = Some(Arc::new(sotto_otr::Account::new(
            key.key.clone(),
            instance_tag,
            Policy::Opportunistic,
        )));
        let mut imported = 0;
        if let Ok(text) = read("otr.fingerprints") {
            let known = sotto_otr::parse_fingerprints(&text)
                .map_err(|e| format!("reading the Pidgin OTR fingerprints: {e}"))?;
            for entry in known.iter().filter(|f| bare_of(&f.account) == self.jid) {
                let trust = if entry.trust.is_verified() {
                    OtrTrust::Fingerprint
                } else {
                    OtrTrust::Unverified
                };
                let record = OtrFingerprint {
                    contact: bare_of(&entry.username),
                    fingerprint: entry.fingerprint.to_hex(),
                    trust,
                    first_seen_ms: now_ms(),
                };
                self.store
                    .put_otr_fingerprint(&self.jid, &record)
                    .map_err(|e| format!("storing an imported OTR fingerprint: {e}"))?;
                imported += 1;
            }
        }
        Ok((human_fingerprint(&key.key.fingerprint().to_hex()), imported))
    }

    /// Handles a message that is OTR, or comes from a client we have an OTR
    /// conversation with. Returns false when it is none of OTR's business.
    pub(crate) async fn otr_incoming(&mut self, message: &IncomingMessage) -> bool {
        let Some(body) = message.body.as_deref() else {
            return false;
        };
        let full = message.from.to_string();
        let known = self.otr.conversations.contains_key(&full);
        if !known && !looks_like_otr(body) {
            return false;
        }
        if message.route != Route::Direct {
            // Copies (carbons, archive) of OTR traffic are ciphertext for
            // another client, or protocol: nothing to show or store.
            return looks_like_otr(body);
        }
        let identity = match self.otr_identity().await {
            Ok(identity) => identity,
            Err(reason) => {
                tracing::warn!(%reason, "no OTR identity for an incoming OTR message");
                return true;
            }
        };
        let mut rng = rand::rng();
        let result = self
            .conversation(&identity, &full)
            .receive(body, now(), &mut rng);
        match result {
            Ok(actions) => self.otr_actions(&full, actions, Some(message)),
            Err(error) => {
                if let Some(reply) = error.reply_to_peer() {
                    self.send_otr_body(&full, &reply);
                }
                self.emit(Event::OtrUnreadable {
                    account: self.jid.clone(),
                    jid: full,
                    reason: error.to_string(),
                });
            }
        }
        true
    }

    /// Carries out what the engine asked for.
    fn otr_actions(&mut self, full: &str, actions: Vec<Action>, message: Option<&IncomingMessage>) {
        let bare = bare_of(full);
        for action in actions {
            match action {
                Action::SendWire(body) => self.send_otr_body(full, &body),
                Action::Deliver { text, encrypted } => {
                    let Some(message) = message else { continue };
                    self.store_otr_message(message, &bare, text, encrypted);
                }
                Action::StateChanged(state) => {
                    if state == State::Encrypted {
                        self.otr.active.insert(bare.clone(), full.to_owned());
                        self.otr.asked.remove(&bare);
                    }
                    self.report_state(full, true);
                    if state == State::Encrypted {
                        self.flush_outbox();
                    }
                }
                Action::Smp(event) => self.on_smp(full, event),
                Action::PeerError(_) => {
                    // Often a client of the contact that never had our
                    // session (a bare-JID message reached it too).
                    tracing::debug!("the contact's OTR client reported an error");
                }
                Action::Notice(_) => {}
                _ => {}
            }
        }
    }

    fn store_otr_message(
        &mut self,
        message: &IncomingMessage,
        bare: &str,
        text: String,
        encrypted: bool,
    ) {
        if text.is_empty() {
            return;
        }
        let new = NewMessage {
            peer: bare.to_owned(),
            direction: Direction::Incoming,
            body: text,
            timestamp_ms: message.sent_at_ms.unwrap_or_else(now_ms),
            message_id: message.id.clone(),
            origin_id: message.origin_id.clone(),
            stanza_id: message.stanza_id.clone(),
            state: MessageState::Received,
            encryption: if encrypted {
                Stored::Otr
            } else {
                Stored::Plain
            },
        };
        if self
            .store_messages(std::slice::from_ref(&new), None)
            .is_none()
        {
            return;
        }
        if message.wants_receipt
            && let (Some(id), Some(session)) = (&message.id, &self.session)
        {
            session.send(message::receipt(message.from.clone(), id));
        }
    }

    fn on_smp(&mut self, full: &str, event: SmpEvent) {
        let progress = match event {
            SmpEvent::Requested { question } => SmpProgress::Requested { question },
            SmpEvent::Progress { percent } => SmpProgress::InProgress { percent },
            SmpEvent::Succeeded => {
                if let Some(hex) = self
                    .otr
                    .conversations
                    .get(full)
                    .and_then(|c| c.peer_fingerprint())
                    .map(|f| f.to_hex())
                {
                    let record = OtrFingerprint {
                        contact: bare_of(full),
                        fingerprint: hex,
                        trust: OtrTrust::Smp,
                        first_seen_ms: now_ms(),
                    };
                    if let Err(e) = self.store.put_otr_fingerprint(&self.jid, &record) {
                        tracing::warn!(error = %e, "could not store an SMP result");
                    }
                }
                SmpProgress::Succeeded
            }
            SmpEvent::Failed => SmpProgress::Failed,
            SmpEvent::Aborted => SmpProgress::Aborted,
            _ => return,
        };
        let succeeded = progress == SmpProgress::Succeeded;
        self.emit(Event::OtrSmp {
            account: self.jid.clone(),
            jid: full.to_owned(),
            progress,
        });
        if succeeded {
            self.report_state(full, false);
        }
    }

    /// Emits the state of the conversation with `full`; on a newly encrypted
    /// session, records the contact's fingerprint (first seen: unverified).
    fn report_state(&mut self, full: &str, record_new: bool) {
        let Some(conversation) = self.otr.conversations.get(full) else {
            return;
        };
        let state = match conversation.state() {
            State::Plaintext => OtrSessionState::Plaintext,
            State::Finished => OtrSessionState::Finished,
            _ => {
                let Some(hex) = conversation.peer_fingerprint().map(|f| f.to_hex()) else {
                    return;
                };
                let version = match conversation.version() {
                    Some(Version::V2) => 2,
                    _ => 3,
                };
                let contact = bare_of(full);
                let stored = self
                    .store
                    .otr_fingerprints(&self.jid, &contact)
                    .unwrap_or_default();
                let known = stored.iter().find(|f| f.fingerprint == hex);
                let trust = known.map_or(OtrTrust::Unverified, |f| f.trust);
                let key_changed = known.is_none() && !stored.is_empty();
                if known.is_none() && record_new {
                    let record = OtrFingerprint {
                        contact,
                        fingerprint: hex.clone(),
                        trust: OtrTrust::Unverified,
                        first_seen_ms: now_ms(),
                    };
                    if let Err(e) = self.store.put_otr_fingerprint(&self.jid, &record) {
                        tracing::warn!(error = %e, "could not store an OTR fingerprint");
                    }
                }
                OtrSessionState::Encrypted {
                    fingerprint: human_fingerprint(&hex),
                    trust,
                    version,
                    key_changed,
                }
            }
        };
        self.emit(Event::OtrState {
            account: self.jid.clone(),
            jid: full.to_owned(),
            state,
        });
    }

    /// Hands a queued OTR message to the contact's encrypted session, or asks
    /// the contact to start one (the message waits in the outbox meanwhile).
    pub(crate) fn otr_hand_over(&mut self, record: MessageRecord) {
        let bare = record.peer.clone();
        let full = self.otr.active.get(&bare).cloned();
        let encrypted = full
            .as_ref()
            .and_then(|f| self.otr.conversations.get(f))
            .map(|c| c.state());
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
            return;
        };
        let Some(session) = &self.session else { return };
        let Some(conversation) = self.otr.conversations.get_mut(&full) else {
            return;
        };
        let mut rng = rand::rng();
        let actions = match conversation.send(&record.body, now(), &mut rng) {
            Ok(actions) => actions,
            Err(e) => {
                tracing::warn!(error = %e, "OTR could not encrypt a message");
                return self.set_state(record.id, &record.peer, MessageState::Failed);
            }
        };
        let Ok(to) = full.parse::<Jid>() else { return };
        let pieces: Vec<String> = actions
            .into_iter()
            .filter_map(|a| match a {
                Action::SendWire(body) => Some(body),
                _ => None,
            })
            .collect();
        let id = record
            .origin_id
            .clone()
            .or_else(|| record.message_id.clone())
            .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
        let last = pieces.len().saturating_sub(1);
        self.generation += 1;
        for (i, piece) in pieces.iter().enumerate() {
            if i < last {
                let piece_id = uuid::Uuid::new_v4().to_string();
                session.send(message::otr_chat(to.clone(), &piece_id, piece, false));
            } else {
                session.send_tracked(
                    message::otr_chat(to.clone(), &id, piece, true),
                    format!("{}:{}", record.id, self.generation),
                );
            }
        }
        self.in_flight.insert(
            record.id,
            InFlight {
                peer: record.peer,
                state: MessageState::Queued,
                generation: self.generation,
            },
        );
    }
}
