// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! Conformance cases for accounts, rosters and settings.

use super::{ALICE, BOB, CAROL, account, incoming, insert_new, outgoing};
use crate::{Password, RosterItem, Store, StoreError, Subscription};

fn item(jid: &str, name: Option<&str>, subscription: Subscription) -> RosterItem {
    RosterItem {
        jid: jid.to_owned(),
        name: name.map(str::to_owned),
        subscription,
        ask_subscribe: false,
        groups: vec!["Friends".to_owned(), "Zürich".to_owned()],
    }
}

pub fn accounts_round_trip<S: Store>(store: &S) {
    assert!(store.accounts().unwrap().is_empty());
    let mut bob = account(BOB);
    bob.settings.host = Some("xmpp.example.net".into());
    bob.settings.port = Some(5223);
    bob.settings.direct_tls = true;
    bob.settings.pinned_cert_sha256 = Some("ab".repeat(32));
    bob.settings.enabled = false;
    bob.password = Password::new("p'a\"ss wörd;--".into());
    store.upsert_account(&bob).unwrap();
    store.upsert_account(&account(ALICE)).unwrap();

    let all = store.accounts().unwrap();
    let jids: Vec<&str> = all.iter().map(|a| a.settings.jid.as_str()).collect();
    assert_eq!(jids, [BOB, ALICE], "listed in the order first added");
    let got = store.account(BOB).unwrap().unwrap();
    assert_eq!(got.settings, bob.settings);
    assert_eq!(got.password.expose(), "p'a\"ss wörd;--");
    assert!(store.account(CAROL).unwrap().is_none());

    // Updating keeps the position and replaces settings and password.
    let mut bob2 = bob.clone();
    bob2.settings.resource = "laptop".into();
    bob2.settings.host = None;
    bob2.password = Password::new("new".into());
    store.upsert_account(&bob2).unwrap();
    let all = store.accounts().unwrap();
    assert_eq!(all.len(), 2);
    assert_eq!(all[0].settings, bob2.settings);
    assert_eq!(all[0].password.expose(), "new");
}

pub fn upsert_keeps_account_data<S: Store>(store: &S) {
    store.upsert_account(&account(ALICE)).unwrap();
    insert_new(store, ALICE, incoming(BOB, "hi", 1));
    store
        .replace_roster(ALICE, Some("v1"), &[item(BOB, None, Subscription::Both)])
        .unwrap();
    store.insert_messages(ALICE, &[], Some("cursor-1")).unwrap();
    store.upsert_account(&account(ALICE)).unwrap();
    assert_eq!(store.count_messages(ALICE, BOB).unwrap(), 1);
    assert_eq!(store.roster(ALICE).unwrap().1.len(), 1);
    assert_eq!(
        store.archive_cursor(ALICE).unwrap().as_deref(),
        Some("cursor-1")
    );
}

pub fn remove_account_cascades<S: Store>(store: &S) {
    store.upsert_account(&account(ALICE)).unwrap();
    store.upsert_account(&account(BOB)).unwrap();
    let old = insert_new(store, ALICE, outgoing(CAROL, "zebrafish alpha", 1));
    insert_new(store, BOB, incoming(CAROL, "zebrafish beta", 2));
    store
        .replace_roster(ALICE, Some("v7"), &[item(CAROL, None, Subscription::To)])
        .unwrap();
    store.insert_messages(ALICE, &[], Some("c9")).unwrap();

    store.remove_account(ALICE).unwrap();
    assert!(store.account(ALICE).unwrap().is_none());
    assert_eq!(store.roster(ALICE).unwrap(), (None, vec![]));
    assert!(store.history(ALICE, CAROL, None, 10).unwrap().is_empty());
    assert!(store.outbox(ALICE).unwrap().is_empty());
    assert!(store.conversations(ALICE).unwrap().is_empty());
    assert_eq!(store.count_messages(ALICE, CAROL).unwrap(), 0);
    assert!(store.archive_cursor(ALICE).unwrap().is_none());
    let hits = store.search("zebrafish", 10).unwrap();
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].account, BOB, "the other account is untouched");
    store.remove_account(ALICE).unwrap();

    // Re-adding starts from nothing, and ids are never reused.
    store.upsert_account(&account(ALICE)).unwrap();
    assert_eq!(store.roster(ALICE).unwrap(), (None, vec![]));
    let new = insert_new(store, ALICE, outgoing(CAROL, "again", 3));
    assert!(new.id > old.id + 1);
}

pub fn roster_replace_and_version<S: Store>(store: &S) {
    store.upsert_account(&account(ALICE)).unwrap();
    assert_eq!(store.roster(ALICE).unwrap(), (None, vec![]));
    let mut carol = item(CAROL, Some("Carol ❤"), Subscription::From);
    carol.ask_subscribe = true;
    carol.groups = vec![];
    let bob = item(BOB, None, Subscription::Both);
    store
        .replace_roster(ALICE, Some("ver-1"), &[carol.clone(), bob.clone()])
        .unwrap();
    let (version, items) = store.roster(ALICE).unwrap();
    assert_eq!(version.as_deref(), Some("ver-1"));
    assert_eq!(items, vec![bob.clone(), carol], "ordered by JID");

    store
        .replace_roster(ALICE, None, std::slice::from_ref(&bob))
        .unwrap();
    assert_eq!(store.roster(ALICE).unwrap(), (None, vec![bob]));
    store.replace_roster(ALICE, Some("ver-2"), &[]).unwrap();
    assert_eq!(store.roster(ALICE).unwrap(), (Some("ver-2".into()), vec![]));
}

pub fn roster_push_add_update_remove<S: Store>(store: &S) {
    store.upsert_account(&account(ALICE)).unwrap();
    store.upsert_account(&account(CAROL)).unwrap();
    let bob = item(BOB, None, Subscription::None);
    store
        .apply_roster_push(ALICE, Some("1"), &bob, false)
        .unwrap();
    assert_eq!(
        store.roster(ALICE).unwrap(),
        (Some("1".into()), vec![bob.clone()])
    );

    let bob2 = item(BOB, Some("Bobby"), Subscription::To);
    store
        .apply_roster_push(ALICE, Some("2"), &bob2, false)
        .unwrap();
    assert_eq!(
        store.roster(ALICE).unwrap(),
        (Some("2".into()), vec![bob2.clone()])
    );
    assert_eq!(store.roster(CAROL).unwrap(), (None, vec![]), "per account");

    let dave = item("dave@example.org", None, Subscription::Both);
    store.apply_roster_push(ALICE, None, &dave, false).unwrap();
    assert_eq!(
        store.roster(ALICE).unwrap(),
        (None, vec![bob2.clone(), dave]),
        "a push without version clears the version"
    );

    store
        .apply_roster_push(ALICE, Some("4"), &bob2, true)
        .unwrap();
    let (version, items) = store.roster(ALICE).unwrap();
    assert_eq!(version.as_deref(), Some("4"));
    assert_eq!(items.len(), 1);
    assert_eq!(items[0].jid, "dave@example.org");
    // Removing an item that is not there only moves the version.
    store
        .apply_roster_push(ALICE, Some("5"), &bob2, true)
        .unwrap();
    assert_eq!(store.roster(ALICE).unwrap().0.as_deref(), Some("5"));
}

pub fn writes_to_unknown_account_fail<S: Store>(store: &S) {
    let bob = item(BOB, None, Subscription::None);
    let not_found = |r: crate::Result<()>| matches!(r, Err(StoreError::NotFound(_)));
    assert!(not_found(store.replace_roster(
        ALICE,
        Some("v"),
        std::slice::from_ref(&bob)
    )));
    assert!(not_found(store.apply_roster_push(
        ALICE,
        Some("v"),
        &bob,
        false
    )));
    assert!(matches!(
        store.insert_messages(ALICE, &[incoming(BOB, "x", 1)], Some("c")),
        Err(StoreError::NotFound(_))
    ));
    assert_eq!(store.roster(ALICE).unwrap(), (None, vec![]));
    assert!(store.archive_cursor(ALICE).unwrap().is_none());
    assert!(store.search("x", 10).unwrap().is_empty());
    assert!(store.history(ALICE, BOB, None, 10).unwrap().is_empty());
}

pub fn settings_round_trip<S: Store>(store: &S) {
    assert!(store.setting("theme").unwrap().is_none());
    store.set_setting("theme", "dark").unwrap();
    store.set_setting("lang", "de").unwrap();
    store.set_setting("theme", "light").unwrap();
    assert_eq!(store.setting("theme").unwrap().as_deref(), Some("light"));
    assert_eq!(store.setting("lang").unwrap().as_deref(), Some("de"));
    store.set_setting("empty", "").unwrap();
    assert_eq!(store.setting("empty").unwrap().as_deref(), Some(""));
}
