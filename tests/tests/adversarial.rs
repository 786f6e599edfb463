// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! A hostile peer against a Sotto core, through a real Prosody and ejabberd:
//! a raw client logged in as (or beside) the contact writes what a server or
//! an attacker can write. Each case asserts a clear event, nothing lost and
//! no protection lowered; the list of cases is in `docs/testing.md`.

#![allow(clippy::unwrap_used)]

use std::time::Duration;

use sotto_core::{Command, Encryption, Event};
use sotto_store::{Encryption as Stored, MessageState, MessageStore as _};
use sotto_tests::profile::{Profile, raw_session, server_with};
use sotto_tests::scan_for_plaintext;
use sotto_tests::{ServerKind, TestServer, XmppServer};
use sotto_xmpp::xep::omemo::{DeviceList, Namespace};

const ALICE: &str = "alice@localhost";
const BOB: &str = "bob@localhost";

async fn omemo_ready(profile: &mut Profile, server: &TestServer, user: &str) {
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

fn start_server(kind: ServerKind) -> TestServer {
    server_with(kind, &[("alice", "alice-pw"), ("bob", "bob-pw")])
}

sotto_tests::on_servers! { [Prosody, Ejabberd]
    /// Finding 1: an emptied device list (the contact's server, or anyone
    /// who can publish there) must not turn "Automatic" into plaintext.
    async fn an_emptied_device_list_holds_automatic_messages(kind: ServerKind) {
        let server = start_server(kind);
        let mut alice = Profile::new("alice");
        let mut bob = Profile::new("bob");
        omemo_ready(&mut alice, &server, "alice").await;
        omemo_ready(&mut bob, &server, "bob").await;
        send(&alice, "first, encrypted", None);
        assert_eq!(bob.expect_message("first, encrypted").await.encryption, Stored::Omemo);
        // Bob's own client would put its device back: it goes away first.
        let _bob_dir = bob.shutdown().await;

        // The "attacker" empties Bob's lists in both namespaces.
        let forger = raw_session(&server, "bob", "bob-pw").await;
        for ns in [Namespace::Legacy, Namespace::V2] {
            forger
                .publish_device_list(&DeviceList { devices: vec![] }, ns)
                .await
                .unwrap();
        }
        // Alice looks at Bob's devices again: the change is told, and what
        // "Automatic" now means.
        alice.send(Command::GetOmemoFingerprints {
            account: ALICE.into(),
            jid: Some(BOB.into()),
        });
        alice
            .expect("the device list change", |e| {
                matches!(e, Event::OmemoDeviceList { jid, active, removed, .. }
                    if jid == BOB && active.is_empty() && !removed.is_empty())
            })
            .await;
        alice
            .expect("automatic still means OMEMO, blocked", |e| {
                matches!(e, Event::ConversationEncryption { peer, automatic: Encryption::Omemo, blocked: Some(_), .. }
                    if peer == BOB)
            })
            .await;

        let canary = "HeldCanary-5c1e automatic after the list was emptied";
        send(&alice, canary, None);
        let held = match alice
            .expect("the message is held", |e| matches!(e, Event::MessageHeld { peer, .. } if peer == BOB))
            .await
        {
            Event::MessageHeld { id, reason, .. } => {
                assert!(reason.contains("device list is now empty"), "{reason}");
                id
            }
            _ => unreachable!(),
        };
        let record = alice.store.message(ALICE, held).unwrap().unwrap();
        assert_eq!(record.state, MessageState::Queued);
        assert_eq!(record.encryption, Stored::Omemo);
        // Nothing left in the clear: the server never saw the text.
        tokio::time::sleep(Duration::from_millis(500)).await;
        let hits = scan_for_plaintext(&server.data_dir(), &[b"HeldCanary"]);
        assert!(hits.is_empty(), "sent in plaintext: {hits:?}");

        // Only the user's explicit choice sends it unencrypted.
        alice.send(Command::RetryMessage {
            account: ALICE.into(),
            id: held,
            encryption: Some(Encryption::Plain),
        });
        alice
            .expect("sent unencrypted on request", |e| {
                matches!(e, Event::MessageStateChanged { id, state: MessageState::Acked | MessageState::Sent, .. } if *id == held)
            })
            .await;
        let record = alice.store.message(ALICE, held).unwrap().unwrap();
        assert_eq!(record.encryption, Stored::Plain);
        forger.close().await;
    }
}
