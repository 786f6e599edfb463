// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! A conversation: opening, the bounded message window, paging, states,
//! the composer, unread counters and chat states.

use iced::keyboard::{Key, key::Named};
use sotto_core::{ChatState, Command, Event};
use sotto_desktop::screen::ready::conversation::{self, COMPOSER, timeline};
use sotto_store::{Direction, Encryption, MessageRecord, MessageState};

use crate::contacts::with_roster;
use crate::support::{Harness, press};

pub const ME: &str = "alice@example.org";
pub const BOB: &str = "bob@example.org";

pub fn record(id: i64, direction: Direction, body: &str, state: MessageState) -> MessageRecord {
    MessageRecord {
        id,
        account: ME.into(),
        peer: BOB.into(),
        direction,
        body: body.into(),
        timestamp_ms: 1_795_381_500_000 + id * 60_000,
        message_id: None,
        origin_id: None,
        stanza_id: None,
        state,
        encryption: Encryption::Plain,
        sender_device: None,
        room: None,
    }
}

pub fn open_bob(h: &mut Harness) {
    h.click("Bob Builder");
    let sent = h.commands.drain();
    assert!(sent.contains(&Command::OpenConversation {
        account: ME.into(),
        peer: BOB.into(),
        limit: conversation::PAGE
    }));
    assert!(sent.contains(&Command::SendChatState {
        account: ME.into(),
        to: BOB.into(),
        state: ChatState::Active
    }));
}

#[test]
fn opens_at_the_newest_message_and_renders_only_a_window() {
    let mut h = with_roster();
    open_bob(&mut h);
    assert!(h.shows("Loading messages…"));
    let messages: Vec<MessageRecord> = (1..=2_000)
        .map(|i| {
            record(
                i,
                Direction::Incoming,
                &format!("message {i}"),
                MessageState::Received,
            )
        })
        .collect();
    h.events([Event::ConversationSnapshot {
        account: ME.into(),
        peer: BOB.into(),
        messages,
        has_more: true,
        request: None,
    }]);
    assert!(h.shows("message 2000"));
    assert!(
        !h.shows("message 1"),
        "the oldest message must not be in the widget tree"
    );
    let c = h.ready.conversation().unwrap();
    assert_eq!(c.timeline().window().len(), timeline::WINDOW);
    assert!(h.shows("Bob Builder"));
}

#[test]
fn older_history_is_asked_for_and_can_be_cancelled() {
    let mut h = with_roster();
    open_bob(&mut h);
    h.events([Event::ConversationSnapshot {
        account: ME.into(),
        peer: BOB.into(),
        messages: vec![record(
            100,
            Direction::Incoming,
            "first loaded",
            MessageState::Received,
        )],
        has_more: true,
        request: None,
    }]);
    // Too short to scroll: a button asks for more.
    h.click("Load older messages");
    assert_eq!(
        h.commands.drain(),
        vec![Command::LoadOlder {
            account: ME.into(),
            peer: BOB.into(),
            before: 100,
            limit: conversation::PAGE
        }]
    );
    assert!(h.shows("Loading older messages…"));
    h.click("Cancel");
    assert!(!h.ready.conversation().unwrap().loading_older());
    // A page that arrives after cancelling is dropped.
    h.events([Event::HistoryPage {
        account: ME.into(),
        peer: BOB.into(),
        messages: vec![record(
            50,
            Direction::Incoming,
            "older",
            MessageState::Received,
        )],
        has_more: false,
        request: None,
    }]);
    assert!(!h.shows("older"));
}

#[test]
fn scrolling_to_the_top_pages_older_history() {
    let mut h = with_roster();
    open_bob(&mut h);
    let messages: Vec<MessageRecord> = (1_000..1_100)
        .map(|i| {
            record(
                i,
                Direction::Incoming,
                &format!("message {i}"),
                MessageState::Received,
            )
        })
        .collect();
    h.events([Event::ConversationSnapshot {
        account: ME.into(),
        peer: BOB.into(),
        messages,
        has_more: true,
        request: None,
    }]);
    let messages = {
        let mut ui = iced_test::Simulator::new(h.ready.view(&h.prefs));
        ui.point_at(iced::Point::new(700.0, 300.0));
        let _ = ui.simulate([iced::Event::Mouse(iced::mouse::Event::WheelScrolled {
            delta: iced::mouse::ScrollDelta::Pixels {
                x: 0.0,
                y: 1_000_000.0,
            },
        })]);
        ui.into_messages().collect::<Vec<_>>()
    };
    assert!(!messages.is_empty(), "the list did not report the scroll");
    for m in messages {
        h.update(m);
    }
    assert_eq!(
        h.commands.drain(),
        vec![Command::LoadOlder {
            account: ME.into(),
            peer: BOB.into(),
            before: 1_000,
            limit: conversation::PAGE
        }]
    );
    h.events([Event::HistoryPage {
        account: ME.into(),
        peer: BOB.into(),
        messages: (950..1_000)
            .map(|i| {
                record(
                    i,
                    Direction::Incoming,
                    &format!("message {i}"),
                    MessageState::Received,
                )
            })
            .collect(),
        has_more: false,
        request: None,
    }]);
    let c = h.ready.conversation().unwrap();
    assert_eq!(c.timeline().oldest_id(), Some(950));
    assert!(c.timeline().window().len() <= conversation::timeline::WINDOW);
    assert!(h.shows("message 950"), "the older page is shown");
}

#[test]
fn states_day_separators_and_retry() {
    let mut h = with_roster();
    open_bob(&mut h);
    h.events([
        Event::ConversationSnapshot {
            account: ME.into(),
            peer: BOB.into(),
            messages: vec![
                record(1, Direction::Outgoing, "one", MessageState::Queued),
                record(2, Direction::Outgoing, "two", MessageState::Sent),
            ],
            has_more: false,
            request: None,
        },
        Event::MessageStateChanged {
            account: ME.into(),
            peer: BOB.into(),
            id: 1,
            state: MessageState::Delivered,
        },
        Event::MessageStateChanged {
            account: ME.into(),
            peer: BOB.into(),
            id: 2,
            state: MessageState::Failed,
        },
        // Not ours to know: ignored.
        Event::MessageStateChanged {
            account: ME.into(),
            peer: BOB.into(),
            id: 99,
            state: MessageState::Failed,
        },
    ]);
    assert!(h.shows("Delivered"));
    assert!(h.shows("Failed"));
    assert!(h.shows("This is the beginning of the conversation."));
    let day = sotto_desktop::screen::ready::conversation::day_label_of(
        1_795_381_500_000 + 60_000,
        &crate::support::clock(),
    );
    assert!(h.shows(&day), "day separator {day:?}");
    h.click("Retry");
    assert_eq!(
        h.commands.drain(),
        vec![Command::RetryMessage {
            account: ME.into(),
            id: 2,
            encryption: None,
        }]
    );
    h.events([Event::MessageAdded {
        account: ME.into(),
        message: record(3, Direction::Outgoing, "three", MessageState::Queued),
        request: None,
    }]);
    assert!(h.shows("Sending…"));
    // The core holds it: the reason shows, and only the user's click sends
    // it unencrypted.
    h.events([
        Event::MessageHeld {
            account: ME.into(),
            peer: BOB.into(),
            id: 3,
            reason: "bob's OMEMO device list is now empty".into(),
        },
        Event::ConversationEncryption {
            account: ME.into(),
            peer: BOB.into(),
            automatic: sotto_core::Encryption::Omemo,
            blocked: Some("bob's OMEMO device list is now empty".into()),
        },
    ]);
    assert!(h.shows("Not sent: bob's OMEMO device list is now empty"));
    assert!(h.shows("OMEMO · contact lists no device"));
    h.click("Send unencrypted");
    assert_eq!(
        h.commands.drain(),
        vec![Command::RetryMessage {
            account: ME.into(),
            id: 3,
            encryption: Some(sotto_core::Encryption::Plain),
        }]
    );
    assert!(!h.shows("Not sent: bob's OMEMO device list is now empty"));
}

#[test]
fn composer_enter_sends_shift_enter_breaks_the_line_and_chat_states_follow() {
    let mut h = with_roster();
    open_bob(&mut h);
    h.events([Event::ConversationSnapshot {
        account: ME.into(),
        peer: BOB.into(),
        messages: vec![],
        has_more: false,
        request: None,
    }]);
    assert!(h.shows("No messages yet. Say hello!"));
    h.type_into(COMPOSER, "Hi");
    assert_eq!(
        h.commands.drain(),
        vec![Command::SendChatState {
            account: ME.into(),
            to: BOB.into(),
            state: ChatState::Composing
        }]
    );
    // Shift+Enter: a new line, nothing sent.
    let key_press = |shift: bool| iced::widget::text_editor::KeyPress {
        key: Key::Named(Named::Enter),
        modified_key: Key::Named(Named::Enter),
        physical_key: iced::keyboard::key::Physical::Code(iced::keyboard::key::Code::Enter),
        modifiers: if shift {
            iced::keyboard::Modifiers::SHIFT
        } else {
            iced::keyboard::Modifiers::empty()
        },
        text: None,
        status: iced::widget::text_editor::Status::Focused { is_hovered: false },
    };
    assert!(matches!(
        conversation::composer_binding(key_press(true)),
        Some(iced::widget::text_editor::Binding::Enter)
    ));
    assert!(matches!(
        conversation::composer_binding(key_press(false)),
        Some(iced::widget::text_editor::Binding::Custom(
            conversation::Message::Send
        ))
    ));
    // Enter: sent.
    let messages = press(h.ready.view(&h.prefs), COMPOSER, Key::Named(Named::Enter));
    for m in messages {
        h.update(m);
    }
    assert_eq!(
        h.commands.drain(),
        vec![Command::SendMessage {
            account: ME.into(),
            to: BOB.into(),
            body: "Hi".into(),
            encryption: None
        }]
    );
    assert!(!h.shows("Hi"), "the composer is cleared");

    h.events([Event::ChatState {
        account: ME.into(),
        from: BOB.into(),
        state: ChatState::Composing,
    }]);
    assert!(h.shows("typing…"));
    h.events([Event::MessageAdded {
        account: ME.into(),
        message: record(7, Direction::Incoming, "Hello back", MessageState::Received),
        request: None,
    }]);
    assert!(h.shows("Hello back"));
    assert!(!h.shows("typing…"));
}

#[test]
fn unread_counters_and_title() {
    let mut h = with_roster();
    h.events([Event::MessageAdded {
        account: ME.into(),
        message: record(1, Direction::Incoming, "psst", MessageState::Received),
        request: None,
    }]);
    assert_eq!(h.ready.unread_total(), 1);
    assert!(h.shows("Chats (1)"));
    open_bob(&mut h);
    assert_eq!(h.ready.unread_total(), 0);
    // While the window is in the background, even the open conversation counts.
    h.ready.set_focused(false);
    h.events([Event::MessageAdded {
        account: ME.into(),
        message: record(
            2,
            Direction::Incoming,
            "still there?",
            MessageState::Received,
        ),
        request: None,
    }]);
    assert_eq!(h.ready.unread_total(), 1);
    h.ready.set_focused(true);
    assert_eq!(h.ready.unread_total(), 0);
}

#[test]
fn rename_and_remove_from_the_header() {
    let mut h = with_roster();
    open_bob(&mut h);
    h.click("Rename");
    h.type_into(conversation::RENAME, "Bobby");
    h.click("Save");
    assert_eq!(
        h.commands.drain(),
        vec![Command::RenameContact {
            account: ME.into(),
            jid: BOB.into(),
            name: Some("Bobby".into())
        }]
    );
    h.click("Remove contact");
    assert!(h.shows("Remove Bob Builder from your contacts?"));
    h.click("Remove");
    assert_eq!(
        h.commands.drain(),
        vec![Command::RemoveContact {
            account: ME.into(),
            jid: BOB.into()
        }]
    );
}

#[test]
fn block_and_unblock_from_the_header() {
    let mut h = with_roster();
    open_bob(&mut h);
    assert!(!h.shows("blocked"));
    h.click("Block");
    assert_eq!(
        h.commands.drain(),
        vec![Command::SetBlocked {
            account: ME.into(),
            jid: BOB.into(),
            blocked: true
        }]
    );
    // Nothing changes until the server confirms with the new list.
    assert!(!h.shows("Unblock"));
    h.events([Event::Blocklist {
        account: ME.into(),
        blocked: vec![BOB.into()],
    }]);
    assert!(h.shows("Unblock"));
    assert!(h.shows("blocked"), "marked in the contact list");
    assert!(h.shows(
        "You blocked Bob Builder. Their messages and presence do not reach you, and your server \
         refuses to deliver what you write to them. Unblock to talk again."
    ));
    h.click("Unblock");
    assert_eq!(
        h.commands.drain(),
        vec![Command::SetBlocked {
            account: ME.into(),
            jid: BOB.into(),
            blocked: false
        }]
    );
    h.events([Event::Blocklist {
        account: ME.into(),
        blocked: vec![],
    }]);
    assert!(h.shows("Block"));
    assert!(!h.shows("Unblock"));
    assert!(!h.shows("blocked"));
}
