// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! Setting up OMEMO on an account, through the core and a real server: a
//! device publishes itself and its keys in both namespaces, two devices of
//! one account both keep their OMEMO 2 bundle (which share one node), and
//! on a server without PEP the user is told once while plaintext messaging
//! goes on and a message meant for OMEMO is never sent in plaintext.

#![allow(clippy::unwrap_used)]

use std::time::Duration;

use sotto_core::{Command, ConnectionState, Encryption, Event};
use sotto_store::{Encryption as Stored, MessageState};
use sotto_tests::profile::{Profile, raw_session};
use sotto_tests::{TestServer, XmppServer};
use sotto_xmpp::xep::omemo::Namespace;
use sotto_xmpp::{BareJid, PepError};

fn users(server: &TestServer) {
    server.register_all(&[("alice", "alice-pw"), ("bob", "bob-pw")]);
}

/// Logs in and returns the device id once its keys are published.
async fn ready(profile: &mut Profile, prosody: &TestServer, user: &str) -> u32 {
    profile.login(prosody, user, &format!("{user}-pw")).await;
    let account = prosody.jid(user);
    match profile
        .expect(
            "OMEMO keys published",
            |e| matches!(e, Event::OmemoReady { account: a, .. } if *a == account),
        )
        .await
    {
        Event::OmemoReady { device_id, .. } => device_id,
        _ => unreachable!(),
    }
}

sotto_tests::on_servers! { [Prosody, Ejabberd]
async fn each_device_publishes_both_namespaces_and_keeps_its_omemo2_bundle(prosody: TestServer) {
    users(&prosody);
    let alice_account = prosody.jid("alice");
    let mut phone = Profile::new("alice-phone");
    let mut laptop = Profile::new("alice-laptop");
    let phone_id = ready(&mut phone, &prosody, "alice").await;
    let laptop_id = ready(&mut laptop, &prosody, "alice").await;
    assert_ne!(phone_id, laptop_id);

    // Bob is no contact of alice's: what he reads is what anyone reads.
    let bob = raw_session(&prosody, "bob", "bob-pw").await;
    let alice: BareJid = alice_account.parse().unwrap();
    for namespace in Namespace::ALL {
        let list = bob.fetch_device_list(&alice, namespace).await.unwrap();
        for id in [phone_id, laptop_id] {
            assert!(list.contains(id), "{namespace:?} {list:?} lacks {id}");
            // In OMEMO 2 both bundles live in one node: the laptop's
            // publish must not have pushed the phone's out.
            let bundle = bob.fetch_bundle(&alice, id, namespace).await;
            assert!(bundle.is_ok(), "{namespace:?} bundle of {id}: {bundle:?}");
        }
    }
    // A fresh login publishes again: still both.
    let dir = phone.shutdown().await;
    let mut phone = Profile::reopen(dir);
    phone.online(&alice_account).await;
    phone
        .expect("OMEMO keys republished", |e| {
            matches!(e, Event::OmemoReady { .. })
        })
        .await;
    for id in [phone_id, laptop_id] {
        bob.fetch_bundle(&alice, id, Namespace::V2).await.unwrap();
    }
    for profile in [&mut phone, &mut laptop] {
        let unavailable = profile
            .take_seen()
            .into_iter()
            .filter(|e| {
                matches!(
                    e,
                    Event::OmemoUnavailable { .. } | Event::CommandFailed { .. }
                )
            })
            .collect::<Vec<_>>();
        assert!(unavailable.is_empty(), "{unavailable:?}");
    }
    phone.shutdown().await;
    laptop.shutdown().await;
}
}

sotto_tests::on_servers! { [Prosody, Ejabberd, MinimalProsody]
async fn the_session_tells_a_server_without_pep_apart(server: TestServer) {
    users(&server);
    let session = raw_session(&server, "alice", "alice-pw").await;
    let support = session.pep_support().await.unwrap();
    if !server.kind().is_minimal() {
        // Prosody announces publish-options on the account, ejabberd on
        // the domain: both count.
        assert!(support.pep && support.publish_options, "{support:?}");
        return;
    }
    let alice: BareJid = server.jid("alice").parse().unwrap();
    assert!(!support.pep, "{support:?}");
    // Asked anyway, the server's refusal reads as "no PEP".
    let fetched = session.fetch_device_list(&alice, Namespace::V2).await;
    assert!(matches!(fetched, Err(PepError::NoPep(_))), "{fetched:?}");
    let list = sotto_xmpp::xep::omemo::DeviceList::default();
    let published = session.publish_device_list(&list, Namespace::V2).await;
    let Err(error) = published else {
        panic!("published without PEP: {published:?}");
    };
    assert!(matches!(error, PepError::NoPep(_)), "{error:?}");
    assert!(
        error.to_string().contains("does not support PEP"),
        "{error}"
    );
}
}

sotto_tests::on_servers! { [MinimalProsody]
async fn without_pep_the_user_is_told_once_and_plaintext_still_goes_out(prosody: TestServer) {
    let mut prosody = prosody;
    users(&prosody);
    let alice_account = prosody.jid("alice");
    let bob_account = prosody.jid("bob");
    let (alice_jid, bob_jid) = (alice_account.as_str(), bob_account.as_str());
    let mut alice = Profile::new("alice");
    let mut bob = Profile::new("bob");
    for (profile, user) in [(&mut alice, "alice"), (&mut bob, "bob")] {
        profile
            .add(&prosody, user, &format!("{user}-pw"), true, false, None)
            .await;
        profile.online(&prosody.jid(user)).await;
    }
    let told = alice
        .expect(
            "OMEMO unavailable",
            |e| matches!(e, Event::OmemoUnavailable { account, .. } if *account == alice_jid),
        )
        .await;
    let Event::OmemoUnavailable { reason, .. } = told else {
        unreachable!()
    };
    assert!(reason.contains("does not support PEP"), "{reason}");
    assert!(reason.contains("OMEMO is unavailable"), "{reason}");

    // Bob has no OMEMO devices and the conversation never used OMEMO: the
    // core's own choice is plaintext, and it goes out.
    alice.send_message(alice_jid, bob_jid, "plain words still travel");
    let got = bob.expect_message("plain words still travel").await;
    assert_eq!(got.encryption, Stored::Plain);
    let sent = alice.expect_message("plain words still travel").await;
    assert_eq!(sent.encryption, Stored::Plain);

    // A new stream with the same problem is not told again.
    prosody.restart().unwrap();
    alice
        .expect("back online", |e| {
            matches!(
                e,
                Event::Connection {
                    state: ConnectionState::Online { resumed: false, .. },
                    ..
                }
            )
        })
        .await;
    bob.online(bob_jid).await;
    alice.send_message(alice_jid, bob_jid, "and after a new login");
    bob.expect_message("and after a new login").await;

    // Asked for OMEMO, the message fails with a reason; never plaintext.
    alice.send(Command::SendMessage {
        account: alice_jid.into(),
        to: bob_jid.into(),
        body: "for OMEMO only".into(),
        encryption: Some(Encryption::Omemo),
    });
    let failed = alice.expect_message("for OMEMO only").await;
    assert_eq!(failed.encryption, Stored::Omemo);
    alice
        .expect("the OMEMO message failed", |e| {
            matches!(e, Event::MessageStateChanged { id, state: MessageState::Failed, .. } if *id == failed.id)
        })
        .await;
    // The conversation now is an OMEMO one: "Automatic" stays OMEMO, and
    // the message is held (still queued) rather than sent in plaintext.
    alice.send(Command::SendMessage {
        account: alice_jid.into(),
        to: bob_jid.into(),
        body: "after choosing OMEMO".into(),
        encryption: None,
    });
    let held = alice.expect_message("after choosing OMEMO").await;
    assert_eq!(held.encryption, Stored::Omemo);
    alice
        .expect("the message is held", |e| {
            matches!(e, Event::MessageHeld { id, .. } if *id == held.id)
        })
        .await;
    tokio::time::sleep(Duration::from_millis(500)).await;

    let rest = alice.take_seen();
    let told_again: Vec<_> = rest
        .iter()
        .filter(|e| matches!(e, Event::OmemoUnavailable { .. }))
        .collect();
    assert!(told_again.is_empty(), "told again: {told_again:?}");
    // Only the OMEMO message's failure is a failure.
    let failures: Vec<_> = rest
        .iter()
        .filter_map(|e| match e {
            Event::CommandFailed { reason, .. } => Some(reason.as_str()),
            _ => None,
        })
        .collect();
    assert!(
        failures.iter().all(|r| r.contains("sending with OMEMO")),
        "{failures:?}"
    );
    let leaked = bob
        .take_seen()
        .into_iter()
        .any(|e| matches!(&e, Event::MessageAdded { message, .. } if message.encryption != Stored::Plain || message.body.contains("OMEMO")));
    assert!(!leaked, "an OMEMO message reached bob in some form");
    alice.shutdown().await;
    bob.shutdown().await;
}
}
