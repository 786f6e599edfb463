// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! 1:1 chat messages with the XEPs that travel inside them: unique ids
//! (XEP-0359), receipts (XEP-0184), chat states (XEP-0085), carbons
//! (XEP-0280), delays (XEP-0203) and archive results (XEP-0313).

use std::time::{SystemTime, UNIX_EPOCH};

use xmpp_parsers::carbons;
use xmpp_parsers::chatstates::ChatState;
use xmpp_parsers::delay::Delay;
use xmpp_parsers::eme::ExplicitMessageEncryption;
use xmpp_parsers::jid::{BareJid, Jid};
use xmpp_parsers::mam;
use xmpp_parsers::message::{Id, Lang, Message, MessageType};
use xmpp_parsers::minidom::Element;
use xmpp_parsers::receipts;
use xmpp_parsers::stanza_id::{OriginId, StanzaId};

use super::omemo::{self, Encrypted};

/// How a message reached us.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Route {
    /// Directly addressed to us.
    Direct,
    /// A copy of a message another of our resources received (XEP-0280).
    CarbonReceived,
    /// A copy of a message another of our resources sent (XEP-0280).
    CarbonSent,
    /// From our server's archive (XEP-0313).
    Archive,
}

/// A parsed incoming message. Its body is user content: never log it.
#[derive(Clone, PartialEq)]
pub struct IncomingMessage {
    /// Sender as stated in the (inner, for carbons/archive) stanza.
    pub from: Jid,
    /// Recipient as stated.
    pub to: Option<Jid>,
    /// The stanza's id attribute.
    pub id: Option<String>,
    /// Message type.
    pub kind: MessageType,
    /// Text, if any.
    pub body: Option<String>,
    /// XEP-0359 origin-id.
    pub origin_id: Option<String>,
    /// XEP-0359 stanza-id assigned by our own server (other `by`s are ignored).
    pub stanza_id: Option<String>,
    /// The sender asks for a delivery receipt.
    pub wants_receipt: bool,
    /// This is a receipt for the message with this id.
    pub receipt_for: Option<String>,
    /// Chat state notification.
    pub chat_state: Option<ChatState>,
    /// When it was sent (delay stamp), in ms since the epoch, if stated.
    pub sent_at_ms: Option<i64>,
    /// How it reached us.
    pub route: Route,
    /// The OMEMO elements (one per namespace the sender used), for the core
    /// to decrypt. When there is one, `body` is `None`: the body is only the
    /// fallback text for clients without OMEMO and must not be stored as the
    /// message.
    pub encrypted: Vec<Encrypted>,
    /// A private message through a room (XEP-0045 §7.5): `from` is an
    /// occupant (`room@service/nick`), not an account, so it must not be
    /// taken for a 1:1 chat with that JID's bare address.
    pub muc_private: bool,
}

impl std::fmt::Debug for IncomingMessage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IncomingMessage")
            .field("from", &self.from)
            .field("id", &self.id)
            .field("route", &self.route)
            .field("has_body", &self.body.is_some())
            .field("receipt_for", &self.receipt_for)
            .field("encrypted", &self.encrypted)
            .field("muc_private", &self.muc_private)
            .finish_non_exhaustive()
    }
}

impl IncomingMessage {
    /// Whether we sent it (a sent carbon, or our own message from the archive).
    pub fn is_outgoing(&self, own: &BareJid) -> bool {
        self.from.to_bare() == *own
    }

    /// The other party's bare JID.
    pub fn peer(&self, own: &BareJid) -> Option<BareJid> {
        if self.is_outgoing(own) {
            self.to.as_ref().map(|j| j.to_bare())
        } else {
            Some(self.from.to_bare())
        }
    }
}

/// Why an incoming message was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Rejected {
    /// A carbon not sent by our own account (CVE-2017-5589 class).
    #[error("forged carbon copy from {0}")]
    ForgedCarbon(String),
    /// An archive result not from our own archive.
    #[error("archive result from {0}, which is not our archive")]
    ForeignArchive(String),
    /// Missing sender.
    #[error("message without sender")]
    NoSender,
    /// A payload did not parse.
    #[error("malformed {0}")]
    Malformed(&'static str),
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or_default()
}

fn stamp_ms(delay: &Delay) -> i64 {
    delay.stamp.0.timestamp_millis()
}

/// Whether `from` is our own account's bare JID (or absent, meaning our server
/// on our behalf).
fn is_own_bare(own: &BareJid, from: Option<&Jid>) -> bool {
    match from {
        None => true,
        Some(from) => from.resource().is_none() && from.to_bare() == *own,
    }
}

/// Parses a message received on the stream.
pub fn parse(own: &BareJid, mut message: Message) -> Result<IncomingMessage, Rejected> {
    let received = message
        .extract_payload::<carbons::Received>()
        .map_err(|_| Rejected::Malformed("carbon"))?;
    let sent = message
        .extract_payload::<carbons::Sent>()
        .map_err(|_| Rejected::Malformed("carbon"))?;
    let (forwarded, route) = match (received, sent) {
        (Some(r), None) => (Some(r.forwarded), Route::CarbonReceived),
        (None, Some(s)) => (Some(s.forwarded), Route::CarbonSent),
        (None, None) => (None, Route::Direct),
        (Some(_), Some(_)) => return Err(Rejected::Malformed("carbon")),
    };
    match forwarded {
        Some(forwarded) => {
            if !is_own_bare(own, message.from.as_ref()) || message.from.is_none() {
                let from = message.from.map(|j| j.to_string()).unwrap_or_default();
                return Err(Rejected::ForgedCarbon(from));
            }
            let stamp = forwarded.delay.as_ref().map(stamp_ms);
            let mut inner = parse_plain(own, forwarded.message, route)?;
            inner.sent_at_ms = inner.sent_at_ms.or(stamp);
            Ok(inner)
        }
        None => parse_plain(own, message, Route::Direct),
    }
}

/// Parses one archive result. `from` is who delivered the result stanza.
pub fn parse_archived(
    own: &BareJid,
    from: Option<&Jid>,
    result: mam::Result_,
) -> Result<IncomingMessage, Rejected> {
    if !is_own_bare(own, from) {
        return Err(Rejected::ForeignArchive(
            from.map(|j| j.to_string()).unwrap_or_default(),
        ));
    }
    let stamp = result.forwarded.delay.as_ref().map(stamp_ms);
    let mut inner = parse_plain(own, result.forwarded.message, Route::Archive)?;
    // In our own archive the result id is the stanza-id our server assigned.
    inner.stanza_id = Some(result.id);
    inner.sent_at_ms = stamp.or(inner.sent_at_ms);
    Ok(inner)
}

fn parse_plain(
    own: &BareJid,
    mut message: Message,
    route: Route,
) -> Result<IncomingMessage, Rejected> {
    let from = message.from.clone().ok_or(Rejected::NoSender)?;
    let muc_private = super::muc::message::is_private_message(&message);
    let encrypted = omemo::find_all_encrypted(&message.payloads)
        .map_err(|_| Rejected::Malformed("OMEMO element"))?;
    let body = match encrypted.is_empty() {
        false => None,
        true => message.get_best_body_cloned(vec![]).map(|(_, body)| body),
    };
    let origin_id = message
        .extract_payload::<OriginId>()
        .map_err(|_| Rejected::Malformed("origin-id"))?
        .map(|o| o.id);
    let mut stanza_id = None;
    while let Some(sid) = message
        .extract_payload::<StanzaId>()
        .map_err(|_| Rejected::Malformed("stanza-id"))?
    {
        // Only our own server's ids are trustworthy for deduplication.
        if sid.by.resource().is_none() && sid.by.to_bare() == *own {
            stanza_id = Some(sid.id);
        }
    }
    let wants_receipt = message
        .extract_payload::<receipts::Request>()
        .map_err(|_| Rejected::Malformed("receipt request"))?
        .is_some();
    let receipt_for = message
        .extract_payload::<receipts::Received>()
        .map_err(|_| Rejected::Malformed("receipt"))?
        .map(|r| r.id);
    let chat_state = message.extract_payload::<ChatState>().ok().flatten();
    let sent_at_ms = message
        .extract_payload::<Delay>()
        .ok()
        .flatten()
        .map(|d| stamp_ms(&d));
    Ok(IncomingMessage {
        from,
        to: message.to,
        id: message.id.map(|id| id.0),
        kind: message.type_,
        body,
        origin_id,
        stanza_id,
        wants_receipt,
        receipt_for,
        chat_state,
        sent_at_ms,
        route,
        encrypted,
        muc_private,
    })
}

/// Builds an outgoing chat message with origin-id, a receipt request and an
/// active chat state.
pub fn chat(to: Jid, id: &str, body: &str) -> Message {
    let mut message = Message::chat(to).with_body(Lang::new(), body.to_owned());
    message.id = Some(Id(id.to_owned()));
    message
        .with_payload(OriginId { id: id.to_owned() })
        .with_payload(receipts::Request)
        .with_payload(ChatState::Active)
}

/// Marks a message whose body is the link of an uploaded file (XEP-0066
/// out-of-band data with the same URL, as XEP-0363 §4 suggests): Conversations,
/// Dino and Gajim then show a file instead of a link. Only for unencrypted
/// messages: an encrypted file's link must stay inside the encryption.
pub fn with_file_link(message: Message, url: &str) -> Message {
    message.with_payload(xmpp_parsers::oob::Oob {
        url: url.to_owned(),
        desc: None,
    })
}

/// The namespace XEP-0380 names OTR by.
pub const EME_OTR: &str = "urn:xmpp:otr:0";
const HINTS: &str = "urn:xmpp:hints";

/// A chat message whose body is OTR (ciphertext or an OTR protocol message).
///
/// Like other OTR clients it asks the server not to copy it to our other
/// resources (XEP-0280 `private`, XEP-0334 `no-copy`), which could not decrypt
/// it, and not to store it (`no-permanent-store`, `no-store`): an OTR message
/// is useless later, its keys are gone. The EME hint (XEP-0380) tells clients
/// without OTR what they are looking at. A receipt is asked for when
/// `receipt` (the last piece of a user message).
pub fn otr_chat(to: Jid, id: &str, body: &str, receipt: bool) -> Message {
    let mut message = Message::chat(to).with_body(Lang::new(), body.to_owned());
    message.id = Some(Id(id.to_owned()));
    let mut message = message
        .with_payload(OriginId { id: id.to_owned() })
        .with_payload(carbons::Private)
        .with_payload(ExplicitMessageEncryption {
            namespace: EME_OTR.to_owned(),
            name: None,
        });
    for hint in ["no-copy", "no-permanent-store", "no-store"] {
        message.payloads.push(Element::builder(hint, HINTS).build());
    }
    if receipt {
        message = message.with_payload(receipts::Request);
    }
    message
}

/// A delivery receipt for message `id`.
pub fn receipt(to: Jid, id: &str) -> Message {
    let mut message = Message::chat(to).with_payload(receipts::Received { id: id.to_owned() });
    message.id = Some(Id(uuid::Uuid::new_v4().to_string()));
    message
}

/// A standalone chat state notification.
pub fn chat_state(to: Jid, state: ChatState) -> Message {
    Message::chat(to).with_payload(state)
}

/// Current time in ms, for messages without a delay stamp.
pub fn received_now_ms() -> i64 {
    now_ms()
}

#[cfg(test)]
mod tests;
