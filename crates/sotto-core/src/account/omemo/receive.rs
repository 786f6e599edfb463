// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! Receiving OMEMO messages: live, as carbons, from the offline store and
//! from the archive. The session the message moved and the message itself
//! are saved in one transaction; what cannot be read is reported in words a
//! person can act on.

use std::time::Instant;

use sotto_omemo::trust::TrustLevel;
use sotto_omemo::{DeviceAddress, Error as OmemoError, Limits, Namespace};
use sotto_store::{Direction, Encryption, Inserted, NewMessage};
use sotto_xmpp::xep::message::{IncomingMessage, Route};
use sotto_xmpp::xep::sce;

use super::{KEY_TRANSPORT_DELAY, READ_ELSEWHERE, now_secs};
use crate::account::Account;
use crate::api::Event;
use crate::convert;
use crate::omemo_wire::encrypted_in;

/// Session repairs per sender (bare JID) and stream.
const REPAIRS_PER_JID: usize = 2;
/// Session repairs in all per stream.
const REPAIRS_PER_STREAM: usize = 16;

/// Why a message could not be read, for the user, and whether a new
/// session should be built with the sender's device.
fn explain(error: &OmemoError, own_device: u32) -> (String, bool) {
    match error {
        OmemoError::NotForThisDevice { .. } => (
            format!(
                "not encrypted for this device (the sender's client does not know device \
                 {own_device} yet)"
            ),
            false,
        ),
        OmemoError::Duplicate => (
            "replayed: this message was already decrypted once".to_owned(),
            false,
        ),
        OmemoError::NoSession { .. } => (
            "the sender's device uses a session this device does not have \
             (a new session was requested)"
                .to_owned(),
            true,
        ),
        OmemoError::UnknownPreKey(_) | OmemoError::UnknownSignedPreKey(_) => (
            "the sender used keys this device no longer has (a new session was requested)"
                .to_owned(),
            true,
        ),
        OmemoError::TooManySkipped { .. } => (
            "too many messages from the sender's device were lost on the way".to_owned(),
            false,
        ),
        OmemoError::Corrupted(_) | OmemoError::Malformed { .. } => {
            ("message corrupted".to_owned(), false)
        }
        other => (other.to_string(), false),
    }
}

impl Account {
    /// Handles a message with `<encrypted>` elements; stores what it says.
    pub(crate) fn omemo_incoming(&mut self, message: &IncomingMessage) {
        let Some(own) = self.own_bare() else { return };
        let Some(peer) = message.peer(&own) else {
            return;
        };
        let device = match self.omemo_device() {
            Ok(device) => device,
            Err(reason) => return self.fail(reason),
        };
        let outgoing = message.is_outgoing(&own);
        let elements: Vec<_> = message
            .encrypted
            .iter()
            .map(|e| encrypted_in(e, &own))
            .collect();
        let own_jid = own.to_string();
        let for_us = elements.iter().find(|e| {
            e.keys.iter().any(|k| {
                k.device_id == device.device_id
                    && (e.namespace == Namespace::Legacy || k.jid == own_jid)
            })
        });
        let sender_device = elements.first().map_or(0, |e| e.sender_device_id);
        let Some(element) = for_us else {
            let empty = elements.iter().all(|e| e.payload.is_none());
            if empty
                || (outgoing && sender_device == device.device_id)
                || message.route == Route::Archive
            {
                // A key transport for another device, our own message seen
                // again, or archived history from before this device
                // existed: nothing to show.
                return;
            }
            let (reason, _) = explain(
                &OmemoError::NotForThisDevice {
                    device_id: device.device_id,
                },
                device.device_id,
            );
            return self.omemo_unreadable(message, &peer.to_string(), sender_device, reason);
        };
        let ns = element.namespace;
        let sender =
            DeviceAddress::new(message.from.to_bare().to_string(), element.sender_device_id);
        let session = self.omemo.store.load_session(ns, &sender).ok().flatten();
        let decrypted = sotto_omemo::decrypt(
            &device.identity,
            &own_jid,
            device.device_id,
            element,
            session.as_ref(),
            self.omemo.store.as_ref(),
            now_secs(),
            &Limits::default(),
            &mut rand::rng(),
        );
        let decrypted = match decrypted {
            Ok(decrypted) => decrypted,
            Err(OmemoError::Duplicate) if message.route != Route::Direct => {
                // The same message again, from the archive or as a carbon of
                // what we already read: nothing is lost.
                return;
            }
            Err(OmemoError::Duplicate) if self.omemo_read_elsewhere(message) => {
                // The live copy of a message the archive catch-up delivered
                // first (both arrive when a message comes in during the
                // catch-up): it was read and stored; the sender still waits
                // for its receipt.
                self.omemo_receipt(message, true);
                return;
            }
            Err(error) => {
                let (reason, repair) = explain(&error, device.device_id);
                tracing::info!(device = sender.device_id, %error, "OMEMO message not decrypted");
                if element.payload.is_some() && !matches!(error, OmemoError::Duplicate) {
                    self.omemo_unreadable(message, &peer.to_string(), sender.device_id, reason);
                } else {
                    self.emit(Event::OmemoUnreadable {
                        account: self.jid.clone(),
                        peer: peer.to_string(),
                        device_id: sender.device_id,
                        reason,
                    });
                }
                // Only a live message may rebuild a session, and only one
                // we do not have: an old key exchange (replayed, or read
                // back from the archive) never replaces a working session.
                if repair && message.route == Route::Direct && session.is_none() {
                    self.omemo_repair(ns, &sender);
                }
                return;
            }
        };
        // The device's key as known from a session in either namespace (one
        // identity serves both).
        let previous = session.as_ref().map(|s| s.remote_identity()).or_else(|| {
            let other = match ns {
                Namespace::Legacy => Namespace::Omemo2,
                _ => Namespace::Legacy,
            };
            let known = self.omemo.store.load_session(other, &sender).ok().flatten();
            known.map(|s| s.remote_identity())
        });
        if let Some(previous) = previous
            && previous.curve25519().ok() != decrypted.sender_identity.curve25519().ok()
        {
            self.omemo_identity_changed(&sender, ns, &decrypted.sender_identity);
        }
        let trust = self.omemo_trust(&sender, ns, &decrypted.sender_identity);
        if trust != TrustLevel::Blind && trust != TrustLevel::Verified {
            tracing::info!(
                device = sender.device_id,
                ?trust,
                "OMEMO message under a key not trusted"
            );
        }
        let text = match (&decrypted.plaintext, ns) {
            (None, _) => None,
            (Some(bytes), Namespace::Legacy) => match String::from_utf8(bytes.clone()) {
                Ok(text) => Some(text),
                Err(_) => return self.omemo_corrupt(message, &peer.to_string(), &sender),
            },
            (Some(bytes), Namespace::Omemo2) => match sce::parse(bytes) {
                Ok(envelope)
                    if envelope
                        .from
                        .as_deref()
                        .is_some_and(|f| f.split('/').next() == Some(sender.jid.as_str())) =>
                {
                    envelope.body
                }
                Ok(_) => {
                    // The envelope names someone else: a forwarded or forged
                    // payload. The ratchet is not saved either.
                    return self.omemo_unreadable(
                        message,
                        &peer.to_string(),
                        sender.device_id,
                        "the encrypted envelope names another sender".to_owned(),
                    );
                }
                Err(_) => return self.omemo_corrupt(message, &peer.to_string(), &sender),
            },
        };
        let new = text
            .and_then(|body| convert::new_message_with(&own, message, body, Encryption::Omemo))
            .map(|new| NewMessage {
                sender_device: Some(sender.device_id),
                ..new
            });
        let msgs: Vec<NewMessage> = new.iter().cloned().collect();
        let saved = self.omemo.store.save_sessions_with_messages(
            ns,
            &[(sender.clone(), decrypted.session.clone())],
            decrypted.consumed_prekey,
            &msgs,
        );
        let inserted = match saved {
            Ok(inserted) => inserted,
            Err(e) => {
                tracing::error!(error = %e, "could not store an OMEMO message");
                // Neither the message nor its ratchet step was saved: the
                // archive still has it, read again once storing works.
                self.storage_failed.set(true);
                return self.fail(format!("storing an OMEMO message: {e}"));
            }
        };
        for item in inserted {
            if let Inserted::New(record) = item {
                self.emit(Event::MessageAdded {
                    account: self.jid.clone(),
                    message: record,
                    request: None,
                });
            }
        }
        if decrypted.new_session && !outgoing {
            self.omemo
                .owed
                .insert((ns, sender.clone()), Instant::now() + KEY_TRANSPORT_DELAY);
        }
        // The receipt goes out as soon as the message is stored: replacing
        // a used prekey means publishing the bundle, which can take seconds
        // (over Tor), and the sender waits for "delivered" meanwhile.
        let incoming = new.is_some_and(|n| n.direction == Direction::Incoming);
        if message.route == Route::Direct {
            self.omemo_receipt(message, incoming);
        } else if incoming && let Some(key) = message.origin_id.as_ref().or(message.id.as_ref()) {
            if self.omemo.read_elsewhere.len() == READ_ELSEWHERE {
                self.omemo.read_elsewhere.pop_front();
            }
            self.omemo
                .read_elsewhere
                .push_back((message.from.to_bare().to_string(), key.clone()));
        }
        if decrypted.consumed_prekey.is_some() {
            self.omemo_prekey_used();
        }
    }

    /// A device we had a session with started a new one under another
    /// identity key: a new identity, never trusted by default (not even
    /// blindly), and told with a warning the user sees.
    fn omemo_identity_changed(
        &mut self,
        sender: &DeviceAddress,
        ns: Namespace,
        identity: &sotto_omemo::IdentityKey,
    ) {
        tracing::warn!(
            device = sender.device_id,
            "an OMEMO device changed its identity key"
        );
        let Ok(key) = identity.curve25519() else {
            return;
        };
        if matches!(self.omemo.store.trust(&sender.jid, &key), Ok(None))
            && let Err(e) = self
                .omemo
                .store
                .set_trust(&sender.jid, &key, TrustLevel::Undecided)
        {
            tracing::warn!(error = %e, "could not record a changed OMEMO key as undecided");
        }
        let device = self.device_info(
            sender,
            &[ns],
            Some(identity),
            TrustLevel::Undecided,
            Some(format!(
                "device {} of {} now uses a different key than before: its owner may have \
                 reinstalled, or someone else is using its id. Verify the new fingerprint \
                 before trusting it",
                sender.device_id, sender.jid
            )),
        );
        self.emit(Event::OmemoDevice {
            account: self.jid.clone(),
            device,
        });
    }

    /// Whether `message` was read before from the archive or a carbon.
    fn omemo_read_elsewhere(&self, message: &IncomingMessage) -> bool {
        let Some(key) = message.origin_id.as_ref().or(message.id.as_ref()) else {
            return false;
        };
        let from = message.from.to_bare().to_string();
        self.omemo
            .read_elsewhere
            .iter()
            .any(|(f, k)| *f == from && k == key)
    }

    /// Acknowledges a direct incoming message if its sender asked.
    fn omemo_receipt(&self, message: &IncomingMessage, incoming: bool) {
        if message.wants_receipt
            && message.route == Route::Direct
            && incoming
            && let (Some(id), Some(session)) = (&message.id, &self.session)
        {
            session.send(sotto_xmpp::xep::message::receipt(message.from.clone(), id));
        }
    }

    fn omemo_corrupt(&mut self, message: &IncomingMessage, peer: &str, sender: &DeviceAddress) {
        self.omemo_unreadable(
            message,
            peer,
            sender.device_id,
            "message corrupted".to_owned(),
        );
    }

    /// Stores a visible note in place of a message that could not be read,
    /// and says why.
    fn omemo_unreadable(
        &mut self,
        message: &IncomingMessage,
        peer: &str,
        device_id: u32,
        reason: String,
    ) {
        self.emit(Event::OmemoUnreadable {
            account: self.jid.clone(),
            peer: peer.to_owned(),
            device_id,
            reason: reason.clone(),
        });
        let Some(own) = self.own_bare() else { return };
        let note = format!("[This OMEMO message could not be decrypted: {reason}.]");
        if let Some(mut new) = convert::new_message_with(&own, message, note, Encryption::Omemo) {
            new.sender_device = Some(device_id);
            self.store_messages(std::slice::from_ref(&new), None);
        }
    }

    /// Rebuilds a broken session with `sender` (once per stream): a new one
    /// from its bundle, announced with an empty message.
    ///
    /// Each repair fetches a bundle, which a stranger can trigger with any
    /// device id: at most [`REPAIRS_PER_JID`] per sender and
    /// [`REPAIRS_PER_STREAM`] in all per stream. The bundle is waited for
    /// without holding up anything else.
    fn omemo_repair(&mut self, ns: Namespace, sender: &DeviceAddress) {
        let for_jid = self
            .omemo
            .repaired
            .iter()
            .filter(|(_, a)| a.jid == sender.jid)
            .count();
        if self.omemo.repaired.len() >= REPAIRS_PER_STREAM || for_jid >= REPAIRS_PER_JID {
            tracing::info!("OMEMO session repair skipped: too many on this stream");
            return;
        }
        if !self.omemo.repaired.insert((ns, sender.clone())) {
            return;
        }
        self.omemo_transport_now(ns, sender.clone(), true);
    }
}
