// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! The "New messages" line above the first unread message, and the unread
//! counters in the contact list.

use iced_test::Simulator;
use sotto_core::{Command, Event};
use sotto_desktop::screen::ready::conversation::{self, NEW_MESSAGES};
use sotto_store::{Direction, MessageRecord, MessageState};

use crate::contacts::with_roster;
use crate::conversation::{BOB, ME, record};
use crate::support::Harness;

fn incoming(id: i64) -> MessageRecord {
    record(
        id,
        Direction::Incoming,
        &format!("message {id}"),
        MessageState::Received,
    )
}

fn outgoing(id: i64) -> MessageRecord {
    record(
        id,
        Direction::Outgoing,
        &format!("message {id}"),
        MessageState::Delivered,
    )
}

/// Bob wrote while his conversation was not open.
fn bob_wrote(h: &mut Harness, ids: impl IntoIterator<Item = i64>) {
    h.events(ids.into_iter().map(|id| Event::MessageAdded {
        account: ME.into(),
        message: incoming(id),
        request: None,
    }));
}

fn snapshot(h: &mut Harness, messages: Vec<MessageRecord>) {
    h.events([Event::ConversationSnapshot {
        account: ME.into(),
        peer: BOB.into(),
        messages,
        has_more: false,
        request: None,
    }]);
}

/// The top edge of a text in the view.
fn top_of(h: &Harness, text: &str) -> f32 {
    let mut ui = Simulator::new(h.ready.view(&h.prefs));
    ui.find(text)
        .unwrap_or_else(|e| panic!("{text:?} is not shown: {e}"))
        .bounds()
        .y
}

#[test]
fn the_line_is_drawn_above_the_first_unread_message() {
    let mut h = with_roster();
    bob_wrote(&mut h, [11, 12, 13]);
    assert!(h.shows("3"), "the counter on Bob's entry");
    assert_eq!(h.ready.unread_total(), 3);
    h.click("Bob Builder");
    assert!(h.commands.drain().contains(&Command::OpenConversation {
        account: ME.into(),
        peer: BOB.into(),
        limit: conversation::PAGE
    }));
    assert_eq!(h.ready.unread_total(), 0);
    assert!(!h.shows("3"), "the counter is gone");
    // The snapshot holds older, read messages and our own answer.
    let mut messages: Vec<MessageRecord> = (1..=9).map(incoming).collect();
    messages.push(outgoing(10));
    messages.extend([11, 12, 13].map(incoming));
    snapshot(&mut h, messages);
    let c = h.ready.conversation().unwrap();
    assert_eq!(c.new_messages_marker(), Some(11));
    let line = top_of(&h, NEW_MESSAGES);
    assert!(
        top_of(&h, "message 10") < line,
        "read messages are above it"
    );
    assert!(
        line < top_of(&h, "message 11"),
        "the first unread is below it"
    );
}

#[test]
fn no_line_when_everything_is_read() {
    let mut h = with_roster();
    h.click("Bob Builder");
    snapshot(&mut h, (1..=5).map(incoming).collect());
    assert_eq!(h.ready.conversation().unwrap().new_messages_marker(), None);
    assert!(!h.shows(NEW_MESSAGES));
    // A message read as it arrives gets no line either.
    bob_wrote(&mut h, [6]);
    assert!(h.shows("message 6"));
    assert!(!h.shows(NEW_MESSAGES));
}

#[test]
fn many_unread_messages_are_all_loaded_and_the_line_goes_above_the_first() {
    let mut h = with_roster();
    bob_wrote(&mut h, 1..=120);
    h.click("Bob Builder");
    assert!(h.commands.drain().contains(&Command::OpenConversation {
        account: ME.into(),
        peer: BOB.into(),
        limit: 130
    }));
    snapshot(&mut h, (1..=130).map(|i| incoming(i + 1000)).collect());
    assert_eq!(
        h.ready.conversation().unwrap().new_messages_marker(),
        Some(1011)
    );
}

#[test]
fn messages_that_arrive_in_the_background_get_the_line_on_return() {
    let mut h = with_roster();
    h.click("Bob Builder");
    snapshot(&mut h, (1..=5).map(incoming).collect());
    h.ready.set_focused(false);
    bob_wrote(&mut h, [6, 7]);
    assert_eq!(h.ready.unread_total(), 2);
    h.ready.set_focused(true);
    assert_eq!(h.ready.unread_total(), 0);
    assert_eq!(
        h.ready.conversation().unwrap().new_messages_marker(),
        Some(6)
    );
    assert!(h.shows(NEW_MESSAGES));
    // Answering reads them: the line goes.
    h.type_into(conversation::COMPOSER, "ok");
    h.update(sotto_desktop::screen::ready::Message::Conversation(
        conversation::Message::Send,
    ));
    assert!(!h.shows(NEW_MESSAGES));
}
