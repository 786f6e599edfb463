// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! Jump and search (Ctrl+K): contacts and messages, and opening a
//! conversation at a found message, paging back to it when needed.

use iced::keyboard::{Key, key::Named};
use iced_test::Simulator;
use sotto_core::{Command, Event};
use sotto_desktop::screen::ready::conversation::{self, seek};
use sotto_desktop::screen::ready::{self, Pane, contacts, search};
use sotto_store::{Direction, MessageRecord, MessageState};

use crate::contacts::with_roster;
use crate::conversation::{BOB, ME, open_bob, record};
use crate::support::{Harness, press, run};

fn message(id: i64, body: &str) -> MessageRecord {
    record(id, Direction::Incoming, body, MessageState::Received)
}

fn history(ids: std::ops::Range<i64>) -> Vec<MessageRecord> {
    ids.map(|i| message(i, &format!("message {i}"))).collect()
}

/// Ctrl+K, type `query`, Enter: the search is sent.
fn search_for(h: &mut Harness, query: &str) {
    h.update(ready::Message::FocusSearch);
    assert_eq!(h.ready.pane(), Pane::Search);
    h.update(ready::Message::Search(
        search::Message::Input(String::new()),
    ));
    h.type_into(search::FIELD, query);
    for m in press(
        h.ready.view(&h.prefs),
        search::FIELD,
        Key::Named(Named::Enter),
    ) {
        h.update(m);
    }
    assert_eq!(
        h.commands.drain(),
        vec![Command::Search {
            text: query.into(),
            limit: search::LIMIT
        }]
    );
}

fn results(h: &mut Harness, query: &str, results: Vec<MessageRecord>) {
    h.events([Event::SearchResults {
        text: query.into(),
        results,
        request: None,
    }]);
}

/// Where a text is drawn, if it is inside the visible part of its list.
fn visible(h: &Harness, text: &str) -> bool {
    let mut ui = Simulator::new(h.ready.view(&h.prefs));
    ui.find(text)
        .ok()
        .and_then(|t| t.visible_bounds())
        .is_some_and(|b| b.height > 0.0)
}

#[test]
fn ctrl_k_finds_contacts_at_once_and_messages_on_enter() {
    let mut h = with_roster();
    h.update(ready::Message::FocusSearch);
    assert!(h.shows("Search"));
    assert!(h.shows("Close"));
    h.type_into(search::FIELD, "bob");
    // Contacts match while typing (the search lists their addresses; the
    // contact list does not); no message query yet (it waits for a pause
    // or Enter).
    assert!(h.shows("bob@example.org"));
    assert!(!h.shows("dave@example.org"));
    assert!(h.commands.drain().is_empty());
    assert!(h.shows("Press Enter to search the messages."));
    for m in press(
        h.ready.view(&h.prefs),
        search::FIELD,
        Key::Named(Named::Enter),
    ) {
        h.update(m);
    }
    assert_eq!(
        h.commands.drain(),
        vec![Command::Search {
            text: "bob".into(),
            limit: search::LIMIT
        }]
    );
    assert!(h.shows("Searching…"));
    results(&mut h, "bob", vec![message(7, "ask bob about the roof")]);
    assert!(h.shows("ask bob about the roof"));
    assert!(h.shows("22 Nov"), "the date of the result");
    assert_eq!(h.ready.search().results().len(), 1);

    h.type_into(search::FIELD, "zzz");
    for m in press(
        h.ready.view(&h.prefs),
        search::FIELD,
        Key::Named(Named::Enter),
    ) {
        h.update(m);
    }
    h.commands.drain();
    results(&mut h, "bobzzz", vec![]);
    assert!(h.shows("No contact matches."));
    assert!(h.shows("No message contains these words."));
    h.click("Close");
    assert_eq!(h.ready.pane(), Pane::Chat);
}

#[test]
fn answers_to_an_older_query_are_dropped() {
    let mut h = with_roster();
    search_for(&mut h, "roof");
    results(&mut h, "ro", vec![message(1, "rob the roof")]);
    assert!(h.ready.search().waiting());
    assert!(h.ready.search().results().is_empty());
    results(&mut h, "roof", vec![message(2, "fix the roof")]);
    assert!(!h.ready.search().waiting());
    assert!(h.shows("fix the roof"));
}

#[tokio::test]
async fn a_pause_in_typing_searches_the_messages() {
    let mut h = with_roster();
    h.update(ready::Message::FocusSearch);
    let input = |s: &str| ready::Message::Search(search::Message::Input(s.into()));
    // One character: only contacts, no timer.
    assert!(run(h.update_task(input("r"))).await.is_empty());
    let first = run(h.update_task(input("ro"))).await;
    let second = run(h.update_task(input("roo"))).await;
    assert_eq!((first.len(), second.len()), (1, 1));
    // The timer of an edit that was followed by another does nothing.
    for m in first {
        h.update(m);
    }
    assert!(h.commands.drain().is_empty());
    for m in second {
        h.update(m);
    }
    assert_eq!(
        h.commands.drain(),
        vec![Command::Search {
            text: "roo".into(),
            limit: search::LIMIT
        }]
    );
}

#[test]
fn the_contact_list_opens_the_search_with_its_filter() {
    let mut h = with_roster();
    h.type_into(contacts::SEARCH, "roof");
    h.click("Search messages (Ctrl+K)");
    assert_eq!(h.ready.pane(), Pane::Search);
    assert_eq!(h.ready.search().query(), "roof");
    assert_eq!(
        h.commands.drain(),
        vec![Command::Search {
            text: "roof".into(),
            limit: search::LIMIT
        }]
    );
}

#[test]
fn choosing_a_contact_opens_the_conversation() {
    let mut h = with_roster();
    h.update(ready::Message::FocusSearch);
    h.type_into(search::FIELD, "dave");
    h.click("dave@example.org");
    assert_eq!(h.ready.pane(), Pane::Chat);
    assert_eq!(
        h.ready.open_key(),
        Some((ME.to_owned(), "dave@example.org".to_owned()))
    );
}

#[test]
fn a_result_opens_its_conversation_paging_back_to_the_message() {
    let mut h = with_roster();
    search_for(&mut h, "roof");
    results(&mut h, "roof", vec![message(40, "the roof leaks")]);
    h.click("the roof leaks");
    assert_eq!(h.ready.pane(), Pane::Chat);
    let sent = h.commands.drain();
    assert!(sent.contains(&Command::OpenConversation {
        account: ME.into(),
        peer: BOB.into(),
        limit: conversation::PAGE
    }));
    // The newest page does not hold it: the conversation pages back.
    h.events([Event::ConversationSnapshot {
        account: ME.into(),
        peer: BOB.into(),
        messages: history(300..350),
        has_more: true,
        request: None,
    }]);
    assert_eq!(
        h.commands.drain(),
        vec![Command::LoadOlder {
            account: ME.into(),
            peer: BOB.into(),
            before: 300,
            limit: seek::PAGE
        }]
    );
    assert!(h.shows("Looking for the message… (1 of at most 20 pages)"));
    h.events([Event::HistoryPage {
        account: ME.into(),
        peer: BOB.into(),
        messages: history(100..300),
        has_more: true,
        request: None,
    }]);
    assert_eq!(h.commands.drain().len(), 1, "a second page");
    let mut page = history(1..100);
    page[39] = message(40, "the roof leaks");
    h.events([Event::HistoryPage {
        account: ME.into(),
        peer: BOB.into(),
        messages: page,
        has_more: true,
        request: None,
    }]);
    assert!(h.commands.drain().is_empty(), "found: no more paging");
    let c = h.ready.conversation().unwrap();
    assert_eq!(c.focused_message(), Some(40));
    assert!(c.seeking().is_none());
    assert_eq!(
        c.timeline().window().last().map(|m| m.id),
        Some(40 + conversation::timeline::AROUND as i64)
    );
    assert!(visible(&h, "the roof leaks"), "the message is on screen");
    assert!(!h.shows("message 349"), "the newest are not");
    h.click("Jump to the newest messages");
    assert!(h.shows("message 349"));
    assert_eq!(h.ready.conversation().unwrap().focused_message(), None);
}

#[test]
fn a_loaded_result_in_the_open_conversation_is_shown_at_once() {
    let mut h = with_roster();
    open_bob(&mut h);
    let mut messages = history(1..400);
    messages[9] = message(10, "the old roof");
    h.events([Event::ConversationSnapshot {
        account: ME.into(),
        peer: BOB.into(),
        messages,
        has_more: false,
        request: None,
    }]);
    assert!(!h.shows("the old roof"), "outside the window");
    search_for(&mut h, "roof");
    results(&mut h, "roof", vec![message(10, "the old roof")]);
    h.click("the old roof");
    assert!(h.commands.drain().is_empty(), "not opened again");
    assert_eq!(h.ready.conversation().unwrap().focused_message(), Some(10));
    assert!(visible(&h, "the old roof"));
}

#[test]
fn a_jump_gives_up_when_the_message_is_gone_or_is_cancelled() {
    let mut h = with_roster();
    search_for(&mut h, "roof");
    results(&mut h, "roof", vec![message(40, "the roof leaks")]);
    h.click("the roof leaks");
    h.events([Event::ConversationSnapshot {
        account: ME.into(),
        peer: BOB.into(),
        messages: history(300..350),
        has_more: true,
        request: None,
    }]);
    h.commands.drain();
    // History older than the message arrives without it: deleted.
    h.events([Event::HistoryPage {
        account: ME.into(),
        peer: BOB.into(),
        messages: history(10..40),
        has_more: true,
        request: None,
    }]);
    assert!(h.commands.drain().is_empty());
    assert!(h.shows(seek::NOT_FOUND));
    h.click("Dismiss");
    assert!(!h.shows(seek::NOT_FOUND));

    // Cancelled while paging.
    search_for(&mut h, "leak");
    results(&mut h, "leak", vec![message(5, "a leak")]);
    h.click("a leak");
    assert_eq!(h.commands.drain().len(), 1, "asks for the page before 10");
    h.click("Cancel");
    let c = h.ready.conversation().unwrap();
    assert!(c.seeking().is_none() && !c.loading_older());
}

#[test]
fn strangers_who_wrote_are_listed_with_their_count() {
    let mut h = with_roster();
    h.events([
        Event::MessageAdded {
            account: ME.into(),
            message: MessageRecord {
                peer: "eve@example.net".into(),
                ..message(1, "hi, it's Eve")
            },
            request: None,
        },
        Event::MessageAdded {
            account: ME.into(),
            message: MessageRecord {
                peer: "eve@example.net".into(),
                ..message(2, "are you there?")
            },
            request: None,
        },
    ]);
    assert!(h.shows(contacts::OTHERS));
    assert!(h.shows("2"), "the unread badge");
    assert_eq!(h.ready.unread_total(), 2);
    h.click("eve@example.net");
    assert_eq!(
        h.ready.open_key(),
        Some((ME.to_owned(), "eve@example.net".to_owned()))
    );
    assert_eq!(h.ready.unread_total(), 0);
}
