// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! A server that never answers must not stall an account (hardening
//! finding 3, issue 14's account core): an external component that swallows
//! every request stands for a contact's silent server, on a real Prosody and
//! ejabberd.

#![allow(clippy::unwrap_used)]

use std::time::Duration;

use sotto_core::{Command, Encryption, Event};
use sotto_store::Encryption as Stored;
use sotto_tests::profile::{Profile, server_with};
use sotto_tests::{SILENT_COMPONENT, ServerKind, SilentComponent, XmppServer};

const ALICE: &str = "alice@localhost";
const BOB: &str = "bob@localhost";

async fn omemo_ready(profile: &mut Profile, server: &impl XmppServer, user: &str) {
    profile.login(server, user, &format!("{user}-pw")).await;
    let account = server.jid(user);
    profile
        .expect(
            "OMEMO keys published",
            |e| matches!(e, Event::OmemoReady { account: a, .. } if *a == account),
        )
        .await;
}

fn send(profile: &Profile, body: &str, encryption: Option<Encryption>) {
    profile.send(Command::SendMessage {
        account: ALICE.into(),
        to: BOB.into(),
        body: body.into(),
        encryption,
    });
}

sotto_tests::on_servers! { [Prosody, Ejabberd]
    /// Finding 3: a server that never answers (here an external component
    /// that swallows every request, standing for a contact's silent server)
    /// must not stall the account. Before the account core answered
    /// requests by continuation, each of these waited 30 s inline and held
    /// up every other conversation; now only the work that needs the
    /// answer waits.
    async fn a_silent_server_stalls_no_other_conversation(kind: ServerKind) {
        let server = server_with(kind, &[("alice", "alice-pw"), ("bob", "bob-pw")]);
        let component = SilentComponent::connect(&server).await.unwrap();
        let mut alice = Profile::new("alice");
        let mut bob = Profile::new("bob");
        omemo_ready(&mut alice, &server, "alice").await;
        omemo_ready(&mut bob, &server, "bob").await;
        // A first exchange, so both sides have sessions and keys.
        send(&alice, "hello before the silence", None);
        bob.expect_message("hello before the silence").await;

        // Alice asks about, and writes to, someone behind the silent server:
        // their device lists never come.
        let silent = format!("carol@{SILENT_COMPONENT}");
        alice.send(Command::GetOmemoFingerprints {
            account: ALICE.into(),
            jid: Some(silent.clone()),
        });
        alice.send(Command::SendMessage {
            account: ALICE.into(),
            to: silent.clone(),
            body: "to carol, whose server is silent".into(),
            encryption: None,
        });
        alice.send(Command::SendMessage {
            account: ALICE.into(),
            to: silent.clone(),
            body: "to carol with OMEMO chosen".into(),
            encryption: Some(Encryption::Omemo),
        });
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while component.requests() < 2 {
            assert!(std::time::Instant::now() < deadline, "the requests never reached the component");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }

        // Meanwhile Alice and Bob talk, both ways, encrypted, at once (the
        // requests above are answered by a timeout only after 30 s).
        let within = Duration::from_secs(8);
        send(&alice, "to bob while carol's server is silent", None);
        let got = bob
            .expect_within("Alice's message", within, |e| {
                matches!(e, Event::MessageAdded { message, .. } if message.body == "to bob while carol's server is silent")
            })
            .await;
        let Event::MessageAdded { message, .. } = got else { unreachable!() };
        assert_eq!(message.encryption, Stored::Omemo);
        bob.send(Command::SendMessage {
            account: BOB.into(),
            to: ALICE.into(),
            body: "bob answers at once".into(),
            encryption: None,
        });
        alice
            .expect_within("Bob's answer", within, |e| {
                matches!(e, Event::MessageAdded { message, .. } if message.body == "bob answers at once")
            })
            .await;
        // A command that asks the server something else is answered too.
        alice.send(Command::GetOmemoFingerprints {
            account: ALICE.into(),
            jid: Some(BOB.into()),
        });
        alice
            .expect_within("Bob's fingerprints", within, |e| {
                matches!(e, Event::OmemoFingerprints { jid, devices, .. } if jid == BOB && !devices.is_empty())
            })
            .await;
        // Nothing for Carol was decided: the Automatic message waits for her
        // device lists before it is even stored, and the OMEMO one waits
        // behind it (a contact's messages keep their order).
        let events = alice.take_seen();
        let to_carol: Vec<_> = events
            .iter()
            .filter(|e| matches!(e, Event::MessageAdded { message, .. } if message.peer == silent))
            .collect();
        assert!(to_carol.is_empty(), "{to_carol:#?}");
    }
}
