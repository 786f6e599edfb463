// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! Sending with OMEMO: every trusted device of the contact and our own
//! other devices, per device in the namespace it speaks; and the empty
//! (key transport) messages that complete or rebuild sessions.

use std::collections::BTreeMap;
use std::time::Instant;

use sotto_omemo::trust::TrustLevel;
use sotto_omemo::{DeviceAddress, Namespace, Recipient};
use sotto_store::{MessageRecord, MessageState};
use sotto_xmpp::Jid;
use sotto_xmpp::xep::omemo as wire;

use super::now_secs;
use crate::account::{Account, InFlight};
use crate::api::Event;
use crate::convert;
use crate::omemo_wire::encrypted_out;

/// What one device is to an outgoing message.
enum Target {
    /// Encrypt for it (boxed: a session and a bundle are large, the other
    /// variant is empty).
    Include(Box<Recipient>),
    /// Distrusted: left out without a word (the user decided).
    Distrusted,
}

impl Account {
    /// Encrypts and sends the queued OMEMO messages, oldest first.
    pub(crate) async fn omemo_drain(&mut self) {
        while self.online {
            let Some(record) = self.omemo.outbox.pop_front() else {
                break;
            };
            if !self.in_flight.contains_key(&record.id) {
                self.omemo_hand_over(record).await;
            }
        }
    }

    /// Sends the empty messages owed to devices that started a session with
    /// us and got no answer.
    pub(crate) async fn omemo_send_owed(&mut self) {
        let now = Instant::now();
        let due: Vec<_> = self
            .omemo
            .owed
            .iter()
            .filter(|(_, at)| **at <= now)
            .map(|(k, _)| k.clone())
            .collect();
        for (ns, address) in due {
            self.omemo.owed.remove(&(ns, address.clone()));
            if let Err(reason) = self.omemo_key_transport(ns, &address).await {
                tracing::info!(reason, "could not complete an OMEMO session");
            }
        }
    }

    fn omemo_failed(&mut self, record: &MessageRecord, reason: String) {
        self.fail(format!("sending with OMEMO to {}: {reason}", record.peer));
        self.set_state(record.id, &record.peer, MessageState::Failed);
    }

    async fn omemo_hand_over(&mut self, record: MessageRecord) {
        let (Some(own), Ok(peer)) = (self.own_bare(), convert::parse_contact_jid(&record.peer))
        else {
            return self.set_state(record.id, &record.peer, MessageState::Failed);
        };
        let device = match self.omemo_device() {
            Ok(device) => device,
            Err(reason) => return self.omemo_failed(&record, reason),
        };
        let peer_devices = self.omemo_devices(&peer).await;
        let mut targets = peer_devices.clone();
        if peer != own {
            targets.extend(
                self.omemo_devices(&own)
                    .await
                    .into_iter()
                    .filter(|(a, _)| a.device_id != device.device_id),
            );
        }
        let mut recipients: BTreeMap<Namespace, Vec<Recipient>> = BTreeMap::new();
        let mut reachable = 0;
        let mut distrusted = 0;
        let mut problems = Vec::new();
        for (address, ns) in targets {
            match self.omemo_target(ns, &address).await {
                Ok(Target::Include(recipient)) => {
                    if address.jid == record.peer {
                        reachable += 1;
                    }
                    recipients.entry(ns).or_default().push(*recipient);
                }
                Ok(Target::Distrusted) => {
                    if address.jid == record.peer {
                        distrusted += 1;
                    }
                }
                Err(reason) => {
                    if address.jid == record.peer {
                        problems.push(format!("device {}: {reason}", address.device_id));
                    }
                    self.emit(Event::OmemoDeviceSkipped {
                        account: self.jid.clone(),
                        jid: address.jid.clone(),
                        device_id: address.device_id,
                        reason,
                    });
                }
            }
        }
        if reachable == 0 {
            // A conversation bound to OMEMO whose contact lists no device now
            // waits: the list is the servers' to empty.
            if peer_devices.is_empty()
                && self
                    .sticky_encryption(&record.peer, Some(record.id))
                    .is_some()
            {
                return self.hold(&record, super::empty_list_reason(&record.peer));
            }
            let reason = if peer_devices.is_empty() {
                format!(
                    "{peer} has no OMEMO device (their client may not support OMEMO; \
                     send without encryption or with OTR)"
                )
            } else if problems.is_empty() && distrusted > 0 {
                format!("you distrusted every OMEMO device of {peer}")
            } else {
                format!(
                    "no device of {peer} can be written to: {}",
                    problems.join("; ")
                )
            };
            return self.omemo_failed(&record, reason);
        }
        let mut elements = Vec::new();
        for (ns, list) in recipients {
            let plaintext = match ns {
                Namespace::Legacy => record.body.clone(),
                Namespace::Omemo2 => sotto_omemo::sce::envelope(
                    &record.body,
                    own.as_str(),
                    peer.as_str(),
                    &chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                    &mut rand::rng(),
                ),
            };
            let plaintext = zeroize::Zeroizing::new(plaintext);
            let encrypted = match sotto_omemo::encrypt(
                ns,
                &device.identity,
                device.device_id,
                list,
                Some(plaintext.as_bytes()),
                &mut rand::rng(),
            ) {
                Ok(encrypted) => encrypted,
                Err(e) => return self.omemo_failed(&record, e.to_string()),
            };
            for (address, error) in &encrypted.failures {
                self.emit(Event::OmemoDeviceSkipped {
                    account: self.jid.clone(),
                    jid: address.jid.clone(),
                    device_id: address.device_id,
                    reason: error.to_string(),
                });
            }
            // The ratchet moves before the message leaves: a crash after
            // sending must never reuse a message key.
            if let Err(e) =
                self.omemo
                    .store
                    .save_sessions_with_messages(ns, &encrypted.sessions, None, &[])
            {
                return self.omemo_failed(&record, format!("saving OMEMO sessions: {e}"));
            }
            for (address, _) in &encrypted.sessions {
                self.omemo.owed.remove(&(ns, address.clone()));
            }
            elements.push(encrypted_out(&encrypted.message));
        }
        let id = record
            .origin_id
            .clone()
            .or_else(|| record.message_id.clone())
            .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
        let message = match wire::message(Jid::from(peer), &id, &elements) {
            Ok(message) => message,
            Err(e) => return self.omemo_failed(&record, e.to_string()),
        };
        let Some(session) = &self.session else { return };
        self.generation += 1;
        session.send_tracked(message, format!("{}:{}", record.id, self.generation));
        self.in_flight.insert(
            record.id,
            InFlight {
                peer: record.peer,
                state: MessageState::Queued,
                generation: self.generation,
            },
        );
    }

    /// Whether and how to encrypt for one device.
    async fn omemo_target(
        &mut self,
        ns: Namespace,
        address: &DeviceAddress,
    ) -> Result<Target, String> {
        let session = self.omemo.store.load_session(ns, address).ok().flatten();
        let (identity, bundle) = self.omemo_identity(ns, address).await?;
        match self.omemo_trust(address, ns, &identity) {
            TrustLevel::Distrusted => Ok(Target::Distrusted),
            TrustLevel::Undecided => {
                Err("not trusted yet: verify its fingerprint or trust it to write to it".to_owned())
            }
            TrustLevel::Blind | TrustLevel::Verified => Ok(Target::Include(Box::new(Recipient {
                address: address.clone(),
                session,
                bundle,
            }))),
        }
    }

    /// Sends an empty message to one device: completes a session it started,
    /// or, without a session, starts a new one from its bundle.
    pub(crate) async fn omemo_key_transport(
        &mut self,
        ns: Namespace,
        address: &DeviceAddress,
    ) -> Result<(), String> {
        let device = self.omemo_device()?;
        let session = self.omemo.store.load_session(ns, address).ok().flatten();
        let bundle = match session {
            Some(_) => None,
            None => self.omemo_identity(ns, address).await?.1,
        };
        let recipient = Recipient {
            address: address.clone(),
            session,
            bundle,
        };
        let encrypted = sotto_omemo::encrypt(
            ns,
            &device.identity,
            device.device_id,
            vec![recipient],
            None,
            &mut rand::rng(),
        )
        .map_err(|e| e.to_string())?;
        if let Some((_, error)) = encrypted.failures.first() {
            return Err(error.to_string());
        }
        self.omemo
            .store
            .save_sessions_with_messages(ns, &encrypted.sessions, None, &[])
            .map_err(|e| format!("saving OMEMO sessions: {e}"))?;
        let to: Jid = address
            .jid
            .parse::<sotto_xmpp::BareJid>()
            .map(Jid::from)
            .map_err(|_| format!("{} is not a valid JID", address.jid))?;
        let id = uuid::Uuid::new_v4().to_string();
        let message = wire::key_transport(to, &id, &encrypted_out(&encrypted.message))
            .map_err(|e| e.to_string())?;
        match (&self.session, self.online) {
            (Some(session), true) => {
                session.send(message);
                tracing::debug!(
                    device = address.device_id,
                    at = now_secs(),
                    "sent an OMEMO key transport"
                );
                Ok(())
            }
            _ => Err("offline".to_owned()),
        }
    }
}
