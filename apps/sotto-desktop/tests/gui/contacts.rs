// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! The contact list: roster, presence, search, requests, adding.

use sotto_core::{Availability, Command, ConnectionState, Event};
use sotto_desktop::screen::ready::contacts::{ADD_JID, SEARCH};
use sotto_store::{RosterItem, Subscription};

use crate::accounts::settings;
use crate::support::Harness;

pub fn item(jid: &str, name: Option<&str>, groups: &[&str]) -> RosterItem {
    RosterItem {
        jid: jid.into(),
        name: name.map(Into::into),
        subscription: Subscription::Both,
        ask_subscribe: false,
        groups: groups.iter().map(|g| (*g).to_owned()).collect(),
    }
}

/// A ready app with one online account and a small roster.
pub fn with_roster() -> Harness {
    let mut h = Harness::new();
    h.events([
        Event::AccountsSnapshot {
            accounts: vec![settings("alice@example.org")],
        },
        Event::Connection {
            account: "alice@example.org".into(),
            state: ConnectionState::Online {
                jid: "alice@example.org/sotto-1".into(),
                resumed: false,
            },
        },
        Event::RosterSnapshot {
            account: "alice@example.org".into(),
            items: vec![
                item("bob@example.org", Some("Bob Builder"), &["Friends"]),
                item("carol@example.net", None, &[]),
                item("dave@example.org", Some("Dave"), &["Friends"]),
            ],
        },
        Event::Presence {
            account: "alice@example.org".into(),
            from: "dave@example.org/phone".into(),
            availability: Availability::Available,
            status: None,
        },
    ]);
    h.commands.drain();
    h
}

#[test]
fn roster_is_grouped_and_searchable() {
    let mut h = with_roster();
    assert!(h.shows("Friends"));
    assert!(h.shows("Contacts"));
    assert!(h.shows("Bob Builder"));
    assert!(h.shows("carol@example.net"));
    assert!(h.shows("BB"), "initials avatar");
    h.type_into(SEARCH, "car");
    assert!(h.shows("carol@example.net"));
    assert!(!h.shows("Bob Builder"));
    h.type_into(SEARCH, "zzz");
    assert!(h.shows("No contact matches."));
}

#[test]
fn ctrl_k_jumps_to_the_search_and_tab_moves_the_focus() {
    use iced::keyboard::{Event as Key, Location, Modifiers, key};
    let press = |modifiers| {
        iced::Event::Keyboard(Key::KeyPressed {
            key: key::Key::Character("k".into()),
            modified_key: key::Key::Character("k".into()),
            physical_key: key::Physical::Code(key::Code::KeyK),
            location: Location::Standard,
            modifiers,
            text: None,
            repeat: false,
        })
    };
    let id = iced::window::Id::unique();
    let hotkey =
        |event| sotto_desktop::app::on_runtime_event(event, iced::event::Status::Ignored, id);
    assert!(matches!(
        hotkey(press(Modifiers::COMMAND)),
        Some(sotto_desktop::Message::FocusSearch)
    ));
    assert!(hotkey(press(Modifiers::empty())).is_none());
    // Tab moves the focus, unless a widget used the key.
    let tab = |modifiers| {
        iced::Event::Keyboard(Key::KeyPressed {
            key: key::Key::Named(key::Named::Tab),
            modified_key: key::Key::Named(key::Named::Tab),
            physical_key: key::Physical::Code(key::Code::Tab),
            location: Location::Standard,
            modifiers,
            text: None,
            repeat: false,
        })
    };
    assert!(matches!(
        hotkey(tab(Modifiers::empty())),
        Some(sotto_desktop::Message::FocusNext(true))
    ));
    assert!(matches!(
        hotkey(tab(Modifiers::SHIFT)),
        Some(sotto_desktop::Message::FocusNext(false))
    ));
    assert!(
        sotto_desktop::app::on_runtime_event(
            tab(Modifiers::empty()),
            iced::event::Status::Captured,
            id
        )
        .is_none()
    );
}

#[test]
fn subscription_requests_are_answered() {
    let mut h = with_roster();
    h.events([Event::SubscriptionRequest {
        account: "alice@example.org".into(),
        from: "eve@example.net".into(),
    }]);
    assert!(h.shows("eve@example.net wants to see when you are online."));
    h.click("Accept");
    assert_eq!(
        h.commands.drain(),
        vec![Command::AnswerSubscription {
            account: "alice@example.org".into(),
            jid: "eve@example.net".into(),
            approve: true,
        }]
    );
    assert!(!h.shows("eve@example.net wants to see when you are online."));
    h.events([Event::SubscriptionRequest {
        account: "alice@example.org".into(),
        from: "mallory@example.net".into(),
    }]);
    h.click("Decline");
    assert_eq!(
        h.commands.drain(),
        vec![Command::AnswerSubscription {
            account: "alice@example.org".into(),
            jid: "mallory@example.net".into(),
            approve: false,
        }]
    );
}

#[test]
fn adding_a_contact() {
    let mut h = with_roster();
    h.click("+ Add contact");
    assert!(h.shows("Add a contact"));
    h.type_into(ADD_JID, "nobody");
    h.click("Add");
    assert!(h.shows("Enter an address like friend@example.org."));
    h.type_into(ADD_JID, "@example.org");
    h.click("Add");
    assert_eq!(
        h.commands.drain(),
        vec![Command::AddContact {
            account: "alice@example.org".into(),
            jid: "nobody@example.org".into(),
            name: None,
            groups: vec![],
        }]
    );
    assert!(h.shows("Adding…"));
    h.events([Event::RosterItemChanged {
        account: "alice@example.org".into(),
        item: RosterItem {
            ask_subscribe: true,
            subscription: Subscription::None,
            ..item("nobody@example.org", None, &[])
        },
    }]);
    assert!(!h.shows("Add a contact"));
    assert!(h.shows("nobody@example.org"));
    assert!(h.shows("request sent"));
}
