// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! Drawing a conversation: header, the window of messages with day
//! separators and states, and the composer.

use chrono::{DateTime, Local, NaiveDate, TimeZone as _};
use iced::widget::{
    Column, button, column, container, row, rule, scrollable, space, text, text_input,
};
use iced::{Alignment, Element, Length, Theme};
use sotto_core::ChatState;
use sotto_store::{Direction, Encryption, MessageRecord, MessageState};

use super::{Conversation, LIST, Message, Peer, composer, otr_view};
use crate::widgets;

/// The rename field's widget id.
pub const RENAME: &str = "conversation-rename";

pub fn view(c: &Conversation, peer: Peer) -> Element<'_, Message> {
    let name = peer.name.clone().unwrap_or_else(|| c.peer.clone());
    let composer = composer::view(&c.composer, &name);
    let otr = otr_view::panels(&c.otr, &name).map(Message::Otr);
    column![
        header(c, peer, name),
        rule::horizontal(1),
        otr,
        list(c),
        container(composer).padding(12),
    ]
    .height(Length::Fill)
    .into()
}

/// Name, presence, typing state, the encryption (lock) control and contact
/// actions.
fn header(c: &Conversation, peer: Peer, name: String) -> Element<'_, Message> {
    let status = match c.their_state {
        Some(ChatState::Composing) => "typing…".to_owned(),
        Some(ChatState::Paused) => "stopped typing".to_owned(),
        _ => widgets::presence_label(peer.presence).to_owned(),
    };
    let mut who = column![
        text(name.clone()).size(18),
        row![
            widgets::presence_dot(peer.presence),
            text(status).size(13).style(text::secondary)
        ]
        .spacing(6)
        .align_y(Alignment::Center),
    ]
    .spacing(2);
    if peer.name.is_some() {
        who = who.push(text(&c.peer).size(12).style(text::secondary));
    }
    let mut actions = row![].spacing(8).align_y(Alignment::Center);
    if let Some(new_name) = &c.renaming {
        actions = actions
            .push(
                text_input("New name (empty clears it)", new_name)
                    .id(RENAME)
                    .on_input(Message::RenameInput)
                    .on_submit(Message::RenameSave)
                    .width(220),
            )
            .push(
                button(text("Save"))
                    .style(button::primary)
                    .on_press(Message::RenameSave),
            )
            .push(
                button(text("Cancel"))
                    .style(button::secondary)
                    .on_press(Message::RenameCancel),
            );
    } else if c.confirm_remove {
        actions = actions
            .push(text(format!("Remove {name} from your contacts?")))
            .push(
                button(text("Remove"))
                    .style(button::danger)
                    .on_press(Message::RemoveConfirm),
            )
            .push(
                button(text("Keep"))
                    .style(button::secondary)
                    .on_press(Message::RemoveCancel),
            );
    } else if peer.in_roster {
        let online = peer.account_online;
        actions = actions
            .push(
                button(text("Rename"))
                    .style(button::secondary)
                    .on_press_maybe(online.then_some(Message::Rename)),
            )
            .push(
                button(text("Remove contact"))
                    .style(button::secondary)
                    .on_press_maybe(online.then_some(Message::Remove)),
            );
    }
    container(
        row![
            widgets::avatar(peer.name.as_deref(), &c.peer, 40.0),
            who,
            space::horizontal(),
            otr_view::lock(&c.otr).map(Message::Otr),
            actions,
        ]
        .spacing(12)
        .align_y(Alignment::Center),
    )
    .padding([10, 16])
    .into()
}

fn list(c: &Conversation) -> Element<'_, Message> {
    if !c.loaded {
        return container(text("Loading messages…").style(text::secondary))
            .center(Length::Fill)
            .into();
    }
    let mut items = Column::new().spacing(6).padding([12, 16]);
    if c.timeline.at_oldest() {
        if c.loading_older {
            items = items.push(
                row![
                    text("Loading older messages…").style(text::secondary),
                    button(text("Cancel").size(13))
                        .style(button::text)
                        .on_press(Message::CancelOlder),
                ]
                .spacing(8)
                .align_y(Alignment::Center),
            );
        } else if c.has_more {
            // Scrolling to the top loads more by itself; this is for lists
            // too short to scroll, and for the keyboard.
            items = items.push(
                container(
                    button(text("Load older messages").size(13))
                        .style(button::text)
                        .on_press(Message::LoadOlder),
                )
                .center_x(Length::Fill),
            );
        } else {
            items = items.push(
                container(
                    text("This is the beginning of the conversation.")
                        .size(13)
                        .style(text::secondary),
                )
                .center_x(Length::Fill),
            );
        }
    }
    if c.timeline.messages().is_empty() {
        items = items.push(
            container(text("No messages yet. Say hello!").style(text::secondary))
                .center_x(Length::Fill),
        );
    }
    let mut previous_day: Option<NaiveDate> = None;
    let today = Local::now().date_naive();
    for message in c.timeline.window() {
        let when = local_time(message.timestamp_ms);
        let day = when.map(|t| t.date_naive());
        if day.is_some() && day != previous_day {
            items = items.push(day_separator(day, today));
        }
        previous_day = day;
        items = items.push(bubble(message, when));
    }
    let mut stack = column![
        scrollable(items)
            .id(LIST)
            .anchor_bottom()
            .on_scroll(Message::Scrolled)
            .height(Length::Fill)
    ];
    if !c.timeline.at_newest() {
        stack = stack.push(
            container(
                button(text("Jump to the newest messages").size(13))
                    .style(button::secondary)
                    .on_press(Message::JumpToNewest),
            )
            .center_x(Length::Fill)
            .padding(4),
        );
    }
    stack.height(Length::Fill).into()
}

fn local_time(ms: i64) -> Option<DateTime<Local>> {
    Local.timestamp_millis_opt(ms).single()
}

/// "Today", "Yesterday", or the date.
pub fn day_label(day: NaiveDate, today: NaiveDate) -> String {
    match (today - day).num_days() {
        0 => "Today".to_owned(),
        1 => "Yesterday".to_owned(),
        _ => day.format("%A, %-d %B %Y").to_string(),
    }
}

fn day_separator<'a>(day: Option<NaiveDate>, today: NaiveDate) -> Element<'a, Message> {
    let label = day.map(|d| day_label(d, today)).unwrap_or_default();
    row![
        rule::horizontal(1),
        text(label).size(12).style(text::secondary),
        rule::horizontal(1),
    ]
    .spacing(10)
    .align_y(Alignment::Center)
    .padding([6, 0])
    .into()
}

/// What the state of an outgoing message is called.
pub fn state_label(state: MessageState) -> &'static str {
    match state {
        MessageState::Queued => "Sending…",
        MessageState::Sent | MessageState::Acked => "Sent",
        MessageState::Delivered => "Delivered",
        MessageState::Failed => "Failed",
        MessageState::Received => "",
    }
}

fn bubble(message: &MessageRecord, when: Option<DateTime<Local>>) -> Element<'_, Message> {
    let outgoing = message.direction == Direction::Outgoing;
    let time = when
        .map(|t| t.format("%H:%M").to_string())
        .unwrap_or_default();
    let mut footer = row![text(time).size(11).style(text::secondary)]
        .spacing(6)
        .align_y(Alignment::Center);
    if let Some(marker) = encryption_marker(message.encryption) {
        footer = footer.push(text(marker).size(11).style(text::secondary));
    }
    if outgoing {
        let label = state_label(message.state);
        footer = footer.push(if message.state == MessageState::Failed {
            widgets::error_text(label).size(11)
        } else {
            text(label).size(11).style(text::secondary)
        });
        if message.state == MessageState::Failed {
            footer = footer.push(
                button(text("Retry").size(11))
                    .style(button::text)
                    .padding(0)
                    .on_press(Message::Retry(message.id)),
            );
        }
    }
    let body = container(column![text(&message.body), footer].spacing(4))
        .padding([8, 12])
        .max_width(560)
        .style(move |theme: &Theme| bubble_style(theme, outgoing));
    let line = if outgoing {
        row![space::horizontal(), body]
    } else {
        row![body, space::horizontal()]
    };
    line.width(Length::Fill).into()
}

/// The small lock marker on an end-to-end encrypted message (words, not an
/// emoji: the bundled font has no lock glyph).
pub fn encryption_marker(encryption: Encryption) -> Option<&'static str> {
    match encryption {
        Encryption::Otr => Some("Encrypted · OTR"),
        Encryption::Omemo => Some("Encrypted · OMEMO"),
        _ => None,
    }
}

fn bubble_style(theme: &Theme, outgoing: bool) -> container::Style {
    let palette = theme.extended_palette();
    let pair = if outgoing {
        palette.primary.weak
    } else {
        palette.background.weak
    };
    container::Style {
        background: Some(pair.color.into()),
        text_color: Some(pair.text),
        border: iced::Border::default().rounded(10),
        ..container::Style::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn day_labels() {
        let today = NaiveDate::from_ymd_opt(2026, 12, 2).unwrap_or_default();
        assert_eq!(day_label(today, today), "Today");
        assert_eq!(
            day_label(today.pred_opt().unwrap_or_default(), today),
            "Yesterday"
        );
        let older = NaiveDate::from_ymd_opt(2026, 11, 20).unwrap_or_default();
        assert_eq!(day_label(older, today), "Friday, 20 November 2026");
    }
}
