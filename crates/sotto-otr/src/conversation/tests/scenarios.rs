// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

use super::harness::Pair;
use crate::{Error, Policy, SmpEvent, SmpState, State, Version, Versions};

fn encrypted_pair(va: Versions, vb: Versions) -> Pair {
    let mut p = Pair::new(Policy::Manual, Policy::Manual, va, vb);
    p.start(true);
    assert_eq!(p.a.conv.state(), State::Encrypted);
    assert_eq!(p.b.conv.state(), State::Encrypted);
    p
}

const V2: Versions = Versions {
    v2: true,
    v3: false,
};

#[test]
fn ake_v3_by_query() {
    let mut p = encrypted_pair(Pair::both(), Pair::both());
    assert_eq!(p.a.conv.version(), Some(Version::V3));
    assert_eq!(
        p.a.conv.peer_fingerprint(),
        Some(p.b.conv.account.fingerprint())
    );
    assert_eq!(
        p.b.conv.peer_fingerprint(),
        Some(p.a.conv.account.fingerprint())
    );
    assert_eq!(p.a.conv.session_id(), p.b.conv.session_id());
    assert_eq!(p.a.conv.their_instance().unwrap().get(), 0x1001);
    p.send(true, "hello bob");
    p.run();
    p.send(false, "hi alice");
    p.run();
    assert_eq!(p.b.delivered, vec![("hello bob".to_owned(), true)]);
    assert_eq!(p.a.delivered, vec![("hi alice".to_owned(), true)]);
}

#[test]
fn ake_v2_by_query_either_side() {
    for (va, vb) in [(V2, Pair::both()), (Pair::both(), V2)] {
        let mut p = encrypted_pair(va, vb);
        assert_eq!(p.a.conv.version(), Some(Version::V2));
        assert_eq!(p.b.conv.their_instance(), None);
        p.send(false, "v2 works");
        p.run();
        assert_eq!(p.texts(true), ["v2 works"]);
    }
}

#[test]
fn ake_by_whitespace_tag() {
    let mut p = Pair::new(
        Policy::Opportunistic,
        Policy::Opportunistic,
        Pair::both(),
        Pair::both(),
    );
    p.send(true, "plain hello");
    p.run();
    assert_eq!(p.b.delivered, vec![("plain hello".to_owned(), false)]);
    assert_eq!(p.a.conv.state(), State::Encrypted);
    assert_eq!(p.b.conv.state(), State::Encrypted);
}

#[test]
fn manual_policy_ignores_tag_and_never_tags() {
    let mut p = Pair::new(
        Policy::Opportunistic,
        Policy::Manual,
        Pair::both(),
        Pair::both(),
    );
    p.send(true, "tagged");
    p.run();
    assert_eq!(p.b.conv.state(), State::Plaintext);
    p.send(false, "reply");
    assert_eq!(p.wire.back().unwrap().1, "reply");
    p.run();
}

#[test]
fn always_policy_queues_until_encrypted() {
    let mut p = Pair::new(Policy::Always, Policy::Manual, Pair::both(), Pair::both());
    p.send(true, "secret one");
    p.send(true, "secret two");
    // Nothing but a query goes out.
    assert_eq!(p.wire.len(), 1);
    assert!(p.wire[0].1.starts_with("?OTRv23?"));
    p.run();
    assert_eq!(p.texts(false), ["secret one", "secret two"]);
    assert!(p.b.delivered.iter().all(|(_, enc)| *enc));
}

#[test]
fn bursts_and_key_rotation_lose_nothing() {
    let mut p = encrypted_pair(Pair::both(), Pair::both());
    let mut expect_a = Vec::new();
    let mut expect_b = Vec::new();
    for round in 0..4 {
        for i in 0..5 {
            let t = format!("a{round}-{i}");
            p.send(true, &t);
            expect_b.push(t);
        }
        p.run();
        for i in 0..3 {
            let t = format!("b{round}-{i}");
            p.send(false, &t);
            expect_a.push(t);
        }
        p.run();
    }
    assert_eq!(p.texts(false), expect_b);
    assert_eq!(p.texts(true), expect_a);
}

#[test]
fn interleaved_sends_before_delivery() {
    let mut p = encrypted_pair(Pair::both(), Pair::both());
    for i in 0..3 {
        p.send(true, &format!("a{i}"));
        p.send(false, &format!("b{i}"));
    }
    p.run();
    for i in 3..6 {
        p.send(true, &format!("a{i}"));
        p.send(false, &format!("b{i}"));
        p.run();
    }
    assert_eq!(p.texts(false), ["a0", "a1", "a2", "a3", "a4", "a5"]);
    assert_eq!(p.texts(true), ["b0", "b1", "b2", "b3", "b4", "b5"]);
}

#[test]
fn out_of_order_within_a_key_and_replay() {
    let mut p = encrypted_pair(Pair::both(), Pair::both());
    for i in 0..4 {
        p.send(true, &format!("m{i}"));
    }
    let mut held = p.hold(true);
    held.swap(0, 3);
    held.swap(1, 2);
    let replay = held[0].clone();
    p.inject(true, held);
    p.run();
    assert_eq!(p.texts(false), ["m3", "m2", "m1", "m0"]);
    p.inject(true, [replay]);
    assert_eq!(p.step(), Some(Err(Error::Replay)));
    // Still usable.
    p.send(false, "after replay");
    p.send(true, "still fine");
    p.run();
    assert_eq!(p.texts(true), ["after replay"]);
    assert_eq!(p.texts(false).last(), Some(&"still fine"));
}

#[test]
fn old_key_messages_after_rotation_still_decrypt() {
    let mut p = encrypted_pair(Pair::both(), Pair::both());
    p.send(true, "early");
    let late = p.hold(true);
    p.send(true, "x");
    p.run();
    // B's reply makes A rotate; B rotated A's key when "x" arrived, but
    // still holds the previous one.
    p.send(false, "reply rotates");
    p.run();
    p.inject(true, late);
    p.run();
    p.send(true, "after rotation");
    p.run();
    assert_eq!(p.texts(false), ["x", "early", "after rotation"]);
}

#[test]
fn fragmentation_tiny_and_large() {
    for (max, versions) in [(37usize, Pair::both()), (19, V2), (400, Pair::both())] {
        let mut p = Pair::new(Policy::Manual, Policy::Manual, versions, versions);
        p.a.conv.set_max_fragment_size(Some(max));
        p.b.conv.set_max_fragment_size(Some(max));
        p.start(true);
        assert_eq!(p.a.conv.state(), State::Encrypted);
        let big: String = (0..6 * 1024)
            .map(|i| char::from(b'a' + (i % 26) as u8))
            .collect();
        p.send(true, &big);
        assert!(p.wire.len() > 1);
        assert!(p.wire.iter().all(|(_, w)| w.len() <= max));
        p.run();
        p.send(false, &big);
        p.run();
        assert_eq!(p.texts(false), [big.as_str()]);
        assert_eq!(p.texts(true), [big.as_str()]);
    }
}

#[test]
fn fragment_size_too_small_is_an_error() {
    let mut p = encrypted_pair(Pair::both(), Pair::both());
    p.a.conv.set_max_fragment_size(Some(20));
    let now = p.now;
    let err = p.a.conv.send("hello", now, &mut p.a.rng).unwrap_err();
    assert_eq!(err, Error::FragmentSize(20));
}

fn smp(question: Option<&str>, secret_a: &[u8], secret_b: &[u8], versions: Versions) -> Pair {
    let mut p = encrypted_pair(versions, versions);
    let now = p.now;
    let acts =
        p.a.conv
            .smp_start(secret_a, question, now, &mut p.a.rng)
            .unwrap();
    p.take(true, acts);
    p.run();
    assert_eq!(
        p.b.smp,
        [SmpEvent::Requested {
            question: question.map(str::to_owned)
        }]
    );
    assert_eq!(
        p.b.conv.smp_state(),
        SmpState::AnswerNeeded {
            question: question.map(str::to_owned)
        }
    );
    let acts = p.b.conv.smp_respond(secret_b, now, &mut p.b.rng).unwrap();
    p.take(false, acts);
    p.run();
    p
}

#[test]
fn smp_success_with_and_without_question() {
    for (q, v) in [(None, Pair::both()), (Some("Where did we meet?"), V2)] {
        let p = smp(q, b"the pub", b"the pub", v);
        assert_eq!(p.a.smp.last(), Some(&SmpEvent::Succeeded));
        assert_eq!(p.b.smp.last(), Some(&SmpEvent::Succeeded));
        assert_eq!(p.a.conv.smp_state(), SmpState::Succeeded);
        assert_eq!(p.b.conv.smp_state(), SmpState::Succeeded);
    }
}

#[test]
fn smp_failure() {
    let p = smp(Some("colour?"), b"blue", b"green", Pair::both());
    assert_eq!(p.a.smp.last(), Some(&SmpEvent::Failed));
    assert_eq!(p.b.smp.last(), Some(&SmpEvent::Failed));
}

#[test]
fn smp_abort() {
    let mut p = encrypted_pair(Pair::both(), Pair::both());
    let now = p.now;
    let acts = p.a.conv.smp_start(b"s", None, now, &mut p.a.rng).unwrap();
    p.take(true, acts);
    p.run();
    let acts = p.b.conv.smp_abort(now).unwrap();
    p.take(false, acts);
    p.run();
    assert_eq!(p.a.smp, [SmpEvent::Aborted]);
    assert_eq!(p.a.conv.smp_state(), SmpState::Aborted);
    assert_eq!(p.b.conv.smp_state(), SmpState::Aborted);
    assert!(matches!(
        p.b.conv.smp_respond(b"s", now, &mut p.b.rng),
        Err(Error::SmpState { .. })
    ));
    // A new run after the abort works.
    let acts =
        p.b.conv
            .smp_start(b"again", None, now, &mut p.b.rng)
            .unwrap();
    p.take(false, acts);
    p.run();
    let acts = p.a.conv.smp_respond(b"again", now, &mut p.a.rng).unwrap();
    p.take(true, acts);
    p.run();
    assert_eq!(p.a.smp.last(), Some(&SmpEvent::Succeeded));
    assert_eq!(p.b.smp.last(), Some(&SmpEvent::Succeeded));
}

#[test]
fn session_end_finishes_peer() {
    let mut p = encrypted_pair(Pair::both(), Pair::both());
    let now = p.now;
    let acts = p.a.conv.end(now).unwrap();
    assert!(acts.contains(&crate::Action::StateChanged(State::Plaintext)));
    p.take(true, acts);
    p.run();
    assert_eq!(p.a.conv.state(), State::Plaintext);
    assert_eq!(p.b.conv.state(), State::Finished);
    assert_eq!(
        p.b.conv.send("lost?", now, &mut p.b.rng),
        Err(Error::SessionFinished)
    );
    p.b.conv.end(now).unwrap();
    assert_eq!(p.b.conv.state(), State::Plaintext);
    // And a new session can start.
    p.start(false);
    assert_eq!(p.a.conv.state(), State::Encrypted);
}

#[test]
fn malformed_inputs_are_errors_and_session_survives() {
    let mut p = encrypted_pair(Pair::both(), Pair::both());
    p.send(true, "genuine");
    let genuine = p.hold(true).remove(0);
    let now = p.now;
    let b = &mut p.b;
    assert_eq!(
        b.conv.receive("?OTR:@@@@.", now, &mut b.rng),
        Err(Error::Base64)
    );
    assert!(matches!(
        b.conv.receive("?OTR:AAM.", now, &mut b.rng),
        Err(Error::Base64 | Error::Truncated { .. })
    ));
    assert!(matches!(
        b.conv.receive("?OTR:AAMD.", now, &mut b.rng),
        Err(Error::Truncated { .. })
    ));
    // Wrong version.
    assert_eq!(
        b.conv.receive("?OTR:AAQD.", now, &mut b.rng),
        Err(Error::UnsupportedVersion(4))
    );
    // Flip a ciphertext byte: bad MAC.
    let mut bytes = crate::wire::dearmour(&genuine[5..]).unwrap();
    let n = bytes.len();
    bytes[n - 30] ^= 0x40;
    let forged = crate::wire::armour(&bytes);
    let err = b.conv.receive(&forged, now, &mut b.rng).unwrap_err();
    assert_eq!(
        err,
        Error::BadMac {
            what: "a data message"
        }
    );
    assert!(err.reply_to_peer().is_some());
    // Another receiver instance.
    let mut other = crate::wire::dearmour(&genuine[5..]).unwrap();
    other[7..11].copy_from_slice(&0x4242u32.to_be_bytes());
    let other = crate::wire::armour(&other);
    assert_eq!(
        b.conv.receive(&other, now, &mut b.rng),
        Err(Error::NotOurInstance(0x4242))
    );
    // The genuine one still decrypts, and only once.
    let acts = b.conv.receive(&genuine, now, &mut b.rng).unwrap();
    assert!(acts.contains(&crate::Action::Deliver {
        text: "genuine".into(),
        encrypted: true
    }));
    assert_eq!(
        b.conv.receive(&genuine, now, &mut b.rng),
        Err(Error::Replay)
    );
    assert_eq!(b.conv.state(), State::Encrypted);
}

#[test]
fn data_message_without_session_is_unreadable() {
    let mut p = encrypted_pair(Pair::both(), Pair::both());
    p.send(true, "to a restarted peer");
    let msg = p.hold(true).remove(0);
    let mut fresh =
        super::harness::Pair::new(Policy::Manual, Policy::Manual, Pair::both(), Pair::both());
    let now = p.now;
    let b = &mut fresh.b;
    let err = b.conv.receive(&msg, now, &mut b.rng).unwrap_err();
    assert_eq!(err, Error::NoSession);
    assert!(err.reply_to_peer().unwrap().starts_with("?OTR Error:"));
}

#[test]
fn peer_error_restarts_ake_in_opportunistic() {
    let mut p = Pair::new(
        Policy::Opportunistic,
        Policy::Manual,
        Pair::both(),
        Pair::both(),
    );
    p.inject(
        false,
        ["?OTR Error: You transmitted an unreadable encrypted message.".to_owned()],
    );
    p.run();
    assert_eq!(p.a.peer_errors.len(), 1);
    assert_eq!(p.a.conv.state(), State::Encrypted);
}

#[test]
fn heartbeat_after_silence() {
    let mut p = encrypted_pair(Pair::both(), Pair::both());
    p.send(true, "one");
    p.step().unwrap().unwrap();
    // B never sent anything: it answers with a heartbeat.
    assert_eq!(p.wire.len(), 1);
    p.run();
    assert!(p.a.delivered.is_empty());
    p.send(true, "two");
    p.step().unwrap().unwrap();
    assert!(p.wire.is_empty(), "no heartbeat within 60 s");
}

/// Two clients of one peer (a message to a bare JID reaches both) each get
/// their own v3 session; messages go to the most recent one, and the other
/// instance rejects what is not addressed to it.
#[test]
fn one_session_per_remote_instance() {
    use std::sync::Arc;

    use crate::testutil::{keys, rng};
    use crate::{Account, Action, Conversation, InstanceTag};

    let now = std::time::UNIX_EPOCH;
    let acct = |k: usize, tag: u32| {
        Arc::new(Account::new(
            keys()[k].clone(),
            InstanceTag::new(tag).unwrap(),
            Policy::Manual,
        ))
    };
    let mut a = Conversation::new(acct(0, 0x1000));
    let mut b1 = Conversation::new(acct(1, 0x2001));
    let mut b2 = Conversation::new(acct(1, 0x2002));
    let (mut ra, mut r1, mut r2) = (rng(1), rng(2), rng(3));
    let wire = |acts: Vec<Action>| -> Vec<String> {
        acts.into_iter()
            .filter_map(|a| match a {
                Action::SendWire(s) => Some(s),
                _ => None,
            })
            .collect()
    };
    // A's query reaches both; each answers with a D-H Commit to "any instance".
    let query = wire(a.start()).remove(0);
    let c1 = wire(b1.receive(&query, now, &mut r1).unwrap());
    let c2 = wire(b2.receive(&query, now, &mut r2).unwrap());
    // Run each exchange to the end (b1 first, then b2).
    for (b, r, mut to_a) in [(&mut b1, &mut r1, c1), (&mut b2, &mut r2, c2)] {
        while !to_a.is_empty() {
            let mut to_b = Vec::new();
            for m in to_a.drain(..) {
                to_b.extend(wire(a.receive(&m, now, &mut ra).unwrap()));
            }
            for m in to_b {
                to_a.extend(wire(b.receive(&m, now, &mut *r).unwrap()));
            }
        }
        assert_eq!(b.state(), State::Encrypted);
    }
    assert_eq!(a.state(), State::Encrypted);
    assert_eq!(a.their_instance().unwrap().get(), 0x2002);
    let msg = wire(a.send("for the newest client", now, &mut ra).unwrap()).remove(0);
    assert_eq!(
        b1.receive(&msg, now, &mut r1),
        Err(Error::NotOurInstance(0x2002))
    );
    let got = b2.receive(&msg, now, &mut r2).unwrap();
    assert!(got.contains(&Action::Deliver {
        text: "for the newest client".into(),
        encrypted: true
    }));
    // b1 writes: its session becomes the current one for replies.
    let from_b1 = wire(b1.send("from the other client", now, &mut r1).unwrap()).remove(0);
    a.receive(&from_b1, now, &mut ra).unwrap();
    assert_eq!(a.their_instance().unwrap().get(), 0x2001);
    let reply = wire(a.send("back to you", now, &mut ra).unwrap()).remove(0);
    assert!(b1.receive(&reply, now, &mut r1).is_ok());
}
