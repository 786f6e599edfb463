// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! The certificate prompt: shown when the core refuses a server's
//! certificate (untrusted, or different from the pinned one), with its
//! SHA-256 fingerprint and a choice to pin it or not.

use iced::Element;
use iced::widget::{button, column, row, text};

use super::accounts::Message;
use crate::widgets;

/// A server certificate the user must decide about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertPrompt {
    /// The account that refused it.
    pub account: String,
    /// SHA-256 of the presented certificate.
    pub sha256: String,
    /// Why it was refused.
    pub reason: String,
    /// The pinned fingerprint it differs from, for a changed certificate.
    pub pinned: Option<String>,
}

/// The certificate dialog: the fingerprint, what it means, Pin or Cancel.
pub fn prompt_view(prompt: &CertPrompt) -> Element<'_, Message> {
    let mut col = column![
        text("Check the server's certificate").size(20),
        text(format!("{}: {}", prompt.account, prompt.reason)),
    ]
    .spacing(12);
    if let Some(pinned) = &prompt.pinned {
        col = col.push(text("Trusted until now:").size(13)).push(
            text(widgets::fingerprint(pinned))
                .font(iced::Font::MONOSPACE)
                .size(13),
        );
    }
    col = col
        .push(text("SHA-256 fingerprint of the certificate the server presented:").size(13))
        .push(
            text(widgets::fingerprint(&prompt.sha256))
                .font(iced::Font::MONOSPACE)
                .size(14),
        )
        .push(
            text(
                "Compare it with the fingerprint your server's administrator gives you. \
                 Trust it only if they match: from then on, only this certificate is accepted.",
            )
            .size(13),
        )
        .push(
            row![
                button(text("Cancel"))
                    .style(button::secondary)
                    .on_press(Message::DismissPrompt),
                button(text("Pin certificate"))
                    .style(button::primary)
                    .on_press(Message::Pin),
            ]
            .spacing(8),
        );
    widgets::card(col).max_width(560).into()
}
