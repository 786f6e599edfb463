// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! OTR traffic from contacts: decrypting, storing what they wrote, carrying
//! out the engine's actions, and reporting state and SMP steps.

use sotto_otr::{Action, SmpEvent, State, Version};
use sotto_store::{
    Direction, Encryption as Stored, MessageState, NewMessage, OtrFingerprint, OtrTrust,
};
use sotto_xmpp::xep::message::{self, IncomingMessage, Route};

use super::{bare_of, looks_like_otr, now, now_ms};
use crate::account::Account;
use crate::api::otr::human_fingerprint;
use crate::api::{Event, OtrSessionState, SmpProgress};

impl Account {
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
    pub(super) fn otr_actions(
        &mut self,
        full: &str,
        actions: Vec<Action>,
        message: Option<&IncomingMessage>,
    ) {
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
                    let key_changed = self.report_state(full, true);
                    if state == State::Encrypted {
                        // Queued messages never go to a new key before the
                        // user saw `key_changed` and decided.
                        if key_changed {
                            self.otr.unconfirmed.insert(bare.clone());
                        } else {
                            self.otr.unconfirmed.remove(&bare);
                        }
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
            sender_device: None,
            room: None,
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
    /// True when that key is new while other keys of the contact are known.
    pub(super) fn report_state(&mut self, full: &str, record_new: bool) -> bool {
        let Some(conversation) = self.otr.conversations.get(full) else {
            return false;
        };
        let mut changed = false;
        let state = match conversation.state() {
            State::Plaintext => OtrSessionState::Plaintext,
            State::Finished => OtrSessionState::Finished,
            _ => {
                let Some(hex) = conversation.peer_fingerprint().map(|f| f.to_hex()) else {
                    return false;
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
                changed = key_changed;
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
        changed
    }
}
