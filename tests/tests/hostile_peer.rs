// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! A hostile peer's stanzas against a Sotto core, through a real Prosody and
//! ejabberd: forged carbons, roster pushes, archive results, receipts and
//! PEP notifications; malformed and oversized OMEMO elements; broken OTR
//! messages; floods. Each case is named (the list is in `docs/testing.md`).
//!
//! For every case, while it runs: a message from another contact arrives
//! within one second (the account task is not stalled), and nothing forged
//! is stored. After all cases: the roster, our messages' states and an OMEMO
//! session with the real contact are intact (the next honest message
//! decrypts both ways).

#![allow(clippy::unwrap_used)]

use std::time::{Duration, Instant};

use sotto_core::{Command, Encryption, Event};
use sotto_store::{Encryption as Stored, MessageState, MessageStore as _, RosterStore as _};
use sotto_tests::profile::{Profile, raw_session, server_with};
use sotto_tests::{ServerKind, TestServer};
use xmpp_parsers::minidom::Element;
use xmpp_parsers::stanza::Stanza;

const ALICE: &str = "alice@localhost";
const BOB: &str = "bob@localhost";
const CAROL: &str = "carol@localhost";
/// Every forged body carries it; none may ever be stored.
const CANARY: &str = "ForgedCanary";
/// How long a case may delay an honest message.
const LIVELINESS: Duration = Duration::from_secs(1);

const LEGACY: &str = "eu.siacs.conversations.axolotl";
const OMEMO2: &str = "urn:xmpp:omemo:2";

/// One hostile case: a name and the stanzas it sends (as XML; `{alice}` is
/// Alice's full JID, `{device}` her OMEMO device id).
struct Case {
    name: &'static str,
    stanzas: Vec<String>,
    /// The case's text may legitimately be stored (a plain, if odd, message).
    stored_ok: bool,
}

fn case(name: &'static str, stanzas: Vec<String>) -> Case {
    Case {
        name,
        stanzas,
        stored_ok: false,
    }
}

fn chat(inner: &str) -> String {
    format!("<message xmlns='jabber:client' to='{ALICE}' type='chat' id='h'>{inner}</message>")
}

fn forwarded(from: &str, to: &str) -> String {
    format!(
        "<forwarded xmlns='urn:xmpp:forward:0'><message xmlns='jabber:client' from='{from}' \
         to='{to}' type='chat' id='f'><body>{CANARY} forwarded</body></message></forwarded>"
    )
}

fn legacy(header: &str, payload: &str) -> String {
    chat(&format!(
        "<encrypted xmlns='{LEGACY}'>{header}{payload}</encrypted><body>{CANARY} omemo fallback</body>"
    ))
}

fn key(rid: &str, data: &str, prekey: bool) -> String {
    let kex = if prekey { " prekey='true'" } else { "" };
    format!("<key rid='{rid}'{kex}>{data}</key>")
}

fn b64(len: usize, byte: u8) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(vec![byte; len])
}

fn cases() -> Vec<Case> {
    let iv = b64(12, 1);
    let payload = format!("<payload>{}</payload>", b64(32, 2));
    let mut all = vec![
        // Forged copies and results: only our own server may send them.
        case("forged sent carbon", vec![chat(&format!(
            "<sent xmlns='urn:xmpp:carbons:2'>{}</sent>",
            forwarded("{alice}", BOB)
        ))]),
        case("forged received carbon", vec![chat(&format!(
            "<received xmlns='urn:xmpp:carbons:2'>{}</received>",
            forwarded(CAROL, "{alice}")
        ))]),
        case("forged archive result", vec![chat(&format!(
            "<result xmlns='urn:xmpp:mam:2' queryid='q1' id='x1'>{}</result>",
            forwarded(CAROL, "{alice}")
        ))]),
        case("forged roster push", vec![format!(
            "<iq xmlns='jabber:client' type='set' id='r1' to='{{alice}}'><query xmlns='jabber:iq:roster'>\
             <item jid='mallory@evil.example' subscription='both' name='{CANARY}'/></query></iq>"
        )]),
        case("forged receipt for a message to another contact", vec![chat(
            "<received xmlns='urn:xmpp:receipts' id='to-carol'/>",
        )]),
        case("forged chat marker", vec![chat(
            "<displayed xmlns='urn:xmpp:chat-markers:0' id='to-carol'/>",
        )]),
        case("carbon inside a carbon", vec![chat(&format!(
            "<sent xmlns='urn:xmpp:carbons:2'><forwarded xmlns='urn:xmpp:forward:0'>\
             <message xmlns='jabber:client' from='{ALICE}' to='{BOB}' type='chat'>\
             <sent xmlns='urn:xmpp:carbons:2'>{}</sent></message></forwarded></sent>",
            forwarded("{alice}", CAROL)
        ))]),
        // PEP notifications.
        case("forged device-list notification with 5000 ids", vec![chat(&format!(
            "<event xmlns='http://jabber.org/protocol/pubsub#event'><items node='{LEGACY}.devicelist'>\
             <item id='current'><list xmlns='{LEGACY}'>{}</list></item></items></event>",
            (1..=5000).map(|i| format!("<device id='{i}'/>")).collect::<String>()
        ))]),
        case("forged device-list notification with invalid ids", vec![chat(&format!(
            "<event xmlns='http://jabber.org/protocol/pubsub#event'><items node='{LEGACY}.devicelist'>\
             <item id='current'><list xmlns='{LEGACY}'><device id='-1'/><device id='x'/>\
             <device id='99999999999'/><device/></list></item></items></event>"
        ))]),
        case("PEP notification for an unknown node", vec![chat(&format!(
            "<event xmlns='http://jabber.org/protocol/pubsub#event'><items node='urn:example:evil'>\
             <item id='1'><x xmlns='urn:example:evil'>{CANARY}</x></item></items></event>"
        ))]),
        // Malformed and oversized OMEMO.
        case("OMEMO without header", vec![legacy("", &payload)]),
        case("OMEMO header without sid", vec![legacy(
            &format!("<header><iv>{iv}</iv>{}</header>", key("{device}", &b64(60, 3), false)),
            &payload,
        )]),
        case("OMEMO sid not a number", vec![legacy(
            &format!("<header sid='abc'><iv>{iv}</iv>{}</header>", key("{device}", &b64(60, 3), false)),
            &payload,
        )]),
        case("OMEMO key not base64", vec![legacy(
            &format!("<header sid='7'><iv>{iv}</iv>{}</header>", key("{device}", "!!not base64!!", false)),
            &payload,
        )]),
        case("OMEMO empty key", vec![legacy(
            &format!("<header sid='7'><iv>{iv}</iv>{}</header>", key("{device}", "", false)),
            &payload,
        )]),
        case("OMEMO key of random bytes", vec![legacy(
            &format!("<header sid='7'><iv>{iv}</iv>{}</header>", key("{device}", &b64(60, 0xab), false)),
            &payload,
        )]),
        case("OMEMO key exchange of random bytes", vec![legacy(
            &format!("<header sid='8'><iv>{iv}</iv>{}</header>", key("{device}", &b64(120, 0xcd), true)),
            &payload,
        )]),
        case("OMEMO key exchange of zeros (all-zero points)", vec![legacy(
            &format!("<header sid='9'><iv>{iv}</iv>{}</header>", key("{device}", &b64(120, 0), true)),
            &payload,
        )]),
        case("OMEMO key exchange with a low-order base key", vec![legacy(
            &format!("<header sid='10'><iv>{iv}</iv>{}</header>", key("{device}", &low_order_prekey_message(), true)),
            &payload,
        )]),
        case("OMEMO oversized key (256 KiB)", vec![legacy(
            &format!("<header sid='11'><iv>{iv}</iv>{}</header>", key("{device}", &b64(256 * 1024, 5), true)),
            &payload,
        )]),
        case("OMEMO oversized payload (512 KiB)", vec![legacy(
            &format!("<header sid='12'><iv>{iv}</iv>{}</header>", key("{device}", &b64(60, 6), false)),
            &format!("<payload>{}</payload>", b64(512 * 1024, 7)),
        )]),
        case("OMEMO IV of the wrong length", vec![legacy(
            &format!("<header sid='13'><iv>{}</iv>{}</header>", b64(3, 1), key("{device}", &b64(60, 3), false)),
            &payload,
        )]),
        case("OMEMO 1000 keys for our device", vec![legacy(
            &format!(
                "<header sid='14'><iv>{iv}</iv>{}</header>",
                (0..1000).map(|_| key("{device}", &b64(60, 9), false)).collect::<String>()
            ),
            &payload,
        )]),
        case("OMEMO keys for 1000 other devices", vec![legacy(
            &format!(
                "<header sid='15'><iv>{iv}</iv>{}</header>",
                (1..=1000).map(|i| key(&i.to_string(), &b64(60, 9), false)).collect::<String>()
            ),
            &payload,
        )]),
        case("OMEMO 2 element of garbage", vec![chat(&format!(
            "<encrypted xmlns='{OMEMO2}'><header sid='16'><keys jid='{ALICE}'>{}</keys></header>{payload}</encrypted>\
             <body>{CANARY}</body>",
            key("{device}", &b64(90, 0xee), true)
        ))]),
        case("OMEMO 2 keys for another JID only", vec![chat(&format!(
            "<encrypted xmlns='{OMEMO2}'><header sid='17'><keys jid='{CAROL}'>{}</keys></header>{payload}</encrypted>",
            key("{device}", &b64(90, 0xee), false)
        ))]),
        case("OMEMO from 50 unknown devices (repair flood)", (100..150).map(|sid| legacy(
            &format!("<header sid='{sid}'><iv>{iv}</iv>{}</header>", key("{device}", &b64(60, 3), false)),
            &payload,
        )).collect()),
        // Broken OTR.
        case("OTR data message of garbage", vec![chat(&format!("<body>?OTR:{}.</body>", b64(200, 0x42)))]),
        case("OTR message cut short", vec![chat("<body>?OTR:AAMD</body>")]),
        case("OTR fragment index 0", vec![chat("<body>?OTR,0,3,AAMD,</body>")]),
        case("OTR fragment beyond its count", vec![chat("<body>?OTR,5,3,AAMD,</body>")]),
        case("OTR fragment count 65535", vec![chat("<body>?OTR,1,65535,AAMD,</body>")]),
        case("OTR fragments that never finish (200 of them)", (1..=200).map(|k| chat(&format!(
            "<body>?OTR|{:08x}|00000100,{k:05},65000,{},</body>", 0x1000 + k, b64(400, 1)
        ))).collect()),
        case("OTR D-H commit flood (30)", (0..30).map(|i| chat(&format!(
            "<body>?OTR:AAMC{}.</body>", b64(240, i as u8)
        ))).collect()),
        case("OTR query with an absurd version string", vec![chat(&format!(
            "<body>?OTRv{}?</body>", "9".repeat(5000)
        ))]),
        case("OTR error message from a stranger", vec![chat(&format!("<body>?OTR Error: {CANARY}</body>"))]),
        // Floods and oddities.
        Case { stored_ok: true, ..case("huge plain body (1 MiB)", vec![chat(&format!(
            "<body>{}</body>", "x".repeat(1 << 20)
        ))]) },
        case("500 chat states", (0..500).map(|_| chat(
            "<composing xmlns='http://jabber.org/protocol/chatstates'/>"
        )).collect()),
        case("error message about our message", vec![format!(
            "<message xmlns='jabber:client' to='{ALICE}' type='error' id='to-carol'>\
             <error type='cancel'><item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>\
             <text xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'>{CANARY}\u{202e}\u{85}</text></error></message>"
        )]),
        case("timestamp in the year 9999 and garbage", vec![
            chat(&format!("<delay xmlns='urn:xmpp:delay' stamp='9999-12-31T23:59:59Z'/><body>{CANARY} late</body>"))
                .replace(CANARY, "Stamped"),
            chat("<delay xmlns='urn:xmpp:delay' stamp='not a date'/><body>Stamped garbage</body>"),
        ]),
        case("aesgcm link with a broken key", vec![chat("<body>aesgcm://example.invalid/file.jpg#zz</body>")]),
        case("100 subscription requests", (0..100).map(|_| format!(
            "<presence xmlns='jabber:client' to='{ALICE}' type='subscribe'/>"
        )).collect()),
        case("unknown IQ get and set", vec![
            format!("<iq xmlns='jabber:client' type='get' id='u1' to='{{alice}}'><query xmlns='urn:example:evil'/></iq>"),
            format!("<iq xmlns='jabber:client' type='set' id='u2' to='{{alice}}'><query xmlns='urn:example:evil'/></iq>"),
            format!("<iq xmlns='jabber:client' type='result' id='never-asked' to='{{alice}}'/>"),
        ]),
        case("control characters and bidi overrides in a body", vec![chat(
            "<body>Ctl \u{9b}2J\u{202e}gnp.exe\u{85}</body>",
        )]),
    ];
    for c in &mut all {
        if c.name.starts_with("timestamp")
            || c.name.starts_with("aesgcm")
            || c.name.starts_with("control")
        {
            c.stored_ok = true;
        }
    }
    all
}

/// A legacy PreKeyWhisperMessage whose base key is a low-order point
/// (all zeros with the Curve25519 type byte), otherwise well formed.
fn low_order_prekey_message() -> String {
    use base64::Engine as _;
    let mut m = vec![0x33];
    // registrationId 1, preKeyId 1, signedPreKeyId 1
    m.extend([0x28, 1, 0x08, 1, 0x30, 1]);
    // baseKey: 0x05 + 32 zero bytes
    m.extend([0x12, 33, 0x05]);
    m.extend([0u8; 32]);
    // identityKey: 0x05 + 32 bytes of 9
    m.extend([0x1a, 33, 0x05]);
    m.extend([9u8; 32]);
    // message: 40 bytes of junk
    m.extend([0x22, 40]);
    m.extend([1u8; 40]);
    base64::engine::general_purpose::STANDARD.encode(m)
}

fn parse(xml: &str) -> Stanza {
    let element: Element = xml.parse().unwrap_or_else(|e| panic!("{e}: {xml:.200}"));
    match element.name() {
        "message" => Stanza::Message(element.try_into().unwrap()),
        "presence" => Stanza::Presence(element.try_into().unwrap()),
        _ => Stanza::Iq(element.try_into().unwrap()),
    }
}

async fn attack(kind: ServerKind) {
    let server: TestServer = server_with(
        kind,
        &[
            ("alice", "alice-pw"),
            ("bob", "bob-pw"),
            ("carol", "carol-pw"),
        ],
    );
    let mut alice = Profile::new("alice");
    let alice_full = alice.login(&server, "alice", "alice-pw").await;
    let device = match alice
        .expect("OMEMO ready", |e| matches!(e, Event::OmemoReady { .. }))
        .await
    {
        Event::OmemoReady { device_id, .. } => device_id,
        _ => unreachable!(),
    };
    let mut bob = Profile::new("bob");
    bob.login(&server, "bob", "bob-pw").await;
    // A working OMEMO session with the real Bob, to prove it survives.
    bob.send(Command::SendMessage {
        account: BOB.into(),
        to: ALICE.into(),
        body: "before the attack".into(),
        encryption: Some(Encryption::Omemo),
    });
    alice.expect_message("before the attack").await;
    // A message to Carol whose state forged receipts and markers target.
    alice.send(Command::SendMessage {
        account: ALICE.into(),
        to: CAROL.into(),
        body: "to carol".into(),
        encryption: Some(Encryption::Plain),
    });
    let to_carol = alice.expect_message("to carol").await;
    let acked = alice
        .expect("acked", |e| matches!(e, Event::MessageStateChanged { id, state: MessageState::Acked, .. } if *id == to_carol.id))
        .await;
    drop(acked);

    let forger = raw_session(&server, "bob", "bob-pw").await;
    let carol = raw_session(&server, "carol", "carol-pw").await;
    let mut slowest = Duration::ZERO;
    let all = cases();
    for (i, case) in all.iter().enumerate() {
        for xml in &case.stanzas {
            let xml = xml
                .replace("{alice}", &alice_full)
                .replace("{device}", &device.to_string())
                .replace(
                    "id='to-carol'",
                    &format!("id='{}'", to_carol.message_id.clone().unwrap_or_default()),
                );
            forger.send(parse(&xml));
        }
        // While the case is handled: an honest message goes through in time.
        let honest = format!("honest {i}");
        let sent = Instant::now();
        carol.send(sotto_xmpp::xep::message::chat(
            sotto_xmpp::Jid::from(ALICE.parse::<sotto_xmpp::BareJid>().unwrap()),
            &format!("honest-{i}"),
            &honest,
        ));
        alice.expect_message(&honest).await;
        let took = sent.elapsed();
        slowest = slowest.max(took);
        assert!(
            took <= LIVELINESS,
            "case {:?}: an honest message took {took:?}",
            case.name
        );
        let forged: Vec<_> = alice
            .store
            .search(CANARY, 10)
            .unwrap()
            .into_iter()
            .filter(|m| !case.stored_ok || !m.body.contains(CANARY))
            .collect();
        assert!(
            forged.is_empty(),
            "case {:?} stored forged text: {forged:?}",
            case.name
        );
        eprintln!("case {:>2} ok in {took:>9.3?}: {}", i + 1, case.name);
    }
    eprintln!("{} cases; slowest honest message {slowest:?}", all.len());

    // Nothing damaged: the roster, the message to Carol, the OMEMO session.
    let (_, roster) = alice.store.roster(ALICE).unwrap();
    assert!(
        roster.iter().all(|i| i.jid != "mallory@evil.example"),
        "{roster:?}"
    );
    let record = alice.store.message(ALICE, to_carol.id).unwrap().unwrap();
    assert_eq!(
        record.state,
        MessageState::Acked,
        "a forged receipt changed it"
    );
    bob.send(Command::SendMessage {
        account: BOB.into(),
        to: ALICE.into(),
        body: "after the attack".into(),
        encryption: Some(Encryption::Omemo),
    });
    assert_eq!(
        alice.expect_message("after the attack").await.encryption,
        Stored::Omemo
    );
    alice.send(Command::SendMessage {
        account: ALICE.into(),
        to: BOB.into(),
        body: "alice after the attack".into(),
        encryption: Some(Encryption::Omemo),
    });
    assert_eq!(
        bob.expect_message("alice after the attack")
            .await
            .encryption,
        Stored::Omemo
    );
    forger.close().await;
    carol.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_peer_on_prosody() {
    attack(ServerKind::Prosody).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_peer_on_ejabberd() {
    attack(ServerKind::Ejabberd).await;
}
