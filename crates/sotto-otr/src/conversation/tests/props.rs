// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! Property tests: fragmentation round-trips, garbage never panics.

use base64::Engine as _;
use proptest::prelude::*;

use super::harness::Pair;
use crate::fragment::{Reassembler, fragment, parse};
use crate::{Policy, State};

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn fragmentation_round_trip(len in 1usize..3000, max in 19usize..600, v3 in any::<bool>()) {
        let msg: String = (0..len).map(|i| char::from(b'A' + (i % 26) as u8)).collect();
        let inst = v3.then_some((0x100, 0x200));
        match fragment(&msg, max, inst) {
            Ok(frags) if frags.len() == 1 => prop_assert_eq!(&frags[0], &msg),
            Ok(frags) => {
                let mut r = Reassembler::default();
                let mut out = None;
                for f in &frags {
                    prop_assert!(f.len() <= max);
                    out = r.push(7, &parse(f).unwrap(), std::time::UNIX_EPOCH).unwrap();
                }
                prop_assert_eq!(out, Some(msg));
            }
            Err(_) => {
                let overhead = if v3 { 36 } else { 18 };
                prop_assert!(max <= overhead);
            }
        }
    }

    #[test]
    fn garbage_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..400), text in ".{0,200}") {
        let mut p = Pair::new(Policy::Opportunistic, Policy::Manual, Pair::both(), Pair::both());
        p.start(true);
        let now = p.now;
        let b = &mut p.b;
        let b64 = base64::engine::general_purpose::STANDARD.encode(&bytes);
        for body in [
            text.clone(),
            format!("?OTR:{b64}."),
            format!("?OTR:AAMD{b64}."),
            format!("?OTR:AAID{b64}."),
            format!("?OTR,1,1,{text},"),
            format!("?OTR|{text}"),
            format!("?OTRv{text}"),
        ] {
            let _ = b.conv.receive(&body, now, &mut b.rng);
        }
        // Still encrypted and usable.
        prop_assert_eq!(p.b.conv.state(), State::Encrypted);
        p.send(true, "still here");
        p.run();
        prop_assert_eq!(p.texts(false).last().copied(), Some("still here"));
    }

    #[test]
    fn flipped_bits_in_data_messages_are_rejected(pos in 0usize..200, bit in 0u8..8) {
        let mut p = Pair::new(Policy::Manual, Policy::Manual, Pair::both(), Pair::both());
        p.start(true);
        p.send(true, "authentic");
        let wire = p.hold(true).remove(0);
        let mut bytes = crate::wire::dearmour(&wire[5..]).unwrap();
        let i = pos % bytes.len();
        bytes[i] ^= 1 << bit;
        let now = p.now;
        let b = &mut p.b;
        let r = b.conv.receive(&crate::wire::armour(&bytes), now, &mut b.rng);
        // Either rejected, or the flip hit the unauthenticated revealed-MAC-keys
        // tail and the message still reads correctly.
        if let Ok(acts) = r {
            let wrong = acts
                .iter()
                .any(|a| matches!(a, crate::Action::Deliver { text, .. } if text != "authentic"));
            prop_assert!(!wrong);
        }
        prop_assert_eq!(p.b.conv.state(), State::Encrypted);
    }
}
