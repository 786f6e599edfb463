// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! Jump and search (Ctrl+K): contacts whose name or address matches, at
//! once, and messages of every conversation that contain the words, from
//! the core's full-text index (`search` / `search_results`).
//!
//! The message search is sent on Enter, or after a short pause in typing,
//! so a fast typist does not send a query per key. Results that answer an
//! older query are dropped. Choosing a contact opens the conversation;
//! choosing a message opens it at that message.

use std::collections::HashSet;
use std::time::Duration;

use iced::widget::{Column, button, column, container, row, scrollable, space, text, text_input};
use iced::{Alignment, Element, Length, Task};
use sotto_core::{Command, Event};
use sotto_store::MessageRecord;

use super::conversation::seek::Target;
use super::roster::Rosters;
use crate::clock::Clock;
use crate::core_link::Core;
use crate::widgets;

/// The search field's widget id (Ctrl+K focuses it).
pub const FIELD: &str = "search-field";
/// Most message results asked for.
pub const LIMIT: usize = 100;
/// Most contacts listed.
pub const MAX_CONTACTS: usize = 8;
/// The pause in typing after which the messages are searched.
pub const PAUSE: Duration = Duration::from_millis(300);
/// Fewer characters than this search messages only on Enter.
const MIN_AUTO: usize = 2;
/// Characters of a message shown in a result.
const SNIPPET: usize = 140;

/// The search screen's state.
#[derive(Debug, Default)]
pub struct Search {
    query: String,
    /// Bumped on every edit; a pause timer for an older edit does nothing.
    edits: u64,
    /// The query sent to the core and not answered yet.
    waiting: Option<String>,
    /// The query the results answer, and the results (newest first).
    answered: Option<String>,
    results: Vec<MessageRecord>,
}

/// What the user does in the search screen.
#[derive(Debug, Clone)]
pub enum Message {
    /// The search text changed.
    Input(String),
    /// Enter: search the messages now.
    Submit,
    /// Typing paused after the edit with this number.
    Paused(u64),
    /// A contact was chosen.
    OpenContact(String, String),
    /// A message was chosen.
    OpenMessage {
        /// Account.
        account: String,
        /// The other party.
        peer: String,
        /// The message.
        target: Target,
    },
    /// Leave the search.
    Close,
}

/// What the parent must do.
#[derive(Debug)]
pub enum Action {
    /// Nothing more.
    None,
    /// Run a task.
    Run(Task<Message>),
    /// Open the conversation with this contact.
    OpenContact(String, String),
    /// Open this conversation at this message.
    OpenMessage(String, String, Target),
    /// Go back to the conversation.
    Close,
}

impl Search {
    /// The search text.
    pub fn query(&self) -> &str {
        &self.query
    }

    /// The message results shown, newest first.
    pub fn results(&self) -> &[MessageRecord] {
        &self.results
    }

    /// Whether a query is on its way to the core.
    pub fn waiting(&self) -> bool {
        self.waiting.is_some()
    }

    /// Opens with `query` (from the contact filter, say); searches the
    /// messages at once when it is not empty.
    pub fn start(&mut self, query: &str, core: &Core) {
        if query.trim().is_empty() {
            return;
        }
        self.query = query.to_owned();
        self.edits += 1;
        self.send(core);
    }

    /// Applies a core event.
    pub fn on_event(&mut self, event: &Event) {
        if let Event::SearchResults { text, results, .. } = event
            && self.waiting.as_deref() == Some(text.as_str())
        {
            self.waiting = None;
            self.answered = Some(text.clone());
            self.results = results.clone();
        }
    }

    /// Handles a message.
    pub fn update(&mut self, message: Message, core: &Core) -> Action {
        match message {
            Message::Input(query) => {
                self.query = query;
                self.edits += 1;
                if self.query.trim().chars().count() < MIN_AUTO {
                    return Action::None;
                }
                let edit = self.edits;
                // The timer is made when the task first runs (inside the
                // runtime), not here.
                let pause = async { tokio::time::sleep(PAUSE).await };
                Action::Run(Task::perform(pause, move |()| Message::Paused(edit)))
            }
            Message::Paused(edit) => {
                if edit == self.edits {
                    self.send(core);
                }
                Action::None
            }
            Message::Submit => {
                self.send(core);
                Action::None
            }
            Message::OpenContact(account, jid) => Action::OpenContact(account, jid),
            Message::OpenMessage {
                account,
                peer,
                target,
            } => Action::OpenMessage(account, peer, target),
            Message::Close => Action::Close,
        }
    }

    /// Asks the core, unless the same query is already answered or asked.
    fn send(&mut self, core: &Core) {
        let text = self.query.trim().to_owned();
        if text.is_empty()
            || self.waiting.as_ref() == Some(&text)
            || (self.waiting.is_none() && self.answered.as_ref() == Some(&text))
        {
            return;
        }
        core.send(Command::Search {
            text: text.clone(),
            limit: LIMIT,
        });
        self.waiting = Some(text);
    }

    /// The search screen.
    pub fn view<'a>(&'a self, rosters: &'a Rosters, clock: &Clock) -> Element<'a, Message> {
        let field = text_input("Search contacts and messages", &self.query)
            .id(FIELD)
            .on_input(Message::Input)
            .on_submit(Message::Submit)
            .padding(10);
        let header = row![
            text("Search").size(24),
            space::horizontal(),
            button(text("Close").size(13))
                .style(button::secondary)
                .on_press(Message::Close),
        ]
        .align_y(Alignment::Center);
        let mut body = Column::new().spacing(4);
        if self.query.trim().is_empty() {
            body = body.push(
                text(
                    "Type a name or an address to find a contact, or words to find \
                     the messages that contain them. Enter searches the messages at once.",
                )
                .style(text::secondary),
            );
        } else {
            body = body.push(self.contacts(rosters));
            body = body.push(self.messages(rosters, clock));
        }
        column![header, field, scrollable(body).height(Length::Fill)]
            .spacing(12)
            .padding(20)
            .height(Length::Fill)
            .into()
    }

    fn contacts<'a>(&'a self, rosters: &'a Rosters) -> Element<'a, Message> {
        let mut seen = HashSet::new();
        let mut list = Column::new().spacing(2).push(heading("Contacts"));
        let entries = rosters
            .grouped(&self.query)
            .into_iter()
            .flat_map(|(_, entries)| entries)
            .filter(|e| seen.insert((e.account, e.item.jid.as_str())))
            .take(MAX_CONTACTS)
            .collect::<Vec<_>>();
        if entries.is_empty() {
            return list.push(hint("No contact matches.")).into();
        }
        for entry in entries {
            let jid = entry.item.jid.as_str();
            let line = row![
                widgets::avatar(entry.item.name.as_deref(), jid, 28.0),
                text(entry.display_name().to_owned()),
                text(jid).size(12).style(text::secondary),
                space::horizontal(),
                widgets::presence_dot(entry.presence),
            ]
            .spacing(10)
            .align_y(Alignment::Center);
            list = list.push(
                button(line)
                    .width(Length::Fill)
                    .padding([6, 8])
                    .style(button::text)
                    .on_press(Message::OpenContact(
                        entry.account.to_owned(),
                        jid.to_owned(),
                    )),
            );
        }
        list.into()
    }

    fn messages<'a>(&'a self, rosters: &'a Rosters, clock: &Clock) -> Element<'a, Message> {
        let mut list = Column::new().spacing(2).push(heading("Messages"));
        let answered = self.answered.as_deref();
        let current = answered == Some(self.query.trim());
        if self.waiting.is_some() && (self.results.is_empty() || !current) {
            list = list.push(hint("Searching…"));
        } else if answered.is_none() || (!current && self.results.is_empty()) {
            list = list.push(hint("Press Enter to search the messages."));
        } else if self.results.is_empty() {
            list = list.push(hint("No message contains these words."));
        }
        let words = answered.unwrap_or_default();
        for message in &self.results {
            let name = rosters
                .item(&message.account, &message.peer)
                .and_then(|i| i.name.as_deref())
                .filter(|n| !n.trim().is_empty());
            let line = row![
                widgets::avatar(name, &message.peer, 28.0),
                column![
                    row![
                        text(name.unwrap_or(&message.peer).to_owned()),
                        space::horizontal(),
                        text(when(message.timestamp_ms, clock))
                            .size(12)
                            .style(text::secondary),
                    ]
                    .spacing(8),
                    text(snippet(&message.body, words)).size(13),
                ]
                .spacing(2),
            ]
            .spacing(10)
            .align_y(Alignment::Center);
            list = list.push(
                button(line)
                    .width(Length::Fill)
                    .padding([6, 8])
                    .style(button::text)
                    .on_press(Message::OpenMessage {
                        account: message.account.clone(),
                        peer: message.peer.clone(),
                        target: Target {
                            id: message.id,
                            timestamp_ms: message.timestamp_ms,
                        },
                    }),
            );
        }
        list.into()
    }
}

fn heading(label: &str) -> Element<'_, Message> {
    container(text(label).size(12).style(text::secondary))
        .padding([8, 8])
        .into()
}

fn hint(words: &str) -> Element<'_, Message> {
    container(text(words).style(text::secondary))
        .padding([4, 8])
        .into()
}

/// When a result was sent: the time today, else the date (and the year
/// when it is not this year).
pub fn when(ms: i64, clock: &Clock) -> String {
    use chrono::Datelike as _;
    let Some(t) = clock.local(ms) else {
        return String::new();
    };
    let today = clock.today();
    let day = t.date_naive();
    if day == today {
        t.format("Today %H:%M").to_string()
    } else if today.pred_opt() == Some(day) {
        t.format("Yesterday %H:%M").to_string()
    } else if day.year() == today.year() {
        t.format("%-d %b").to_string()
    } else {
        t.format("%-d %b %Y").to_string()
    }
}

/// The part of a message around the first of the searched words, on one
/// line and at most [`SNIPPET`] characters, with "…" where it was cut.
pub fn snippet(body: &str, words: &str) -> String {
    // A file's key is never shown here: the link shows without it.
    let body = sotto_core::shown_outside(body);
    let chars: Vec<char> = body
        .chars()
        .map(|c| if c.is_whitespace() { ' ' } else { c })
        .collect();
    let folded: Vec<char> = chars.iter().map(|c| fold(*c)).collect();
    let at = words
        .split_whitespace()
        .filter_map(|w| {
            let w: Vec<char> = w
                .chars()
                .filter(|c| c.is_alphanumeric())
                .map(fold)
                .collect();
            find(&folded, &w)
        })
        .min()
        .unwrap_or(0);
    let start = if chars.len() <= SNIPPET {
        0
    } else {
        at.saturating_sub(SNIPPET / 4).min(chars.len() - SNIPPET)
    };
    let end = (start + SNIPPET).min(chars.len());
    let mut out = String::new();
    if start > 0 {
        out.push('…');
    }
    out.extend(&chars[start..end]);
    if end < chars.len() {
        out.push('…');
    }
    out
}

/// One character, lower-cased (its first lower-case form, so positions
/// stay the same).
fn fold(c: char) -> char {
    c.to_lowercase().next().unwrap_or(c)
}

fn find(haystack: &[char], needle: &[char]) -> Option<usize> {
    if needle.is_empty() || needle.len() > haystack.len() {
        return None;
    }
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snippets_show_the_first_match() {
        assert_eq!(snippet("short\nmessage", "message"), "short message");
        let long = format!("{} the Needle {}", "a".repeat(300), "b".repeat(300));
        let s = snippet(&long, "needle");
        assert!(s.starts_with('…') && s.ends_with('…'), "{s}");
        assert!(s.contains("the Needle"), "{s}");
        assert_eq!(s.chars().count(), SNIPPET + 2);
        // Near the end: the last SNIPPET characters.
        let tail = format!("{} end word", "x".repeat(300));
        assert!(snippet(&tail, "word").ends_with("end word"));
        // No match (a stemmed or phrase hit): the beginning.
        assert!(snippet(&long, "zebra").starts_with("aaa"));
        assert_eq!(snippet("Émile ÉTÉ", "été"), "Émile ÉTÉ");
        let key = "k".repeat(88);
        let shown = snippet(&format!("the aesgcm://h/report.pdf#{key} report"), "report");
        assert!(!shown.contains(&key), "{shown}");
    }

    #[test]
    fn result_times() {
        // 2026-12-02 23:30 UTC.
        let clock = Clock::fixed(1_796_254_200_000, 0).unwrap();
        let hour = 3_600_000;
        assert_eq!(when(1_796_254_200_000 - hour, &clock), "Today 22:30");
        assert_eq!(
            when(1_796_254_200_000 - 24 * hour, &clock),
            "Yesterday 23:30"
        );
        assert_eq!(when(1_795_381_500_000, &clock), "22 Nov");
        assert_eq!(when(1_700_000_000_000, &clock), "14 Nov 2023");
    }
}
