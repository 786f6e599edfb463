// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! What arrives from the session: messages, receipts, presence, roster pushes,
//! delivery progress.

use sotto_store::{Direction, Inserted, MessageRecord, MessageState, NewMessage};
use sotto_xmpp::xep::message::{IncomingMessage, Route};
use sotto_xmpp::xep::presence::PresenceUpdate;
use sotto_xmpp::xep::roster::Contact;
use sotto_xmpp::{BareJid, Delivery};
use xmpp_parsers::message::MessageType;

use super::Account;
use crate::api::Event;
use crate::convert;

impl Account {
    pub(crate) fn own_bare(&self) -> Option<BareJid> {
        convert::parse_account_jid(&self.jid).ok()
    }

    /// Stores messages in one transaction (with the archive cursor, if any)
    /// and announces the new ones, which it returns.
    pub(crate) fn store_messages(
        &self,
        messages: &[NewMessage],
        cursor: Option<&str>,
    ) -> Option<Vec<MessageRecord>> {
        match self.store.insert_messages(&self.jid, messages, cursor) {
            Ok(results) => {
                let mut new = Vec::new();
                for inserted in results {
                    if let Inserted::New(message) = inserted {
                        self.emit(Event::MessageAdded {
                            account: self.jid.clone(),
                            message: message.clone(),
                            request: None,
                        });
                        new.push(message);
                    }
                }
                Some(new)
            }
            Err(e) => {
                tracing::error!(error = %e, "could not store messages");
                self.storage_failed.set(true);
                self.fail(format!("storing messages: {e}"));
                None
            }
        }
    }

    /// A receipt or error for one of our messages.
    pub(crate) fn apply_to_outgoing(&mut self, peer: &str, message_id: &str, state: MessageState) {
        match self.store.find_outgoing(&self.jid, peer, message_id) {
            Ok(Some(record))
                if record.state != state && record.state != MessageState::Delivered =>
            {
                // A receipt can overtake the server's ack: stop tracking so
                // a late ack does not step the state back.
                self.in_flight.remove(&record.id);
                self.set_state(record.id, peer, state);
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "looking up an outgoing message"),
        }
    }

    /// A message from the live stream: handled, then, once this stream is
    /// caught up with the archive, its archive id is where the next
    /// catch-up starts. A message that arrives but is not stored (a full
    /// disk) leaves the position where it was.
    pub(crate) async fn on_message(&mut self, message: IncomingMessage) {
        let position = match message.route {
            Route::Archive => None,
            _ => message.stanza_id.clone(),
        };
        self.handle_message(message).await;
        if let Some(id) = position
            && self.caught_up == Some(self.stream)
            && !self.storage_failed.get()
        {
            self.contiguous = Some(id);
        }
    }

    async fn handle_message(&mut self, message: IncomingMessage) {
        let Some(own) = self.own_bare() else { return };
        let Some(peer) = message.peer(&own) else {
            return;
        };
        let peer = peer.to_string();
        let outgoing = message.is_outgoing(&own);
        if message.kind == MessageType::Error {
            if let Some(id) = &message.id {
                self.apply_to_outgoing(&peer, id, MessageState::Failed);
            }
            return;
        }
        if let (Some(id), false) = (&message.receipt_for, outgoing) {
            self.apply_to_outgoing(&peer, id, MessageState::Delivered);
        }
        if let (Some(state), false, Route::Direct) = (&message.chat_state, outgoing, message.route)
        {
            self.emit(Event::ChatState {
                account: self.jid.clone(),
                from: peer.clone(),
                state: convert::chat_state_in(state),
            });
        }
        if !message.encrypted.is_empty() {
            return self.omemo_incoming(&message);
        }
        if !outgoing && self.otr_incoming(&message).await {
            return;
        }
        if outgoing
            && message
                .body
                .as_deref()
                .is_some_and(super::otr::looks_like_otr)
        {
            // Our own OTR traffic seen again (another client's, or from the
            // archive): ciphertext or protocol, never stored.
            return;
        }
        let Some(new) = convert::new_message(&own, &message) else {
            return;
        };
        if self
            .store_messages(std::slice::from_ref(&new), None)
            .is_none()
        {
            // Not stored: do not confirm delivery we could lose.
            return;
        }
        // Receipts only after the message is safely stored, only for messages
        // addressed to us directly (never for carbons or archive results).
        if message.wants_receipt
            && message.route == Route::Direct
            && new.direction == Direction::Incoming
            && let (Some(id), Some(session)) = (&message.id, &self.session)
        {
            session.send(sotto_xmpp::xep::message::receipt(message.from.clone(), id));
        }
    }

    pub(crate) fn on_presence(&self, update: PresenceUpdate) {
        let account = self.jid.clone();
        match update {
            PresenceUpdate::Available { from, show, status } => self.emit(Event::Presence {
                account,
                from: from.to_string(),
                availability: convert::availability(show.as_ref()),
                status,
            }),
            PresenceUpdate::Unavailable { from, status } => self.emit(Event::Presence {
                account,
                from: from.to_string(),
                availability: crate::api::Availability::Unavailable,
                status,
            }),
            PresenceUpdate::SubscriptionRequest { from } => self.emit(Event::SubscriptionRequest {
                account,
                from: from.to_string(),
            }),
            // The roster push that follows carries the new state.
            PresenceUpdate::Subscribed { .. } | PresenceUpdate::Unsubscribed { .. } => {}
        }
    }

    pub(crate) fn on_roster_push(&self, contact: Contact, removed: bool, version: Option<String>) {
        let item = convert::roster_item(contact);
        if let Err(e) = self
            .store
            .apply_roster_push(&self.jid, version.as_deref(), &item, removed)
        {
            return self.fail(format!("storing a roster change: {e}"));
        }
        if removed {
            self.emit(Event::RosterItemRemoved {
                account: self.jid.clone(),
                jid: item.jid,
            });
        } else {
            self.emit(Event::RosterItemChanged {
                account: self.jid.clone(),
                item,
            });
        }
    }

    pub(crate) fn on_delivery(&mut self, key: &str, delivery: Delivery) {
        let Some((id, generation)) = key
            .split_once(':')
            .and_then(|(id, g)| Some((id.parse::<i64>().ok()?, g.parse::<u64>().ok()?)))
        else {
            return;
        };
        let Some(flight) = self.in_flight.get_mut(&id) else {
            return;
        };
        if flight.generation != generation {
            return;
        }
        let peer = flight.peer.clone();
        match delivery {
            Delivery::Sent if flight.state == MessageState::Queued => {
                flight.state = MessageState::Sent;
                self.set_state(id, &peer, MessageState::Sent);
            }
            Delivery::Sent => {}
            Delivery::Acked => {
                self.in_flight.remove(&id);
                self.set_state(id, &peer, MessageState::Acked);
            }
            Delivery::Failed => {
                self.in_flight.remove(&id);
                // Lost with its stream before the server confirmed it: queue
                // it again; it is sent once more when we are online (the
                // recipient deduplicates by origin-id).
                self.set_state(id, &peer, MessageState::Queued);
                if self.online {
                    self.flush_outbox();
                }
            }
        }
    }
}
