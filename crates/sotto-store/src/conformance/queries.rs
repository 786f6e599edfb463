// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! Conformance cases for search, outbox, archive cursor, state updates,
//! receipt lookups and conversations.

use super::messages::{bodies, setup};
use super::{
    ALICE, BOB, CAROL, account, incoming, insert_dup, insert_new, outgoing, stored, with_ids,
};
use crate::{Encryption, MessageState, NewMessage, Store, StoreError};

pub fn search_words_and_order<S: Store>(store: &S) {
    setup(store);
    store.upsert_account(&account(CAROL)).unwrap();
    insert_new(store, ALICE, incoming(BOB, "The quick brown fox", 30));
    insert_new(store, CAROL, outgoing(BOB, "a QUICK fox, indeed", 50));
    insert_new(store, ALICE, incoming(BOB, "quick thinking", 10));
    insert_new(store, ALICE, incoming(BOB, "quickly", 60));
    assert_eq!(
        bodies(&store.search("quick", 10).unwrap()),
        [
            "a QUICK fox, indeed",
            "The quick brown fox",
            "quick thinking"
        ],
        "whole words, case-insensitive, all accounts, newest first"
    );
    assert_eq!(
        bodies(&store.search("Fox quick", 10).unwrap()),
        ["a QUICK fox, indeed", "The quick brown fox"],
        "every word must occur"
    );
    assert_eq!(
        bodies(&store.search("quick", 1).unwrap()),
        ["a QUICK fox, indeed"]
    );
    assert_eq!(
        bodies(&store.search("brown-fox", 10).unwrap()),
        ["The quick brown fox"]
    );
    assert!(
        store.search("fox-brown", 10).unwrap().is_empty(),
        "a word is a phrase"
    );
    assert!(store.search("quick", 0).unwrap().is_empty());
    assert!(store.search("zebra", 10).unwrap().is_empty());
}

pub fn search_hostile_queries<S: Store>(store: &S) {
    setup(store);
    insert_new(
        store,
        ALICE,
        incoming(BOB, "foo AND bar (baz) \"quoted\" NEAR x*", 1),
    );
    for q in [
        "\"foo AND (",
        "\"",
        "'",
        "(",
        ")",
        "*",
        "foo*",
        "^foo",
        "NEAR(foo bar)",
        "foo OR",
        "AND",
        "NOT foo",
        "body:foo",
        "{body}: foo",
        "-foo",
        "+",
        "\0",
        "''; DROP TABLE messages; --",
        "",
        "   ",
        "\u{feff}",
        "a\"b",
        "foo\"\"",
    ] {
        let hits = store.search(q, 10);
        assert!(hits.is_ok(), "query {q:?} failed: {hits:?}");
    }
    assert_eq!(store.search("\"foo AND (", 10).unwrap().len(), 1);
    assert_eq!(
        store.search("NEAR(foo bar)", 10).unwrap().len(),
        0,
        "phrase 'near foo' absent"
    );
    assert_eq!(store.search("(baz)", 10).unwrap().len(), 1);
    assert_eq!(store.search("\"quoted\"", 10).unwrap().len(), 1);
    assert!(store.search("", 10).unwrap().is_empty());
    assert!(store.search("( ) *", 10).unwrap().is_empty());
    assert_eq!(store.count_messages(ALICE, BOB).unwrap(), 1);
}

pub fn search_unicode<S: Store>(store: &S) {
    setup(store);
    insert_new(store, ALICE, incoming(BOB, "Grüße aus München", 1));
    insert_new(store, ALICE, incoming(BOB, "Привет, МИР!", 2));
    insert_new(store, ALICE, incoming(BOB, "你好世界 🎉 party", 3));
    assert_eq!(
        bodies(&store.search("münchen", 10).unwrap()),
        ["Grüße aus München"]
    );
    assert_eq!(
        bodies(&store.search("GRÜSSE", 10).unwrap()),
        Vec::<&str>::new()
    );
    assert_eq!(
        bodies(&store.search("grüße", 10).unwrap()),
        ["Grüße aus München"]
    );
    assert_eq!(bodies(&store.search("мир", 10).unwrap()), ["Привет, МИР!"]);
    assert_eq!(
        bodies(&store.search("你好世界", 10).unwrap()),
        ["你好世界 🎉 party"]
    );
    assert_eq!(
        bodies(&store.search("🎉 party", 10).unwrap()),
        ["你好世界 🎉 party"]
    );
    assert!(
        store.search("🎉", 10).unwrap().is_empty(),
        "emoji are not words"
    );
}

pub fn outbox_order<S: Store>(store: &S) {
    setup(store);
    let a = insert_new(store, ALICE, outgoing(BOB, "first", 100));
    insert_new(store, ALICE, incoming(BOB, "in", 150));
    let b = insert_new(store, ALICE, outgoing(CAROL, "second", 50));
    let c = insert_new(store, ALICE, outgoing(BOB, "third", 200));
    let mut sent = outgoing(BOB, "sent", 10);
    sent.state = MessageState::Sent;
    insert_new(store, ALICE, sent);
    let ids = |v: Vec<crate::MessageRecord>| v.into_iter().map(|m| m.id).collect::<Vec<_>>();
    assert_eq!(
        ids(store.outbox(ALICE).unwrap()),
        [a.id, b.id, c.id],
        "oldest (by id) first"
    );
    store
        .set_message_state(ALICE, b.id, MessageState::Sent)
        .unwrap();
    assert_eq!(ids(store.outbox(ALICE).unwrap()), [a.id, c.id]);
    assert!(store.outbox(BOB).unwrap().is_empty());
}

pub fn archive_cursor_with_page<S: Store>(store: &S) {
    setup(store);
    assert!(store.archive_cursor(ALICE).unwrap().is_none());
    let page = [incoming(BOB, "1", 1), incoming(BOB, "2", 2)];
    store.insert_messages(ALICE, &page, Some("page-1")).unwrap();
    assert_eq!(
        store.archive_cursor(ALICE).unwrap().as_deref(),
        Some("page-1")
    );
    assert_eq!(store.count_messages(ALICE, BOB).unwrap(), 2);
    store
        .insert_messages(ALICE, &[incoming(BOB, "3", 3)], None)
        .unwrap();
    assert_eq!(
        store.archive_cursor(ALICE).unwrap().as_deref(),
        Some("page-1"),
        "None keeps it"
    );
    store.insert_messages(ALICE, &[], Some("page-2")).unwrap();
    assert_eq!(
        store.archive_cursor(ALICE).unwrap().as_deref(),
        Some("page-2")
    );
    // A failed batch sets no cursor.
    assert!(store.insert_messages(CAROL, &page, Some("x")).is_err());
    assert!(store.archive_cursor(CAROL).unwrap().is_none());
}

pub fn set_state_and_stanza_id<S: Store>(store: &S) {
    setup(store);
    store.upsert_account(&account(CAROL)).unwrap();
    let a = insert_new(store, ALICE, outgoing(BOB, "x", 1));
    for state in [
        MessageState::Sent,
        MessageState::Acked,
        MessageState::Delivered,
        MessageState::Failed,
    ] {
        store.set_message_state(ALICE, a.id, state).unwrap();
        assert_eq!(stored(store, ALICE, BOB, a.id).state, state);
    }
    store.set_stanza_id(ALICE, a.id, "s-42").unwrap();
    assert_eq!(
        stored(store, ALICE, BOB, a.id).stanza_id.as_deref(),
        Some("s-42")
    );
    insert_dup(
        store,
        ALICE,
        with_ids(incoming(BOB, "y", 2), None, None, Some("s-42")),
        a.id,
    );
    let missing = |r: crate::Result<()>| matches!(r, Err(StoreError::NotFound(_)));
    assert!(missing(store.set_message_state(
        ALICE,
        a.id + 100,
        MessageState::Sent
    )));
    assert!(
        missing(store.set_message_state(CAROL, a.id, MessageState::Sent)),
        "other account"
    );
    assert!(missing(store.set_stanza_id(CAROL, a.id, "s")));
    assert_eq!(stored(store, ALICE, BOB, a.id).state, MessageState::Failed);
}

pub fn find_outgoing<S: Store>(store: &S) {
    setup(store);
    let a = insert_new(
        store,
        ALICE,
        with_ids(outgoing(BOB, "x", 1), Some("m1"), Some("o1"), None),
    );
    insert_new(
        store,
        ALICE,
        with_ids(incoming(BOB, "y", 2), Some("m2"), None, None),
    );
    insert_new(
        store,
        ALICE,
        with_ids(outgoing(CAROL, "z", 3), Some("m3"), None, None),
    );
    assert_eq!(
        store.find_outgoing(ALICE, BOB, "m1").unwrap(),
        Some(a.clone())
    );
    assert_eq!(store.find_outgoing(ALICE, BOB, "o1").unwrap(), Some(a));
    assert!(
        store.find_outgoing(ALICE, BOB, "m2").unwrap().is_none(),
        "incoming"
    );
    assert!(
        store.find_outgoing(ALICE, BOB, "m3").unwrap().is_none(),
        "other peer"
    );
    assert!(
        store.find_outgoing(CAROL, BOB, "m1").unwrap().is_none(),
        "other account"
    );
}

pub fn conversations<S: Store>(store: &S) {
    setup(store);
    assert!(store.conversations(ALICE).unwrap().is_empty());
    insert_new(store, ALICE, incoming(BOB, "bob old", 10));
    insert_new(store, ALICE, outgoing(CAROL, "carol new", 40));
    insert_new(store, ALICE, outgoing(BOB, "bob new", 30));
    // Backfilled from the archive later: older, so not the last message.
    insert_new(store, ALICE, incoming(CAROL, "carol backfill", 5));
    insert_new(store, ALICE, incoming("dave@example.org", "dave", 30));
    let convs = store.conversations(ALICE).unwrap();
    assert_eq!(
        bodies(&convs),
        ["carol new", "dave", "bob new"],
        "newest first, ties by id"
    );
    assert!(store.conversations(BOB).unwrap().is_empty());
}

pub fn conversation_encryption_is_sticky<S: Store>(store: &S) {
    setup(store);
    assert_eq!(
        store.conversation_encryption(ALICE, BOB, None).unwrap(),
        None
    );
    insert_new(store, ALICE, outgoing(BOB, "hello", 1));
    assert_eq!(
        store.conversation_encryption(ALICE, BOB, None).unwrap(),
        None
    );
    let encrypted = insert_new(
        store,
        ALICE,
        NewMessage {
            encryption: Encryption::Omemo,
            ..incoming(BOB, "secret", 2)
        },
    );
    // Plaintext afterwards does not make it forget.
    let later = insert_new(store, ALICE, outgoing(BOB, "plain again", 3));
    assert_eq!(
        store.conversation_encryption(ALICE, BOB, None).unwrap(),
        Some(Encryption::Omemo)
    );
    assert_eq!(
        store.conversation_encryption(ALICE, CAROL, None).unwrap(),
        None
    );
    store
        .set_message_encryption(ALICE, later.id, Encryption::Otr)
        .unwrap();
    assert_eq!(
        stored(store, ALICE, BOB, later.id).encryption,
        Encryption::Otr
    );
    assert_eq!(
        store.conversation_encryption(ALICE, BOB, None).unwrap(),
        Some(Encryption::Otr),
        "the newest encrypted message decides"
    );
    assert_eq!(
        stored(store, ALICE, BOB, encrypted.id).encryption,
        Encryption::Omemo
    );
    assert!(matches!(
        store.set_message_encryption(ALICE, later.id + 100, Encryption::Plain),
        Err(StoreError::NotFound(_))
    ));
}
