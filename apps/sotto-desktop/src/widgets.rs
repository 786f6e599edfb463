// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! Small building blocks shared by the screens: initials avatars, presence
//! dots, warning banners, and the names and colours of states.

use iced::widget::{button, container, row, text};
use iced::{Alignment, Background, Border, Color, Element, Length, Theme};
use sotto_core::Availability;

/// Avatar colours: mid-tone hues that carry white initials in light and
/// dark themes alike.
const PALETTE: [Color; 10] = [
    Color::from_rgb8(0xC6, 0x28, 0x28),
    Color::from_rgb8(0xAD, 0x14, 0x57),
    Color::from_rgb8(0x6A, 0x1B, 0x9A),
    Color::from_rgb8(0x45, 0x27, 0xA0),
    Color::from_rgb8(0x28, 0x35, 0x93),
    Color::from_rgb8(0x15, 0x65, 0xC0),
    Color::from_rgb8(0x00, 0x83, 0x8F),
    Color::from_rgb8(0x2E, 0x7D, 0x32),
    Color::from_rgb8(0x9E, 0x6A, 0x00),
    Color::from_rgb8(0xD8, 0x43, 0x15),
];

/// The avatar colour of a JID: the same on every run and every machine
/// (FNV-1a of the lowercased bare JID, not the std hasher, whose output may
/// change between Rust releases).
pub fn avatar_color(jid: &str) -> Color {
    let mut hash: u32 = 0x811c_9dc5;
    for byte in jid.to_lowercase().bytes() {
        hash ^= u32::from(byte);
        hash = hash.wrapping_mul(0x0100_0193);
    }
    PALETTE[(hash % PALETTE.len() as u32) as usize]
}

/// One or two initials: of the first two words of the name, or the first
/// letter of the JID's user part.
pub fn initials(name: Option<&str>, jid: &str) -> String {
    let source = name.filter(|n| !n.trim().is_empty()).unwrap_or(jid);
    let words: Vec<&str> = source
        .split(|c: char| c.is_whitespace() || c == '@' || c == '.' || c == '_' || c == '-')
        .filter(|w| !w.is_empty())
        .collect();
    let take = if name.is_some_and(|n| !n.trim().is_empty()) {
        2
    } else {
        1
    };
    let out: String = words
        .iter()
        .take(take)
        .filter_map(|w| w.chars().next())
        .flat_map(char::to_uppercase)
        .collect();
    if out.is_empty() { "?".to_owned() } else { out }
}

/// A round avatar with initials.
pub fn avatar<'a, M: 'a>(name: Option<&str>, jid: &str, size: f32) -> Element<'a, M> {
    let color = avatar_color(jid);
    container(
        text(initials(name, jid))
            .size(size * 0.42)
            .color(Color::WHITE),
    )
    .width(Length::Fixed(size))
    .height(Length::Fixed(size))
    .center_x(Length::Fixed(size))
    .center_y(Length::Fixed(size))
    .style(move |_theme: &Theme| container::Style {
        background: Some(Background::Color(color)),
        border: Border::default().rounded(size / 2.0),
        ..container::Style::default()
    })
    .into()
}

/// How present a contact is, best first; used to sort.
pub fn presence_rank(availability: Option<Availability>) -> u8 {
    match availability {
        Some(Availability::Chat) => 0,
        Some(Availability::Available) => 1,
        Some(Availability::Away) => 2,
        Some(Availability::Dnd) => 3,
        Some(Availability::Xa) => 4,
        Some(Availability::Unavailable) | None => 5,
    }
}

/// Words for a presence.
pub fn presence_label(availability: Option<Availability>) -> &'static str {
    match availability {
        Some(Availability::Chat) => "Free to chat",
        Some(Availability::Available) => "Online",
        Some(Availability::Away) => "Away",
        Some(Availability::Xa) => "Away for a while",
        Some(Availability::Dnd) => "Do not disturb",
        Some(Availability::Unavailable) | None => "Offline",
    }
}

fn presence_color(availability: Option<Availability>) -> Color {
    match availability {
        Some(Availability::Chat | Availability::Available) => Color::from_rgb8(0x2E, 0xA0, 0x43),
        Some(Availability::Away | Availability::Xa) => Color::from_rgb8(0xE0, 0x9B, 0x00),
        Some(Availability::Dnd) => Color::from_rgb8(0xD0, 0x30, 0x30),
        Some(Availability::Unavailable) | None => Color::from_rgb8(0x90, 0x90, 0x90),
    }
}

/// A small coloured dot.
pub fn dot<'a, M: 'a>(color: Color) -> Element<'a, M> {
    container(text(""))
        .width(Length::Fixed(10.0))
        .height(Length::Fixed(10.0))
        .style(move |_theme: &Theme| container::Style {
            background: Some(Background::Color(color)),
            border: Border::default().rounded(5.0),
            ..container::Style::default()
        })
        .into()
}

/// A presence dot.
pub fn presence_dot<'a, M: 'a>(availability: Option<Availability>) -> Element<'a, M> {
    dot(presence_color(availability))
}

/// Colour of a connection state dot.
pub fn connection_color(online: bool, trying: bool) -> Color {
    if online {
        presence_color(Some(Availability::Available))
    } else if trying {
        presence_color(Some(Availability::Away))
    } else {
        presence_color(None)
    }
}

/// A card: a rounded box with the theme's weak background.
pub fn card<'a, M: 'a>(content: impl Into<Element<'a, M>>) -> container::Container<'a, M> {
    container(content).padding(16).style(container::rounded_box)
}

/// A "danger" coloured text line, for errors.
pub fn error_text<'a>(message: impl text::IntoFragment<'a>) -> text::Text<'a> {
    text(message).style(text::danger)
}

/// A warning line across a pane, with buttons (label and message) at its
/// end.
pub fn banner<'a, M: Clone + 'a>(line: String, actions: Vec<(&'static str, M)>) -> Element<'a, M> {
    let content = actions.into_iter().fold(
        row![error_text(line).size(13).width(Length::Fill)]
            .spacing(8)
            .align_y(Alignment::Center),
        |r, (label, message)| {
            r.push(
                button(text(label).size(13))
                    .style(button::secondary)
                    .on_press(message),
            )
        },
    );
    container(content)
        .padding([8, 12])
        .width(Length::Fill)
        .style(|theme: &Theme| {
            let pair = theme.extended_palette().danger.weak;
            container::Style {
                background: Some(pair.color.scale_alpha(0.25).into()),
                border: Border::default().rounded(6),
                ..container::Style::default()
            }
        })
        .into()
}

/// A SHA-256 fingerprint as colon-separated upper-case pairs, in two lines.
pub fn fingerprint(hex: &str) -> String {
    let pairs: Vec<String> = hex
        .chars()
        .filter(char::is_ascii_hexdigit)
        .collect::<Vec<_>>()
        .chunks(2)
        .map(|c| c.iter().collect::<String>().to_uppercase())
        .collect();
    let half = pairs.len().div_ceil(2);
    let (first, second) = pairs.split_at(half);
    if second.is_empty() {
        first.join(":")
    } else {
        format!("{}\n{}", first.join(":"), second.join(":"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn initials_and_colours_are_stable() {
        assert_eq!(initials(Some("Bob Builder"), "bob@example.org"), "BB");
        assert_eq!(initials(Some("  "), "carol@example.net"), "C");
        assert_eq!(initials(None, "émile@example.org"), "É");
        assert_eq!(initials(None, ""), "?");
        assert_eq!(
            avatar_color("Bob@Example.org"),
            avatar_color("bob@example.org")
        );
        let colours: std::collections::HashSet<String> = ["a@x", "b@x", "c@x", "d@x", "e@x"]
            .iter()
            .map(|j| format!("{:?}", avatar_color(j)))
            .collect();
        assert!(colours.len() > 1, "every JID got the same colour");
    }

    #[test]
    fn fingerprints_are_grouped() {
        let hex = "5d41402abc4b2a76b9719d911017c5925d41402abc4b2a76b9719d911017c592";
        let shown = fingerprint(hex);
        assert!(shown.starts_with("5D:41:40:2A"), "{shown}");
        assert_eq!(shown.lines().count(), 2);
        assert_eq!(shown.replace(['\n', ':'], "").to_lowercase(), hex);
    }
}
