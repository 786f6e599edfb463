// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! The bounds that keep a hostile peer (anyone who can send us a message)
//! from making one conversation cost much CPU or memory, in one place so
//! they can be reviewed together.
//!
//! # CPU per received body
//!
//! Every size is checked before any exponentiation: DSA keys must have a
//! standard size (libotr's 1024-bit p and 160-bit q, or the FIPS 186 sizes
//! up to 3072/256 that Java clients use), D-H values lie in 2 ..= p-2 of the
//! 1536-bit group, SMP exponents and challenges below its order q. So one
//! body costs at most a bounded number of exponentiations with exponents of
//! at most 1536 bits:
//!
//! - a D-H Commit, from any instance and in any policy: one (our fresh D-H
//!   key, a 320-bit exponent), or none when we already await its Reveal
//!   Signature; a query or whitespace tag likewise one (our commit);
//! - a Reveal Signature or Signature: one D-H, a DSA verification (two
//!   160-bit exponents mod a 1024-bit p), our DSA signature and the first
//!   data keys (three D-H);
//! - a data message: at most six D-H (a missing key pair, then key rotation
//!   on both sides), all but one only once its MAC verified; then its SMP
//!   TLVs, one of each kind: at most two SMP requests (four exponentiations
//!   each), further steps only in an exchange our user started or answered.
//!
//! Measured in release on the development machine: a D-H Commit ~4 ms, the
//! largest valid SMP request message ~16 ms, the most expensive honest
//! AKE or SMP message 45-90 ms (see `conversation/tests/cost.rs`). Requests
//! the peer starts are also limited in time ([`SMP_REQUESTS`] per
//! [`SMP_WINDOW`]), since a failed SMP resets and could be repeated.
//!
//! # Memory per conversation
//!
//! Partial fragments: at most [`MAX_ASSEMBLED`] bytes in all, from at most
//! [`MAX_FRAGMENT_STREAMS`] senders, forgotten after [`FRAGMENT_TTL`].
//! Sessions: at most [`MAX_SESSIONS`], each with a bounded AKE state (a D-H
//! Commit's encrypted g^x is at most [`MAX_COMMIT_GX`] bytes, MAC keys
//! waiting to be revealed at most [`MAX_REVEAL_PENDING`] and a few more).

use std::time::{Duration, SystemTime};

/// Largest total of buffered fragment text per conversation.
pub(crate) const MAX_ASSEMBLED: usize = 1 << 20;

/// Senders (instance tags) with a fragmented message in progress at once;
/// an honest peer has one per client it runs.
pub(crate) const MAX_FRAGMENT_STREAMS: usize = 4;

/// How long an incomplete fragmented message waits for its next piece.
pub(crate) const FRAGMENT_TTL: Duration = Duration::from_secs(120);

/// Sessions (remote instances, plus the v2 / "any instance" one) kept per
/// conversation. Beyond it the least recently active session that is not
/// the current one is dropped, unencrypted ones first.
pub(crate) const MAX_SESSIONS: usize = 8;

/// Largest encrypted g^x in a D-H Commit: the MPI of a value below the
/// 1536-bit p (4-byte length and 192 bytes).
pub(crate) const MAX_COMMIT_GX: usize = 4 + 192;

/// Bytes of old MAC keys a session holds for revealing before it sends a
/// heartbeat to reveal them: a peer that rotates its key in every message
/// adds 20 bytes per message, and we may not otherwise send for a while.
pub(crate) const MAX_REVEAL_PENDING: usize = 20 * 50;

/// TLV records read from one data message; the rest are ignored. libotr
/// sends at most three (padding, an SMP abort and an SMP message).
pub(crate) const MAX_TLVS: usize = 32;

/// SMP exchanges the peer may start per [`SMP_WINDOW`] and conversation.
pub(crate) const SMP_REQUESTS: u32 = 8;

/// The window of [`SMP_REQUESTS`].
pub(crate) const SMP_WINDOW: Duration = Duration::from_secs(600);

/// At most `max` uses per `window`, on the caller's clock.
#[derive(Debug, Clone)]
pub(crate) struct Budget {
    max: u32,
    window: Duration,
    start: Option<SystemTime>,
    used: u32,
}

impl Budget {
    pub(crate) const fn new(max: u32, window: Duration) -> Self {
        Budget {
            max,
            window,
            start: None,
            used: 0,
        }
    }

    /// Takes one use at `now`; false when the window's uses are spent.
    pub(crate) fn take(&mut self, now: SystemTime) -> bool {
        let start = match self.start {
            // A clock set back restarts the window without refilling it.
            Some(s) if now < s => {
                self.start = Some(now);
                now
            }
            Some(s) => s,
            None => {
                self.start = Some(now);
                now
            }
        };
        if now.duration_since(start).unwrap_or(Duration::ZERO) >= self.window {
            self.start = Some(now);
            self.used = 0;
        }
        if self.used >= self.max {
            return false;
        }
        self.used += 1;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn budget_refills_after_the_window_only() {
        let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        let mut b = Budget::new(2, Duration::from_secs(10));
        assert!(b.take(t0));
        assert!(b.take(t0));
        assert!(!b.take(t0 + Duration::from_secs(9)));
        // The clock going back does not refill it.
        assert!(!b.take(t0 - Duration::from_secs(100)));
        assert!(b.take(t0 - Duration::from_secs(90)));
    }
}
