// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! The whole app against the real core: the subscription's own stream
//! (`core_link::connect`) drives the update loop, without a window.

use std::pin::Pin;
use std::time::Duration;

use futures::{Stream, StreamExt as _};
use sotto_core::ConnectionState;
use sotto_desktop::core_link::{self, CoreMessage};
use sotto_desktop::prefs::Prefs;
use sotto_desktop::screen::ready::{Pane, account_form};
use sotto_desktop::screen::unlock::{CONFIRM, PASSPHRASE};
use sotto_desktop::{App, Message, Screen};

use crate::support::{click, run, shows, type_into};

pub type Link = Pin<Box<dyn Stream<Item = CoreMessage> + Send>>;

pub fn typed(app: &mut App, id: &'static str, text: &str) {
    type_into(app, id, text, App::view, |a, m| {
        let _ = a.update(m);
    });
}

pub async fn clicked(app: &mut App, label: &str) {
    for m in click(app.view(), label) {
        let task = app.update(m);
        for m in run(task).await {
            let _ = app.update(m);
        }
    }
}

/// Unlocks (or creates) the profile and starts the core behind the link.
pub async fn unlock(app: &mut App, passphrase: &str, create: bool) -> Link {
    typed(app, PASSPHRASE, passphrase);
    if create {
        typed(app, CONFIRM, passphrase);
        clicked(app, "Create profile").await;
    } else {
        clicked(app, "Unlock").await;
    }
    assert!(matches!(app.screen(), Screen::Loading(_)), "not unlocked");
    let mut link: Link = Box::pin(core_link::connect(app.link().unwrap()));
    let first = link.next().await.unwrap();
    assert!(
        matches!(first, CoreMessage::Connected(_)),
        "the link's first item must be the sender"
    );
    let _ = app.update(Message::Core(first));
    assert!(app.ready().is_some());
    link
}

/// Feeds core events to the app until `done` holds.
pub async fn pump(app: &mut App, link: &mut Link, what: &str, done: impl Fn(&App) -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while !done(app) {
        let next = tokio::time::timeout_at(deadline, link.next())
            .await
            .unwrap_or_else(|_| panic!("timed out waiting for {what}"));
        let Some(message) = next else {
            panic!("the core stopped while waiting for {what}");
        };
        let task = app.update(Message::Core(message));
        for m in run(task).await {
            let _ = app.update(m);
        }
    }
}

/// Closes the window: the app shuts the core down and saves its state.
pub async fn close(app: &mut App, link: &mut Link) {
    let id = iced::window::Id::unique();
    let _ = app.update(Message::Window(id, iced::window::Event::CloseRequested));
    while let Ok(Some(message)) = tokio::time::timeout(Duration::from_secs(15), link.next()).await {
        let _ = app.update(Message::Core(message));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_profile_add_an_account_and_find_it_after_a_restart() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("profile");
    // A port nothing listens on: the account goes offline and retries.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();

    let (mut app, _) = App::new(dir.clone(), Prefs::default());
    assert!(shows(app.view(), "Welcome to Sotto"));
    let mut link = unlock(&mut app, "correct horse battery", true).await;

    pump(&mut app, &mut link, "the accounts snapshot", |a| {
        a.ready().is_some_and(|r| r.pane() == Pane::Accounts)
    })
    .await;
    assert!(app.ready().unwrap().accounts().list().is_empty());
    assert!(shows(app.view(), "Add an account"));

    typed(&mut app, account_form::JID, "alice@localhost");
    typed(&mut app, account_form::PASSWORD, "pw");
    clicked(&mut app, "Advanced connection options").await;
    typed(&mut app, account_form::HOST, "127.0.0.1");
    typed(&mut app, account_form::PORT, &port.to_string());
    clicked(&mut app, "Add account").await;

    pump(
        &mut app,
        &mut link,
        "the account to go offline with a retry",
        |a| {
            a.ready()
                .and_then(|r| r.accounts().get("alice@localhost"))
                .is_some_and(|acc| {
                    matches!(
                        acc.connection,
                        Some(ConnectionState::Offline {
                            retry_in_ms: Some(_),
                            ..
                        })
                    )
                })
        },
    )
    .await;
    let account = app
        .ready()
        .unwrap()
        .accounts()
        .get("alice@localhost")
        .unwrap()
        .clone();
    assert_eq!(account.settings.host.as_deref(), Some("127.0.0.1"));
    assert_eq!(account.settings.port, Some(port));
    assert!(shows(app.view(), "alice@localhost"));

    close(&mut app, &mut link).await;
    assert!(
        dir.join("desktop.json").is_file(),
        "the preferences were not saved"
    );

    // Restart: unlock with the passphrase; the account is there.
    let (mut app, _) = App::new(dir.clone(), Prefs::load(&dir));
    assert!(shows(app.view(), "Unlock your profile"));
    let mut link = unlock(&mut app, "correct horse battery", false).await;
    pump(&mut app, &mut link, "the accounts snapshot", |a| {
        a.ready().is_some_and(|r| !r.accounts().list().is_empty())
    })
    .await;
    assert_eq!(
        app.ready().unwrap().accounts().list()[0].settings.jid,
        "alice@localhost"
    );
    close(&mut app, &mut link).await;
}

/// Settings → Profile protection against the real core and store: a wrong
/// current passphrase and mismatched new ones change nothing; the right
/// ones re-encrypt the running profile, and after a restart only the new
/// passphrase opens it. Then the key moves into the OS keyring and back
/// (the test script runs a private GNOME Keyring; without any keyring the
/// move must fail clearly and leave the passphrase working).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn change_the_passphrase_and_move_the_key_to_the_keyring_and_back() {
    use sotto_desktop::screen::ready::protection::{self, CURRENT, NEW, REPEAT, Status};
    use sotto_desktop::screen::ready::{self, settings};

    /// Replaces a field's text (typing appends).
    fn set(app: &mut App, field: fn(String) -> protection::Message, value: &str) {
        let _ = app.update(Message::Ready(ready::Message::Settings(
            settings::Message::Protection(field(value.to_owned())),
        )));
    }

    fn status(app: &App) -> Option<Status> {
        app.ready().and_then(|r| r.protection().status().cloned())
    }
    async fn answered(app: &mut App, link: &mut Link) -> Status {
        pump(app, link, "the core's answer", |a| {
            a.ready().is_some_and(|r| !r.protection().busy())
        })
        .await;
        status(app).expect("an outcome is shown")
    }

    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("profile");
    let (mut app, _) = App::new(dir.clone(), Prefs::default());
    let mut link = unlock(&mut app, "first passphrase", true).await;
    pump(&mut app, &mut link, "the accounts snapshot", |a| {
        a.ready().is_some_and(|r| r.pane() == Pane::Accounts)
    })
    .await;
    clicked(&mut app, "Settings").await;
    assert!(shows(
        app.view(),
        "The profile is encrypted with your passphrase."
    ));
    clicked(&mut app, "Change…").await;

    // Checked in the form: the two new passphrases differ.
    typed(&mut app, CURRENT, "first passphrase");
    typed(&mut app, NEW, "second passphrase");
    typed(&mut app, REPEAT, "second passphrase typo");
    clicked(&mut app, "Change passphrase").await;
    assert_eq!(
        status(&app),
        Some(Status::Failed("The two new passphrases differ.".into()))
    );

    // Checked by the core: the current passphrase is wrong.
    set(&mut app, protection::Message::Current, "guess");
    set(&mut app, protection::Message::Repeat, "second passphrase");
    clicked(&mut app, "Change passphrase").await;
    assert!(app.ready().unwrap().protection().busy());
    assert!(shows(app.view(), "Re-encrypting the profile…"));
    assert_eq!(
        answered(&mut app, &mut link).await,
        Status::Failed("The current passphrase is wrong. Nothing was changed.".into())
    );

    typed(&mut app, CURRENT, "first passphrase");
    // Enter in a field does what "Change passphrase" does.
    let enter = iced::keyboard::Key::Named(iced::keyboard::key::Named::Enter);
    for m in crate::support::press(app.view(), REPEAT, enter) {
        let task = app.update(m);
        let _ = crate::support::run(task).await;
    }
    assert_eq!(
        answered(&mut app, &mut link).await,
        Status::Done("Done. From now on the profile opens with the new passphrase.".into())
    );
    assert!(!app.prefs().keyring);
    close(&mut app, &mut link).await;

    let (mut app, _) = App::new(dir.clone(), Prefs::load(&dir));
    typed(&mut app, PASSPHRASE, "first passphrase");
    clicked(&mut app, "Unlock").await;
    assert!(shows(
        app.view(),
        "Wrong passphrase. Nothing was changed; try again."
    ));
    let mut link = unlock(&mut app, "second passphrase", false).await;
    clicked(&mut app, "Settings").await;
    clicked(&mut app, "Change…").await;

    typed(&mut app, CURRENT, "second passphrase");
    clicked(&mut app, "Keep the key in the OS keyring").await;
    let outcome = answered(&mut app, &mut link).await;
    if std::env::var_os("SOTTO_REQUIRE_KEYRING").is_none()
        && let Status::Failed(why) = &outcome
    {
        // No keyring on this machine: a clear error, nothing changed.
        assert!(why.contains("OS keyring"), "{why}");
        assert!(!app.prefs().keyring);
        close(&mut app, &mut link).await;
        println!("SKIPPED the keyring half (no OS keyring): {why}");
        return;
    }
    assert!(
        matches!(&outcome, Status::Done(d) if d.contains("now kept in the OS keyring")),
        "{outcome:?}"
    );
    assert!(app.prefs().keyring);
    assert!(
        Prefs::load(&dir).keyring,
        "saved at once, so the next start offers the keyring"
    );
    assert!(shows(
        app.view(),
        "The profile's key is kept in the OS keyring."
    ));
    close(&mut app, &mut link).await;

    // The next start opens from the keyring, without a passphrase.
    let (mut app, _) = App::new(dir.clone(), Prefs::load(&dir));
    assert!(shows(app.view(), "The key is kept in the OS keyring."));
    clicked(&mut app, "Unlock").await;
    assert!(matches!(app.screen(), Screen::Loading(_)), "not unlocked");
    let mut link: Link = Box::pin(core_link::connect(app.link().unwrap()));
    let first = link.next().await.unwrap();
    let _ = app.update(Message::Core(first));
    clicked(&mut app, "Settings").await;
    clicked(&mut app, "Change…").await;
    typed(&mut app, NEW, "third passphrase");
    typed(&mut app, REPEAT, "third passphrase");
    clicked(&mut app, "Use a passphrase instead").await;
    assert_eq!(
        answered(&mut app, &mut link).await,
        Status::Done("Done. From now on the profile opens with the new passphrase.".into())
    );
    assert!(!app.prefs().keyring);
    close(&mut app, &mut link).await;

    let (mut app, _) = App::new(dir.clone(), Prefs::load(&dir));
    assert!(shows(app.view(), "Unlock your profile"));
    let mut link = unlock(&mut app, "third passphrase", false).await;
    close(&mut app, &mut link).await;
}
