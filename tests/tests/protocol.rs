// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! Protocol behaviour seen from another client: disco/caps, ping, unknown
//! requests, malformed stanzas (logged without content), several accounts in
//! one profile, and older history fetched from the archive on demand.

#![allow(clippy::unwrap_used)]

use std::io::Write;
use std::sync::{Arc, Mutex};

use sotto_core::{Command, Event};
use sotto_store::MessageStore;
use sotto_tests::profile::{Profile, prosody_with, raw_session};
use sotto_xmpp::{IqPayloadKind, Jid};
use xmpp_parsers::disco::{DiscoInfoQuery, DiscoInfoResult};
use xmpp_parsers::minidom::Element;

const ALICE: &str = "alice@localhost";
const BOB: &str = "bob@localhost";

/// Everything logged by this test binary, at debug level and above.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_disco_and_ping_refuses_unknown_and_ignores_malformed_without_logging_content() {
    let logs = Captured::default();
    let writer = logs.clone();
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::DEBUG)
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .try_init()
        .unwrap();

    let prosody = prosody_with(&[("alice", "Secret-Password-1"), ("mallory", "mallory-pw")]);
    let mut alice = Profile::new("alice");
    let alice_full: Jid = alice
        .login(&prosody, "alice", "Secret-Password-1")
        .await
        .parse()
        .unwrap();
    let mallory = raw_session(&prosody, "mallory", "mallory-pw").await;

    let info = mallory
        .request(
            Some(alice_full.clone()),
            IqPayloadKind::Get(DiscoInfoQuery { node: None }.into()),
            "disco",
        )
        .await
        .unwrap()
        .unwrap();
    let info = DiscoInfoResult::try_from(info).unwrap();
    for feature in [
        "urn:xmpp:receipts",
        "urn:xmpp:carbons:2",
        "urn:xmpp:ping",
        "http://jabber.org/protocol/chatstates",
    ] {
        assert!(
            info.features.contains(feature),
            "{feature} missing from {:?}",
            info.features
        );
    }
    assert!(info.identities.iter().any(|i| i.category == "client"));
    let ping: Element = "<ping xmlns='urn:xmpp:ping'/>".parse().unwrap();
    assert!(
        mallory
            .request(Some(alice_full.clone()), IqPayloadKind::Get(ping), "ping")
            .await
            .is_ok()
    );
    let unknown: Element = "<query xmlns='urn:example:unknown'/>".parse().unwrap();
    let refused = mallory
        .request(
            Some(alice_full.clone()),
            IqPayloadKind::Get(unknown),
            "unknown",
        )
        .await
        .unwrap_err();
    assert!(
        refused.to_string().contains("service-unavailable"),
        "{refused}"
    );

    // Malformed: a receipt without id, and a carbon wrapper without a message.
    for xml in [
        format!(
            "<message xmlns='jabber:client' to='{alice_full}' type='chat'><body>MalformedCanary-1</body><received xmlns='urn:xmpp:receipts'/></message>"
        ),
        format!(
            "<message xmlns='jabber:client' to='{alice_full}' type='chat'><body>MalformedCanary-2</body><sent xmlns='urn:xmpp:carbons:2'><forwarded xmlns='urn:xmpp:forward:0'/></sent></message>"
        ),
    ] {
        let element: Element = xml.parse().unwrap();
        match xmpp_parsers::message::Message::try_from(element.clone()) {
            Ok(message) => mallory.send(message),
            Err(_) => panic!("test stanza must be a message"),
        }
    }
    mallory.send(sotto_xmpp::xep::message::chat(
        alice_full.clone(),
        "ok-1",
        "after the garbage",
    ));
    alice.expect_message("after the garbage").await;
    assert!(
        alice
            .store
            .search("MalformedCanary", 10)
            .unwrap()
            .is_empty()
    );
    mallory.close().await;
    alice.shutdown().await;

    let text = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    assert!(
        text.contains("ignoring a stanza"),
        "the malformed stanzas are logged:\n{text}"
    );
    let mechanism = text
        .lines()
        .find(|l| l.contains("authenticating"))
        .unwrap_or_default();
    println!("{mechanism}");
    assert!(
        mechanism.contains("mechanism=\"SCRAM-SHA-"),
        "SCRAM is used, never PLAIN: {mechanism}"
    );
    for secret in [
        "MalformedCanary",
        "after the garbage",
        "Secret-Password-1",
        "mallory-pw",
    ] {
        assert!(!text.contains(secret), "{secret:?} appears in the log");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_accounts_in_one_profile_chat_with_each_other() {
    let prosody = prosody_with(&[("alice", "alice-pw"), ("bob", "bob-pw")]);
    let mut profile = Profile::new("both");
    profile.login(&prosody, "alice", "alice-pw").await;
    profile.login(&prosody, "bob", "bob-pw").await;
    profile.send_message(ALICE, BOB, "to my other self");
    let mut seen = Vec::new();
    while seen.len() < 2 {
        let event = profile
            .expect("message", |e| matches!(e, Event::MessageAdded { message, .. } if message.body == "to my other self"))
            .await;
        let Event::MessageAdded {
            account, message, ..
        } = event
        else {
            unreachable!()
        };
        seen.push((account, message.direction));
    }
    seen.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        seen,
        vec![
            (ALICE.to_string(), sotto_store::Direction::Outgoing),
            (BOB.to_string(), sotto_store::Direction::Incoming),
        ],
        "every event names its account"
    );
    profile.send(Command::ListAccounts);
    let listed = profile
        .expect(
            "accounts",
            |e| matches!(e, Event::AccountsSnapshot { accounts } if accounts.len() == 2),
        )
        .await;
    assert!(format!("{listed:?}").contains(BOB));
    profile.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scrolling_back_past_the_store_fetches_older_history_from_the_archive() {
    let prosody = prosody_with(&[("alice", "alice-pw"), ("bob", "bob-pw")]);
    let mut alice = Profile::new("alice");
    alice.login(&prosody, "alice", "alice-pw").await;
    for i in 0..150 {
        alice.send_message(ALICE, BOB, &format!("history {i:03}"));
    }
    alice.expect_message("history 149").await;
    // Wait until the server has everything.
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(30);
    while !alice.store.outbox(ALICE).unwrap().is_empty()
        || alice
            .store
            .history(ALICE, BOB, None, 200)
            .unwrap()
            .iter()
            .any(|m| m.state != sotto_store::MessageState::Acked)
    {
        assert!(tokio::time::Instant::now() < deadline);
        alice.forget();
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }

    // A new device of Alice's catches up on the newest page only.
    let mut tablet = Profile::new("tablet");
    tablet.login(&prosody, "alice", "alice-pw").await;
    tablet
        .expect("sync", |e| matches!(e, Event::ArchiveSynced { .. }))
        .await;
    let stored = tablet.store.history(ALICE, BOB, None, 500).unwrap();
    // The newest page only (its size is the server's choice: Prosody caps it at 50).
    let n = stored.len();
    assert!(n > 0 && n < 150, "{n}");
    assert_eq!(stored[n - 1].body, "history 149");
    let first = 150 - n;
    assert_eq!(stored[0].body, format!("history {first:03}"));
    tablet.send(Command::LoadOlder {
        account: ALICE.into(),
        peer: BOB.into(),
        before: stored[0].id,
        limit: 30,
    });
    let page = tablet
        .expect("older page", |e| matches!(e, Event::HistoryPage { .. }))
        .await;
    let Event::HistoryPage {
        messages, has_more, ..
    } = page
    else {
        unreachable!()
    };
    let bodies: Vec<_> = messages.iter().map(|m| m.body.clone()).collect();
    let expected: Vec<_> = (first - 30..first)
        .map(|i| format!("history {i:03}"))
        .collect();
    assert_eq!(bodies, expected);
    assert!(has_more);
    assert_eq!(
        tablet.store.count_messages(ALICE, BOB).unwrap(),
        n as u64 + 30
    );
    alice.shutdown().await;
    tablet.shutdown().await;
}
