// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! Sotto's OTR engine (`sotto-otr`) against C libotr 4.1.1: v3 and v2,
//! started by either side by query and by whitespace tag, bursts before the
//! other side replies, 6 KB messages in fragments, SMP, session end, and a
//! libotr identity imported and recognised by a libotr peer.
//!
//! Raw OTR bodies go back and forth in-process: libotr runs in the harness
//! program behind `sotto_tests::libotr`, our engine in this test.

#![allow(clippy::unwrap_used)]

use sotto_otr::{
    Policy, PrivateKey, SmpEvent, State, Trust, Versions as OtrVersions, parse_fingerprints,
    parse_private_keys,
};
use sotto_tests::TestDir;
use sotto_tests::libotr::{LibotrPeer, MsgState, PeerEvent, Versions};

#[path = "otr_libotr/link.rs"]
mod link;

use link::{Link, Sotto, THEM, US};

/// Every combination of who starts and which version, by query.
#[test]
fn ake_by_query_v3_and_v2_from_either_side() {
    let cases = [
        // (our versions, libotr's, we start, expected version)
        (OtrVersions::default(), Versions::Both, true, 3),
        (OtrVersions::default(), Versions::Both, false, 3),
        (OtrVersions::default(), Versions::V2, true, 2),
        (OtrVersions::default(), Versions::V2, false, 2),
        (
            OtrVersions {
                v2: true,
                v3: false,
            },
            Versions::Both,
            true,
            2,
        ),
        (
            OtrVersions {
                v2: true,
                v3: false,
            },
            Versions::Both,
            false,
            2,
        ),
    ];
    for (i, (ours, theirs, we_start, version)) in cases.into_iter().enumerate() {
        let mut l = Link::new(Policy::Manual, ours, theirs, 10 + i as u64);
        if we_start {
            let q = l.us.conv.start();
            let q = l.us.file(q);
            l.pump(q, vec![]);
        } else {
            let q = l.them.query(US).unwrap();
            l.pump(vec![], vec![q]);
        }
        l.assert_encrypted(version);
        assert!(
            l.their_events().contains(&PeerEvent::GoneSecure),
            "case {i}"
        );
        assert!(l.us.delivered.is_empty(), "case {i}: {:?}", l.us.delivered);
        l.chat(&format!("case {i}"));
    }
}

#[test]
fn ake_by_whitespace_tag_either_side() {
    // Our opportunistic tag on a plaintext message starts libotr's AKE.
    let mut l = Link::new(
        Policy::Opportunistic,
        OtrVersions::default(),
        Versions::Both,
        20,
    );
    let wire = l.us.send("hello in plaintext");
    assert_eq!(wire.len(), 1);
    assert!(wire[0].starts_with("hello in plaintext \t"));
    l.pump(wire, vec![]);
    assert_eq!(l.their_texts(), ["hello in plaintext"]);
    l.assert_encrypted(3);
    l.chat("tag from us");

    // libotr's tag starts ours (v2-only libotr: a v2 session).
    for (theirs, version, seed) in [(Versions::Both, 3, 21), (Versions::V2, 2, 22)] {
        let mut l = Link::new(Policy::Opportunistic, OtrVersions::default(), theirs, seed);
        l.them.set_whitespace_tag(true).unwrap();
        let wire = l.them.send(US, "tagged hello").unwrap();
        l.pump(vec![], wire);
        assert_eq!(l.us.delivered, [("tagged hello".to_owned(), false)]);
        l.assert_encrypted(version);
        l.chat("tag from libotr");
    }
}

#[test]
fn always_policy_holds_messages_until_encrypted() {
    let mut l = Link::new(Policy::Always, OtrVersions::default(), Versions::Both, 25);
    let first = l.us.send("never in plaintext 1");
    let second = l.us.send("never in plaintext 2");
    assert_eq!(first.len(), 1);
    assert!(first[0].starts_with("?OTRv23?"));
    assert!(second.is_empty());
    l.pump(first, vec![]);
    l.assert_encrypted(3);
    assert_eq!(
        l.their_texts(),
        ["never in plaintext 1", "never in plaintext 2"]
    );
}

/// Bursts from one side before the other replies, both ways, several rounds
/// (each reply rotates keys), in v3 and v2.
#[test]
fn bursts_before_replies_both_ways() {
    for (theirs, version, seed) in [(Versions::Both, 3, 30), (Versions::V2, 2, 31)] {
        let mut l = Link::new(Policy::Manual, OtrVersions::default(), theirs, seed);
        let q = l.them.query(US).unwrap();
        l.pump(vec![], vec![q]);
        l.assert_encrypted(version);
        let mut ours_sent = Vec::new();
        let mut theirs_sent = Vec::new();
        for round in 0..3 {
            // Our burst reaches libotr only after all of it was sent.
            let mut wire = Vec::new();
            for i in 0..(3 + round) {
                let t = format!("sotto {round}.{i}");
                wire.extend(l.us.send(&t));
                ours_sent.push(t);
            }
            l.pump(wire, vec![]);
            let mut wire = Vec::new();
            for i in 0..(4 + round) {
                let t = format!("libotr {round}.{i}");
                wire.extend(l.them.send(US, &t).unwrap());
                theirs_sent.push(t);
            }
            l.pump(vec![], wire);
        }
        assert_eq!(l.their_texts(), ours_sent, "v{version}");
        assert_eq!(l.us.texts(), theirs_sent, "v{version}");
        assert!(l.us.delivered.iter().all(|(_, enc)| *enc));
    }
}

/// A 6 KB message in fragments, both ways, v3 and v2.
#[test]
fn six_kilobytes_in_fragments_both_ways() {
    let big: String = (0..6 * 1024)
        .map(|i| char::from(b'a' + (i % 26) as u8))
        .collect();
    for (theirs, version, seed) in [(Versions::Both, 3, 40), (Versions::V2, 2, 41)] {
        let mut l = Link::new(Policy::Manual, OtrVersions::default(), theirs, seed);
        l.us.conv.set_max_fragment_size(Some(700));
        l.them.set_max_message_size(500).unwrap();
        let q = l.us.conv.start();
        let q = l.us.file(q);
        l.pump(q, vec![]);
        l.assert_encrypted(version);

        let wire = l.us.send(&big);
        assert!(wire.len() > 5, "{} fragments", wire.len());
        assert!(wire.iter().all(|w| w.len() <= 700));
        let prefix = if version == 3 { "?OTR|" } else { "?OTR," };
        assert!(wire.iter().all(|w| w.starts_with(prefix)));
        l.pump(wire, vec![]);
        assert_eq!(l.their_texts().last().copied(), Some(big.as_str()));

        let wire = l.them.send(US, &big).unwrap();
        assert!(wire.len() > 5, "{} fragments", wire.len());
        assert!(wire.iter().all(|w| w.starts_with(prefix)));
        l.pump(vec![], wire);
        assert_eq!(l.us.texts().last().copied(), Some(big.as_str()));
    }
}

fn encrypted(seed: u64, theirs: Versions) -> Link {
    let mut l = Link::new(Policy::Manual, OtrVersions::default(), theirs, seed);
    let q = l.us.conv.start();
    let q = l.us.file(q);
    l.pump(q, vec![]);
    l
}

/// SMP started by us: right secret, wrong secret, with a question.
#[test]
fn smp_started_by_us() {
    for (theirs, question, ours, their_secret, seed) in [
        (Versions::Both, None, "open sesame", "open sesame", 50),
        (
            Versions::Both,
            Some("Our first pub?"),
            "The Eagle",
            "The Eagle",
            51,
        ),
        (Versions::Both, None, "right", "wrong", 52),
        (Versions::V2, Some("Colour?"), "blue", "blue", 53),
    ] {
        let mut l = encrypted(seed, theirs);
        let (now, rng) = (l.us.now, &mut l.us.rng);
        let acts =
            l.us.conv
                .smp_start(ours.as_bytes(), question, now, rng)
                .unwrap();
        let wire = l.us.file(acts);
        l.pump(wire, vec![]);
        let asked = PeerEvent::SmpAskForSecret {
            question: question.map(str::to_owned),
        };
        assert!(l.their_events().contains(&asked), "{:?}", l.their_events());
        let wire = l.them.smp_respond(US, their_secret).unwrap();
        l.pump(vec![], wire);
        let ok = ours == their_secret;
        let expect = if ok {
            SmpEvent::Succeeded
        } else {
            SmpEvent::Failed
        };
        assert_eq!(l.us.smp.last(), Some(&expect), "{:?}", l.us.smp);
        let theirs_expect = if ok {
            PeerEvent::SmpSucceeded
        } else {
            PeerEvent::SmpFailed
        };
        assert!(
            l.their_events().contains(&theirs_expect),
            "{:?}",
            l.their_events()
        );
        // libotr trusts our key after SMP unless it answered a question (the
        // asker authenticated the answerer, not the other way round).
        let trusted = ok && question.is_none();
        assert_eq!(l.them.peer_fingerprint(US).unwrap().unwrap().1, trusted);
        l.chat("after smp");
    }
}

/// SMP started by libotr: right secret, wrong secret, with a question.
#[test]
fn smp_started_by_libotr() {
    for (theirs, question, their_secret, ours, seed) in [
        (Versions::Both, None, "open sesame", "open sesame", 60),
        (
            Versions::Both,
            Some("Our first pub?"),
            "The Eagle",
            "The Eagle",
            61,
        ),
        (Versions::Both, Some("Name?"), "right", "wrong", 62),
        (Versions::V2, None, "v2 secret", "v2 secret", 63),
    ] {
        let mut l = encrypted(seed, theirs);
        let wire = l.them.smp_start(US, their_secret, question).unwrap();
        l.pump(vec![], wire);
        assert_eq!(
            l.us.smp,
            [SmpEvent::Requested {
                question: question.map(str::to_owned)
            }]
        );
        let (now, rng) = (l.us.now, &mut l.us.rng);
        let acts = l.us.conv.smp_respond(ours.as_bytes(), now, rng).unwrap();
        let wire = l.us.file(acts);
        l.pump(wire, vec![]);
        let ok = ours == their_secret;
        let expect = if ok {
            SmpEvent::Succeeded
        } else {
            SmpEvent::Failed
        };
        assert_eq!(l.us.smp.last(), Some(&expect), "{:?}", l.us.smp);
        let theirs_expect = if ok {
            PeerEvent::SmpSucceeded
        } else {
            PeerEvent::SmpFailed
        };
        assert!(
            l.their_events().contains(&theirs_expect),
            "{:?}",
            l.their_events()
        );
        l.chat("after smp");
    }
}

#[test]
fn smp_abort_both_ways() {
    let mut l = encrypted(65, Versions::Both);
    let wire = l.them.smp_start(US, "x", None).unwrap();
    l.pump(vec![], wire);
    let acts = l.us.conv.smp_abort(l.us.now).unwrap();
    let wire = l.us.file(acts);
    l.pump(wire, vec![]);
    assert!(
        l.their_events().contains(&PeerEvent::SmpAborted),
        "{:?}",
        l.their_events()
    );

    let (now, rng) = (l.us.now, &mut l.us.rng);
    let acts = l.us.conv.smp_start(b"y", None, now, rng).unwrap();
    let wire = l.us.file(acts);
    l.pump(wire, vec![]);
    let wire = l.them.smp_abort(US).unwrap();
    l.pump(vec![], wire);
    assert_eq!(l.us.smp.last(), Some(&SmpEvent::Aborted));
    l.chat("after aborts");
}

#[test]
fn session_end_either_side() {
    // We end: libotr goes to finished and refuses to send.
    let mut l = encrypted(70, Versions::Both);
    let acts = l.us.conv.end(l.us.now).unwrap();
    let wire = l.us.file(acts);
    l.pump(wire, vec![]);
    assert_eq!(l.us.conv.state(), State::Plaintext);
    assert_eq!(l.their_state().0, MsgState::Finished);
    assert!(l.them.send(US, "into the void").unwrap().is_empty());

    // libotr ends: we go to finished and refuse to send, until we end too.
    for (theirs, seed) in [(Versions::Both, 71), (Versions::V2, 72)] {
        let mut l = encrypted(seed, theirs);
        let wire = l.them.end(US).unwrap();
        assert!(!wire.is_empty());
        l.pump(vec![], wire);
        assert_eq!(l.us.conv.state(), State::Finished);
        let now = l.us.now;
        assert_eq!(
            l.us.conv.send("nope", now, &mut l.us.rng),
            Err(sotto_otr::Error::SessionFinished)
        );
        l.us.conv.end(now).unwrap();
        assert_eq!(l.us.conv.state(), State::Plaintext);
        // Restart from our side.
        let q = l.us.conv.start();
        let q = l.us.file(q);
        l.pump(q, vec![]);
        l.us.conv.state();
        assert_eq!(l.us.conv.state(), State::Encrypted);
        l.chat("restarted");
    }
}

/// A libotr identity (Pidgin's `otr.private_key`) imported by our parser is
/// the identity a libotr contact already verified.
#[test]
fn imported_libotr_identity_is_recognised_by_its_contact() {
    // Alice's old client: libotr generates her key and writes Pidgin's files.
    let alice_dir = TestDir::new("otr-import-alice").unwrap();
    let alice_fp = {
        let mut old_client = LibotrPeer::spawn_in(US, Versions::Both, alice_dir.path()).unwrap();
        old_client.fingerprint().unwrap()
    };
    // Bob's client knows and trusts that key (written as Pidgin writes it).
    let bob_dir = TestDir::new("otr-import-bob").unwrap();
    let compact: String = alice_fp
        .split_whitespace()
        .collect::<String>()
        .to_lowercase();
    let line = format!(
        "{US}\t{THEM}\t{}\t{compact}\tverified\n",
        sotto_tests::libotr::PROTOCOL
    );
    std::fs::write(bob_dir.join("otr.fingerprints"), &line).unwrap();
    let mut bob = LibotrPeer::spawn_in(THEM, Versions::Both, bob_dir.path()).unwrap();
    assert_eq!(
        bob.known_fingerprints(US).unwrap(),
        [(alice_fp.clone(), true)]
    );

    // Sotto imports the key file and the fingerprints file.
    // Bytes: libgcrypt may write part of a key as a string of raw bytes.
    let data = std::fs::read(alice_dir.join("otr.private_key")).unwrap();
    let keys = parse_private_keys(&data).unwrap();
    assert_eq!(keys.len(), 1);
    assert_eq!(keys[0].account, US);
    assert_eq!(keys[0].bare_account(), "alice@localhost");
    assert_eq!(keys[0].key.fingerprint().to_string(), alice_fp);
    let known = parse_fingerprints(&line).unwrap();
    assert_eq!(known[0].trust, Trust::VerifiedFingerprint);

    // Stored and loaded again (as the core does), then used with Bob.
    let stored = keys[0].key.to_bytes();
    let key = PrivateKey::from_bytes(&stored).unwrap();
    let mut l = Link {
        us: Sotto::new(key, Policy::Manual, OtrVersions::default(), 80),
        them: bob,
        got: Vec::new(),
    };
    let q = l.us.conv.start();
    let q = l.us.file(q);
    l.pump(q, vec![]);
    l.assert_encrypted(3);
    // Bob recognises the key: no new fingerprint, and it is trusted.
    assert!(
        !l.their_events()
            .iter()
            .any(|e| matches!(e, PeerEvent::NewFingerprint(_))),
        "{:?}",
        l.their_events()
    );
    assert_eq!(l.them.peer_fingerprint(US).unwrap(), Some((alice_fp, true)));
    l.chat("imported");
}

/// libotr's error message for a message it cannot read reaches us as a peer
/// error, and garbage from us never breaks the session.
#[test]
fn errors_do_not_break_the_session() {
    // v2, so that libotr tries to read a message from another session
    // (in v3 it would drop it silently as addressed to another instance).
    let mut l = encrypted(90, Versions::V2);
    let mut fresh = Link::new(
        Policy::Opportunistic,
        OtrVersions::default(),
        Versions::V2,
        91,
    );
    let q = fresh.us.conv.start();
    let q = fresh.us.file(q);
    fresh.pump(q, vec![]);
    let stray = l.us.send("for someone else");
    let got = fresh.them.receive(US, &stray[0]).unwrap();
    let errors: Vec<&String> = got
        .to_send
        .iter()
        .filter(|w| w.starts_with("?OTR Error:"))
        .collect();
    assert_eq!(errors.len(), 1, "{got:?}");
    let acts = fresh
        .us
        .conv
        .receive(errors[0], fresh.us.now, &mut fresh.us.rng)
        .unwrap();
    fresh.us.file(acts);
    assert_eq!(fresh.us.peer_errors.len(), 1);

    // Garbage and a replay to our engine: errors, then the session goes on.
    let now = l.us.now;
    assert!(
        l.us.conv
            .receive("?OTR:AAMDgarbage.", now, &mut l.us.rng)
            .is_err()
    );
    let wire = l.them.send(US, "once").unwrap();
    l.pump(vec![], wire.clone());
    assert_eq!(
        l.us.conv.receive(&wire[0], now, &mut l.us.rng),
        Err(sotto_otr::Error::Replay)
    );
    l.chat("after errors");
}
