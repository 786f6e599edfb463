// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! Settings change the preferences the app applies and saves.

use sotto_desktop::prefs::{TextSize, ThemeChoice};
use sotto_desktop::screen::ready::{Message, Pane};

use crate::support::Harness;

#[test]
fn theme_text_size_and_notifications() {
    let mut h = Harness::new();
    h.update(Message::Show(Pane::Settings));
    assert!(h.shows("Theme"));
    h.click("Dark");
    assert_eq!(h.prefs.theme, ThemeChoice::Dark);
    assert!(h.prefs.theme.theme().is_some());
    h.click("System");
    assert_eq!(h.prefs.theme.theme(), None, "System follows the OS");
    h.click("Larger");
    assert_eq!(h.prefs.text_size, TextSize::Larger);
    assert!(h.prefs.text_size.scale() > 1.0);
    assert!(!h.prefs.private_notifications);
    h.click("Private notifications: say only \"New message\", without sender or text");
    assert!(h.prefs.private_notifications);
    h.click("Show a desktop notification for new messages while Sotto is in the background");
    assert!(!h.prefs.notifications);
    assert!(!h.shows("Private notifications: say only \"New message\", without sender or text"));
}

#[test]
fn default_encryption_applies_to_conversations_without_their_own_choice() {
    use sotto_desktop::screen::ready::conversation::encryption::Choice;

    let mut h = crate::contacts::with_roster();
    h.update(Message::Show(Pane::Settings));
    assert!(h.shows("Default encryption"));
    assert_eq!(h.prefs.default_encryption, Choice::Automatic);
    h.click("OMEMO");
    assert_eq!(h.prefs.default_encryption, Choice::Omemo);
    assert!(h.shows(
        "OMEMO always: nothing is sent unencrypted to a contact without OMEMO. \
         Each conversation's lock can still choose its own."
    ));

    h.update(Message::Show(Pane::Chat));
    crate::conversation::open_bob(&mut h);
    let bob = h.ready.conversation().unwrap();
    assert_eq!(bob.choice(), Choice::Omemo, "the default applies");
}
