// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! Two Sotto profiles chat in OTR through a real Prosody: a message sent
//! with OTR waits for the session and never goes out in plaintext, replies
//! and bursts, SMP right and wrong with a question, session end, keys that
//! survive a restart, and no plaintext in the server's files or profiles.

#![allow(clippy::unwrap_used)]

use sotto_core::{Command, Encryption, Event, OtrSessionState, OtrTrust, Secret, SmpProgress};
use sotto_store::{Encryption as Stored, MessageState, MessageStore, OtrStore};
use sotto_tests::profile::{Profile, prosody_with};
use sotto_tests::scan_for_plaintext;

const ALICE: &str = "alice@localhost";
const BOB: &str = "bob@localhost";

fn encrypted_with(contact: &'static str) -> impl Fn(&Event) -> bool {
    move |e| {
        matches!(e, Event::OtrState { jid, state: OtrSessionState::Encrypted { .. }, .. }
            if jid.starts_with(&format!("{contact}/")))
    }
}

fn smp(step: fn(&SmpProgress) -> bool) -> impl Fn(&Event) -> bool {
    move |e| matches!(e, Event::OtrSmp { progress, .. } if step(progress))
}

async fn own_fingerprint(profile: &mut Profile, account: &str) -> String {
    profile.send(Command::GetOtrFingerprints {
        account: account.into(),
    });
    match profile
        .expect("own fingerprint", |e| {
            matches!(e, Event::OtrFingerprints { .. })
        })
        .await
    {
        Event::OtrFingerprints { own, .. } => own,
        _ => unreachable!(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_profiles_chat_in_otr_verify_by_smp_and_leave_no_plaintext() {
    let prosody = prosody_with(&[("alice", "alice-pw"), ("bob", "bob-pw")]);
    let mut alice = Profile::new("alice");
    let mut bob = Profile::new("bob");
    alice.login(&prosody, "alice", "alice-pw").await;
    bob.login(&prosody, "bob", "bob-pw").await;
    let bob_fingerprint = own_fingerprint(&mut bob, BOB).await;
    let alice_fingerprint = own_fingerprint(&mut alice, ALICE).await;
    assert_eq!(alice_fingerprint.len(), 44, "{alice_fingerprint}");
    assert_ne!(alice_fingerprint, bob_fingerprint);

    // Sent with OTR before any session exists: it waits, the session is
    // made, and only then it goes, encrypted.
    alice.send(Command::SendMessage {
        account: ALICE.into(),
        to: BOB.into(),
        body: "OtrCanary first words".into(),
        encryption: Some(Encryption::Otr),
    });
    let queued = alice.expect_message("OtrCanary first words").await;
    assert_eq!(queued.state, MessageState::Queued);
    assert_eq!(queued.encryption, Stored::Otr);
    let state = alice.expect("OTR with Bob", encrypted_with(BOB)).await;
    let Event::OtrState {
        state:
            OtrSessionState::Encrypted {
                fingerprint,
                trust,
                version,
                key_changed,
            },
        ..
    } = state
    else {
        unreachable!()
    };
    assert_eq!(fingerprint, bob_fingerprint, "Alice sees Bob's real key");
    assert_eq!(trust, OtrTrust::Unverified);
    assert_eq!(version, 3, "v3 is preferred");
    assert!(!key_changed);
    bob.expect("OTR with Alice", encrypted_with(ALICE)).await;
    let got = bob.expect_message("OtrCanary first words").await;
    assert_eq!(got.encryption, Stored::Otr);

    // Bob answers without choosing: the session is encrypted, so it is OTR.
    bob.send_message(BOB, ALICE, "OtrCanary reply");
    let reply = alice.expect_message("OtrCanary reply").await;
    assert_eq!(reply.encryption, Stored::Otr);

    // A burst from one side before the other answers, then the other way.
    for i in 0..6 {
        alice.send_message(ALICE, BOB, &format!("OtrCanary burst a{i}"));
    }
    for i in 0..6 {
        bob.expect_message(&format!("OtrCanary burst a{i}")).await;
    }
    for i in 0..4 {
        bob.send_message(BOB, ALICE, &format!("OtrCanary burst b{i}"));
    }
    for i in 0..4 {
        alice.expect_message(&format!("OtrCanary burst b{i}")).await;
    }
    // A long message goes in fragments and arrives whole.
    let long = format!("OtrCanary long {}", "0123456789abcdef".repeat(4096));
    alice.send_message(ALICE, BOB, &long);
    assert_eq!(bob.expect_message(&long).await.encryption, Stored::Otr);

    // SMP with a question: right secret.
    alice.send(Command::OtrSmp {
        account: ALICE.into(),
        jid: BOB.into(),
        secret: Secret::new("our first cat"),
        question: Some("Name of our first cat?".into()),
    });
    let asked = bob
        .expect(
            "SMP request",
            smp(|p| matches!(p, SmpProgress::Requested { .. })),
        )
        .await;
    let Event::OtrSmp {
        jid: alice_client,
        progress: SmpProgress::Requested { question },
        ..
    } = asked
    else {
        unreachable!()
    };
    assert_eq!(question.as_deref(), Some("Name of our first cat?"));
    bob.send(Command::OtrSmpRespond {
        account: BOB.into(),
        jid: alice_client.clone(),
        secret: Secret::new("our first cat"),
    });
    alice
        .expect("SMP success", smp(|p| *p == SmpProgress::Succeeded))
        .await;
    bob.expect("SMP success", smp(|p| *p == SmpProgress::Succeeded))
        .await;
    let stored = alice.store.otr_fingerprints(ALICE, BOB).unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].trust, sotto_store::OtrTrust::Smp);

    // Wrong secret: a clear failure, trust unchanged for Bob's view of Alice.
    bob.send(Command::OtrSmp {
        account: BOB.into(),
        jid: alice_client.clone(),
        secret: Secret::new("a guess"),
        question: None,
    });
    alice
        .expect(
            "SMP request",
            smp(|p| matches!(p, SmpProgress::Requested { question: None })),
        )
        .await;
    alice.send(Command::OtrSmpRespond {
        account: ALICE.into(),
        jid: BOB.into(),
        secret: Secret::new("the real answer"),
    });
    bob.expect("SMP failure", smp(|p| *p == SmpProgress::Failed))
        .await;
    alice
        .expect("SMP failure", smp(|p| *p == SmpProgress::Failed))
        .await;

    // Alice ends the session: Bob's side is finished, and what Bob writes
    // now waits instead of going out in plaintext.
    alice.send(Command::OtrEnd {
        account: ALICE.into(),
        jid: BOB.into(),
    });
    bob.expect("finished", |e| {
        matches!(
            e,
            Event::OtrState {
                state: OtrSessionState::Finished,
                ..
            }
        )
    })
    .await;
    bob.send_message(BOB, ALICE, "OtrCanary held back");
    let held = bob.expect_message("OtrCanary held back").await;
    assert_eq!(held.encryption, Stored::Otr);
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    assert_eq!(
        bob.store.message(BOB, held.id).unwrap().unwrap().state,
        MessageState::Queued,
        "never sent in plaintext"
    );
    bob.send(Command::SendMessage {
        account: BOB.into(),
        to: ALICE.into(),
        body: "plain on purpose".into(),
        encryption: Some(Encryption::Plain),
    });
    bob.expect(
        "refusal",
        |e| matches!(e, Event::CommandFailed { reason, .. } if reason.contains("OTR")),
    )
    .await;

    // Nothing readable on the server or in the profiles.
    let canaries: &[&[u8]] = &[b"OtrCanary", b"our first cat", b"Name of our first cat"];
    let hits = scan_for_plaintext(&prosody.data_dir(), canaries);
    assert!(hits.is_empty(), "the server stored plaintext: {hits:?}");
    for dir in [alice.profile_dir(), bob.profile_dir()] {
        let hits = scan_for_plaintext(&dir, canaries);
        assert!(hits.is_empty(), "a profile leaks: {hits:?}");
    }

    // The key survives a restart: same fingerprint.
    let alice_dir = alice.shutdown().await;
    let mut alice = Profile::reopen(alice_dir);
    assert_eq!(own_fingerprint(&mut alice, ALICE).await, alice_fingerprint);
    alice.shutdown().await;
    bob.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_otr_message_for_an_offline_contact_waits_across_a_restart() {
    let prosody = prosody_with(&[("alice", "alice-pw"), ("bob", "bob-pw")]);
    let mut alice = Profile::new("alice");
    alice.login(&prosody, "alice", "alice-pw").await;
    // Bob is offline: the query reaches nobody, the message waits.
    alice.send(Command::SendMessage {
        account: ALICE.into(),
        to: BOB.into(),
        body: "OtrCanary patient".into(),
        encryption: Some(Encryption::Otr),
    });
    let queued = alice.expect_message("OtrCanary patient").await;
    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    assert_eq!(
        alice
            .store
            .message(ALICE, queued.id)
            .unwrap()
            .unwrap()
            .state,
        MessageState::Queued
    );
    let alice_dir = alice.shutdown().await;

    let mut bob = Profile::new("bob");
    bob.login(&prosody, "bob", "bob-pw").await;
    // After a restart the stored key is used and the contact asked again.
    let mut alice = Profile::reopen(alice_dir);
    alice.online(ALICE).await;
    let got = bob.expect_message("OtrCanary patient").await;
    assert_eq!(got.encryption, Stored::Otr);
    alice.shutdown().await;
    bob.shutdown().await;
}
