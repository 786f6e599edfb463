// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! The contact list: filter, add a contact, answer subscription requests,
//! the roster grouped and sorted by presence with unread counters, people
//! outside the roster who wrote, and the way into the message search.

use std::collections::HashMap;

use iced::widget::{
    Column, button, column, container, pick_list, row, scrollable, space, text, text_input,
};
use iced::{Alignment, Element, Length, Task};
use sotto_core::{Command, Event};

use super::roster::Rosters;
use crate::core_link::Core;
use crate::widgets;

/// The filter field's widget id.
pub const SEARCH: &str = "contact-search";
/// Where people who wrote but are not in the roster are listed.
pub const OTHERS: &str = "Not in your contacts";
/// The add-contact JID field's widget id.
pub const ADD_JID: &str = "contact-add-jid";

/// The contact list's own state (the rosters live in [`Rosters`]).
#[derive(Debug, Default)]
pub struct Contacts {
    search: String,
    add: Option<AddForm>,
    requests: Vec<(String, String)>,
}

#[derive(Debug, Default)]
struct AddForm {
    account: Option<String>,
    jid: String,
    name: String,
    group: String,
    error: Option<String>,
    pending: Option<String>,
}

/// What the user does in the contact list.
#[derive(Debug, Clone)]
pub enum Message {
    /// The search text changed.
    Search(String),
    /// A contact was clicked.
    Open(String, String),
    /// Search the messages (for the filter's text).
    SearchMessages,
    /// Show the add-contact form.
    ShowAdd,
    /// Hide it.
    CancelAdd,
    /// The account to add to.
    AddAccount(String),
    /// The JID field changed.
    AddJid(String),
    /// The name field changed.
    AddName(String),
    /// The group field changed.
    AddGroup(String),
    /// Add the contact.
    SubmitAdd,
    /// Answer a subscription request.
    Answer {
        /// Account asked.
        account: String,
        /// Who asked.
        from: String,
        /// Approve or deny.
        approve: bool,
    },
}

/// What the parent must do.
#[derive(Debug)]
pub enum Action {
    /// Nothing more.
    None,
    /// Run a task.
    Run(Task<Message>),
    /// Open the conversation with this contact.
    Open(String, String),
    /// Open the search screen with this text.
    Search(String),
}

impl Contacts {
    /// Pending subscription requests.
    pub fn requests(&self) -> &[(String, String)] {
        &self.requests
    }

    /// Applies a core event.
    pub fn on_event(&mut self, event: &Event) {
        match event {
            Event::SubscriptionRequest { account, from } => {
                let key = (account.clone(), from.clone());
                if !self.requests.contains(&key) {
                    self.requests.push(key);
                }
            }
            Event::RosterItemChanged { account, item } => {
                if let Some(form) = &mut self.add
                    && form.pending.as_deref() == Some(item.jid.as_str())
                    && form.account.as_deref() == Some(account.as_str())
                {
                    self.add = None;
                }
            }
            Event::CommandFailed {
                account, reason, ..
            } => {
                if let Some(form) = &mut self.add
                    && form.pending.is_some()
                    && (account.is_none() || account == &form.account)
                {
                    form.pending = None;
                    form.error = Some(reason.clone());
                }
            }
            Event::AccountRemoved { account } => {
                self.requests.retain(|(a, _)| a != account);
            }
            _ => {}
        }
    }

    /// Handles a message. `accounts` are the enabled accounts, for the
    /// add-contact form.
    pub fn update(&mut self, message: Message, core: &Core, accounts: &[String]) -> Action {
        match message {
            Message::Search(s) => self.search = s,
            Message::Open(account, jid) => return Action::Open(account, jid),
            Message::SearchMessages => return Action::Search(self.search.trim().to_owned()),
            Message::ShowAdd => {
                self.add = Some(AddForm {
                    account: accounts.first().cloned(),
                    ..AddForm::default()
                });
                return Action::Run(iced::widget::operation::focus(ADD_JID));
            }
            Message::CancelAdd => self.add = None,
            Message::AddAccount(a) => self.with_form(|f| f.account = Some(a)),
            Message::AddJid(j) => self.with_form(|f| f.jid = j),
            Message::AddName(n) => self.with_form(|f| f.name = n),
            Message::AddGroup(g) => self.with_form(|f| f.group = g),
            Message::SubmitAdd => {
                if let Some(form) = &mut self.add {
                    submit(form, core);
                }
            }
            Message::Answer {
                account,
                from,
                approve,
            } => {
                core.send(Command::AnswerSubscription {
                    account: account.clone(),
                    jid: from.clone(),
                    approve,
                });
                self.requests
                    .retain(|r| r != &(account.clone(), from.clone()));
            }
        }
        Action::None
    }

    fn with_form(&mut self, f: impl FnOnce(&mut AddForm)) {
        if let Some(form) = &mut self.add {
            f(form);
            form.error = None;
        }
    }

    /// The contact list.
    pub fn view<'a>(
        &'a self,
        rosters: &'a Rosters,
        unread: &'a HashMap<(String, String), usize>,
        selected: Option<(&'a str, &'a str)>,
        accounts: &'a [String],
    ) -> Element<'a, Message> {
        let search = text_input("Filter contacts", &self.search)
            .id(SEARCH)
            .on_input(Message::Search)
            .padding(8);
        let mut list = Column::new().spacing(2);
        for (account, from) in &self.requests {
            list = list.push(request(account, from));
        }
        if let Some(form) = &self.add {
            list = list.push(add_form(form, accounts));
        }
        let groups = rosters.grouped(&self.search);
        let others = others(rosters, unread, &self.search);
        if groups.is_empty() && others.is_empty() && self.add.is_none() {
            let hint = if self.search.trim().is_empty() {
                "No contacts yet."
            } else {
                "No contact matches."
            };
            list = list.push(container(text(hint).style(text::secondary)).padding(12));
        }
        let several_accounts = accounts.len() > 1;
        for (group, entries) in groups {
            list =
                list.push(container(text(group).size(12).style(text::secondary)).padding([8, 8]));
            for entry in entries {
                let jid = entry.item.jid.as_str();
                let count = unread
                    .get(&(entry.account.to_owned(), jid.to_owned()))
                    .copied()
                    .unwrap_or(0);
                let is_selected = selected == Some((entry.account, jid));
                let mut label = column![text(entry.display_name().to_owned())].spacing(1);
                if several_accounts {
                    label = label.push(text(entry.account).size(11).style(text::secondary));
                }
                if rosters.is_blocked(entry.account, jid) {
                    label = label.push(text("blocked").size(11).style(text::danger));
                } else if !several_accounts && entry.item.ask_subscribe {
                    label = label.push(text("request sent").size(11).style(text::secondary));
                }
                let mut line = row![
                    widgets::avatar(entry.item.name.as_deref(), jid, 32.0),
                    label,
                    space::horizontal(),
                ]
                .spacing(10)
                .align_y(Alignment::Center);
                if count > 0 {
                    line = line.push(unread_badge(count));
                }
                line = line.push(widgets::presence_dot(entry.presence));
                list = list.push(contact_button(line, is_selected, entry.account, jid));
            }
        }
        if !others.is_empty() {
            list =
                list.push(container(text(OTHERS).size(12).style(text::secondary)).padding([8, 8]));
        }
        for ((account, jid), count) in others {
            let line = row![
                widgets::avatar(None, jid, 32.0),
                text(jid.as_str()),
                space::horizontal(),
                unread_badge(count),
            ]
            .spacing(10)
            .align_y(Alignment::Center);
            let is_selected = selected == Some((account.as_str(), jid.as_str()));
            list = list.push(contact_button(line, is_selected, account, jid));
        }
        let add = button(text("+ Add contact").size(13))
            .style(button::text)
            .on_press_maybe(
                (self.add.is_none() && !accounts.is_empty()).then_some(Message::ShowAdd),
            );
        let find = button(text("Search messages (Ctrl+K)").size(13))
            .style(button::text)
            .on_press(Message::SearchMessages);
        column![
            search,
            row![add, space::horizontal(), find],
            scrollable(list).height(Length::Fill)
        ]
        .spacing(6)
        .height(Length::Fill)
        .into()
    }
}

/// People outside the roster with unread messages, matching `filter`, in
/// order (a stranger who writes must be reachable, not only counted in
/// the title).
fn others<'a>(
    rosters: &Rosters,
    unread: &'a HashMap<(String, String), usize>,
    filter: &str,
) -> Vec<(&'a (String, String), usize)> {
    let filter = filter.trim().to_lowercase();
    let mut found: Vec<_> = unread
        .iter()
        .filter(|((account, jid), n)| {
            **n > 0 && rosters.item(account, jid).is_none() && jid.to_lowercase().contains(&filter)
        })
        .map(|(key, n)| (key, *n))
        .collect();
    found.sort();
    found
}

fn unread_badge<'a>(count: usize) -> Element<'a, Message> {
    container(text(count.to_string()).size(12))
        .padding([1, 7])
        .style(container::primary)
        .into()
}

fn contact_button<'a>(
    line: impl Into<Element<'a, Message>>,
    selected: bool,
    account: &str,
    jid: &str,
) -> Element<'a, Message> {
    button(line)
        .width(Length::Fill)
        .padding([6, 8])
        .style(if selected {
            button::secondary
        } else {
            button::text
        })
        .on_press(Message::Open(account.to_owned(), jid.to_owned()))
        .into()
}

fn submit(form: &mut AddForm, core: &Core) {
    let jid = form.jid.trim().to_lowercase();
    let Some(account) = form.account.clone() else {
        form.error = Some("Choose an account first.".into());
        return;
    };
    if !jid.contains('@') || jid.starts_with('@') || jid.ends_with('@') {
        form.error = Some("Enter an address like friend@example.org.".into());
        return;
    }
    let name = form.name.trim();
    let group = form.group.trim();
    core.send(Command::AddContact {
        account,
        jid: jid.clone(),
        name: (!name.is_empty()).then(|| name.to_owned()),
        groups: if group.is_empty() {
            vec![]
        } else {
            vec![group.to_owned()]
        },
    });
    form.pending = Some(jid);
    form.error = None;
}

fn request<'a>(account: &'a str, from: &'a str) -> Element<'a, Message> {
    widgets::card(
        column![
            text(format!("{from} wants to see when you are online.")).size(13),
            row![
                button(text("Accept").size(13))
                    .style(button::primary)
                    .on_press(Message::Answer {
                        account: account.to_owned(),
                        from: from.to_owned(),
                        approve: true,
                    }),
                button(text("Decline").size(13))
                    .style(button::secondary)
                    .on_press(Message::Answer {
                        account: account.to_owned(),
                        from: from.to_owned(),
                        approve: false,
                    }),
            ]
            .spacing(8),
        ]
        .spacing(8),
    )
    .padding(10)
    .into()
}

fn add_form<'a>(form: &'a AddForm, accounts: &'a [String]) -> Element<'a, Message> {
    let busy = form.pending.is_some();
    let mut col = column![text("Add a contact").size(15)].spacing(6);
    if accounts.len() > 1 {
        col = col.push(pick_list(
            accounts,
            form.account.as_ref(),
            Message::AddAccount,
        ));
    }
    let field = |placeholder: &'a str, value: &'a str, on: fn(String) -> Message| {
        let input = text_input(placeholder, value).padding(6);
        if busy {
            input
        } else {
            input.on_input(on).on_submit(Message::SubmitAdd)
        }
    };
    col = col
        .push(field("friend@example.org", &form.jid, Message::AddJid).id(ADD_JID))
        .push(field("Name (optional)", &form.name, Message::AddName))
        .push(field("Group (optional)", &form.group, Message::AddGroup));
    if let Some(error) = &form.error {
        col = col.push(widgets::error_text(error.as_str()).size(13));
    }
    col = col.push(
        row![
            button(text(if busy { "Adding…" } else { "Add" }).size(13))
                .style(button::primary)
                .on_press_maybe((!busy).then_some(Message::SubmitAdd)),
            button(text("Cancel").size(13))
                .style(button::secondary)
                .on_press(Message::CancelAdd),
        ]
        .spacing(8),
    );
    widgets::card(col).padding(10).into()
}
