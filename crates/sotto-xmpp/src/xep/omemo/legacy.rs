// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! `eu.siacs.conversations.axolotl` (XEP-0384 v0.3), as Conversations,
//! Dino, Gajim and Monal send it.

use xmpp_parsers::minidom::Element;
use xmpp_parsers::minidom::rxml::xml_ncname;

use super::wire::{self, WireError};
use super::{Bundle, Device, DeviceList, Encrypted, KeyEntry, LEGACY_NS as NS, Namespace};

pub(super) fn parse_device_list(element: &Element) -> Result<DeviceList, WireError> {
    wire::expect(element, "list", NS)?;
    let mut list = DeviceList::default();
    for device in element.children().filter(|c| c.is("device", NS)) {
        // Skipped, not fatal: see `DeviceList::parse`.
        if let Ok(id) = wire::device_id(device, "device", "id")
            && !list.contains(id)
        {
            list.devices.push(Device::new(id));
        }
    }
    Ok(list)
}

pub(super) fn device_list(list: &DeviceList) -> Element {
    Element::builder("list", NS)
        .append_all(list.devices.iter().map(|d| {
            Element::builder("device", NS)
                .attr(xml_ncname!("id").into(), d.id.to_string())
                .build()
        }))
        .build()
}

pub(super) fn parse_bundle(element: &Element) -> Result<Bundle, WireError> {
    wire::expect(element, "bundle", NS)?;
    let spk = wire::child(element, "bundle", "signedPreKeyPublic", NS)?;
    let signature = wire::child(element, "bundle", "signedPreKeySignature", NS)?;
    let identity = wire::child(element, "bundle", "identityKey", NS)?;
    let prekeys = wire::child(element, "bundle", "prekeys", NS)?;
    Ok(Bundle {
        signed_prekey_id: wire::u32_attr(spk, "signedPreKeyPublic", "signedPreKeyId")?,
        signed_prekey: wire::decode(spk, "signedPreKeyPublic")?,
        signature: wire::decode(signature, "signedPreKeySignature")?,
        identity_key: wire::decode(identity, "identityKey")?,
        prekeys: prekeys
            .children()
            .filter(|c| c.is("preKeyPublic", NS))
            .map(|pk| {
                Ok((
                    wire::u32_attr(pk, "preKeyPublic", "preKeyId")?,
                    wire::decode(pk, "preKeyPublic")?,
                ))
            })
            .collect::<Result<_, WireError>>()?,
    })
}

pub(super) fn bundle(bundle: &Bundle) -> Element {
    Element::builder("bundle", NS)
        .append(
            Element::builder("signedPreKeyPublic", NS)
                .attr(
                    xml_ncname!("signedPreKeyId").into(),
                    bundle.signed_prekey_id.to_string(),
                )
                .append(wire::encode(&bundle.signed_prekey))
                .build(),
        )
        .append(wire::text_element(
            "signedPreKeySignature",
            NS,
            &bundle.signature,
        ))
        .append(wire::text_element("identityKey", NS, &bundle.identity_key))
        .append(
            Element::builder("prekeys", NS)
                .append_all(bundle.prekeys.iter().map(|(id, key)| {
                    Element::builder("preKeyPublic", NS)
                        .attr(xml_ncname!("preKeyId").into(), id.to_string())
                        .append(wire::encode(key))
                        .build()
                }))
                .build(),
        )
        .build()
}

pub(super) fn parse_encrypted(element: &Element) -> Result<Encrypted, WireError> {
    wire::expect(element, "encrypted", NS)?;
    let header = wire::child(element, "encrypted", "header", NS)?;
    let sid = wire::device_id(header, "header", "sid")?;
    let iv = wire::decode(wire::child(header, "header", "iv", NS)?, "iv")?;
    let keys = header
        .children()
        .filter(|c| c.is("key", NS))
        .map(|key| {
            Ok(KeyEntry {
                jid: None,
                rid: wire::device_id(key, "key", "rid")?,
                data: wire::decode(key, "key")?,
                prekey: wire::bool_attr(key, "key", "prekey")?,
            })
        })
        .collect::<Result<_, WireError>>()?;
    let payload = element
        .get_child("payload", NS)
        .map(|p| wire::decode(p, "payload"))
        .transpose()?;
    Ok(Encrypted {
        namespace: Namespace::Legacy,
        sid,
        keys,
        iv: Some(iv),
        payload,
    })
}

pub(super) fn encrypted(encrypted: &Encrypted) -> Result<Element, WireError> {
    let iv = encrypted.iv.as_ref().ok_or(WireError::Unrepresentable {
        namespace: NS,
        reason: "a legacy message needs an IV",
    })?;
    let header = Element::builder("header", NS)
        .attr(xml_ncname!("sid").into(), encrypted.sid.to_string())
        .append_all(encrypted.keys.iter().map(|key| {
            let mut builder =
                Element::builder("key", NS).attr(xml_ncname!("rid").into(), key.rid.to_string());
            if key.prekey {
                builder = builder.attr(xml_ncname!("prekey").into(), "true");
            }
            builder.append(wire::encode(&key.data)).build()
        }))
        .append(wire::text_element("iv", NS, iv))
        .build();
    let mut builder = Element::builder("encrypted", NS).append(header);
    if let Some(payload) = &encrypted.payload {
        builder = builder.append(wire::text_element("payload", NS, payload));
    }
    Ok(builder.build())
}
