// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! Cleaning text that a server or a peer chose before it is shown.
//!
//! Error and event strings end up on a terminal or in a widget. Text from
//! the other side (an HTTP reason phrase, a SASL or stream error's text, a
//! message body, a nickname) could otherwise carry terminal escape
//! sequences (ESC `[2J`, OSC 52 clipboard writes, fake prompts), carriage
//! returns that overwrite what was printed, or bidi overrides that make
//! text read differently than it is, and the Unicode line and paragraph
//! separators. These are escaped in the `\u{..}`
//! form, so they stay visible and nothing is silently lost.

use std::borrow::Cow;

/// The most characters of server text kept in an error or event string.
pub const MAX_UNTRUSTED: usize = 200;

/// Server- or peer-controlled text made safe for one line of an error or
/// event string: every control character (line ends and tabs too), every
/// bidi control and the Unicode line separators are escaped; at most [`MAX_UNTRUSTED`] characters
/// are kept, and a cut is marked with `…`.
pub fn untrusted_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len().min(MAX_UNTRUSTED * 2));
    for (i, c) in text.chars().enumerate() {
        if i == MAX_UNTRUSTED {
            out.push('…');
            break;
        }
        push_escaped(&mut out, c, false);
    }
    out
}

/// Peer-controlled text (a message body, a name) made safe to print on a
/// terminal: newlines and tabs are kept, every other control character
/// (ESC, CR, other C0 and C1 controls, DEL) and every bidi control is
/// escaped. Not shortened: a body is shown whole. Borrows when nothing
/// needed escaping, which is nearly always.
pub fn terminal_safe(text: &str) -> Cow<'_, str> {
    if !text.chars().any(|c| is_dangerous(c, true)) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        push_escaped(&mut out, c, true);
    }
    Cow::Owned(out)
}

fn push_escaped(out: &mut String, c: char, keep_layout: bool) {
    if is_dangerous(c, keep_layout) {
        out.extend(c.escape_unicode());
    } else {
        out.push(c);
    }
}

/// Whether `c` can steer a terminal or reorder what is displayed.
fn is_dangerous(c: char, keep_layout: bool) -> bool {
    if keep_layout && matches!(c, '\n' | '\t') {
        return false;
    }
    // `is_control` is Unicode's Cc: C0, DEL and C1 (whose CSI, OSC and
    // ST a terminal may obey without an ESC).
    c.is_control()
        || matches!(
            c,
            '\u{061C}'
                | '\u{200E}'
                | '\u{200F}'
                | '\u{202A}'..='\u{202E}'
                | '\u{2066}'..='\u{2069}'
                | '\u{2028}'
                | '\u{2029}'
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_terminal_controls_and_bidi_overrides_in_one_line() {
        assert_eq!(untrusted_text("Not Found"), "Not Found");
        assert_eq!(
            untrusted_text("bad\u{1b}[2J\r\nX\t\u{9b}31m\u{7f}"),
            "bad\\u{1b}[2J\\u{d}\\u{a}X\\u{9}\\u{9b}31m\\u{7f}"
        );
        assert_eq!(
            untrusted_text("evil\u{202e}gpj.exe\u{2066}"),
            "evil\\u{202e}gpj.exe\\u{2066}"
        );
        assert_eq!(untrusted_text("grüße 日本"), "grüße 日本");
    }

    #[test]
    fn caps_length_by_characters_and_marks_the_cut() {
        let long = "é".repeat(10_000);
        let cut = untrusted_text(&long);
        assert_eq!(cut.chars().count(), MAX_UNTRUSTED + 1);
        assert!(cut.ends_with('…'));
        assert_eq!(
            untrusted_text(&"a".repeat(MAX_UNTRUSTED)).len(),
            MAX_UNTRUSTED
        );
    }

    #[test]
    fn terminal_text_keeps_newlines_and_tabs_only() {
        assert!(matches!(terminal_safe("hi\n\tthere"), Cow::Borrowed(_)));
        assert_eq!(
            terminal_safe("line\n\u{1b}]52;c;aGk=\u{7}\rfake\u{202e}"),
            "line\n\\u{1b}]52;c;aGk=\\u{7}\\u{d}fake\\u{202e}"
        );
    }
}
