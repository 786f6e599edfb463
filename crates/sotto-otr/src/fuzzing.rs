// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! Entry points for the fuzz targets in `fuzz/` (cargo feature `fuzzing`).
//!
//! The parsers a received body meets before any key is involved are
//! crate-private; these functions run them exactly as
//! [`Conversation::receive`](crate::Conversation::receive) does, so the fuzz
//! targets reach them without widening the real API. Not for applications.

use rand_core::CryptoRng;

use crate::fragment::{self, Reassembler};
use crate::message::{self, Incoming, encoded};
use crate::smp::Smp;
use crate::tlv;

/// Classifies a received body and, for `?OTR:` messages, decodes the
/// message (header and body of every message type).
pub fn message(body: &str) {
    if let Ok(Incoming::Encoded(bytes)) = message::classify(body) {
        let _ = encoded::parse(&bytes);
    }
}

/// Feeds each line of `text` as a received body to one reassembler, as the
/// conversation does for fragments, and decodes what reassembles.
pub fn fragments(text: &str) {
    let mut reassembler = Reassembler::default();
    // One second per line, so expiry runs too.
    let mut now = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_000_000_000);
    for line in text.split('\n') {
        now += std::time::Duration::from_secs(1);
        let Ok(Incoming::Fragment(piece)) = message::classify(line) else {
            continue;
        };
        let Ok(piece) = fragment::parse(&piece) else {
            continue;
        };
        let sender = piece.instances.map_or(0, |(sender, _)| sender);
        if let Ok(Some(whole)) = reassembler.push(sender, &piece, now) {
            message(&whole);
        }
    }
}

/// Splits a decrypted data-message plaintext into text and TLVs, and hands
/// every TLV to one fresh SMP state machine (the SMP messages' own parsing).
pub fn tlvs<R: CryptoRng + ?Sized>(plaintext: &[u8], rng: &mut R) {
    let Ok((_, records)) = tlv::split(plaintext) else {
        return;
    };
    let mut smp = Smp::default();
    for record in &records {
        let _ = smp.receive(record, rng);
    }
}
