// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! What the store keeps for group chats (XEP-0045 rooms, XEP-0402
//! bookmarks): the rooms of each account, their members, and who sent a
//! message in a room.
//!
//! Occupants currently present are runtime state of the core and are not
//! stored; members are, because OMEMO in a room encrypts to every member,
//! including those who are offline.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::Password;

/// What we know of a room's configuration (from its disco#info). `None`
/// means "not known yet", which is not the same as "no": OMEMO is offered
/// only in a room known to be members-only and non-anonymous.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoomConfig {
    /// `muc_membersonly`.
    pub members_only: Option<bool>,
    /// `muc_nonanonymous`: every occupant sees every real JID.
    pub non_anonymous: Option<bool>,
    /// `muc_persistent`.
    pub persistent: Option<bool>,
}

/// A room as the user keeps it: what a bookmark holds, plus what we learnt
/// of its configuration. Written by [`crate::RoomStore::upsert_room`].
#[derive(Clone)]
pub struct RoomSettings {
    /// Bare JID of the room; its key within an account.
    pub jid: String,
    /// The room's name as the user (or the bookmark) gives it.
    pub name: Option<String>,
    /// Our nickname in the room.
    pub nick: String,
    /// The room password. Stored only inside the encrypted database; never
    /// printed by `Debug`.
    pub password: Option<Password>,
    /// Join at start-up (XEP-0402 `autojoin`).
    pub autojoin: bool,
    /// Whether the room is in the account's bookmarks (a room can be stored
    /// without one: joined once, or its bookmark was removed elsewhere).
    pub bookmarked: bool,
    /// What we know of its configuration.
    pub config: RoomConfig,
}

impl RoomSettings {
    /// A room with only a JID and our nickname: no name, password or
    /// bookmark, not autojoined, configuration unknown.
    pub fn new(jid: impl Into<String>, nick: impl Into<String>) -> Self {
        Self {
            jid: jid.into(),
            name: None,
            nick: nick.into(),
            password: None,
            autojoin: false,
            bookmarked: false,
            config: RoomConfig::default(),
        }
    }
}

impl fmt::Debug for RoomSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The password is shown only as present or absent.
        f.debug_struct("RoomSettings")
            .field("jid", &self.jid)
            .field("name", &self.name)
            .field("nick", &self.nick)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .field("autojoin", &self.autojoin)
            .field("bookmarked", &self.bookmarked)
            .field("config", &self.config)
            .finish()
    }
}

impl PartialEq for RoomSettings {
    fn eq(&self, other: &Self) -> bool {
        self.jid == other.jid
            && self.name == other.name
            && self.nick == other.nick
            && self.password.as_ref().map(Password::expose)
                == other.password.as_ref().map(Password::expose)
            && self.autojoin == other.autojoin
            && self.bookmarked == other.bookmarked
            && self.config == other.config
    }
}

impl Eq for RoomSettings {}

/// A stored room: its settings plus the state the room itself tells us.
#[derive(Clone, PartialEq, Eq)]
pub struct RoomRecord {
    /// What [`crate::RoomStore::upsert_room`] wrote.
    pub settings: RoomSettings,
    /// The room's subject, as last seen
    /// ([`crate::RoomStore::set_room_subject`]).
    pub subject: Option<String>,
    /// The stanza-id of the newest message seen from the room's own MAM
    /// archive, from which catch-up continues without a gap
    /// ([`crate::RoomStore::set_room_archive_cursor`]).
    pub archive_cursor: Option<String>,
}

impl fmt::Debug for RoomRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The subject is user text, like a message body: not printed.
        f.debug_struct("RoomRecord")
            .field("settings", &self.settings)
            .field("subject", &self.subject.as_ref().map(|_| "<set>"))
            .field("archive_cursor", &self.archive_cursor)
            .finish()
    }
}

/// A room affiliation (XEP-0045 §5.2): long-lived, unlike a role.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Affiliation {
    /// Owner.
    Owner,
    /// Admin.
    Admin,
    /// Member.
    Member,
    /// Banned.
    Outcast,
    /// No affiliation (seen in presence of a room that reveals real JIDs).
    None,
}

/// One member of a room, keyed by real bare JID.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoomMember {
    /// The member's real bare JID.
    pub jid: String,
    /// Its affiliation.
    pub affiliation: Affiliation,
    /// The nickname it was last seen with (or registered with), if known.
    pub nick: Option<String>,
}

/// What kind of room message a message is.
///
/// A one-to-one chat message has no room part at all
/// (`NewMessage::room == None`), so there is no `Chat` variant here.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RoomMessageKind {
    /// A `groupchat` message to or from the whole room. Its stanza-id is the
    /// room's (`by` = the room JID).
    Groupchat,
    /// A private message to or from one occupant, through the room. Its
    /// stanza-id, if any, is our own server's, as for one-to-one chats.
    Private,
}

/// The room side of a message whose `peer` is a room JID: its kind and the
/// occupant concerned.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoomSender {
    /// Groupchat or private.
    pub kind: RoomMessageKind,
    /// The occupant's nickname: the sender of an incoming message, our own
    /// nickname for an outgoing groupchat message, the addressee of an
    /// outgoing private message.
    pub nick: String,
    /// The occupant's real bare JID, when the room reveals it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub real_jid: Option<String>,
    /// XEP-0421 occupant-id, when the room gives one: stable across
    /// nickname changes, so it identifies the sender better than the nick.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub occupant_id: Option<String>,
}

impl RoomSender {
    /// A groupchat sender known only by nickname.
    pub fn groupchat(nick: impl Into<String>) -> Self {
        Self {
            kind: RoomMessageKind::Groupchat,
            nick: nick.into(),
            real_jid: None,
            occupant_id: None,
        }
    }

    /// A private-message party known only by nickname.
    pub fn private(nick: impl Into<String>) -> Self {
        Self {
            kind: RoomMessageKind::Private,
            ..Self::groupchat(nick)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn room_debug_hides_password_and_subject() {
        let mut settings = RoomSettings::new("room@muc.example.org", "me");
        settings.password = Some(Password::new("RoomSecret-42".into()));
        let rec = RoomRecord {
            settings,
            subject: Some("SubjectText-17".into()),
            archive_cursor: Some("c1".into()),
        };
        for shown in [format!("{rec:?}"), format!("{rec:#?}")] {
            assert!(!shown.contains("RoomSecret"), "{shown}");
            assert!(!shown.contains("SubjectText"), "{shown}");
            assert!(shown.contains("room@muc.example.org"), "{shown}");
            assert!(shown.contains("<redacted>"), "{shown}");
        }
    }

    /// Records written before rooms existed (events, exports) still parse.
    #[test]
    fn message_json_without_room_parses() {
        let json = serde_json::json!({
            "id": 1, "account": "a@example.org", "peer": "b@example.org",
            "direction": "incoming", "body": "hi", "timestamp_ms": 1,
            "message_id": null, "origin_id": null, "stanza_id": null,
            "state": "received", "encryption": "plain"
        });
        let rec: crate::MessageRecord = serde_json::from_value(json.clone()).unwrap();
        assert_eq!(rec.room, None);
        assert_eq!(
            serde_json::to_value(&rec).unwrap(),
            json,
            "and write back the same"
        );
    }

    #[test]
    fn sender_json_is_compact() {
        let json = serde_json::to_value(RoomSender::groupchat("n")).unwrap();
        assert_eq!(json, serde_json::json!({"kind": "groupchat", "nick": "n"}));
    }
}
