// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! Multi-user chat rooms (XEP-0045), client side: joining, leaving and
//! changing nick, and reading what a room says about its occupants.
//! Room messages and invitations are in [`message`], owner and moderator
//! requests and self-ping (XEP-0410) in [`admin`].
//!
//! The room is only an authority about itself: everything here names the
//! room a stanza came from, and the caller drops what comes from rooms it
//! has not joined.

use xmpp_parsers::jid::{BareJid, FullJid, Jid};
use xmpp_parsers::minidom::Element;
use xmpp_parsers::presence::{Presence, Show, Type};
use xmpp_parsers::stanza_error::DefinedCondition;

pub mod admin;
pub mod message;

/// XEP-0045 join element namespace.
pub const NS_MUC: &str = "http://jabber.org/protocol/muc";
/// What rooms say about occupants and invitations.
pub const NS_MUC_USER: &str = "http://jabber.org/protocol/muc#user";
/// Moderator and admin requests.
pub const NS_MUC_ADMIN: &str = "http://jabber.org/protocol/muc#admin";
/// Owner requests (configuration, destroy).
pub const NS_MUC_OWNER: &str = "http://jabber.org/protocol/muc#owner";
/// XEP-0421 occupant ids.
pub const NS_OCCUPANT_ID: &str = "urn:xmpp:occupant-id:0";

/// An occupant's role in the room (XEP-0045 §5.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Role {
    /// May kick and grant voice.
    Moderator,
    /// May speak.
    Participant,
    /// May only read (moderated room).
    Visitor,
    /// Not in the room (leaving, kicked).
    None,
}

impl Role {
    /// The attribute value.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Moderator => "moderator",
            Self::Participant => "participant",
            Self::Visitor => "visitor",
            Self::None => "none",
        }
    }

    fn parse(value: &str) -> Option<Self> {
        Some(match value {
            "moderator" => Self::Moderator,
            "participant" => Self::Participant,
            "visitor" => Self::Visitor,
            "none" => Self::None,
            _ => return None,
        })
    }
}

/// A JID's long-lived standing in the room (XEP-0045 §5.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Affiliation {
    /// Owns the room.
    Owner,
    /// Administers it.
    Admin,
    /// A member (who may enter a members-only room, and whom OMEMO encrypts for).
    Member,
    /// Banned.
    Outcast,
    /// No affiliation.
    None,
}

impl Affiliation {
    /// The attribute value.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Owner => "owner",
            Self::Admin => "admin",
            Self::Member => "member",
            Self::Outcast => "outcast",
            Self::None => "none",
        }
    }

    pub(crate) fn parse(value: &str) -> Option<Self> {
        Some(match value {
            "owner" => Self::Owner,
            "admin" => Self::Admin,
            "member" => Self::Member,
            "outcast" => Self::Outcast,
            "none" => Self::None,
            _ => return None,
        })
    }
}

/// A status code a room attaches to a presence or message (XEP-0045 §15.6).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Status {
    /// 100: the room shows real JIDs to every occupant.
    NonAnonymous,
    /// 110: this presence is about us.
    SelfPresence,
    /// 170: the room is archived.
    Logged,
    /// 201: we just created the room; it is locked until configured.
    Created,
    /// 210: the room changed our nick.
    NickAssigned,
    /// 301: banned.
    Banned,
    /// 303: changed nick (the new one is in the item).
    NickChanged,
    /// 307: kicked.
    Kicked,
    /// 321: removed because the affiliation changed.
    RemovedAffiliation,
    /// 322: removed because the room became members-only.
    RemovedMembersOnly,
    /// 332: removed because the service shuts down.
    RemovedShutdown,
    /// 333: removed because of a technical problem (XEP-0045 1.32).
    RemovedError,
    /// Any other code, kept for the caller to log.
    Other(u16),
}

impl Status {
    /// The status for a numeric code.
    pub const fn from_code(code: u16) -> Self {
        match code {
            100 => Self::NonAnonymous,
            110 => Self::SelfPresence,
            170 => Self::Logged,
            201 => Self::Created,
            210 => Self::NickAssigned,
            301 => Self::Banned,
            303 => Self::NickChanged,
            307 => Self::Kicked,
            321 => Self::RemovedAffiliation,
            322 => Self::RemovedMembersOnly,
            332 => Self::RemovedShutdown,
            333 => Self::RemovedError,
            other => Self::Other(other),
        }
    }
}

/// The status codes of one stanza, as a set.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StatusCodes(std::collections::BTreeSet<Status>);

impl StatusCodes {
    /// Whether `status` is among them.
    pub fn has(&self, status: Status) -> bool {
        self.0.contains(&status)
    }

    /// All of them.
    pub fn iter(&self) -> impl Iterator<Item = Status> + '_ {
        self.0.iter().copied()
    }

    /// Reads the `<status code=…/>` children of a muc#user element; codes
    /// that are not numbers are skipped (they cannot mean anything).
    pub(crate) fn of(x: &Element) -> Self {
        Self(
            x.children()
                .filter(|c| c.is("status", NS_MUC_USER))
                .filter_map(|c| c.attr("code")?.parse::<u16>().ok())
                .map(Status::from_code)
                .collect(),
        )
    }
}

/// What a room presence says about one occupant.
#[derive(Clone, Debug, PartialEq)]
pub struct RoomPresence {
    /// The room (bare JID of the sender).
    pub room: BareJid,
    /// The occupant's nick (resource of the sender).
    pub nick: String,
    /// False when the occupant left (or was removed).
    pub available: bool,
    /// `<show/>` of an available occupant.
    pub show: Option<Show>,
    /// Role.
    pub role: Role,
    /// Affiliation.
    pub affiliation: Affiliation,
    /// The occupant's real JID, when the room shows it to us.
    pub real_jid: Option<Jid>,
    /// XEP-0421 occupant id: stable across nick changes, set by the room.
    pub occupant_id: Option<String>,
    /// Status codes.
    pub status: StatusCodes,
    /// With [`Status::NickChanged`]: the nick the occupant now has.
    pub new_nick: Option<String>,
    /// Reason given for a kick, ban or removal: peer text, to be made
    /// safe (`crate::text`) before display, like a body.
    pub reason: Option<String>,
}

impl RoomPresence {
    /// Whether this presence is about us (110).
    pub fn is_self(&self) -> bool {
        self.status.has(Status::SelfPresence)
    }
}

/// A room refused to let us in (or refused a nick change).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum JoinError {
    /// Someone else has this nick (`conflict`).
    #[error("the nickname is taken")]
    NickConflict,
    /// The room has a password and ours was missing or wrong (`not-authorized`).
    #[error("the room needs a password")]
    PasswordRequired,
    /// We are banned (`forbidden`).
    #[error("banned from the room")]
    Banned,
    /// Members only and we are not one (`registration-required`).
    #[error("the room is for members only")]
    MembersOnly,
    /// The room is full (`service-unavailable`).
    #[error("the room is full")]
    Full,
    /// The service does not let us create the room (`not-allowed`).
    #[error("room creation is not allowed")]
    CreationRefused,
    /// The nick is locked down or does not pass the room's rules (`not-acceptable`).
    #[error("the nickname is not acceptable")]
    NickNotAcceptable,
    /// Anything else.
    #[error("refused: {0}")]
    Other(String),
}

/// An error presence from a room, or from a nick in it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RoomError {
    /// The room.
    pub room: BareJid,
    /// The nick the error is about (absent when the room itself answered).
    pub nick: Option<String>,
    /// What went wrong.
    pub error: JoinError,
}

/// How much history the room should send when we join.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JoinHistory {
    /// The room's default.
    RoomDefault,
    /// None: `<history maxstanzas='0'/>`, for rooms whose archive we read instead.
    None,
    /// At most this many messages.
    MaxStanzas(u32),
}

/// The presence that joins `room` as `nick` (XEP-0045 §7.2). The password
/// travels inside the stanza only; this function never logs.
pub fn join(
    room: &BareJid,
    nick: &str,
    password: Option<&str>,
    history: JoinHistory,
) -> Result<Presence, xmpp_parsers::jid::Error> {
    let to = room.with_resource_str(nick)?;
    let mut x = Element::builder("x", NS_MUC);
    if let Some(password) = password {
        x = x.append(
            Element::builder("password", NS_MUC)
                .append(password.to_owned())
                .build(),
        );
    }
    let maxstanzas = match history {
        JoinHistory::RoomDefault => None,
        JoinHistory::None => Some(0),
        JoinHistory::MaxStanzas(n) => Some(n),
    };
    if let Some(n) = maxstanzas {
        x = x.append(
            Element::builder("history", NS_MUC)
                .attr(
                    xmpp_parsers::minidom::rxml::xml_ncname!("maxstanzas").into(),
                    n.to_string(),
                )
                .build(),
        );
    }
    Ok(Presence::new(Type::None)
        .with_to(Jid::from(to))
        .with_payloads(vec![x.build(), super::disco::caps().into()]))
}

/// The presence that leaves `room` (XEP-0045 §7.14).
pub fn leave(occupant: FullJid, status: Option<&str>) -> Presence {
    let mut presence = Presence::new(Type::Unavailable).with_to(Jid::from(occupant));
    if let Some(status) = status {
        presence.set_status(String::new(), status.to_owned());
    }
    presence
}

/// The presence that changes our nick in `room` (XEP-0045 §7.6).
pub fn change_nick(room: &BareJid, new_nick: &str) -> Result<Presence, xmpp_parsers::jid::Error> {
    Ok(Presence::new(Type::None).with_to(Jid::from(room.with_resource_str(new_nick)?)))
}

/// The muc#user element of a stanza's payloads.
pub(crate) fn muc_user(payloads: &[Element]) -> Option<&Element> {
    payloads.iter().find(|p| p.is("x", NS_MUC_USER))
}

/// The XEP-0421 occupant id among payloads.
pub(crate) fn occupant_id(payloads: &[Element]) -> Option<String> {
    payloads
        .iter()
        .find(|p| p.is("occupant-id", NS_OCCUPANT_ID))
        .and_then(|p| p.attr("id"))
        .map(str::to_owned)
}

/// Why a room presence was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum BadRoomPresence {
    /// A muc#user presence from a bare JID or no JID: not an occupant.
    #[error("room presence without an occupant nick")]
    NoOccupant,
    /// The item is missing or its role/affiliation unknown.
    #[error("room presence with a malformed item")]
    MalformedItem,
}

/// Reads a presence that carries a muc#user element; `None` for any other
/// presence (a contact's, which [`super::presence::interpret`] handles).
pub fn room_presence(presence: &Presence) -> Option<Result<RoomPresence, BadRoomPresence>> {
    if presence.type_ == Type::Error {
        return None;
    }
    let x = muc_user(&presence.payloads)?;
    Some(read_room_presence(presence, x))
}

fn read_room_presence(presence: &Presence, x: &Element) -> Result<RoomPresence, BadRoomPresence> {
    let from = presence.from.as_ref().ok_or(BadRoomPresence::NoOccupant)?;
    let nick = from.resource().ok_or(BadRoomPresence::NoOccupant)?;
    let item = x
        .get_child("item", NS_MUC_USER)
        .ok_or(BadRoomPresence::MalformedItem)?;
    let role = item
        .attr("role")
        .and_then(Role::parse)
        .ok_or(BadRoomPresence::MalformedItem)?;
    let affiliation = item
        .attr("affiliation")
        .and_then(Affiliation::parse)
        .ok_or(BadRoomPresence::MalformedItem)?;
    let real_jid = match item.attr("jid") {
        Some(jid) => Some(jid.parse().map_err(|_| BadRoomPresence::MalformedItem)?),
        None => None,
    };
    let status = StatusCodes::of(x);
    let new_nick = match status.has(Status::NickChanged) {
        true => item.attr("nick").map(str::to_owned),
        false => None,
    };
    Ok(RoomPresence {
        room: from.to_bare(),
        nick: nick.as_str().to_owned(),
        available: presence.type_ == Type::None,
        show: presence.show.clone(),
        role,
        affiliation,
        real_jid,
        occupant_id: occupant_id(&presence.payloads),
        status,
        new_nick,
        reason: item.get_child("reason", NS_MUC_USER).map(|r| r.text()),
    })
}

/// Reads an error presence as a room's refusal. Every error presence is
/// read this way (a contact's server answering a presence with an error is
/// rare and harmless): the caller keeps only errors from rooms it is
/// joining.
pub fn room_error(presence: &Presence) -> Option<RoomError> {
    if presence.type_ != Type::Error {
        return None;
    }
    let from = presence.from.as_ref()?;
    let error = presence
        .payloads
        .iter()
        .find(|p| p.name() == "error")
        .and_then(|e| xmpp_parsers::stanza_error::StanzaError::try_from(e.clone()).ok())?;
    Some(RoomError {
        room: from.to_bare(),
        nick: from.resource().map(|r| r.as_str().to_owned()),
        error: join_error(&error.defined_condition),
    })
}

fn join_error(condition: &DefinedCondition) -> JoinError {
    match condition {
        DefinedCondition::Conflict => JoinError::NickConflict,
        DefinedCondition::NotAuthorized => JoinError::PasswordRequired,
        DefinedCondition::Forbidden => JoinError::Banned,
        DefinedCondition::RegistrationRequired => JoinError::MembersOnly,
        DefinedCondition::ServiceUnavailable => JoinError::Full,
        DefinedCondition::NotAllowed => JoinError::CreationRefused,
        DefinedCondition::NotAcceptable | DefinedCondition::JidMalformed => {
            JoinError::NickNotAcceptable
        }
        other => JoinError::Other(crate::error::condition_name(other)),
    }
}

#[cfg(test)]
mod tests;
