// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! First run and unlock.

use sotto_desktop::screen::unlock::{self, Action, CONFIRM, PASSPHRASE, Unlock};

use crate::support::{click, run, shows, type_into};

fn apply(screen: &mut Unlock, message: unlock::Message) -> Option<Action> {
    match screen.update(message) {
        Action::None => None,
        other => Some(other),
    }
}

/// Types into a field of the unlock screen.
fn typed(screen: &mut Unlock, id: &'static str, text: &str) {
    type_into(screen, id, text, Unlock::view, |s, m| {
        let _ = apply(s, m);
    });
}

/// Clicks the submit button and runs the open to its end.
async fn submit(screen: &mut Unlock, label: &str) -> Action {
    let messages = click(screen.view(), label);
    let mut last = Action::None;
    for m in messages {
        if let Some(action) = apply(screen, m) {
            last = action;
        }
    }
    let Action::Run(task) = last else {
        return last;
    };
    assert!(shows(screen.view(), "Creating…") || shows(screen.view(), "Unlocking…"));
    let mut result = Action::None;
    for m in run(task).await {
        result = screen.update(m);
    }
    result
}

#[tokio::test]
async fn first_run_creates_the_profile_and_a_wrong_passphrase_changes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("profile");

    let mut screen = Unlock::new(dir.clone(), false);
    assert!(screen.creating());
    assert!(shows(screen.view(), "Welcome to Sotto"));

    // Too short, then two different passphrases: refused before any work.
    typed(&mut screen, PASSPHRASE, "short");
    typed(&mut screen, CONFIRM, "short");
    assert!(matches!(
        submit(&mut screen, "Create profile").await,
        Action::None
    ));
    assert!(shows(
        screen.view(),
        "Use at least 8 characters: this passphrase is all that protects your messages on this computer."
    ));
    typed(&mut screen, PASSPHRASE, " and longer");
    assert!(matches!(
        submit(&mut screen, "Create profile").await,
        Action::None
    ));
    assert!(shows(screen.view(), "The two passphrases differ."));
    assert!(
        !dir.exists(),
        "nothing may be written before the passphrase is settled"
    );

    typed(&mut screen, CONFIRM, " and longer");
    let Action::Unlocked { opened, keyring } = submit(&mut screen, "Create profile").await else {
        panic!("the profile was not created");
    };
    assert!(opened.created && !keyring);
    assert!(sotto_store::SqlStore::exists(&dir));
    drop(opened);

    // Next start: unlock, wrong passphrase first.
    let db = std::fs::read(dir.join("sotto.db")).unwrap();
    let mut screen = Unlock::new(dir.clone(), false);
    assert!(!screen.creating());
    assert!(shows(screen.view(), "Unlock your profile"));
    typed(&mut screen, PASSPHRASE, "not the passphrase");
    assert!(matches!(
        submit(&mut screen, "Unlock").await,
        Action::Run(_)
    ));
    assert!(shows(
        screen.view(),
        "Wrong passphrase. Nothing was changed; try again."
    ));
    assert_eq!(
        std::fs::read(dir.join("sotto.db")).unwrap(),
        db,
        "a wrong passphrase touched the profile"
    );

    typed(&mut screen, PASSPHRASE, "short and longer");
    let Action::Unlocked { opened, .. } = submit(&mut screen, "Unlock").await else {
        panic!("the right passphrase did not unlock");
    };
    assert!(!opened.created);
}

#[tokio::test]
async fn enter_submits() {
    let tmp = tempfile::tempdir().unwrap();
    let mut screen = Unlock::new(tmp.path().join("p"), false);
    typed(&mut screen, PASSPHRASE, "x");
    let messages = crate::support::press(
        screen.view(),
        PASSPHRASE,
        iced::keyboard::Key::Named(iced::keyboard::key::Named::Enter),
    );
    assert!(
        messages
            .iter()
            .any(|m| matches!(m, unlock::Message::Submit))
    );
}
