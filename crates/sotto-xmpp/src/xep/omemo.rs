// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! OMEMO on the wire (XEP-0384), in both namespaces: the legacy
//! `eu.siacs.conversations.axolotl` (v0.3, what Conversations, Dino, Gajim
//! and Monal speak) and `urn:xmpp:omemo:2` (v0.8+, Kaidan).
//!
//! Pure parse/build of device lists, bundles and `<encrypted>` elements as
//! plain values (device ids, byte vectors): the OMEMO engine never sees XML
//! and this module never sees a key it could misuse. Parsing never panics;
//! anything malformed is a [`WireError`] naming the element at fault.

use xmpp_parsers::eme::ExplicitMessageEncryption;
use xmpp_parsers::jid::{BareJid, Jid};
use xmpp_parsers::message::{Id, Lang, Message};
use xmpp_parsers::minidom::Element;
use xmpp_parsers::receipts;
use xmpp_parsers::stanza_id::OriginId;

mod legacy;
mod v2;
mod wire;

#[cfg(test)]
mod tests;

pub use wire::WireError;

/// Which OMEMO a device list, bundle or message belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Namespace {
    /// `eu.siacs.conversations.axolotl` (XEP-0384 v0.3, libsignal wire format).
    Legacy,
    /// `urn:xmpp:omemo:2` (XEP-0384 v0.8 and later).
    V2,
}

/// The legacy namespace.
pub const LEGACY_NS: &str = "eu.siacs.conversations.axolotl";
/// The OMEMO 2 namespace.
pub const V2_NS: &str = "urn:xmpp:omemo:2";
/// The legacy device list node.
pub const LEGACY_DEVICE_LIST_NODE: &str = "eu.siacs.conversations.axolotl.devicelist";
/// The OMEMO 2 device list node.
pub const V2_DEVICE_LIST_NODE: &str = "urn:xmpp:omemo:2:devices";
/// The OMEMO 2 bundles node (one item per device, the item id is the device id).
pub const V2_BUNDLES_NODE: &str = "urn:xmpp:omemo:2:bundles";
const LEGACY_BUNDLES_PREFIX: &str = "eu.siacs.conversations.axolotl.bundles:";

/// The body sent beside an `<encrypted>` element for clients without OMEMO.
pub const FALLBACK_BODY: &str =
    "I sent you an OMEMO encrypted message but your client doesn't seem to support that.";
const HINTS: &str = "urn:xmpp:hints";

impl Namespace {
    /// Both namespaces, legacy first.
    pub const ALL: [Namespace; 2] = [Namespace::Legacy, Namespace::V2];

    /// The XML namespace of its elements.
    pub const fn xmlns(self) -> &'static str {
        match self {
            Self::Legacy => LEGACY_NS,
            Self::V2 => V2_NS,
        }
    }

    /// The namespace an element is in, if it is one of ours.
    pub fn from_xmlns(xmlns: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|ns| ns.xmlns() == xmlns)
    }

    /// The PEP node holding the device list.
    pub const fn device_list_node(self) -> &'static str {
        match self {
            Self::Legacy => LEGACY_DEVICE_LIST_NODE,
            Self::V2 => V2_DEVICE_LIST_NODE,
        }
    }

    /// The namespace whose device list lives in `node`.
    pub fn from_device_list_node(node: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|ns| ns.device_list_node() == node)
    }

    /// The PEP node holding the bundle of `device_id`: one node per device
    /// in the legacy namespace, one shared node in OMEMO 2.
    pub fn bundle_node(self, device_id: u32) -> String {
        match self {
            Self::Legacy => format!("{LEGACY_BUNDLES_PREFIX}{device_id}"),
            Self::V2 => V2_BUNDLES_NODE.to_owned(),
        }
    }

    /// The item id of `device_id`'s bundle in [`Namespace::bundle_node`].
    pub fn bundle_item_id(self, device_id: u32) -> String {
        match self {
            Self::Legacy => "current".to_owned(),
            Self::V2 => device_id.to_string(),
        }
    }

    /// The name clients show for it (XEP-0380).
    pub const fn display_name(self) -> &'static str {
        match self {
            Self::Legacy => "OMEMO",
            Self::V2 => "OMEMO 2",
        }
    }
}

/// One device in a device list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Device {
    /// The device id (1..=2³¹−1 in the legacy namespace, any non-zero u32 in OMEMO 2).
    pub id: u32,
    /// A human-readable label (OMEMO 2 only; never sent in the legacy namespace).
    pub label: Option<String>,
}

impl Device {
    /// A device without a label.
    pub fn new(id: u32) -> Self {
        Self { id, label: None }
    }
}

/// A device list as published in PEP.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DeviceList {
    /// The devices, in published order, without duplicates.
    pub devices: Vec<Device>,
}

impl DeviceList {
    /// The item id device lists are published under.
    pub const ITEM_ID: &'static str = "current";

    /// Whether `id` is listed.
    pub fn contains(&self, id: u32) -> bool {
        self.devices.iter().any(|d| d.id == id)
    }

    /// The device ids.
    pub fn ids(&self) -> impl Iterator<Item = u32> + '_ {
        self.devices.iter().map(|d| d.id)
    }

    /// Parses a `<list/>` (legacy) or `<devices/>` (OMEMO 2) element.
    ///
    /// Entries with a missing or unparsable id are skipped (one buggy client
    /// must not hide its account's other devices); duplicates are dropped.
    pub fn parse(element: &Element, namespace: Namespace) -> Result<Self, WireError> {
        match namespace {
            Namespace::Legacy => legacy::parse_device_list(element),
            Namespace::V2 => v2::parse_device_list(element),
        }
    }

    /// The element to publish.
    pub fn to_element(&self, namespace: Namespace) -> Element {
        match namespace {
            Namespace::Legacy => legacy::device_list(self),
            Namespace::V2 => v2::device_list(self),
        }
    }
}

/// A device's bundle: the public keys a peer needs to start a session with it.
#[derive(Clone, PartialEq, Eq)]
pub struct Bundle {
    /// Id of the signed prekey.
    pub signed_prekey_id: u32,
    /// The signed prekey (`0x05 ‖ key` in the legacy namespace, raw in OMEMO 2).
    pub signed_prekey: Vec<u8>,
    /// The identity key's signature over the signed prekey.
    pub signature: Vec<u8>,
    /// The identity key.
    pub identity_key: Vec<u8>,
    /// One-time prekeys as (id, public key).
    pub prekeys: Vec<(u32, Vec<u8>)>,
}

impl std::fmt::Debug for Bundle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Bundle")
            .field("signed_prekey_id", &self.signed_prekey_id)
            .field("prekeys", &self.prekeys.len())
            .finish_non_exhaustive()
    }
}

impl Bundle {
    /// Parses a `<bundle/>` element of `namespace`.
    pub fn parse(element: &Element, namespace: Namespace) -> Result<Self, WireError> {
        match namespace {
            Namespace::Legacy => legacy::parse_bundle(element),
            Namespace::V2 => v2::parse_bundle(element),
        }
    }

    /// The element to publish.
    pub fn to_element(&self, namespace: Namespace) -> Element {
        match namespace {
            Namespace::Legacy => legacy::bundle(self),
            Namespace::V2 => v2::bundle(self),
        }
    }
}

/// One recipient device's copy of the message key.
#[derive(Clone, PartialEq, Eq)]
pub struct KeyEntry {
    /// Whose device it is (OMEMO 2 groups keys by JID; `None` in the legacy namespace).
    pub jid: Option<BareJid>,
    /// The recipient device id.
    pub rid: u32,
    /// The encrypted key material (a Signal or OMEMO message).
    pub data: Vec<u8>,
    /// A key exchange (legacy `prekey='true'`, OMEMO 2 `kex='true'`).
    pub prekey: bool,
}

impl std::fmt::Debug for KeyEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyEntry")
            .field("rid", &self.rid)
            .field("prekey", &self.prekey)
            .finish_non_exhaustive()
    }
}

/// An `<encrypted/>` element.
#[derive(Clone, PartialEq, Eq)]
pub struct Encrypted {
    /// Which OMEMO.
    pub namespace: Namespace,
    /// The sender's device id.
    pub sid: u32,
    /// The message key, once per recipient device.
    pub keys: Vec<KeyEntry>,
    /// The payload IV (legacy only; OMEMO 2 derives it).
    pub iv: Option<Vec<u8>>,
    /// The encrypted payload; absent in empty (key transport) messages.
    pub payload: Option<Vec<u8>>,
}

impl std::fmt::Debug for Encrypted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Encrypted")
            .field("namespace", &self.namespace)
            .field("sid", &self.sid)
            .field("keys", &self.keys)
            .field("has_payload", &self.payload.is_some())
            .finish_non_exhaustive()
    }
}

impl Encrypted {
    /// Parses an `<encrypted/>` element of either namespace.
    pub fn parse(element: &Element) -> Result<Self, WireError> {
        match Namespace::from_xmlns(&element.ns()) {
            Some(Namespace::Legacy) if element.name() == "encrypted" => {
                legacy::parse_encrypted(element)
            }
            Some(Namespace::V2) if element.name() == "encrypted" => v2::parse_encrypted(element),
            _ => Err(WireError::WrongElement {
                expected: "encrypted",
                found: wire::describe(element),
            }),
        }
    }

    /// The element to send. Fails for what the namespace cannot express: a
    /// legacy message without IV, an OMEMO 2 key without a JID.
    pub fn to_element(&self) -> Result<Element, WireError> {
        match self.namespace {
            Namespace::Legacy => legacy::encrypted(self),
            Namespace::V2 => v2::encrypted(self),
        }
    }

    /// The keys addressed to device `rid` (of `jid`, when the namespace says whose).
    pub fn keys_for<'a>(
        &'a self,
        jid: &'a BareJid,
        rid: u32,
    ) -> impl Iterator<Item = &'a KeyEntry> + 'a {
        self.keys
            .iter()
            .filter(move |k| k.rid == rid && k.jid.as_ref().is_none_or(|j| j == jid))
    }
}

/// Finds and parses the `<encrypted/>` element of a message, if it has one.
pub fn find_encrypted(payloads: &[Element]) -> Option<Result<Encrypted, WireError>> {
    payloads
        .iter()
        .find(|p| p.name() == "encrypted" && Namespace::from_xmlns(&p.ns()).is_some())
        .map(Encrypted::parse)
}

/// Finds and parses every `<encrypted/>` element of a message (a sender
/// whose recipients' devices use different namespaces sends one of each).
pub fn find_all_encrypted(payloads: &[Element]) -> Result<Vec<Encrypted>, WireError> {
    payloads
        .iter()
        .filter(|p| p.name() == "encrypted" && Namespace::from_xmlns(&p.ns()).is_some())
        .map(Encrypted::parse)
        .collect()
}

/// An OMEMO chat message: the `<encrypted>` elements (one per namespace in
/// use, each with the keys of the devices that speak it), the fallback body,
/// the EME hint (XEP-0380, naming the first), a store hint (XEP-0334: servers
/// must archive it even though its body is only the fallback), an origin-id
/// and a receipt request. Carbons stay on: our other devices can decrypt it.
pub fn message(to: Jid, id: &str, encrypted: &[Encrypted]) -> Result<Message, WireError> {
    let first = encrypted.first().ok_or(WireError::MissingChild {
        element: "message",
        child: "encrypted",
    })?;
    let mut message = Message::chat(to).with_body(Lang::new(), FALLBACK_BODY.to_owned());
    message.id = Some(Id(id.to_owned()));
    let mut message = message
        .with_payload(OriginId { id: id.to_owned() })
        .with_payload(ExplicitMessageEncryption {
            namespace: first.namespace.xmlns().to_owned(),
            name: Some(first.namespace.display_name().to_owned()),
        })
        .with_payload(receipts::Request);
    for element in encrypted {
        message.payloads.push(element.to_element()?);
    }
    message
        .payloads
        .push(Element::builder("store", HINTS).build());
    Ok(message)
}

/// An empty OMEMO message (key transport, no payload): completes a session
/// the contact started, or starts a new one after a broken session. No body
/// and no receipt request; the store hint keeps it for an offline contact.
pub fn key_transport(to: Jid, id: &str, encrypted: &Encrypted) -> Result<Message, WireError> {
    let mut message = Message::chat(to);
    message.id = Some(Id(id.to_owned()));
    message.payloads.push(encrypted.to_element()?);
    message
        .payloads
        .push(Element::builder("store", HINTS).build());
    Ok(message)
}
