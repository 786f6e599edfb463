// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! The records the store keeps.

use serde::{Deserialize, Serialize};

use crate::{Password, RoomSender};

/// How to reach and log into one XMPP account.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountSettings {
    /// Bare JID; the account's key in the store.
    pub jid: String,
    /// Resource to bind.
    pub resource: String,
    /// Host to connect to instead of SRV lookup.
    pub host: Option<String>,
    /// Port to connect to instead of SRV lookup.
    pub port: Option<u16>,
    /// Use direct TLS (XEP-0368) instead of STARTTLS.
    pub direct_tls: bool,
    /// Pinned server certificate: lowercase hex SHA-256, 64 characters.
    pub pinned_cert_sha256: Option<String>,
    /// Whether the account connects at start-up.
    pub enabled: bool,
    /// Connect only through the built-in Tor.
    #[serde(default)]
    pub tor: bool,
    /// Connect through this SOCKS5 proxy (`socks5://HOST:PORT`).
    #[serde(default)]
    pub proxy: Option<String>,
}

/// An account's settings and its password.
#[derive(Clone, Debug)]
pub struct AccountRecord {
    /// Connection settings.
    pub settings: AccountSettings,
    /// The account password (stored only inside the encrypted database).
    pub password: Password,
}

/// Presence subscription state of a roster item (RFC 6121).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Subscription {
    /// Neither side is subscribed.
    None,
    /// We see the contact's presence.
    To,
    /// The contact sees ours.
    From,
    /// Both.
    Both,
}

/// One contact in an account's roster.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RosterItem {
    /// Bare JID of the contact; unique within an account's roster.
    pub jid: String,
    /// Name the user gave the contact.
    pub name: Option<String>,
    /// Subscription state.
    pub subscription: Subscription,
    /// A subscription request from us is pending.
    pub ask_subscribe: bool,
    /// Roster groups, in the order given.
    pub groups: Vec<String>,
}

/// Which way a message went.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// From the peer to us.
    Incoming,
    /// From us (this or another of our devices) to the peer.
    Outgoing,
}

/// Delivery state of a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MessageState {
    /// Outgoing, not yet handed to a live stream.
    Queued,
    /// Written to the stream.
    Sent,
    /// Acknowledged by the server (XEP-0198).
    Acked,
    /// Receipt from the peer (XEP-0184 / XEP-0333).
    Delivered,
    /// Sending failed for good.
    Failed,
    /// Incoming.
    Received,
}

/// End-to-end encryption a message was sent or received with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Encryption {
    /// No end-to-end encryption.
    Plain,
    /// Off-the-Record messaging (v2 or v3).
    Otr,
    /// OMEMO (either namespace).
    Omemo,
}

/// A message to be stored.
///
/// Empty `message_id`, `origin_id` and `stanza_id` strings are treated as
/// absent and stored as `None`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewMessage {
    /// Bare JID of the other party (the room, for a room message).
    pub peer: String,
    /// Which way it went.
    pub direction: Direction,
    /// Message text.
    pub body: String,
    /// When it was sent, milliseconds since the Unix epoch.
    pub timestamp_ms: i64,
    /// The stanza's `id` attribute, for receipts.
    pub message_id: Option<String>,
    /// XEP-0359 origin-id chosen by the sender.
    pub origin_id: Option<String>,
    /// XEP-0359 stanza-id assigned by the archive the message belongs to:
    /// the room's for a groupchat message, our own server's otherwise.
    pub stanza_id: Option<String>,
    /// Delivery state.
    pub state: MessageState,
    /// End-to-end encryption used.
    pub encryption: Encryption,
    /// The OMEMO device it came from: incoming OMEMO messages, and ours
    /// sent from our other devices. `None` otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sender_device: Option<u32>,
    /// For a message in a room conversation (`peer` is the room's bare
    /// JID): groupchat or private, and the occupant concerned. `None` for a
    /// one-to-one chat.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub room: Option<RoomSender>,
}

/// A stored message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageRecord {
    /// Local id; increases with every insert and is never reused.
    pub id: i64,
    /// Bare JID of the account.
    pub account: String,
    /// Bare JID of the other party (the room, for a room message).
    pub peer: String,
    /// Which way it went.
    pub direction: Direction,
    /// Message text.
    pub body: String,
    /// When it was sent, milliseconds since the Unix epoch.
    pub timestamp_ms: i64,
    /// The stanza's `id` attribute.
    pub message_id: Option<String>,
    /// XEP-0359 origin-id.
    pub origin_id: Option<String>,
    /// XEP-0359 stanza-id: the room's archive's for a groupchat message,
    /// our own server's otherwise.
    pub stanza_id: Option<String>,
    /// Delivery state.
    pub state: MessageState,
    /// End-to-end encryption used.
    pub encryption: Encryption,
    /// The OMEMO device it came from: incoming OMEMO messages, and ours
    /// sent from our other devices. `None` otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sender_device: Option<u32>,
    /// For a message in a room conversation (`peer` is the room's bare
    /// JID): groupchat or private, and the occupant concerned. `None` for a
    /// one-to-one chat.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub room: Option<RoomSender>,
}

/// Outcome of inserting one message.
#[allow(
    clippy::large_enum_variant,
    reason = "short-lived results of one insert batch; boxing would add an allocation per \
              message and change every match on `Inserted::New` in the core"
)]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Inserted {
    /// Stored as a new message.
    New(MessageRecord),
    /// Already stored under `id` (see [`crate::MessageStore::insert_messages`]).
    Duplicate {
        /// Local id of the stored message it duplicates.
        id: i64,
    },
}
