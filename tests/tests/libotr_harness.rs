// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! The C libotr reference peer, proven against itself: two libotr accounts
//! talk through the driver, with no Sotto code in between. If these pass, a
//! failing Sotto-vs-libotr test points at Sotto.

#![allow(clippy::unwrap_used)]

use sotto_tests::TestDir;
use sotto_tests::libotr::{LibotrPeer, MsgState, PeerEvent, PeerState, Received, Versions};

const ALICE: &str = "alice@localhost/pidgin";
const BOB: &str = "bob@localhost/adium";

/// The whitespace tag: base, then one 8-character tag per version.
const TAG_BASE: &str = " \t  \t\t\t\t \t \t \t  ";
const TAG_V2: &str = "  \t\t  \t ";
const TAG_V3: &str = "  \t\t  \t\t";

const ENCRYPTED_V3: MsgStateVersion = (MsgState::Encrypted, 3);
const ENCRYPTED_V2: MsgStateVersion = (MsgState::Encrypted, 2);
type MsgStateVersion = (MsgState, u32);

/// Everything each side got while messages went back and forth.
#[derive(Debug, Default)]
struct Exchange {
    alice: Vec<Received>,
    bob: Vec<Received>,
}

impl Exchange {
    fn alice_events(&self) -> Vec<PeerEvent> {
        self.alice.iter().flat_map(|r| r.events.clone()).collect()
    }

    fn bob_events(&self) -> Vec<PeerEvent> {
        self.bob.iter().flat_map(|r| r.events.clone()).collect()
    }

    fn bob_plaintexts(&self) -> Vec<String> {
        self.bob
            .iter()
            .filter_map(|r| r.plaintext.clone())
            .collect()
    }

    fn alice_plaintexts(&self) -> Vec<String> {
        self.alice
            .iter()
            .filter_map(|r| r.plaintext.clone())
            .collect()
    }
}

/// Delivers `to_bob` to Bob and `to_alice` to Alice, then every reply, back and
/// forth in order, until neither side has anything left to send.
fn pump(
    alice: &mut LibotrPeer,
    bob: &mut LibotrPeer,
    to_bob: Vec<String>,
    to_alice: Vec<String>,
) -> Exchange {
    let mut queue: std::collections::VecDeque<(bool, String)> = to_bob
        .into_iter()
        .map(|m| (true, m))
        .chain(to_alice.into_iter().map(|m| (false, m)))
        .collect();
    let mut exchange = Exchange::default();
    let mut steps = 0;
    while let Some((for_bob, message)) = queue.pop_front() {
        steps += 1;
        assert!(steps < 200, "the peers never stop talking");
        if for_bob {
            let got = bob.receive(ALICE, &message).unwrap();
            queue.extend(got.to_send.iter().map(|m| (false, m.clone())));
            exchange.bob.push(got);
        } else {
            let got = alice.receive(BOB, &message).unwrap();
            queue.extend(got.to_send.iter().map(|m| (true, m.clone())));
            exchange.alice.push(got);
        }
    }
    exchange
}

fn peers(alice: Versions, bob: Versions) -> (LibotrPeer, LibotrPeer) {
    (
        LibotrPeer::spawn(ALICE, alice).unwrap(),
        LibotrPeer::spawn(BOB, bob).unwrap(),
    )
}

fn state(peer: &mut LibotrPeer, other: &str) -> MsgStateVersion {
    let PeerState { msgstate, version } = peer.state(other).unwrap();
    (msgstate, version)
}

/// Whether `peer` trusts the key `other` uses in the current session.
fn trusts(peer: &mut LibotrPeer, other: &str) -> bool {
    peer.peer_fingerprint(other)
        .unwrap()
        .expect("an encrypted session")
        .1
}

/// Alice queries Bob and both go secure; returns what happened.
fn secure_by_query(alice: &mut LibotrPeer, bob: &mut LibotrPeer) -> Exchange {
    let query = alice.query(BOB).unwrap();
    pump(alice, bob, vec![query], vec![])
}

/// Sends `text` from Alice to Bob and back, checking both arrive decrypted
/// and never travel in the clear.
fn messages_both_ways(alice: &mut LibotrPeer, bob: &mut LibotrPeer, prefix: &str) {
    let text = "Grüße, Bob!\n<b>&amp;</b> 🙂";
    let wires = alice.send(BOB, text).unwrap();
    assert_eq!(wires.len(), 1, "{wires:?}");
    assert!(wires[0].starts_with(prefix), "{:.20}", wires[0]);
    assert!(!wires[0].contains("Bob"));
    let got = pump(alice, bob, wires, vec![]);
    assert_eq!(got.bob_plaintexts(), [text]);

    let reply = "Hallo Alice";
    let wires = bob.send(ALICE, reply).unwrap();
    assert!(
        wires
            .iter()
            .all(|w| w.starts_with(prefix) && !w.contains("Hallo"))
    );
    let got = pump(alice, bob, vec![], wires);
    assert_eq!(got.alice_plaintexts(), [reply]);
}

#[test]
fn v3_ake_started_by_query_then_messages_both_ways() {
    let (mut alice, mut bob) = peers(Versions::Both, Versions::Both);
    let query = alice.query(BOB).unwrap();
    assert!(query.starts_with("?OTRv23?"), "{query:?}");
    let got = pump(&mut alice, &mut bob, vec![query], vec![]);

    // Query, DH commit, DH key, reveal signature, signature.
    assert_eq!(got.bob.len() + got.alice.len(), 5, "{got:#?}");
    assert!(got.bob[0].to_send[0].starts_with("?OTR:AAMC"));
    assert_eq!(state(&mut alice, BOB), ENCRYPTED_V3);
    assert_eq!(state(&mut bob, ALICE), ENCRYPTED_V3);
    let alice_fp = alice.fingerprint().unwrap();
    let bob_fp = bob.fingerprint().unwrap();
    assert_ne!(alice_fp, bob_fp);
    assert!(got.alice_events().contains(&PeerEvent::GoneSecure));
    assert!(got.bob_events().contains(&PeerEvent::GoneSecure));
    assert!(
        got.alice_events()
            .contains(&PeerEvent::NewFingerprint(bob_fp.clone()))
    );
    assert!(
        got.bob_events()
            .contains(&PeerEvent::NewFingerprint(alice_fp.clone()))
    );
    assert_eq!(alice.peer_fingerprint(BOB).unwrap(), Some((bob_fp, false)));
    assert_eq!(
        bob.peer_fingerprint(ALICE).unwrap(),
        Some((alice_fp, false))
    );
    assert!(got.alice_plaintexts().is_empty() && got.bob_plaintexts().is_empty());

    messages_both_ways(&mut alice, &mut bob, "?OTR:AAMD");
}

#[test]
fn v2_ake_started_by_query_from_either_side() {
    // The v2-only side asks.
    let (mut alice, mut bob) = peers(Versions::V2, Versions::Both);
    let query = alice.query(BOB).unwrap();
    assert!(query.starts_with("?OTRv2?"), "{query:?}");
    let got = pump(&mut alice, &mut bob, vec![query], vec![]);
    assert!(got.bob[0].to_send[0].starts_with("?OTR:AAIC"));
    assert_eq!(state(&mut alice, BOB), ENCRYPTED_V2);
    assert_eq!(state(&mut bob, ALICE), ENCRYPTED_V2);
    messages_both_ways(&mut alice, &mut bob, "?OTR:AAID");

    // The side that speaks both asks a v2-only peer.
    let (mut alice, mut bob) = peers(Versions::Both, Versions::V2);
    let query = alice.query(BOB).unwrap();
    assert!(query.starts_with("?OTRv23?"), "{query:?}");
    pump(&mut alice, &mut bob, vec![query], vec![]);
    assert_eq!(state(&mut alice, BOB), ENCRYPTED_V2);
    assert_eq!(state(&mut bob, ALICE), ENCRYPTED_V2);
    messages_both_ways(&mut alice, &mut bob, "?OTR:AAID");
}

#[test]
fn v3_ake_started_by_whitespace_tag() {
    let (mut alice, mut bob) = peers(Versions::Both, Versions::Both);
    alice.set_whitespace_tag(true).unwrap();
    let wires = alice.send(BOB, "hello").unwrap();
    assert_eq!(wires, [format!("hello{TAG_BASE}{TAG_V2}{TAG_V3}")]);

    let got = pump(&mut alice, &mut bob, wires, vec![]);
    // Bob sees the text without the tag, and libotr starts the AKE.
    assert_eq!(got.bob_plaintexts(), ["hello"]);
    assert!(got.bob[0].to_send[0].starts_with("?OTR:AAMC"));
    assert_eq!(state(&mut alice, BOB), ENCRYPTED_V3);
    assert_eq!(state(&mut bob, ALICE), ENCRYPTED_V3);
    messages_both_ways(&mut alice, &mut bob, "?OTR:AAMD");
}

#[test]
fn v2_ake_started_by_whitespace_tag() {
    let (mut alice, mut bob) = peers(Versions::V2, Versions::Both);
    alice.set_whitespace_tag(true).unwrap();
    let wires = alice.send(BOB, "hi there").unwrap();
    assert_eq!(wires, [format!("hi there{TAG_BASE}{TAG_V2}")]);

    let got = pump(&mut alice, &mut bob, wires, vec![]);
    assert_eq!(got.bob_plaintexts(), ["hi there"]);
    assert!(got.bob[0].to_send[0].starts_with("?OTR:AAIC"));
    assert_eq!(state(&mut alice, BOB), ENCRYPTED_V2);
    assert_eq!(state(&mut bob, ALICE), ENCRYPTED_V2);
    messages_both_ways(&mut alice, &mut bob, "?OTR:AAID");
}

/// 6 KB in fragments of at most 500 bytes: every fragment but the last yields
/// nothing, the last yields the whole text.
fn six_kilobytes_in_fragments(versions: Versions, fragment_prefix: &str) {
    let (mut alice, mut bob) = peers(versions, versions);
    secure_by_query(&mut alice, &mut bob);
    alice.set_max_message_size(500).unwrap();
    let text: String = (0..6 * 1024)
        .map(|i| char::from(b'a' + u8::try_from(i % 26).unwrap()))
        .collect();
    let fragments = alice.send(BOB, &text).unwrap();
    // base64 makes 6 KB about 8.3 KB: at least 17 fragments of 500.
    assert!(fragments.len() >= 17, "{} fragments", fragments.len());
    for fragment in &fragments {
        assert!(
            fragment.len() <= 500,
            "fragment of {} bytes",
            fragment.len()
        );
        assert!(fragment.starts_with(fragment_prefix), "{fragment:.30}");
    }
    let (last, rest) = fragments.split_last().unwrap();
    for fragment in rest {
        let got = bob.receive(ALICE, fragment).unwrap();
        assert_eq!(got, Received::default());
    }
    let got = bob.receive(ALICE, last).unwrap();
    assert_eq!(got.plaintext.as_deref(), Some(text.as_str()));

    // Unfragmented again once the limit is lifted.
    alice.set_max_message_size(0).unwrap();
    assert_eq!(alice.send(BOB, &text).unwrap().len(), 1);
}

#[test]
fn six_kilobytes_in_v3_fragments() {
    six_kilobytes_in_fragments(Versions::V3, "?OTR|");
}

#[test]
fn six_kilobytes_in_v2_fragments() {
    six_kilobytes_in_fragments(Versions::V2, "?OTR,");
}

#[test]
fn smp_with_the_right_secret_verifies_both_sides() {
    let (mut alice, mut bob) = peers(Versions::Both, Versions::Both);
    secure_by_query(&mut alice, &mut bob);
    let start = alice.smp_start(BOB, "our first café", None).unwrap();
    assert_eq!(start.len(), 1);
    let asked = bob.receive(ALICE, &start[0]).unwrap();
    assert!(
        asked.has(&PeerEvent::SmpAskForSecret { question: None }),
        "{asked:#?}"
    );
    assert!(asked.has(&PeerEvent::Tlv(2)), "{asked:#?}");
    assert!(asked.to_send.is_empty() && asked.plaintext.is_none());

    let answer = bob.smp_respond(ALICE, "our first café").unwrap();
    let got = pump(&mut alice, &mut bob, vec![], answer);
    assert!(
        got.alice_events().contains(&PeerEvent::SmpSucceeded),
        "{got:#?}"
    );
    assert!(
        got.bob_events().contains(&PeerEvent::SmpSucceeded),
        "{got:#?}"
    );
    assert!(!got.alice_events().contains(&PeerEvent::SmpFailed));
    // libotr trusts the verified fingerprint on both sides.
    assert!(trusts(&mut alice, BOB));
    assert!(trusts(&mut bob, ALICE));
    assert_eq!(state(&mut alice, BOB), ENCRYPTED_V3);
}

#[test]
fn smp_with_a_wrong_secret_fails_on_both_sides() {
    let (mut alice, mut bob) = peers(Versions::V2, Versions::V2);
    secure_by_query(&mut alice, &mut bob);
    let bob_fp = bob.fingerprint().unwrap();
    alice.trust(BOB, &bob_fp).unwrap();
    let start = alice.smp_start(BOB, "blue", None).unwrap();
    let asked = bob.receive(ALICE, &start[0]).unwrap();
    assert!(asked.has(&PeerEvent::SmpAskForSecret { question: None }));
    let answer = bob.smp_respond(ALICE, "green").unwrap();
    let got = pump(&mut alice, &mut bob, vec![], answer);
    assert!(
        got.alice_events().contains(&PeerEvent::SmpFailed),
        "{got:#?}"
    );
    assert!(got.bob_events().contains(&PeerEvent::SmpFailed), "{got:#?}");
    assert!(!got.bob_events().contains(&PeerEvent::SmpSucceeded));
    // libotr quirk: a failed SMP also removes trust given by hand before.
    assert!(!trusts(&mut alice, BOB));
    assert!(!trusts(&mut bob, ALICE));
    // The session survives a failed SMP.
    messages_both_ways(&mut alice, &mut bob, "?OTR:AAID");
}

#[test]
fn smp_with_a_question() {
    let (mut alice, mut bob) = peers(Versions::Both, Versions::Both);
    secure_by_query(&mut alice, &mut bob);
    let question = "Where did we meet?\nHint: a city";
    let start = alice.smp_start(BOB, "Brno", Some(question)).unwrap();
    let asked = bob.receive(ALICE, &start[0]).unwrap();
    assert!(
        asked.has(&PeerEvent::SmpAskForSecret {
            question: Some(question.to_owned())
        }),
        "{asked:#?}"
    );
    assert!(asked.has(&PeerEvent::Tlv(7)), "{asked:#?}");
    let answer = bob.smp_respond(ALICE, "Brno").unwrap();
    let got = pump(&mut alice, &mut bob, vec![], answer);
    assert!(
        got.alice_events().contains(&PeerEvent::SmpSucceeded),
        "{got:#?}"
    );
    assert!(
        got.bob_events().contains(&PeerEvent::SmpSucceeded),
        "{got:#?}"
    );
    // libotr quirk: only the asker trusts the result of an SMP with a
    // question; the answerer proved nothing about the asker.
    assert!(trusts(&mut alice, BOB));
    assert!(!trusts(&mut bob, ALICE));
}

#[test]
fn smp_abort_reaches_the_other_side() {
    let (mut alice, mut bob) = peers(Versions::Both, Versions::Both);
    secure_by_query(&mut alice, &mut bob);
    let start = alice.smp_start(BOB, "secret", None).unwrap();
    bob.receive(ALICE, &start[0]).unwrap();
    let abort = bob.smp_abort(ALICE).unwrap();
    assert_eq!(abort.len(), 1);
    let got = alice.receive(BOB, &abort[0]).unwrap();
    assert!(got.has(&PeerEvent::SmpAborted), "{got:#?}");
    assert!(got.has(&PeerEvent::Tlv(6)), "{got:#?}");

    // A reply to the aborted exchange is out of order: Alice's libotr
    // reports an SMP error and the peer aborts again, as Pidgin does.
    let late = bob.smp_respond(ALICE, "secret").unwrap();
    let got = pump(&mut alice, &mut bob, vec![], late);
    assert!(
        got.alice_events().contains(&PeerEvent::SmpError),
        "{got:#?}"
    );
    assert!(
        got.bob_events().contains(&PeerEvent::SmpAborted),
        "{got:#?}"
    );
    assert!(!got.alice_events().contains(&PeerEvent::SmpSucceeded));
    // SMP can start over.
    let start = alice.smp_start(BOB, "secret", None).unwrap();
    bob.receive(ALICE, &start[0]).unwrap();
    let answer = bob.smp_respond(ALICE, "secret").unwrap();
    let got = pump(&mut alice, &mut bob, vec![], answer);
    assert!(
        got.alice_events().contains(&PeerEvent::SmpSucceeded),
        "{got:#?}"
    );
}

#[test]
fn ending_the_session_finishes_the_other_side() {
    let (mut alice, mut bob) = peers(Versions::Both, Versions::Both);
    secure_by_query(&mut alice, &mut bob);
    let bye = alice.end(BOB).unwrap();
    assert_eq!(bye.len(), 1);
    assert!(bye[0].starts_with("?OTR:AAMD"));
    assert_eq!(state(&mut alice, BOB), (MsgState::Plaintext, 0));
    assert_eq!(alice.peer_fingerprint(BOB).unwrap(), None);

    let got = bob.receive(ALICE, &bye[0]).unwrap();
    assert!(got.has(&PeerEvent::Tlv(1)), "{got:#?}");
    assert_eq!(got.plaintext, None);
    assert_eq!(state(&mut bob, ALICE), (MsgState::Finished, 0));

    // libotr refuses to send in the finished state rather than fall back to
    // plaintext.
    let refused = bob.send_with_events(ALICE, "are you there?").unwrap();
    assert!(refused.to_send.is_empty(), "{refused:#?}");
    assert_eq!(refused.message_events(), ["OTRL_MSGEVENT_CONNECTION_ENDED"]);

    // Bob ends too (nothing to send), then both talk plaintext again.
    assert!(bob.end(ALICE).unwrap().is_empty());
    assert_eq!(state(&mut bob, ALICE), (MsgState::Plaintext, 0));
    assert_eq!(bob.send(ALICE, "plain").unwrap(), ["plain"]);
    assert_eq!(
        alice.receive(BOB, "plain").unwrap().plaintext.as_deref(),
        Some("plain")
    );

    // Ending again without a session sends nothing.
    assert!(alice.end(BOB).unwrap().is_empty());
}

#[test]
fn a_key_directory_keeps_the_identity_and_the_trust() {
    let dir = TestDir::new("libotr-keys").unwrap();
    let mut bob = LibotrPeer::spawn(BOB, Versions::Both).unwrap();
    let bob_fp = bob.fingerprint().unwrap();
    let (alice_fp, alice_tag) = {
        let mut alice = LibotrPeer::spawn_in(ALICE, Versions::Both, dir.path()).unwrap();
        assert_eq!(alice.dir(), dir.path());
        secure_by_query(&mut alice, &mut bob);
        alice.trust(BOB, &bob_fp.to_lowercase()).unwrap();
        alice.write_fingerprints().unwrap();
        (alice.fingerprint().unwrap(), alice.instance_tag().unwrap())
    };
    assert!(alice_tag >= 0x100, "{alice_tag:#x}");
    assert!(dir.join("otr.private_key").is_file());
    assert!(dir.join("otr.instance_tags").is_file());
    // Pidgin's format: user, account, protocol, lowercase hex, trust.
    let fingerprints = std::fs::read_to_string(dir.join("otr.fingerprints")).unwrap();
    let compact: String = bob_fp.split(' ').collect::<String>().to_lowercase();
    assert_eq!(
        fingerprints.trim_end(),
        format!("{BOB}\t{ALICE}\txmpp\t{compact}\tverified")
    );

    // A second process on the same directory is the same identity.
    let mut alice = LibotrPeer::spawn_in(ALICE, Versions::Both, dir.path()).unwrap();
    assert_eq!(alice.fingerprint().unwrap(), alice_fp);
    assert_eq!(alice.instance_tag().unwrap(), alice_tag);
    assert_eq!(
        alice.known_fingerprints(BOB).unwrap(),
        [(bob_fp.clone(), true)]
    );

    // Bob still has the old session; a new AKE recognises both keys.
    bob.end(ALICE).unwrap();
    let got = secure_by_query(&mut alice, &mut bob);
    assert!(got.alice_events().contains(&PeerEvent::GoneSecure));
    assert!(
        !got.alice_events()
            .iter()
            .any(|e| matches!(e, PeerEvent::NewFingerprint(_))),
        "{got:#?}"
    );
    assert!(
        !got.bob_events()
            .iter()
            .any(|e| matches!(e, PeerEvent::NewFingerprint(_))),
        "{got:#?}"
    );
    assert_eq!(alice.peer_fingerprint(BOB).unwrap(), Some((bob_fp, true)));
    assert_eq!(
        bob.peer_fingerprint(ALICE).unwrap(),
        Some((alice_fp, false))
    );
}

#[test]
fn required_encryption_holds_the_message_until_the_session_is_up() {
    let (mut alice, mut bob) = peers(Versions::Both, Versions::Both);
    alice.set_require_encryption(true).unwrap();
    let sent = alice.send_with_events(BOB, "the plan").unwrap();
    assert_eq!(sent.message_events(), ["OTRL_MSGEVENT_ENCRYPTION_REQUIRED"]);
    assert_eq!(sent.to_send.len(), 1);
    assert!(
        sent.to_send[0].starts_with("?OTRv23?"),
        "{:?}",
        sent.to_send
    );
    assert!(!sent.to_send[0].contains("the plan"));

    // After the AKE libotr sends the held message, encrypted.
    let got = pump(&mut alice, &mut bob, sent.to_send, vec![]);
    assert_eq!(got.bob_plaintexts(), ["the plan"]);
    assert_eq!(state(&mut alice, BOB), ENCRYPTED_V3);

    // Alice refuses plaintext from Bob while she requires encryption.
    let got = alice.receive(BOB, "psst").unwrap();
    assert_eq!(got.plaintext, None);
    assert_eq!(got.message_events(), ["OTRL_MSGEVENT_RCVDMSG_UNENCRYPTED"]);
}

#[test]
fn driver_errors_are_errors() {
    let (mut alice, mut bob) = peers(Versions::Both, Versions::Both);
    // No session yet: libotr would silently ignore these.
    assert!(alice.smp_start(BOB, "x", None).is_err());
    assert!(alice.smp_abort(BOB).is_err());
    let bob_fp = bob.fingerprint().unwrap();
    assert!(alice.trust(BOB, &bob_fp).is_err());
    assert!(alice.trust(BOB, "not a fingerprint").is_err());
    assert!(alice.send("bob with spaces", "x").is_err());
    assert!(alice.send(BOB, "nul\0byte").is_err());
    assert_eq!(state(&mut alice, BOB), (MsgState::Plaintext, 0));
    // The peer still works after refusing.
    let got = secure_by_query(&mut alice, &mut bob);
    assert!(got.alice_events().contains(&PeerEvent::GoneSecure));
    alice.trust(BOB, &bob_fp).unwrap();
    assert_eq!(
        alice.peer_fingerprint(BOB).unwrap(),
        Some((bob_fp.clone(), true))
    );
    alice.untrust(BOB, &bob_fp).unwrap();
    assert_eq!(alice.peer_fingerprint(BOB).unwrap(), Some((bob_fp, false)));

    // A tampered data message is unreadable: libotr says so and answers
    // with an OTR error, which the other side reports.
    let mut wire = alice.send(BOB, "hello").unwrap().remove(0);
    let flip = wire.len() - 10;
    let replacement = if &wire[flip..=flip] == "A" { "B" } else { "A" };
    wire.replace_range(flip..=flip, replacement);
    let got = bob.receive(ALICE, &wire).unwrap();
    assert_eq!(got.plaintext, None);
    assert_eq!(got.message_events(), ["OTRL_MSGEVENT_RCVDMSG_UNREADABLE"]);
    assert_eq!(
        got.to_send,
        ["?OTR Error: You transmitted an unreadable encrypted message."]
    );
    // With ERROR_START_AKE libotr answers an OTR error with a query.
    let error = alice.receive(BOB, &got.to_send[0]).unwrap();
    assert_eq!(
        error.events,
        [PeerEvent::MessageEvent {
            kind: "OTRL_MSGEVENT_RCVDMSG_GENERAL_ERR".to_owned(),
            text: Some("You transmitted an unreadable encrypted message.".to_owned())
        }]
    );
    assert_eq!(error.to_send.len(), 1);
    assert!(error.to_send[0].starts_with("?OTRv23?"), "{error:#?}");
}
