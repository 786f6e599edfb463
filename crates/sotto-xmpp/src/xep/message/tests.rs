// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

use super::*;
use xmpp_parsers::minidom::Element;

fn own() -> BareJid {
    BareJid::new("me@example.org").expect("valid")
}

fn message(xml: &str) -> Message {
    let element: Element = xml.parse().expect("well-formed");
    Message::try_from(element).expect("a message")
}

#[test]
fn plain_chat_with_ids_receipt_request_and_state() {
    let m = parse(
        &own(),
        message(
            "<message xmlns='jabber:client' from='peer@example.org/phone' to='me@example.org/sotto' id='m1' type='chat'>\
             <body>hello</body>\
             <origin-id xmlns='urn:xmpp:sid:0' id='o1'/>\
             <stanza-id xmlns='urn:xmpp:sid:0' id='forged' by='peer@example.org'/>\
             <stanza-id xmlns='urn:xmpp:sid:0' id='s1' by='me@example.org'/>\
             <request xmlns='urn:xmpp:receipts'/>\
             <active xmlns='http://jabber.org/protocol/chatstates'/>\
             </message>",
        ),
    )
    .expect("accepted");
    assert_eq!(m.body.as_deref(), Some("hello"));
    assert_eq!(m.origin_id.as_deref(), Some("o1"));
    assert_eq!(
        m.stanza_id.as_deref(),
        Some("s1"),
        "only our server's stanza-id counts"
    );
    assert!(m.wants_receipt);
    assert_eq!(m.chat_state, Some(ChatState::Active));
    assert_eq!(m.route, Route::Direct);
    assert_eq!(
        m.peer(&own()).map(|j| j.to_string()).as_deref(),
        Some("peer@example.org")
    );
    assert!(
        !format!("{m:?}").contains("hello"),
        "Debug must not show the body"
    );
}

#[test]
fn foreign_stanza_id_alone_is_ignored() {
    let m = parse(
        &own(),
        message(
            "<message xmlns='jabber:client' from='peer@example.org/r' type='chat'>\
             <body>x</body><stanza-id xmlns='urn:xmpp:sid:0' id='evil' by='peer@example.org'/></message>",
        ),
    )
    .expect("accepted");
    assert_eq!(m.stanza_id, None);
}

const SENT_CARBON: &str = "<message xmlns='jabber:client' from='{FROM}' to='me@example.org/sotto'>\
    <sent xmlns='urn:xmpp:carbons:2'><forwarded xmlns='urn:xmpp:forward:0'>\
    <message xmlns='jabber:client' from='me@example.org/phone' to='peer@example.org' id='c1' type='chat'>\
    <body>from my phone</body></message></forwarded></sent></message>";

#[test]
fn carbons_from_own_bare_jid_are_accepted() {
    let m = parse(
        &own(),
        message(&SENT_CARBON.replace("{FROM}", "me@example.org")),
    )
    .expect("accepted");
    assert_eq!(m.route, Route::CarbonSent);
    assert!(m.is_outgoing(&own()));
    assert_eq!(
        m.peer(&own()).map(|j| j.to_string()).as_deref(),
        Some("peer@example.org")
    );
    assert_eq!(m.body.as_deref(), Some("from my phone"));
}

#[test]
fn forged_carbons_are_rejected() {
    for from in [
        "peer@example.org",
        "peer@example.org/r",
        "me@example.org/other",
        "example.org",
    ] {
        let result = parse(&own(), message(&SENT_CARBON.replace("{FROM}", from)));
        assert!(
            matches!(result, Err(Rejected::ForgedCarbon(_))),
            "{from}: {result:?}"
        );
    }
    let received = "<message xmlns='jabber:client' from='mallory@evil.example' to='me@example.org/sotto'>\
        <received xmlns='urn:xmpp:carbons:2'><forwarded xmlns='urn:xmpp:forward:0'>\
        <message xmlns='jabber:client' from='boss@example.org/r' to='me@example.org' type='chat'>\
        <body>wire the money</body></message></forwarded></received></message>";
    assert!(matches!(
        parse(&own(), message(received)),
        Err(Rejected::ForgedCarbon(_))
    ));
}

#[test]
fn receipts_are_recognised() {
    let m = parse(
        &own(),
        message(
            "<message xmlns='jabber:client' from='peer@example.org/r' id='x'>\
             <received xmlns='urn:xmpp:receipts' id='m42'/></message>",
        ),
    )
    .expect("accepted");
    assert_eq!(m.receipt_for.as_deref(), Some("m42"));
    assert_eq!(m.body, None);
}

#[test]
fn message_without_sender_is_refused() {
    let result = parse(
        &own(),
        message("<message xmlns='jabber:client'><body>x</body></message>"),
    );
    assert_eq!(result, Err(Rejected::NoSender));
}

#[test]
fn archive_results_only_from_own_archive() {
    let result: mam::Result_ = "<result xmlns='urn:xmpp:mam:2' id='arch1' queryid='q'>\
        <forwarded xmlns='urn:xmpp:forward:0'><delay xmlns='urn:xmpp:delay' stamp='2026-01-01T00:00:00Z'/>\
        <message xmlns='jabber:client' from='peer@example.org/r' to='me@example.org' type='chat'><body>old</body></message>\
        </forwarded></result>"
        .parse::<Element>()
        .expect("xml")
        .try_into()
        .expect("mam result");
    let ok = parse_archived(&own(), None, result.clone()).expect("own archive");
    assert_eq!(ok.stanza_id.as_deref(), Some("arch1"));
    assert_eq!(ok.sent_at_ms, Some(1_767_225_600_000));
    assert_eq!(ok.route, Route::Archive);
    let evil = Jid::new("mallory@evil.example").expect("jid");
    assert!(matches!(
        parse_archived(&own(), Some(&evil), result),
        Err(Rejected::ForeignArchive(_))
    ));
}

#[test]
fn outgoing_chat_carries_ids_and_receipt_request() {
    let to = Jid::new("peer@example.org").expect("jid");
    let xml = String::from(&Element::from(chat(to, "abc", "hi <there>")));
    assert!(xml.contains("id='abc'"), "{xml}");
    assert!(xml.contains("urn:xmpp:sid:0"), "{xml}");
    assert!(xml.contains("urn:xmpp:receipts"), "{xml}");
    assert!(xml.contains("hi &lt;there&gt;"), "{xml}");
}

#[test]
fn otr_messages_stay_out_of_carbons_and_archives() {
    let to: Jid = "peer@example.org/laptop".parse().expect("valid");
    let element = Element::from(otr_chat(to, "m7", "?OTR:AAMD", true));
    // minidom 0.19 writes single quotes; the needles below use double ones.
    let xml = String::from(&element).replace('\'', "\"");
    for needle in [
        "<private xmlns=\"urn:xmpp:carbons:2\"/>",
        "<no-copy xmlns=\"urn:xmpp:hints\"/>",
        "<no-permanent-store xmlns=\"urn:xmpp:hints\"/>",
        "<no-store xmlns=\"urn:xmpp:hints\"/>",
        "namespace=\"urn:xmpp:otr:0\"",
        "<request xmlns=\"urn:xmpp:receipts\"/>",
        "<origin-id xmlns=\"urn:xmpp:sid:0\" id=\"m7\"/>",
        "<body>?OTR:AAMD</body>",
    ] {
        assert!(xml.contains(needle), "{needle} missing in {xml}");
    }
    let without = String::from(&Element::from(otr_chat(
        "peer@example.org/laptop".parse().expect("valid"),
        "m8",
        "?OTR:AAMD",
        false,
    )));
    assert!(!without.contains("urn:xmpp:receipts"));
}

#[test]
fn omemo_messages_expose_the_element_not_the_fallback_body() {
    let m = parse(
        &own(),
        message(
            "<message xmlns='jabber:client' from='peer@example.org/phone' to='me@example.org/sotto' id='m2' type='chat'>\
             <body>I sent you an OMEMO encrypted message but your client doesn't seem to support that.</body>\
             <encrypted xmlns='eu.siacs.conversations.axolotl'><header sid='564866972'>\
             <key rid='26052318'>MwohBTV6dpumL1OxA9MdIFmu2E19</key><iv>SY/SCGPt0CnA2odB</iv>\
             </header><payload>Vas=</payload></encrypted>\
             <encryption xmlns='urn:xmpp:eme:0' namespace='eu.siacs.conversations.axolotl' name='OMEMO'/>\
             <store xmlns='urn:xmpp:hints'/>\
             </message>",
        ),
    )
    .expect("accepted");
    assert_eq!(m.body, None, "the fallback body is not the message");
    let encrypted = m.encrypted.into_iter().next().expect("the OMEMO element");
    assert_eq!(encrypted.namespace, omemo::Namespace::Legacy);
    assert_eq!(encrypted.sid, 564866972);
    assert_eq!(encrypted.payload, Some(vec![85, 171]));

    // In a carbon copy too, and in OMEMO 2.
    let m = parse(
        &own(),
        message(
            "<message xmlns='jabber:client' from='me@example.org' to='me@example.org/sotto' type='chat'>\
             <received xmlns='urn:xmpp:carbons:2'><forwarded xmlns='urn:xmpp:forward:0'>\
             <message xmlns='jabber:client' from='peer@example.org/r' to='me@example.org/other' type='chat'>\
             <body>fallback</body>\
             <encrypted xmlns='urn:xmpp:omemo:2'><header sid='7'><keys jid='me@example.org'>\
             <key rid='9' kex='true'>AAAA</key></keys></header></encrypted>\
             </message></forwarded></received></message>",
        ),
    )
    .expect("accepted");
    assert_eq!(m.route, Route::CarbonReceived);
    assert_eq!(m.body, None);
    let encrypted = m.encrypted.into_iter().next().expect("the OMEMO 2 element");
    assert_eq!(encrypted.namespace, omemo::Namespace::V2);
    assert_eq!(encrypted.payload, None, "a key transport message");
}

#[test]
fn malformed_omemo_elements_are_rejected() {
    let result = parse(
        &own(),
        message(
            "<message xmlns='jabber:client' from='peer@example.org/phone' type='chat'>\
             <body>fallback</body>\
             <encrypted xmlns='eu.siacs.conversations.axolotl'><header sid='1'/></encrypted>\
             </message>",
        ),
    );
    assert_eq!(result, Err(Rejected::Malformed("OMEMO element")));
}
