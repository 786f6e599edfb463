// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! The two sides of `omemo_interop.rs`: Sotto as alice (profiles driven
//! through the core's commands and events) and the slixmpp peer as bob, with
//! helpers that wait for what each side shows and fail early, with the
//! reason, when a message cannot be read.

use std::time::Duration;

use sotto_core::{Command, Event, OmemoDevice};
use sotto_omemo::Namespace;
use sotto_omemo::store::DeviceListStore;
use sotto_store::{MessageRecord, MessageState, Subscription};
use sotto_tests::profile::{Profile, server_with};
use sotto_tests::xmpp_peer::{PeerEvent, ReceivedMessage, XmppPeer};
use sotto_tests::{ServerKind, TestServer};

pub const ALICE: &str = "alice@localhost";
pub const BOB: &str = "bob@localhost";
/// How long the peer may take to show something (Sotto's side waits
/// `sotto_tests::profile::WAIT`).
pub const WAIT: Duration = Duration::from_secs(20);

/// A server of `kind` with alice (Sotto) and bob (the slixmpp peer).
pub fn prosody(kind: ServerKind) -> TestServer {
    server_with(kind, &[("alice", "alice-pw"), ("bob", "bob-pw")])
}

/// A new Sotto profile logged in as alice; returns it with its OMEMO device
/// id once its keys are published.
pub async fn sotto(prosody: &TestServer, name: &str) -> (Profile, u32) {
    let mut profile = Profile::new(name);
    profile.login(prosody, "alice", "alice-pw").await;
    let device_id = omemo_ready(&mut profile).await;
    (profile, device_id)
}

/// Waits for `OmemoReady` (queued by `Profile::login`); returns the device id.
pub async fn omemo_ready(profile: &mut Profile) -> u32 {
    match profile
        .expect(
            "OMEMO ready",
            |e| matches!(e, Event::OmemoReady { account, .. } if account == ALICE),
        )
        .await
    {
        Event::OmemoReady { device_id, .. } => device_id,
        _ => unreachable!(),
    }
}

/// A new slixmpp peer logged in as `bob@localhost/<resource>` with a fresh
/// device; returns it with its device id.
pub async fn peer(prosody: &TestServer, resource: &str) -> (XmppPeer, u32) {
    let peer = XmppPeer::connected(prosody, &format!("{BOB}/{resource}"), "bob-pw")
        .await
        .unwrap();
    let device_id = peer.device_id().unwrap();
    (peer, device_id)
}

/// Sotto writes `body` to bob with the default encryption; returns the
/// stored message once the server has acknowledged it. Fails at once if
/// the message failed.
pub async fn sotto_sends(profile: &mut Profile, body: &str) -> MessageRecord {
    profile.send_message(ALICE, BOB, body);
    let record = profile.expect_message(body).await;
    let id = record.id;
    let outcome = profile
        .expect("the server's ack", |e| {
            matches!(e, Event::MessageStateChanged { id: i, state, .. }
                if *i == id && matches!(state, MessageState::Acked | MessageState::Delivered | MessageState::Failed))
        })
        .await;
    assert!(
        !matches!(
            outcome,
            Event::MessageStateChanged {
                state: MessageState::Failed,
                ..
            }
        ),
        "Sotto could not send {body:?}; events: {:#?}",
        profile.seen
    );
    record
}

/// Waits until Sotto stores a message with `body`; fails at once if an
/// OMEMO message could not be decrypted meanwhile.
pub async fn sotto_reads(profile: &mut Profile, body: &str) -> MessageRecord {
    let event = profile
        .expect(&format!("message {body:?}"), |e| {
            matches!(e, Event::MessageAdded { message, .. } if message.body == body)
                || matches!(e, Event::OmemoUnreadable { .. })
        })
        .await;
    match event {
        Event::MessageAdded { message, .. } => message,
        other => panic!("Sotto could not read {body:?}: {other:?}"),
    }
}

/// Waits until the peer shows a message with `text`; fails at once if a
/// message with a payload did not decrypt.
pub async fn peer_reads(peer: &mut XmppPeer, text: &str) -> ReceivedMessage {
    let event = peer
        .wait_event(WAIT, &format!("message {text:?}"), |e| match e {
            PeerEvent::Message(m) => m.text == text,
            PeerEvent::Undecryptable(u) => u.has_payload,
            _ => false,
        })
        .await
        .unwrap();
    match event {
        PeerEvent::Message(m) => m,
        other => panic!("{} could not read {text:?}: {other:?}", peer.jid),
    }
}

/// Asks Sotto for the OMEMO devices of `jid` (alice's other devices when
/// `None`), fetched afresh from the server.
pub async fn fingerprints(profile: &mut Profile, jid: Option<&str>) -> Vec<OmemoDevice> {
    profile.send(Command::GetOmemoFingerprints {
        account: ALICE.into(),
        jid: jid.map(str::to_owned),
    });
    let whose = jid.unwrap_or(ALICE).to_owned();
    match profile
        .expect(
            &format!("the OMEMO devices of {whose}"),
            |e| matches!(e, Event::OmemoFingerprints { jid, .. } if *jid == whose),
        )
        .await
    {
        Event::OmemoFingerprints { devices, .. } => devices,
        _ => unreachable!(),
    }
}

/// The ids Sotto's store lists for `jid` in `ns`, with whether each is active.
pub fn stored_list(profile: &Profile, ns: Namespace, jid: &str) -> Vec<(u32, bool)> {
    profile
        .store
        .omemo(ALICE)
        .device_list(ns, jid)
        .unwrap()
        .into_iter()
        .map(|e| (e.device_id, e.active))
        .collect()
}

/// Waits until Sotto's stored device lists of bob, in both namespaces, are
/// exactly `expected` (id, active). Nothing here asks the server: only a PEP
/// notification can change them while Sotto is idle.
pub async fn until_bob_listed(profile: &Profile, expected: &[(u32, bool)]) {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let lists = [Namespace::Omemo2, Namespace::Legacy].map(|ns| stored_list(profile, ns, BOB));
        if lists.iter().all(|l| l == expected) {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "Sotto's lists of Bob's devices (OMEMO 2, legacy) stayed {lists:?}, expected {expected:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Mutual presence subscription between Sotto and bob's peers: Sotto asks,
/// the peer approves and asks back (slixmpp's defaults), Sotto approves.
pub async fn befriend(profile: &mut Profile) {
    profile.send(Command::AddContact {
        account: ALICE.into(),
        jid: BOB.into(),
        name: Some("Bob".into()),
        groups: Vec::new(),
    });
    profile
        .expect(
            "Bob asking back",
            |e| matches!(e, Event::SubscriptionRequest { from, .. } if from == BOB),
        )
        .await;
    profile.send(Command::AnswerSubscription {
        account: ALICE.into(),
        jid: BOB.into(),
        approve: true,
    });
    profile
        .expect("mutual subscription", |e| {
            matches!(e, Event::RosterItemChanged { item, .. }
                if item.jid == BOB && item.subscription == Subscription::Both)
        })
        .await;
}

/// Whether two fingerprints are the same key (Sotto groups by eight, the
/// peer prints 64 digits).
pub fn same_fingerprint(a: &str, b: &str) -> bool {
    let norm = |s: &str| -> String {
        s.chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_lowercase()
    };
    !a.is_empty() && norm(a) == norm(b)
}
