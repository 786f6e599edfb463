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
