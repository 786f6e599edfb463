// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! How the driver routes room stanzas, without a stream: what becomes a
//! room event, what stays a 1:1 event, and what is refused.

use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use tokio::sync::mpsc;
use xmpp_parsers::jid::BareJid;
use xmpp_parsers::minidom::Element;
use xmpp_parsers::stanza::Stanza;

use super::{Backoff, Driver, MamCollector, StreamEvent};
use crate::iq::IqTracker;
use crate::session::SessionEvent;

const ROOM_QUERY: &str = "room-q";

fn own() -> BareJid {
    "alice@localhost".parse().expect("jid")
}

fn room() -> BareJid {
    "room@conference.localhost".parse().expect("jid")
}

/// Feeds one stanza to a fresh driver with one open room-archive query.
fn route(xml: &str) -> (Vec<SessionEvent>, MamCollector) {
    let element: Element = xml.parse().expect("test XML");
    let stanza = Stanza::try_from(element).expect("stanza");
    let (events, mut received) = mpsc::unbounded_channel();
    let mam = MamCollector::default();
    mam.open_room(ROOM_QUERY, room());
    let mut driver = Driver {
        own: own(),
        events,
        iq: IqTracker::default(),
        mam: mam.clone(),
        backoff: Arc::new(Backoff::default()),
        replies: Vec::new(),
        bound: Some("alice@localhost/raw".parse().expect("jid")),
        sm: Arc::new(AtomicBool::new(true)),
        up_since: None,
    };
    driver.on_stream_event(StreamEvent::Stanza(stanza));
    let mut out = Vec::new();
    while let Ok(event) = received.try_recv() {
        out.push(event);
    }
    (out, mam)
}

#[test]
fn groupchat_becomes_a_room_message_and_chat_stays_a_message() {
    let (events, _) = route(
        "<message xmlns='jabber:client' type='groupchat' from='room@conference.localhost/bob'>\
         <body>hi</body></message>",
    );
    assert!(matches!(&events[..], [SessionEvent::RoomMessage(m)] if m.room == room()));
    let (events, _) = route(
        "<message xmlns='jabber:client' type='chat' from='bob@localhost/phone'><body>hi</body></message>",
    );
    assert!(matches!(&events[..], [SessionEvent::Message(m)] if !m.muc_private));
}

#[test]
fn room_presences_errors_and_contact_presences_are_told_apart() {
    let (events, _) = route(
        "<presence xmlns='jabber:client' from='room@conference.localhost/bob'>\
         <x xmlns='http://jabber.org/protocol/muc#user'><item affiliation='member' role='participant'/></x>\
         </presence>",
    );
    assert!(matches!(&events[..], [SessionEvent::RoomPresence(p)] if p.nick == "bob"));
    let (events, _) = route(
        "<presence xmlns='jabber:client' type='error' from='room@conference.localhost/alice'>\
         <error type='cancel'><conflict xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></presence>",
    );
    assert!(matches!(&events[..], [SessionEvent::RoomError(_)]));
    let (events, _) = route("<presence xmlns='jabber:client' from='bob@localhost/phone'/>");
    assert!(matches!(&events[..], [SessionEvent::Presence(_)]));
}

#[test]
fn room_archive_results_are_filed_only_from_the_room() {
    let result = |from: &str| {
        format!(
            "<message xmlns='jabber:client' from='{from}' to='alice@localhost/raw'>\
             <result xmlns='urn:xmpp:mam:2' queryid='{ROOM_QUERY}' id='a1'>\
             <forwarded xmlns='urn:xmpp:forward:0'>\
             <message xmlns='jabber:client' type='groupchat' from='room@conference.localhost/bob'>\
             <body>old</body></message></forwarded></result></message>"
        )
    };
    let (events, mam) = route(&result("room@conference.localhost"));
    assert!(events.is_empty(), "{events:?}");
    let filed = mam.take_room(ROOM_QUERY);
    assert!(matches!(&filed[..], [Ok(m)] if m.stanza_id.as_deref() == Some("a1")));
    // The same result pushed by someone else is refused.
    let (events, mam) = route(&result("eve@localhost"));
    assert!(matches!(&events[..], [SessionEvent::Rejected { .. }]));
    assert!(matches!(&mam.take_room(ROOM_QUERY)[..], [Err(_)]));
}

#[test]
fn bookmark_notifications_count_only_from_our_own_account() {
    let notification = |from: &str| {
        format!(
            "<message xmlns='jabber:client' {from} to='alice@localhost/raw'>\
             <event xmlns='http://jabber.org/protocol/pubsub#event'><items node='urn:xmpp:bookmarks:1'>\
             <retract id='room@conference.localhost'/></items></event></message>"
        )
    };
    let (events, _) = route(&notification("from='alice@localhost'"));
    assert!(matches!(&events[..], [SessionEvent::Bookmarks(c)] if c.len() == 1));
    let (events, _) = route(&notification(""));
    assert!(matches!(&events[..], [SessionEvent::Bookmarks(_)]));
    let (events, _) = route(&notification("from='eve@localhost'"));
    assert!(matches!(&events[..], [SessionEvent::Rejected { .. }]));
}

#[test]
fn invitations_become_their_own_events() {
    let (events, _) = route(
        "<message xmlns='jabber:client' from='bob@localhost/phone'>\
         <x xmlns='jabber:x:conference' jid='room@conference.localhost'/></message>",
    );
    assert!(matches!(&events[..], [SessionEvent::RoomInvitation(i)] if i.room == room()));
    let (events, _) = route(
        "<message xmlns='jabber:client' from='room@conference.localhost/eve'>\
         <x xmlns='http://jabber.org/protocol/muc#user'><invite from='bob@localhost'/></x></message>",
    );
    assert!(matches!(&events[..], [SessionEvent::Rejected { .. }]));
}
