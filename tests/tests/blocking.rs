// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! Blocking (XEP-0191) over a real Prosody and ejabberd: the list at login, a block made
//! on one device shown on the account's other device by the server's push,
//! nothing from the blocked contact stored while blocked, what we write to
//! them refused with a clear failure, and a forged push from a stranger
//! refused without touching the list.

#![allow(clippy::unwrap_used)]

use sotto_core::api::Encryption;
use sotto_core::{Command, Event};
use sotto_store::{MessageState, MessageStore};
use sotto_tests::ServerKind;
use sotto_tests::profile::{Profile, raw_session, server_with};
use sotto_xmpp::{IqError, IqPayloadKind, Jid};
use xmpp_parsers::minidom::Element;

const ALICE: &str = "alice@localhost";
const BOB: &str = "bob@localhost";

async fn blocklist(profile: &mut Profile, expected: &[&str]) {
    let expected: Vec<String> = expected.iter().map(|s| (*s).to_owned()).collect();
    profile
        .expect(&format!("block list {expected:?}"), |e| {
            matches!(e, Event::Blocklist { account, blocked }
                if account == ALICE && *blocked == expected)
        })
        .await;
}

fn set_blocked(profile: &Profile, blocked: bool) {
    profile.send(Command::SetBlocked {
        account: ALICE.into(),
        jid: BOB.into(),
        blocked,
    });
}

fn send_plain(profile: &Profile, from: &str, to: &str, body: &str) {
    profile.send(Command::SendMessage {
        account: from.into(),
        to: to.into(),
        body: body.into(),
        encryption: Some(Encryption::Plain),
    });
}

sotto_tests::on_servers! { [Prosody, Ejabberd]
    async fn a_blocked_contact_cannot_write_and_every_device_knows(kind: ServerKind) {
        let server = server_with(kind, &[("alice", "alice-pw"), ("bob", "bob-pw")]);
        let mut phone = Profile::new("alice-phone");
        phone.login(&server, "alice", "alice-pw").await;
        blocklist(&mut phone, &[]).await;
        let mut laptop = Profile::new("alice-laptop");
        laptop.login(&server, "alice", "alice-pw").await;
        blocklist(&mut laptop, &[]).await;
        let mut bob = Profile::new("bob");
        bob.login(&server, "bob", "bob-pw").await;

        // Blocked on the phone: both devices learn it from the server.
        set_blocked(&phone, true);
        blocklist(&mut phone, &[BOB]).await;
        blocklist(&mut laptop, &[BOB]).await;

        // Bob writes: his server bounces it, and alice stores nothing.
        send_plain(&bob, BOB, ALICE, "BlockedCanary while blocked");
        let sent = bob.expect_message("BlockedCanary while blocked").await;
        bob.expect("the bounce", |e| {
            matches!(e, Event::MessageStateChanged { id, state: MessageState::Failed, .. } if *id == sent.id)
        })
        .await;

        // Alice writes to bob: refused with a failure she can see.
        send_plain(&phone, ALICE, BOB, "BlockedCanary to a blocked contact");
        let mine = phone
            .expect_message("BlockedCanary to a blocked contact")
            .await;
        phone
            .expect("the refusal", |e| {
                matches!(e, Event::MessageStateChanged { id, state: MessageState::Failed, .. } if *id == mine.id)
            })
            .await;

        // Unblocked from the laptop: both devices see it, and bob gets through.
        set_blocked(&laptop, false);
        blocklist(&mut laptop, &[]).await;
        blocklist(&mut phone, &[]).await;
        send_plain(&bob, BOB, ALICE, "after unblocking");
        phone.expect_message("after unblocking").await;
        laptop.expect_message("after unblocking").await;

        for profile in [&phone, &laptop] {
            let history = profile.store.history(ALICE, BOB, None, 100).unwrap();
            assert!(
                history
                    .iter()
                    .all(|m| m.body != "BlockedCanary while blocked"),
                "a message from a blocked contact was stored: {history:?}"
            );
        }
        assert!(
            !phone
                .seen
                .iter()
                .chain(laptop.seen.iter())
                .any(|e| matches!(e,
                Event::MessageAdded { message, .. } if message.body == "BlockedCanary while blocked")),
            "a message from a blocked contact was shown"
        );
        phone.shutdown().await;
        laptop.shutdown().await;
        bob.shutdown().await;
    }

    async fn a_forged_block_push_is_refused_and_changes_nothing(kind: ServerKind) {
        let server = server_with(kind, &[("alice", "alice-pw"), ("mallory", "mallory-pw")]);
        let mut alice = Profile::new("alice");
        let full: Jid = alice
            .login(&server, "alice", "alice-pw")
            .await
            .parse()
            .unwrap();
        blocklist(&mut alice, &[]).await;
        let mallory = raw_session(&server, "mallory", "mallory-pw").await;

        let forged: Element = "<block xmlns='urn:xmpp:blocking'><item jid='bob@localhost'/></block>"
            .parse()
            .unwrap();
        let answer = mallory
            .request(
                Some(full),
                IqPayloadKind::Set(forged),
                "forging a block push",
            )
            .await;
        assert!(
            matches!(&answer, Err(IqError::Refused { condition, .. }) if condition.contains("service-unavailable")),
            "{answer:?}"
        );
        // The list is unchanged: a real change after it is the next list seen.
        alice.send(Command::SetBlocked {
            account: ALICE.into(),
            jid: "carol@localhost".into(),
            blocked: true,
        });
        let event = alice
            .expect("the next block list", |e| {
                matches!(e, Event::Blocklist { .. })
            })
            .await;
        assert!(
            matches!(&event, Event::Blocklist { blocked, .. } if *blocked == ["carol@localhost"]),
            "{event:?}"
        );
        alice.shutdown().await;
    }
}
