// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! Room messages (`type=groupchat`), room archive results, private
//! messages through a room, and invitations (XEP-0045 §7.8, XEP-0249).

use xmpp_parsers::delay::Delay;
use xmpp_parsers::jid::{BareJid, Jid};
use xmpp_parsers::mam;
use xmpp_parsers::message::{Id, Lang, Message, MessageType};
use xmpp_parsers::minidom::Element;
use xmpp_parsers::minidom::rxml::xml_ncname;
use xmpp_parsers::stanza_id::{OriginId, StanzaId};

use super::{NS_MUC_USER, StatusCodes, muc_user, occupant_id};
use crate::xep::message::Rejected;
use crate::xep::omemo::{self, Encrypted};

/// XEP-0249 direct invitations.
pub const NS_CONFERENCE: &str = "jabber:x:conference";

/// A message in a room. Its body is user content: never log it.
#[derive(Clone, PartialEq)]
pub struct RoomMessage {
    /// The room: the caller drops messages of rooms it has not joined.
    pub room: BareJid,
    /// The sender's nick; `None` when the room itself speaks (notices,
    /// configuration changes).
    pub nick: Option<String>,
    /// The stanza's id attribute.
    pub id: Option<String>,
    /// Text, if any (absent when OMEMO-encrypted, as for 1:1 messages).
    pub body: Option<String>,
    /// A new subject (`Some("")` clears it).
    pub subject: Option<String>,
    /// XEP-0359 stanza-id assigned by the room (ids by anyone else are ignored).
    pub stanza_id: Option<String>,
    /// XEP-0359 origin-id, to recognise our own reflected messages.
    pub origin_id: Option<String>,
    /// XEP-0421 occupant id.
    pub occupant_id: Option<String>,
    /// When it was sent (delay stamp: history or archive), in ms since the epoch.
    pub sent_at_ms: Option<i64>,
    /// Status codes of a room notice (e.g. 104 configuration changed).
    pub status: StatusCodes,
    /// OMEMO elements, for the core to decrypt.
    pub encrypted: Vec<Encrypted>,
    /// It came from the room's archive (XEP-0313).
    pub archived: bool,
}

impl std::fmt::Debug for RoomMessage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RoomMessage")
            .field("room", &self.room)
            .field("id", &self.id)
            .field("stanza_id", &self.stanza_id)
            .field("has_body", &self.body.is_some())
            .field("has_subject", &self.subject.is_some())
            .field("archived", &self.archived)
            .finish_non_exhaustive()
    }
}

fn stamp_ms(delay: &Delay) -> i64 {
    delay.stamp.0.timestamp_millis()
}

/// Parses a `type=groupchat` message as the room's.
pub fn parse_groupchat(message: Message) -> Result<RoomMessage, Rejected> {
    if message.type_ != MessageType::Groupchat {
        return Err(Rejected::Malformed("room message type"));
    }
    parse_room(message, false)
}

/// Parses one result of a room's archive. `from` is who delivered the
/// result and must be `room` itself; the archived message must come from
/// the room too (an occupant of it or the room itself).
pub fn parse_room_archived(
    room: &BareJid,
    from: Option<&Jid>,
    result: mam::Result_,
) -> Result<RoomMessage, Rejected> {
    let from_room = from.is_some_and(|f| f.resource().is_none() && f.to_bare() == *room);
    if !from_room {
        return Err(Rejected::ForeignArchive(
            from.map(|j| j.to_string()).unwrap_or_default(),
        ));
    }
    let inner_from = result.forwarded.message.from.as_ref().map(Jid::to_bare);
    if inner_from.as_ref() != Some(room) {
        return Err(Rejected::ForeignArchive(
            inner_from.map(|j| j.to_string()).unwrap_or_default(),
        ));
    }
    let stamp = result.forwarded.delay.as_ref().map(stamp_ms);
    let mut parsed = parse_room(result.forwarded.message, true)?;
    // In a room's archive the result id is the room's stanza-id.
    parsed.stanza_id = Some(result.id);
    parsed.sent_at_ms = stamp.or(parsed.sent_at_ms);
    Ok(parsed)
}

fn parse_room(mut message: Message, archived: bool) -> Result<RoomMessage, Rejected> {
    let from = message.from.clone().ok_or(Rejected::NoSender)?;
    let room = from.to_bare();
    let encrypted = omemo::find_all_encrypted(&message.payloads)
        .map_err(|_| Rejected::Malformed("OMEMO element"))?;
    let body = match encrypted.is_empty() {
        false => None,
        true => message.get_best_body_cloned(vec![]).map(|(_, body)| body),
    };
    let subject = message
        .get_best_subject_cloned(vec![])
        .map(|(_, subject)| subject);
    let origin_id = message
        .extract_payload::<OriginId>()
        .map_err(|_| Rejected::Malformed("origin-id"))?
        .map(|o| o.id);
    let mut stanza_id = None;
    while let Some(sid) = message
        .extract_payload::<StanzaId>()
        .map_err(|_| Rejected::Malformed("stanza-id"))?
    {
        // Only the room numbers its own messages; any other `by` (an
        // occupant's own server, or a forgery) must not deduplicate.
        if sid.by.resource().is_none() && sid.by.to_bare() == room {
            stanza_id = Some(sid.id);
        }
    }
    let sent_at_ms = message
        .extract_payload::<Delay>()
        .ok()
        .flatten()
        .map(|d| stamp_ms(&d));
    let status = muc_user(&message.payloads)
        .map(StatusCodes::of)
        .unwrap_or_default();
    Ok(RoomMessage {
        nick: from.resource().map(|r| r.as_str().to_owned()),
        room,
        id: message.id.map(|id| id.0),
        body,
        subject,
        stanza_id,
        origin_id,
        occupant_id: occupant_id(&message.payloads),
        sent_at_ms,
        status,
        encrypted,
        archived,
    })
}

/// Whether a non-groupchat message is a private message through a room
/// (XEP-0045 §7.5): from an occupant (`room@service/nick`) and marked with
/// an empty muc#user element. A message from the room's bare JID is never
/// one: the room itself does not chat.
pub fn is_private_message(message: &Message) -> bool {
    message.type_ != MessageType::Groupchat
        && message
            .from
            .as_ref()
            .is_some_and(|f| f.resource().is_some())
        && muc_user(&message.payloads).is_some_and(|x| {
            x.get_child("invite", NS_MUC_USER).is_none()
                && x.get_child("decline", NS_MUC_USER).is_none()
        })
}

/// How an invitation reached us.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InvitationKind {
    /// Through the room (XEP-0045 §7.8.2): the room vouches for the inviter.
    Mediated,
    /// From the inviter directly (XEP-0249): nothing vouches for the room.
    Direct,
}

/// An invitation to a room.
#[derive(Clone, PartialEq, Eq)]
pub struct Invitation {
    /// The room.
    pub room: BareJid,
    /// Who invites us (for a mediated one, as the room states it).
    pub inviter: Option<Jid>,
    /// Their reason: peer text, made safe (`crate::text`) before display.
    pub reason: Option<String>,
    /// The room's password, if they gave it.
    pub password: Option<String>,
    /// How it came.
    pub kind: InvitationKind,
}

impl std::fmt::Debug for Invitation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Invitation")
            .field("room", &self.room)
            .field("inviter", &self.inviter)
            .field("kind", &self.kind)
            .field("has_password", &self.password.is_some())
            .finish_non_exhaustive()
    }
}

/// Someone declined our mediated invitation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Declined {
    /// The room.
    pub room: BareJid,
    /// Who declined, as the room states it.
    pub by: Option<Jid>,
    /// Their reason: peer text, made safe (`crate::text`) before display.
    pub reason: Option<String>,
}

/// An invitation or a decline carried by a message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum InvitationNews {
    /// We are invited.
    Invited(Invitation),
    /// Our invitation was declined.
    Declined(Declined),
}

fn text_child(parent: &Element, name: &str, ns: &str) -> Option<String> {
    parent.get_child(name, ns).map(|c| c.text())
}

/// Reads an invitation or decline out of a (non-groupchat) message.
/// A mediated one must come from a room's bare JID; a direct one names
/// its room in the `jid` attribute.
pub fn invitation(message: &Message) -> Option<Result<InvitationNews, Rejected>> {
    let from = message.from.as_ref()?;
    // Mediated first: Prosody adds a `jabber:x:conference` element to the
    // invitations it relays, which must not turn them into direct ones.
    if let Some(mediated) = mediated(from, message) {
        return Some(mediated);
    }
    let direct = message.payloads.iter().find(|p| p.is("x", NS_CONFERENCE))?;
    let Some(room) = direct.attr("jid").and_then(|j| j.parse::<BareJid>().ok()) else {
        return Some(Err(Rejected::Malformed("direct invitation")));
    };
    Some(Ok(InvitationNews::Invited(Invitation {
        room,
        inviter: Some(from.clone()),
        reason: direct.attr("reason").map(str::to_owned),
        password: direct.attr("password").map(str::to_owned),
        kind: InvitationKind::Direct,
    })))
}

fn mediated(from: &Jid, message: &Message) -> Option<Result<InvitationNews, Rejected>> {
    let x = muc_user(&message.payloads)?;
    let invite = x.get_child("invite", NS_MUC_USER);
    let decline = x.get_child("decline", NS_MUC_USER);
    if invite.is_none() && decline.is_none() {
        return None;
    }
    if from.resource().is_some() {
        // Only the room relays invitations; an occupant cannot.
        return Some(Err(Rejected::Malformed("invitation from an occupant")));
    }
    let party = |e: &Element| e.attr("from").and_then(|j| j.parse::<Jid>().ok());
    Some(Ok(match (invite, decline) {
        (Some(invite), _) => InvitationNews::Invited(Invitation {
            room: from.to_bare(),
            inviter: party(invite),
            reason: text_child(invite, "reason", NS_MUC_USER),
            password: x
                .get_child("password", NS_MUC_USER)
                .map(|p| p.text().to_owned()),
            kind: InvitationKind::Mediated,
        }),
        (None, Some(decline)) => InvitationNews::Declined(Declined {
            room: from.to_bare(),
            by: party(decline),
            reason: text_child(decline, "reason", NS_MUC_USER),
        }),
        (None, None) => return None,
    }))
}

fn with_element(mut message: Message, element: Element) -> Message {
    message.payloads.push(element);
    message
}

fn reason_element(reason: Option<&str>) -> Option<Element> {
    reason.map(|r| {
        Element::builder("reason", NS_MUC_USER)
            .append(r.to_owned())
            .build()
    })
}

/// A mediated invitation of `invitee` into `room`, sent to the room.
pub fn invite_mediated(room: &BareJid, invitee: &BareJid, reason: Option<&str>) -> Message {
    let invite = Element::builder("invite", NS_MUC_USER)
        .attr(xml_ncname!("to").into(), invitee.to_string())
        .append_all(reason_element(reason))
        .build();
    with_element(
        Message::new(Some(Jid::from(room.clone()))),
        Element::builder("x", NS_MUC_USER).append(invite).build(),
    )
}

/// A direct invitation (XEP-0249) of `invitee` into `room`.
pub fn invite_direct(
    invitee: Jid,
    room: &BareJid,
    password: Option<&str>,
    reason: Option<&str>,
) -> Message {
    let mut x =
        Element::builder("x", NS_CONFERENCE).attr(xml_ncname!("jid").into(), room.to_string());
    if let Some(password) = password {
        x = x.attr(xml_ncname!("password").into(), password);
    }
    if let Some(reason) = reason {
        x = x.attr(xml_ncname!("reason").into(), reason);
    }
    with_element(Message::new(Some(invitee)), x.build())
}

/// Declines a mediated invitation, through the room.
pub fn decline(room: &BareJid, inviter: &Jid, reason: Option<&str>) -> Message {
    let decline = Element::builder("decline", NS_MUC_USER)
        .attr(xml_ncname!("to").into(), inviter.to_string())
        .append_all(reason_element(reason))
        .build();
    with_element(
        Message::new(Some(Jid::from(room.clone()))),
        Element::builder("x", NS_MUC_USER).append(decline).build(),
    )
}

/// A message to the room with an origin-id, which the room's reflection
/// carries back so the sender can recognise it.
pub fn groupchat(room: &BareJid, id: &str, body: &str) -> Message {
    let mut message =
        Message::groupchat(Some(Jid::from(room.clone()))).with_body(Lang::new(), body.to_owned());
    message.id = Some(Id(id.to_owned()));
    message.with_payload(OriginId { id: id.to_owned() })
}

/// Sets the room's subject (XEP-0045 §8.1).
pub fn subject(room: &BareJid, subject: &str) -> Message {
    let mut message = Message::groupchat(Some(Jid::from(room.clone())));
    message.subjects.insert(Lang::new(), subject.to_owned());
    message
}

/// A private message to an occupant, marked as such (XEP-0045 §7.5).
pub fn private_message(occupant: Jid, id: &str, body: &str) -> Message {
    with_element(
        crate::xep::message::chat(occupant, id, body),
        Element::builder("x", NS_MUC_USER).build(),
    )
}
