// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! Conformance cases for messages, search, outbox and the archive cursor.

use super::{
    ALICE, BOB, CAROL, account, incoming, insert_dup, insert_new, outgoing, stored, with_ids,
};
use crate::{Direction, Encryption, Inserted, MessageState, Store};

pub(super) fn setup<S: Store>(store: &S) {
    store.upsert_account(&account(ALICE)).unwrap();
}

pub(super) fn bodies(msgs: &[crate::MessageRecord]) -> Vec<&str> {
    msgs.iter().map(|m| m.body.as_str()).collect()
}

pub fn insert_and_read_back<S: Store>(store: &S) {
    setup(store);
    let msg = with_ids(
        outgoing(BOB, "hello Bob", 1_700_000_000_123),
        Some("m1"),
        Some("o1"),
        None,
    );
    let a = insert_new(store, ALICE, msg.clone());
    assert_eq!(a.account, ALICE);
    assert_eq!(a.peer, BOB);
    assert_eq!(a.direction, Direction::Outgoing);
    assert_eq!(a.body, "hello Bob");
    assert_eq!(a.timestamp_ms, 1_700_000_000_123);
    assert_eq!(a.message_id.as_deref(), Some("m1"));
    assert_eq!(a.origin_id.as_deref(), Some("o1"));
    assert_eq!(a.stanza_id, None);
    assert_eq!(a.state, MessageState::Queued);
    assert_eq!(a.encryption, Encryption::Plain);
    assert_eq!(a.sender_device, None);
    let b = insert_new(store, ALICE, incoming(BOB, "", -5));
    assert!(b.id > a.id);
    // The OMEMO device an encrypted message came from is kept.
    let mut omemo = incoming(BOB, "from a device", 1_700_000_000_500);
    omemo.encryption = Encryption::Omemo;
    omemo.sender_device = Some(4_000_000_001);
    let c = insert_new(store, ALICE, omemo);
    assert_eq!(c.sender_device, Some(4_000_000_001));
    // The timeline is ordered by time: the (odd) negative stamp comes first.
    assert_eq!(store.history(ALICE, BOB, None, 10).unwrap(), vec![b, a, c]);
}

pub fn dedup_by_stanza_id<S: Store>(store: &S) {
    setup(store);
    let a = insert_new(
        store,
        ALICE,
        with_ids(incoming(BOB, "one", 1), None, None, Some("s1")),
    );
    // Same archive id: a duplicate even with another peer, body and ids.
    insert_dup(
        store,
        ALICE,
        with_ids(
            incoming(CAROL, "other", 9),
            Some("m"),
            Some("o"),
            Some("s1"),
        ),
        a.id,
    );
    // Stanza-ids are per account.
    store.upsert_account(&account(CAROL)).unwrap();
    insert_new(
        store,
        CAROL,
        with_ids(incoming(BOB, "one", 1), None, None, Some("s1")),
    );
    insert_new(
        store,
        ALICE,
        with_ids(incoming(BOB, "one", 1), None, None, Some("s2")),
    );
    assert_eq!(store.count_messages(ALICE, BOB).unwrap(), 2);
}

pub fn dedup_by_origin_id<S: Store>(store: &S) {
    setup(store);
    let a = insert_new(
        store,
        ALICE,
        with_ids(outgoing(BOB, "one", 1), Some("m1"), Some("o1"), None),
    );
    insert_dup(
        store,
        ALICE,
        with_ids(outgoing(BOB, "edited?", 2), Some("m2"), Some("o1"), None),
        a.id,
    );
    insert_dup(
        store,
        ALICE,
        with_ids(incoming(BOB, "one", 1), None, Some("o1"), None),
        a.id,
    );
    // Another peer may pick the same origin-id.
    insert_new(
        store,
        ALICE,
        with_ids(incoming(CAROL, "one", 1), None, Some("o1"), None),
    );
    // The oldest match wins.
    insert_dup(
        store,
        ALICE,
        with_ids(outgoing(BOB, "x", 3), None, Some("o1"), Some("s9")),
        a.id,
    );
}

pub fn dedup_by_message_id<S: Store>(store: &S) {
    setup(store);
    let a = insert_new(
        store,
        ALICE,
        with_ids(incoming(BOB, "hey", 1), Some("m1"), None, None),
    );
    insert_dup(
        store,
        ALICE,
        with_ids(incoming(BOB, "hey", 5), Some("m1"), None, Some("s1")),
        a.id,
    );
    // Different body, direction or peer: a different message.
    insert_new(
        store,
        ALICE,
        with_ids(incoming(BOB, "hey!", 1), Some("m1"), None, None),
    );
    insert_new(
        store,
        ALICE,
        with_ids(outgoing(BOB, "hey", 1), Some("m1"), None, None),
    );
    insert_new(
        store,
        ALICE,
        with_ids(incoming(CAROL, "hey", 1), Some("m1"), None, None),
    );
    // Conflicting stanza-ids or origin-ids: a different message.
    insert_new(
        store,
        ALICE,
        with_ids(incoming(BOB, "hey", 1), Some("m1"), None, Some("s2")),
    );
    let b = insert_new(
        store,
        ALICE,
        with_ids(incoming(BOB, "yo", 1), Some("m2"), Some("o1"), None),
    );
    insert_new(
        store,
        ALICE,
        with_ids(incoming(BOB, "yo", 1), Some("m2"), Some("o2"), None),
    );
    insert_dup(
        store,
        ALICE,
        with_ids(incoming(BOB, "yo", 1), Some("m2"), None, None),
        b.id,
    );
    // No ids at all: never a duplicate.
    insert_new(store, ALICE, incoming(BOB, "same", 1));
    insert_new(store, ALICE, incoming(BOB, "same", 1));
}

pub fn dedup_fills_in_ids<S: Store>(store: &S) {
    setup(store);
    // Sent live: no stanza-id yet.
    let live = insert_new(
        store,
        ALICE,
        with_ids(outgoing(BOB, "hi", 1), Some("m1"), Some("o1"), None),
    );
    // Seen again in MAM, now with our archive's stanza-id.
    insert_dup(
        store,
        ALICE,
        with_ids(outgoing(BOB, "hi", 2), Some("m1"), Some("o1"), Some("s1")),
        live.id,
    );
    let filled = stored(store, ALICE, BOB, live.id);
    assert_eq!(filled.stanza_id.as_deref(), Some("s1"));
    assert_eq!(filled.timestamp_ms, 1, "nothing else changes");
    assert_eq!(filled.state, MessageState::Queued);
    // From now on the stanza-id alone matches it.
    insert_dup(
        store,
        ALICE,
        with_ids(outgoing(BOB, "other", 3), None, None, Some("s1")),
        live.id,
    );

    // Incoming without origin-id, later seen with origin-id and stanza-id.
    let inc = insert_new(
        store,
        ALICE,
        with_ids(incoming(BOB, "yo", 1), Some("m9"), None, None),
    );
    insert_dup(
        store,
        ALICE,
        with_ids(incoming(BOB, "yo", 1), Some("m9"), Some("o9"), Some("s9")),
        inc.id,
    );
    let filled = stored(store, ALICE, BOB, inc.id);
    assert_eq!(filled.origin_id.as_deref(), Some("o9"));
    assert_eq!(filled.stanza_id.as_deref(), Some("s9"));
    // A stored stanza-id is never overwritten.
    insert_dup(
        store,
        ALICE,
        with_ids(incoming(BOB, "yo", 1), None, Some("o9"), Some("s10")),
        inc.id,
    );
    assert_eq!(
        stored(store, ALICE, BOB, inc.id).stanza_id.as_deref(),
        Some("s9")
    );
}

pub fn dedup_within_batch<S: Store>(store: &S) {
    setup(store);
    let page = [
        with_ids(incoming(BOB, "a", 1), None, None, Some("s1")),
        with_ids(incoming(BOB, "b", 2), None, None, Some("s2")),
        with_ids(incoming(BOB, "a", 1), None, None, Some("s1")),
    ];
    let out = store.insert_messages(ALICE, &page, None).unwrap();
    assert_eq!(out.len(), 3);
    let Inserted::New(first) = &out[0] else {
        panic!("{out:?}")
    };
    assert!(matches!(out[1], Inserted::New(_)));
    assert_eq!(out[2], Inserted::Duplicate { id: first.id });
    assert_eq!(store.count_messages(ALICE, BOB).unwrap(), 2);
}

pub fn empty_ids_are_absent<S: Store>(store: &S) {
    setup(store);
    let a = insert_new(
        store,
        ALICE,
        with_ids(incoming(BOB, "a", 1), Some(""), Some(""), Some("")),
    );
    assert_eq!((a.message_id, a.origin_id, a.stanza_id), (None, None, None));
    insert_new(
        store,
        ALICE,
        with_ids(incoming(BOB, "a", 1), Some(""), Some(""), Some("")),
    );
    assert_eq!(store.count_messages(ALICE, BOB).unwrap(), 2);
    assert!(store.find_outgoing(ALICE, BOB, "").unwrap().is_none());
}

pub fn history_paging<S: Store>(store: &S) {
    setup(store);
    let mut ids = Vec::new();
    for i in 0..25 {
        ids.push(insert_new(store, ALICE, incoming(BOB, &format!("b{i}"), i)).id);
        insert_new(store, ALICE, incoming(CAROL, &format!("c{i}"), i));
    }
    let page = store.history(ALICE, BOB, None, 10).unwrap();
    assert_eq!(page.iter().map(|m| m.id).collect::<Vec<_>>(), ids[15..]);
    assert_eq!(page[0].body, "b15", "oldest first");
    let page2 = store.history(ALICE, BOB, Some(page[0].id), 10).unwrap();
    assert_eq!(page2.iter().map(|m| m.id).collect::<Vec<_>>(), ids[5..15]);
    let page3 = store.history(ALICE, BOB, Some(page2[0].id), 10).unwrap();
    assert_eq!(bodies(&page3), ["b0", "b1", "b2", "b3", "b4"]);
    assert!(
        store
            .history(ALICE, BOB, Some(ids[0]), 10)
            .unwrap()
            .is_empty()
    );
    assert!(store.history(ALICE, BOB, None, 0).unwrap().is_empty());
    assert_eq!(
        store.history(ALICE, BOB, None, usize::MAX).unwrap().len(),
        25
    );
}

pub fn history_follows_time_not_insertion<S: Store>(store: &S) {
    setup(store);
    // Live messages first, then older ones backfilled from an archive.
    let live: Vec<_> = (10..15)
        .map(|t| insert_new(store, ALICE, incoming(BOB, &format!("live{t}"), t * 1000)))
        .collect();
    for t in 0..5 {
        insert_new(store, ALICE, incoming(BOB, &format!("old{t}"), t * 1000));
    }
    let newest = store.history(ALICE, BOB, None, 3).unwrap();
    assert_eq!(bodies(&newest), ["live12", "live13", "live14"]);
    let older = store.history(ALICE, BOB, Some(live[0].id), 3).unwrap();
    assert_eq!(
        bodies(&older),
        ["old2", "old3", "old4"],
        "backfill sits in time order"
    );
    let oldest = store.history(ALICE, BOB, Some(older[0].id), 10).unwrap();
    assert_eq!(bodies(&oldest), ["old0", "old1"]);
    // Equal timestamps fall back to insertion order.
    let a = insert_new(store, ALICE, incoming(CAROL, "same-a", 7));
    let b = insert_new(store, ALICE, incoming(CAROL, "same-b", 7));
    assert_eq!(
        bodies(&store.history(ALICE, CAROL, None, 10).unwrap()),
        ["same-a", "same-b"]
    );
    assert_eq!(
        bodies(&store.history(ALICE, CAROL, Some(b.id), 10).unwrap()),
        ["same-a"]
    );
    assert_eq!(
        store.message(ALICE, a.id).unwrap().map(|m| m.body),
        Some("same-a".into())
    );
    assert_eq!(
        store.message(BOB, a.id).unwrap(),
        None,
        "ids are per account"
    );
    assert_eq!(store.message(ALICE, i64::MAX).unwrap(), None);
}

pub fn count_messages<S: Store>(store: &S) {
    setup(store);
    assert_eq!(store.count_messages(ALICE, BOB).unwrap(), 0);
    for i in 0..3 {
        insert_new(store, ALICE, incoming(BOB, "x", i));
    }
    insert_new(store, ALICE, outgoing(BOB, "y", 9));
    insert_new(store, ALICE, outgoing(CAROL, "y", 9));
    assert_eq!(store.count_messages(ALICE, BOB).unwrap(), 4);
    assert_eq!(store.count_messages(BOB, ALICE).unwrap(), 0);
}
