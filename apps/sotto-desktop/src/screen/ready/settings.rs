// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! Settings: theme, text size, notifications (the app's own preferences),
//! how new OMEMO devices are trusted (the core's setting: sent as
//! `set_omemo_trust_mode`, shown as the core last reported it), and how the
//! profile is protected (see [`super::protection`]).

use iced::widget::{button, checkbox, column, container, row, scrollable, text};
use iced::{Element, Length};
use sotto_core::{Command, OmemoTrustMode};

use super::conversation::encryption::Choice;
use super::protection::{self, Protection};
use crate::core_link::Core;
use crate::prefs::{Prefs, TextSize, ThemeChoice};
use crate::widgets;

/// The trust modes with their names, in the order shown.
const TRUST_MODES: [(OmemoTrustMode, &str); 2] = [
    (OmemoTrustMode::Btbv, "Trust new devices until I verify one"),
    (OmemoTrustMode::Manual, "Ask me about every new device"),
];

/// What the user changes here.
#[derive(Debug, Clone)]
pub enum Message {
    /// Colour scheme.
    Theme(ThemeChoice),
    /// Text size.
    TextSize(TextSize),
    /// Desktop notifications on or off.
    Notifications(bool),
    /// Notifications without sender or text.
    Private(bool),
    /// How new OMEMO devices of contacts are trusted.
    TrustMode(OmemoTrustMode),
    /// The encryption of conversations without a choice of their own.
    DefaultEncryption(Choice),
    /// The profile-protection form.
    Protection(protection::Message),
}

/// Applies a change to the preferences, or asks the core to make it.
pub fn update(prefs: &mut Prefs, protection: &mut Protection, message: Message, core: &Core) {
    match message {
        Message::Theme(t) => prefs.theme = t,
        Message::TextSize(s) => prefs.text_size = s,
        Message::Notifications(on) => prefs.notifications = on,
        Message::Private(on) => prefs.private_notifications = on,
        Message::TrustMode(mode) => core.send(Command::SetOmemoTrustMode { mode }),
        Message::DefaultEncryption(choice) => prefs.default_encryption = choice,
        Message::Protection(m) => protection.update(m, prefs.keyring, core),
    }
}

/// The settings pane; `trust_mode` as the core last reported it.
pub fn view<'a>(
    prefs: &'a Prefs,
    trust_mode: Option<OmemoTrustMode>,
    protection: &'a Protection,
) -> Element<'a, Message> {
    let themes = ThemeChoice::ALL
        .iter()
        .fold(row![].spacing(4), |r, choice| {
            r.push(segment(
                choice.to_string(),
                *choice == prefs.theme,
                Message::Theme(*choice),
            ))
        });
    let sizes = TextSize::ALL.iter().fold(row![].spacing(4), |r, size| {
        r.push(segment(
            size.to_string(),
            *size == prefs.text_size,
            Message::TextSize(*size),
        ))
    });
    let mut notifications = column![
        checkbox(prefs.notifications)
            .label("Show a desktop notification for new messages while Sotto is in the background")
            .on_toggle(Message::Notifications),
    ]
    .spacing(8);
    if prefs.notifications {
        notifications = notifications.push(
            checkbox(prefs.private_notifications)
                .label("Private notifications: say only \"New message\", without sender or text")
                .on_toggle(Message::Private),
        );
    }
    let modes = TRUST_MODES
        .iter()
        .fold(row![].spacing(4), |r, (mode, label)| {
            r.push(segment(
                (*label).to_owned(),
                Some(*mode) == trust_mode,
                Message::TrustMode(*mode),
            ))
        });
    let explain = match trust_mode {
        Some(OmemoTrustMode::Manual) => {
            "Messages are encrypted only to devices you have trusted or verified. \
             Each new device waits for your decision."
        }
        Some(_) => {
            "A contact's new devices are trusted until you verify one of their devices; \
             after that, new devices wait for your decision (as Conversations does)."
        }
        None => "Waiting for the current setting…",
    };
    let defaults = Choice::ALL.iter().fold(row![].spacing(4), |r, choice| {
        r.push(segment(
            choice.label().to_owned(),
            *choice == prefs.default_encryption,
            Message::DefaultEncryption(*choice),
        ))
    });
    let default_explain = match prefs.default_encryption {
        Choice::Automatic => {
            "OTR while an OTR session is up, else OMEMO when the contact has OMEMO \
             devices, else no encryption."
        }
        Choice::Omemo => "OMEMO always: nothing is sent unencrypted to a contact without OMEMO.",
        Choice::Otr => "OTR always: a session is started before the first message goes out.",
        Choice::Plain => {
            "No end-to-end encryption: only the connection to the server is encrypted."
        }
    };
    let col = column![
        text("Settings").size(24),
        widgets::card(protection.view(prefs.keyring).map(Message::Protection)).width(Length::Fill),
        widgets::card(column![text("Theme").size(16), themes].spacing(10)).width(Length::Fill),
        widgets::card(column![text("Text size").size(16), sizes].spacing(10)).width(Length::Fill),
        widgets::card(column![text("Notifications").size(16), notifications].spacing(10))
            .width(Length::Fill),
        widgets::card(
            column![
                text("Default encryption").size(16),
                defaults,
                text(format!(
                    "{default_explain} Each conversation's lock can still choose its own."
                ))
                .size(13)
            ]
            .spacing(10)
        )
        .width(Length::Fill),
        widgets::card(
            column![
                text("New OMEMO devices").size(16),
                modes,
                text(explain).size(13)
            ]
            .spacing(10)
        )
        .width(Length::Fill),
    ]
    .spacing(16)
    .padding(20)
    .max_width(720);
    scrollable(container(col).center_x(Length::Fill)).into()
}

/// One choice of a segmented control: the chosen one is highlighted.
fn segment<'a>(label: String, chosen: bool, message: Message) -> Element<'a, Message> {
    button(text(label))
        .padding([6, 14])
        .style(if chosen {
            button::primary
        } else {
            button::secondary
        })
        .on_press(message)
        .into()
}
