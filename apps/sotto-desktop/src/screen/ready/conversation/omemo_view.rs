// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! Drawing OMEMO in a conversation: the notices above the messages and the
//! fingerprint dialog (this device with its QR code, the contact's devices
//! and our other ones with their trust, the verification link field).

use iced::widget::{
    Column, button, column, container, qr_code, row, rule, scrollable, space, text, text_input,
};
use iced::{Alignment, Color, Element, Length};
use sotto_core::{OmemoDevice, OmemoTrust};

use super::omemo::{Message, NoticeKind, Omemo, URI_FIELD, is_uri};
use crate::screen::ready::e2e::{Keys, Own};
use crate::widgets;

/// The trust of a device key in words.
pub fn trust_label(trust: OmemoTrust) -> &'static str {
    match trust {
        OmemoTrust::Verified => "Verified",
        OmemoTrust::Blind => "Trusted (not verified)",
        OmemoTrust::Distrusted => "Not trusted",
        _ => "Undecided",
    }
}

/// The notices between the header and the messages.
pub fn notices<'a>(omemo: &'a Omemo, name: &str) -> Element<'a, Message> {
    if omemo.notices().is_empty() {
        return Column::new().into();
    }
    let list = omemo.notices().iter().fold(Column::new().spacing(8), |col, n| {
        let id = n.device_id;
        let line = match &n.kind {
            NoticeKind::Unreadable { reason } => {
                format!("A message from {name}'s device {id} could not be decrypted: {reason}")
            }
            NoticeKind::Skipped { own: false, reason } => {
                format!("{name}'s device {id} did not get your message: {reason}")
            }
            NoticeKind::Skipped { own: true, reason } => {
                format!("Your device {id} did not get your message: {reason}")
            }
            NoticeKind::Repaired => format!(
                "The encrypted session with {name}'s device {id} was broken and has been renewed. \
                 Messages it sent before may be lost: ask {name} to send again if something is missing."
            ),
            NoticeKind::Undecided => format!(
                "{name} has a new device ({id}) you have not decided about: messages are not encrypted to it yet."
            ),
        };
        let mut actions = Vec::new();
        if n.kind == NoticeKind::Undecided {
            actions.push(("Review…", Message::Open));
        }
        actions.push(("Dismiss", Message::Dismiss(n.id)));
        col.push(widgets::banner(line, actions))
    });
    container(list).padding([8, 16]).into()
}

/// The fingerprint dialog.
pub fn dialog<'a>(omemo: &'a Omemo, keys: Keys<'a>, name: &str) -> Element<'a, Message> {
    let mut col = column![
        row![
            text(format!("OMEMO keys · {name}")).size(18),
            space::horizontal(),
            button(text("Close"))
                .style(button::secondary)
                .on_press(Message::Close),
        ]
        .align_y(Alignment::Center),
        text(format!(
            "Compare the fingerprints with the ones {name}'s devices show, in person or by phone, \
             or let {name} scan your code. Messages are encrypted only to devices you trust."
        ))
        .size(13),
    ]
    .spacing(12);
    if let Some(error) = &omemo.error {
        col = col.push(widgets::error_text(error.clone()).size(13));
    }
    col = col
        .push(own_section(keys.own, name))
        .push(rule::horizontal(1))
        .push(text(format!("{name}'s devices")).size(16))
        .push(devices(
            keys.contact,
            &format!("{name} has no OMEMO devices."),
        ));
    if let Some(others) = keys.own_others.filter(|d| !d.is_empty()) {
        col = col
            .push(rule::horizontal(1))
            .push(text("Your other devices").size(16))
            .push(devices(Some(others), ""));
    }
    let uri = omemo.uri.trim();
    let can_verify = is_uri(uri);
    col = col.push(rule::horizontal(1)).push(
        column![
            text("Verify by link").size(16),
            text("Paste the xmpp: link from a scanned OMEMO code (Conversations, Dino, Sotto).")
                .size(13),
            row![
                text_input("xmpp:…?omemo-sid-…", &omemo.uri)
                    .id(URI_FIELD)
                    .on_input(Message::UriInput)
                    .on_submit_maybe(can_verify.then_some(Message::VerifyUri))
                    .width(Length::Fill),
                button(text("Verify link"))
                    .style(button::primary)
                    .on_press_maybe(can_verify.then_some(Message::VerifyUri)),
            ]
            .spacing(8)
            .align_y(Alignment::Center),
        ]
        .spacing(6),
    );
    container(scrollable(widgets::card(col).width(Length::Fill)))
        .max_width(720)
        .padding(20)
        .into()
}

fn own_section<'a>(own: Option<&'a Own>, name: &str) -> Element<'a, Message> {
    let Some(own) = own else {
        return column![
            text("This device").size(16),
            text("Loading…").style(text::secondary),
        ]
        .spacing(6)
        .into();
    };
    let mut info = column![
        text(format!("This device ({})", own.device_id)).size(16),
        fingerprint(&own.fingerprint),
    ]
    .spacing(6)
    .width(Length::Fill);
    let Some(qr) = &own.qr else {
        if own.uri.is_some() {
            info = info.push(text("The verification link is too long for a QR code.").size(13));
        }
        return info.into();
    };
    info = info.push(
        text(format!(
            "Let {name} scan this code with their OMEMO app to verify this device."
        ))
        .size(13),
    );
    row![
        qr_code(qr).cell_size(4).style(|_theme| qr_code::Style {
            // Dark on light in every theme: scanners expect it.
            cell: Color::BLACK,
            background: Color::WHITE,
        }),
        info,
    ]
    .spacing(16)
    .align_y(Alignment::Center)
    .into()
}

fn devices<'a>(list: Option<&'a [OmemoDevice]>, empty: &str) -> Element<'a, Message> {
    match list {
        None => text("Loading…").style(text::secondary).into(),
        Some([]) => text(empty.to_owned()).style(text::secondary).into(),
        Some(list) => list
            .iter()
            .fold(Column::new().spacing(12), |col, d| col.push(device(d)))
            .into(),
    }
}

fn device(d: &OmemoDevice) -> Element<'_, Message> {
    let trust = text(trust_label(d.trust)).size(13);
    let trust = if !d.active {
        trust.style(text::secondary)
    } else {
        match d.trust {
            OmemoTrust::Verified => trust.style(text::success),
            OmemoTrust::Distrusted => trust.style(text::danger),
            OmemoTrust::Blind => trust,
            _ => trust.style(text::warning),
        }
    };
    let mut head = row![text(format!("Device {}", d.device_id)).style(if d.active {
        text::default
    } else {
        text::secondary
    })]
    .spacing(8)
    .align_y(Alignment::Center)
    .push(trust);
    if !d.active {
        head = head.push(text("· no longer in use").size(13).style(text::secondary));
    }
    head = head.push(space::horizontal());
    if !d.fingerprint.is_empty() {
        let action = |label: &'static str, trust: OmemoTrust| {
            button(text(label).size(13))
                .padding([4, 10])
                .style(button::secondary)
                .on_press(Message::SetTrust {
                    jid: d.jid.clone(),
                    fingerprint: d.fingerprint.clone(),
                    trust,
                })
        };
        if d.trust != OmemoTrust::Verified {
            head = head.push(action("Verify", OmemoTrust::Verified));
        }
        if matches!(d.trust, OmemoTrust::Undecided | OmemoTrust::Distrusted) {
            head = head.push(action("Trust", OmemoTrust::Blind));
        }
        if d.trust != OmemoTrust::Distrusted {
            head = head.push(action("Distrust", OmemoTrust::Distrusted));
        }
    }
    let mut col = column![head].spacing(4);
    if !d.fingerprint.is_empty() {
        let line = fingerprint(&d.fingerprint);
        col = col.push(if d.active {
            line
        } else {
            line.style(text::secondary)
        });
    }
    if let Some(problem) = &d.problem {
        col = col.push(text(problem).size(13).style(text::secondary));
    }
    col.into()
}

fn fingerprint(value: &str) -> text::Text<'_> {
    text(value).size(13).font(iced::Font::MONOSPACE)
}
