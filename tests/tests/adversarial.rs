// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! A hostile peer against a Sotto core, through a real Prosody and ejabberd:
//! a raw client logged in as (or beside) the contact writes what a server or
//! an attacker can write. Each case asserts a clear event, nothing lost and
//! no protection lowered; the list of cases is in `docs/testing.md`.

#![allow(clippy::unwrap_used)]

use std::time::Duration;

use sotto_core::{Command, Encryption, Event, OtrSessionState};
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

async fn otr_fingerprint(profile: &mut Profile, account: &str) -> String {
    profile.send(Command::GetOtrFingerprints {
        account: account.into(),
    });
    match profile
        .expect("own OTR fingerprint", |e| {
            matches!(e, Event::OtrFingerprints { .. })
        })
        .await
    {
        Event::OtrFingerprints { own, .. } => own,
        _ => unreachable!(),
    }
}

fn otr_encrypted(e: &Event) -> bool {
    matches!(e, Event::OtrState { jid, state: OtrSessionState::Encrypted { .. }, .. }
        if jid.starts_with("bob@localhost/"))
}

sotto_tests::on_servers! { [Prosody, Ejabberd]
    /// Finding 5: another client of the contact (or anyone on their account)
    /// completing a key exchange with a new key does not get the queued
    /// messages of a verified conversation before the user decides.
    async fn queued_otr_messages_never_go_to_a_new_key_unseen(kind: ServerKind) {
        let server = start_server(kind);
        let mut alice = Profile::new("alice");
        let mut bob = Profile::new("bob");
        alice.login(&server, "alice", "alice-pw").await;
        bob.login(&server, "bob", "bob-pw").await;
        let verified = otr_fingerprint(&mut bob, BOB).await;
        send(&alice, "OtrFirst to the verified key", Some(Encryption::Otr));
        alice.expect("OTR with Bob", otr_encrypted).await;
        bob.expect_message("OtrFirst to the verified key").await;
        alice.send(Command::SetOtrTrust {
            account: ALICE.into(),
            contact: BOB.into(),
            fingerprint: verified.clone(),
            verified: true,
        });
        alice.send(Command::OtrEnd {
            account: ALICE.into(),
            jid: BOB.into(),
        });
        let _old = bob.shutdown().await;

        // Someone else logs in to Bob's account with another OTR key.
        let mut other = Profile::new("bob-other");
        other.login(&server, "bob", "bob-pw").await;
        let new_key = otr_fingerprint(&mut other, BOB).await;
        assert_ne!(new_key, verified);
        alice.forget();
        send(&alice, "OtrHeld not for a new key", Some(Encryption::Otr));
        let changed = alice.expect("OTR with the new key", otr_encrypted).await;
        assert!(
            matches!(changed, Event::OtrState { state: OtrSessionState::Encrypted { key_changed: true, .. }, .. }),
            "{changed:?}"
        );
        let id = match alice
            .expect("the message is held", |e| matches!(e, Event::MessageHeld { peer, .. } if peer == BOB))
            .await
        {
            Event::MessageHeld { id, reason, .. } => {
                assert!(reason.contains("never seen before"), "{reason}");
                id
            }
            _ => unreachable!(),
        };
        tokio::time::sleep(Duration::from_secs(1)).await;
        let leaked = other
            .store
            .history(BOB, ALICE, None, 50)
            .unwrap()
            .into_iter()
            .any(|m| m.body.contains("OtrHeld"));
        assert!(!leaked, "the held message reached the new key");

        // The user's decision sends it.
        alice.send(Command::RetryMessage {
            account: ALICE.into(),
            id,
            encryption: None,
        });
        let got = other.expect_message("OtrHeld not for a new key").await;
        assert_eq!(got.encryption, Stored::Otr);
    }
}

sotto_tests::on_servers! { [Prosody, Ejabberd]
    /// Finding 8: OTR ciphertext in the archive (sent while we were away)
    /// is never stored as a message by the catch-up.
    async fn otr_ciphertext_in_the_archive_is_not_stored(kind: ServerKind) {
        let server = start_server(kind);
        // A first login creates the archive cursor; then Alice is away.
        let mut alice = Profile::new("alice");
        alice.login(&server, "alice", "alice-pw").await;
        let dir = alice.shutdown().await;
        let forger = raw_session(&server, "bob", "bob-pw").await;
        let wire = "?OTR:AAMDJ+MVmSfjFZcAAAAAAQAAAAIAAADA1g5IjD1ZGLDVQEyCgCyn9hbrL3KAbGDdzE2ZkMyTKl7XfkSxh8YJnudstiB74i4BzT0W2qgs4PmhI1+0l+eHakLo8sZg9hYO4e9Vr9E1NHYtLDFcjvmNZ1BCR5ykyMBRFv9vdnk0bXlWl0WzqlxxjRF28BsvfPtQqYAaUdXWG8OHvWMn8cVM9Zu9JfFSI2ADGK/y8QxVLw98HHwh+oiNYNfIQ3tYbFrg4h5kyrS6AEmAYxlr7zKjzm9KcyOabfxyXi48OwZQdWglBKXzpOSaW8tXZ5LZYD2FG0+yeL5iCbf3jcUw0/WR+uD+m++m6qF+dnSTgCXrYzOgx3+8Ws1lk/M2DZjjLQr6IwwbW8kM.";
        forger.send(sotto_xmpp::xep::message::chat(
            sotto_xmpp::Jid::from(ALICE.parse::<sotto_xmpp::BareJid>().unwrap()),
            "otr-in-archive",
            wire,
        ));
        forger.send(sotto_xmpp::xep::message::chat(
            sotto_xmpp::Jid::from(ALICE.parse::<sotto_xmpp::BareJid>().unwrap()),
            "plain-in-archive",
            "PlainCanary after the OTR one",
        ));
        tokio::time::sleep(Duration::from_millis(500)).await;
        let mut alice = Profile::reopen(dir);
        alice
            .expect("the plain message", |e| {
                matches!(e, Event::MessageAdded { message, .. } if message.body.contains("PlainCanary"))
            })
            .await;
        alice
            .expect("catch-up done", |e| matches!(e, Event::ArchiveSynced { .. }))
            .await;
        let stored = alice.store.history(ALICE, BOB, None, 50).unwrap();
        assert!(
            stored.iter().all(|m| !m.body.starts_with("?OTR")),
            "OTR ciphertext stored as a message: {stored:?}"
        );
        forger.close().await;
    }
}

sotto_tests::on_servers! { [Prosody, Ejabberd]
    /// Finding 3: an old key exchange sent again (here: read from the
    /// archive and replayed live by someone with the contact's password or
    /// server) never deletes the working session: the next honest message
    /// still decrypts.
    async fn a_replayed_key_exchange_never_replaces_a_working_session(kind: ServerKind) {
        let server = start_server(kind);
        let mut alice = Profile::new("alice");
        let mut bob = Profile::new("bob");
        omemo_ready(&mut alice, &server, "alice").await;
        omemo_ready(&mut bob, &server, "bob").await;
        bob.send(Command::SendMessage {
            account: BOB.into(),
            to: ALICE.into(),
            body: "first words, a key exchange".into(),
            encryption: Some(Encryption::Omemo),
        });
        alice.expect_message("first words, a key exchange").await;
        send(&alice, "the answer", None);
        bob.expect_message("the answer").await;

        // The key exchange, as Alice's archive holds it.
        let reader = raw_session(&server, "alice", "alice-pw").await;
        let page = reader
            .archive_page(&sotto_xmpp::xep::mam::Page::Latest, None, 50)
            .await
            .unwrap();
        let exchange = page
            .messages
            .iter()
            .flat_map(|m| m.encrypted.iter())
            .find(|e| e.keys.iter().any(|k| k.prekey) && e.payload.is_some())
            .cloned()
            .expect("the key exchange is archived");
        reader.close().await;
        // An older key exchange of Bob's: another base key, with the prekey
        // id this one used (long gone from Alice's device).
        let mut exchange = exchange;
        for key in exchange.keys.iter_mut().filter(|k| k.prekey) {
            other_base_key(&mut key.data, exchange.namespace);
        }
        let forger = raw_session(&server, "bob", "bob-pw").await;
        let replay = sotto_xmpp::xep::omemo::message(
            sotto_xmpp::Jid::from(ALICE.parse::<sotto_xmpp::BareJid>().unwrap()),
            "replayed-key-exchange",
            &[exchange],
        )
        .unwrap();
        alice.forget();
        forger.send(replay);
        alice
            .expect("the replay is reported", |e| matches!(e, Event::OmemoUnreadable { .. }))
            .await;
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert!(
            !alice
                .take_seen()
                .iter()
                .any(|e| matches!(e, Event::OmemoSessionRepaired { .. })),
            "the working session was replaced"
        );
        // The session still works both ways.
        bob.send(Command::SendMessage {
            account: BOB.into(),
            to: ALICE.into(),
            body: "after the replay".into(),
            encryption: None,
        });
        let got = alice.expect_message("after the replay").await;
        assert_eq!(got.encryption, Stored::Omemo);
        forger.close().await;
    }
}

/// Changes the base (ephemeral) key of an OMEMO key exchange in place: the
/// legacy PreKeyWhisperMessage's field 2 after its version byte, or OMEMO
/// 2's OMEMOKeyExchange field 4.
fn other_base_key(data: &mut [u8], namespace: Namespace) {
    let (mut at, wanted) = match namespace {
        Namespace::Legacy => (1, 2),
        _ => (0, 4),
    };
    while at < data.len() {
        let tag = data[at];
        at += 1;
        match tag & 7 {
            0 => {
                while data[at] & 0x80 != 0 {
                    at += 1;
                }
                at += 1;
            }
            2 => {
                let len = usize::from(data[at]);
                at += 1;
                if tag >> 3 == wanted {
                    data[at + len - 1] ^= 0x01;
                    return;
                }
                at += len;
            }
            other => panic!("unexpected wire type {other}"),
        }
    }
    panic!("no base key found");
}

/// A key exchange to Alice's (first) legacy device from `device_id` of the
/// forger's account under a brand-new identity key: what a reinstall looks
/// like, and what someone using another's device id looks like.
async fn impostor_key_exchange(
    forger: &sotto_xmpp::Session,
    device_id: u32,
    body: &str,
    held: &std::collections::HashSet<u32>,
) -> sotto_xmpp::xep::omemo::Encrypted {
    let alice: sotto_xmpp::BareJid = ALICE.parse().unwrap();
    let list = forger
        .fetch_device_list(&alice, Namespace::Legacy)
        .await
        .unwrap();
    let target = list.devices[0].id;
    let mut wire = forger
        .fetch_bundle(&alice, target, Namespace::Legacy)
        .await
        .unwrap();
    // Alice republishes without a used prekey on her own time; on a busy
    // server the fetch can see the bundle before that.
    wire.prekeys.retain(|(id, _)| held.contains(id));
    let bundle = sotto_omemo::Bundle::from_wire(
        sotto_omemo::Namespace::Legacy,
        target,
        &wire.identity_key,
        wire.signed_prekey_id,
        &wire.signed_prekey,
        &wire.signature,
        &wire.prekeys,
    )
    .unwrap();
    let identity = sotto_omemo::IdentityKeyPair::generate(&mut rand::rng());
    let encrypted = sotto_omemo::encrypt(
        sotto_omemo::Namespace::Legacy,
        &identity,
        device_id,
        vec![sotto_omemo::Recipient {
            address: sotto_omemo::DeviceAddress::new(ALICE.to_owned(), target),
            session: None,
            bundle: Some(bundle),
        }],
        Some(body.as_bytes()),
        &mut rand::rng(),
    )
    .unwrap();
    let message = encrypted.message;
    sotto_xmpp::xep::omemo::Encrypted {
        namespace: Namespace::Legacy,
        sid: message.sender_device_id,
        iv: message.iv.clone(),
        payload: message.payload.clone(),
        keys: message
            .keys
            .iter()
            .map(|k| sotto_xmpp::xep::omemo::KeyEntry {
                jid: None,
                rid: k.device_id,
                data: k.data.clone(),
                prekey: k.key_exchange,
            })
            .collect(),
    }
}

sotto_tests::on_servers! { [Prosody, Ejabberd]
    /// Finding 4: a known device id that starts a session under another
    /// identity key is a new, undecided identity with a warning — never a
    /// silent (blindly trusted) replacement — and nothing is encrypted to
    /// it until the user decides.
    async fn a_known_device_under_a_new_key_is_undecided_and_told(kind: ServerKind) {
        let server = start_server(kind);
        let mut alice = Profile::new("alice");
        let mut bob = Profile::new("bob");
        omemo_ready(&mut alice, &server, "alice").await;
        bob.login(&server, "bob", "bob-pw").await;
        let ready = bob
            .expect("OMEMO keys published", |e| matches!(e, Event::OmemoReady { .. }))
            .await;
        let Event::OmemoReady { device_id: bob_device, .. } = ready else {
            unreachable!()
        };
        bob.send(Command::SendMessage {
            account: BOB.into(),
            to: ALICE.into(),
            body: "from the real device".into(),
            encryption: Some(Encryption::Omemo),
        });
        alice.expect_message("from the real device").await;
        let _bob = bob.shutdown().await;

        let forger = raw_session(&server, "bob", "bob-pw").await;
        let held = {
            use sotto_omemo::store::PreKeyStore as _;
            let omemo = alice.store.omemo(ALICE);
            omemo.prekeys().unwrap().iter().map(|p| p.id).collect()
        };
        let forged =
            impostor_key_exchange(&forger, bob_device, "ImpostorCanary same id, new key", &held)
                .await;
        alice.forget();
        forger.send(
            sotto_xmpp::xep::omemo::message(
                sotto_xmpp::Jid::from(ALICE.parse::<sotto_xmpp::BareJid>().unwrap()),
                "impostor",
                &[forged],
            )
            .unwrap(),
        );
        let warned = alice
            .expect("the key change is told", |e| {
                matches!(e, Event::OmemoDevice { device, .. }
                    if device.device_id == bob_device && device.problem.is_some())
            })
            .await;
        let Event::OmemoDevice { device, .. } = warned else { unreachable!() };
        assert_eq!(device.trust, sotto_core::OmemoTrust::Undecided, "{device:?}");
        assert!(
            device.problem.as_deref().unwrap_or_default().contains("different key"),
            "{device:?}"
        );
        // Shown as from that device (its trust is what the desktop marks).
        let got = alice.expect_message("ImpostorCanary same id, new key").await;
        assert_eq!(got.sender_device, Some(bob_device));
        // Undecided keys are never written to (`omemo_target`): nothing goes
        // to the new key until the user decides.
        forger.close().await;
    }
}

sotto_tests::on_servers! { [Prosody, Ejabberd]
    /// A contact (or their server) publishing thousands of device ids: only
    /// the first 64 are used, repeated lists do not grow the store, and the
    /// account stays responsive.
    async fn a_device_list_of_thousands_is_capped(kind: ServerKind) {
        use sotto_omemo::store::DeviceListStore as _;
        let server = start_server(kind);
        let mut alice = Profile::new("alice");
        omemo_ready(&mut alice, &server, "alice").await;
        let forger = raw_session(&server, "bob", "bob-pw").await;
        for round in 0..3u32 {
            let devices = (1..=5000)
                .map(|i| sotto_xmpp::xep::omemo::Device { id: round * 10_000 + i, label: None })
                .collect();
            forger
                .publish_device_list(&DeviceList { devices }, Namespace::Legacy)
                .await
                .unwrap();
            alice.send(Command::GetOmemoFingerprints {
                account: ALICE.into(),
                jid: Some(BOB.into()),
            });
            alice
                .expect("Bob's devices listed", |e| {
                    matches!(e, Event::OmemoFingerprints { jid, .. } if jid == BOB)
                })
                .await;
        }
        let omemo = alice.store.omemo(ALICE);
        let stored = omemo
            .device_list(sotto_omemo::Namespace::Legacy, BOB)
            .unwrap();
        let active = stored.iter().filter(|e| e.active).count();
        assert_eq!(active, 64, "used devices");
        assert!(stored.len() <= 128, "stored {} entries", stored.len());
        forger.close().await;
    }
}

sotto_tests::on_servers! { [MinimalProsody]
    /// Finding 17: a server without stream management (Prosody without
    /// `smacks`) gets each message once: written is as far as tracking goes,
    /// and nothing is requeued and sent again.
    async fn without_stream_management_each_message_goes_once(kind: ServerKind) {
        let server = start_server(kind);
        let mut alice = Profile::new("alice");
        let mut bob = Profile::new("bob");
        alice.login(&server, "alice", "alice-pw").await;
        bob.login(&server, "bob", "bob-pw").await;
        for i in 0..5 {
            alice.send_message(ALICE, BOB, &format!("once {i}"));
        }
        for i in 0..5 {
            bob.expect_message(&format!("once {i}")).await;
        }
        tokio::time::sleep(Duration::from_secs(3)).await;
        let got = bob.store.history(BOB, ALICE, None, 100).unwrap();
        assert_eq!(got.len(), 5, "{got:?}");
        let sent = alice.store.history(ALICE, BOB, None, 100).unwrap();
        assert_eq!(sent.len(), 5);
        for m in &sent {
            assert_ne!(m.state, MessageState::Queued, "requeued: {m:?}");
            assert_ne!(m.state, MessageState::Failed, "failed: {m:?}");
        }
        let events = alice.take_seen();
        let requeued = events.iter().filter(|e| {
            matches!(e, Event::MessageStateChanged { state: MessageState::Queued, .. })
        });
        assert_eq!(requeued.count(), 0, "a message was requeued");
    }
}
