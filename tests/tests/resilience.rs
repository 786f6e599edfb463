// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! Dropped connections and server restarts: nothing lost, nothing duplicated.

#![allow(clippy::unwrap_used)]

use std::collections::HashSet;
use std::time::Duration;

use sotto_core::{ConnectionState, Event};
use sotto_store::{MessageState, MessageStore};
use sotto_tests::CutProxy;
use sotto_tests::profile::{Profile, server_with};
use sotto_tests::{ServerKind, XmppServer};

const ALICE: &str = "alice@localhost";
const BOB: &str = "bob@localhost";

sotto_tests::on_servers! { [Prosody, Ejabberd]
    async fn connection_cut_in_a_500_message_burst_loses_and_duplicates_nothing(kind: ServerKind) {
        // RUST_LOG=tokio_xmpp=debug shows the stream's side when this fails.
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
            .with_test_writer()
            .try_init();
        let server = server_with(kind, &[("alice", "alice-pw"), ("bob", "bob-pw")]);
        let proxy = CutProxy::start(server.c2s_port()).await.unwrap();
        let mut alice = Profile::new("alice");
        let mut bob = Profile::new("bob");
        let bound = alice.login_through(&server, "alice", "alice-pw", proxy.port()).await;
        bob.login(&server, "bob", "bob-pw").await;

        const N: usize = 500;
        for i in 0..N / 2 {
            alice.send_message(ALICE, BOB, &format!("burst {i:03}"));
        }
        // Cut the connection once Bob has part of the burst.
        let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
        while bob.store.count_messages(BOB, ALICE).unwrap() < 100 {
            assert!(
                tokio::time::Instant::now() < deadline,
                "burst did not start"
            );
            bob.forget();
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        proxy.cut_all();
        // The second half is written while the stream is down or resuming.
        for i in N / 2..N {
            alice.send_message(ALICE, BOB, &format!("burst {i:03}"));
        }
        let resumed = alice
            .expect("resumption", |e| {
                matches!(
                    e,
                    Event::Connection {
                        state: ConnectionState::Online { .. },
                        ..
                    }
                )
            })
            .await;
        assert!(
            matches!(
                resumed,
                Event::Connection {
                    state: ConnectionState::Online { resumed: true, .. },
                    ..
                }
            ),
            "the stream is resumed (XEP-0198), not restarted: {resumed:?}"
        );
        assert!(
            matches!(&resumed, Event::Connection { state: ConnectionState::Online { jid, .. }, .. } if *jid == bound),
            "resumption keeps the bound JID {bound}: {resumed:?}"
        );
        // Usually all arrive within seconds. Once (in CI) the resumed stream
        // stalled: nothing was acknowledged for 90 s. A stalled stream is
        // dropped by the liveness check (40 s of silence, then 20 s for an
        // answer) and the session reconnects; the core re-sends what was not
        // acknowledged. The deadline covers that recovery, which must lose and
        // duplicate nothing either.
        let deadline = tokio::time::Instant::now() + Duration::from_secs(180);
        loop {
            let count = bob.store.count_messages(BOB, ALICE).unwrap();
            if count >= N as u64 {
                break;
            }
            if tokio::time::Instant::now() > deadline {
                let mut states = std::collections::BTreeMap::new();
                for m in alice.store.history(ALICE, BOB, None, 2 * N).unwrap() {
                    *states.entry(format!("{:?}", m.state)).or_insert(0) += 1;
                }
                let events: Vec<_> = alice
                    .seen
                    .iter()
                    .filter(|e| matches!(e, Event::Connection { .. }))
                    .collect();
                panic!(
                    "only {count} of {N} arrived; alice's states {states:?}; connection events {events:?}"
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        // Give stragglers (duplicates, if any) a moment to show up.
        tokio::time::sleep(Duration::from_secs(2)).await;
        let history = bob.store.history(BOB, ALICE, None, 2 * N).unwrap();
        let bodies: Vec<_> = history.iter().map(|m| m.body.clone()).collect();
        let unique: HashSet<_> = bodies.iter().cloned().collect();
        assert_eq!(
            bodies.len(),
            N,
            "stored exactly once each (resumed: {resumed:?})"
        );
        assert_eq!(unique.len(), N);
        let expected: HashSet<_> = (0..N).map(|i| format!("burst {i:03}")).collect();
        assert_eq!(unique, expected, "every message of the burst, none other");
        // Messages in flight when the connection dropped may be re-sent by the
        // core after newer ones were queued (see the issue note): arrival order
        // across a cut is not asserted, only that nothing is lost or doubled.

        // Every message of Alice's ends acknowledged by the server or delivered.
        let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
        loop {
            let mine = alice.store.history(ALICE, BOB, None, 2 * N).unwrap();
            assert_eq!(mine.len(), N);
            let pending = mine
                .iter()
                .filter(|m| !matches!(m.state, MessageState::Acked | MessageState::Delivered))
                .count();
            if pending == 0 {
                break;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "{pending} messages never acknowledged"
            );
            alice.forget();
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert!(
            proxy.accepted() >= 2,
            "the client reconnected through the proxy"
        );
        alice.shutdown().await;
        bob.shutdown().await;
    }

    async fn server_restart_reconnects_and_sends_the_offline_queue_in_order(kind: ServerKind) {
        let mut server = server_with(kind, &[("alice", "alice-pw"), ("bob", "bob-pw")]);
        let mut alice = Profile::new("alice");
        let mut bob = Profile::new("bob");
        alice.login(&server, "alice", "alice-pw").await;
        bob.login(&server, "bob", "bob-pw").await;
        alice.forget();
        bob.forget();

        server.stop().unwrap();
        // Up to 45 s: the account task still awaits IQ answers inline (issue
        // 13's note, issue 14's reshape), so a login-time archive request
        // that the stopped server never answers delays "connection lost" by
        // its 30 s timeout (seen once under the full suite's load on ejabberd).
        alice
            .expect_within("connection lost", Duration::from_secs(45), |e| {
                matches!(
                    e,
                    Event::Connection {
                        state: ConnectionState::Offline {
                            retry_in_ms: Some(_),
                            ..
                        } | ConnectionState::Connecting,
                        ..
                    }
                )
            })
            .await;
        for i in 0..3 {
            alice.send_message(ALICE, BOB, &format!("queued {i}"));
            let queued = alice.expect_message(&format!("queued {i}")).await;
            assert_eq!(queued.state, MessageState::Queued);
        }
        server.restart().unwrap();
        for profile in [&mut alice, &mut bob] {
            let online = profile
                .expect("back online", |e| {
                    matches!(
                        e,
                        Event::Connection {
                            state: ConnectionState::Online { .. },
                            ..
                        }
                    )
                })
                .await;
            assert!(
                matches!(
                    online,
                    Event::Connection {
                        state: ConnectionState::Online { resumed: false, .. },
                        ..
                    }
                ),
                "a restarted server cannot resume: {online:?}"
            );
        }
        for i in 0..3 {
            bob.expect_message(&format!("queued {i}")).await;
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
        let bodies: Vec<_> = bob
            .store
            .history(BOB, ALICE, None, 10)
            .unwrap()
            .into_iter()
            .map(|m| m.body)
            .collect();
        assert_eq!(bodies, vec!["queued 0", "queued 1", "queued 2"]);
        alice.shutdown().await;
        bob.shutdown().await;
    }
}
