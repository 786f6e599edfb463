// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

#![allow(clippy::unwrap_used)]

use proptest::prelude::*;
use xmpp_parsers::jid::{BareJid, Jid};
use xmpp_parsers::minidom::Element;

use super::*;

fn xml(s: &str) -> Element {
    s.parse().unwrap()
}

/// A bundle as Conversations publishes it.
const CONVERSATIONS_BUNDLE: &str = r#"<bundle xmlns="eu.siacs.conversations.axolotl">
  <signedPreKeyPublic signedPreKeyId="1">BYAbACA15bPn95p7RGC2XbgQyly8aRKS4BaJ+hD8Ybhe</signedPreKeyPublic>
  <signedPreKeySignature>sIJVNDZi/NgFsry4OBdM+adyGttLEXbUh/h/5dVOZveMgyVoIdgwBUzq8Wgd2xYTQMioNzwYebTX+9p0h9eujA==</signedPreKeySignature>
  <identityKey>BQFd2p/Oq97vAAdLKA09DlcSg0x1xWn260p1jaeyIhAZ</identityKey>
  <prekeys>
    <preKeyPublic preKeyId="1">BbjHsF5ndtNV8ToRcJTYSNGePgAWsFGkSL6OG7B7LXRe</preKeyPublic>
    <preKeyPublic preKeyId="2">BeWHsbBNx1uer1ia/nW/6tn/OlqHll9itjjUTIvV39x7</preKeyPublic>
    <preKeyPublic preKeyId="3">BeVr5xPmNErkwK3ocPmv0Nohy3C4PKQBnxMuOqiXotJY</preKeyPublic>
  </prekeys>
</bundle>"#;

/// A message as Conversations sends it (key exchange to one device, two established).
const CONVERSATIONS_MESSAGE: &str = r#"<encrypted xmlns="eu.siacs.conversations.axolotl">
  <header sid="564866972">
    <key prekey="true" rid="1236">Mwjp9AESIQVylscLPpj/HlowaTiIsaBj73HCVEllXpVTtMG9EYwRexohBQFd2p/Oq97vAAdLKA09DlcSg0x1xWn260p1jaeyIhAZImIzCiEFhaQ4I+DuQgo6vCLCjHu4uewDZmWHuBl8uJw1IkyZxhUQABgAIjCoEVgVThWlaIlnN3V5Bg1hQX7OD1cvstLD5lH3zZMadL3KeONELESlBbeKmNgcYC/e3HZnbgWzBiic36yNAjAW</key>
    <key rid="26052318">MwohBTV6dpumL1OxA9MdIFmu2E19+cIWDHWYfhdubvo0hmh6EAAYHCIwNc9/59eeYi8pVZQhMJJMVkKUkFP/yrTfG3o1lfpHGseCqb/JTgtDytQPiYrTpHl2V/mdsM6IPig=</key>
    <key rid="1164059891">MwohBVnhz9pvEj1s1waEHuk5qpQqhUrpavycFz0hq/KYwI8oEAAYCSIwedEGN6MidxyvaPI8zorLcpG0Y7e7ecGkkd5vdDrL7Qt1tXaHb0iDyE/rZZHpFiNN38Izfp5vHv4=</key>
    <iv>SY/SCGPt0CnA2odB</iv>
  </header>
  <payload>Vas=</payload>
</encrypted>"#;

/// XEP-0384 v0.8 examples (with real base64 where the XEP elides it).
const V2_DEVICES: &str = r#"<devices xmlns='urn:xmpp:omemo:2'>
  <device id='12345' />
  <device id='4223' label='Gajim on Ubuntu Linux' />
</devices>"#;

const V2_BUNDLE: &str = r#"<bundle xmlns='urn:xmpp:omemo:2'>
  <spk id='0'>gAbfAUW2qnxqPS8rUPmxMyqiVp4DzGTgplNEvyalLDY=</spk>
  <spks>f/l1bEJ7a7rX8cG9Iv0Qc8hz9s+m5vK6ucHTqrVMLGQ+v2W6oq2BNwlChm6r5ZpsE9Ir0fp2GLeUh0iXKZUhDQ==</spks>
  <ik>pSPXwWZ7mScJ1lQkj6tH0mwlYf1wEQJNy9sKrQjPAsE=</ik>
  <prekeys>
    <pk id='0'>yr7s+OvnnCtoxCEmIWqlDJ+3PP5MnQwKsKg0FVfRXE0=</pk>
    <pk id='1'>vfmWe0K8GIWc3UN+F6DoV8jSKIGhIE91DjyWaySjDEk=</pk>
  </prekeys>
</bundle>"#;

const V2_MESSAGE: &str = r#"<encrypted xmlns='urn:xmpp:omemo:2'>
  <header sid='27183'>
    <keys jid='juliet@capulet.lit'>
      <key rid='31415'>TWVzc2FnZUtleUZvckp1bGlldA==</key>
    </keys>
    <keys jid='romeo@montague.lit'>
      <key rid='1337'>S2V5Rm9yUm9tZW8xMzM3</key>
      <key kex='true' rid='12321'>S2V4Rm9yUm9tZW8xMjMyMQ==</key>
    </keys>
  </header>
  <payload>UGF5bG9hZA==</payload>
</encrypted>"#;

#[test]
fn conversations_bundle_parses_and_round_trips() {
    let bundle = Bundle::parse(&xml(CONVERSATIONS_BUNDLE), Namespace::Legacy).unwrap();
    assert_eq!(bundle.signed_prekey_id, 1);
    assert_eq!(bundle.signed_prekey.len(), 33);
    assert_eq!(bundle.signed_prekey[0], 0x05);
    assert_eq!(bundle.signature.len(), 64);
    assert_eq!(bundle.identity_key.len(), 33);
    assert_eq!(
        bundle.prekeys.iter().map(|(id, _)| *id).collect::<Vec<_>>(),
        [1, 2, 3]
    );
    let again = Bundle::parse(&bundle.to_element(Namespace::Legacy), Namespace::Legacy).unwrap();
    assert_eq!(again, bundle);
    // The wrong namespace is a clear error, not a silent empty bundle.
    assert!(matches!(
        Bundle::parse(&xml(CONVERSATIONS_BUNDLE), Namespace::V2),
        Err(WireError::WrongElement { .. })
    ));
}

#[test]
fn conversations_message_parses_and_round_trips() {
    let encrypted = Encrypted::parse(&xml(CONVERSATIONS_MESSAGE)).unwrap();
    assert_eq!(encrypted.namespace, Namespace::Legacy);
    assert_eq!(encrypted.sid, 564866972);
    assert_eq!(encrypted.keys.len(), 3);
    assert!(encrypted.keys[0].prekey && encrypted.keys[0].rid == 1236);
    assert!(!encrypted.keys[1].prekey);
    assert_eq!(encrypted.keys[1].data[0], 0x33, "libsignal version byte");
    assert_eq!(encrypted.iv.as_deref().map(<[u8]>::len), Some(12));
    assert_eq!(encrypted.payload, Some(vec![85, 171]));
    let own = BareJid::new("me@example.org").unwrap();
    assert_eq!(encrypted.keys_for(&own, 26052318).count(), 1);
    assert_eq!(
        Encrypted::parse(&encrypted.to_element().unwrap()).unwrap(),
        encrypted
    );
}

#[test]
fn legacy_device_list_round_trips_and_skips_junk() {
    let list = DeviceList::parse(
        &xml(r#"<list xmlns="eu.siacs.conversations.axolotl">
  <device id="1164059891" />
  <device id="26052318" />
  <device id="not-a-number" />
  <device />
  <device id="0" />
  <device id="26052318" />
  <device id="564866972" />
</list>"#),
        Namespace::Legacy,
    )
    .unwrap();
    assert_eq!(
        list.ids().collect::<Vec<_>>(),
        [1164059891, 26052318, 564866972]
    );
    let element = list.to_element(Namespace::Legacy);
    assert!(element.is("list", LEGACY_NS));
    assert_eq!(
        DeviceList::parse(&element, Namespace::Legacy).unwrap(),
        list
    );
    let empty = DeviceList::parse(
        &xml("<list xmlns='eu.siacs.conversations.axolotl'/>"),
        Namespace::Legacy,
    )
    .unwrap();
    assert!(empty.devices.is_empty());
}

#[test]
fn v2_examples_parse_and_round_trip() {
    let list = DeviceList::parse(&xml(V2_DEVICES), Namespace::V2).unwrap();
    assert_eq!(
        list.devices,
        [
            Device::new(12345),
            Device {
                id: 4223,
                label: Some("Gajim on Ubuntu Linux".into())
            }
        ]
    );
    assert_eq!(
        DeviceList::parse(&list.to_element(Namespace::V2), Namespace::V2).unwrap(),
        list
    );

    let bundle = Bundle::parse(&xml(V2_BUNDLE), Namespace::V2).unwrap();
    assert_eq!(bundle.signed_prekey_id, 0);
    assert_eq!(bundle.identity_key.len(), 32);
    assert_eq!(bundle.signature.len(), 64);
    assert_eq!(bundle.prekeys.len(), 2);
    assert_eq!(
        Bundle::parse(&bundle.to_element(Namespace::V2), Namespace::V2).unwrap(),
        bundle
    );

    let encrypted = Encrypted::parse(&xml(V2_MESSAGE)).unwrap();
    assert_eq!(encrypted.namespace, Namespace::V2);
    assert_eq!(encrypted.sid, 27183);
    assert_eq!(encrypted.iv, None);
    let romeo = BareJid::new("romeo@montague.lit").unwrap();
    let juliet = BareJid::new("juliet@capulet.lit").unwrap();
    assert_eq!(
        encrypted.keys_for(&romeo, 12321).next().map(|k| k.prekey),
        Some(true)
    );
    assert_eq!(encrypted.keys_for(&juliet, 12321).count(), 0);
    assert_eq!(encrypted.keys_for(&juliet, 31415).count(), 1);
    let rebuilt = encrypted.to_element().unwrap();
    assert_eq!(
        rebuilt.children().next().unwrap().children().count(),
        2,
        "grouped by JID"
    );
    assert_eq!(Encrypted::parse(&rebuilt).unwrap(), encrypted);
}

#[test]
fn key_transport_messages_have_no_payload() {
    let mut encrypted = Encrypted::parse(&xml(V2_MESSAGE)).unwrap();
    encrypted.payload = None;
    let element = encrypted.to_element().unwrap();
    assert!(element.get_child("payload", V2_NS).is_none());
    assert_eq!(Encrypted::parse(&element).unwrap().payload, None);
}

#[test]
fn malformed_elements_give_clear_errors() {
    let cases: &[(&str, WireError)] = &[
        (
            "<encrypted xmlns='eu.siacs.conversations.axolotl'/>",
            WireError::MissingChild {
                element: "encrypted",
                child: "header",
            },
        ),
        (
            "<encrypted xmlns='eu.siacs.conversations.axolotl'><header sid='1'/></encrypted>",
            WireError::MissingChild {
                element: "header",
                child: "iv",
            },
        ),
        (
            "<encrypted xmlns='eu.siacs.conversations.axolotl'><header sid='x'><iv>AAAA</iv></header></encrypted>",
            WireError::BadAttribute {
                element: "header",
                attribute: "sid",
            },
        ),
        (
            "<encrypted xmlns='eu.siacs.conversations.axolotl'><header sid='1'><key rid='2'>!!</key><iv>AAAA</iv></header></encrypted>",
            WireError::BadBase64("key"),
        ),
        (
            "<encrypted xmlns='eu.siacs.conversations.axolotl'><header sid='1'><key rid='2' prekey='maybe'>AAAA</key><iv>AAAA</iv></header></encrypted>",
            WireError::BadAttribute {
                element: "key",
                attribute: "prekey",
            },
        ),
        (
            "<encrypted xmlns='urn:xmpp:omemo:2'><header sid='1'><keys><key rid='2'>AAAA</key></keys></header></encrypted>",
            WireError::MissingAttribute {
                element: "keys",
                attribute: "jid",
            },
        ),
        (
            "<encrypted xmlns='urn:xmpp:omemo:2'><header sid='1'><keys jid='@@'><key rid='2'>AAAA</key></keys></header></encrypted>",
            WireError::BadAttribute {
                element: "keys",
                attribute: "jid",
            },
        ),
        (
            "<encrypted xmlns='urn:xmpp:omemo:2'><header sid='1'/><payload></payload></encrypted>",
            WireError::BadBase64("payload"),
        ),
        (
            "<encrypted xmlns='urn:xmpp:omemo:1'/>",
            WireError::WrongElement {
                expected: "encrypted",
                found: "<encrypted> in \"urn:xmpp:omemo:1\"".into(),
            },
        ),
    ];
    for (input, expected) in cases {
        assert_eq!(
            &Encrypted::parse(&xml(input)).unwrap_err(),
            expected,
            "{input}"
        );
    }
    let bundle =
        "<bundle xmlns='urn:xmpp:omemo:2'><spk id='1'>AAAA</spk><ik>AAAA</ik><prekeys/></bundle>";
    assert_eq!(
        Bundle::parse(&xml(bundle), Namespace::V2).unwrap_err(),
        WireError::MissingChild {
            element: "bundle",
            child: "spks"
        }
    );
    assert!(WireError::BadBase64("key").to_string().contains("<key>"));
}

#[test]
fn what_cannot_be_expressed_is_refused() {
    let mut encrypted = Encrypted::parse(&xml(CONVERSATIONS_MESSAGE)).unwrap();
    encrypted.iv = None;
    assert!(matches!(
        encrypted.to_element(),
        Err(WireError::Unrepresentable { .. })
    ));
    let mut encrypted = Encrypted::parse(&xml(V2_MESSAGE)).unwrap();
    encrypted.keys[0].jid = None;
    assert!(matches!(
        encrypted.to_element(),
        Err(WireError::Unrepresentable { .. })
    ));
}

#[test]
fn outgoing_message_carries_fallback_eme_store_hint_and_receipt_request() {
    let encrypted = Encrypted::parse(&xml(CONVERSATIONS_MESSAGE)).unwrap();
    let to = Jid::new("juliet@capulet.lit").unwrap();
    let message = message(to, "abc-1", std::slice::from_ref(&encrypted)).unwrap();
    let raw = String::from(&Element::from(message.clone()));
    assert!(raw.contains(FALLBACK_BODY), "{raw}");
    // Quote style is the serializer's business.
    let xml = raw.replace('\'', "\"");
    assert!(
        xml.contains("urn:xmpp:eme:0")
            && xml.contains("namespace=\"eu.siacs.conversations.axolotl\""),
        "{xml}"
    );
    assert!(xml.contains("<store xmlns=\"urn:xmpp:hints\""), "{xml}");
    assert!(
        xml.contains("urn:xmpp:receipts") && xml.contains("origin-id"),
        "{xml}"
    );
    assert!(
        !xml.contains("urn:xmpp:carbons:2"),
        "carbons must copy OMEMO messages: {xml}"
    );
    let found = find_encrypted(&message.payloads).unwrap().unwrap();
    assert_eq!(found, encrypted);
}

#[test]
fn nodes_and_namespaces() {
    assert_eq!(
        Namespace::Legacy.bundle_node(42),
        "eu.siacs.conversations.axolotl.bundles:42"
    );
    assert_eq!(Namespace::V2.bundle_node(42), "urn:xmpp:omemo:2:bundles");
    assert_eq!(Namespace::V2.bundle_item_id(42), "42");
    assert_eq!(
        Namespace::from_device_list_node(V2_DEVICE_LIST_NODE),
        Some(Namespace::V2)
    );
    assert_eq!(
        Namespace::from_device_list_node("urn:xmpp:avatar:data"),
        None
    );
    assert_eq!(Namespace::from_xmlns(LEGACY_NS), Some(Namespace::Legacy));
}

#[test]
fn debug_shows_no_key_material() {
    let bundle = Bundle::parse(&xml(CONVERSATIONS_BUNDLE), Namespace::Legacy).unwrap();
    let encrypted = Encrypted::parse(&xml(CONVERSATIONS_MESSAGE)).unwrap();
    let shown = format!("{bundle:?} {encrypted:?}");
    assert!(
        !shown.contains("data") && !shown.contains("[5,") && !shown.contains("85"),
        "{shown}"
    );
}

fn parse_everything(element: &Element) {
    let _ = Encrypted::parse(element);
    for ns in Namespace::ALL {
        let _ = DeviceList::parse(element, ns);
        let _ = Bundle::parse(element, ns);
    }
}

proptest! {
    #[test]
    fn random_strings_never_panic(s in "\\PC{0,300}") {
        if let Ok(element) = s.parse::<Element>() {
            parse_everything(&element);
        }
        for wrapped in [
            format!("<encrypted xmlns='eu.siacs.conversations.axolotl'>{s}</encrypted>"),
            format!("<encrypted xmlns='urn:xmpp:omemo:2'><header sid='{s}'>{s}</header><payload>{s}</payload></encrypted>"),
            format!("<bundle xmlns='urn:xmpp:omemo:2'><spk id='1'>{s}</spk><spks>{s}</spks><ik>{s}</ik><prekeys>{s}</prekeys></bundle>"),
            format!("<list xmlns='eu.siacs.conversations.axolotl'><device id='{s}'/>{s}</list>"),
        ] {
            if let Ok(element) = wrapped.parse::<Element>() {
                parse_everything(&element);
            }
        }
    }

    #[test]
    fn structured_garbage_never_panics(
        sid in "[0-9a-z-]{0,12}",
        rid in "[0-9a-z-]{0,12}",
        flag in "(true|false|1|0|yes|)",
        data in "[A-Za-z0-9+/=\\s!]{0,40}",
        jid in "[a-z@./]{0,20}",
    ) {
        for ns in [LEGACY_NS, V2_NS] {
            let input = format!(
                "<encrypted xmlns='{ns}'><header sid='{sid}'><keys jid='{jid}'><key rid='{rid}' kex='{flag}'>{data}</key></keys>\
                 <key rid='{rid}' prekey='{flag}'>{data}</key><iv>{data}</iv></header><payload>{data}</payload></encrypted>"
            );
            if let Ok(element) = input.parse::<Element>() {
                parse_everything(&element);
            }
        }
    }

    #[test]
    fn bundles_round_trip(
        spk_id in any::<u32>(),
        keys in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 1..40), 3),
        prekeys in proptest::collection::vec((any::<u32>(), proptest::collection::vec(any::<u8>(), 1..40)), 0..5),
    ) {
        let bundle = Bundle {
            signed_prekey_id: spk_id,
            signed_prekey: keys[0].clone(),
            signature: keys[1].clone(),
            identity_key: keys[2].clone(),
            prekeys,
        };
        for ns in Namespace::ALL {
            prop_assert_eq!(&Bundle::parse(&bundle.to_element(ns), ns).unwrap(), &bundle);
        }
    }
}
