// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! Drawing OTR in a conversation: the warning banners, the SMP prompt and
//! verdicts, and the verification dialog. (The lock and its menu are in
//! [`super::encryption`].)

use iced::widget::{Column, button, column, container, row, space, text, text_input};
use iced::{Alignment, Element, Length};
use sotto_core::SmpProgress;

use super::otr::{Hidden, Lock, Message, Otr, SMP_ANSWER, SMP_QUESTION, SMP_SECRET, grouped};
use crate::widgets;

/// Everything OTR shows between the header and the messages.
pub fn panels<'a>(otr: &'a Otr, name: &str) -> Element<'a, Message> {
    let mut out = Column::new().spacing(8);
    if otr.key_changed() {
        out = out.push(widgets::banner(
            format!("{name}'s OTR key changed — verify it before trusting this conversation"),
            vec![("Verify", Message::Verify)],
        ));
    }
    if let Some(reason) = &otr.unreadable {
        out = out.push(widgets::banner(
            format!("A message from {name} could not be decrypted: {reason}"),
            vec![("Dismiss", Message::DismissUnreadable)],
        ));
    }
    if let Some(smp) = otr.smp() {
        out = out.push(smp_status(otr, smp, name));
    }
    if otr.dialog {
        out = out.push(dialog(otr, name));
    }
    if otr.key_changed() || otr.unreadable.is_some() || otr.smp().is_some() || otr.dialog {
        container(out).padding([8, 16]).into()
    } else {
        out.into()
    }
}

fn smp_status<'a>(otr: &'a Otr, smp: &'a SmpProgress, name: &str) -> Element<'a, Message> {
    let dismiss = || {
        button(text("OK").size(13))
            .style(button::secondary)
            .on_press(Message::DismissSmp)
    };
    let content: Element<'a, Message> = match smp {
        SmpProgress::Requested { question } => {
            let ask = match question {
                Some(q) => format!("{name} wants to verify you and asks: {q}"),
                None => format!(
                    "{name} wants to verify you. Type the secret you agreed on with them."
                ),
            };
            column![
                text(ask),
                row![
                    text_input("Your answer", &otr.answer)
                        .id(SMP_ANSWER)
                        .secure(true)
                        .on_input(|s| Message::Answer(Hidden::new(s)))
                        .on_submit(Message::Respond)
                        .width(Length::Fill),
                    button(text("Answer"))
                        .style(button::primary)
                        .on_press_maybe((!otr.answer.is_empty()).then_some(Message::Respond)),
                    button(text("Decline"))
                        .style(button::secondary)
                        .on_press(Message::Abort),
                ]
                .spacing(8)
                .align_y(Alignment::Center),
            ]
            .spacing(8)
            .into()
        }
        SmpProgress::InProgress { percent } => row![
            text(format!("Verifying {name}… {percent}%")).width(Length::Fill),
            button(text("Abort verification"))
                .style(button::secondary)
                .on_press(Message::Abort),
        ]
        .spacing(8)
        .align_y(Alignment::Center)
        .into(),
        SmpProgress::Succeeded => row![
            text(format!(
                "Verified: {name} knew the secret. Their OTR key is now marked as verified."
            ))
            .style(text::success)
            .width(Length::Fill),
            dismiss(),
        ]
        .spacing(8)
        .align_y(Alignment::Center)
        .into(),
        SmpProgress::Failed => row![
            widgets::error_text(format!(
                "Verification failed: the secrets did not match. {name} may not be who they claim to be."
            ))
            .width(Length::Fill),
            dismiss(),
        ]
        .spacing(8)
        .align_y(Alignment::Center)
        .into(),
        _ => row![
            text("Verification was stopped before it finished.").width(Length::Fill),
            dismiss(),
        ]
        .spacing(8)
        .align_y(Alignment::Center)
        .into(),
    };
    widgets::card(content).width(Length::Fill).into()
}

fn dialog<'a>(otr: &'a Otr, name: &str) -> Element<'a, Message> {
    let own = otr
        .own
        .as_deref()
        .map_or_else(|| "Loading…".to_owned(), grouped);
    let theirs = otr.fingerprint().map_or_else(
        || "Start OTR with them to see their fingerprint.".to_owned(),
        grouped,
    );
    let lock = otr.lock();
    let encrypted = otr.fingerprint().is_some();
    let trust = match lock {
        Lock::Verified => "You have verified this key.",
        Lock::Unverified => "You have not verified this key yet.",
        _ => "",
    };
    let mark = button(text("Mark as verified"))
        .style(button::primary)
        .on_press_maybe((lock == Lock::Unverified).then_some(Message::MarkVerified));
    let can_smp = encrypted && !otr.secret.is_empty();
    let smp = column![
        text("Or verify by a secret only the two of you know").size(15),
        text_input("Question for them (optional)", &otr.question)
            .id(SMP_QUESTION)
            .on_input(Message::Question),
        text_input("The secret answer", &otr.secret)
            .id(SMP_SECRET)
            .secure(true)
            .on_input(|s| Message::Secret(Hidden::new(s)))
            .on_submit_maybe(can_smp.then_some(Message::StartSmp)),
        button(text("Verify by secret"))
            .style(button::primary)
            .on_press_maybe(can_smp.then_some(Message::StartSmp)),
    ]
    .spacing(8);
    let fingerprint_line = |label: String, value: String| {
        column![
            text(label).size(13).style(text::secondary),
            text(value).font(iced::Font::MONOSPACE),
        ]
        .spacing(2)
    };
    widgets::card(
        column![
            row![
                text(format!("Verify {name}")).size(18),
                space::horizontal(),
                button(text("Close"))
                    .style(button::secondary)
                    .on_press(Message::CloseDialog),
            ]
            .align_y(Alignment::Center),
            text(
                "Compare the fingerprints over another channel (in person or by phone). \
                 If they match, mark the key as verified."
            )
            .size(13),
            fingerprint_line("Your fingerprint".to_owned(), own),
            fingerprint_line(format!("{name}'s fingerprint"), theirs),
            row![text(trust).size(13).width(Length::Fill), mark]
                .spacing(8)
                .align_y(Alignment::Center),
            smp,
        ]
        .spacing(10),
    )
    .width(Length::Fill)
    .into()
}
