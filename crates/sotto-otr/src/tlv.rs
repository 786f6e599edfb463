// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! TLV records carried after the NUL in a data message's plaintext.

use crate::Error;
use crate::limits::MAX_TLVS;
use crate::wire::{Reader, Writer};

pub(crate) const PADDING: u16 = 0;
pub(crate) const DISCONNECTED: u16 = 1;
pub(crate) const SMP1: u16 = 2;
pub(crate) const SMP2: u16 = 3;
pub(crate) const SMP3: u16 = 4;
pub(crate) const SMP4: u16 = 5;
pub(crate) const SMP_ABORT: u16 = 6;
pub(crate) const SMP1Q: u16 = 7;

/// One TLV record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Tlv {
    pub(crate) kind: u16,
    pub(crate) value: Vec<u8>,
}

impl Tlv {
    pub(crate) fn new(kind: u16, value: Vec<u8>) -> Self {
        Tlv { kind, value }
    }
}

/// Splits a decrypted plaintext into the message and its TLVs. Only the
/// first `MAX_TLVS` records are read: a data message of a mebibyte could
/// otherwise carry a quarter of a million.
pub(crate) fn split(plaintext: &[u8]) -> Result<(&[u8], Vec<Tlv>), Error> {
    let Some(nul) = plaintext.iter().position(|&b| b == 0) else {
        return Ok((plaintext, Vec::new()));
    };
    let mut r = Reader::new(&plaintext[nul + 1..]);
    let mut tlvs = Vec::new();
    while !r.is_empty() && tlvs.len() < MAX_TLVS {
        const WHAT: &str = "a TLV record";
        let kind = r.short(WHAT)?;
        let len = r.short(WHAT)? as usize;
        let value = r.take(len, WHAT)?.to_vec();
        tlvs.push(Tlv { kind, value });
    }
    Ok((&plaintext[..nul], tlvs))
}

/// Joins a message and TLVs into a plaintext.
pub(crate) fn join(message: &[u8], tlvs: &[Tlv]) -> Vec<u8> {
    let mut w = Writer::new();
    w.raw(message);
    if !tlvs.is_empty() {
        w.byte(0);
        for t in tlvs {
            let len = u16::try_from(t.value.len()).unwrap_or(u16::MAX);
            w.short(t.kind).short(len).raw(&t.value[..len as usize]);
        }
    }
    w.finish()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn round_trip() {
        let tlvs = vec![
            Tlv::new(DISCONNECTED, vec![]),
            Tlv::new(SMP1, vec![1, 2, 3]),
        ];
        let p = join(b"hi", &tlvs);
        let (m, t) = split(&p).unwrap();
        assert_eq!(m, b"hi");
        assert_eq!(t, tlvs);
        assert!(split(b"x\0\0\x01\0\x09ab").is_err());
        assert_eq!(split(b"plain").unwrap().1, vec![]);
    }

    /// Adversarial: ten thousand TLVs in one plaintext yield at most
    /// `MAX_TLVS` records.
    #[test]
    fn tlv_flood_is_cut() {
        let flood: Vec<Tlv> = (0..10_000).map(|_| Tlv::new(PADDING, vec![])).collect();
        let plaintext = join(b"hi", &flood);
        let (m, t) = split(&plaintext).unwrap();
        assert_eq!(m, b"hi");
        assert_eq!(t.len(), MAX_TLVS);
    }
}
