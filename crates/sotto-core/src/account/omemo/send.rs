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
use xmpp_parsers::message::Message;

use super::now_secs;
use super::{Lookup, Query};
use crate::account::Account;
use crate::account::outbox::{Encoded, wire_id};
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
    /// Sends the empty messages owed to devices that started a session with
    /// us and got no answer.
    pub(crate) fn omemo_send_owed(&mut self) {
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
            self.omemo_transport_now(ns, address, false);
        }
    }

    /// Sends an empty message to a device now, or once its bundle is here
    /// (`repair`: it rebuilds a broken session, told when sent).
    pub(crate) fn omemo_transport_now(
        &mut self,
        ns: Namespace,
        address: DeviceAddress,
        repair: bool,
    ) {
        match self.omemo_key_transport(ns, &address) {
            Lookup::Waiting => {
                self.omemo.transports.insert((ns, address), repair);
            }
            Lookup::Ready(Ok(())) if repair => self.emit(Event::OmemoSessionRepaired {
                account: self.jid.clone(),
                jid: address.jid.clone(),
                device_id: address.device_id,
            }),
            Lookup::Ready(Ok(())) => {}
            Lookup::Ready(Err(reason)) => {
                tracing::info!(reason, repair, "could not send an OMEMO key transport")
            }
        }
    }

    /// After an answer: the OMEMO work that waited for one, again.
    pub(crate) fn omemo_resume(&mut self) {
        for ((ns, address), repair) in std::mem::take(&mut self.omemo.transports) {
            self.omemo_transport_now(ns, address, repair);
        }
        for (query, request) in std::mem::take(&mut self.omemo.queries) {
            let waiting = self.answering(request.clone(), |a| match &query {
                Query::Fingerprints(jid) => a.omemo_fingerprints(jid.as_deref(), false),
                Query::VerifyUri(uri) => a.omemo_verify_uri(uri),
            });
            if waiting {
                self.omemo.queries.push((query, request));
            }
        }
        if self.outbox_waiting {
            self.flush_outbox();
        }
    }

    fn omemo_failed(&mut self, record: &MessageRecord, reason: String) {
        self.fail(format!("sending with OMEMO to {}: {reason}", record.peer));
        self.set_state(record.id, &record.peer, MessageState::Failed);
    }

    /// The outbox's encryption step for OMEMO: `Waiting` while device
    /// lists or keys are being fetched (tried again after the answer).
    pub(crate) fn omemo_encode(&mut self, record: &MessageRecord) -> Encoded {
        if self.omemo_setting_up() {
            return Encoded::Waiting;
        }
        let (Some(own), Ok(peer)) = (self.own_bare(), convert::parse_contact_jid(&record.peer))
        else {
            self.set_state(record.id, &record.peer, MessageState::Failed);
            return Encoded::Handled;
        };
        let device = match self.omemo_device() {
            Ok(device) => device,
            Err(reason) => {
                self.omemo_failed(record, reason);
                return Encoded::Handled;
            }
        };
        // Both lists are asked for at once, then every missing bundle.
        let peer_devices = self.omemo_devices(&peer);
        let own_devices = if peer != own {
            self.omemo_devices(&own)
        } else {
            Lookup::Ready(Vec::new())
        };
        let (Lookup::Ready(peer_devices), Lookup::Ready(own_devices)) = (peer_devices, own_devices)
        else {
            return Encoded::Waiting;
        };
        let mut targets = peer_devices.clone();
        targets.extend(
            own_devices
                .into_iter()
                .filter(|(a, _)| a.device_id != device.device_id),
        );
        let mut looked_up = Vec::new();
        let mut waiting = false;
        for (address, ns) in targets {
            match self.omemo_target(ns, &address) {
                Lookup::Ready(target) => looked_up.push((address, ns, target)),
                Lookup::Waiting => waiting = true,
            }
        }
        if waiting {
            return Encoded::Waiting;
        }
        match self.omemo_encrypt(record, &own, &peer, &device, &peer_devices, looked_up) {
            Some(stanza) => Encoded::Stanza(Box::new(stanza)),
            None => Encoded::Handled,
        }
    }

    /// Encrypts for every device looked up; `None` when the message
    /// failed or is held (told either way).
    fn omemo_encrypt(
        &mut self,
        record: &MessageRecord,
        own: &sotto_xmpp::BareJid,
        peer: &sotto_xmpp::BareJid,
        device: &sotto_omemo::store::OwnDevice,
        peer_devices: &[(DeviceAddress, Namespace)],
        looked_up: Vec<(DeviceAddress, Namespace, Result<Target, String>)>,
    ) -> Option<Message> {
        let mut recipients: BTreeMap<Namespace, Vec<Recipient>> = BTreeMap::new();
        let mut reachable = 0;
        let mut distrusted = 0;
        let mut problems = Vec::new();
        for (address, ns, target) in looked_up {
            match target {
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
                self.hold(record, super::empty_list_reason(&record.peer));
                return None;
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
            self.omemo_failed(record, reason);
            return None;
        }
        let mut elements = Vec::new();
        for (ns, list) in recipients {
            let plaintext = match ns {
                Namespace::Legacy => record.body.clone(),
                Namespace::Omemo2 => sotto_xmpp::xep::sce::envelope(
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
                Err(e) => {
                    self.omemo_failed(record, e.to_string());
                    return None;
                }
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
                self.omemo_failed(record, format!("saving OMEMO sessions: {e}"));
                return None;
            }
            for (address, _) in &encrypted.sessions {
                self.omemo.owed.remove(&(ns, address.clone()));
            }
            elements.push(encrypted_out(&encrypted.message));
        }
        match wire::message(Jid::from(peer.clone()), &wire_id(record), &elements) {
            Ok(message) => Some(message),
            Err(e) => {
                self.omemo_failed(record, e.to_string());
                None
            }
        }
    }

    /// Whether and how to encrypt for one device.
    fn omemo_target(
        &mut self,
        ns: Namespace,
        address: &DeviceAddress,
    ) -> Lookup<Result<Target, String>> {
        let session = self.omemo.store.load_session(ns, address).ok().flatten();
        let (identity, bundle) = match self.omemo_identity(ns, address) {
            Lookup::Ready(Ok(found)) => found,
            Lookup::Ready(Err(problem)) => return Lookup::Ready(Err(problem)),
            Lookup::Waiting => return Lookup::Waiting,
        };
        Lookup::Ready(match self.omemo_trust(address, ns, &identity) {
            TrustLevel::Distrusted => Ok(Target::Distrusted),
            TrustLevel::Undecided => {
                Err("not trusted yet: verify its fingerprint or trust it to write to it".to_owned())
            }
            TrustLevel::Blind | TrustLevel::Verified => Ok(Target::Include(Box::new(Recipient {
                address: address.clone(),
                session,
                bundle,
            }))),
        })
    }

    /// Sends an empty message to one device: completes a session it started,
    /// or, without a session, starts a new one from its bundle (`Waiting`
    /// while that is fetched).
    fn omemo_key_transport(
        &mut self,
        ns: Namespace,
        address: &DeviceAddress,
    ) -> Lookup<Result<(), String>> {
        let session = self.omemo.store.load_session(ns, address).ok().flatten();
        let bundle = match session {
            Some(_) => None,
            None => match self.omemo_identity(ns, address) {
                Lookup::Ready(Ok((_, bundle))) => bundle,
                Lookup::Ready(Err(problem)) => return Lookup::Ready(Err(problem)),
                Lookup::Waiting => return Lookup::Waiting,
            },
        };
        Lookup::Ready(self.omemo_send_transport(ns, address, session, bundle))
    }

    fn omemo_send_transport(
        &mut self,
        ns: Namespace,
        address: &DeviceAddress,
        session: Option<sotto_omemo::Session>,
        bundle: Option<sotto_omemo::Bundle>,
    ) -> Result<(), String> {
        let device = self.omemo_device()?;
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
