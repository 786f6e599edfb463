// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! Snapshot tests: the main screens drawn headless at a fixed size, with
//! fixed data and a stopped clock, compared with the SHA-256 of the pixels
//! stored in `tests/snapshots/` (`<name>-<renderer>.sha256`). Any visual
//! change fails them.
//!
//! After an intended change, record the new pictures:
//!
//! ```sh
//! SOTTO_UPDATE_SNAPSHOTS=1 ICED_TEST_BACKEND=tiny-skia \
//!     cargo nextest run -p sotto-desktop snapshots
//! ```
//!
//! Every run (failing or recording) also writes the drawn PNG to
//! `<target>/tmp/snapshots/`, so the change can be looked at before the
//! new hashes are committed. A missing hash fails the test instead of being
//! recorded silently, so a renderer that draws differently (the `wgpu`
//! feature) cannot pass by writing its own.

use std::path::{Path, PathBuf};

use iced::{Element, Settings, Size, Theme};
use iced_test::Simulator;
use sotto_core::{Availability, ConnectionState, Event};
use sotto_desktop::screen::ready::{Pane, search};
use sotto_desktop::screen::unlock::Unlock;
use sotto_store::{Direction, MessageRecord, MessageState};

use crate::accounts::settings;
use crate::contacts::with_roster;
use crate::conversation::{BOB, ME, record};
use crate::omemo::{bobs_devices, fingerprints};
use crate::support::Harness;

/// Set to record the drawn pictures as the expected ones.
pub const UPDATE: &str = "SOTTO_UPDATE_SNAPSHOTS";
/// The window every snapshot is drawn in.
const WINDOW: Size = Size::new(1024.0, 768.0);

fn expected_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots")
}

fn drawn_dir() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("snapshots")
}

/// Draws `view` and compares it with the stored snapshot `name`.
fn assert_snapshot<M>(name: &str, view: Element<'_, M>) {
    let mut ui = Simulator::with_size(Settings::default(), WINDOW, view);
    let snapshot = ui.snapshot(&Theme::Light).unwrap();

    // `matches_hash` records a missing file; let it record into an empty
    // directory to learn the hash and the file name (which carries the
    // renderer's name), then compare with the stored one here.
    let scratch = tempfile::tempdir().unwrap();
    assert!(snapshot.matches_hash(scratch.path().join(name)).unwrap());
    let file = std::fs::read_dir(scratch.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "sha256"))
        .unwrap();
    let drawn = std::fs::read_to_string(&file).unwrap();
    let file_name = file.file_name().unwrap();

    // `matches_image` also records a missing file: the picture to look at.
    let _ = std::fs::remove_file(drawn_dir().join(Path::new(file_name).with_extension("png")));
    std::fs::create_dir_all(drawn_dir()).unwrap();
    assert!(snapshot.matches_image(drawn_dir().join(name)).unwrap());

    let expected = expected_dir().join(file_name);
    if std::env::var_os(UPDATE).is_some() {
        std::fs::create_dir_all(expected_dir()).unwrap();
        std::fs::write(&expected, &drawn).unwrap();
        return;
    }
    let Ok(stored) = std::fs::read_to_string(&expected) else {
        panic!(
            "no stored snapshot {}; run with {UPDATE}=1 to record it",
            expected.display()
        );
    };
    assert!(
        stored.trim() == drawn.trim(),
        "{name} looks different from {}; the picture drawn now is in {}. \
         If the change is intended, run with {UPDATE}=1 and commit the new hash.",
        expected.display(),
        drawn_dir().display(),
    );
}

fn message(id: i64, direction: Direction, body: &str) -> MessageRecord {
    let state = match direction {
        Direction::Incoming => MessageState::Received,
        Direction::Outgoing => MessageState::Delivered,
    };
    record(id, direction, body, state)
}

#[test]
fn unlock_first_run() {
    let screen = Unlock::new("/nonexistent/sotto-snapshot-profile".into(), false);
    assert!(screen.creating());
    assert_snapshot("unlock", screen.view());
}

#[test]
fn accounts() {
    let mut h = Harness::new();
    h.events([
        Event::AccountsSnapshot {
            accounts: vec![settings(ME), settings("work@example.net")],
        },
        Event::Connection {
            account: ME.into(),
            state: ConnectionState::Online {
                jid: format!("{ME}/sotto-1"),
                resumed: false,
            },
        },
        Event::Connection {
            account: "work@example.net".into(),
            state: ConnectionState::Offline {
                reason: "the server did not answer".into(),
                retry_in_ms: Some(30_000),
            },
        },
    ]);
    h.update(sotto_desktop::screen::ready::Message::Show(Pane::Accounts));
    assert_snapshot("accounts", h.ready.view(&h.prefs));
}

#[test]
fn contacts() {
    let mut h = with_roster();
    h.events([
        Event::Presence {
            account: ME.into(),
            from: format!("{BOB}/laptop"),
            availability: Availability::Away,
            status: None,
        },
        Event::MessageAdded {
            account: ME.into(),
            message: message(1, Direction::Incoming, "Are you coming tonight?"),
            request: None,
        },
    ]);
    assert_snapshot("contacts", h.ready.view(&h.prefs));
}

#[test]
fn conversation_with_new_messages() {
    let mut h = with_roster();
    h.events((4..=5).map(|id| Event::MessageAdded {
        account: ME.into(),
        message: message(id, Direction::Incoming, &format!("unread message {id}")),
        request: None,
    }));
    h.click("Bob Builder");
    h.events([Event::ConversationSnapshot {
        account: ME.into(),
        peer: BOB.into(),
        messages: vec![
            message(1, Direction::Incoming, "Can you fix the roof this week?"),
            message(2, Direction::Outgoing, "Yes, on Thursday."),
            message(3, Direction::Outgoing, "I will bring the ladder."),
            message(4, Direction::Incoming, "unread message 4"),
            message(5, Direction::Incoming, "unread message 5"),
        ],
        has_more: false,
        request: None,
    }]);
    assert_snapshot("conversation", h.ready.view(&h.prefs));
}

#[test]
fn search_results() {
    let mut h = with_roster();
    h.update(sotto_desktop::screen::ready::Message::FocusSearch);
    h.type_into(search::FIELD, "roof");
    h.update(sotto_desktop::screen::ready::Message::Search(
        search::Message::Submit,
    ));
    h.events([Event::SearchResults {
        text: "roof".into(),
        results: vec![
            message(9, Direction::Outgoing, "The roof is done."),
            message(1, Direction::Incoming, "Can you fix the roof this week?"),
        ],
        request: None,
    }]);
    assert_snapshot("search", h.ready.view(&h.prefs));
}

#[test]
fn settings_pane() {
    let mut h = Harness::new();
    h.events([Event::OmemoTrustMode {
        mode: sotto_core::OmemoTrustMode::Btbv,
    }]);
    h.update(sotto_desktop::screen::ready::Message::Show(Pane::Settings));
    assert_snapshot("settings", h.ready.view(&h.prefs));
}

#[test]
fn omemo_fingerprint_dialog() {
    let mut h = crate::omemo::bob();
    h.click("Not encrypted");
    h.click("Fingerprints…");
    h.events([fingerprints(
        BOB,
        bobs_devices(sotto_core::OmemoTrust::Blind),
    )]);
    assert_snapshot("omemo-fingerprints", h.ready.view(&h.prefs));
}
