// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! Chatting through a real server (Prosody, ejabberd; the plain cases also the
//! minimal Prosody): subscriptions, messages with receipts,
//! carbons, archive catch-up, offline delivery, forgery rejection, and no
//! plaintext left in the profile directories.

#![allow(clippy::unwrap_used)]

use sotto_core::{Command, Encryption, Event};
use sotto_store::{Direction, MessageState, MessageStore, RosterStore, Subscription};
use sotto_tests::ServerKind;
use sotto_tests::profile::{PASSPHRASE, Profile, raw_session, server_with};
use sotto_tests::scan_for_plaintext;
use xmpp_parsers::minidom::Element;

const ALICE: &str = "alice@localhost";
const BOB: &str = "bob@localhost";

fn delivered(account: &str, id: i64) -> impl Fn(&Event) -> bool {
    let account = account.to_owned();
    move |e| matches!(e, Event::MessageStateChanged { account: a, id: i, state: MessageState::Delivered, .. } if *a == account && *i == id)
}

sotto_tests::on_servers! { [Prosody, Ejabberd, MinimalProsody]
    async fn subscription_both_ways_and_messages_with_receipts(kind: ServerKind) {
        let server = server_with(kind, &[("alice", "alice-pw"), ("bob", "bob-pw")]);
        let mut alice = Profile::new("alice");
        let mut bob = Profile::new("bob");
        alice.login(&server, "alice", "alice-pw").await;
        bob.login(&server, "bob", "bob-pw").await;

        alice.send(Command::AddContact {
            account: ALICE.into(),
            jid: BOB.into(),
            name: Some("Bob".into()),
            groups: vec!["Friends".into()],
        });
        bob.expect(
            "subscription request",
            |e| matches!(e, Event::SubscriptionRequest { from, .. } if from == ALICE),
        )
        .await;
        bob.send(Command::AnswerSubscription {
            account: BOB.into(),
            jid: ALICE.into(),
            approve: true,
        });
        // Approving also asks Alice for hers; she approves.
        alice
            .expect(
                "reverse request",
                |e| matches!(e, Event::SubscriptionRequest { from, .. } if from == BOB),
            )
            .await;
        alice.send(Command::AnswerSubscription {
            account: ALICE.into(),
            jid: BOB.into(),
            approve: true,
        });
        for (profile, contact) in [(&mut alice, BOB), (&mut bob, ALICE)] {
            let contact = contact.to_owned();
            profile
                .expect("mutual subscription", |e| {
                    matches!(e, Event::RosterItemChanged { item, .. } if item.jid == contact && item.subscription == Subscription::Both)
                })
                .await;
        }
        let (_, items) = alice.store.roster(ALICE).unwrap();
        assert_eq!(items.len(), 1);
        assert_eq!(items[0].name.as_deref(), Some("Bob"));
        assert_eq!(items[0].groups, vec!["Friends".to_string()]);

        alice.send_message(ALICE, BOB, "hello bob");
        let sent = alice.expect_message("hello bob").await;
        assert_eq!(sent.direction, Direction::Outgoing);
        let got = bob.expect_message("hello bob").await;
        assert_eq!(got.direction, Direction::Incoming);
        assert_eq!(got.peer, ALICE);
        assert!(got.origin_id.is_some(), "{got:?}");
        // The server's stanza-id (XEP-0359) comes with its archive: a server
        // without MAM stamps none.
        assert_eq!(got.stanza_id.is_some(), !kind.is_minimal(), "{got:?}");
        alice.expect("receipt", delivered(ALICE, sent.id)).await;

        bob.send_message(BOB, ALICE, "hi alice");
        let reply = bob.expect_message("hi alice").await;
        alice.expect_message("hi alice").await;
        bob.expect("receipt", delivered(BOB, reply.id)).await;

        // Chat states reach the other side.
        alice.send(Command::SendChatState {
            account: ALICE.into(),
            to: BOB.into(),
            state: sotto_core::ChatState::Composing,
        });
        bob.expect("chat state", |e| {
            matches!(e, Event::ChatState { from, state: sotto_core::ChatState::Composing, .. } if from == ALICE)
        })
        .await;

        // Rename and remove.
        alice.send(Command::RenameContact {
            account: ALICE.into(),
            jid: BOB.into(),
            name: Some("Robert".into()),
        });
        alice
            .expect("rename", |e| matches!(e, Event::RosterItemChanged { item, .. } if item.name.as_deref() == Some("Robert")))
            .await;
        alice.send(Command::RemoveContact {
            account: ALICE.into(),
            jid: BOB.into(),
        });
        alice
            .expect(
                "removal",
                |e| matches!(e, Event::RosterItemRemoved { jid, .. } if jid == BOB),
            )
            .await;
        assert!(alice.store.roster(ALICE).unwrap().1.is_empty());

        alice.shutdown().await;
        bob.shutdown().await;
    }

    async fn messages_to_an_offline_peer_arrive_once_when_it_logs_in(kind: ServerKind) {
        let server = server_with(kind, &[("alice", "alice-pw"), ("bob", "bob-pw")]);
        let mut bob = Profile::new("bob");
        bob.login(&server, "bob", "bob-pw").await;
        let bob_dir = bob.shutdown().await;

        let mut alice = Profile::new("alice");
        alice.login(&server, "alice", "alice-pw").await;
        for i in 0..5 {
            alice.send_message(ALICE, BOB, &format!("while you were away {i}"));
        }
        for i in 0..5 {
            let sent = alice
                .expect_message(&format!("while you were away {i}"))
                .await;
            let id = sent.id;
            // Without stream management nothing acknowledges a stanza: the
            // most a client can know is that it was written to the stream.
            let reached = if kind.is_minimal() {
                MessageState::Sent
            } else {
                MessageState::Acked
            };
            alice
                .expect("server ack", move |e| {
                    matches!(e, Event::MessageStateChanged { id: i, state, .. } if *i == id && *state == reached)
                })
                .await;
        }

        let mut bob = Profile::reopen(bob_dir);
        bob.online(BOB).await;
        for i in 0..5 {
            bob.expect_message(&format!("while you were away {i}"))
                .await;
        }
        if !kind.is_minimal() {
            bob.expect("archive sync", |e| matches!(e, Event::ArchiveSynced { .. }))
                .await;
        }
        // Offline delivery and the archive both carry them: stored once each, in order.
        let history = bob.store.history(BOB, ALICE, None, 100).unwrap();
        let bodies: Vec<_> = history.iter().map(|m| m.body.clone()).collect();
        let expected: Vec<_> = (0..5).map(|i| format!("while you were away {i}")).collect();
        assert_eq!(bodies, expected);
        alice.shutdown().await;
        bob.shutdown().await;
    }

    async fn profile_directories_hold_no_plaintext(kind: ServerKind) {
        let server = server_with(kind, &[("alice", "alice-pw-Zq93"), ("bob", "bob-pw-Xk27")]);
        let mut alice = Profile::new("alice");
        let mut bob = Profile::new("bob");
        alice.login(&server, "alice", "alice-pw-Zq93").await;
        bob.login(&server, "bob", "bob-pw-Xk27").await;
        let secret_a = "PlaintextCanary-7f3e91 from alice";
        let secret_b = "PlaintextCanary-c0ffee from bob";
        alice.send_message(ALICE, BOB, secret_a);
        bob.expect_message(secret_a).await;
        bob.send_message(BOB, ALICE, secret_b);
        alice.expect_message(secret_b).await;
        // Searching works on the encrypted store.
        assert_eq!(alice.store.search("PlaintextCanary", 10).unwrap().len(), 2);
        let dirs = [alice.profile_dir(), bob.profile_dir()];
        // While running (db, -wal, -shm all present) and after shutdown.
        for (i, dir) in dirs.iter().enumerate() {
            let hits = scan_for_plaintext(
                dir,
                &[
                    b"PlaintextCanary",
                    b"alice-pw-Zq93",
                    b"bob-pw-Xk27",
                    PASSPHRASE.as_bytes(),
                    b"localhost",
                ],
            );
            assert!(hits.is_empty(), "profile {i} leaks while running: {hits:?}");
        }
        let alice_dir = alice.shutdown().await;
        let bob_dir = bob.shutdown().await;
        for dir in [alice_dir.join("profile"), bob_dir.join("profile")] {
            let files: Vec<_> = std::fs::read_dir(&dir).unwrap().collect();
            assert!(!files.is_empty());
            let hits = scan_for_plaintext(
                &dir,
                &[
                    b"PlaintextCanary",
                    b"alice-pw-Zq93",
                    b"bob-pw-Xk27",
                    PASSPHRASE.as_bytes(),
                    b"localhost",
                ],
            );
            assert!(hits.is_empty(), "{} leaks: {hits:?}", dir.display());
        }
    }
}

sotto_tests::on_servers! { [Prosody, Ejabberd]
    async fn carbons_reach_the_second_resource_and_a_new_device_catches_up(kind: ServerKind) {
        let server = server_with(kind, &[("alice", "alice-pw"), ("bob", "bob-pw")]);
        let mut laptop = Profile::new("alice-laptop");
        let mut phone = Profile::new("alice-phone");
        let mut bob = Profile::new("bob");
        laptop.login(&server, "alice", "alice-pw").await;
        phone.login(&server, "alice", "alice-pw").await;
        bob.login(&server, "bob", "bob-pw").await;
        // The laptop learns of the phone from its list's notification; what
        // it sends before that cannot be for the phone.
        let phone_id = match phone
            .expect("the phone's OMEMO", |e| matches!(e, Event::OmemoReady { .. }))
            .await
        {
            Event::OmemoReady { device_id, .. } => device_id,
            _ => unreachable!(),
        };
        laptop
            .expect("the phone in the laptop's own list", |e| {
                matches!(e, Event::OmemoDeviceList { jid, active, .. }
                    if jid == ALICE && active.contains(&phone_id))
            })
            .await;

        laptop.send_message(ALICE, BOB, "sent from the laptop");
        let copy = phone.expect_message("sent from the laptop").await;
        assert_eq!(
            copy.direction,
            Direction::Outgoing,
            "a sent carbon is our own message"
        );
        assert_eq!(copy.peer, BOB);
        bob.expect_message("sent from the laptop").await;

        bob.send_message(BOB, ALICE, "reply to both");
        laptop.expect_message("reply to both").await;
        let received = phone.expect_message("reply to both").await;
        assert_eq!(received.direction, Direction::Incoming);

        assert_eq!(copy.encryption, sotto_store::Encryption::Omemo);
        assert_eq!(received.encryption, sotto_store::Encryption::Omemo);

        // Two messages the user chose to send unencrypted.
        laptop.send(Command::SendMessage {
            account: ALICE.into(),
            to: BOB.into(),
            body: "plain from the laptop".into(),
            encryption: Some(Encryption::Plain),
        });
        bob.expect_message("plain from the laptop").await;
        bob.send(Command::SendMessage {
            account: BOB.into(),
            to: ALICE.into(),
            body: "plain reply".into(),
            encryption: Some(Encryption::Plain),
        });
        laptop.expect_message("plain reply").await;

        // A third device with an empty profile catches up from the archive,
        // deduplicated: each message exactly once. The OMEMO messages were not
        // encrypted for a device that did not exist yet; they are skipped, not
        // shown as noise.
        let mut tablet = Profile::new("alice-tablet");
        tablet.login(&server, "alice", "alice-pw").await;
        let synced = tablet
            .expect("archive sync", |e| matches!(e, Event::ArchiveSynced { .. }))
            .await;
        assert!(
            matches!(
                synced,
                Event::ArchiveSynced {
                    new_messages: 2,
                    ..
                }
            ),
            "{synced:?}"
        );
        let history = tablet.store.history(ALICE, BOB, None, 100).unwrap();
        let bodies: Vec<_> = history.iter().map(|m| m.body.as_str()).collect();
        assert_eq!(bodies, vec!["plain from the laptop", "plain reply"]);

        // Logging in again does not duplicate anything.
        let dir = tablet.shutdown().await;
        let mut tablet = Profile::reopen(dir);
        tablet.online(ALICE).await;
        tablet
            .expect("archive sync", |e| {
                matches!(
                    e,
                    Event::ArchiveSynced {
                        new_messages: 0,
                        ..
                    }
                )
            })
            .await;
        assert_eq!(tablet.store.count_messages(ALICE, BOB).unwrap(), 2);

        for p in [laptop, phone, bob, tablet] {
            p.shutdown().await;
        }
    }

    async fn forged_carbons_and_roster_pushes_are_rejected(kind: ServerKind) {
        let server = server_with(kind, &[("alice", "alice-pw"), ("mallory", "mallory-pw")]);
        let mut alice = Profile::new("alice");
        let alice_full = alice.login(&server, "alice", "alice-pw").await;
        let mallory = raw_session(&server, "mallory", "mallory-pw").await;

        let forged_carbon: Element = format!(
            "<message xmlns='jabber:client' to='{alice_full}' type='chat'>\
             <received xmlns='urn:xmpp:carbons:2'><forwarded xmlns='urn:xmpp:forward:0'>\
             <message xmlns='jabber:client' from='boss@localhost/office' to='{ALICE}' type='chat' id='f1'>\
             <body>forged: wire the money</body></message></forwarded></received></message>"
        )
        .parse()
        .unwrap();
        mallory.send(xmpp_parsers::message::Message::try_from(forged_carbon).unwrap());
        let forged_sent: Element = format!(
            "<message xmlns='jabber:client' to='{alice_full}' type='chat'>\
             <sent xmlns='urn:xmpp:carbons:2'><forwarded xmlns='urn:xmpp:forward:0'>\
             <message xmlns='jabber:client' from='{ALICE}/phone' to='boss@localhost' type='chat' id='f2'>\
             <body>forged: I quit</body></message></forwarded></sent></message>"
        )
        .parse()
        .unwrap();
        mallory.send(xmpp_parsers::message::Message::try_from(forged_sent).unwrap());
        let forged_push: Element = format!(
            "<iq xmlns='jabber:client' type='set' id='push1' to='{alice_full}'>\
             <query xmlns='jabber:iq:roster'><item jid='evil@localhost' name='Trusted Bank' subscription='both'/></query></iq>"
        )
        .parse()
        .unwrap();
        mallory.send(xmpp_parsers::iq::Iq::try_from(forged_push).unwrap());
        // A legitimate message afterwards proves the forgeries were processed (and dropped).
        mallory.send(sotto_xmpp::xep::message::chat(
            alice_full.parse().unwrap(),
            "legit-1",
            "an honest message",
        ));
        alice.expect_message("an honest message").await;

        assert!(
            alice.store.search("forged", 10).unwrap().is_empty(),
            "forged carbons must not be stored"
        );
        assert_eq!(
            alice.store.count_messages(ALICE, "boss@localhost").unwrap(),
            0
        );
        assert!(
            alice.store.roster(ALICE).unwrap().1.is_empty(),
            "forged roster push must not change the roster"
        );
        assert!(
            !alice
                .seen
                .iter()
                .any(|e| matches!(e, Event::RosterItemChanged { .. }))
        );
        mallory.close().await;
        alice.shutdown().await;
    }

    async fn an_omemo_message_not_for_this_device_says_so_and_empty_ones_are_not_shown(kind: ServerKind) {
        use sotto_xmpp::xep::omemo::{self, Encrypted, KeyEntry, Namespace};
        let server = server_with(kind, &[("alice", "alice-pw"), ("dave", "dave-pw")]);
        let mut alice = Profile::new("alice");
        alice.login(&server, "alice", "alice-pw").await;
        let dave = raw_session(&server, "dave", "dave-pw").await;
        let to: sotto_xmpp::Jid = ALICE.parse().unwrap();
        let key = KeyEntry {
            jid: None,
            rid: 7,
            data: vec![1; 40],
            prekey: false,
        };
        let empty = Encrypted {
            namespace: Namespace::Legacy,
            sid: 42,
            keys: vec![key.clone()],
            iv: Some(vec![0; 12]),
            payload: None,
        };
        dave.send(omemo::message(to.clone(), "omemo-empty", std::slice::from_ref(&empty)).unwrap());
        let full = Encrypted {
            payload: Some(vec![9; 16]),
            ..empty
        };
        dave.send(omemo::message(to, "omemo-1", std::slice::from_ref(&full)).unwrap());
        let shown = match alice
            .expect("the OMEMO message", |e| {
                matches!(e, Event::MessageAdded { .. })
            })
            .await
        {
            Event::MessageAdded { message, .. } => message,
            _ => unreachable!(),
        };
        assert_eq!(
            shown.message_id.as_deref(),
            Some("omemo-1"),
            "the empty one is not shown"
        );
        assert!(
            shown.body.contains("not encrypted for this device"),
            "{}",
            shown.body
        );
        assert!(
            !shown.body.contains("doesn't seem to support"),
            "not the fallback text"
        );
        assert_eq!(shown.encryption, sotto_store::Encryption::Omemo);
        alice.shutdown().await;
    }
}
