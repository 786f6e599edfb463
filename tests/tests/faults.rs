// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! Faults during an OMEMO exchange, with nothing lost: connections cut,
//! delayed (all bytes held back, then delivered) and half-open (held back
//! until the client notices), and a server restart, while two Sotto
//! profiles write to each other. Both stores are checked at the end: every
//! message once, none lost. The figures (faults, time) are printed.

#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use sotto_core::{Command, ConnectionState, Encryption, Event};
use sotto_store::{Direction, Encryption as Stored, MessageState, MessageStore as _};
use sotto_tests::CutProxy;
use sotto_tests::profile::{Profile, server_with};
use sotto_tests::{ServerKind, XmppServer};

const ALICE: &str = "alice@localhost";
const BOB: &str = "bob@localhost";
/// Messages each way.
const N: usize = 200;
/// A fault every this many messages (per direction).
const EVERY: usize = 10;

fn send(profile: &Profile, from: &str, to: &str, body: &str) {
    profile.send(Command::SendMessage {
        account: from.into(),
        to: to.into(),
        body: body.into(),
        encryption: Some(Encryption::Omemo),
    });
}

/// Waits until `profile` stores `count` incoming messages from `peer`;
/// `Err` with how many it has when `within` runs out.
async fn wait_for(
    profile: &mut Profile,
    account: &str,
    peer: &str,
    count: usize,
    within: Duration,
) -> Result<(), usize> {
    let deadline = Instant::now() + within;
    loop {
        let got = profile
            .store
            .history(account, peer, None, 4 * N)
            .unwrap()
            .into_iter()
            .filter(|m| m.direction == Direction::Incoming)
            .count();
        if got >= count {
            return Ok(());
        }
        if Instant::now() >= deadline {
            return Err(got);
        }
        profile.forget();
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// What became of the messages `receiver` lacks: the sender's record of
/// each (state, ids) and whether the receiver's server archive holds it.
async fn diagnose(
    server: &(impl XmppServer + ?Sized),
    sender: (&Profile, &str),
    receiver: (&Profile, &str, &str, &str),
    prefix: &str,
) -> String {
    let (sender, sender_jid) = sender;
    let (receiver, receiver_jid, user, password) = receiver;
    let have: BTreeSet<String> = receiver
        .store
        .history(receiver_jid, sender_jid, None, 4 * N)
        .unwrap()
        .into_iter()
        .filter(|m| m.direction == Direction::Incoming)
        .map(|m| m.body)
        .collect();
    let sent = sender
        .store
        .history(sender_jid, receiver_jid, None, 4 * N)
        .unwrap();
    let missing: Vec<_> = sent
        .iter()
        .filter(|m| m.direction == Direction::Outgoing && m.body.starts_with(prefix))
        .filter(|m| !have.contains(&m.body))
        .collect();
    let raw = sotto_tests::profile::raw_session(server, user, password).await;
    let mut archived = BTreeSet::new();
    let mut page = sotto_xmpp::xep::mam::Page::Latest;
    for _ in 0..20 {
        let Ok(fetched) = raw.archive_page(&page, None, 100).await else {
            break;
        };
        archived.extend(
            fetched
                .messages
                .iter()
                .filter_map(|m| m.origin_id.clone().or(m.id.clone())),
        );
        match fetched.first {
            Some(first) if !fetched.complete => page = sotto_xmpp::xep::mam::Page::Before(first),
            _ => break,
        }
    }
    raw.close().await;
    let lines: Vec<String> = missing
        .iter()
        .map(|m| {
            let id = m
                .origin_id
                .clone()
                .or(m.message_id.clone())
                .unwrap_or_default();
            format!(
                "{} state {:?} id {id} in {receiver_jid}'s archive: {}",
                m.body,
                m.state,
                archived.contains(&id)
            )
        })
        .collect();
    format!("missing at {receiver_jid}: [{}]", lines.join("; "))
}

/// Every message from `peer` with `prefix` arrived exactly once, encrypted.
fn check_received(profile: &Profile, account: &str, peer: &str, prefix: &str) -> bool {
    let history = profile.store.history(account, peer, None, 4 * N).unwrap();
    let got: Vec<_> = history
        .iter()
        .filter(|m| m.direction == Direction::Incoming && m.body.starts_with(prefix))
        .collect();
    let bodies: Vec<_> = got.iter().map(|m| m.body.clone()).collect();
    let unique: BTreeSet<_> = bodies.iter().cloned().collect();
    let expected: BTreeSet<_> = (0..N).map(|i| format!("{prefix} {i:03}")).collect();
    assert_eq!(bodies.len(), N, "{account}: stored once each");
    assert_eq!(unique, expected, "{account}: every message, none other");
    assert!(got.iter().all(|m| m.encryption == Stored::Omemo));
    // In the timeline's order (by time, then id): is it the sending order?
    bodies.iter().zip(bodies.iter().skip(1)).all(|(a, b)| a < b)
}

// Prosody only: on ejabberd 23.01 one of the 400 messages is lost in about
// every run, and `diagnose` shows where: the sender's server acknowledged it
// (XEP-0198), yet the recipient's archive never got it. It is always one of
// the few sent in the ~100 ms before the server is stopped (SIGTERM, a
// graceful stop): ejabberd acknowledges a message once the sender's session
// has routed it, and a stop drops what the recipient's session had not yet
// processed. A server-side loss no client can see (the message stays "sent"
// without a delivery receipt); docs/testing.md records it.
sotto_tests::on_servers! { [Prosody]
    async fn an_omemo_exchange_through_cuts_delays_and_a_restart_loses_nothing(kind: ServerKind) {
        // RUST_LOG=sotto_xmpp=debug,tokio_xmpp=debug shows the streams' side.
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
            .with_test_writer()
            .try_init();
        let mut server = server_with(kind, &[("alice", "alice-pw"), ("bob", "bob-pw")]);
        let proxy = CutProxy::start(server.c2s_port()).await.unwrap();
        let mut alice = Profile::new("alice");
        let mut bob = Profile::new("bob");
        alice.login_through(&server, "alice", "alice-pw", proxy.port()).await;
        alice.expect("OMEMO ready", |e| matches!(e, Event::OmemoReady { .. })).await;
        bob.login(&server, "bob", "bob-pw").await;
        send(&alice, ALICE, BOB, "hello");
        bob.expect_message("hello").await;
        send(&bob, BOB, ALICE, "hello back");
        alice.expect_message("hello back").await;

        let started = Instant::now();
        let (mut cuts, mut delays, mut restarts) = (0, 0, 0);
        for i in 0..N {
            send(&alice, ALICE, BOB, &format!("a2b {i:03}"));
            send(&bob, BOB, ALICE, &format!("b2a {i:03}"));
            if i % EVERY == EVERY - 1 {
                if i == N / 2 - 1 {
                    server.restart().unwrap();
                    restarts += 1;
                } else if (i / EVERY).is_multiple_of(2) {
                    proxy.cut_all();
                    cuts += 1;
                } else {
                    proxy.set_stalled(true);
                    tokio::time::sleep(Duration::from_millis(1500)).await;
                    proxy.set_stalled(false);
                    delays += 1;
                }
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        if let Err(got) = wait_for(&mut bob, BOB, ALICE, N + 1, Duration::from_secs(150)).await {
            let why = diagnose(&server, (&alice, ALICE), (&bob, BOB, "bob", "bob-pw"), "a2b").await;
            panic!("{BOB}: only {got} of {} from {ALICE}; {why}", N + 1);
        }
        if let Err(got) = wait_for(&mut alice, ALICE, BOB, N + 1, Duration::from_secs(150)).await {
            let why = diagnose(&server, (&bob, BOB), (&alice, ALICE, "alice", "alice-pw"), "b2a").await;
            panic!("{ALICE}: only {got} of {} from {BOB}; {why}", N + 1);
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
        let bob_in_order = check_received(&bob, BOB, ALICE, "a2b");
        let alice_in_order = check_received(&alice, ALICE, BOB, "b2a");
        // Every message each sent ends acknowledged or delivered.
        for (profile, account, peer) in [(&alice, ALICE, BOB), (&bob, BOB, ALICE)] {
            let mine: Vec<_> = profile
                .store
                .history(account, peer, None, 4 * N)
                .unwrap()
                .into_iter()
                .filter(|m| m.direction == Direction::Outgoing)
                .collect();
            assert_eq!(mine.len(), N + 1, "{account}: each sent message stored once");
            let open: Vec<_> = mine
                .iter()
                .filter(|m| !matches!(m.state, MessageState::Acked | MessageState::Delivered | MessageState::Sent))
                .collect();
            assert!(open.is_empty(), "{account}: not sent: {open:?}");
        }
        eprintln!(
            "{kind:?}: {N} OMEMO messages each way, {cuts} cuts, {delays} delays of 1.5 s, \
             {restarts} server restart: 0 lost, 0 duplicated, in {:.1?}; in sending order: \
             at Bob {bob_in_order}, at Alice {alice_in_order}; proxy connections {}",
            started.elapsed(),
            proxy.accepted()
        );
        alice.shutdown().await;
        bob.shutdown().await;
    }
}

/// Alice (through a proxy, stalled once both are online) and Bob, on a
/// Prosody of their own.
async fn stalled_pair() -> (sotto_tests::TestServer, CutProxy, Profile, Profile) {
    let server = server_with(
        ServerKind::Prosody,
        &[("alice", "alice-pw"), ("bob", "bob-pw")],
    );
    let proxy = CutProxy::start(server.c2s_port()).await.unwrap();
    let mut alice = Profile::new("alice");
    let mut bob = Profile::new("bob");
    alice
        .login_through(&server, "alice", "alice-pw", proxy.port())
        .await;
    bob.login(&server, "bob", "bob-pw").await;
    alice.forget();
    proxy.set_stalled(true);
    (server, proxy, alice, bob)
}

/// Waits until Alice's session gives up its connection and connects anew.
async fn reconnecting(alice: &mut Profile, what: &str, within: Duration) {
    alice
        .expect_within(what, within, |e| {
            matches!(
                e,
                Event::Connection {
                    state: ConnectionState::Connecting,
                    ..
                }
            )
        })
        .await;
}

/// A connection that stops carrying bytes without closing (a half-open TCP
/// connection, a dead NAT entry) is noticed by the liveness check (40 s of
/// silence, then 20 s for an answer) and replaced; what was written meanwhile
/// is sent again and arrives once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_half_open_connection_is_noticed_and_nothing_is_lost() {
    let (_server, proxy, mut alice, mut bob) = stalled_pair().await;
    let stalled = Instant::now();
    for i in 0..5 {
        alice.send_message(ALICE, BOB, &format!("half-open {i}"));
    }
    // Detected: the session reconnects (through the proxy, whose new
    // connections are held back too until the old one is given up).
    reconnecting(
        &mut alice,
        "the dead connection noticed",
        Duration::from_secs(90),
    )
    .await;
    let detected = stalled.elapsed();
    proxy.set_stalled(false);
    for i in 0..5 {
        bob.expect_message(&format!("half-open {i}")).await;
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(
        bob.store.count_messages(BOB, ALICE).unwrap(),
        5,
        "each once"
    );
    eprintln!("half-open connection noticed after {detected:.1?}");
    assert!(detected <= Duration::from_secs(75), "{detected:?}");
}

/// A request to our own server that stays unanswered on a stream that was
/// up the whole time (Prosody after two resumptions raced; here a silent
/// network) ends that stream after the request's 30 s, without waiting for
/// the 60 s of the silence check; what was written meanwhile arrives once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unanswered_request_to_our_server_ends_a_dead_stream_sooner() {
    let (_server, proxy, mut alice, mut bob) = stalled_pair().await;
    let stalled = Instant::now();
    alice.send_message(ALICE, BOB, "while nobody answers");
    // A roster change: an IQ only our server answers.
    alice.send(Command::AddContact {
        account: ALICE.into(),
        jid: "carol@localhost".into(),
        name: None,
        groups: Vec::new(),
    });
    reconnecting(
        &mut alice,
        "the dead stream given up",
        Duration::from_secs(55),
    )
    .await;
    let detected = stalled.elapsed();
    proxy.set_stalled(false);
    bob.expect_message("while nobody answers").await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(bob.store.count_messages(BOB, ALICE).unwrap(), 1, "once");
    eprintln!("unanswered request: stream given up after {detected:.1?}");
    assert!(
        detected >= Duration::from_secs(29) && detected < Duration::from_secs(50),
        "{detected:?}"
    );
    alice.shutdown().await;
    bob.shutdown().await;
}
