// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! Fragmentation of encoded OTR messages for networks with a size limit, and
//! reassembly of the peer's fragments (v2 `?OTR,k,n,piece,`, v3
//! `?OTR|sender|receiver,k,n,piece,`).

use std::collections::HashMap;
use std::time::SystemTime;

use crate::Error;
use crate::limits::{FRAGMENT_TTL, MAX_ASSEMBLED, MAX_FRAGMENT_STREAMS};

/// Splits `msg` into fragments of at most `max` bytes each (header included).
/// `instances` is `Some((sender, receiver))` for v3, `None` for v2. A message
/// that fits is returned whole.
pub(crate) fn fragment(
    msg: &str,
    max: usize,
    instances: Option<(u32, u32)>,
) -> Result<Vec<String>, Error> {
    if msg.len() <= max {
        return Ok(vec![msg.to_owned()]);
    }
    let overhead = if instances.is_some() { 36 } else { 18 };
    let piece_len = max
        .checked_sub(overhead)
        .filter(|&l| l > 0)
        .ok_or(Error::FragmentSize(max))?;
    // Encoded messages are ASCII; keep char boundaries anyway.
    let mut pieces = Vec::new();
    let mut rest = msg;
    while !rest.is_empty() {
        let mut cut = piece_len.min(rest.len());
        while !rest.is_char_boundary(cut) {
            cut -= 1;
        }
        if cut == 0 {
            return Err(Error::FragmentSize(max));
        }
        pieces.push(&rest[..cut]);
        rest = &rest[cut..];
    }
    let n = u16::try_from(pieces.len()).map_err(|_| Error::FragmentSize(max))?;
    Ok(pieces
        .iter()
        .enumerate()
        .map(|(i, piece)| {
            let k = i + 1;
            match instances {
                Some((s, r)) => format!("?OTR|{s:08x}|{r:08x},{k:05},{n:05},{piece},"),
                None => format!("?OTR,{k:05},{n:05},{piece},"),
            }
        })
        .collect())
}

/// A parsed fragment.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Piece<'a> {
    /// v3: sender and receiver instance tags.
    pub(crate) instances: Option<(u32, u32)>,
    pub(crate) k: u16,
    pub(crate) n: u16,
    pub(crate) piece: &'a str,
}

pub(crate) fn parse(s: &str) -> Result<Piece<'_>, Error> {
    const WHAT: &str = "a message fragment";
    let bad = Error::Malformed { what: WHAT };
    let (instances, rest) = if let Some(rest) = s.strip_prefix("?OTR|") {
        let (sender, rest) = rest.split_once('|').ok_or(bad.clone())?;
        let (receiver, rest) = rest.split_once(',').ok_or(bad.clone())?;
        let sender = u32::from_str_radix(sender, 16).map_err(|_| bad.clone())?;
        let receiver = u32::from_str_radix(receiver, 16).map_err(|_| bad.clone())?;
        (Some((sender, receiver)), rest)
    } else if let Some(rest) = s.strip_prefix("?OTR,") {
        (None, rest)
    } else {
        return Err(bad);
    };
    let mut parts = rest.splitn(4, ',');
    let k = parts.next().ok_or(bad.clone())?;
    let n = parts.next().ok_or(bad.clone())?;
    let piece = parts.next().ok_or(Error::Truncated { what: WHAT })?;
    // The piece must be followed by the closing comma.
    if parts.next().is_none() {
        return Err(Error::Truncated { what: WHAT });
    }
    let k: u16 = k.trim().parse().map_err(|_| bad.clone())?;
    let n: u16 = n.trim().parse().map_err(|_| bad.clone())?;
    if k == 0 || n == 0 || k > n {
        return Err(bad);
    }
    Ok(Piece {
        instances,
        k,
        n,
        piece,
    })
}

/// A fragmented message in progress from one sender.
#[derive(Debug)]
struct Partial {
    k: u16,
    n: u16,
    buf: String,
    /// When its last piece arrived.
    last: SystemTime,
}

/// Reassembles fragments, one stream per sender instance, within the
/// bounds of [`crate::limits`]: all streams together allocate at most
/// `MAX_ASSEMBLED` bytes (capacity, not just length, is counted), at most `MAX_FRAGMENT_STREAMS` streams exist (the
/// least recently fed goes first), and a stream not fed for `FRAGMENT_TTL`
/// is forgotten. A stream that ends (whole, out of sequence, too large)
/// leaves nothing behind.
#[derive(Debug, Default)]
pub(crate) struct Reassembler {
    partial: HashMap<u32, Partial>,
}

impl Reassembler {
    /// Adds a fragment; returns the whole message when its last piece arrived.
    /// `sender` is the stream key (the sender's instance tag, 0 for v2).
    pub(crate) fn push(
        &mut self,
        sender: u32,
        p: &Piece<'_>,
        now: SystemTime,
    ) -> Result<Option<String>, Error> {
        self.expire(now);
        if p.k == 1 {
            // A first piece starts over, whatever came before.
            self.partial.remove(&sender);
            self.partial.insert(
                sender,
                Partial {
                    k: 0,
                    n: p.n,
                    buf: String::new(),
                    last: now,
                },
            );
        } else {
            let in_sequence = self
                .partial
                .get(&sender)
                .is_some_and(|s| p.n == s.n && p.k == s.k.wrapping_add(1));
            if !in_sequence {
                // Out of sequence (or n changed): the spec says to forget
                // what we had.
                self.partial.remove(&sender);
                return Ok(None);
            }
        }
        let limit = self.make_room(sender, p.piece.len())?;
        let Some(slot) = self.partial.get_mut(&sender) else {
            return Ok(None);
        };
        grow(&mut slot.buf, p.piece.len(), limit);
        slot.buf.push_str(p.piece);
        slot.k = p.k;
        slot.last = now;
        if slot.k == slot.n {
            return Ok(self.partial.remove(&sender).map(|s| s.buf));
        }
        Ok(None)
    }

    /// Forgets streams not fed for `FRAGMENT_TTL` (a clock set back keeps them).
    fn expire(&mut self, now: SystemTime) {
        self.partial.retain(|_, s| {
            now.duration_since(s.last)
                .map_or(true, |d| d < FRAGMENT_TTL)
        });
    }

    /// Makes room for `extra` more bytes in `sender`'s stream by dropping
    /// the least recently fed other streams; returns the capacity that
    /// stream may grow to. Fails (dropping `sender`'s stream) when that
    /// stream alone would be too large.
    fn make_room(&mut self, sender: u32, extra: usize) -> Result<usize, Error> {
        let need = self
            .partial
            .get(&sender)
            .map_or(0, |s| s.buf.len())
            .saturating_add(extra);
        loop {
            let others: usize = self
                .partial
                .iter()
                .filter(|(k, _)| **k != sender)
                .map(|(_, s)| s.buf.capacity())
                .sum();
            let streams = self.partial.len() + usize::from(!self.partial.contains_key(&sender));
            if others.saturating_add(need) <= MAX_ASSEMBLED && streams <= MAX_FRAGMENT_STREAMS {
                return Ok(MAX_ASSEMBLED - others);
            }
            let oldest = self
                .partial
                .iter()
                .filter(|(k, _)| **k != sender)
                .min_by_key(|(k, s)| (s.last, **k))
                .map(|(k, _)| *k);
            match oldest {
                Some(k) => {
                    self.partial.remove(&k);
                }
                None => {
                    self.partial.remove(&sender);
                    return Err(Error::Malformed {
                        what: "a fragmented message (too large)",
                    });
                }
            }
        }
    }
}

/// Makes room for `extra` more bytes in `buf`, doubling (so that many small
/// pieces cost amortised linear copying) but never past `limit`, which the
/// caller made sure is at least what is needed.
fn grow(buf: &mut String, extra: usize, limit: usize) {
    let need = buf.len() + extra;
    if need > buf.capacity() {
        let target = need
            .max(buf.capacity().saturating_mul(2))
            .min(limit.max(need));
        buf.reserve_exact(target - buf.len());
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn round_trip(msg: &str, max: usize, inst: Option<(u32, u32)>) {
        let frags = fragment(msg, max, inst).unwrap();
        if msg.len() <= max {
            assert_eq!(frags, [msg]);
            return;
        }
        let mut r = Reassembler::default();
        let mut out = None;
        for f in &frags {
            assert!(f.len() <= max);
            let p = parse(f).unwrap();
            assert_eq!(p.instances, inst);
            out = r.push(0, &p, SystemTime::UNIX_EPOCH).unwrap();
        }
        assert_eq!(out.as_deref(), Some(msg));
    }

    #[test]
    fn sizes() {
        let msg = format!("?OTR:{}.", "A".repeat(6000));
        round_trip(&msg, 37, Some((0x101, 0x202)));
        round_trip(&msg, 19, None);
        round_trip(&msg, 140, None);
        round_trip(&msg, 100_000, None);
        assert_eq!(
            fragment(&msg, 36, Some((1, 2))),
            Err(Error::FragmentSize(36))
        );
        assert_eq!(fragment(&msg, 0, None), Err(Error::FragmentSize(0)));
    }

    #[test]
    fn libotr_format_parses() {
        let p = parse("?OTR|5a73a599|27e31597,00001,00003,?OTR:AAMDJ+MVmSfjF,").unwrap();
        assert_eq!(p.instances, Some((0x5a73a599, 0x27e31597)));
        assert_eq!((p.k, p.n, p.piece), (1, 3, "?OTR:AAMDJ+MVmSfjF"));
        assert!(parse("?OTR,0,1,x,").is_err());
        assert!(parse("?OTR,2,1,x,").is_err());
        assert!(parse("?OTR,1,1,x").is_err());
    }

    /// Adversarial: many small pieces never make the buffer allocate past
    /// the bound, although it grows by doubling.
    #[test]
    fn capacity_stays_within_the_bound() {
        let mut r = Reassembler::default();
        let piece = "C".repeat(1000);
        let t = SystemTime::UNIX_EPOCH;
        let n = 1100u16;
        for k in 1..=n {
            let p = Piece {
                instances: None,
                k,
                n,
                piece: &piece,
            };
            match r.push(0, &p, t) {
                Ok(None) => {
                    let cap: usize = r.partial.values().map(|s| s.buf.capacity()).sum();
                    assert!(cap <= MAX_ASSEMBLED, "{cap}");
                }
                // 1.1 MB is more than a stream may hold.
                Err(_) => {
                    assert!(usize::from(k) * 1000 > MAX_ASSEMBLED);
                    assert!(r.partial.is_empty());
                    return;
                }
                Ok(Some(_)) => panic!("a message over the bound was assembled"),
            }
        }
        panic!("never refused");
    }

    #[test]
    fn out_of_order_resets() {
        let mut r = Reassembler::default();
        let f = fragment(&"B".repeat(100), 30, None).unwrap();
        assert!(
            r.push(0, &parse(&f[0]).unwrap(), SystemTime::UNIX_EPOCH)
                .unwrap()
                .is_none()
        );
        assert!(
            r.push(0, &parse(&f[2]).unwrap(), SystemTime::UNIX_EPOCH)
                .unwrap()
                .is_none()
        );
        assert!(
            r.push(0, &parse(&f[1]).unwrap(), SystemTime::UNIX_EPOCH)
                .unwrap()
                .is_none()
        );
    }
}
