// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! Bodies (separated by NUL) received by a conversation: by a fresh one in
//! plaintext when the first byte is even, else by Bob after an honest v3 AKE
//! with Alice.
//!
//! The encrypted conversation is kept between runs (an AKE costs
//! milliseconds) and rebuilt whenever a run changed anything visible: it
//! produced an action other than showing plaintext, its state is no longer
//! encrypted, or the input held a fragment (the reassembler keeps pieces). Inputs that only fail leave it as
//! it was, so crashes still reproduce alone.

#![no_main]

use std::sync::Mutex;

use sotto_fuzz::{OtrPair, bodies, now, otr_accounts, otr_pair, rng};
use sotto_otr::{Action, Conversation, SmpState, State};

static PAIR: Mutex<Option<OtrPair>> = Mutex::new(None);

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    if mode % 2 == 0 {
        let mut fresh = Conversation::new(otr_accounts()[1].clone());
        let mut r = rng(4);
        for body in bodies(rest) {
            let _ = fresh.receive(&body, now(), &mut r);
        }
        return;
    }
    let Ok(mut guard) = PAIR.lock() else {
        return;
    };
    if guard.is_none() {
        *guard = otr_pair();
    }
    let Some(pair) = guard.as_mut() else {
        return;
    };
    let mut dirty = rest.windows(5).any(|w| w == b"?OTR|" || w == b"?OTR,");
    for body in bodies(rest) {
        if let Ok(actions) = pair.bob.receive(&body, now(), &mut pair.bob_rng) {
            // Plaintext shown as such changes nothing; anything else might.
            dirty |= actions
                .iter()
                .any(|a| !matches!(a, Action::Deliver { encrypted: false, .. }));
        }
    }
    if dirty || pair.bob.state() != State::Encrypted || pair.bob.smp_state() != SmpState::Idle {
        *guard = otr_pair();
    }
});
