// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! Group chats (XEP-0045): the rooms the account keeps, joined again on
//! every fresh stream; who is in them; and their messages in and out.
//!
//! A room is kept in the store (`RoomStore`) from the moment the user joins
//! it until they leave it; [`Rooms`] holds what only lives as long as a
//! stream: whether the room has let us in, and its occupants. Our own
//! messages go through the outbox like any other ([`Account::room_encode`]
//! is their encoding step) and count as delivered once the room echoes
//! them back, matched by the origin-id we chose
//! (`MessageStore::find_outgoing_in_room`), never by nickname or body.
//!
//! Rooms are plaintext for now: OMEMO in rooms is a later step of issue
//! 14. An encrypted room message is kept as a visible note, never dropped.

use std::collections::{BTreeMap, HashMap};

use sotto_store::{
    Direction, Encryption, MessageRecord, MessageState, NewMessage, Password, RoomMessageKind,
    RoomSender, RoomSettings,
};
use sotto_xmpp::BareJid;
use sotto_xmpp::xep::muc::message::RoomMessage;
use sotto_xmpp::xep::muc::{self, JoinError, JoinHistory, RoomPresence, Status};

mod bookmarks;

use super::Account;
use super::outbox::{Encoded, wire_id};
use super::pending::{Done, Reply};
use crate::api::{Event, RoomOccupant};
use crate::convert;

/// What a room is to this stream.
#[derive(Debug, Default)]
pub(crate) struct Room {
    /// The room has sent our own presence back: we are in.
    joined: bool,
    /// Our nickname there (the room may change it).
    nick: String,
    /// Who is there, by nickname.
    occupants: BTreeMap<String, RoomPresence>,
    /// The user asked to join: once in, the room is bookmarked for our
    /// other clients (not before: a refused join is not bookmarked).
    bookmark_when_in: bool,
}

/// The rooms the account is in or joining, by bare JID.
#[derive(Debug, Default)]
pub(crate) struct Rooms {
    rooms: HashMap<String, Room>,
    /// Our bookmarks as last read or pushed, by room (what other clients
    /// put in them is published back untouched).
    bookmarks: HashMap<String, sotto_xmpp::xep::bookmarks::Bookmark>,
    /// What we published lately: its notification is our own echo, which
    /// may arrive after a newer decision of ours and must not undo it.
    echoes: Vec<(std::time::Instant, sotto_xmpp::xep::bookmarks::Bookmark)>,
}

impl Rooms {
    /// Whether `room` has let us in on this stream.
    pub(crate) fn joined(&self, room: &str) -> bool {
        self.rooms.get(room).is_some_and(|r| r.joined)
    }

    /// Whether `jid` is a room the account is in or joining.
    pub(crate) fn is_room(&self, jid: &str) -> bool {
        self.rooms.contains_key(jid)
    }

    /// A new stream: no room has let us in on it yet.
    fn stream_lost(&mut self) {
        for room in self.rooms.values_mut() {
            room.joined = false;
            room.occupants.clear();
        }
    }
}

fn occupant(presence: &RoomPresence, own_nick: &str) -> RoomOccupant {
    RoomOccupant {
        nick: presence.nick.clone(),
        role: presence.role.as_str().to_owned(),
        affiliation: presence.affiliation.as_str().to_owned(),
        jid: presence.real_jid.as_ref().map(|j| j.to_bare().to_string()),
        is_self: presence.is_self() || presence.nick == own_nick,
    }
}

/// Why we are out of a room, in plain words, from our last presence there.
fn removal_reason(presence: &RoomPresence) -> String {
    let said = presence
        .reason
        .as_deref()
        .map(|r| format!(" ({})", sotto_xmpp::text::untrusted_text(r)))
        .unwrap_or_default();
    let why = if presence.status.has(Status::Banned) {
        "you were banned from the room"
    } else if presence.status.has(Status::Kicked) {
        "you were removed from the room"
    } else if presence.status.has(Status::RemovedAffiliation) {
        "you are no longer allowed in the room"
    } else if presence.status.has(Status::RemovedMembersOnly) {
        "the room is now for members only"
    } else if presence.status.has(Status::RemovedShutdown) {
        "the chat service is shutting down"
    } else {
        "the room closed or let you go"
    };
    format!("{why}{said}")
}

/// A room's refusal, in words a person can act on.
fn join_error_words(error: &JoinError, nick: &str) -> String {
    match error {
        JoinError::NickConflict => format!(
            "someone in the room already uses the nickname \u{201c}{nick}\u{201d}: join again with another one"
        ),
        JoinError::PasswordRequired => {
            "the room needs a password, and none or a wrong one was given".to_owned()
        }
        JoinError::Banned => "you are banned from this room".to_owned(),
        JoinError::MembersOnly => {
            "the room is for members only: ask its owner to add you".to_owned()
        }
        JoinError::Full => "the room is full".to_owned(),
        JoinError::CreationRefused => {
            "the room does not exist, and this service does not let you create it".to_owned()
        }
        JoinError::NickNotAcceptable => {
            format!("the room does not accept the nickname \u{201c}{nick}\u{201d}")
        }
        JoinError::Other(condition) => format!("the room refused ({condition})"),
        other => format!("the room refused: {other}"),
    }
}

impl Account {
    /// `JoinRoom`: kept in the store (joined again on every new stream
    /// until left), and joined now when online.
    pub(crate) fn join_room(
        &mut self,
        room: &str,
        nick: Option<String>,
        password: Option<String>,
    ) -> Result<(), String> {
        let jid =
            convert::parse_contact_jid(room).map_err(|e| format!("not a room address: {e}"))?;
        let nick = match nick.map(|n| n.trim().to_owned()) {
            Some(nick) if !nick.is_empty() => nick,
            Some(_) => return Err("the nickname is empty".into()),
            None => self.default_nick(),
        };
        let key = jid.to_string();
        let mut settings = match self.store.room(&self.jid, &key) {
            Ok(Some(record)) => record.settings,
            Ok(None) => RoomSettings::new(key.clone(), nick.clone()),
            Err(e) => return Err(format!("reading the room: {e}")),
        };
        settings.nick = nick.clone();
        settings.autojoin = true;
        if password.is_some() {
            settings.password = password.map(Password::new);
        }
        self.store
            .upsert_room(&self.jid, &settings)
            .map_err(|e| format!("saving the room: {e}"))?;
        self.enter_room(&settings);
        if let Some(room) = self.rooms.rooms.get_mut(&settings.jid) {
            room.bookmark_when_in = true;
        }
        Ok(())
    }

    /// Our nickname where none was chosen: the account's user name.
    pub(crate) fn default_nick(&self) -> String {
        self.own_bare()
            .and_then(|b| b.node().map(|n| n.to_string()))
            .unwrap_or_else(|| "me".into())
    }

    /// Starts joining a kept room (now when online, else on the next
    /// stream).
    pub(crate) fn enter_room(&mut self, settings: &RoomSettings) {
        let Ok(jid) = convert::parse_contact_jid(&settings.jid) else {
            return;
        };
        let entry = self.rooms.rooms.entry(settings.jid.clone()).or_default();
        entry.nick = settings.nick.clone();
        entry.joined = false;
        entry.bookmark_when_in = false;
        entry.occupants.clear();
        self.send_join(&jid, settings);
    }

    /// Leaves the room on the stream (when in it) and forgets its
    /// occupants.
    pub(crate) fn send_leave(&mut self, key: &str) {
        let Some(left) = self.rooms.rooms.remove(key) else {
            return;
        };
        if let (Some(session), true, Ok(jid)) =
            (&self.session, self.online, convert::parse_contact_jid(key))
            && let Ok(occupant) = jid.with_resource_str(&left.nick)
        {
            session.send_presence(muc::leave(occupant, None));
        }
    }

    fn send_join(&self, room: &BareJid, settings: &RoomSettings) {
        let (Some(session), true) = (&self.session, self.online) else {
            return;
        };
        let password = settings.password.as_ref().map(Password::expose);
        match muc::join(room, &settings.nick, password, JoinHistory::RoomDefault) {
            Ok(presence) => session.send_presence(presence),
            Err(e) => self.emit(Event::RoomError {
                account: self.jid.clone(),
                room: room.to_string(),
                reason: format!("the nickname cannot be used in an address: {e}"),
                nickname_taken: false,
            }),
        }
    }

    /// The rooms kept joined, from the store, as the account starts: a
    /// message to one of them is queued for it (not refused, and never
    /// sent as a chat message to its address) until the room lets us in.
    pub(crate) fn load_kept_rooms(&mut self) {
        for settings in self.kept_rooms() {
            let entry = self.rooms.rooms.entry(settings.jid.clone()).or_default();
            entry.nick = settings.nick;
        }
    }

    fn kept_rooms(&self) -> Vec<RoomSettings> {
        match self.store.rooms(&self.jid) {
            Ok(kept) => kept
                .into_iter()
                .map(|r| r.settings)
                .filter(|s| s.autojoin)
                .collect(),
            Err(e) => {
                self.fail(format!("reading the rooms: {e}"));
                Vec::new()
            }
        }
    }

    /// After our initial presence on a fresh stream: every kept room is
    /// joined again.
    pub(crate) fn rejoin_rooms(&mut self) {
        self.rooms.stream_lost();
        for settings in self.kept_rooms() {
            self.enter_room(&settings);
        }
    }

    /// `LeaveRoom`: out of the room, and not joined again; its history
    /// stays.
    pub(crate) fn leave_room(&mut self, room: &str) -> Result<(), String> {
        let jid =
            convert::parse_contact_jid(room).map_err(|e| format!("not a room address: {e}"))?;
        let key = jid.to_string();
        if let Ok(Some(mut record)) = self.store.room(&self.jid, &key) {
            record.settings.autojoin = false;
            self.store
                .upsert_room(&self.jid, &record.settings)
                .map_err(|e| format!("saving the room: {e}"))?;
            if record.settings.bookmarked {
                self.publish_bookmark(&record.settings);
            }
        }
        self.leave_kept_room(&key, "you left the room");
        Ok(())
    }

    /// `SendRoomMessage`: stored as queued, sent once the room has let us
    /// in.
    pub(crate) fn queue_room_message(&mut self, room: &str, body: String) -> Result<(), String> {
        let jid =
            convert::parse_contact_jid(room).map_err(|e| format!("not a room address: {e}"))?;
        let key = jid.to_string();
        let Some(nick) = self.rooms.rooms.get(&key).map(|r| r.nick.clone()) else {
            return Err(format!("not in the room {key}: join it first"));
        };
        if let Some(used) = self.sticky_encryption(&key, None)
            && used != Encryption::Plain
        {
            // Someone in the room writes encrypted: a plaintext answer
            // would lower the conversation's protection. Not sent, told.
            return Err(format!(
                "this group chat has carried {} messages, and Sotto cannot encrypt group \
                 messages yet: nothing was sent",
                match used {
                    Encryption::Otr => "OTR",
                    _ => "OMEMO",
                }
            ));
        }
        let id = uuid::Uuid::new_v4().to_string();
        let new = NewMessage {
            peer: key,
            direction: Direction::Outgoing,
            body,
            timestamp_ms: sotto_xmpp::xep::message::received_now_ms(),
            message_id: Some(id.clone()),
            origin_id: Some(id),
            stanza_id: None,
            state: MessageState::Queued,
            encryption: Encryption::Plain,
            sender_device: None,
            room: Some(RoomSender::groupchat(nick)),
        };
        self.queue_new(&new)
    }

    /// The outbox's encoding step for a room message: it waits until the
    /// room has let us in on this stream.
    pub(crate) fn room_encode(&mut self, record: &MessageRecord, sender: &RoomSender) -> Encoded {
        let room = match convert::parse_contact_jid(&record.peer) {
            Ok(room)
                if sender.kind == RoomMessageKind::Groupchat
                    && record.encryption == Encryption::Plain =>
            {
                room
            }
            _ => {
                // Private and encrypted room messages are not written by
                // this version: refused rather than sent otherwise.
                self.set_state(record.id, &record.peer, MessageState::Failed);
                return Encoded::Handled;
            }
        };
        if !self.rooms.joined(&record.peer) {
            return Encoded::Waiting;
        }
        Encoded::Stanza(Box::new(muc::message::groupchat(
            &room,
            &wire_id(record),
            &record.body,
        )))
    }

    /// A presence from a room we are in or joining.
    pub(crate) fn on_room_presence(&mut self, presence: RoomPresence) {
        let key = presence.room.to_string();
        if !self.rooms.rooms.contains_key(&key) {
            return;
        }
        let is_self = presence.is_self();
        let created = is_self && presence.available && presence.status.has(Status::Created);
        if created {
            // A room we just created is locked until configured: it is
            // opened with the service's defaults, and only then are we in
            // (others cannot join a locked room).
            if let Some(session) = &self.session {
                let (session, jid) = (session.handle(), presence.room.clone());
                self.pending.start(async move {
                    Reply::Done {
                        result: session.create_instant_room(&jid).await,
                        what: Done::RoomCreated(jid),
                        request: None,
                    }
                });
            }
        }
        let room = match self.rooms.rooms.get_mut(&key) {
            Some(room) => room,
            None => return,
        };
        if !presence.available {
            if presence.status.has(Status::NickChanged) {
                let renamed = presence.new_nick.clone().unwrap_or_default();
                if let Some(mut old) = room.occupants.remove(&presence.nick) {
                    old.nick = renamed.clone();
                    room.occupants.insert(renamed.clone(), old);
                }
                if is_self {
                    room.nick = renamed;
                }
                return;
            }
            if is_self {
                let reason = removal_reason(&presence);
                self.rooms.rooms.remove(&key);
                let shut_out = presence.status.has(Status::Banned)
                    || presence.status.has(Status::RemovedAffiliation);
                if shut_out && let Ok(Some(mut record)) = self.store.room(&self.jid, &key) {
                    record.settings.autojoin = false;
                    if let Err(e) = self.store.upsert_room(&self.jid, &record.settings) {
                        tracing::warn!(error = %e, "could not store a room");
                    }
                    if record.settings.bookmarked {
                        self.publish_bookmark(&record.settings);
                    }
                }
                return self.emit(Event::RoomLeft {
                    account: self.jid.clone(),
                    room: key,
                    reason,
                });
            }
            room.occupants.remove(&presence.nick);
            let gone = occupant(&presence, &room.nick);
            return self.emit(Event::RoomOccupantChanged {
                account: self.jid.clone(),
                room: key,
                occupant: gone,
                present: false,
            });
        }
        if is_self {
            room.nick = presence.nick.clone();
        }
        let changed = occupant(&presence, &room.nick);
        room.occupants.insert(presence.nick.clone(), presence);
        if is_self && !room.joined {
            if !created {
                self.room_entered(&key);
            }
            return;
        }
        if room.joined {
            self.emit(Event::RoomOccupantChanged {
                account: self.jid.clone(),
                room: key,
                occupant: changed,
                present: true,
            });
        }
    }

    /// The room has let us in: told with who is there; our messages to it
    /// go out.
    fn room_entered(&mut self, key: &str) {
        let Some(room) = self.rooms.rooms.get_mut(key) else {
            return;
        };
        room.joined = true;
        let bookmark = std::mem::take(&mut room.bookmark_when_in);
        let occupants = room
            .occupants
            .values()
            .map(|p| occupant(p, &room.nick))
            .collect();
        let nick = room.nick.clone();
        if let Ok(Some(mut record)) = self.store.room(&self.jid, key) {
            if record.settings.nick != nick {
                record.settings.nick = nick.clone();
                if let Err(e) = self.store.upsert_room(&self.jid, &record.settings) {
                    tracing::warn!(error = %e, "could not store the room's nickname");
                }
            }
            if bookmark {
                self.publish_bookmark(&record.settings);
            }
        }
        self.emit(Event::RoomJoined {
            account: self.jid.clone(),
            room: key.to_owned(),
            nick,
            occupants,
        });
        self.flush_outbox();
    }

    /// A room we created was opened to others (or could not be).
    pub(crate) fn room_created(&mut self, room: &BareJid, result: Result<(), String>) {
        let key = room.to_string();
        match result {
            Ok(()) => self.room_entered(&key),
            Err(e) => {
                self.rooms.rooms.remove(&key);
                self.emit(Event::RoomError {
                    account: self.jid.clone(),
                    room: key,
                    reason: format!("the new room could not be opened to others: {e}"),
                    nickname_taken: false,
                });
            }
        }
    }

    /// A room refused us: told in plain words; nothing is retried, and the
    /// room is not joined again on this run until the user asks.
    pub(crate) fn on_room_error(&mut self, error: muc::RoomError) {
        let key = error.room.to_string();
        let Some(room) = self.rooms.rooms.get(&key) else {
            return;
        };
        if room.joined && error.nick.is_none() {
            // An error about something else we sent the room (a message
            // it refused): the room stays.
            tracing::info!(room = %key, "a room refused a stanza");
            return;
        }
        let nick = room.nick.clone();
        self.rooms.rooms.remove(&key);
        self.emit(Event::RoomError {
            account: self.jid.clone(),
            reason: join_error_words(&error.error, &nick),
            nickname_taken: error.error == JoinError::NickConflict,
            room: key,
        });
    }

    /// A message in a room we are in: our own echoed back confirms ours;
    /// anyone else's is stored with its sender.
    pub(crate) fn on_room_message(&mut self, message: RoomMessage) {
        let key = message.room.to_string();
        let Some(own_nick) = self.rooms.rooms.get(&key).map(|r| r.nick.clone()) else {
            return;
        };
        if let Some(subject) = &message.subject {
            let subject = (!subject.is_empty()).then(|| subject.clone());
            if let Err(e) = self
                .store
                .set_room_subject(&self.jid, &key, subject.as_deref())
            {
                tracing::warn!(error = %e, "could not store a room subject");
            }
            self.emit(Event::RoomSubject {
                account: self.jid.clone(),
                room: key.clone(),
                subject,
            });
        }
        let Some(nick) = message.nick.clone() else {
            // The room itself speaking (configuration notices).
            return;
        };
        if let Some(id) = message.origin_id.as_ref().or(message.id.as_ref())
            && nick == own_nick
        {
            match self.store.find_outgoing_in_room(&self.jid, &key, id) {
                Ok(Some(ours)) => {
                    // The echo can overtake the server's ack: stop tracking
                    // so a late ack does not step the state back.
                    self.in_flight.remove(&ours.id);
                    if ours.state != MessageState::Delivered {
                        self.set_state(ours.id, &key, MessageState::Delivered);
                    }
                    return;
                }
                Ok(None) => {}
                Err(e) => return self.fail(format!("reading a room message: {e}")),
            }
        }
        let (body, encryption) = match (&message.body, message.encrypted.is_empty()) {
            (_, false) => (
                "[An OMEMO-encrypted group message: this version of Sotto cannot read encrypted group chats yet.]".to_owned(),
                Encryption::Omemo,
            ),
            (Some(body), true) => (body.clone(), Encryption::Plain),
            (None, true) => return,
        };
        let real_jid = self
            .rooms
            .rooms
            .get(&key)
            .and_then(|r| r.occupants.get(&nick))
            .and_then(|p| p.real_jid.as_ref())
            .map(|j| j.to_bare().to_string());
        let ours = nick == own_nick;
        let new = NewMessage {
            peer: key,
            direction: if ours {
                Direction::Outgoing
            } else {
                Direction::Incoming
            },
            body,
            timestamp_ms: message
                .sent_at_ms
                .unwrap_or_else(sotto_xmpp::xep::message::received_now_ms),
            message_id: message.id.clone(),
            origin_id: message.origin_id.clone(),
            stanza_id: message.stanza_id.clone(),
            state: if ours {
                MessageState::Delivered
            } else {
                MessageState::Received
            },
            encryption,
            sender_device: None,
            room: Some(RoomSender {
                kind: RoomMessageKind::Groupchat,
                nick,
                real_jid,
                occupant_id: message.occupant_id.clone(),
            }),
        };
        self.store_messages(std::slice::from_ref(&new), None);
    }
}
