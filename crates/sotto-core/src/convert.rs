// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! Conversions between session, store and API types.

use std::sync::Arc;

use sotto_store::{
    AccountRecord, Direction, Encryption, MessageState, NewMessage, RosterItem, Subscription,
};
use sotto_xmpp::xep::message::{IncomingMessage, Route};
use sotto_xmpp::xep::roster::Contact;
use sotto_xmpp::{BareJid, CertFingerprint, Password, SessionConfig, Target, Transport};
use xmpp_parsers::message::MessageType;
use xmpp_parsers::presence::Show;
use xmpp_parsers::roster::Subscription as WireSubscription;

use crate::api::{Availability, ChatState};

pub(crate) fn session_config(
    record: &AccountRecord,
    transport: Arc<dyn Transport>,
) -> Result<SessionConfig, String> {
    let settings = &record.settings;
    let jid = parse_account_jid(&settings.jid)?;
    let pinned_cert = match &settings.pinned_cert_sha256 {
        Some(text) => Some(
            CertFingerprint::parse(text)
                .ok_or_else(|| format!("the pinned fingerprint {text:?} is not 64 hex digits"))?,
        ),
        None => None,
    };
    Ok(SessionConfig {
        target: Target {
            domain: jid.domain().to_string(),
            host: settings.host.clone(),
            port: settings.port,
            direct_tls: settings.direct_tls,
        },
        jid,
        resource: settings.resource.clone(),
        password: Password::new(record.password.expose()),
        pinned_cert,
        transport,
        scram_only: false,
    })
}

/// An account JID: bare, with a local part.
pub(crate) fn parse_account_jid(text: &str) -> Result<BareJid, String> {
    let jid = BareJid::new(text.trim()).map_err(|e| format!("{text:?} is not a valid JID: {e}"))?;
    if jid.node().is_none() {
        return Err(format!("{text:?} has no user part (expected user@server)"));
    }
    Ok(jid)
}

/// A contact JID given by a user (bare).
pub(crate) fn parse_contact_jid(text: &str) -> Result<BareJid, String> {
    BareJid::new(text.trim()).map_err(|e| format!("{text:?} is not a valid JID: {e}"))
}

pub(crate) fn roster_item(contact: Contact) -> RosterItem {
    RosterItem {
        jid: contact.jid.to_string(),
        name: contact.name,
        subscription: match contact.subscription {
            WireSubscription::To => Subscription::To,
            WireSubscription::From => Subscription::From,
            WireSubscription::Both => Subscription::Both,
            WireSubscription::None | WireSubscription::Remove => Subscription::None,
        },
        ask_subscribe: contact.ask_subscribe,
        groups: contact.groups,
    }
}

/// The stored form of a plaintext 1:1 message with a body; `None` for
/// anything else (groupchat, errors, headlines, body-less notifications,
/// OMEMO messages: those are decrypted first and go through
/// [`new_message_with`]).
pub(crate) fn new_message(own: &BareJid, message: &IncomingMessage) -> Option<NewMessage> {
    if !message.encrypted.is_empty() {
        return None;
    }
    new_message_with(own, message, message.body.clone()?, Encryption::Plain)
}

/// The stored form of a 1:1 `message` showing `body`; `None` for groupchat,
/// errors and headlines.
pub(crate) fn new_message_with(
    own: &BareJid,
    message: &IncomingMessage,
    body: String,
    encryption: Encryption,
) -> Option<NewMessage> {
    if !matches!(message.kind, MessageType::Chat | MessageType::Normal) {
        return None;
    }
    let outgoing = message.is_outgoing(own);
    let peer = message.peer(own)?;
    Some(NewMessage {
        peer: peer.to_string(),
        direction: if outgoing {
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
        state: match (outgoing, message.route) {
            (false, _) => MessageState::Received,
            (true, Route::Archive) => MessageState::Acked,
            (true, _) => MessageState::Sent,
        },
        encryption,
        sender_device: None,
        room: None,
    })
}

pub(crate) fn availability(show: Option<&Show>) -> Availability {
    match show {
        None => Availability::Available,
        Some(Show::Chat) => Availability::Chat,
        Some(Show::Away) => Availability::Away,
        Some(Show::Xa) => Availability::Xa,
        Some(Show::Dnd) => Availability::Dnd,
    }
}

pub(crate) fn show(availability: Availability) -> Option<Show> {
    match availability {
        Availability::Chat => Some(Show::Chat),
        Availability::Away => Some(Show::Away),
        Availability::Xa => Some(Show::Xa),
        Availability::Dnd => Some(Show::Dnd),
        Availability::Available | Availability::Unavailable => None,
    }
}

pub(crate) fn chat_state_out(state: ChatState) -> xmpp_parsers::chatstates::ChatState {
    use xmpp_parsers::chatstates::ChatState as Wire;
    match state {
        ChatState::Active => Wire::Active,
        ChatState::Composing => Wire::Composing,
        ChatState::Paused => Wire::Paused,
        ChatState::Inactive => Wire::Inactive,
        ChatState::Gone => Wire::Gone,
    }
}

pub(crate) fn chat_state_in(state: &xmpp_parsers::chatstates::ChatState) -> ChatState {
    use xmpp_parsers::chatstates::ChatState as Wire;
    match state {
        Wire::Active => ChatState::Active,
        Wire::Composing => ChatState::Composing,
        Wire::Paused => ChatState::Paused,
        Wire::Inactive => ChatState::Inactive,
        Wire::Gone => ChatState::Gone,
    }
}

/// The store's form of a profile protection.
pub(crate) fn protection(p: crate::api::ProfileProtection) -> sotto_store::Protection {
    match p {
        crate::api::ProfileProtection::Passphrase { passphrase } => {
            sotto_store::Protection::Passphrase(sotto_store::Password::new(
                passphrase.expose().to_owned(),
            ))
        }
        crate::api::ProfileProtection::Keyring => sotto_store::Protection::Keyring,
    }
}
