// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

use sotto_core::{ConnectionState, Event};
use sotto_store::{Direction, Encryption, MessageRecord, MessageState};

use super::*;

const A: &str = "alice@example.org";

fn conn(state: ConnectionState) -> Event {
    Event::Connection {
        account: A.into(),
        state,
    }
}

fn offline(reason: &str, retry: Option<u64>) -> Event {
    conn(ConnectionState::Offline {
        reason: reason.into(),
        retry_in_ms: retry,
    })
}

#[test]
fn online_after_retries() {
    let mut w = ConnectWaiter::new(A);
    assert_eq!(
        w.on_event(&conn(ConnectionState::Connecting)),
        Step::Pending
    );
    assert_eq!(
        w.on_event(&offline("connection refused", Some(1000))),
        Step::Pending
    );
    // Other accounts do not count.
    let other = Event::Connection {
        account: "bob@example.org".into(),
        state: ConnectionState::Online {
            jid: "bob@example.org/x".into(),
            resumed: false,
        },
    };
    assert_eq!(w.on_event(&other), Step::Pending);
    assert_eq!(
        w.on_event(&conn(ConnectionState::Online {
            jid: "alice@example.org/sotto".into(),
            resumed: false
        })),
        Step::Done(Ok("alice@example.org/sotto".into()))
    );
}

#[test]
fn timeout_reports_the_last_reason() {
    let mut w = ConnectWaiter::new(A);
    w.on_event(&offline("connection refused", Some(1000)));
    assert_eq!(
        w.give_up(3),
        ConnectError::TimedOut {
            last_reason: Some("connection refused".into()),
            after_secs: 3
        }
    );
    let f = w.give_up(3).into_failure(A, "The account is stored.");
    assert_eq!(f.code, Code::Network);
    assert!(f.message.contains("connection refused"), "{}", f.message);
    assert!(
        f.message.ends_with("The account is stored."),
        "{}",
        f.message
    );
}

#[test]
fn certificate_and_auth_failures() {
    let fp = "ab".repeat(32);
    let mut w = ConnectWaiter::new(A);
    let ev = Event::CertificateUntrusted {
        account: A.into(),
        sha256: fp.clone(),
        reason: "unknown issuer".into(),
    };
    let Step::Done(Err(e)) = w.on_event(&ev) else {
        panic!("should be over");
    };
    let f = e.into_failure(A, "");
    assert_eq!(f.code, Code::Certificate);
    assert!(
        f.message.contains(&format!("sotto account pin {A} {fp}")),
        "{}",
        f.message
    );
    assert!(
        f.message.contains(&format!("--pin-cert {fp}")),
        "{}",
        f.message
    );

    let ev = Event::CertificateChanged {
        account: A.into(),
        pinned_sha256: "11".repeat(32),
        presented_sha256: "22".repeat(32),
    };
    let Step::Done(Err(e)) = ConnectWaiter::new(A).on_event(&ev) else {
        panic!("should be over");
    };
    let f = e.into_failure(A, "");
    assert_eq!(f.code, Code::Certificate);
    assert!(f.message.contains(&"11".repeat(32)) && f.message.contains(&"22".repeat(32)));

    let ev = Event::AuthenticationFailed {
        account: A.into(),
        reason: "not-authorized".into(),
    };
    let Step::Done(Err(e)) = ConnectWaiter::new(A).on_event(&ev) else {
        panic!("should be over");
    };
    assert_eq!(e.into_failure(A, "").code, Code::Authentication);

    // A refused channel binding is not a wrong password: no advice to remove
    // the account.
    let ev = Event::ChannelBindingRejected {
        account: A.into(),
        reason: "the server refused the login's channel binding".into(),
    };
    let Step::Done(Err(e)) = ConnectWaiter::new(A).on_event(&ev) else {
        panic!("should be over");
    };
    let f = e.into_failure(A, "");
    assert_eq!(f.code, Code::Authentication);
    assert!(f.message.contains("channel binding"), "{}", f.message);
    assert!(!f.message.contains("account remove"), "{}", f.message);
}

#[test]
fn missing_server_features_are_noted_in_plain_words() {
    let ev = Event::ServerFeatures {
        account: A.into(),
        missing: vec![
            sotto_core::MissingFeature::Pep,
            sotto_core::MissingFeature::Mam,
        ],
    };
    let lines = crate::wait::notices(&ev);
    // PEP is told by OMEMO's own warning (omemo_unavailable), not twice.
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(lines[0].contains("archive"), "{lines:?}");
    let none = Event::ServerFeatures {
        account: A.into(),
        missing: vec![],
    };
    assert!(crate::wait::notices(&none).is_empty());
}

#[test]
fn offline_without_retry_settles_then_gives_up() {
    let mut w = ConnectWaiter::new(A);
    assert_eq!(w.on_event(&offline("host not found", None)), Step::Settling);
    assert_eq!(
        w.give_up(30),
        ConnectError::Offline {
            reason: "host not found".into()
        }
    );
}

#[test]
fn pin_ignores_events_from_before_the_pin() {
    let fp = "ab".repeat(32);
    let mut w = ConnectWaiter::after_pin(A, &fp.to_uppercase());
    let before = Event::CertificateUntrusted {
        account: A.into(),
        sha256: fp.clone(),
        reason: "self-signed".into(),
    };
    assert_eq!(w.on_event(&before), Step::Pending);
    assert_eq!(
        w.on_event(&offline("certificate not trusted", None)),
        Step::Pending
    );
    let old_pin = Event::CertificateChanged {
        account: A.into(),
        pinned_sha256: "00".repeat(32),
        presented_sha256: fp.clone(),
    };
    assert_eq!(w.on_event(&old_pin), Step::Pending);
    // A certificate other than the new pin is a real failure.
    let wrong = Event::CertificateChanged {
        account: A.into(),
        pinned_sha256: fp.clone(),
        presented_sha256: "cd".repeat(32),
    };
    assert!(matches!(
        w.on_event(&wrong),
        Step::Done(Err(ConnectError::CertificateChanged { .. }))
    ));
}

#[test]
fn registration_is_noticed() {
    let mut w = ConnectWaiter::new(A);
    w.on_event(&Event::AccountRegistered { account: A.into() });
    assert!(w.registered);
}

fn added(id: i64, to: &str, body: &str, state: MessageState) -> Event {
    Event::MessageAdded {
        account: A.into(),
        message: MessageRecord {
            id,
            account: A.into(),
            peer: to.into(),
            direction: Direction::Outgoing,
            body: body.into(),
            timestamp_ms: 0,
            message_id: None,
            origin_id: None,
            stanza_id: None,
            state,
            encryption: Encryption::Plain,
            sender_device: None,
            room: None,
        },
        // The message `send` asked for carries its request id; a carbon or
        // another client's message does not.
        request: (to == "bob@example.org").then(|| "r1".to_owned()),
    }
}

fn changed(id: i64, state: MessageState) -> Event {
    Event::MessageStateChanged {
        account: A.into(),
        peer: "bob@example.org".into(),
        id,
        state,
    }
}

#[test]
fn send_follows_its_own_message_to_acked() {
    let mut w = SendWaiter::new(A, "bob@example.org", "r1");
    // Another message (a carbon to someone else) is not ours.
    assert_eq!(
        w.on_event(&added(6, "carol@example.org", "hi", MessageState::Sent)),
        Step::Pending
    );
    assert_eq!(
        w.on_event(&added(7, "bob@example.org", "hi", MessageState::Queued)),
        Step::Pending
    );
    assert_eq!(w.id, Some(7));
    assert_eq!(w.on_event(&changed(6, MessageState::Acked)), Step::Pending);
    assert_eq!(w.on_event(&changed(7, MessageState::Sent)), Step::Pending);
    assert_eq!(
        w.on_event(&changed(7, MessageState::Acked)),
        Step::Done(Ok(MessageState::Acked))
    );
}

/// Without stream management nothing acknowledges a message: written to the
/// stream is as far as `send` can follow it, instead of timing out.
#[test]
fn send_ends_at_sent_on_a_server_without_stream_management() {
    let mut w = SendWaiter::new(A, "bob@example.org", "r1");
    let features = |missing| Event::ServerFeatures {
        account: A.into(),
        missing,
    };
    assert_eq!(
        w.on_event(&features(vec![
            sotto_core::MissingFeature::StreamManagement
        ])),
        Step::Pending
    );
    w.on_event(&added(7, "bob@example.org", "hi", MessageState::Queued));
    assert_eq!(
        w.on_event(&changed(7, MessageState::Sent)),
        Step::Done(Ok(MessageState::Sent))
    );

    // Another account's server says nothing about ours.
    let mut w = SendWaiter::new(A, "bob@example.org", "r1");
    w.on_event(&Event::ServerFeatures {
        account: "other@example.org".into(),
        missing: vec![sotto_core::MissingFeature::StreamManagement],
    });
    w.on_event(&features(vec![]));
    w.on_event(&added(7, "bob@example.org", "hi", MessageState::Sent));
    assert_eq!(w.on_event(&changed(7, MessageState::Sent)), Step::Pending);
}

#[test]
fn send_failures() {
    let mut w = SendWaiter::new(A, "bob@example.org", "r1");
    w.on_event(&added(7, "bob@example.org", "hi", MessageState::Sent));
    assert_eq!(
        w.on_event(&changed(7, MessageState::Failed)),
        Step::Done(Err(SendError::Failed(None)))
    );

    let mut w = SendWaiter::new(A, "bob@example.org", "r1");
    // Another command's failure is not ours.
    let other = Event::CommandFailed {
        account: Some(A.into()),
        reason: "adding a contact: refused".into(),
        request: Some("r0".into()),
    };
    assert_eq!(w.on_event(&other), Step::Pending);
    let refused = Event::CommandFailed {
        account: Some(A.into()),
        reason: "sending to bob@example.org: not online".into(),
        request: Some("r1".into()),
    };
    assert!(matches!(
        w.on_event(&refused),
        Step::Done(Err(SendError::CommandFailed(_)))
    ));
    // Delivered straight away also counts.
    let mut w = SendWaiter::new(A, "bob@example.org", "r1");
    assert_eq!(
        w.on_event(&added(1, "bob@example.org", "hi", MessageState::Delivered)),
        Step::Done(Ok(MessageState::Delivered))
    );
}

#[test]
fn tor_account_blames_tor_when_it_is_not_ready() {
    let tor = |percent: u8, ready: bool| Event::TorStatus {
        percent,
        ready,
        summary: format!("{percent}%: fetching a consensus"),
        blocked: None,
    };
    let mut w = ConnectWaiter::new(A).through_tor(true);
    assert_eq!(w.on_event(&tor(10, false)), Step::Pending);
    assert_eq!(
        w.progress().as_deref(),
        Some("Tor: 10% fetching a consensus")
    );
    assert_eq!(w.progress(), None);
    w.on_event(&tor(10, false));
    assert_eq!(w.progress(), None, "only a new percentage is shown");
    // The account gave up on its own: Tor's state is still the reason.
    assert_eq!(
        w.on_event(&offline("through Tor: timed out", None)),
        Step::Settling
    );
    let e = w.give_up(3);
    assert_eq!(
        e,
        ConnectError::TorNotReady {
            status: "10% fetching a consensus".into()
        }
    );
    let f = e.into_failure(A, "");
    assert_eq!(f.code, Code::Network);
    assert_eq!(
        f.message,
        format!(
            "{A}: Tor is not ready: 10% fetching a consensus; the account stays offline, \
             nothing was sent directly"
        )
    );

    // Without any Tor status, the account's last reason says why.
    let mut w = ConnectWaiter::new(A).through_tor(true);
    w.on_event(&offline("starting Tor: no state directory", Some(1000)));
    assert_eq!(
        w.give_up(3),
        ConnectError::TorNotReady {
            status: "starting Tor: no state directory".into()
        }
    );

    // Tor ready, server unreachable: the usual timeout.
    let mut w = ConnectWaiter::new(A).through_tor(true);
    w.on_event(&tor(100, true));
    w.on_event(&offline("connection refused", Some(1000)));
    assert!(matches!(w.give_up(3), ConnectError::TimedOut { .. }));

    // An account that does not use Tor ignores it.
    let mut w = ConnectWaiter::new(A);
    w.on_event(&tor(10, false));
    assert_eq!(w.progress(), None);
    assert!(matches!(w.give_up(3), ConnectError::TimedOut { .. }));
}

#[test]
fn an_omemo_failure_ends_the_send_with_its_reason() {
    let mut w = SendWaiter::new(A, "bob@example.org", "r1");
    w.on_event(&added(7, "bob@example.org", "hi", MessageState::Queued));
    let skipped = Event::OmemoDeviceSkipped {
        account: A.into(),
        jid: "bob@example.org".into(),
        device_id: 42,
        reason: "its key is undecided".into(),
    };
    assert_eq!(w.on_event(&skipped), Step::Pending);
    assert_eq!(
        w.progress().as_deref(),
        Some("OMEMO: left out bob@example.org device 42: its key is undecided")
    );
    assert_eq!(w.progress(), None);
    // The core says why, then marks the message failed.
    let why = "sending with OMEMO to bob@example.org: no device to encrypt to";
    let reason = Event::CommandFailed {
        account: Some(A.into()),
        reason: why.into(),
        request: None,
    };
    assert_eq!(w.on_event(&reason), Step::Pending);
    assert_eq!(
        w.on_event(&changed(7, MessageState::Failed)),
        Step::Done(Err(SendError::Failed(Some(why.into()))))
    );
}

#[test]
fn omemo_being_unavailable_is_told_and_does_not_end_the_send() {
    let mut w = SendWaiter::new(A, "bob@example.org", "r1");
    let unavailable = Event::OmemoUnavailable {
        account: A.into(),
        reason: "this server does not support PEP".into(),
    };
    // Before the message is stored (the set-up runs as the account comes
    // online) and after: a note each, never the end of the wait.
    assert_eq!(w.on_event(&unavailable), Step::Pending);
    let note = w.progress().unwrap_or_default();
    assert!(
        note.contains("OMEMO is unavailable for") && note.contains("does not support PEP"),
        "{note}"
    );
    assert!(
        note.contains("Unencrypted messages are still sent"),
        "{note}"
    );
    w.on_event(&added(7, "bob@example.org", "hi", MessageState::Queued));
    assert_eq!(
        w.on_event(&changed(7, MessageState::Acked)),
        Step::Done(Ok(MessageState::Acked))
    );
    // Another account's notice is not ours.
    let mut w = SendWaiter::new(A, "bob@example.org", "r1");
    w.on_event(&Event::OmemoUnavailable {
        account: "other@example.org".into(),
        reason: "x".into(),
    });
    assert_eq!(w.progress(), None);
}

#[test]
fn a_held_message_ends_the_send_with_the_reason() {
    let mut w = SendWaiter::new(A, "bob@example.org", "r1");
    let held = |id| Event::MessageHeld {
        account: A.into(),
        peer: "bob@example.org".into(),
        id,
        reason: "bob@example.org's OMEMO device list is now empty".into(),
    };
    // Another message's hold is not ours.
    assert_eq!(w.on_event(&held(3)), Step::Pending);
    w.on_event(&added(7, "bob@example.org", "hi", MessageState::Queued));
    assert_eq!(w.on_event(&held(3)), Step::Pending);
    assert_eq!(
        w.on_event(&held(7)),
        Step::Done(Err(SendError::Held(
            "bob@example.org's OMEMO device list is now empty".into()
        )))
    );
}
