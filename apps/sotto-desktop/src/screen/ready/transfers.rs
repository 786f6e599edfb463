// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! Files being sent or saved, across conversations: the core's `transfer` events
//! kept per conversation, so an upload stays visible (and cancellable)
//! when the user looks at another conversation and comes back.
//!
//! Received files being saved are listed the same way. A sent file leaves
//! the list (its link is in the timeline now), and so does a cancelled one;
//! a failed one stays, with the reason, and a saved one with where it went,
//! until the user dismisses it.

use iced::widget::{button, column, progress_bar, row, text};
use iced::{Alignment, Element, Length};
use sotto_core::{Event, TransferState};

use crate::widgets;

/// One file being sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transfer {
    /// The id the app gave it.
    pub id: String,
    /// The account it goes from.
    pub account: String,
    /// The recipient.
    pub peer: String,
    /// The file's name.
    pub name: String,
    /// A download (saving a received file).
    pub download: bool,
    /// Where it stands.
    pub state: TransferState,
}

/// What the user does with a transfer.
#[derive(Debug, Clone)]
pub enum Message {
    /// Stop it.
    Cancel(String),
    /// Hide a failed one.
    Dismiss(String),
}

/// Every transfer the app started this run and has not forgotten.
#[derive(Debug, Default)]
pub struct Transfers {
    list: Vec<Transfer>,
    /// For the next id.
    counter: u64,
}

impl Transfers {
    /// A new transfer id (unique for this run of the app).
    pub fn next_id(&mut self) -> String {
        self.counter += 1;
        format!("file-{}", self.counter)
    }

    /// Applies a core event.
    pub fn on_event(&mut self, event: &Event) {
        match event {
            Event::Transfer {
                account,
                id,
                peer,
                name,
                download,
                state,
                ..
            } => {
                let gone = matches!(state, TransferState::Sent | TransferState::Cancelled);
                let at = self
                    .list
                    .iter()
                    .position(|t| t.account == *account && t.id == *id);
                match at {
                    Some(i) if gone => {
                        self.list.remove(i);
                    }
                    Some(i) => self.list[i].state = state.clone(),
                    None if gone => {}
                    None => self.list.push(Transfer {
                        id: id.clone(),
                        account: account.clone(),
                        peer: peer.clone(),
                        name: name.clone(),
                        download: *download,
                        state: state.clone(),
                    }),
                }
            }
            Event::AccountRemoved { account } => self.list.retain(|t| t.account != *account),
            _ => {}
        }
    }

    /// Forgets a transfer (a dismissed failure).
    pub fn dismiss(&mut self, id: &str) {
        self.list.retain(|t| t.id != id);
    }

    /// The transfers to `peer` from `account`.
    pub fn of(&self, account: &str, peer: &str) -> Vec<&Transfer> {
        self.list
            .iter()
            .filter(|t| t.account == account && t.peer == peer)
            .collect()
    }

    /// The account a transfer goes from.
    pub fn account_of(&self, id: &str) -> Option<&str> {
        self.list
            .iter()
            .find(|t| t.id == id)
            .map(|t| t.account.as_str())
    }
}

/// The rows shown above a conversation's composer.
pub fn view<'a>(transfers: &[&'a Transfer]) -> Element<'a, Message> {
    transfers
        .iter()
        .fold(column![].spacing(6), |col, t| col.push(row_of(t)))
        .into()
}

fn row_of(t: &Transfer) -> Element<'_, Message> {
    let cancel = || {
        button(text("Cancel").size(13))
            .style(button::text)
            .on_press(Message::Cancel(t.id.clone()))
    };
    match &t.state {
        TransferState::Preparing => row![
            text(if t.download {
                format!("Fetching {}…", t.name)
            } else {
                format!("Preparing {}…", t.name)
            })
            .size(13)
            .width(Length::Fill),
            cancel(),
        ]
        .align_y(Alignment::Center)
        .into(),
        TransferState::Uploading { sent, total } => {
            let percent = (sent * 100).checked_div(*total).unwrap_or(0);
            let verb = if t.download { "Saving" } else { "Sending" };
            let label = if *total == 0 {
                format!("{verb} {} — {} KB", t.name, sent / 1000)
            } else {
                format!("{verb} {} — {percent} %", t.name)
            };
            row![
                text(label).size(13).width(Length::FillPortion(2)),
                progress_bar(0.0..=100.0, percent as f32)
                    .length(Length::FillPortion(3))
                    .girth(6),
                cancel(),
            ]
            .spacing(8)
            .align_y(Alignment::Center)
            .into()
        }
        TransferState::Saved { path } => {
            dismissable(t, text(format!("Saved {} to {path}", t.name)).size(13))
        }
        TransferState::Failed { reason } => dismissable(
            t,
            widgets::error_text(format!(
                "Could not {} {}: {reason}",
                if t.download { "save" } else { "send" },
                t.name
            )),
        ),
        _ => text(t.name.as_str()).size(13).into(),
    }
}

/// A finished transfer's line, with "Dismiss".
fn dismissable<'a>(t: &Transfer, line: text::Text<'a>) -> Element<'a, Message> {
    row![
        line.width(Length::Fill),
        button(text("Dismiss").size(13))
            .style(button::text)
            .on_press(Message::Dismiss(t.id.clone())),
    ]
    .align_y(Alignment::Center)
    .into()
}
