// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! Commands a front end sends to one account, and the outbox.

use sotto_store::{Direction, Encryption, MessageRecord, MessageState, NewMessage, Password};
use sotto_xmpp::xep::{message, presence};
use sotto_xmpp::{IqError, Jid};
use xmpp_parsers::presence::Type as PresenceType;

use super::Account;
use super::omemo::Lookup;
use super::pending::{Done, Reply};
use crate::api::{Availability, Command, Event, MissingFeature, Request};
use crate::convert;

fn now_ms() -> i64 {
    message::received_now_ms()
}

impl Account {
    /// Handles a command routed to this account; its first answering
    /// event (or `command_failed`) carries the request id back.
    pub(crate) async fn on_command(&mut self, request: Request) {
        let Request { request, command } = request;
        if let Some(peer) = self.waits_for_devices(&command) {
            let parked = Request { request, command };
            self.parked.entry(peer).or_default().push_back(parked);
            return;
        }
        self.answering.set(request);
        self.run_command(command).await;
        self.answering.set(None);
    }

    async fn run_command(&mut self, command: Command) {
        match command {
            Command::SendMessage {
                to,
                body,
                encryption,
                ..
            } => self.send_message(&to, body, encryption).await,
            Command::SendFile {
                to,
                path,
                id,
                encryption,
                ..
            } => self.send_file(&to, &path, id, encryption).await,
            Command::CancelTransfer { id, .. } => self.cancel_transfer(&id),
            Command::SaveFile {
                peer,
                url,
                path,
                id,
                ..
            } => self.save_file(&peer, &url, &path, id),
            Command::OtrStart { jid, .. } => self.otr_start(&jid).await,
            Command::OtrEnd { jid, .. } => self.otr_end(&jid),
            Command::OtrSmp {
                jid,
                secret,
                question,
                ..
            } => self.otr_smp(&jid, secret.expose(), question.as_deref(), false),
            Command::OtrSmpRespond { jid, secret, .. } => {
                self.otr_smp(&jid, secret.expose(), None, true)
            }
            Command::OtrSmpAbort { jid, .. } => self.otr_smp_abort(&jid),
            Command::GetOtrFingerprints { .. } => self.otr_fingerprints().await,
            Command::SetOtrTrust {
                contact,
                fingerprint,
                verified,
                ..
            } => self.otr_set_trust(&contact, &fingerprint, verified),
            Command::ImportOtr { dir, .. } => self.otr_import(&dir),
            Command::GetOmemoFingerprints { jid, .. } => self.omemo_ask_fingerprints(jid),
            Command::SetOmemoTrust {
                jid,
                fingerprint,
                trust,
                ..
            } => self.omemo_set_trust(&jid, &fingerprint, trust),
            Command::VerifyOmemoUri { uri, .. } => self.omemo_ask_verify_uri(uri),
            Command::RetryMessage { id, encryption, .. } => self.retry_message(id, encryption),
            Command::JoinRoom {
                room,
                nick,
                password,
                ..
            } => {
                let password = password.map(|p| p.expose().to_owned());
                if let Err(e) = self.join_room(&room, nick, password) {
                    self.fail(e);
                }
            }
            Command::LeaveRoom { room, .. } => {
                if let Err(e) = self.leave_room(&room) {
                    self.fail(e);
                }
            }
            Command::SendRoomMessage { room, body, .. } => {
                if let Err(e) = self.queue_room_message(&room, body) {
                    self.fail(e);
                }
            }
            Command::SendChatState { to, state, .. } => {
                let (Ok(to), Some(session)) = (convert::parse_contact_jid(&to), &self.session)
                else {
                    return;
                };
                if self.online {
                    session.send(message::chat_state(
                        Jid::from(to),
                        convert::chat_state_out(state),
                    ));
                }
            }
            Command::SetPresence {
                availability,
                status,
                ..
            } => {
                self.presence = (availability, status.clone());
                if let Some(session) = &self.session {
                    let unavailable = availability == Availability::Unavailable;
                    session.send_presence(presence::own(
                        convert::show(availability),
                        status.as_deref(),
                        unavailable,
                    ));
                }
            }
            Command::AddContact {
                jid, name, groups, ..
            } => {
                let jid = match convert::parse_contact_jid(&jid) {
                    Ok(jid) => jid,
                    Err(reason) => return self.fail(reason),
                };
                let Some(session) = self.live() else { return };
                let session = session.handle();
                let request = self.answering.take();
                self.pending.start(async move {
                    Reply::Done {
                        request,
                        result: session.roster_set(jid.clone(), name, groups).await,
                        what: Done::AddContact(jid),
                    }
                });
            }
            Command::RemoveContact { jid, .. } => {
                let jid = match convert::parse_contact_jid(&jid) {
                    Ok(jid) => jid,
                    Err(reason) => return self.fail(reason),
                };
                let Some(session) = self.live() else { return };
                let session = session.handle();
                let request = self.answering.take();
                self.pending.start(async move {
                    Reply::Done {
                        request,
                        result: session.roster_remove(jid).await,
                        what: Done::RemoveContact,
                    }
                });
            }
            Command::RenameContact { jid, name, .. } => {
                let groups = self
                    .store
                    .roster(&self.jid)
                    .ok()
                    .and_then(|(_, items)| items.into_iter().find(|i| i.jid == jid))
                    .map(|i| i.groups)
                    .unwrap_or_default();
                let jid = match convert::parse_contact_jid(&jid) {
                    Ok(jid) => jid,
                    Err(reason) => return self.fail(reason),
                };
                let Some(session) = self.live() else { return };
                let session = session.handle();
                let request = self.answering.take();
                self.pending.start(async move {
                    Reply::Done {
                        request,
                        result: session.roster_set(jid, name, groups).await,
                        what: Done::RenameContact,
                    }
                });
            }
            Command::SetBlocked { jid, blocked, .. } => {
                let jid = match convert::parse_contact_jid(&jid) {
                    Ok(jid) => jid,
                    Err(reason) => return self.fail(reason),
                };
                if !self.server_has(|f| f.blocking) {
                    return self.fail(MissingFeature::Blocking.explain());
                }
                let Some(session) = self.live() else { return };
                let session = session.handle();
                let request = self.answering.take();
                // The server's push to every session updates the list.
                self.pending.start(async move {
                    let result = if blocked {
                        session.block(jid).await
                    } else {
                        session.unblock(jid).await
                    };
                    Reply::Done {
                        request,
                        result,
                        what: Done::Block,
                    }
                });
            }
            Command::AnswerSubscription { jid, approve, .. } => {
                let jid = match convert::parse_contact_jid(&jid) {
                    Ok(jid) => jid,
                    Err(reason) => return self.fail(reason),
                };
                let Some(session) = self.live() else { return };
                if approve {
                    session.send(presence::subscription(
                        jid.clone(),
                        PresenceType::Subscribed,
                    ));
                    // Approving usually means wanting to see them too.
                    let subscribed_to_them = self
                        .store
                        .roster(&self.jid)
                        .ok()
                        .and_then(|(_, items)| items.into_iter().find(|i| i.jid == jid.to_string()))
                        .is_some_and(|i| {
                            i.ask_subscribe
                                || matches!(
                                    i.subscription,
                                    sotto_store::Subscription::To | sotto_store::Subscription::Both
                                )
                        });
                    if !subscribed_to_them {
                        session.send(presence::subscription(jid, PresenceType::Subscribe));
                    }
                } else {
                    session.send(presence::subscription(jid, PresenceType::Unsubscribed));
                }
            }
            Command::ChangePassword { new_password, .. } => {
                let Some(session) = self.live() else { return };
                let session = session.handle();
                let password = Password::new(new_password.expose().to_owned());
                let request = self.answering.take();
                self.pending.start(async move {
                    Reply::Done {
                        request,
                        result: session.change_password(new_password.expose()).await,
                        what: Done::ChangePassword(password),
                    }
                });
            }
            Command::LoadOlder {
                peer,
                before,
                limit,
                ..
            } => self.load_older(peer, before, limit),
            _ => self.fail("this command is not handled by accounts"),
        }
    }

    /// A command's request answered.
    pub(crate) fn command_answered(&mut self, what: Done, result: Result<(), IqError>) {
        if let Done::RoomCreated(room) = &what {
            return self.room_created(room, result.map_err(|e| e.to_string()));
        }
        if let Err(e) = result {
            return self.fail(e.to_string());
        }
        match what {
            Done::AddContact(jid) => {
                if let Some(session) = &self.session {
                    session.send(presence::subscription(jid, PresenceType::Subscribe));
                }
            }
            Done::ChangePassword(password) => {
                self.record.password = password;
                match self.store.upsert_account(&self.record) {
                    Ok(()) => self.emit(Event::PasswordChanged {
                        account: self.jid.clone(),
                        request: None,
                    }),
                    Err(e) => self.fail(format!(
                        "the server accepted the new password but saving it failed: {e}"
                    )),
                }
            }
            Done::RemoveContact
            | Done::RenameContact
            | Done::Block
            | Done::RoomCreated(_)
            | Done::Bookmark => {}
        }
    }

    /// The contact a message or file command must wait for, if it must:
    /// "Automatic" needs their device lists of this stream, and a command
    /// to a contact with commands waiting waits behind them (order kept).
    fn waits_for_devices(&mut self, command: &Command) -> Option<String> {
        let (to, encryption) = match command {
            Command::SendMessage { to, encryption, .. }
            | Command::SendFile { to, encryption, .. } => (to, encryption),
            _ => return None,
        };
        let peer = convert::parse_contact_jid(to).ok()?;
        let key = peer.to_string();
        if self.rooms.is_room(&key) {
            return None;
        }
        if self.parked.contains_key(&key) {
            return Some(key);
        }
        if encryption.is_some() || self.otr_in_use(&key) {
            return None;
        }
        match self.omemo_devices(&peer) {
            Lookup::Waiting => Some(key),
            Lookup::Ready(_) => None,
        }
    }

    /// Sends a failed or held message again, with `encryption` if the user
    /// chose one for it.
    fn retry_message(&mut self, id: i64, encryption: Option<crate::api::Encryption>) {
        let record = match self.store.message(&self.jid, id) {
            Ok(Some(record)) => record,
            Ok(None) => return self.fail(format!("there is no message {id}")),
            Err(e) => return self.fail(format!("reading message {id}: {e}")),
        };
        // Only a failed or waiting (queued, not on the stream) outgoing
        // message can be retried; anything else would be sent twice.
        let waiting =
            record.state == MessageState::Queued && !self.in_flight.contains_key(&record.id);
        if record.direction != Direction::Outgoing
            || !(record.state == MessageState::Failed || waiting)
        {
            return self.fail(format!("message {id} has not failed; nothing to retry"));
        }
        if let Some(choice) = encryption {
            let chosen = choice;
            if chosen == Encryption::Plain && self.otr_in_use(&record.peer) {
                return self.fail(format!(
                    "an OTR session with {} is in use; end it before sending unencrypted",
                    record.peer
                ));
            }
            if chosen != record.encryption
                && let Err(e) = self.store.set_message_encryption(&self.jid, id, chosen)
            {
                return self.fail(format!("changing message {id}'s encryption: {e}"));
            }
        }
        if record.encryption == Encryption::Otr {
            // Sending anyway is the user's decision about a new key.
            self.otr_key_confirmed(&record.peer);
        }
        self.held.remove(&id);
        if record.state != MessageState::Queued {
            self.set_state(id, &record.peer, MessageState::Queued);
        }
        self.flush_outbox();
    }

    /// Keeps a queued message from the stream, and says why (once per
    /// stream): sending it now would lower its protection.
    pub(crate) fn hold(&mut self, record: &MessageRecord, reason: String) {
        if self.held.insert(record.id) {
            tracing::info!(id = record.id, "message held");
            self.emit(Event::MessageHeld {
                account: self.jid.clone(),
                peer: record.peer.clone(),
                id: record.id,
                reason,
            });
        }
    }

    /// Puts the messages held for `peer` back in the outbox.
    pub(crate) fn release_held(&mut self, peer: &str) {
        let Ok(outbox) = self.store.outbox(&self.jid) else {
            return;
        };
        let mut released = false;
        for record in outbox {
            if record.peer == peer && self.held.remove(&record.id) {
                released = true;
            }
        }
        if released {
            self.flush_outbox();
        }
    }

    /// The session, when online; otherwise reports that the command needs it.
    pub(crate) fn live(&self) -> Option<&sotto_xmpp::Session> {
        match (&self.session, self.online) {
            (Some(session), true) => Some(session),
            _ => {
                self.fail(format!(
                    "{} is offline; try again when it is online",
                    self.jid
                ));
                None
            }
        }
    }

    async fn send_message(
        &mut self,
        to: &str,
        body: String,
        choice: Option<crate::api::Encryption>,
    ) {
        if let Err(reason) = self.queue_message(to, body, choice).await {
            self.fail(reason);
        }
    }

    /// Stores an outgoing message as queued and hands the outbox to the
    /// stream; `Err` says why it was refused (nothing stored).
    pub(crate) async fn queue_message(
        &mut self,
        to: &str,
        body: String,
        choice: Option<crate::api::Encryption>,
    ) -> Result<(), String> {
        let peer = convert::parse_contact_jid(to)?;
        if self.rooms.is_room(peer.as_str()) {
            // A room's conversation: a room message, never a chat message
            // to the room's address. Rooms are not encrypted yet, and an
            // explicit choice of encryption is refused, not ignored.
            return match choice {
                None | Some(Encryption::Plain) => self.queue_room_message(peer.as_str(), body),
                Some(_) => Err("group chats cannot be end-to-end encrypted yet: \
                    nothing was sent"
                    .into()),
            };
        }
        let encryption = self.choose_encryption(&peer, choice).await?;
        let id = uuid::Uuid::new_v4().to_string();
        let new = NewMessage {
            peer: peer.to_string(),
            direction: Direction::Outgoing,
            body,
            timestamp_ms: now_ms(),
            message_id: Some(id.clone()),
            origin_id: Some(id),
            stanza_id: None,
            state: MessageState::Queued,
            encryption,
            sender_device: None,
            room: None,
        };
        self.queue_new(&new)
    }

    /// Stores a new outgoing message as queued and hands the outbox to the
    /// stream; `Err` when it could not be stored (nothing is sent then).
    pub(crate) fn queue_new(&mut self, new: &NewMessage) -> Result<(), String> {
        if self
            .store_messages(std::slice::from_ref(new), None)
            .is_none()
        {
            return Err("the message could not be stored".into());
        }
        self.flush_outbox();
        Ok(())
    }

    /// The encryption of a message to `peer`: the user's `choice`, else
    /// what "Automatic" means now ([`Account::automatic_encryption`]).
    /// Refuses plaintext into a running OTR session.
    pub(crate) async fn choose_encryption(
        &mut self,
        peer: &sotto_xmpp::BareJid,
        choice: Option<crate::api::Encryption>,
    ) -> Result<Encryption, String> {
        let in_otr = self.otr_in_use(peer.as_str());
        let encryption = match choice {
            Some(crate::api::Encryption::Plain) if in_otr => {
                return Err(format!(
                    "an OTR session with {peer} is in use; end it before sending unencrypted"
                ));
            }
            Some(choice) => choice,
            None => self.automatic_encryption(peer)?,
        };
        if encryption == Encryption::Otr {
            self.otr_identity().await?;
        }
        Ok(encryption)
    }

    /// What "Automatic" sends with: OTR while a session is in use, else
    /// OMEMO when the contact has devices. Encryption is sticky: once a
    /// conversation used OMEMO or OTR, or the contact ever had OMEMO
    /// devices, it never becomes plaintext by itself; a device list the
    /// servers emptied holds the message instead (told as `message_held`).
    /// `Err` while the contact's device lists are being fetched (commands
    /// wait for them first, see [`Self::waits_for_devices`]).
    pub(crate) fn automatic_encryption(
        &mut self,
        peer: &sotto_xmpp::BareJid,
    ) -> Result<Encryption, String> {
        if self.otr_in_use(peer.as_str()) {
            return Ok(Encryption::Otr);
        }
        match self.omemo_devices(peer) {
            Lookup::Ready(devices) if !devices.is_empty() => return Ok(Encryption::Omemo),
            Lookup::Ready(_) => {}
            Lookup::Waiting => {
                return Err(format!(
                    "{peer}'s OMEMO devices are still being looked up; try again"
                ));
            }
        }
        Ok(self
            .sticky_encryption(peer.as_str(), None)
            .unwrap_or(Encryption::Plain))
    }

    /// The encryption a conversation is bound to, if any: the newest
    /// encrypted message's (older than the local id `before`, if given: a
    /// message never binds the conversation by itself), else OMEMO if the
    /// contact ever listed a device.
    pub(crate) fn sticky_encryption(&self, peer: &str, before: Option<i64>) -> Option<Encryption> {
        match self.store.conversation_encryption(&self.jid, peer, before) {
            Ok(Some(encryption)) => return Some(encryption),
            Ok(None) => {}
            // Unknown is treated as encrypted: never a reason to go plain.
            Err(e) => {
                tracing::warn!(error = %e, "could not read a conversation's encryption");
                return Some(Encryption::Omemo);
            }
        }
        self.omemo_ever_listed(peer).then_some(Encryption::Omemo)
    }
}
