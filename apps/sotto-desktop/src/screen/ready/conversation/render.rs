// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! Drawing a conversation: header, the window of messages with day
//! separators, the "New messages" line and states, and the composer.

use chrono::{DateTime, FixedOffset, NaiveDate};
use iced::widget::{
    Column, button, center, column, container, opaque, row, rule, scrollable, space, stack, text,
    text_input,
};
use iced::{Alignment, Color, Element, Length, Theme};
use sotto_core::ChatState;
use sotto_store::{Direction, Encryption, MessageRecord, MessageState};

use super::encryption::{self, Lock};
use super::{Conversation, LIST, Message, Peer, composer, omemo_view, otr_view, seek};
use crate::clock::Clock;
use crate::screen::ready::e2e::Keys;
use crate::screen::ready::transfers::{self, Transfer};
use crate::widgets;
use sotto_core::OmemoTrust;

/// The rename field's widget id.
pub const RENAME: &str = "conversation-rename";
/// The line above the first unread message.
pub const NEW_MESSAGES: &str = "New messages";

pub fn view<'a>(
    c: &'a Conversation,
    peer: Peer,
    keys: Keys<'a>,
    transfers: &[&'a Transfer],
    clock: &Clock,
) -> Element<'a, Message> {
    let name = peer.name.clone().unwrap_or_else(|| c.peer.clone());
    let security = &c.security;
    let lock = security.lock(keys.contact);
    let composer = composer::view(&c.composer, &name);
    let menu: Element<'a, Message> = if security.menu {
        container(encryption::menu(security, lock).map(Message::Security))
            .padding([8, 16])
            .into()
    } else {
        Column::new().into()
    };
    let otr = otr_view::panels(&security.otr, &name)
        .map(|m| Message::Security(encryption::Message::Otr(m)));
    let omemo = omemo_view::notices(&security.omemo, &name)
        .map(|m| Message::Security(encryption::Message::Omemo(m)));
    let blocked = blocked_notice(peer.blocked, &name);
    let base = column![
        header(c, peer, name.clone(), lock),
        rule::horizontal(1),
        blocked,
        menu,
        otr,
        omemo,
        jump_status(c),
        list(c, &keys, clock),
        container(column![transfers::view(transfers).map(Message::Transfer), composer].spacing(8))
            .padding(12),
    ]
    .height(Length::Fill);
    if !security.omemo.dialog_open() {
        return base.into();
    }
    let dialog = omemo_view::dialog(&security.omemo, keys, &name)
        .map(|m| Message::Security(encryption::Message::Omemo(m)));
    stack![
        base,
        opaque(center(dialog).style(|_theme: &Theme| {
            container::Style {
                background: Some(
                    Color {
                        a: 0.6,
                        ..Color::BLACK
                    }
                    .into(),
                ),
                ..container::Style::default()
            }
        }))
    ]
    .into()
}

/// Name, presence, typing state, the encryption (lock) control and contact
/// actions.
fn header(c: &Conversation, peer: Peer, name: String, lock: Lock) -> Element<'_, Message> {
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
    } else {
        let online = peer.account_online;
        if peer.in_roster {
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
        let label = if peer.blocked { "Unblock" } else { "Block" };
        actions = actions.push(
            button(text(label))
                .style(button::secondary)
                .on_press_maybe(online.then_some(Message::Block(!peer.blocked))),
        );
    }
    container(
        row![
            widgets::avatar(peer.name.as_deref(), &c.peer, 40.0),
            who,
            space::horizontal(),
            encryption::button_view(lock).map(Message::Security),
            actions,
        ]
        .spacing(12)
        .align_y(Alignment::Center),
    )
    .padding([10, 16])
    .into()
}

/// While the server blocks the contact: nothing arrives from them, and
/// what is sent to them is refused.
fn blocked_notice<'a>(blocked: bool, name: &str) -> Element<'a, Message> {
    if !blocked {
        return Column::new().into();
    }
    container(
        text(format!(
            "You blocked {name}. Their messages and presence do not reach you, and your \
             server refuses to deliver what you write to them. Unblock to talk again."
        ))
        .size(13),
    )
    .padding([8, 16])
    .width(Length::Fill)
    .style(container::rounded_box)
    .into()
}

/// While looking for a message to jump to, or when that failed.
fn jump_status(c: &Conversation) -> Element<'_, Message> {
    let (words, action) = if let Some(seek) = &c.seek {
        (
            format!(
                "Looking for the message… ({} of at most {} pages)",
                seek.pages(),
                seek::MAX_PAGES
            ),
            button(text("Cancel").size(13))
                .style(button::text)
                .on_press(Message::CancelOlder),
        )
    } else if let Some(notice) = c.notice {
        (
            notice.to_owned(),
            button(text("Dismiss").size(13))
                .style(button::text)
                .on_press(Message::DismissNotice),
        )
    } else {
        return Column::new().into();
    };
    container(
        row![text(words).size(13).style(text::secondary), action]
            .spacing(8)
            .align_y(Alignment::Center),
    )
    .padding([6, 16])
    .width(Length::Fill)
    .style(container::rounded_box)
    .into()
}

fn list<'a>(c: &'a Conversation, keys: &Keys<'_>, clock: &Clock) -> Element<'a, Message> {
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
    let today = clock.today();
    for message in c.timeline.window() {
        let when = clock.local(message.timestamp_ms);
        let day = when.map(|t| t.date_naive());
        if day.is_some() && day != previous_day {
            items = items.push(day_separator(day, today));
        }
        previous_day = day;
        if c.marker == Some(message.id) {
            items = items.push(new_messages_line());
        }
        let sender = sender_device(message, keys);
        let held = c.held.get(&message.id).map(String::as_str);
        items = items.push(bubble(
            message,
            when,
            c.focus == Some(message.id),
            sender,
            held,
        ));
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

/// The line above the first unread message, in the theme's accent colour.
fn new_messages_line<'a>() -> Element<'a, Message> {
    let accent = |theme: &Theme| rule::Style {
        color: theme.palette().primary,
        ..rule::default(theme)
    };
    row![
        rule::horizontal(1).style(accent),
        text(NEW_MESSAGES).size(12).style(text::primary),
        rule::horizontal(1).style(accent),
    ]
    .spacing(10)
    .align_y(Alignment::Center)
    .padding([6, 0])
    .into()
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

fn bubble<'a>(
    message: &'a MessageRecord,
    when: Option<DateTime<FixedOffset>>,
    focused: bool,
    sender: Option<(String, Option<OmemoTrust>)>,
    held: Option<&'a str>,
) -> Element<'a, Message> {
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
    if let Some((device, trust)) = sender {
        footer = footer.push(text(device).size(11).style(text::secondary));
        if let Some(trust) = trust {
            let label = text(omemo_view::trust_label(trust)).size(11);
            footer = footer.push(match trust {
                OmemoTrust::Verified => label.style(text::success),
                OmemoTrust::Distrusted => label.style(text::danger),
                _ => label.style(text::secondary),
            });
        }
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
    let content: Element<'_, Message> = match sotto_core::file_link(&message.body) {
        Some(link) => file_card(message, link),
        None => text(&message.body).into(),
    };
    let mut parts = column![content, footer].spacing(4);
    if let Some(reason) = held.filter(|_| message.state == MessageState::Queued) {
        parts = parts.push(widgets::error_text(format!("Not sent: {reason}")).size(11));
        // OMEMO waits for a device: the way out is no encryption. OTR waits
        // for the user to accept a new key: the way out is that key.
        let (label, action) = if message.encryption == Encryption::Otr {
            ("Send to the new key", Message::Retry(message.id))
        } else {
            ("Send unencrypted", Message::SendUnencrypted(message.id))
        };
        parts = parts.push(
            button(text(label).size(11))
                .style(button::danger)
                .padding([2, 8])
                .on_press(action),
        );
    }
    let body = container(parts)
        .padding([8, 12])
        .max_width(560)
        .style(move |theme: &Theme| bubble_style(theme, outgoing, focused));
    let line = if outgoing {
        row![space::horizontal(), body]
    } else {
        row![body, space::horizontal()]
    };
    line.width(Length::Fill).into()
}

/// A message that is a file link: its name instead of the link (an
/// `aesgcm://` link holds the file's key), and "Save…".
fn file_card(message: &MessageRecord, link: sotto_core::FileLink) -> Element<'_, Message> {
    let what = if link.encrypted {
        "Encrypted file"
    } else {
        "File (not end-to-end encrypted)"
    };
    let mut col = column![
        text(format!("File: {}", link.name)),
        text(what).size(12).style(text::secondary),
    ]
    .spacing(2);
    if !link.encrypted {
        col = col.push(text(&message.body).size(12).style(text::secondary));
    }
    row![
        col,
        button(text("Save…").size(13))
            .style(button::secondary)
            .on_press(Message::Save(message.id)),
    ]
    .spacing(12)
    .align_y(Alignment::Center)
    .into()
}

/// Which OMEMO device sent `message` and how far it is trusted, as far as
/// the app knows the devices: the key's first digits ("key 3f2a9c1e"), or
/// the device id when the key is not listed.
pub fn sender_device(
    message: &MessageRecord,
    keys: &Keys<'_>,
) -> Option<(String, Option<OmemoTrust>)> {
    let id = message.sender_device?;
    let listed = match message.direction {
        Direction::Incoming => keys.contact,
        Direction::Outgoing => keys.own_others,
    };
    let known = listed
        .and_then(|devices| devices.iter().find(|d| d.device_id == id))
        .filter(|d| !d.fingerprint.is_empty());
    Some(match known {
        Some(d) => (
            format!(
                "key {}",
                d.fingerprint.split(' ').next().unwrap_or(&d.fingerprint)
            ),
            Some(d.trust),
        ),
        None => (format!("device {id}"), None),
    })
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

/// A bubble; the one jumped to (a search result) has an accent border.
fn bubble_style(theme: &Theme, outgoing: bool, focused: bool) -> container::Style {
    let palette = theme.extended_palette();
    let pair = if outgoing {
        palette.primary.weak
    } else {
        palette.background.weak
    };
    let border = iced::Border::default().rounded(10);
    container::Style {
        background: Some(pair.color.into()),
        text_color: Some(pair.text),
        border: if focused {
            border.width(2).color(palette.primary.strong.color)
        } else {
            border
        },
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
