// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! A hostile peer: every input here is one a stranger can send. Each test
//! checks the input is refused or bounded, and that the honest session (when
//! there is one) still works afterwards.

use std::time::Duration;

use super::harness::Pair;
use crate::ake::Ake;
use crate::conversation::session::{Msg, Session};
use crate::limits::{
    FRAGMENT_TTL, MAX_FRAGMENT_STREAMS, MAX_REVEAL_PENDING, MAX_SESSIONS, SMP_REQUESTS, SMP_WINDOW,
};
use crate::message::encoded::{Body, Header, serialize_ake};
use crate::testutil::rng;
use crate::tlv::{self, Tlv};
use crate::wire::armour;
use crate::{Action, Error, Policy, SmpEvent, State};

fn plaintext_pair() -> Pair {
    Pair::new(Policy::Manual, Policy::Manual, Pair::both(), Pair::both())
}

fn encrypted_pair() -> Pair {
    let mut p = plaintext_pair();
    p.start(true);
    assert_eq!(p.b.conv.state(), State::Encrypted);
    p
}

/// A v3 fragment from instance `sender` to "any instance".
fn frag(sender: u32, k: u16, n: u16, piece: &str) -> String {
    format!("?OTR|{sender:08x}|00000000,{k:05},{n:05},{piece},")
}

/// Gives B one body at `p.now`; returns the texts it delivered.
fn to_b(p: &mut Pair, body: &str) -> Result<Vec<String>, Error> {
    let now = p.now;
    let b = &mut p.b;
    let acts = b.conv.receive(body, now, &mut b.rng)?;
    Ok(acts
        .into_iter()
        .filter_map(|a| match a {
            Action::Deliver { text, .. } => Some(text),
            _ => None,
        })
        .collect())
}

/// Sends a data message with these raw text bytes and TLVs from A to B.
fn a_sends_raw(p: &mut Pair, text: &[u8], tlvs: &[Tlv]) {
    let key = p.a.conv.current;
    let now = p.now;
    let acts = p.a.conv.send_data(key, text, tlvs, 0, now).unwrap();
    p.take(true, acts);
    p.run();
}

fn honest_message_still_decrypts(p: &mut Pair) {
    p.send(true, "honest");
    p.run();
    assert_eq!(p.texts(false).last(), Some(&"honest"));
    assert_eq!(p.b.conv.state(), State::Encrypted);
}

#[test]
fn fragments_from_many_instance_tags_keep_only_a_few_streams() {
    let mut p = plaintext_pair();
    let tags: Vec<u32> = (0..50).map(|i| 0x5000 + i).collect();
    for &t in &tags {
        assert!(to_b(&mut p, &frag(t, 1, 2, "from ")).unwrap().is_empty());
    }
    let mut delivered = Vec::new();
    for &t in &tags {
        delivered.extend(to_b(&mut p, &frag(t, 2, 2, &format!("{t:x}"))).unwrap());
    }
    // Only the most recent streams survived.
    let kept = &tags[tags.len() - MAX_FRAGMENT_STREAMS..];
    let expected: Vec<String> = kept.iter().map(|t| format!("from {t:x}")).collect();
    assert_eq!(delivered, expected);
}

#[test]
fn fragment_streams_share_one_mebibyte() {
    let mut p = plaintext_pair();
    let big = "A".repeat(400_000);
    let start = p.now;
    for (i, t) in [0x5000u32, 0x5001, 0x5002].into_iter().enumerate() {
        p.now = start + Duration::from_secs(i as u64);
        assert!(to_b(&mut p, &frag(t, 1, 2, &big)).unwrap().is_empty());
    }
    let mut delivered = 0;
    for t in [0x5000u32, 0x5001, 0x5002] {
        delivered += to_b(&mut p, &frag(t, 2, 2, "!")).unwrap().len();
    }
    // 1.2 MB did not fit: the oldest stream was dropped.
    assert_eq!(delivered, 2);
}

#[test]
fn stale_fragments_expire() {
    let mut p = plaintext_pair();
    assert!(
        to_b(&mut p, &frag(0x5000, 1, 2, "stale "))
            .unwrap()
            .is_empty()
    );
    p.now += FRAGMENT_TTL + Duration::from_secs(1);
    assert!(to_b(&mut p, &frag(0x5000, 2, 2, "end")).unwrap().is_empty());
    // A fresh message from the same instance reassembles.
    assert!(
        to_b(&mut p, &frag(0x5000, 1, 2, "fresh "))
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        to_b(&mut p, &frag(0x5000, 2, 2, "end")).unwrap(),
        ["fresh end"]
    );
}

#[test]
fn absurd_fragment_indexes_are_rejected_and_session_survives() {
    let mut p = encrypted_pair();
    p.a.conv.set_max_fragment_size(Some(100));
    p.send(
        true,
        "a fragmented message, long enough to need three pieces or more",
    );
    let frags = p.hold(true);
    assert!(frags.len() >= 3);
    let n = frags.len();
    let tag = 0x1000; // A's instance
    for bad in [
        format!("?OTR|{tag:08x}|00001001,00000,00002,x,"), // k = 0
        format!("?OTR|{tag:08x}|00001001,00003,00002,x,"), // k > n
        format!("?OTR|{tag:08x}|00001001,00001,99999,x,"), // n beyond 65535
        format!("?OTR|{tag:08x}|00001001,00001,00000,x,"), // n = 0
        format!("?OTR|{tag:08x}|00001001,-0001,00002,x,"), // negative k
    ] {
        assert!(matches!(to_b(&mut p, &bad), Err(Error::Malformed { .. })));
    }
    // n changing mid-message: the message is dropped, not spliced.
    let changed = frags[1].replace(&format!(",00002,{n:05},"), &format!(",00002,{:05},", n + 1));
    assert_ne!(changed, frags[1]);
    let mut delivered = to_b(&mut p, &frags[0]).unwrap();
    delivered.extend(to_b(&mut p, &changed).unwrap());
    for f in &frags[2..] {
        delivered.extend(to_b(&mut p, f).unwrap());
    }
    assert!(delivered.is_empty());
    // The genuine pieces, in order, still make the message.
    p.inject(true, frags);
    p.run();
    assert_eq!(p.texts(false).len(), 1);
    p.a.conv.set_max_fragment_size(None);
    honest_message_still_decrypts(&mut p);
}

#[test]
fn tlv_flood_in_a_data_message_is_bounded() {
    let mut p = encrypted_pair();
    let flood: Vec<Tlv> = (0..10_000)
        .map(|_| Tlv::new(tlv::PADDING, vec![]))
        .collect();
    a_sends_raw(&mut p, b"flood", &flood);
    assert_eq!(p.texts(false), ["flood"]);
    honest_message_still_decrypts(&mut p);
}

#[test]
fn tlv_with_a_length_past_the_end_is_ignored() {
    let mut p = encrypted_pair();
    // "hi", NUL, then a TLV header claiming 65535 bytes with 3 present.
    a_sends_raw(&mut p, b"hi\0\x00\x02\xff\xffabc", &[]);
    assert_eq!(p.texts(false), ["hi"]);
    honest_message_still_decrypts(&mut p);
}

#[test]
fn repeated_smp_tlvs_in_one_message_are_handled_once() {
    let mut p = encrypted_pair();
    // Each would fail and reset the exchange, so each would cost a step.
    let tlvs: Vec<Tlv> = (0..15)
        .map(|_| Tlv::new(tlv::SMP1, vec![0, 0, 0, 6]))
        .collect();
    a_sends_raw(&mut p, b"", &tlvs);
    assert_eq!(p.b.smp, [SmpEvent::Aborted]);
    honest_message_still_decrypts(&mut p);
}

#[test]
fn smp_requests_beyond_the_budget_are_refused() {
    let mut p = encrypted_pair();
    let requested = |p: &Pair| {
        p.b.smp
            .iter()
            .filter(|e| matches!(e, SmpEvent::Requested { .. }))
            .count()
    };
    for _ in 0..=SMP_REQUESTS {
        let now = p.now;
        let acts = p.a.conv.smp_start(b"s", None, now, &mut p.a.rng).unwrap();
        p.take(true, acts);
        p.run();
    }
    assert_eq!(requested(&p), SMP_REQUESTS as usize);
    // The refused request was aborted on A's side.
    assert_eq!(p.a.smp.last(), Some(&SmpEvent::Aborted));
    // A new window: an honest exchange works again.
    p.now += SMP_WINDOW;
    let now = p.now;
    let acts = p.a.conv.smp_start(b"s", None, now, &mut p.a.rng).unwrap();
    p.take(true, acts);
    p.run();
    assert_eq!(requested(&p), SMP_REQUESTS as usize + 1);
    let acts = p.b.conv.smp_respond(b"s", now, &mut p.b.rng).unwrap();
    p.take(false, acts);
    p.run();
    assert_eq!(p.a.smp.last(), Some(&SmpEvent::Succeeded));
    assert_eq!(p.b.smp.last(), Some(&SmpEvent::Succeeded));
}

/// A D-H Commit from a made-up instance `sender`.
fn commit_from(sender: u32, body: &Body) -> String {
    let header = Header {
        version: 3,
        kind: body.kind(),
        sender,
        receiver: 0,
    };
    armour(&serialize_ake(header, body))
}

#[test]
fn dh_commits_from_many_instances_keep_few_sessions() {
    let mut p = encrypted_pair();
    let mut r = rng(77);
    for i in 0..3 * MAX_SESSIONS as u32 {
        let commit = Ake::default().start(3, &mut r);
        let now = p.now;
        let b = &mut p.b;
        let acts = b
            .conv
            .receive(&commit_from(0x7000 + i, &commit), now, &mut b.rng);
        // Each is answered with a D-H Key (one exponentiation, no more).
        assert!(matches!(acts.unwrap()[..], [Action::SendWire(_)]));
        assert!(p.b.conv.sessions.len() <= MAX_SESSIONS);
    }
    honest_message_still_decrypts(&mut p);
}

#[test]
fn oversized_dh_commitment_is_rejected() {
    let mut p = encrypted_pair();
    let body = Body::DhCommit {
        enc_gx: vec![0x42; 100_000],
        hash_gx: vec![0; 32],
    };
    let r = to_b(&mut p, &commit_from(0x7000, &body));
    assert!(matches!(r, Err(Error::Malformed { .. })));
    honest_message_still_decrypts(&mut p);
}

#[test]
fn replayed_message_after_key_rotation_is_rejected() {
    let mut p = encrypted_pair();
    p.send(true, "once");
    let held = p.hold(true);
    p.inject(true, held.clone());
    p.run();
    // Both sides rotate keys.
    p.send(false, "reply");
    p.run();
    p.send(true, "two");
    p.run();
    let r = to_b(&mut p, &held[0]);
    assert!(matches!(r, Err(Error::Replay | Error::UnknownKeyId)));
    assert_eq!(p.texts(false), ["once", "two"]);
    honest_message_still_decrypts(&mut p);
}

/// MAC keys B holds for revealing, in its current session.
fn reveal_pending(p: &Pair) -> usize {
    let s = &p.b.conv.sessions[&p.b.conv.current];
    match &s.msg {
        Msg::Encrypted(k) => k.reveal_pending(),
        _ => 0,
    }
}

#[test]
fn old_mac_keys_waiting_for_reveal_stay_bounded() {
    let mut p = encrypted_pair();
    // B sent just now, so it owes no heartbeat for being idle.
    p.send(false, "hi");
    p.run();
    for i in 0..200 {
        p.send(true, &format!("m{i}"));
        p.step().unwrap().unwrap();
        // B's heartbeats are dropped, so only the line below rotates A's keys.
        p.hold(false);
        // A announces a fresh key in every message, as a hostile peer may:
        // each makes B retire a MAC key that it must reveal later.
        let key = p.a.conv.current;
        if let Some(Session {
            msg: Msg::Encrypted(k),
            ..
        }) = p.a.conv.sessions.get_mut(&key)
        {
            k.rotate_ours_for_test(&mut p.a.rng);
        }
        assert!(reveal_pending(&p) <= MAX_REVEAL_PENDING);
    }
    assert_eq!(p.texts(false).len(), 200);
    honest_message_still_decrypts(&mut p);
}
