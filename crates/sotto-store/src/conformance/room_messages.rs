// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! Conformance cases for messages in room conversations: the sender, dedup
//! between the live room and its archive, reflections, search,
//! conversations and the outbox.

use super::messages::{bodies, setup};
use super::rooms::{ROOM, ROOM2, private_group};
use super::{ALICE, BOB, incoming, insert_dup, insert_new, outgoing, stored, with_ids};
use crate::{Direction, MessageState, NewMessage, RoomMessageKind, RoomSender, Store};

/// `msg` as a room message from (or to) `sender`.
pub fn in_room(msg: NewMessage, sender: RoomSender) -> NewMessage {
    NewMessage {
        room: Some(sender),
        ..msg
    }
}

/// A groupchat sender with every detail a non-anonymous room gives.
pub fn revealed(nick: &str, real_jid: &str, occupant_id: &str) -> RoomSender {
    RoomSender {
        real_jid: Some(real_jid.to_owned()),
        occupant_id: Some(occupant_id.to_owned()),
        ..RoomSender::groupchat(nick)
    }
}

/// Our own groupchat message, sent and not yet reflected.
fn ours(body: &str, origin_id: &str) -> NewMessage {
    in_room(
        with_ids(
            outgoing(ROOM, body, 10),
            Some(origin_id),
            Some(origin_id),
            None,
        ),
        RoomSender::groupchat("alice"),
    )
}

pub fn room_message_round_trip<S: Store>(store: &S) {
    setup(store);
    store.upsert_room(ALICE, &private_group(ROOM)).unwrap();
    let group = insert_new(
        store,
        ALICE,
        in_room(
            with_ids(
                incoming(ROOM, "hello room", 1),
                Some("m1"),
                Some("o1"),
                Some("rs1"),
            ),
            revealed("bob", BOB, "occ-bob"),
        ),
    );
    assert_eq!(group.peer, ROOM);
    assert_eq!(group.room, Some(revealed("bob", BOB, "occ-bob")));
    let pm = insert_new(
        store,
        ALICE,
        in_room(outgoing(ROOM, "psst", 2), RoomSender::private("bob")),
    );
    assert_eq!(
        pm.room.as_ref().map(|r| (r.kind, r.nick.as_str())),
        Some((RoomMessageKind::Private, "bob"))
    );
    // Empty optional sender details count as absent, like empty ids.
    let anon = insert_new(
        store,
        ALICE,
        in_room(
            incoming(ROOM, "who am I", 3),
            RoomSender {
                real_jid: Some(String::new()),
                occupant_id: Some(String::new()),
                ..RoomSender::groupchat("ghost")
            },
        ),
    );
    assert_eq!(anon.room, Some(RoomSender::groupchat("ghost")));
    let one_to_one = insert_new(store, ALICE, incoming(BOB, "direct", 4));
    assert_eq!(one_to_one.room, None);
    assert_eq!(
        store.history(ALICE, ROOM, None, 10).unwrap(),
        vec![group.clone(), pm, anon]
    );
    assert_eq!(store.message(ALICE, group.id).unwrap(), Some(group));
    assert_eq!(store.count_messages(ALICE, ROOM).unwrap(), 3);
}

pub fn room_message_dedup_live_and_archive<S: Store>(store: &S) {
    setup(store);
    // Seen live, with the room's stanza-id: the archive copy matches it.
    let live = insert_new(
        store,
        ALICE,
        in_room(
            with_ids(incoming(ROOM, "live", 5), Some("m1"), None, Some("rs1")),
            RoomSender::groupchat("bob"),
        ),
    );
    let archived = in_room(
        with_ids(
            incoming(ROOM, "live", 4),
            Some("m1"),
            Some("o1"),
            Some("rs1"),
        ),
        revealed("bob", BOB, "occ-bob"),
    );
    insert_dup(store, ALICE, archived.clone(), live.id);
    // What the archive adds is filled in; nothing else changes.
    let filled = stored(store, ALICE, ROOM, live.id);
    assert_eq!(filled.origin_id.as_deref(), Some("o1"));
    assert_eq!(filled.room, Some(revealed("bob", BOB, "occ-bob")));
    assert_eq!(filled.timestamp_ms, 5);
    // Catch-up overlapping the last page: the same copy again.
    let out = store
        .insert_messages(ALICE, &[archived.clone(), archived], None)
        .unwrap();
    assert_eq!(
        out,
        vec![
            crate::Inserted::Duplicate { id: live.id },
            crate::Inserted::Duplicate { id: live.id }
        ]
    );

    // Seen live without a stanza-id (say, before the room enabled MAM):
    // the archive copy matches by origin-id and sender nickname.
    let early = insert_new(
        store,
        ALICE,
        in_room(
            with_ids(incoming(ROOM, "early", 7), None, Some("o2"), None),
            RoomSender::groupchat("carol"),
        ),
    );
    insert_dup(
        store,
        ALICE,
        in_room(
            with_ids(incoming(ROOM, "early", 7), None, Some("o2"), Some("rs2")),
            RoomSender::groupchat("carol"),
        ),
        early.id,
    );
    assert_eq!(
        stored(store, ALICE, ROOM, early.id).stanza_id.as_deref(),
        Some("rs2")
    );
    // Message id, body and sender, for rooms that give neither id.
    let bare = insert_new(
        store,
        ALICE,
        in_room(
            with_ids(incoming(ROOM, "bare", 8), Some("m3"), None, None),
            RoomSender::groupchat("dave"),
        ),
    );
    insert_dup(
        store,
        ALICE,
        in_room(
            with_ids(incoming(ROOM, "bare", 8), Some("m3"), None, Some("rs3")),
            RoomSender::groupchat("dave"),
        ),
        bare.id,
    );
    insert_new(
        store,
        ALICE,
        in_room(
            with_ids(incoming(ROOM, "bare", 8), Some("m3"), None, None),
            RoomSender::groupchat("erin"),
        ),
    );
    assert_eq!(store.count_messages(ALICE, ROOM).unwrap(), 4);
}

pub fn room_stanza_ids_are_per_archive<S: Store>(store: &S) {
    setup(store);
    // Our server's archive and two rooms' archives may all number "x1".
    let direct = insert_new(
        store,
        ALICE,
        with_ids(incoming(BOB, "direct", 1), None, None, Some("x1")),
    );
    let room = insert_new(
        store,
        ALICE,
        in_room(
            with_ids(incoming(ROOM, "in room", 2), None, None, Some("x1")),
            RoomSender::groupchat("bob"),
        ),
    );
    let other = insert_new(
        store,
        ALICE,
        in_room(
            with_ids(incoming(ROOM2, "in annex", 3), None, None, Some("x1")),
            RoomSender::groupchat("bob"),
        ),
    );
    // Each still deduplicates within its own archive.
    insert_dup(
        store,
        ALICE,
        with_ids(
            incoming("carol@example.com", "?", 9),
            None,
            None,
            Some("x1"),
        ),
        direct.id,
    );
    insert_dup(
        store,
        ALICE,
        in_room(
            with_ids(incoming(ROOM, "?", 9), None, None, Some("x1")),
            RoomSender::groupchat("someone"),
        ),
        room.id,
    );
    insert_dup(
        store,
        ALICE,
        in_room(
            with_ids(incoming(ROOM2, "?", 9), None, None, Some("x1")),
            RoomSender::groupchat("bob"),
        ),
        other.id,
    );
    // A private message through the room comes from our server's archive.
    insert_dup(
        store,
        ALICE,
        in_room(
            with_ids(incoming(ROOM, "pm", 9), None, None, Some("x1")),
            RoomSender::private("bob"),
        ),
        direct.id,
    );
}

pub fn room_origin_ids_are_per_sender<S: Store>(store: &S) {
    setup(store);
    let bob = insert_new(
        store,
        ALICE,
        in_room(
            with_ids(incoming(ROOM, "from bob", 1), None, Some("o1"), None),
            revealed("bob", BOB, "occ-bob"),
        ),
    );
    // Another occupant (or one pretending) reusing bob's origin-id is a
    // different message, whether told apart by nick or by occupant-id.
    insert_new(
        store,
        ALICE,
        in_room(
            with_ids(incoming(ROOM, "from carol", 2), None, Some("o1"), None),
            RoomSender::groupchat("carol"),
        ),
    );
    insert_new(
        store,
        ALICE,
        in_room(
            with_ids(incoming(ROOM, "nick taken over", 3), None, Some("o1"), None),
            revealed("bob", "mallory@example.org", "occ-mallory"),
        ),
    );
    // A private message is not the groupchat message with the same ids,
    // nor is a one-to-one message from the room JID.
    insert_new(
        store,
        ALICE,
        in_room(
            with_ids(incoming(ROOM, "pm", 4), None, Some("o1"), None),
            RoomSender::private("bob"),
        ),
    );
    insert_new(
        store,
        ALICE,
        with_ids(incoming(ROOM, "from the room", 5), None, Some("o1"), None),
    );
    // Bob after a nickname change: the occupant-id still says it is him.
    insert_dup(
        store,
        ALICE,
        in_room(
            with_ids(incoming(ROOM, "from bob", 1), None, Some("o1"), Some("rs1")),
            revealed("robert", BOB, "occ-bob"),
        ),
        bob.id,
    );
    assert_eq!(store.count_messages(ALICE, ROOM).unwrap(), 5);
}

pub fn room_reflection_matched_by_origin_id<S: Store>(store: &S) {
    setup(store);
    let mut sent = ours("to everyone", "o-ours");
    sent.state = MessageState::Sent;
    let sent = insert_new(store, ALICE, sent);
    // An incoming message and a private message with the same origin-id,
    // and our message to another room, are never taken for the reflection.
    insert_new(
        store,
        ALICE,
        in_room(
            with_ids(incoming(ROOM, "forged", 11), None, Some("o-pm"), None),
            RoomSender::groupchat("mallory"),
        ),
    );
    insert_new(
        store,
        ALICE,
        in_room(
            with_ids(outgoing(ROOM, "private", 12), None, Some("o-pm"), None),
            RoomSender::private("bob"),
        ),
    );
    insert_new(
        store,
        ALICE,
        in_room(
            with_ids(
                outgoing(ROOM2, "elsewhere", 13),
                None,
                Some("o-other"),
                None,
            ),
            RoomSender::groupchat("alice"),
        ),
    );
    assert_eq!(
        store.find_outgoing_in_room(ALICE, ROOM, "o-ours").unwrap(),
        Some(sent.clone())
    );
    for (room, origin_id) in [
        (ROOM, "o-pm"),
        (ROOM, "o-other"),
        (ROOM2, "o-ours"),
        (ROOM, ""),
        (ROOM, "to everyone"),
    ] {
        assert_eq!(
            store.find_outgoing_in_room(ALICE, room, origin_id).unwrap(),
            None,
            "{room} {origin_id}"
        );
    }
    assert_eq!(
        store.find_outgoing_in_room(BOB, ROOM, "o-ours").unwrap(),
        None
    );
    // The reflection, stored as it arrives, is our message again: it
    // fills in the room's stanza-id and the occupant-id we were given.
    insert_dup(
        store,
        ALICE,
        in_room(
            with_ids(
                outgoing(ROOM, "to everyone", 14),
                Some("o-ours"),
                Some("o-ours"),
                Some("rs7"),
            ),
            RoomSender {
                occupant_id: Some("occ-alice".into()),
                ..RoomSender::groupchat("alice")
            },
        ),
        sent.id,
    );
    let reflected = store
        .find_outgoing_in_room(ALICE, ROOM, "o-ours")
        .unwrap()
        .unwrap();
    assert_eq!(reflected.id, sent.id);
    assert_eq!(reflected.stanza_id.as_deref(), Some("rs7"));
    assert_eq!(
        reflected.room.and_then(|r| r.occupant_id).as_deref(),
        Some("occ-alice")
    );
    assert_eq!(
        reflected.state,
        MessageState::Sent,
        "the core sets the state"
    );
    // Later, from the room's archive: the same message by stanza-id.
    insert_dup(
        store,
        ALICE,
        in_room(
            with_ids(outgoing(ROOM, "to everyone", 15), None, None, Some("rs7")),
            RoomSender::groupchat("alice"),
        ),
        sent.id,
    );
}

pub fn room_messages_in_search_conversations_outbox<S: Store>(store: &S) {
    setup(store);
    insert_new(store, ALICE, incoming(BOB, "a direct cauldron", 10));
    let said = insert_new(
        store,
        ALICE,
        in_room(
            incoming(ROOM, "the cauldron bubbles", 20),
            revealed("bob", BOB, "occ-bob"),
        ),
    );
    let queued = insert_new(store, ALICE, ours("more cauldron please", "o9"));
    let hits = store.search("cauldron", 10).unwrap();
    assert_eq!(
        bodies(&hits),
        [
            "the cauldron bubbles",
            "more cauldron please",
            "a direct cauldron"
        ]
    );
    assert_eq!(
        hits[0].room.as_ref().map(|r| r.nick.as_str()),
        Some("bob"),
        "the sender is in the result"
    );
    let convs = store.conversations(ALICE).unwrap();
    assert_eq!(
        convs.iter().map(|m| m.peer.as_str()).collect::<Vec<_>>(),
        [ROOM, BOB]
    );
    assert_eq!(convs[0].id, said.id, "by time: the live one is newer");
    let outbox = store.outbox(ALICE).unwrap();
    assert_eq!(outbox, vec![queued.clone()]);
    assert_eq!(outbox[0].direction, Direction::Outgoing);
    assert_eq!(
        outbox[0].room.as_ref().map(|r| r.kind),
        Some(RoomMessageKind::Groupchat),
        "the outbox knows to send it as groupchat"
    );
    store
        .set_message_state(ALICE, queued.id, MessageState::Sent)
        .unwrap();
    assert!(store.outbox(ALICE).unwrap().is_empty());
}
