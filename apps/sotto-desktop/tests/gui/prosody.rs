// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! Two desktop apps, each on its own profile and real core, chat through a
//! real Prosody on loopback: certificate prompt and pin, contact request and
//! accept, a message each way with its delivery state, unread counts, and
//! a file sent through the server's upload service and saved on the other
//! side.

use sotto_core::ConnectionState;
use sotto_desktop::App;
use sotto_desktop::prefs::Prefs;
use sotto_desktop::screen::ready::{Pane, account_form, contacts, conversation};
use sotto_store::MessageState;
use sotto_tests::Prosody;

use crate::real_core::{Link, clicked, close, pump, typed, unlock};
use crate::support::{press, run, shows};

/// Adds the account through the dialog, pins the server's (self-signed)
/// certificate from the prompt, and waits until it is online.
async fn sign_in(app: &mut App, link: &mut Link, server: &Prosody, user: &str) {
    let jid = server.jid(user);
    pump(app, link, "the accounts snapshot", |a| {
        a.ready().is_some_and(|r| r.pane() == Pane::Accounts)
    })
    .await;
    typed(app, account_form::JID, &jid);
    typed(app, account_form::PASSWORD, "pw-of-the-test");
    clicked(app, "Advanced connection options").await;
    typed(app, account_form::HOST, "127.0.0.1");
    typed(app, account_form::PORT, &server.c2s_port().to_string());
    clicked(app, "Add account").await;
    pump(app, link, "the certificate prompt", |a| {
        a.ready().is_some_and(|r| r.accounts().prompt().is_some())
    })
    .await;
    let shown = sotto_desktop::widgets::fingerprint(&server.cert_sha256());
    assert!(
        shows(app.view(), &shown),
        "the prompt must show the server's fingerprint"
    );
    clicked(app, "Pin certificate").await;
    pump(app, link, "the account to come online", |a| {
        a.ready()
            .and_then(|r| r.accounts().get(&jid))
            .is_some_and(|acc| matches!(acc.connection, Some(ConnectionState::Online { .. })))
    })
    .await;
    assert!(shows(
        app.view(),
        &format!(
            "Online as {}",
            match &app
                .ready()
                .unwrap()
                .accounts()
                .get(&jid)
                .unwrap()
                .connection
            {
                Some(ConnectionState::Online { jid, .. }) => jid.clone(),
                _ => unreachable!(),
            }
        )
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_apps_chat_through_prosody() {
    let server = Prosody::start().unwrap();
    server.register("alice", "pw-of-the-test").unwrap();
    server.register("bob", "pw-of-the-test").unwrap();
    let (alice_jid, bob_jid) = (server.jid("alice"), server.jid("bob"));
    let tmp = tempfile::tempdir().unwrap();

    let (mut alice, _) = App::new(tmp.path().join("alice"), Prefs::default());
    let mut alice_link = unlock(&mut alice, "alice's passphrase", true).await;
    sign_in(&mut alice, &mut alice_link, &server, "alice").await;
    let (mut bob, _) = App::new(tmp.path().join("bob"), Prefs::default());
    let mut bob_link = unlock(&mut bob, "bob's passphrase", true).await;
    sign_in(&mut bob, &mut bob_link, &server, "bob").await;

    // Alice adds Bob; Bob accepts.
    clicked(&mut alice, "+ Add contact").await;
    typed(&mut alice, contacts::ADD_JID, &bob_jid);
    clicked(&mut alice, "Add").await;
    pump(&mut alice, &mut alice_link, "Bob in Alice's roster", |a| {
        a.ready()
            .is_some_and(|r| r.rosters().item(&alice_jid, &bob_jid).is_some())
    })
    .await;
    let request = format!("{alice_jid} wants to see when you are online.");
    pump(&mut bob, &mut bob_link, "Alice's request", |b| {
        b.ready()
            .is_some_and(|r| !r.contacts().requests().is_empty())
    })
    .await;
    assert!(shows(bob.view(), &request));
    clicked(&mut bob, "Accept").await;
    pump(&mut bob, &mut bob_link, "Alice in Bob's roster", |b| {
        b.ready()
            .is_some_and(|r| r.rosters().item(&bob_jid, &alice_jid).is_some())
    })
    .await;

    // Alice writes; Enter sends.
    clicked(&mut alice, &bob_jid).await;
    pump(&mut alice, &mut alice_link, "the conversation", |a| {
        a.ready()
            .and_then(|r| r.conversation())
            .is_some_and(|c| c.timeline().messages().is_empty())
            && shows(a.view(), "No messages yet. Say hello!")
    })
    .await;
    typed(&mut alice, conversation::COMPOSER, "Hello Bob");
    let enter = iced::keyboard::Key::Named(iced::keyboard::key::Named::Enter);
    for m in press(alice.view(), conversation::COMPOSER, enter.clone()) {
        let task = alice.update(m);
        let _ = run(task).await;
    }
    pump(&mut bob, &mut bob_link, "Alice's message", |b| {
        b.ready().is_some_and(|r| r.unread_total() == 1)
    })
    .await;
    assert_eq!(bob.title(), "(1) Sotto");
    pump(&mut alice, &mut alice_link, "the receipt", |a| {
        a.ready()
            .and_then(|r| r.conversation())
            .and_then(|c| c.timeline().messages().last().map(|m| m.state))
            == Some(MessageState::Delivered)
    })
    .await;
    assert!(shows(alice.view(), "Delivered"));

    // Bob opens the conversation, reads and answers.
    clicked(&mut bob, &alice_jid).await;
    pump(&mut bob, &mut bob_link, "the conversation", |b| {
        b.ready()
            .and_then(|r| r.conversation())
            .is_some_and(|c| !c.timeline().messages().is_empty())
    })
    .await;
    assert!(shows(bob.view(), "Hello Bob"));
    assert_eq!(bob.title(), "Sotto");
    typed(&mut bob, conversation::COMPOSER, "Hi Alice");
    for m in press(bob.view(), conversation::COMPOSER, enter) {
        let task = bob.update(m);
        let _ = run(task).await;
    }
    pump(&mut alice, &mut alice_link, "Bob's answer", |a| {
        a.ready()
            .and_then(|r| r.conversation())
            .is_some_and(|c| c.timeline().messages().len() == 2)
    })
    .await;
    assert!(shows(alice.view(), "Hi Alice"));

    // Alice drops a file on the window: both have OMEMO, so it goes
    // encrypted and Bob gets an aesgcm:// link.
    let file = tmp.path().join("notes.txt");
    std::fs::write(&file, "FileCanary: the minutes of the meeting").unwrap();
    let _ = alice.update(sotto_desktop::Message::Window(
        iced::window::Id::unique(),
        iced::window::Event::FileDropped(file),
    ));
    pump(&mut alice, &mut alice_link, "the upload to finish", |a| {
        a.ready().is_some_and(|r| {
            r.transfers().of(&alice_jid, &bob_jid).is_empty()
                && r.conversation()
                    .is_some_and(|c| c.timeline().messages().len() == 3)
        })
    })
    .await;
    pump(&mut bob, &mut bob_link, "the file's link", |b| {
        b.ready()
            .and_then(|r| r.conversation())
            .and_then(|c| c.timeline().messages().last().map(|m| m.body.clone()))
            .is_some_and(|body| body.starts_with("aesgcm://127.0.0.1:") && body.contains(".txt#"))
    })
    .await;
    assert!(shows(bob.view(), "Encrypted file"));

    // Bob saves it (the save dialog's answer is fed in).
    let id = bob
        .ready()
        .and_then(|r| r.conversation())
        .and_then(|c| c.timeline().messages().last().map(|m| m.id))
        .unwrap();
    let saved = tmp.path().join("saved notes.txt");
    let _ = bob.update(sotto_desktop::Message::Ready(
        sotto_desktop::screen::ready::Message::Conversation(conversation::Message::SaveTo(
            id,
            Some(saved.clone()),
        )),
    ));
    pump(&mut bob, &mut bob_link, "the file to be saved", |b| {
        b.ready().is_some_and(|r| {
            r.transfers()
                .of(&bob_jid, &alice_jid)
                .iter()
                .any(|t| matches!(t.state, sotto_core::TransferState::Saved { .. }))
        })
    })
    .await;
    assert_eq!(
        std::fs::read_to_string(&saved).unwrap(),
        "FileCanary: the minutes of the meeting"
    );

    close(&mut alice, &mut alice_link).await;
    close(&mut bob, &mut bob_link).await;
}
