// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! `urn:xmpp:omemo:2` (XEP-0384 v0.8 and later).

use xmpp_parsers::jid::BareJid;
use xmpp_parsers::minidom::Element;
use xmpp_parsers::minidom::rxml::xml_ncname;

use super::wire::{self, WireError};
use super::{Bundle, Device, DeviceList, Encrypted, KeyEntry, Namespace, V2_NS as NS};

pub(super) fn parse_device_list(element: &Element) -> Result<DeviceList, WireError> {
    wire::expect(element, "devices", NS)?;
    let mut list = DeviceList::default();
    for device in element.children().filter(|c| c.is("device", NS)) {
        // Skipped, not fatal: see `DeviceList::parse`.
        if let Ok(id) = wire::device_id(device, "device", "id")
            && !list.contains(id)
        {
            list.devices.push(Device {
                id,
                label: device.attr("label").map(str::to_owned),
            });
        }
    }
    Ok(list)
}

pub(super) fn device_list(list: &DeviceList) -> Element {
    Element::builder("devices", NS)
        .append_all(list.devices.iter().map(|d| {
            let mut builder =
                Element::builder("device", NS).attr(xml_ncname!("id").into(), d.id.to_string());
            if let Some(label) = &d.label {
                builder = builder.attr(xml_ncname!("label").into(), label.as_str());
            }
            builder.build()
        }))
        .build()
}

pub(super) fn parse_bundle(element: &Element) -> Result<Bundle, WireError> {
    wire::expect(element, "bundle", NS)?;
    let spk = wire::child(element, "bundle", "spk", NS)?;
    let spks = wire::child(element, "bundle", "spks", NS)?;
    let ik = wire::child(element, "bundle", "ik", NS)?;
    let prekeys = wire::child(element, "bundle", "prekeys", NS)?;
    Ok(Bundle {
        signed_prekey_id: wire::u32_attr(spk, "spk", "id")?,
        signed_prekey: wire::decode(spk, "spk")?,
        signature: wire::decode(spks, "spks")?,
        identity_key: wire::decode(ik, "ik")?,
        prekeys: prekeys
            .children()
            .filter(|c| c.is("pk", NS))
            .map(|pk| Ok((wire::u32_attr(pk, "pk", "id")?, wire::decode(pk, "pk")?)))
            .collect::<Result<_, WireError>>()?,
    })
}

pub(super) fn bundle(bundle: &Bundle) -> Element {
    Element::builder("bundle", NS)
        .append(
            Element::builder("spk", NS)
                .attr(
                    xml_ncname!("id").into(),
                    bundle.signed_prekey_id.to_string(),
                )
                .append(wire::encode(&bundle.signed_prekey))
                .build(),
        )
        .append(wire::text_element("spks", NS, &bundle.signature))
        .append(wire::text_element("ik", NS, &bundle.identity_key))
        .append(
            Element::builder("prekeys", NS)
                .append_all(bundle.prekeys.iter().map(|(id, key)| {
                    Element::builder("pk", NS)
                        .attr(xml_ncname!("id").into(), id.to_string())
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
    let mut keys = Vec::new();
    for group in header.children().filter(|c| c.is("keys", NS)) {
        let jid = group.attr("jid").ok_or(WireError::MissingAttribute {
            element: "keys",
            attribute: "jid",
        })?;
        let jid = BareJid::new(jid.trim()).map_err(|_| WireError::BadAttribute {
            element: "keys",
            attribute: "jid",
        })?;
        for key in group.children().filter(|c| c.is("key", NS)) {
            keys.push(KeyEntry {
                jid: Some(jid.clone()),
                rid: wire::device_id(key, "key", "rid")?,
                data: wire::decode(key, "key")?,
                prekey: wire::bool_attr(key, "key", "kex")?,
            });
        }
    }
    let payload = element
        .get_child("payload", NS)
        .map(|p| wire::decode(p, "payload"))
        .transpose()?;
    Ok(Encrypted {
        namespace: Namespace::V2,
        sid,
        keys,
        iv: None,
        payload,
    })
}

pub(super) fn encrypted(encrypted: &Encrypted) -> Result<Element, WireError> {
    // Group by JID in order of first appearance.
    let mut groups: Vec<(&BareJid, Vec<&KeyEntry>)> = Vec::new();
    for key in &encrypted.keys {
        let jid = key.jid.as_ref().ok_or(WireError::Unrepresentable {
            namespace: NS,
            reason: "every OMEMO 2 key needs the recipient's JID",
        })?;
        match groups.iter_mut().find(|(j, _)| *j == jid) {
            Some((_, keys)) => keys.push(key),
            None => groups.push((jid, vec![key])),
        }
    }
    let header = Element::builder("header", NS)
        .attr(xml_ncname!("sid").into(), encrypted.sid.to_string())
        .append_all(groups.into_iter().map(|(jid, keys)| {
            Element::builder("keys", NS)
                .attr(xml_ncname!("jid").into(), jid.to_string())
                .append_all(keys.into_iter().map(|key| {
                    let mut builder = Element::builder("key", NS)
                        .attr(xml_ncname!("rid").into(), key.rid.to_string());
                    if key.prekey {
                        builder = builder.attr(xml_ncname!("kex").into(), "true");
                    }
                    builder.append(wire::encode(&key.data)).build()
                }))
                .build()
        }))
        .build();
    let mut builder = Element::builder("encrypted", NS).append(header);
    if let Some(payload) = &encrypted.payload {
        builder = builder.append(wire::text_element("payload", NS, payload));
    }
    Ok(builder.build())
}
