// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! What one hostile message costs, printed rather than asserted (timings
//! depend on the machine). Run in release:
//! `cargo test --release -p sotto-otr cost_ -- --ignored --nocapture`.
//! The security review measured these before the size checks existed; the
//! behaviour they rely on (rejection before any exponentiation) is asserted
//! by the adversarial tests, which run in every build.

use std::time::{Duration, Instant};

use num_bigint::BigUint;

use super::harness::Pair;
use crate::message::encoded::FLAG_IGNORE_UNREADABLE;
use crate::tlv::{self, Tlv};
use crate::wire::Writer;
use crate::{Policy, PublicKey, SmpEvent, State};

/// An OTR-encoded DSA public key with a q of `q_bytes` bytes and a 4096-bit
/// p, and a signature (r = q - 1, s = 2) as long as such a q asks.
pub(super) fn huge_q_key(q_bytes: usize) -> (Vec<u8>, Vec<u8>) {
    let one = BigUint::from(1u8);
    let q = (&one << (8 * q_bytes)) - 1u8;
    let p = (&one << 4095u32) + 1u8;
    let mut w = Writer::new();
    w.short(0)
        .mpi(&p)
        .mpi(&q)
        .mpi(&BigUint::from(2u8))
        .mpi(&BigUint::from(3u8));
    let mut sig = (&q - 1u8).to_bytes_be();
    let mut s = vec![0u8; q_bytes];
    s[q_bytes - 1] = 2;
    sig.extend_from_slice(&s);
    (w.finish(), sig)
}

/// An SMP1 TLV whose proof challenge c2 is `c_bytes` bytes of 0xff (every
/// other value valid), so checking its proof costs one exponentiation by c2.
pub(super) fn huge_c_smp1(c_bytes: usize) -> Tlv {
    let small = BigUint::from(5u8);
    let c = BigUint::from_bytes_be(&vec![0xff; c_bytes]);
    let mut w = Writer::new();
    w.int(6);
    for v in [&small, &c, &small, &small, &small, &small] {
        w.mpi(v);
    }
    Tlv::new(tlv::SMP1, w.finish())
}

fn encrypted_pair() -> Pair {
    let mut p = Pair::new(Policy::Manual, Policy::Manual, Pair::both(), Pair::both());
    p.start(true);
    assert_eq!(p.b.conv.state(), State::Encrypted);
    p
}

#[test]
#[ignore = "timing report; run in release with --ignored --nocapture"]
fn cost_dsa_key_with_huge_q() {
    for q_bytes in [20usize, 8 * 1024, 64 * 1024, 256 * 1024] {
        let (key, sig) = huge_q_key(q_bytes);
        let t = Instant::now();
        let outcome = PublicKey::from_otr_bytes(&key).map(|k| k.verify(&[7; 32], &sig));
        println!(
            "DSA key, 4096-bit p and {}-bit q: {:?} in {:?}",
            q_bytes * 8,
            outcome.map(|v| v.is_ok()),
            t.elapsed()
        );
    }
}

#[test]
#[ignore = "timing report; run in release with --ignored --nocapture"]
fn cost_smp_with_huge_exponent() {
    // One data message carrying 15 SMP1 TLVs, each with a ~64 KiB c2.
    let mut p = encrypted_pair();
    let key = p.a.conv.current;
    let now = p.now;
    let tlvs: Vec<Tlv> = (0..15).map(|_| huge_c_smp1(65_400)).collect();
    let acts =
        p.a.conv
            .send_data(key, b"", &tlvs, FLAG_IGNORE_UNREADABLE, now)
            .unwrap();
    p.take(true, acts);
    let t = Instant::now();
    p.step().unwrap().unwrap();
    println!(
        "data message with 15 SMP1 TLVs, 523-kbit c2 each: {:?} (events {:?})",
        t.elapsed(),
        p.b.smp.len()
    );
}

#[test]
#[ignore = "timing report; run in release with --ignored --nocapture"]
fn cost_smp_with_largest_valid_exponents() {
    // SMP1 and SMP1Q (handled once each) with every exponent q - 1: the
    // most SMP work one message can still ask for.
    let mut p = encrypted_pair();
    let key = p.a.conv.current;
    let now = p.now;
    let grp = crate::group::group();
    let e = &grp.q - 1u8;
    let g = &grp.p - 2u8;
    let mut w = Writer::new();
    w.int(6);
    for v in [&g, &e, &e, &g, &e, &e] {
        w.mpi(v);
    }
    let body = w.finish();
    let mut q = b"?\0".to_vec();
    q.extend_from_slice(&body);
    let tlvs = [Tlv::new(tlv::SMP1, body), Tlv::new(tlv::SMP1Q, q)];
    let acts =
        p.a.conv
            .send_data(key, b"", &tlvs, FLAG_IGNORE_UNREADABLE, now)
            .unwrap();
    p.take(true, acts);
    let t = Instant::now();
    p.step().unwrap().unwrap();
    println!(
        "data message with SMP1 + SMP1Q, all exponents q - 1: {:?}",
        t.elapsed()
    );
}

#[test]
#[ignore = "timing report; run in release with --ignored --nocapture"]
fn cost_dh_commit_from_a_new_instance() {
    let mut p = encrypted_pair();
    let mut r = crate::testutil::rng(5);
    let mut worst = Duration::ZERO;
    for i in 0..50u32 {
        let commit = crate::ake::Ake::default().start(3, &mut r);
        let header = crate::message::encoded::Header {
            version: 3,
            kind: commit.kind(),
            sender: 0x7000 + i,
            receiver: 0,
        };
        let body = crate::wire::armour(&crate::message::encoded::serialize_ake(header, &commit));
        let now = p.now;
        let t = Instant::now();
        p.b.conv.receive(&body, now, &mut p.b.rng).unwrap();
        worst = worst.max(t.elapsed());
    }
    println!("D-H Commit from a new instance (worst of 50): {worst:?}");
}

#[test]
#[ignore = "timing report; run in release with --ignored --nocapture"]
fn cost_honest_messages() {
    // The most expensive message of an honest AKE and SMP run, per receiver.
    let mut p = Pair::new(Policy::Manual, Policy::Manual, Pair::both(), Pair::both());
    let acts = p.a.conv.start();
    p.take(true, acts);
    let mut worst = Duration::ZERO;
    let mut timed_run = |p: &mut Pair| {
        loop {
            let t = Instant::now();
            let Some(r) = p.step() else { break };
            r.unwrap();
            worst = worst.max(t.elapsed());
        }
    };
    timed_run(&mut p);
    let now = p.now;
    let acts = p.a.conv.smp_start(b"s", None, now, &mut p.a.rng).unwrap();
    p.take(true, acts);
    timed_run(&mut p);
    let acts = p.b.conv.smp_respond(b"s", now, &mut p.b.rng).unwrap();
    p.take(false, acts);
    timed_run(&mut p);
    assert_eq!(p.a.smp.last(), Some(&SmpEvent::Succeeded));
    println!("most expensive honest AKE/SMP message: {worst:?}");
}
