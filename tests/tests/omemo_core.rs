// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! OMEMO between Sotto cores through a real Prosody and ejabberd: first contact with a
//! non-contact, replies that default to OMEMO, two devices of one account
//! (carbons included), trust decisions (distrust, URI verification, a new
//! device after verification), the session completed by an empty message,
//! and no plaintext in the profiles or in the server's archive.

#![allow(clippy::unwrap_used)]

use std::time::Duration;

use sotto_core::{Command, Encryption, Event, OmemoTrust};
use sotto_omemo::store::SessionStore;
use sotto_omemo::{DeviceAddress, Namespace};
use sotto_store::{Direction, Encryption as Stored, MessageState, MessageStore as _};
use sotto_tests::profile::{Profile, server_with};
use sotto_tests::scan_for_plaintext;
use sotto_tests::{ServerKind, TestServer, XmppServer};

const ALICE: &str = "alice@localhost";
const BOB: &str = "bob@localhost";

/// Logs in and waits until the device's OMEMO keys are published.
async fn ready(profile: &mut Profile, server: &TestServer, user: &str) -> (u32, String) {
    profile.login(server, user, &format!("{user}-pw")).await;
    let account = server.jid(user);
    match profile
        .expect(
            "OMEMO keys published",
            |e| matches!(e, Event::OmemoReady { account: a, .. } if *a == account),
        )
        .await
    {
        Event::OmemoReady {
            device_id,
            fingerprint,
            ..
        } => (device_id, fingerprint),
        _ => unreachable!(),
    }
}

fn send(profile: &Profile, from: &str, to: &str, body: &str, encryption: Option<Encryption>) {
    profile.send(Command::SendMessage {
        account: from.into(),
        to: to.into(),
        body: body.into(),
        encryption,
    });
}

fn users(names: &[&'static str]) -> Vec<(&'static str, String)> {
    names.iter().map(|n| (*n, format!("{n}-pw"))).collect()
}

fn start_server(kind: ServerKind, names: &[&'static str]) -> TestServer {
    let users = users(names);
    let refs: Vec<(&str, &str)> = users.iter().map(|(u, p)| (*u, p.as_str())).collect();
    server_with(kind, &refs)
}

sotto_tests::on_servers! { [Prosody, Ejabberd]
    async fn first_contact_replies_default_to_omemo_and_nothing_is_plaintext(kind: ServerKind) {
        let server = start_server(kind, &["alice", "bob"]);
        let mut alice = Profile::new("alice");
        let mut bob = Profile::new("bob");
        let (alice_device, alice_fp) = ready(&mut alice, &server, "alice").await;
        let (bob_device, _) = ready(&mut bob, &server, "bob").await;
        assert_eq!(alice_fp.split(' ').count(), 8, "{alice_fp}");

        // Not contacts: Alice fetches Bob's open device list and bundle.
        let first = "OmemoCanary-41d7 first contact";
        send(&alice, ALICE, BOB, first, Some(Encryption::Omemo));
        let got = bob.expect_message(first).await;
        assert_eq!(got.direction, Direction::Incoming);
        assert_eq!(got.encryption, Stored::Omemo);
        assert_eq!(got.peer, ALICE);
        assert_eq!(
            got.sender_device,
            Some(alice_device),
            "which device wrote it"
        );
        let sent = alice.expect_message(first).await;
        assert_eq!(sent.encryption, Stored::Omemo);
        assert_eq!(sent.sender_device, None, "our own, from this device");
        alice
            .expect("delivery receipt", |e| {
                matches!(e, Event::MessageStateChanged { id, state: MessageState::Delivered, .. } if *id == sent.id)
            })
            .await;
        // Bob saw Alice's device for the first time: trusted blindly.
        bob.expect("Alice's device announced", |e| {
            matches!(e, Event::OmemoDevice { device, .. }
                if device.jid == ALICE && device.device_id == alice_device
                    && device.trust == OmemoTrust::Blind && device.fingerprint == alice_fp)
        })
        .await;

        // No encryption chosen: Alice has OMEMO devices, so OMEMO it is.
        let reply = "OmemoCanary-9be0 the reply";
        send(&bob, BOB, ALICE, reply, None);
        let got = alice.expect_message(reply).await;
        assert_eq!(got.encryption, Stored::Omemo);
        assert_eq!(got.sender_device, Some(bob_device));
        assert_eq!(bob.expect_message(reply).await.encryption, Stored::Omemo);

        // The archive holds only ciphertext and the fallback text.
        for (dir, what) in [
            (alice.profile_dir(), "alice's profile"),
            (bob.profile_dir(), "bob's profile"),
            (server.data_dir(), "the server's data"),
        ] {
            let hits = scan_for_plaintext(&dir, &[b"OmemoCanary"]);
            assert!(hits.is_empty(), "{what} holds plaintext: {hits:?}");
        }
        let archived = std::fs::read_dir(server.data_dir()).unwrap().count();
        assert!(archived > 0, "the server stored something");

        // Sessions both ways exist, and Bob's reply completed Alice's: her next
        // message is no longer a key exchange.
        let session = alice
            .store
            .omemo(ALICE)
            .load_session(Namespace::Omemo2, &DeviceAddress::new(BOB, bob_device))
            .unwrap()
            .expect("a session with Bob's device");
        assert!(!session.has_pending_key_exchange());
        alice.shutdown().await;
        bob.shutdown().await;
    }

    async fn an_unanswered_key_exchange_is_completed_by_an_empty_message(kind: ServerKind) {
        let server = start_server(kind, &["alice", "bob"]);
        let mut alice = Profile::new("alice");
        let mut bob = Profile::new("bob");
        ready(&mut alice, &server, "alice").await;
        let (bob_device, _) = ready(&mut bob, &server, "bob").await;
        send(
            &alice,
            ALICE,
            BOB,
            "are you there?",
            Some(Encryption::Omemo),
        );
        bob.expect_message("are you there?").await;
        // Bob does not answer; after a few seconds his client completes the
        // session so Alice stops sending key exchanges.
        let address = DeviceAddress::new(BOB, bob_device);
        let omemo = alice.store.omemo(ALICE);
        let deadline = tokio::time::Instant::now() + Duration::from_secs(40);
        loop {
            let session = omemo.load_session(Namespace::Omemo2, &address).unwrap();
            if session.is_some_and(|s| !s.has_pending_key_exchange()) {
                break;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "Bob never completed the session"
            );
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
        // The empty message is not shown to anyone.
        alice.forget();
        send(&bob, BOB, ALICE, "yes", None);
        assert_eq!(alice.expect_message("yes").await.encryption, Stored::Omemo);
        assert!(
            !alice
                .seen
                .iter()
                .any(|e| matches!(e, Event::MessageAdded { message, .. } if message.body.is_empty()))
        );
        alice.shutdown().await;
        bob.shutdown().await;
    }

    async fn two_devices_of_one_account_read_everything(kind: ServerKind) {
        let server = start_server(kind, &["alice", "bob"]);
        let mut phone = Profile::new("alice-phone");
        let mut laptop = Profile::new("alice-laptop");
        let mut bob = Profile::new("bob");
        let (phone_id, _) = ready(&mut phone, &server, "alice").await;
        let (laptop_id, _) = ready(&mut laptop, &server, "alice").await;
        assert_ne!(phone_id, laptop_id);
        // The phone learns of the laptop from its list's notification; what
        // it sends before that cannot be for the laptop.
        phone
            .expect("the laptop in the phone's own list", |e| {
                matches!(e, Event::OmemoDeviceList { jid, active, .. }
                    if jid == ALICE && active.contains(&laptop_id))
            })
            .await;
        ready(&mut bob, &server, "bob").await;

        send(&bob, BOB, ALICE, "to both of you", Some(Encryption::Omemo));
        for device in [&mut phone, &mut laptop] {
            let got = device.expect_message("to both of you").await;
            assert_eq!(got.encryption, Stored::Omemo);
            assert_eq!(got.direction, Direction::Incoming);
        }
        // What the phone sends, the laptop reads as its own (a carbon).
        send(
            &phone,
            ALICE,
            BOB,
            "sent from the phone",
            Some(Encryption::Omemo),
        );
        bob.expect_message("sent from the phone").await;
        let carbon = laptop.expect_message("sent from the phone").await;
        assert_eq!(carbon.direction, Direction::Outgoing);
        assert_eq!(carbon.encryption, Stored::Omemo);

        // Each device lists the other as one of the account's devices.
        phone.send(Command::GetOmemoFingerprints {
            account: ALICE.into(),
            jid: None,
        });
        match phone
            .expect("own devices", |e| {
                matches!(e, Event::OmemoFingerprints { .. })
            })
            .await
        {
            Event::OmemoFingerprints {
                own, jid, devices, ..
            } => {
                assert_eq!(own.device_id, phone_id);
                assert_eq!(jid, ALICE);
                assert!(
                    devices.iter().any(|d| d.device_id == laptop_id && d.active),
                    "{devices:?}"
                );
                assert!(devices.iter().all(|d| d.device_id != phone_id));
            }
            _ => unreachable!(),
        }
        phone.shutdown().await;
        laptop.shutdown().await;
        bob.shutdown().await;
    }

    async fn distrust_verification_and_a_new_device_after_verification(kind: ServerKind) {
        let server = start_server(kind, &["alice", "bob"]);
        let mut alice = Profile::new("alice");
        let mut bob = Profile::new("bob");
        let (alice_device, alice_fp) = ready(&mut alice, &server, "alice").await;
        ready(&mut bob, &server, "bob").await;

        // Bob distrusts Alice's only device: nothing can be sent with OMEMO.
        bob.send(Command::SetOmemoTrust {
            account: BOB.into(),
            jid: ALICE.into(),
            fingerprint: alice_fp.clone(),
            trust: OmemoTrust::Distrusted,
        });
        bob.expect("the new trust", |e| {
            matches!(e, Event::OmemoFingerprints { devices, .. }
                if devices.iter().any(|d| d.device_id == alice_device && d.trust == OmemoTrust::Distrusted))
        })
        .await;
        send(&bob, BOB, ALICE, "never sent", Some(Encryption::Omemo));
        match bob
            .expect("refusal", |e| matches!(e, Event::CommandFailed { .. }))
            .await
        {
            Event::CommandFailed { reason, .. } => {
                assert!(
                    reason.contains("distrusted every OMEMO device of alice@localhost"),
                    "{reason}"
                )
            }
            _ => unreachable!(),
        }
        bob.expect("failed", |e| {
            matches!(
                e,
                Event::MessageStateChanged {
                    state: MessageState::Failed,
                    ..
                }
            )
        })
        .await;

        // A malformed fingerprint is refused with a reason.
        bob.send(Command::SetOmemoTrust {
            account: BOB.into(),
            jid: ALICE.into(),
            fingerprint: "not hex".into(),
            trust: OmemoTrust::Verified,
        });
        bob.expect(
            "malformed fingerprint",
            |e| matches!(e, Event::CommandFailed { reason, .. } if reason.contains("64 hex digits")),
        )
        .await;

        // Scanning Alice's QR code (her own URI) verifies the device.
        alice.send(Command::GetOmemoFingerprints {
            account: ALICE.into(),
            jid: None,
        });
        let uri = match alice
            .expect("Alice's URI", |e| {
                matches!(e, Event::OmemoFingerprints { .. })
            })
            .await
        {
            Event::OmemoFingerprints { own_uri, .. } => own_uri,
            _ => unreachable!(),
        };
        assert!(
            uri.starts_with(&format!("xmpp:{ALICE}?omemo-sid-{alice_device}=")),
            "{uri}"
        );
        bob.send(Command::VerifyOmemoUri {
            account: BOB.into(),
            uri,
        });
        bob.expect("verified", |e| {
            matches!(e, Event::OmemoFingerprints { devices, .. }
                if devices.iter().any(|d| d.device_id == alice_device && d.trust == OmemoTrust::Verified))
        })
        .await;
        send(&bob, BOB, ALICE, "verified now", Some(Encryption::Omemo));
        alice.expect_message("verified now").await;

        // Alice adds a device. Bob verified one of hers, so the new one waits
        // for his decision: it cannot read what he sends meanwhile, and says so.
        let mut tablet = Profile::new("alice-tablet");
        let (tablet_id, tablet_fp) = ready(&mut tablet, &server, "alice").await;
        bob.send(Command::GetOmemoFingerprints {
            account: BOB.into(),
            jid: Some(ALICE.into()),
        });
        bob.expect("the tablet, undecided", |e| {
            matches!(e, Event::OmemoFingerprints { devices, .. }
                if devices.iter().any(|d| d.device_id == tablet_id && d.trust == OmemoTrust::Undecided))
        })
        .await;
        send(
            &bob,
            BOB,
            ALICE,
            "only for the verified one",
            Some(Encryption::Omemo),
        );
        bob.expect("tablet skipped", |e| {
            matches!(e, Event::OmemoDeviceSkipped { device_id, reason, .. }
                if *device_id == tablet_id && reason.contains("not trusted yet"))
        })
        .await;
        alice.expect_message("only for the verified one").await;
        match tablet
            .expect("unreadable on the tablet", |e| {
                matches!(e, Event::OmemoUnreadable { .. })
            })
            .await
        {
            Event::OmemoUnreadable { reason, peer, .. } => {
                assert_eq!(peer, BOB);
                assert!(reason.contains("not encrypted for this device"), "{reason}");
            }
            _ => unreachable!(),
        }
        // Bob decides; the tablet reads the next message.
        bob.send(Command::SetOmemoTrust {
            account: BOB.into(),
            jid: ALICE.into(),
            fingerprint: tablet_fp,
            trust: OmemoTrust::Verified,
        });
        send(&bob, BOB, ALICE, "for all three", Some(Encryption::Omemo));
        tablet.expect_message("for all three").await;
        alice.shutdown().await;
        tablet.shutdown().await;
        bob.shutdown().await;
    }

    /// A message written while the recipient is offline reaches it twice when
    /// it logs in again — from the offline store (live) and from the archive
    /// catch-up — and whichever comes second no longer decrypts. The reader
    /// stores it once, raises no "unreadable" warning, and the sender gets its
    /// receipt.
    async fn a_message_from_offline_storage_and_the_archive_is_read_once_and_acknowledged(kind: ServerKind) {
        let server = start_server(kind, &["alice", "bob"]);
        let mut alice = Profile::new("alice");
        let mut bob = Profile::new("bob");
        ready(&mut alice, &server, "alice").await;
        ready(&mut bob, &server, "bob").await;
        let bob_dir = bob.shutdown().await;

        let text = "written while Bob was away";
        send(&alice, ALICE, BOB, text, Some(Encryption::Omemo));
        let sent = alice.expect_message(text).await;
        alice
            .expect("the server's ack", |e| {
                matches!(e, Event::MessageStateChanged { id, state: MessageState::Acked, .. } if *id == sent.id)
            })
            .await;

        let mut bob = Profile::reopen(bob_dir);
        bob.online(BOB).await;
        let got = bob.expect_message(text).await;
        assert_eq!(got.encryption, Stored::Omemo);
        alice
            .expect("Bob's receipt", |e| {
                matches!(e, Event::MessageStateChanged { id, state: MessageState::Delivered, .. } if *id == sent.id)
            })
            .await;
        bob.expect("archive sync", |e| matches!(e, Event::ArchiveSynced { .. }))
            .await;
        // Let any late copy arrive, then check nothing was reported.
        tokio::time::sleep(Duration::from_millis(500)).await;
        while let Ok(event) = bob.core.events.try_recv() {
            bob.seen.push(event);
        }
        assert!(
            !bob.seen
                .iter()
                .any(|e| matches!(e, Event::OmemoUnreadable { .. })),
            "a second copy was reported: {:#?}",
            bob.seen
        );
        let history = bob.store.history(BOB, ALICE, None, 10).unwrap();
        assert_eq!(
            history.iter().filter(|m| m.body == text).count(),
            1,
            "stored once"
        );
        alice.shutdown().await;
        bob.shutdown().await;
    }
}
