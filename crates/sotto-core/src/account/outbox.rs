// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! The outbox: one path for every queued message, whatever its
//! encryption. Encrypting is one step of it ([`Account::encode`]); handing
//! the stanza to the stream and tracking it until the server acknowledges
//! it ([`Account::track`]) is the same for all.

use std::collections::HashSet;

use sotto_store::{Encryption, MessageRecord, MessageState};
use sotto_xmpp::Jid;
use sotto_xmpp::xep::message;
use xmpp_parsers::message::Message;

use super::{Account, InFlight};
use crate::convert;

/// What the encryption step made of a queued message.
pub(crate) enum Encoded {
    /// The stanza to send and track.
    Stanza(Box<Message>),
    /// Not now: it waits for something (device lists or keys being
    /// fetched, an OTR session being set up). The contact's later messages
    /// wait behind it.
    Waiting,
    /// Dealt with otherwise (failed, or held and told).
    Handled,
}

impl Account {
    /// Hands every queued message to the live stream, oldest first, once.
    /// A contact's messages keep their order: behind one that waits, the
    /// rest wait too; other contacts' messages go on.
    pub(crate) fn flush_outbox(&mut self) {
        self.outbox_waiting = false;
        if !self.online || self.session.is_none() {
            return;
        }
        if self.announced != Some(self.stream) {
            // A fresh stream sends once its set-up has reached our initial
            // presence: after `server_features` (what a front end needs to
            // follow its messages, e.g. no acknowledgements without
            // XEP-0198), and after the server starts delivering what came
            // while we were offline — an OTR reply to an earlier query must
            // arrive before the new query's answer, or the two key
            // exchanges cross.
            self.outbox_waiting = true;
            return;
        }
        let outbox = match self.store.outbox(&self.jid) {
            Ok(outbox) => outbox,
            Err(e) => return self.fail(format!("reading the outbox: {e}")),
        };
        let mut waiting: HashSet<String> = HashSet::new();
        for record in outbox {
            if self.in_flight.contains_key(&record.id)
                || self.held.contains(&record.id)
                || waiting.contains(&record.peer)
            {
                continue;
            }
            match self.encode(&record) {
                Encoded::Stanza(stanza) => self.track(&record, *stanza),
                Encoded::Waiting => {
                    waiting.insert(record.peer.clone());
                }
                Encoded::Handled => {}
            }
        }
        self.outbox_waiting = !waiting.is_empty();
    }

    /// The encryption step.
    fn encode(&mut self, record: &MessageRecord) -> Encoded {
        if let Some(sender) = &record.room {
            return self.room_encode(record, sender);
        }
        match record.encryption {
            Encryption::Otr => self.otr_encode(record),
            Encryption::Omemo => self.omemo_encode(record),
            _ => {
                let Ok(to) = convert::parse_contact_jid(&record.peer) else {
                    self.set_state(record.id, &record.peer, MessageState::Failed);
                    return Encoded::Handled;
                };
                let mut stanza = message::chat(Jid::from(to), &wire_id(record), &record.body);
                if self.uploads.is_uploaded_link(&record.body) {
                    stanza = message::with_file_link(stanza, &record.body);
                }
                Encoded::Stanza(Box::new(stanza))
            }
        }
    }

    /// Sends a message's stanza on the live stream and follows it until the
    /// server acknowledges it (`Delivery` events under this hand-over's key).
    fn track(&mut self, record: &MessageRecord, stanza: Message) {
        let Some(session) = &self.session else { return };
        self.generation += 1;
        session.send_tracked(stanza, format!("{}:{}", record.id, self.generation));
        self.in_flight.insert(
            record.id,
            InFlight {
                peer: record.peer.clone(),
                state: MessageState::Queued,
                generation: self.generation,
            },
        );
    }
}

/// The id a queued message goes out with: its origin-id (recipients
/// deduplicate by it when it is sent again), else its message id.
pub(crate) fn wire_id(record: &MessageRecord) -> String {
    record
        .origin_id
        .clone()
        .or_else(|| record.message_id.clone())
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string())
}
