// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! The driver's request, reply and event types, and how the peer's JSON
//! becomes them.

use std::path::PathBuf;

use serde_json::Value;

/// An OMEMO namespace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ns {
    /// `eu.siacs.conversations.axolotl`.
    Legacy,
    /// `urn:xmpp:omemo:2`.
    Omemo2,
}

impl Ns {
    pub(super) fn wire(self) -> &'static str {
        match self {
            Self::Legacy => "legacy",
            Self::Omemo2 => "omemo2",
        }
    }

    pub(super) fn parse(v: &Value) -> Option<Self> {
        match v.as_str()? {
            "legacy" => Some(Self::Legacy),
            "omemo2" => Some(Self::Omemo2),
            _ => None,
        }
    }
}

/// Which namespace(s) an encrypted message goes out in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SendNs {
    /// Legacy only, to every device in the recipients' legacy lists.
    Legacy,
    /// OMEMO 2 only (body in an XEP-0420 envelope).
    Omemo2,
    /// One `<encrypted/>` per namespace in one stanza, each for every device
    /// listed in that namespace (a device in both lists gets a key in both).
    Both,
    /// slixmpp-omemo's own choice: per device, OMEMO 2 if it lists it, else legacy.
    Auto,
}

impl SendNs {
    pub(super) fn wire(self) -> &'static str {
        match self {
            Self::Legacy => "legacy",
            Self::Omemo2 => "omemo2",
            Self::Both => "both",
            Self::Auto => "auto",
        }
    }
}

impl From<Ns> for SendNs {
    fn from(ns: Ns) -> Self {
        match ns {
            Ns::Legacy => Self::Legacy,
            Ns::Omemo2 => Self::Omemo2,
        }
    }
}

/// The trust the peer records for a device (slixmpp-omemo's levels).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PeerTrust {
    /// Verified.
    Trusted,
    /// Blindly trusted (BTBV).
    Blind,
    /// Never encrypt to it, refuse its messages.
    Distrusted,
    /// Undecided: BTBV decides again at the next encryption.
    Undecided,
}

impl PeerTrust {
    pub(super) fn wire(self) -> &'static str {
        match self {
            Self::Trusted => "trusted",
            Self::Blind => "blind",
            Self::Distrusted => "distrusted",
            Self::Undecided => "undecided",
        }
    }
}

/// How a peer starts.
#[derive(Debug, Clone, Default)]
pub struct PeerOptions {
    /// Where its OMEMO state (`omemo.json`) and log live. `None`: a fresh
    /// temporary directory, removed on drop. Reusing a directory restarts the
    /// same device (same device id and keys).
    pub state_dir: Option<PathBuf>,
    /// `true`: trust new devices blindly without BTBV's rules (every device is
    /// blindly trusted until a test says otherwise). Default: BTBV.
    pub blind_trust: bool,
}

/// What the peer reports once online.
#[derive(Debug, Clone)]
pub struct PeerInfo {
    /// Its full JID (with the resource).
    pub jid: String,
    /// Its device id (the same in both namespaces).
    pub device_id: u32,
    /// Fingerprint (64 hex digits of the Curve25519 identity key), legacy.
    pub fingerprint_legacy: String,
    /// Fingerprint, OMEMO 2 (python-omemo shows the same Curve25519 form).
    pub fingerprint_omemo2: String,
    /// The Ed25519 identity key, hex.
    pub identity_key: String,
}

/// One key element of a sent message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentKey {
    /// The namespace of the `<encrypted/>` it is in.
    pub ns: Ns,
    /// The recipient device's bare JID.
    pub jid: String,
    /// The recipient device id.
    pub device_id: u32,
    /// Whether it carries a key exchange (`prekey`/`kex`).
    pub key_exchange: bool,
}

/// What [`XmppPeer::send`](super::XmppPeer::send) sent.
#[derive(Debug, Clone)]
pub struct Sent {
    /// The stanza id.
    pub id: String,
    /// The namespaces of the `<encrypted/>` elements in the stanza.
    pub namespaces: Vec<Ns>,
    /// Every device it was encrypted for (own other devices included).
    pub keys: Vec<SentKey>,
    /// Devices python-omemo skipped (bundle missing or unusable), as text.
    pub errors: Vec<String>,
}

impl Sent {
    /// The device ids of `jid` that got a key in `ns`.
    #[must_use]
    pub fn devices(&self, ns: Ns, jid: &str) -> Vec<u32> {
        self.keys
            .iter()
            .filter(|k| k.ns == ns && k.jid == jid)
            .map(|k| k.device_id)
            .collect()
    }
}

/// One `<key/>` of a received message: a device the sender encrypted it for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedKey {
    /// The namespace of the `<encrypted/>` it is in.
    pub ns: Ns,
    /// The recipient's bare JID (OMEMO 2 groups keys by JID; legacy keys
    /// carry only the device id, so `None`).
    pub jid: Option<String>,
    /// The recipient device id.
    pub device_id: u32,
    /// Whether it carries a key exchange (`prekey`/`kex`).
    pub key_exchange: bool,
}

/// A message carbon's direction (XEP-0280).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Carbon {
    /// A copy of a message another resource of ours received.
    Received,
    /// A copy of a message another resource of ours sent.
    Sent,
}

/// A chat message the peer received (decrypted if it was encrypted).
#[derive(Debug, Clone)]
pub struct ReceivedMessage {
    /// The sender's bare JID.
    pub from: String,
    /// The `to` of the stanza.
    pub to: String,
    /// The stanza id.
    pub id: String,
    /// The stanza type (`chat`, `normal`).
    pub kind: String,
    /// The body (decrypted, or the plain body).
    pub text: String,
    /// Whether it came OMEMO-encrypted.
    pub encrypted: bool,
    /// The namespace it was decrypted in (OMEMO 2 wins when both are present).
    pub ns: Option<Ns>,
    /// The sending device.
    pub sender_device: Option<u32>,
    /// Set for carbon copies.
    pub carbon: Option<Carbon>,
    /// For OMEMO 2: the SCE envelope's `<from/>`, `<to/>`, `<time/>`, rpad length
    /// (the peer already checked `from`/`to` against the stanza).
    pub sce: Option<Value>,
    /// Every `<key/>` of the stanza, in both namespaces: whom the sender
    /// encrypted it for (empty for plain messages).
    pub keys: Vec<ReceivedKey>,
}

impl ReceivedMessage {
    /// The device ids that got a key in `ns`, sorted; only those of `jid`
    /// when given (legacy keys name no JID, so none match a `jid`).
    #[must_use]
    pub fn devices(&self, ns: Ns, jid: Option<&str>) -> Vec<u32> {
        let mut ids: Vec<u32> = self
            .keys
            .iter()
            .filter(|k| k.ns == ns && jid.is_none_or(|j| k.jid.as_deref() == Some(j)))
            .map(|k| k.device_id)
            .collect();
        ids.sort_unstable();
        ids
    }

    /// The key for `device_id` in `ns`, if the sender included one.
    #[must_use]
    pub fn key_for(&self, ns: Ns, device_id: u32) -> Option<&ReceivedKey> {
        self.keys
            .iter()
            .find(|k| k.ns == ns && k.device_id == device_id)
    }
}

/// A message the peer could not decrypt.
#[derive(Debug, Clone)]
pub struct Undecryptable {
    /// The sender's bare JID.
    pub from: String,
    /// The stanza id.
    pub id: String,
    /// The namespace it tried.
    pub ns: Option<Ns>,
    /// The python exception class (`MessageNotForUs`, `NoSession`, `DecryptionFailed`,
    /// `SenderNotFound`, `SceError`, ...).
    pub error: String,
    /// The classes of its causes.
    pub causes: Vec<String>,
    /// The exception text.
    pub message: String,
    /// Whether the message had a `<payload/>` (i.e. was not an empty message).
    pub has_payload: bool,
    /// Every `<key/>` of the stanza (whom the sender encrypted it for).
    pub keys: Vec<ReceivedKey>,
}

/// Something the peer reported without being asked.
#[derive(Debug, Clone)]
pub enum PeerEvent {
    /// A chat message, decrypted or plain.
    Message(ReceivedMessage),
    /// An empty OMEMO message (key transport / session completion) was decrypted.
    Empty {
        /// Sender's bare JID.
        from: String,
        /// Namespace.
        ns: Option<Ns>,
        /// Sending device.
        sender_device: Option<u32>,
    },
    /// A message that did not decrypt.
    Undecryptable(Undecryptable),
    /// An empty message meant for another device of this account (ignored).
    NotForUs {
        /// Sender's bare JID.
        from: String,
        /// Namespace.
        ns: Option<Ns>,
    },
    /// python-omemo sent an empty message by itself (to complete a session it
    /// just built from a key exchange, or against a stale session).
    SentEmpty {
        /// Recipient bare JID.
        to: String,
        /// Namespace.
        ns: Option<Ns>,
        /// Recipient device.
        device_id: u32,
    },
    /// A `<message type='error'/>`.
    StanzaError {
        /// From.
        from: String,
        /// The id of the message that bounced.
        id: String,
        /// The error condition.
        condition: String,
    },
    /// The XMPP stream closed.
    Disconnected,
    /// The peer failed while handling a stanza (a bug in the peer).
    InternalError(String),
    /// Anything else, raw.
    Other(Value),
}

/// A request the peer answered with an error.
#[derive(Debug, Clone)]
pub struct PeerFailure {
    /// The exception class, e.g. `NoEligibleDevices`.
    pub error: String,
    /// The classes of its causes.
    pub causes: Vec<String>,
    /// The exception text and a short trace.
    pub message: String,
}

impl PeerFailure {
    /// Whether the error or one of its causes is of class `name`.
    #[must_use]
    pub fn is(&self, name: &str) -> bool {
        self.error == name || self.causes.iter().any(|c| c == name)
    }
}

impl std::error::Error for PeerFailure {}

impl std::fmt::Display for PeerFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.error, self.message)
    }
}

pub(super) fn str_of(v: &Value) -> String {
    v.as_str().unwrap_or_default().to_owned()
}

pub(super) fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

pub(super) fn u32_of(v: &Value) -> Option<u32> {
    v.as_u64().and_then(|n| u32::try_from(n).ok())
}

pub(super) fn u32s(v: &Value) -> Vec<u32> {
    v.as_array()
        .map(|a| a.iter().filter_map(u32_of).collect())
        .unwrap_or_default()
}

fn received_keys(v: &Value) -> Vec<ReceivedKey> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|k| {
                    Some(ReceivedKey {
                        ns: Ns::parse(&k["ns"])?,
                        jid: k["jid"].as_str().map(str::to_owned),
                        device_id: u32_of(&k["device_id"])?,
                        key_exchange: k["kex"].as_bool().unwrap_or(false),
                    })
                })
                .collect()
        })
        .unwrap_or_default()
}

fn carbon(v: &Value) -> Option<Carbon> {
    match v.as_str()? {
        "received" => Some(Carbon::Received),
        "sent" => Some(Carbon::Sent),
        _ => None,
    }
}

pub(super) fn parse_event(v: Value) -> PeerEvent {
    match v["event"].as_str().unwrap_or_default() {
        "message" => PeerEvent::Message(ReceivedMessage {
            from: str_of(&v["from"]),
            to: str_of(&v["to"]),
            id: str_of(&v["id"]),
            kind: str_of(&v["type"]),
            text: str_of(&v["text"]),
            encrypted: v["encrypted"].as_bool().unwrap_or(false),
            ns: Ns::parse(&v["ns"]),
            sender_device: u32_of(&v["sender_device"]),
            carbon: carbon(&v["carbon"]),
            sce: (!v["sce"].is_null()).then(|| v["sce"].clone()),
            keys: received_keys(&v["keys"]),
        }),
        "empty" => PeerEvent::Empty {
            from: str_of(&v["from"]),
            ns: Ns::parse(&v["ns"]),
            sender_device: u32_of(&v["sender_device"]),
        },
        "undecryptable" => PeerEvent::Undecryptable(Undecryptable {
            from: str_of(&v["from"]),
            id: str_of(&v["id"]),
            ns: Ns::parse(&v["ns"]),
            error: str_of(&v["error"]),
            causes: strings(&v["causes"]),
            message: str_of(&v["message"]),
            has_payload: v["has_payload"].as_bool().unwrap_or(false),
            keys: received_keys(&v["keys"]),
        }),
        "not_for_us" => PeerEvent::NotForUs {
            from: str_of(&v["from"]),
            ns: Ns::parse(&v["ns"]),
        },
        "sent_empty" => match u32_of(&v["device_id"]) {
            Some(device_id) => PeerEvent::SentEmpty {
                to: str_of(&v["to"]),
                ns: Ns::parse(&v["ns"]),
                device_id,
            },
            None => PeerEvent::Other(v),
        },
        "stanza_error" => PeerEvent::StanzaError {
            from: str_of(&v["from"]),
            id: str_of(&v["id"]),
            condition: str_of(&v["condition"]),
        },
        "disconnected" => PeerEvent::Disconnected,
        "internal_error" => PeerEvent::InternalError(format!(
            "{}: {}",
            str_of(&v["error"]),
            str_of(&v["message"])
        )),
        _ => PeerEvent::Other(v),
    }
}
