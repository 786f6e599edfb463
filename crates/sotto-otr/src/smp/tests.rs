// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

#![allow(clippy::unwrap_used)]

use super::*;
use crate::testutil::rng;

fn run(secret_a: &[u8], secret_b: &[u8]) -> (SmpState, SmpState) {
    let (fa, fb, ssid) = ([1u8; 20], [2u8; 20], [3u8; 8]);
    let mut r = rng(7);
    let (mut a, mut b) = (Smp::default(), Smp::default());
    let m1 = a.start(secret_hash(&fa, &fb, &ssid, secret_a), Some("q?"), &mut r);
    let o = b.receive(&m1, &mut r);
    assert_eq!(
        o.events,
        [SmpEvent::Requested {
            question: Some("q?".into())
        }]
    );
    let m2 = b
        .respond(secret_hash(&fa, &fb, &ssid, secret_b), &mut r)
        .unwrap();
    let m3 = a.receive(&m2, &mut r).reply.remove(0);
    let m4 = b.receive(&m3, &mut r).reply.remove(0);
    assert!(a.receive(&m4, &mut r).reply.is_empty());
    (a.state(), b.state())
}

#[test]
fn same_secret_succeeds_different_fails() {
    assert_eq!(run(b"x", b"x"), (SmpState::Succeeded, SmpState::Succeeded));
    assert_eq!(run(b"x", b"y"), (SmpState::Failed, SmpState::Failed));
}

#[test]
fn tampered_proof_aborts() {
    let mut r = rng(8);
    let (mut a, mut b) = (Smp::default(), Smp::default());
    let mut m1 = a.start(SecretNum::new(BigUint::from(5u8)), None, &mut r);
    let n = m1.value.len();
    m1.value[n - 1] ^= 1;
    let o = b.receive(&m1, &mut r);
    assert_eq!(o.events, [SmpEvent::Aborted]);
    assert_eq!(o.reply[0].kind, tlv::SMP_ABORT);
    // Out of order: SMP3 while idle.
    let o = b.receive(&Tlv::new(tlv::SMP3, vec![0, 0, 0, 8]), &mut r);
    assert_eq!(o.events, [SmpEvent::Aborted]);
    // Garbage counts.
    let o = b.receive(&Tlv::new(tlv::SMP1, vec![0xff; 3]), &mut r);
    assert_eq!(o.events, [SmpEvent::Aborted]);
}

/// An SMP1 body: count, then g2a, c2, D2, g3a, c3, D3.
fn smp1_with(values: [&BigUint; 6]) -> Tlv {
    let mut w = Writer::new();
    mpis(&mut w, &values);
    Tlv::new(tlv::SMP1, w.finish())
}

/// Adversarial: a proof challenge c at or above the group order is refused
/// by the range checks, before the proof (an exponentiation by c) is
/// computed; a huge c once cost a second per TLV.
#[test]
fn oversized_challenge_is_refused_before_exponentiation() {
    let q = &group().q;
    let five = BigUint::from(5u8);
    let huge = BigUint::from_bytes_be(&[0xff; 8192]);
    for c in [q, &huge] {
        for m in [
            smp1_with([&five, c, &five, &five, &five, &five]),
            smp1_with([&five, &five, &five, &five, c, &five]),
        ] {
            let mut b = Smp::default();
            let err = b.step_once(&m, &mut rng(9)).unwrap_err();
            assert_eq!(
                err,
                Error::OutOfRange {
                    what: "an SMP exponent"
                }
            );
            assert!(!b.is_running());
        }
    }
}

/// Adversarial: responses D at or above q, zero, and group elements outside
/// 2 ..= p-2 are all refused by the range checks.
#[test]
fn out_of_range_values_are_refused() {
    let grp = group();
    let five = BigUint::from(5u8);
    let zero = BigUint::from(0u8);
    let p = &grp.p;
    for (m, what) in [
        (
            smp1_with([&five, &five, &grp.q, &five, &five, &five]),
            "an SMP exponent",
        ),
        (
            smp1_with([&five, &five, &zero, &five, &five, &five]),
            "an SMP exponent",
        ),
        (smp1_with([p, &five, &five, &five, &five, &five]), "SMP g2a"),
        (
            smp1_with([&five, &five, &five, &BigUint::from(1u8), &five, &five]),
            "SMP g3a",
        ),
    ] {
        let err = Smp::default().step_once(&m, &mut rng(9)).unwrap_err();
        assert_eq!(err, Error::OutOfRange { what });
    }
}
