// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! The unlocked app: contact list on the left; a conversation, the search,
//! the accounts or the settings on the right; the certificate prompt over
//! everything.
//!
//! Everything shown is the GUI's own copy, built from the core's events;
//! every action is a command sent to the core.

pub mod account_form;
pub mod accounts;
pub mod certificate;
pub mod contacts;
pub mod conversation;
pub mod e2e;
pub mod protection;
pub mod roster;
pub mod search;
pub mod settings;
pub mod transfers;

use std::collections::HashMap;

use iced::widget::{button, center, column, container, opaque, row, rule, stack, text};
use iced::{Alignment, Color, Element, Length, Task, Theme};
use sotto_core::{Command, Event};
use sotto_store::{Direction, SqlStore};

use crate::clock::Clock;
use crate::core_link::Core;
use crate::notify;
use crate::prefs::Prefs;
use accounts::Accounts;
use contacts::Contacts;
use conversation::encryption::Choice;
use conversation::seek::Target;
use conversation::{Conversation, Opening, Peer};
use e2e::E2e;
use protection::Protection;
use roster::Rosters;
use search::Search;
use transfers::Transfers;

/// Which pane is shown on the right.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pane {
    /// The open conversation.
    Chat,
    /// Jump to a contact, search the messages (Ctrl+K).
    Search,
    /// Accounts and network.
    Accounts,
    /// Settings.
    Settings,
}

/// The unlocked app's state.
#[derive(Debug)]
pub struct Ready {
    core: Core,
    store: SqlStore,
    pane: Pane,
    accounts: Accounts,
    rosters: Rosters,
    contacts: Contacts,
    search: Search,
    conversation: Option<Conversation>,
    /// Messages that arrived unseen, per (account, peer).
    unread: HashMap<(String, String), usize>,
    focused: bool,
    restore: Option<(String, String)>,
    /// The enabled accounts, for the add-contact form.
    enabled: Vec<String>,
    /// OTR states, OMEMO keys and encryption choices, kept across
    /// conversations.
    e2e: E2e,
    /// What the views read the time from.
    clock: Clock,
    /// The settings' profile-protection form.
    protection: Protection,
    /// Files being sent.
    transfers: Transfers,
}

/// What the user does in the unlocked app.
#[derive(Debug, Clone)]
pub enum Message {
    /// Switch the right pane.
    Show(Pane),
    /// The accounts pane.
    Accounts(accounts::Message),
    /// The contact list.
    Contacts(contacts::Message),
    /// The open conversation.
    Conversation(conversation::Message),
    /// The search screen.
    Search(search::Message),
    /// The settings pane.
    Settings(settings::Message),
    /// Ctrl+K: open the search screen and focus its field.
    FocusSearch,
    /// A notification was shown (or failed quietly).
    Notified,
}

impl Ready {
    /// The state right after the core connected. `store` is kept only to
    /// save the GUI's own setting after the core has stopped; `restore` is
    /// the conversation to reopen.
    pub fn new(core: Core, store: SqlStore, restore: Option<(String, String)>) -> Self {
        Self {
            core,
            store,
            pane: Pane::Chat,
            accounts: Accounts::default(),
            rosters: Rosters::default(),
            contacts: Contacts::default(),
            search: Search::default(),
            conversation: None,
            unread: HashMap::new(),
            focused: true,
            restore,
            enabled: Vec::new(),
            e2e: E2e::default(),
            clock: Clock::system(),
            protection: Protection::default(),
            transfers: Transfers::default(),
        }
    }

    /// Reads the time from `clock` (tests fix it).
    pub fn set_clock(&mut self, clock: Clock) {
        self.clock = clock;
    }

    /// The search screen's state.
    pub fn search(&self) -> &Search {
        &self.search
    }

    /// Unread messages per (account, peer).
    pub fn unread(&self) -> &HashMap<(String, String), usize> {
        &self.unread
    }

    /// The command sender.
    pub fn core(&self) -> &Core {
        &self.core
    }

    /// The profile's store, for the GUI's own setting once the core stopped.
    pub fn store(&self) -> &SqlStore {
        &self.store
    }

    /// The shown pane.
    pub fn pane(&self) -> Pane {
        self.pane
    }

    /// The accounts as the GUI knows them.
    pub fn accounts(&self) -> &Accounts {
        &self.accounts
    }

    /// The rosters as the GUI knows them.
    pub fn rosters(&self) -> &Rosters {
        &self.rosters
    }

    /// The contact list's state.
    pub fn contacts(&self) -> &Contacts {
        &self.contacts
    }

    /// OTR states, OMEMO keys and choices, and the OMEMO trust mode.
    pub fn e2e(&self) -> &E2e {
        &self.e2e
    }

    /// The open conversation.
    pub fn conversation(&self) -> Option<&Conversation> {
        self.conversation.as_ref()
    }

    /// The open conversation's account and peer, to restore next time.
    pub fn open_key(&self) -> Option<(String, String)> {
        self.conversation
            .as_ref()
            .map(|c| (c.key().0.to_owned(), c.key().1.to_owned()))
    }

    /// Unread messages across conversations.
    pub fn unread_total(&self) -> usize {
        self.unread.values().sum()
    }

    /// The window gained or lost focus.
    pub fn set_focused(&mut self, focused: bool) {
        self.focused = focused;
        if focused
            && self.pane == Pane::Chat
            && let Some(key) = self.open_key()
            && let Some(n) = self.unread.remove(&key)
            && let Some(c) = &mut self.conversation
        {
            c.mark_unread(n);
        }
    }

    fn enabled_accounts(&self) -> Vec<String> {
        self.accounts
            .list()
            .iter()
            .filter(|a| a.settings.enabled)
            .map(|a| a.settings.jid.clone())
            .collect()
    }

    /// Files being sent.
    pub fn transfers(&self) -> &Transfers {
        &self.transfers
    }

    /// The settings' profile-protection form.
    pub fn protection(&self) -> &Protection {
        &self.protection
    }

    /// Applies a core event to every part that keeps a copy. A change of
    /// the profile protection is written to `prefs.keyring` (the caller
    /// saves the preferences).
    pub fn on_event(&mut self, event: &Event, prefs: &mut Prefs) -> Task<Message> {
        if let Some(keyring) = self.protection.on_event(event) {
            prefs.keyring = keyring;
        }
        for account in self.accounts.on_event(event) {
            self.core.send(Command::GetRoster { account });
        }
        self.enabled = self.enabled_accounts();
        let first_snapshot = matches!(event, Event::AccountsSnapshot { .. });
        self.rosters.on_event(event);
        self.contacts.on_event(event);
        self.search.on_event(event);
        self.e2e.on_event(event);
        self.transfers.on_event(event);
        let mut tasks = Vec::new();
        if let Some(conversation) = &mut self.conversation {
            tasks.push(
                conversation
                    .on_event(event, &self.core)
                    .map(Message::Conversation),
            );
        }
        match event {
            Event::AccountsSnapshot { accounts } if first_snapshot => {
                if accounts.is_empty() && self.pane == Pane::Chat {
                    self.pane = Pane::Accounts;
                    if !self.accounts.form_open() {
                        tasks.push(self.accounts.show_form().map(Message::Accounts));
                    }
                } else if let Some((account, peer)) = self.restore.take()
                    && accounts.iter().any(|a| a.jid == account)
                {
                    tasks.push(self.open(account, peer, None, prefs.default_encryption));
                }
            }
            Event::MessageAdded {
                account, message, ..
            } if message.direction == Direction::Incoming => {
                let key = (account.clone(), message.peer.clone());
                let visible = self.focused
                    && self.pane == Pane::Chat
                    && self.open_key().as_ref() == Some(&key);
                if !visible {
                    *self.unread.entry(key).or_default() += 1;
                    let now = self.clock.now_ms();
                    if prefs.notifications
                        && !self.focused
                        && conversation::is_fresh_incoming(message, now)
                    {
                        let sender = self
                            .rosters
                            .item(account, &message.peer)
                            .and_then(|i| i.name.clone())
                            .unwrap_or_else(|| message.peer.clone());
                        let note = notify::for_message(
                            &sender,
                            &message.body,
                            prefs.private_notifications,
                        );
                        tasks.push(Task::perform(notify::show(note), |()| Message::Notified));
                    }
                }
            }
            Event::AccountRemoved { account } => {
                self.unread.retain(|(a, _), _| a != account);
                if self.open_key().is_some_and(|(a, _)| &a == account) {
                    self.conversation = None;
                }
            }
            _ => {}
        }
        Task::batch(tasks)
    }

    /// Shows the conversation with `peer`, opening it if another one is
    /// open, at `target` if given; its unread messages count as read.
    fn open(
        &mut self,
        account: String,
        peer: String,
        target: Option<Target>,
        default: Choice,
    ) -> Task<Message> {
        self.pane = Pane::Chat;
        let key = (account.clone(), peer.clone());
        let unread = self.unread.remove(&key).unwrap_or(0);
        let focus = iced::widget::operation::focus(conversation::COMPOSER);
        if self.open_key().as_ref() == Some(&key)
            && let Some(c) = &mut self.conversation
        {
            c.mark_unread(unread);
            let jump = match target {
                Some(target) => c.jump_to(target, &self.core).map(Message::Conversation),
                None => Task::none(),
            };
            return Task::batch([jump, focus]);
        }
        if let Some(previous) = &self.conversation {
            previous.leave(&self.core);
        }
        let opening = Opening {
            otr: self.e2e.otr(&account, &peer),
            choice: self.e2e.choice(&account, &peer, default),
            unread,
            target,
        };
        if self.e2e.first_look(&account, &peer) {
            // What the lock shows on "Automatic" depends on the contact's
            // OMEMO devices; the core lists them once asked.
            self.core.send(Command::GetOmemoFingerprints {
                account: account.clone(),
                jid: Some(peer.clone()),
            });
        }
        self.conversation = Some(Conversation::open(&self.core, account, peer, opening));
        focus
    }

    /// Opens the search screen, with `query` if it is not empty.
    fn show_search(&mut self, query: &str) -> Task<Message> {
        self.pane = Pane::Search;
        self.search.start(query, &self.core);
        iced::widget::operation::focus(search::FIELD)
    }

    /// Handles a message. Settings change `prefs`.
    pub fn update(&mut self, message: Message, prefs: &mut Prefs) -> Task<Message> {
        match message {
            Message::Show(pane) => {
                self.pane = pane;
                if pane == Pane::Accounts {
                    self.core.send(Command::GetTorStatus);
                }
                if pane == Pane::Chat {
                    self.set_focused(self.focused);
                }
                Task::none()
            }
            Message::Accounts(m) => self.accounts.update(m, &self.core).map(Message::Accounts),
            Message::Contacts(m) => match self.contacts.update(m, &self.core, &self.enabled) {
                contacts::Action::None => Task::none(),
                contacts::Action::Run(task) => task.map(Message::Contacts),
                contacts::Action::Open(account, peer) => {
                    self.open(account, peer, None, prefs.default_encryption)
                }
                contacts::Action::Search(query) => self.show_search(&query),
            },
            Message::Conversation(conversation::Message::Picked(path)) => {
                if let (Some(path), Some(c)) = (path, &self.conversation) {
                    c.send_file(&self.core, &path, self.transfers.next_id());
                }
                Task::none()
            }
            Message::Conversation(conversation::Message::SaveTo(id, path)) => {
                if let (Some(path), Some(c)) = (path, &self.conversation) {
                    c.save_file(&self.core, id, &path, self.transfers.next_id());
                }
                Task::none()
            }
            Message::Conversation(conversation::Message::Transfer(m)) => {
                match m {
                    transfers::Message::Cancel(id) => {
                        if let Some(account) = self.transfers.account_of(&id) {
                            self.core.send(Command::CancelTransfer {
                                account: account.to_owned(),
                                id,
                            });
                        }
                    }
                    transfers::Message::Dismiss(id) => self.transfers.dismiss(&id),
                }
                Task::none()
            }
            Message::Conversation(m) => match &mut self.conversation {
                Some(c) => {
                    let task = c.update(m, &self.core).map(Message::Conversation);
                    let (account, peer) = c.key();
                    self.e2e
                        .set_choice(account, peer, c.choice(), prefs.default_encryption);
                    task
                }
                None => Task::none(),
            },
            Message::Search(m) => match self.search.update(m, &self.core) {
                search::Action::None => Task::none(),
                search::Action::Run(task) => task.map(Message::Search),
                search::Action::OpenContact(account, peer) => {
                    self.open(account, peer, None, prefs.default_encryption)
                }
                search::Action::OpenMessage(account, peer, target) => {
                    self.open(account, peer, Some(target), prefs.default_encryption)
                }
                search::Action::Close => {
                    self.pane = Pane::Chat;
                    self.set_focused(self.focused);
                    Task::none()
                }
            },
            Message::Settings(m) => {
                settings::update(prefs, &mut self.protection, m, &self.core);
                Task::none()
            }
            Message::FocusSearch => self.show_search(""),
            Message::Notified => Task::none(),
        }
    }

    fn peer(&self, account: &str, jid: &str) -> Peer {
        let item = self.rosters.item(account, jid);
        Peer {
            name: item
                .and_then(|i| i.name.clone())
                .filter(|n| !n.trim().is_empty()),
            presence: self.rosters.presence(account, jid),
            in_roster: item.is_some(),
            account_online: self
                .accounts
                .get(account)
                .is_some_and(accounts::Account::online),
            blocked: self.rosters.is_blocked(account, jid),
        }
    }

    /// The unlocked app.
    pub fn view<'a>(&'a self, prefs: &'a Prefs) -> Element<'a, Message> {
        let nav = |label: &'static str, pane: Pane| {
            let style = if self.pane == pane {
                button::primary
            } else {
                button::text
            };
            button(text(label).size(14))
                .style(style)
                .on_press(Message::Show(pane))
        };
        let unread = self.unread_total();
        let chats = if unread > 0 {
            format!("Chats ({unread})")
        } else {
            "Chats".to_owned()
        };
        let chats_button = button(text(chats).size(14))
            .style(if self.pane == Pane::Chat {
                button::primary
            } else {
                button::text
            })
            .on_press(Message::Show(Pane::Chat));
        let enabled = &self.enabled;
        let sidebar = column![
            row![
                chats_button,
                nav("Accounts", Pane::Accounts),
                nav("Settings", Pane::Settings)
            ]
            .spacing(4)
            .align_y(Alignment::Center),
            self.contacts
                .view(
                    &self.rosters,
                    &self.unread,
                    self.conversation.as_ref().map(Conversation::key),
                    enabled,
                )
                .map(Message::Contacts),
        ]
        .spacing(10)
        .padding(10)
        .width(300);
        let main: Element<'a, Message> = match self.pane {
            Pane::Accounts => self.accounts.view().map(Message::Accounts),
            Pane::Settings => settings::view(prefs, self.e2e.trust_mode(), &self.protection)
                .map(Message::Settings),
            Pane::Search => self
                .search
                .view(&self.rosters, &self.clock)
                .map(Message::Search),
            Pane::Chat => match &self.conversation {
                Some(c) => {
                    let (account, jid) = c.key();
                    c.view(
                        self.peer(account, jid),
                        self.e2e.keys(account, jid),
                        &self.transfers.of(account, jid),
                        &self.clock,
                    )
                    .map(Message::Conversation)
                }
                None => center(
                    text(if self.rosters.is_empty() {
                        "Add a contact to start a conversation."
                    } else {
                        "Choose a contact to start a conversation."
                    })
                    .style(text::secondary),
                )
                .into(),
            },
        };
        let base = row![
            sidebar,
            rule::vertical(1),
            container(main).width(Length::Fill)
        ]
        .height(Length::Fill);
        match self.accounts.prompt() {
            Some(prompt) => stack![
                base,
                opaque(
                    center(accounts::prompt_view(prompt).map(Message::Accounts)).style(
                        |_theme: &Theme| container::Style {
                            background: Some(
                                Color {
                                    a: 0.6,
                                    ..Color::BLACK
                                }
                                .into()
                            ),
                            ..container::Style::default()
                        }
                    )
                )
            ]
            .into(),
            None => base.into(),
        }
    }
}
