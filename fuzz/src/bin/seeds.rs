// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! Writes the seed corpora under `fuzz/corpus/<target>/seed-*`: real OTR and
//! OMEMO messages made by the engines (from the same fixtures the targets
//! use, so encrypted seeds decrypt there), and handcrafted XML and HTTP.
//! Run it with `cargo run --bin seeds` from `fuzz/` after changing a
//! fixture; the output is committed.

use std::fs;
use std::path::Path;

use sotto_fuzz::{NAMESPACES, OtrPair, now, omemo, omemo_input_of, otr_pair};
use sotto_otr::Action;
use sotto_xmpp::BareJid;
use sotto_xmpp::xep::omemo::{Bundle, Device, DeviceList, Encrypted, KeyEntry, Namespace};
use xmpp_parsers::minidom::Element;

type Seeds = Vec<(&'static str, Vec<u8>)>;

fn wire(actions: Result<Vec<Action>, sotto_otr::Error>) -> Vec<String> {
    actions
        .unwrap_or_default()
        .into_iter()
        .filter_map(|a| match a {
            Action::SendWire(s) => Some(s),
            _ => None,
        })
        .collect()
}

fn otr(seeds: &mut Vec<(&'static str, Seeds)>) -> Option<()> {
    // The AKE as Bob sees it, recorded by replaying a fresh exchange.
    let [a, b] = sotto_fuzz::otr_accounts();
    let mut alice = sotto_otr::Conversation::new(a.clone());
    let mut bob = sotto_otr::Conversation::new(b.clone());
    let (mut ra, mut rb) = (sotto_fuzz::rng(31), sotto_fuzz::rng(32));
    let mut ake = Vec::new();
    let mut to_bob = wire(Ok(alice.start()));
    for _ in 0..4 {
        let mut to_alice = Vec::new();
        for m in to_bob.drain(..) {
            to_alice.extend(wire(bob.receive(&m, now(), &mut rb)));
            ake.push(m);
        }
        for m in to_alice {
            to_bob.extend(wire(alice.receive(&m, now(), &mut ra)));
            ake.push(m);
        }
    }
    let OtrPair {
        mut alice,
        alice_rng: mut ra,
        ..
    } = otr_pair()?;
    let data = wire(alice.send("hello", now(), &mut ra)).pop()?;
    alice.set_max_fragment_size(Some(120));
    let fragments = wire(alice.send("hello in pieces", now(), &mut ra));
    let mut message: Seeds = ake
        .iter()
        .enumerate()
        .map(|(i, m)| {
            (
                [
                    "seed-ake0",
                    "seed-ake1",
                    "seed-ake2",
                    "seed-ake3",
                    "seed-ake4",
                    "seed-ake5",
                ][i.min(5)],
                m.clone().into_bytes(),
            )
        })
        .collect();
    message.push(("seed-data", data.clone().into_bytes()));
    message.push((
        "seed-error",
        b"?OTR Error: You sent encrypted data which was unexpected".to_vec(),
    ));
    message.push((
        "seed-tagged",
        b"hi \x20\x09\x20\x20\x09\x09\x09\x09\x20\x09\x20\x09\x20\x09\x20\x20\x20\x20\x09\x09\x20\x20\x09\x09".to_vec(),
    ));
    seeds.push(("otr_message", message));
    seeds.push((
        "otr_fragments",
        vec![("seed-v3", fragments.join("\n").into_bytes())],
    ));
    let mut conversation: Seeds = vec![
        ("seed-query", b"\x00?OTRv23?".to_vec()),
        ("seed-data", [b"\x01".as_slice(), data.as_bytes()].concat()),
        (
            "seed-fragments",
            [b"\x01".as_slice(), fragments.join("\0").as_bytes()].concat(),
        ),
    ];
    if let Some(commit) = ake.get(1) {
        conversation.push((
            "seed-commit",
            [b"\x00".as_slice(), commit.as_bytes()].concat(),
        ));
    }
    seeds.push(("otr_conversation", conversation));
    // TLVs: padding, SMP1 with six small MPIs, abort.
    let mut tlv = b"text\0".to_vec();
    tlv.extend_from_slice(&[0, 0, 0, 2, 0, 0]);
    let mut smp1 = vec![0, 0, 0, 6];
    for _ in 0..6 {
        smp1.extend_from_slice(&[0, 0, 0, 1, 2]);
    }
    tlv.extend_from_slice(&[0, 2, 0, u8::try_from(smp1.len()).ok()?]);
    tlv.extend_from_slice(&smp1);
    tlv.extend_from_slice(&[0, 6, 0, 0]);
    seeds.push(("otr_tlv", vec![("seed-smp1", tlv)]));
    let keys = include_bytes!("../../../crates/sotto-otr/src/pidgin/testdata/otr.private_key");
    seeds.push((
        "otr_pidgin",
        vec![
            ("seed-private-key", keys.to_vec()),
            (
                "seed-fingerprints",
                b"me@example.org\tyou@example.org\tprpl-jabber\t0123456789abcdef0123456789abcdef01234567\tverified\n".to_vec(),
            ),
        ],
    ));
    Some(())
}

fn xml(e: &Element) -> Vec<u8> {
    String::from(e).into_bytes()
}

fn omemo_seeds(seeds: &mut Vec<(&'static str, Seeds)>) -> Option<()> {
    let f = omemo()?;
    let mut wire_seeds = Seeds::new();
    let mut decrypt = Seeds::new();
    let mut xml_seeds = Seeds::new();
    let mut stanzas = Seeds::new();
    for (i, ns) in NAMESPACES.into_iter().enumerate() {
        let legacy = ns == sotto_omemo::Namespace::Legacy;
        let kex = &f.key_exchanges[i];
        let msg = &f.messages[i];
        wire_seeds.push((
            ["seed-legacy-kex", "seed-v2-kex"][i],
            kex.keys.first()?.data.clone(),
        ));
        wire_seeds.push((
            ["seed-legacy-msg", "seed-v2-msg"][i],
            msg.keys.first()?.data.clone(),
        ));
        decrypt.push((
            ["seed-legacy-kex", "seed-v2-kex"][i],
            omemo_input_of(kex, false)?,
        ));
        decrypt.push((
            ["seed-legacy-msg", "seed-v2-msg"][i],
            omemo_input_of(msg, true)?,
        ));
        let xns = if legacy {
            Namespace::Legacy
        } else {
            Namespace::V2
        };
        let bob: BareJid = sotto_fuzz::BOB.parse().ok()?;
        let element = Encrypted {
            namespace: xns,
            sid: msg.sender_device_id,
            keys: msg
                .keys
                .iter()
                .map(|k| KeyEntry {
                    jid: (!legacy).then(|| bob.clone()),
                    rid: k.device_id,
                    data: k.data.clone(),
                    prekey: k.key_exchange,
                })
                .collect(),
            iv: msg.iv.clone(),
            payload: msg.payload.clone(),
        }
        .to_element()
        .ok()?;
        xml_seeds.push((
            ["seed-legacy-encrypted", "seed-v2-encrypted"][i],
            xml(&element),
        ));
        let message = format!(
            "<message xmlns='jabber:client' from='alice@example.org/phone' \
             to='me@example.org/sotto' type='chat' id='m1'>{}</message>",
            String::from(&element)
        );
        stanzas.push((
            ["seed-legacy-omemo", "seed-v2-omemo"][i],
            message.into_bytes(),
        ));
        let own = sotto_omemo::device::own_bundle(&f.store, ns).ok()?;
        let bundle = Bundle {
            signed_prekey_id: own.spk_id,
            signed_prekey: own.spk_wire(),
            signature: own.spk_signature.to_vec(),
            identity_key: own.identity_wire(),
            prekeys: own.prekeys_wire().into_iter().take(3).collect(),
        };
        xml_seeds.push((
            ["seed-legacy-bundle", "seed-v2-bundle"][i],
            xml(&bundle.to_element(xns)),
        ));
        let list = DeviceList {
            devices: vec![Device::new(1), Device::new(f.device.device_id)],
        };
        xml_seeds.push((
            ["seed-legacy-devices", "seed-v2-devices"][i],
            xml(&list.to_element(xns)),
        ));
    }
    seeds.push(("omemo_wire", wire_seeds));
    seeds.push(("omemo_decrypt", decrypt));
    seeds.push(("omemo_xml", xml_seeds));
    seeds.push((
        "sce_envelope",
        vec![(
            "seed-envelope",
            b"<envelope xmlns='urn:xmpp:sce:1'><content><body xmlns='jabber:client'>hello</body></content><rpad>abc</rpad><time stamp='2026-01-01T00:00:00Z'/><to jid='bob@example.org'/><from jid='alice@example.org'/></envelope>".to_vec(),
        )],
    ));
    stanzas.extend(handcrafted_stanzas());
    seeds.push(("stanza", stanzas));
    Some(())
}

fn handcrafted_stanzas() -> Seeds {
    let s = |name, text: &str| (name, text.as_bytes().to_vec());
    vec![
        s(
            "seed-chat",
            "<message xmlns='jabber:client' from='you@example.org/pc' to='me@example.org/sotto' type='chat' id='a1'><body>hi</body><request xmlns='urn:xmpp:receipts'/><active xmlns='http://jabber.org/protocol/chatstates'/><origin-id xmlns='urn:xmpp:sid:0' id='o1'/></message>",
        ),
        s(
            "seed-otr",
            "<message xmlns='jabber:client' from='you@example.org/pc' type='chat' id='a2'><body>?OTRv23?</body><encryption xmlns='urn:xmpp:eme:0' namespace='urn:xmpp:otr:0'/></message>",
        ),
        s(
            "seed-carbon",
            "<message xmlns='jabber:client' from='me@example.org' to='me@example.org/sotto' type='chat'><received xmlns='urn:xmpp:carbons:2'><forwarded xmlns='urn:xmpp:forward:0'><delay xmlns='urn:xmpp:delay' stamp='2026-01-01T00:00:00Z'/><message xmlns='jabber:client' from='you@example.org/pc' to='me@example.org/phone' type='chat' id='c1'><body>carbon</body></message></forwarded></received></message>",
        ),
        s(
            "seed-mam",
            "<message xmlns='jabber:client' to='me@example.org/sotto'><result xmlns='urn:xmpp:mam:2' queryid='fuzz-mam' id='r1'><forwarded xmlns='urn:xmpp:forward:0'><delay xmlns='urn:xmpp:delay' stamp='2026-01-01T00:00:00Z'/><message xmlns='jabber:client' from='you@example.org/pc' to='me@example.org' type='chat'><body>old</body></message></forwarded></result></message>",
        ),
        s(
            "seed-receipt",
            "<message xmlns='jabber:client' from='you@example.org/pc' id='a3'><received xmlns='urn:xmpp:receipts' id='m1'/></message>",
        ),
        s(
            "seed-pep",
            "<message xmlns='jabber:client' from='you@example.org' to='me@example.org/sotto'><event xmlns='http://jabber.org/protocol/pubsub#event'><items node='urn:xmpp:omemo:2:devices'><item id='current'><devices xmlns='urn:xmpp:omemo:2'><device id='12345' label='phone'/></devices></item></items></event></message>",
        ),
        s(
            "seed-pep-legacy",
            "<message xmlns='jabber:client' from='you@example.org'><event xmlns='http://jabber.org/protocol/pubsub#event'><items node='eu.siacs.conversations.axolotl.devicelist'><item id='current'><list xmlns='eu.siacs.conversations.axolotl'><device id='42'/></list></item></items></event></message>",
        ),
        s(
            "seed-roster-push",
            "<iq xmlns='jabber:client' type='set' id='p1'><query xmlns='jabber:iq:roster' ver='v2'><item jid='you@example.org' name='You' subscription='both'><group>Friends</group></item></query></iq>",
        ),
        s(
            "seed-block-push",
            "<iq xmlns='jabber:client' type='set' id='p2' from='me@example.org'><block xmlns='urn:xmpp:blocking'><item jid='spam@example.org/x'/></block></iq>",
        ),
        s(
            "seed-ping",
            "<iq xmlns='jabber:client' type='get' id='p3' from='example.org'><ping xmlns='urn:xmpp:ping'/></iq>",
        ),
        s(
            "seed-disco",
            "<iq xmlns='jabber:client' type='get' id='p4' from='you@example.org/pc'><query xmlns='http://jabber.org/protocol/disco#info' node='urn:xmpp:sotto#abc'/></iq>",
        ),
        s(
            "seed-result",
            "<iq xmlns='jabber:client' type='result' id='fuzz-iq'><query xmlns='jabber:iq:roster' ver='v1'><item jid='you@example.org' subscription='to'/></query></iq>",
        ),
        s(
            "seed-error",
            "<iq xmlns='jabber:client' type='error' id='fuzz-iq'><error type='cancel'><item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>",
        ),
        s(
            "seed-presence",
            "<presence xmlns='jabber:client' from='you@example.org/pc'><show>away</show><status>out</status><priority>5</priority><c xmlns='http://jabber.org/protocol/caps' hash='sha-1' node='n' ver='v'/></presence>",
        ),
        s(
            "seed-subscribe",
            "<presence xmlns='jabber:client' from='you@example.org' type='subscribe'/>",
        ),
    ]
}

fn other_seeds(seeds: &mut Vec<(&'static str, Seeds)>) {
    let s = |name, text: &str| (name, text.as_bytes().to_vec());
    seeds.push((
        "iq_answer",
        vec![
            s("seed-devices", "<pubsub xmlns='http://jabber.org/protocol/pubsub'><items node='urn:xmpp:omemo:2:devices'><item id='current'><devices xmlns='urn:xmpp:omemo:2'><device id='1'/><device id='2' label='x'/></devices></item></items></pubsub>"),
            s("seed-bundle", "<pubsub xmlns='http://jabber.org/protocol/pubsub'><items node='eu.siacs.conversations.axolotl.bundles:1'><item id='current'><bundle xmlns='eu.siacs.conversations.axolotl'><signedPreKeyPublic signedPreKeyId='1'>BQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA</signedPreKeyPublic><signedPreKeySignature>AAAA</signedPreKeySignature><identityKey>BQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA</identityKey><prekeys><preKeyPublic preKeyId='1'>BQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA</preKeyPublic></prekeys></bundle></item></items></pubsub>"),
            s("seed-disco", "<query xmlns='http://jabber.org/protocol/disco#info'><identity category='store' type='file' name='HTTP File Upload'/><feature var='urn:xmpp:http:upload:0'/><feature var='urn:xmpp:mam:2'/><feature var='urn:xmpp:carbons:2'/><x xmlns='jabber:x:data' type='result'><field var='FORM_TYPE' type='hidden'><value>urn:xmpp:http:upload:0</value></field><field var='max-file-size'><value>1048576</value></field></x></query>"),
        ],
    ));
    seeds.push((
        "aesgcm_link",
        vec![
            s(
                "seed-aesgcm",
                &format!(
                    "aesgcm://up.example.org/s/b%C3%A9ach.jpg#{}{}",
                    "0a".repeat(12),
                    "1f".repeat(32)
                ),
            ),
            s("seed-https", "https://up.example.org:5281/s/report.pdf?x=1"),
            s(
                "seed-iv16",
                &format!("aesgcm://[::1]:8443/f.png#{}", "ab".repeat(48)),
            ),
        ],
    ));
    seeds.push((
        "http_response",
        vec![
            s("seed-length", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Type: text/plain\r\n\r\nhello"),
            s("seed-chunked", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n3\r\nabc\r\n0\r\n\r\n"),
            s("seed-eof", "HTTP/1.0 200 OK\n\nto the end"),
            s("seed-404", "HTTP/1.1 404 Not Found\r\n\r\n"),
        ],
    ));
}

fn main() -> std::io::Result<()> {
    let mut seeds = Vec::new();
    if otr(&mut seeds).is_none() {
        eprintln!("the OTR fixture did not reach an encrypted session");
    }
    if omemo_seeds(&mut seeds).is_none() {
        eprintln!("the OMEMO fixture failed");
    }
    other_seeds(&mut seeds);
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus");
    for (target, files) in seeds {
        let dir = root.join(target);
        fs::create_dir_all(&dir)?;
        for (name, bytes) in files {
            fs::write(dir.join(name), bytes)?;
        }
    }
    Ok(())
}
