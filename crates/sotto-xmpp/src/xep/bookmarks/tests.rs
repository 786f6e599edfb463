// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

use super::*;

fn el(xml: &str) -> Element {
    xml.parse().expect("test XML")
}

fn room() -> BareJid {
    "room@conference.localhost".parse().expect("jid")
}

#[test]
fn a_bookmark_survives_a_round_trip_with_foreign_extensions() {
    let item = Item {
        id: Some("room@conference.localhost".into()),
        payload: Some(el(
            "<conference xmlns='urn:xmpp:bookmarks:1' autojoin='1' name='The Room'>\
             <nick>alice</nick><password>pw</password>\
             <extensions><state xmlns='http://gajim.org/bookmark' minimized='true'/></extensions>\
             </conference>",
        )),
    };
    let bookmark = parse_item(&item).expect("bookmark");
    assert_eq!(bookmark.room, room());
    assert!(bookmark.autojoin);
    assert_eq!(bookmark.name.as_deref(), Some("The Room"));
    assert_eq!(bookmark.nick.as_deref(), Some("alice"));
    assert_eq!(bookmark.extensions.len(), 1);
    assert!(!format!("{bookmark:?}").contains("pw"));
    let again = parse_item(&Item {
        id: item.id.clone(),
        payload: Some(payload(&bookmark)),
    })
    .expect("round trip");
    assert_eq!(again, bookmark);
}

#[test]
fn bad_items_are_counted_not_fatal() {
    let good = Item {
        id: Some("room@conference.localhost".into()),
        payload: Some(el("<conference xmlns='urn:xmpp:bookmarks:1'/>")),
    };
    let no_id = Item {
        id: None,
        payload: good.payload.clone(),
    };
    let wrong = Item {
        id: good.id.clone(),
        payload: Some(el("<storage xmlns='storage:bookmarks'/>")),
    };
    let (list, bad) = parse_items(&[good, no_id, wrong]);
    assert_eq!(list.len(), 1);
    assert!(!list[0].autojoin);
    assert_eq!(bad, 2);
}

#[test]
fn notifications_carry_additions_and_retractions() {
    let event = el(
        "<event xmlns='http://jabber.org/protocol/pubsub#event'><items node='urn:xmpp:bookmarks:1'>\
         <item id='room@conference.localhost'><conference xmlns='urn:xmpp:bookmarks:1' autojoin='true'/></item>\
         <retract id='old@conference.localhost'/></items></event>",
    );
    let changes = notification(&[event]).expect("ours").expect("valid");
    assert!(matches!(&changes[0], BookmarkChange::Set(b) if b.room == room() && b.autojoin));
    assert_eq!(
        changes[1],
        BookmarkChange::Retracted("old@conference.localhost".parse().expect("jid"))
    );
    let other = el(
        "<event xmlns='http://jabber.org/protocol/pubsub#event'><items node='urn:xmpp:omemo:2:devices'/></event>",
    );
    assert_eq!(notification(&[other]), None);
    let bad = el(
        "<event xmlns='http://jabber.org/protocol/pubsub#event'><items node='urn:xmpp:bookmarks:1'>\
         <retract/></items></event>",
    );
    assert!(matches!(notification(&[bad]), Some(Err(_))));
}

#[test]
fn retraction_and_legacy_storage() {
    let xml = String::from(&retract(&room())).replace('\'', "\"");
    assert!(xml.contains("notify=\"true\""), "{xml}");
    assert!(xml.contains("id=\"room@conference.localhost\""), "{xml}");
    let answer = el(
        "<query xmlns='jabber:iq:private'><storage xmlns='storage:bookmarks'>\
         <conference jid='room@conference.localhost' autojoin='true' name='R'><nick>al</nick></conference>\
         <conference name='no jid'/><url url='https://example.org' name='site'/>\
         </storage></query>",
    );
    let legacy = parse_legacy(Some(answer)).expect("legacy");
    assert_eq!(legacy.len(), 1);
    assert_eq!(legacy[0].room, room());
    assert!(legacy[0].autojoin);
    assert_eq!(legacy[0].nick.as_deref(), Some("al"));
    assert_eq!(parse_legacy(None), Ok(vec![]));
    let empty = el("<query xmlns='jabber:iq:private'><storage xmlns='storage:bookmarks'/></query>");
    assert_eq!(parse_legacy(Some(empty)), Ok(vec![]));
    assert!(parse_legacy(Some(el("<query xmlns='jabber:iq:roster'/>"))).is_err());
}
