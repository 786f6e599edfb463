// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! A Sotto profile and C libotr chat in OTR over a real server (Prosody,
//! ejabberd, the minimal Prosody), both ways:
//! libotr sits behind a plain XMPP session (what Pidgin does), started by
//! either side, v3 and v2-only.

#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::time::Duration;

use sotto_core::{Command, Encryption, Event, OtrSessionState, OtrTrust};
use sotto_store::Encryption as Stored;
use sotto_tests::libotr::{LibotrPeer, PeerEvent, Versions};
use sotto_tests::profile::{Profile, server_with};
use sotto_tests::{ServerKind, TestServer, XmppServer};
use sotto_xmpp::xep::{message, presence};
use sotto_xmpp::{
    CertFingerprint, DirectTransport, Jid, Session, SessionConfig, SessionEvent, Target,
};
use tokio::sync::mpsc::UnboundedReceiver;

const ALICE: &str = "alice@localhost";

/// A plain XMPP session for `user`, with its events.
async fn xmpp_peer(server: &TestServer, user: &str) -> (Session, UnboundedReceiver<SessionEvent>) {
    let (session, mut events) = Session::start(SessionConfig {
        jid: server.jid(user).parse().unwrap(),
        resource: "pidgin".into(),
        password: sotto_xmpp::Password::new(format!("{user}-pw")),
        target: Target {
            domain: server.domain().into(),
            host: Some("127.0.0.1".into()),
            port: Some(server.c2s_port()),
            direct_tls: false,
        },
        pinned_cert: CertFingerprint::parse(&server.cert_sha256()),
        transport: Arc::new(DirectTransport),
        scram_only: false,
    })
    .unwrap();
    loop {
        match events.recv().await.unwrap() {
            SessionEvent::Online { .. } => break,
            SessionEvent::Stopped { error } => panic!("{user} could not log in: {error}"),
            _ => {}
        }
    }
    // Available, so messages to the bare JID reach this client.
    session.send_presence(presence::own(None, None, false));
    (session, events)
}

/// Relays between the XMPP session and libotr (as a libotr client does)
/// until libotr shows `want` as plaintext. Returns the events seen.
async fn relay_until(
    session: &Session,
    events: &mut UnboundedReceiver<SessionEvent>,
    peer: &mut LibotrPeer,
    want: Option<&str>,
    until_event: Option<PeerEvent>,
) -> Vec<PeerEvent> {
    let mut seen = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let event = tokio::time::timeout_at(deadline, events.recv())
            .await
            .unwrap_or_else(|_| {
                panic!("libotr never saw {want:?} / {until_event:?}; events {seen:?}")
            })
            .unwrap();
        let SessionEvent::Message(m) = event else {
            continue;
        };
        let Some(body) = m.body.clone() else { continue };
        let received = peer.receive(ALICE, &body).unwrap();
        for wire in &received.to_send {
            let id = uuid_like();
            session.send(message::chat(m.from.clone(), &id, wire));
        }
        seen.extend(received.events.clone());
        let got_text = want.is_some() && received.plaintext.as_deref() == want;
        let got_event = until_event.as_ref().is_some_and(|e| received.has(e));
        if got_text || got_event {
            return seen;
        }
    }
}

fn uuid_like() -> String {
    format!("t{}", rand::random::<u64>())
}

fn encrypted_with(prefix: String) -> impl Fn(&Event) -> bool {
    move |e| {
        matches!(e, Event::OtrState { jid, state: OtrSessionState::Encrypted { .. }, .. }
            if jid.starts_with(&prefix))
    }
}

sotto_tests::on_servers! { [Prosody, Ejabberd, MinimalProsody]
    async fn sotto_and_libotr_chat_over_xmpp_both_ways(kind: ServerKind) {
        let server = server_with(kind, &[
            ("alice", "alice-pw"),
            ("carol", "carol-pw"),
            ("dave", "dave-pw"),
        ]);
        let mut alice = Profile::new("alice");
        alice.login(&server, "alice", "alice-pw").await;
        let (carol_session, mut carol_events) = xmpp_peer(&server, "carol").await;

        // Alice used Pidgin before: her libotr key file and her verified
        // fingerprint of Carol are imported. Carol (libotr) had verified that key.
        let pidgin = sotto_tests::TestDir::new("pidgin").unwrap();
        let old_alice_fingerprint = {
            let mut old = LibotrPeer::spawn_in(ALICE, Versions::Both, pidgin.path()).unwrap();
            old.fingerprint().unwrap()
        };
        let hex = |human: &str| -> String {
            human
                .chars()
                .filter(|c| !c.is_whitespace())
                .collect::<String>()
                .to_lowercase()
        };
        let carol_dir = sotto_tests::TestDir::new("carol-otr").unwrap();
        std::fs::write(
            carol_dir.join("otr.fingerprints"),
            format!(
                "{ALICE}\tcarol@localhost\t{}\t{}\tverified\n",
                sotto_tests::libotr::PROTOCOL,
                hex(&old_alice_fingerprint)
            ),
        )
        .unwrap();
        let mut carol =
            LibotrPeer::spawn_in("carol@localhost", Versions::Both, carol_dir.path()).unwrap();
        let carol_fingerprint = carol.fingerprint().unwrap();
        std::fs::write(
            pidgin.join("otr.fingerprints"),
            format!(
                "carol@localhost\t{ALICE}\tprpl-jabber\t{}\tverified\n",
                hex(&carol_fingerprint)
            ),
        )
        .unwrap();
        alice.send(Command::ImportOtr {
            account: ALICE.into(),
            dir: pidgin.path().display().to_string(),
        });
        match alice
            .expect("import", |e| {
                matches!(e, Event::OtrImported { .. } | Event::CommandFailed { .. })
            })
            .await
        {
            Event::OtrImported {
                fingerprint,
                contacts,
                ..
            } => {
                assert_eq!(fingerprint, old_alice_fingerprint, "the Pidgin identity");
                assert_eq!(contacts, 1);
            }
            other => panic!("import failed: {other:?}"),
        }

        // Sotto starts with Carol (libotr, v3 and v2): the message waits for
        // the session, then reaches libotr decrypted.
        alice.send(Command::SendMessage {
            account: ALICE.into(),
            to: "carol@localhost".into(),
            body: "hello libotr".into(),
            encryption: Some(Encryption::Otr),
        });
        relay_until(
            &carol_session,
            &mut carol_events,
            &mut carol,
            Some("hello libotr"),
            None,
        )
        .await;
        let state = alice
            .expect("OTR with Carol", encrypted_with("carol@localhost/".into()))
            .await;
        let Event::OtrState {
            state:
                OtrSessionState::Encrypted {
                    fingerprint,
                    version,
                    trust,
                    ..
                },
            ..
        } = state
        else {
            unreachable!()
        };
        assert_eq!(fingerprint, carol_fingerprint, "Sotto sees libotr's key");
        assert_eq!(version, 3);
        assert_eq!(trust, OtrTrust::Fingerprint, "verified in Pidgin, imported");
        let (alice_seen_by_carol, trusted) = carol.peer_fingerprint(ALICE).unwrap().unwrap();
        assert_eq!(alice_seen_by_carol, old_alice_fingerprint);
        assert!(
            trusted,
            "Carol recognises the imported key as the one she verified"
        );
        alice.send(Command::GetOtrFingerprints {
            account: ALICE.into(),
        });
        let own = match alice
            .expect("fingerprints", |e| {
                matches!(e, Event::OtrFingerprints { .. })
            })
            .await
        {
            Event::OtrFingerprints { own, .. } => own,
            _ => unreachable!(),
        };
        assert_eq!(alice_seen_by_carol, own, "libotr sees Sotto's key");

        // libotr answers, a burst of 3 before Sotto says anything.
        for i in 0..3 {
            for wire in carol.send(ALICE, &format!("from libotr {i}")).unwrap() {
                carol_session.send(message::chat(
                    ALICE.parse::<Jid>().unwrap(),
                    &uuid_like(),
                    &wire,
                ));
            }
        }
        for i in 0..3 {
            let got = alice.expect_message(&format!("from libotr {i}")).await;
            assert_eq!(got.encryption, Stored::Otr);
        }
        // And Sotto replies inside the session.
        alice.send_message(ALICE, "carol@localhost", "reply from sotto");
        relay_until(
            &carol_session,
            &mut carol_events,
            &mut carol,
            Some("reply from sotto"),
            None,
        )
        .await;
        // Sotto ends the session: libotr learns it (TLV 1).
        alice.send(Command::OtrEnd {
            account: ALICE.into(),
            jid: "carol@localhost".into(),
        });
        relay_until(
            &carol_session,
            &mut carol_events,
            &mut carol,
            None,
            Some(PeerEvent::Tlv(1)),
        )
        .await;

        // Dave: a v2-only libotr client starts, by query.
        let (dave_session, mut dave_events) = xmpp_peer(&server, "dave").await;
        let mut dave = LibotrPeer::spawn("dave@localhost", Versions::V2).unwrap();
        let query = dave.query(ALICE).unwrap();
        dave_session.send(message::chat(
            ALICE.parse::<Jid>().unwrap(),
            &uuid_like(),
            &query,
        ));
        let seen = relay_until(
            &dave_session,
            &mut dave_events,
            &mut dave,
            None,
            Some(PeerEvent::GoneSecure),
        )
        .await;
        assert!(seen.contains(&PeerEvent::GoneSecure));
        let state = alice
            .expect("OTR with Dave", encrypted_with("dave@localhost/".into()))
            .await;
        assert!(
            matches!(
                state,
                Event::OtrState {
                    state: OtrSessionState::Encrypted { version: 2, .. },
                    ..
                }
            ),
            "v2 with a v2-only client: {state:?}"
        );
        for wire in dave.send(ALICE, "v2 hello").unwrap() {
            dave_session.send(message::chat(
                ALICE.parse::<Jid>().unwrap(),
                &uuid_like(),
                &wire,
            ));
        }
        assert_eq!(
            alice.expect_message("v2 hello").await.encryption,
            Stored::Otr
        );
        alice.send_message(ALICE, "dave@localhost", "v2 reply");
        relay_until(
            &dave_session,
            &mut dave_events,
            &mut dave,
            Some("v2 reply"),
            None,
        )
        .await;
        alice.shutdown().await;
    }
}
