// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! Discover before use: after login the core tells the front ends, once, what
//! the server lacks, and never sends a request for a missing feature, so
//! nothing waits for an answer that cannot come. Run on Prosody, ejabberd and
//! the minimal Prosody (no PEP, MAM, stream management or carbons).

#![allow(clippy::unwrap_used)]

use std::time::{Duration, Instant};

use sotto_core::{Command, Event, MissingFeature};
use sotto_tests::ServerKind;
use sotto_tests::profile::{Profile, server_with};

const ALICE: &str = "alice@localhost";
const BOB: &str = "bob@localhost";

/// What every request to a feature the server lacks would cost if it were
/// sent anyway: the IQ timeout of the session (30 s). Staying well below it
/// shows that no such request was waited for; this is not a speed goal.
const NO_IQ_TIMEOUT: Duration = Duration::from_secs(10);

sotto_tests::on_servers! { [Prosody, Ejabberd, MinimalProsody]
    async fn login_reports_what_the_server_lacks(kind: ServerKind) {
        let server = server_with(kind, &[("alice", "alice-pw")]);
        let mut alice = Profile::new("alice");
        alice.login(&server, "alice", "alice-pw").await;
        let Event::ServerFeatures { account, missing } = alice
            .expect("server features", |e| matches!(e, Event::ServerFeatures { .. }))
            .await
        else {
            unreachable!()
        };
        assert_eq!(account, ALICE);
        let expected = match kind {
            ServerKind::Prosody | ServerKind::Ejabberd => vec![],
            ServerKind::MinimalProsody => vec![
                MissingFeature::Pep,
                MissingFeature::Mam,
                MissingFeature::Carbons,
                MissingFeature::StreamManagement,
            ],
        };
        assert_eq!(missing, expected, "{kind:?}");
        // Every explanation is a sentence a person can act on.
        for feature in missing {
            assert!(feature.explain().starts_with("this server"), "{feature:?}");
        }
        alice.shutdown().await;
    }

    async fn chat_and_history_never_wait_for_missing_features(kind: ServerKind) {
        let server = server_with(kind, &[("alice", "alice-pw"), ("bob", "bob-pw")]);
        let mut alice = Profile::new("alice");
        let mut bob = Profile::new("bob");
        let started = Instant::now();
        alice.login(&server, "alice", "alice-pw").await;
        bob.login(&server, "bob", "bob-pw").await;
        for profile in [&mut alice, &mut bob] {
            profile
                .expect("server features", |e| matches!(e, Event::ServerFeatures { .. }))
                .await;
        }
        assert!(
            started.elapsed() < NO_IQ_TIMEOUT,
            "{kind:?}: two logins took {:?}",
            started.elapsed()
        );

        // A stranger's message, with no OMEMO devices known for either side:
        // plain, at once, on every server.
        let sent = Instant::now();
        alice.send_message(ALICE, BOB, "hello from any server");
        let received = bob.expect_message("hello from any server").await;
        assert_eq!(received.peer, ALICE);
        bob.send_message(BOB, ALICE, "and back");
        alice.expect_message("and back").await;
        assert!(
            sent.elapsed() < NO_IQ_TIMEOUT,
            "{kind:?}: a round trip took {:?}",
            sent.elapsed()
        );

        // Scrolling back past the stored history asks the archive only where
        // there is one; without it the stored page comes back at once.
        let asked = Instant::now();
        alice.send(Command::LoadOlder {
            account: ALICE.into(),
            peer: BOB.into(),
            before: i64::MAX,
            limit: 50,
        });
        let Event::HistoryPage { messages, .. } = alice
            .expect("history page", |e| matches!(e, Event::HistoryPage { .. }))
            .await
        else {
            unreachable!()
        };
        assert!(
            messages.iter().any(|m| m.body == "and back"),
            "{kind:?}: {messages:?}"
        );
        assert!(asked.elapsed() < NO_IQ_TIMEOUT, "{kind:?}: {:?}", asked.elapsed());
        alice.shutdown().await;
        bob.shutdown().await;
    }
}
