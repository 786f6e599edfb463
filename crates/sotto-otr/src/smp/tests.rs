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
