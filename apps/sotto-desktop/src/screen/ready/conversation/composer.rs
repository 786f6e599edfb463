// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! The composer: a multi-line editor where Enter sends and Shift+Enter
//! starts a new line.

use iced::keyboard::{Key, key::Named};
use iced::widget::text_editor::{Binding, KeyPress, Status};
use iced::widget::{button, row, text, text_editor};
use iced::{Alignment, Element, Length};

use super::{COMPOSER, Message};

/// What a key press does in the composer.
pub fn binding(press: KeyPress) -> Option<Binding<Message>> {
    if !matches!(press.status, Status::Focused { .. }) {
        return None;
    }
    if matches!(press.key.as_ref(), Key::Named(Named::Enter)) {
        return Some(if press.modifiers.shift() {
            Binding::Enter
        } else {
            Binding::Custom(Message::Send)
        });
    }
    Binding::from_key_press(press)
}

/// The composer row: Attach (a file), the editor and Send.
pub fn view<'a>(content: &'a text_editor::Content, peer_name: &str) -> Element<'a, Message> {
    let editor = text_editor(content)
        .id(COMPOSER)
        .placeholder(format!("Message {peer_name}"))
        .on_action(Message::Edit)
        .key_binding(binding)
        .padding(10)
        .min_height(40)
        .max_height(160)
        .height(Length::Shrink);
    let can_send = !content.text().trim().is_empty();
    row![
        button(text("Attach"))
            .padding([10, 12])
            .style(button::secondary)
            .on_press(Message::Attach),
        editor,
        button(text("Send"))
            .padding([10, 16])
            .style(button::primary)
            .on_press_maybe(can_send.then_some(Message::Send)),
    ]
    .spacing(8)
    .align_y(Alignment::End)
    .into()
}
