// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! Conformance cases for rooms and their members.

use super::messages::setup;
use super::{ALICE, BOB, CAROL, account, incoming, insert_new};
use crate::{
    Affiliation, Password, RoomConfig, RoomMember, RoomSender, RoomSettings, Store, StoreError,
};

pub(crate) const ROOM: &str = "coven@chat.example.org";
pub(crate) const ROOM2: &str = "annex@chat.example.org";

/// A bookmarked, autojoined private group with a password.
pub fn private_group(jid: &str) -> RoomSettings {
    RoomSettings {
        name: Some("The Coven".into()),
        password: Some(Password::new(format!("pw-of-{jid}"))),
        autojoin: true,
        bookmarked: true,
        config: RoomConfig {
            members_only: Some(true),
            non_anonymous: Some(true),
            persistent: Some(true),
        },
        ..RoomSettings::new(jid, "alice")
    }
}

pub fn member(jid: &str, affiliation: Affiliation, nick: Option<&str>) -> RoomMember {
    RoomMember {
        jid: jid.to_owned(),
        affiliation,
        nick: nick.map(str::to_owned),
    }
}

fn not_found(r: crate::Result<()>) -> bool {
    matches!(r, Err(StoreError::NotFound(_)))
}

pub fn rooms_round_trip<S: Store>(store: &S) {
    setup(store);
    store.upsert_account(&account(CAROL)).unwrap();
    assert!(store.rooms(ALICE).unwrap().is_empty());
    assert!(store.room(ALICE, ROOM).unwrap().is_none());
    let minimal = RoomSettings::new(ROOM2, "al");
    store.upsert_room(ALICE, &private_group(ROOM)).unwrap();
    store.upsert_room(ALICE, &minimal).unwrap();
    store
        .upsert_room(CAROL, &RoomSettings::new(ROOM, "c"))
        .unwrap();
    let rooms = store.rooms(ALICE).unwrap();
    let jids: Vec<&str> = rooms.iter().map(|r| r.settings.jid.as_str()).collect();
    assert_eq!(jids, [ROOM2, ROOM], "ordered by JID, per account");
    assert_eq!(rooms[0].settings, minimal);
    assert_eq!(rooms[1].settings, private_group(ROOM));
    assert_eq!(
        rooms[1].settings.password.as_ref().map(Password::expose),
        Some(format!("pw-of-{ROOM}").as_str())
    );
    assert_eq!(
        (
            rooms[1].subject.as_deref(),
            rooms[1].archive_cursor.as_deref()
        ),
        (None, None)
    );
    assert_eq!(store.room(ALICE, ROOM).unwrap().as_ref(), Some(&rooms[1]));
    assert_eq!(store.room(CAROL, ROOM).unwrap().unwrap().settings.nick, "c");
    assert!(store.room(BOB, ROOM).unwrap().is_none());

    // Removing a room removes its members but keeps its history.
    store
        .replace_room_members(ALICE, ROOM, &[member(BOB, Affiliation::Member, None)])
        .unwrap();
    let mut msg = incoming(ROOM, "kept after leaving", 1);
    msg.room = Some(RoomSender::groupchat("bob"));
    insert_new(store, ALICE, msg);
    store.remove_room(ALICE, ROOM).unwrap();
    store.remove_room(ALICE, ROOM).unwrap();
    store
        .remove_room(ALICE, "unknown@chat.example.org")
        .unwrap();
    assert!(store.room(ALICE, ROOM).unwrap().is_none());
    assert!(store.room_members(ALICE, ROOM).unwrap().is_empty());
    assert_eq!(store.count_messages(ALICE, ROOM).unwrap(), 1);
    assert!(store.room(CAROL, ROOM).unwrap().is_some(), "other account");
    // Re-added, it starts without members.
    store.upsert_room(ALICE, &private_group(ROOM)).unwrap();
    assert!(store.room_members(ALICE, ROOM).unwrap().is_empty());

    // Removing the account removes its rooms and members.
    store
        .replace_room_members(CAROL, ROOM, &[member(BOB, Affiliation::Owner, None)])
        .unwrap();
    store.remove_account(CAROL).unwrap();
    assert!(store.rooms(CAROL).unwrap().is_empty());
    assert!(store.room_members(CAROL, ROOM).unwrap().is_empty());
    store.upsert_account(&account(CAROL)).unwrap();
    assert!(store.rooms(CAROL).unwrap().is_empty(), "nothing comes back");
    assert_eq!(store.rooms(ALICE).unwrap().len(), 2);
}

pub fn room_upsert_keeps_state<S: Store>(store: &S) {
    setup(store);
    store.upsert_room(ALICE, &private_group(ROOM)).unwrap();
    store
        .set_room_subject(ALICE, ROOM, Some("Spells, potions"))
        .unwrap();
    store
        .set_room_archive_cursor(ALICE, ROOM, Some("room-sid-9"))
        .unwrap();
    store
        .upsert_room_member(ALICE, ROOM, &member(BOB, Affiliation::Admin, Some("bob")))
        .unwrap();
    // The bookmark changes elsewhere: new nick, no password, no autojoin.
    let changed = RoomSettings {
        nick: "alice2".into(),
        password: None,
        autojoin: false,
        name: None,
        config: RoomConfig {
            persistent: Some(false),
            ..RoomConfig::default()
        },
        ..private_group(ROOM)
    };
    store.upsert_room(ALICE, &changed).unwrap();
    let rec = store.room(ALICE, ROOM).unwrap().unwrap();
    assert_eq!(rec.settings, changed, "settings replaced as given");
    assert_eq!(rec.subject.as_deref(), Some("Spells, potions"));
    assert_eq!(rec.archive_cursor.as_deref(), Some("room-sid-9"));
    assert_eq!(store.room_members(ALICE, ROOM).unwrap().len(), 1);
    // Cursor and subject can be moved and cleared.
    store
        .set_room_archive_cursor(ALICE, ROOM, Some("room-sid-10"))
        .unwrap();
    store.set_room_subject(ALICE, ROOM, None).unwrap();
    let rec = store.room(ALICE, ROOM).unwrap().unwrap();
    assert_eq!(rec.archive_cursor.as_deref(), Some("room-sid-10"));
    assert_eq!(rec.subject, None);
    store.set_room_archive_cursor(ALICE, ROOM, None).unwrap();
    assert_eq!(
        store.room(ALICE, ROOM).unwrap().unwrap().archive_cursor,
        None
    );
    // The account's own archive cursor is a different thing.
    assert_eq!(store.archive_cursor(ALICE).unwrap(), None);
}

pub fn room_writes_need_account_and_room<S: Store>(store: &S) {
    setup(store);
    assert!(not_found(store.upsert_room(BOB, &private_group(ROOM))));
    assert!(store.rooms(BOB).unwrap().is_empty());
    assert!(not_found(store.set_room_subject(ALICE, ROOM, Some("x"))));
    assert!(not_found(store.set_room_archive_cursor(
        ALICE,
        ROOM,
        Some("x")
    )));
    let bob = member(BOB, Affiliation::Member, None);
    assert!(not_found(store.upsert_room_member(ALICE, ROOM, &bob)));
    assert!(not_found(store.replace_room_members(
        ALICE,
        ROOM,
        std::slice::from_ref(&bob)
    )));
    store.remove_room_member(ALICE, ROOM, BOB).unwrap();
    assert!(store.room_members(ALICE, ROOM).unwrap().is_empty());
    // A room of another account is not ours to write.
    store.upsert_account(&account(CAROL)).unwrap();
    store.upsert_room(CAROL, &private_group(ROOM)).unwrap();
    assert!(not_found(store.set_room_subject(ALICE, ROOM, Some("x"))));
    assert!(not_found(store.upsert_room_member(ALICE, ROOM, &bob)));
    assert!(store.room_members(CAROL, ROOM).unwrap().is_empty());
}

pub fn room_password_never_in_debug<S: Store>(store: &S) {
    setup(store);
    let mut room = private_group(ROOM);
    room.password = Some(Password::new("RoomPassw0rd-c4n4ry".into()));
    store.upsert_room(ALICE, &room).unwrap();
    store
        .set_room_subject(ALICE, ROOM, Some("SubjectC4n4ry"))
        .unwrap();
    let rec = store.room(ALICE, ROOM).unwrap().unwrap();
    assert_eq!(
        rec.settings.password.as_ref().map(Password::expose),
        Some("RoomPassw0rd-c4n4ry"),
        "stored and read back"
    );
    for shown in [
        format!("{room:?}"),
        format!("{rec:?}"),
        format!("{rec:#?}"),
        format!("{:?}", store.rooms(ALICE).unwrap()),
        format!("{store:?}"),
    ] {
        assert!(!shown.contains("RoomPassw0rd"), "{shown}");
        assert!(!shown.contains("SubjectC4n4ry"), "{shown}");
    }
}

pub fn room_members_replace_all<S: Store>(store: &S) {
    setup(store);
    store.upsert_room(ALICE, &private_group(ROOM)).unwrap();
    store.upsert_room(ALICE, &private_group(ROOM2)).unwrap();
    let first = [
        member(CAROL, Affiliation::Owner, Some("carol")),
        member(BOB, Affiliation::Member, None),
        member("dave@example.org", Affiliation::Outcast, None),
        member("erin@example.org", Affiliation::Admin, Some("erin")),
    ];
    store.replace_room_members(ALICE, ROOM, &first).unwrap();
    store
        .replace_room_members(ALICE, ROOM2, &[member(BOB, Affiliation::Owner, Some("b"))])
        .unwrap();
    let mut sorted = first.to_vec();
    sorted.sort_by(|a, b| a.jid.cmp(&b.jid));
    assert_eq!(store.room_members(ALICE, ROOM).unwrap(), sorted, "by JID");
    // A fresh affiliation list: erin dropped, bob promoted, carol listed
    // without a nickname (she keeps the one we knew), frank new.
    let second = [
        member(BOB, Affiliation::Admin, Some("bobby")),
        member(CAROL, Affiliation::Owner, None),
        member("dave@example.org", Affiliation::Outcast, None),
        member("frank@example.org", Affiliation::Member, None),
    ];
    store.replace_room_members(ALICE, ROOM, &second).unwrap();
    assert_eq!(
        store.room_members(ALICE, ROOM).unwrap(),
        [
            member(BOB, Affiliation::Admin, Some("bobby")),
            member(CAROL, Affiliation::Owner, Some("carol")),
            member("dave@example.org", Affiliation::Outcast, None),
            member("frank@example.org", Affiliation::Member, None),
        ]
    );
    assert_eq!(
        store.room_members(ALICE, ROOM2).unwrap(),
        [member(BOB, Affiliation::Owner, Some("b"))],
        "other rooms untouched"
    );
    store.replace_room_members(ALICE, ROOM, &[]).unwrap();
    assert!(store.room_members(ALICE, ROOM).unwrap().is_empty());
    assert_eq!(store.room_members(ALICE, ROOM2).unwrap().len(), 1);
}

pub fn room_members_upsert_and_remove<S: Store>(store: &S) {
    setup(store);
    store.upsert_room(ALICE, &private_group(ROOM)).unwrap();
    // From presence: bob joins as a member under the nick "bob".
    store
        .upsert_room_member(ALICE, ROOM, &member(BOB, Affiliation::Member, Some("bob")))
        .unwrap();
    store
        .upsert_room_member(ALICE, ROOM, &member(CAROL, Affiliation::None, None))
        .unwrap();
    // He changes nick, then an affiliation change without nick arrives.
    store
        .upsert_room_member(
            ALICE,
            ROOM,
            &member(BOB, Affiliation::Member, Some("bobcat")),
        )
        .unwrap();
    store
        .upsert_room_member(ALICE, ROOM, &member(BOB, Affiliation::Admin, None))
        .unwrap();
    assert_eq!(
        store.room_members(ALICE, ROOM).unwrap(),
        [
            member(BOB, Affiliation::Admin, Some("bobcat")),
            member(CAROL, Affiliation::None, None),
        ]
    );
    store.remove_room_member(ALICE, ROOM, BOB).unwrap();
    store.remove_room_member(ALICE, ROOM, BOB).unwrap();
    assert_eq!(
        store.room_members(ALICE, ROOM).unwrap(),
        [member(CAROL, Affiliation::None, None)]
    );
}
