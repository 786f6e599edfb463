// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! The core without a server: command validation, offline queueing, store
//! queries and shutdown, driven only through the Command/Event channel.

#![allow(clippy::unwrap_used)]

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use sotto_core::{Command, ConnectionState, Event, Request, Secret, ServerOptions};
use sotto_store::{MemoryStore, MessageState, MessageStore};

async fn next_matching(
    events: &mut tokio::sync::mpsc::UnboundedReceiver<Event>,
    mut pred: impl FnMut(&Event) -> bool,
) -> Event {
    tokio::time::timeout(Duration::from_secs(20), async {
        loop {
            let event = events.recv().await.expect("core alive");
            if pred(&event) {
                return event;
            }
        }
    })
    .await
    .expect("expected event in time")
}

fn closed_port() -> u16 {
    // Bind and drop: nothing listens there afterwards.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

#[tokio::test]
async fn offline_account_queues_messages_and_answers_queries() {
    let store = MemoryStore::default();
    let mut core = sotto_core::start(Arc::new(store.clone()));
    let snapshot = next_matching(&mut core.events, |e| {
        matches!(e, Event::AccountsSnapshot { .. })
    })
    .await;
    assert_eq!(snapshot, Event::AccountsSnapshot { accounts: vec![] });

    core.send(Command::AddAccount {
        jid: "not a jid@@".into(),
        password: Secret::new("pw"),
        server: ServerOptions::default(),
        register: false,
    })
    .unwrap();
    let failed = next_matching(&mut core.events, |e| {
        matches!(e, Event::CommandFailed { .. })
    })
    .await;
    assert!(
        format!("{failed:?}").contains("not a valid JID"),
        "{failed:?}"
    );

    core.send(Command::AddAccount {
        jid: "alice@sotto.test".into(),
        password: Secret::new("correct horse"),
        server: ServerOptions {
            host: Some("127.0.0.1".into()),
            port: Some(closed_port()),
            ..ServerOptions::default()
        },
        register: false,
    })
    .unwrap();
    next_matching(&mut core.events, |e| {
        matches!(e, Event::AccountChanged { .. })
    })
    .await;
    let offline = next_matching(&mut core.events, |e| {
        matches!(
            e,
            Event::Connection {
                state: ConnectionState::Offline { .. },
                ..
            }
        )
    })
    .await;
    match offline {
        Event::Connection {
            state:
                ConnectionState::Offline {
                    retry_in_ms,
                    reason,
                },
            ..
        } => {
            assert!(
                retry_in_ms.is_some(),
                "network trouble is retried: {reason}"
            );
        }
        other => panic!("{other:?}"),
    }

    // The answer carries the command's request id, so a front end never
    // recognises it by the text.
    core.send(Request::new(
        "r-send",
        Command::SendMessage {
            account: "alice@sotto.test".into(),
            to: "bob@sotto.test".into(),
            body: "queued while offline".into(),
            encryption: None,
        },
    ))
    .unwrap();
    let added = next_matching(&mut core.events, |e| {
        matches!(e, Event::MessageAdded { .. })
    })
    .await;
    assert_eq!(added.request(), Some("r-send"));
    let Event::MessageAdded { message, .. } = added else {
        unreachable!()
    };
    assert_eq!(message.state, MessageState::Queued);
    assert_eq!(store.outbox("alice@sotto.test").unwrap().len(), 1);

    core.send(Request::new(
        "r-bad",
        Command::SendMessage {
            account: "alice@sotto.test".into(),
            to: "bad jid@@".into(),
            body: "x".into(),
            encryption: None,
        },
    ))
    .unwrap();
    let failed = next_matching(&mut core.events, |e| {
        matches!(e, Event::CommandFailed { .. })
    })
    .await;
    assert_eq!(failed.request(), Some("r-bad"));
    // A command for an account the profile does not have is failed by the
    // hub, with the id too.
    core.send(Request::new(
        "r-nobody",
        Command::SendMessage {
            account: "nobody@sotto.test".into(),
            to: "bob@sotto.test".into(),
            body: "x".into(),
            encryption: None,
        },
    ))
    .unwrap();
    let failed = next_matching(&mut core.events, |e| {
        matches!(e, Event::CommandFailed { .. })
    })
    .await;
    assert_eq!(failed.request(), Some("r-nobody"));
    // OTR commands check the JID before anything else.
    core.send(Command::OtrStart {
        account: "alice@sotto.test".into(),
        jid: "bad jid@@".into(),
    })
    .unwrap();
    let failed = next_matching(&mut core.events, |e| {
        matches!(e, Event::CommandFailed { .. })
    })
    .await;
    assert!(
        format!("{failed:?}").contains("not a contact's JID"),
        "{failed:?}"
    );

    core.send(Command::OpenConversation {
        account: "alice@sotto.test".into(),
        peer: "bob@sotto.test".into(),
        limit: 50,
    })
    .unwrap();
    let snapshot = next_matching(&mut core.events, |e| {
        matches!(e, Event::ConversationSnapshot { .. })
    })
    .await;
    let Event::ConversationSnapshot {
        messages, has_more, ..
    } = snapshot
    else {
        unreachable!()
    };
    assert_eq!(messages.len(), 1);
    assert!(!has_more);

    core.send(Command::Search {
        text: "offline".into(),
        limit: 10,
    })
    .unwrap();
    let results = next_matching(&mut core.events, |e| {
        matches!(e, Event::SearchResults { .. })
    })
    .await;
    let Event::SearchResults { results, .. } = results else {
        unreachable!()
    };
    assert_eq!(results.len(), 1);

    core.send(Command::AddContact {
        account: "alice@sotto.test".into(),
        jid: "carol@sotto.test".into(),
        name: None,
        groups: vec![],
    })
    .unwrap();
    let failed = next_matching(&mut core.events, |e| {
        matches!(e, Event::CommandFailed { .. })
    })
    .await;
    assert!(format!("{failed:?}").contains("offline"), "{failed:?}");

    core.send(Command::Shutdown).unwrap();
    next_matching(&mut core.events, |e| matches!(e, Event::Stopped)).await;
    core.join().await;
}

#[tokio::test]
async fn bad_pin_and_unknown_account_are_refused_clearly() {
    let mut core = sotto_core::start(Arc::new(MemoryStore::default()));
    core.send(Command::AddAccount {
        jid: "alice@sotto.test".into(),
        password: Secret::new("pw"),
        server: ServerOptions {
            pinned_cert_sha256: Some("abcd".into()),
            ..ServerOptions::default()
        },
        register: false,
    })
    .unwrap();
    let failed = next_matching(&mut core.events, |e| {
        matches!(e, Event::CommandFailed { .. })
    })
    .await;
    assert!(format!("{failed:?}").contains("SHA-256"), "{failed:?}");
    core.send(Command::SendMessage {
        account: "nobody@sotto.test".into(),
        to: "bob@sotto.test".into(),
        body: "x".into(),
        encryption: None,
    })
    .unwrap();
    let failed = next_matching(&mut core.events, |e| {
        matches!(e, Event::CommandFailed { .. })
    })
    .await;
    assert!(
        format!("{failed:?}").contains("nobody@sotto.test"),
        "{failed:?}"
    );
    core.send(Command::Shutdown).unwrap();
    core.join().await;
}

/// The profile is re-encrypted through the core while it runs: a wrong
/// current passphrase changes nothing, the right one switches the key, and
/// the store the core holds keeps working under the new key.
#[tokio::test]
async fn the_profile_passphrase_is_changed_through_the_core() {
    use sotto_core::ProfileProtection;
    use sotto_store::{Password, ProfileKey, SettingsStore, SqlStore, StoreError};

    fn pass(s: &str) -> ProfileProtection {
        ProfileProtection::Passphrase {
            passphrase: Secret::new(s),
        }
    }
    fn key(s: &str) -> ProfileKey {
        ProfileKey::Passphrase(Password::new(s.to_owned()))
    }

    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("profile");
    let store = SqlStore::create(&dir, &key("old horse")).unwrap();
    let mut core = sotto_core::start(Arc::new(store.clone()));

    async fn change(
        core: &mut sotto_core::CoreHandle,
        current: ProfileProtection,
        new: ProfileProtection,
    ) -> Event {
        core.send(Command::ChangeProfileProtection { current, new })
            .unwrap();
        next_matching(&mut core.events, |e| {
            matches!(
                e,
                Event::ProfileProtectionChanged { .. } | Event::ProfileProtectionUnchanged { .. }
            )
        })
        .await
    }

    assert_eq!(
        change(&mut core, pass("guess"), pass("new battery")).await,
        Event::ProfileProtectionUnchanged {
            reason: "The current passphrase is wrong. Nothing was changed.".into()
        }
    );
    let answer = change(&mut core, pass("old horse"), pass("")).await;
    assert!(
        format!("{answer:?}").contains("the passphrase is empty"),
        "{answer:?}"
    );
    assert_eq!(
        change(&mut core, pass("old horse"), pass("new battery")).await,
        Event::ProfileProtectionChanged {
            keyring: false,
            warning: None
        }
    );
    // The core goes on using the store: a setting it writes lands under the
    // new key.
    core.send(Command::SetTorEverywhere { enabled: true })
        .unwrap();
    next_matching(&mut core.events, |e| {
        matches!(e, Event::TorEverywhere { .. })
    })
    .await;
    core.send(Command::Shutdown).unwrap();
    core.join().await;
    drop(store);

    assert!(matches!(
        SqlStore::open(&dir, &key("old horse")),
        Err(StoreError::WrongPassphrase)
    ));
    let reopened = SqlStore::open(&dir, &key("new battery")).unwrap();
    assert_eq!(
        reopened
            .setting(sotto_core::TOR_EVERYWHERE)
            .unwrap()
            .as_deref(),
        Some("true")
    );
}

/// An unreadable "Tor for everything" setting fails closed: every account
/// stays offline with the reason, and nothing connects directly.
#[tokio::test]
async fn an_unreadable_tor_everywhere_setting_keeps_accounts_offline() {
    use sotto_store::{AccountRecord, AccountSettings, AccountStore as _, Password, SettingsStore};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let store = MemoryStore::default();
    store
        .upsert_account(&AccountRecord {
            settings: AccountSettings {
                jid: "alice@localhost".into(),
                resource: "sotto".into(),
                host: Some("127.0.0.1".into()),
                port: Some(port),
                direct_tls: false,
                pinned_cert_sha256: None,
                enabled: true,
                tor: false,
                proxy: None,
            },
            password: Password::new("pw".into()),
        })
        .unwrap();
    // Not "true" nor "false": damaged, or written by something else.
    store
        .set_setting(sotto_core::TOR_EVERYWHERE, "tru")
        .unwrap();
    let mut core = sotto_core::start(Arc::new(store.clone()));
    let offline = next_matching(&mut core.events, |e| {
        matches!(
            e,
            Event::Connection {
                state: ConnectionState::Offline { .. },
                ..
            }
        )
    })
    .await;
    let Event::Connection {
        state: ConnectionState::Offline {
            reason,
            retry_in_ms,
        },
        ..
    } = offline
    else {
        unreachable!()
    };
    assert!(reason.contains("Tor for everything"), "{reason}");
    assert_eq!(retry_in_ms, None);
    // Nothing came to the server's port directly.
    let accepted = tokio::time::timeout(Duration::from_millis(1500), listener.accept()).await;
    assert!(accepted.is_err(), "connected directly: {accepted:?}");
    // Setting it again is the way out.
    core.send(Command::SetTorEverywhere { enabled: false })
        .unwrap();
    next_matching(&mut core.events, |e| {
        matches!(e, Event::TorEverywhere { enabled: false })
    })
    .await;
    core.send(Command::Shutdown).unwrap();
    core.join().await;
}
