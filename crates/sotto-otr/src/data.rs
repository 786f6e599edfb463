// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! The data phase: D-H key rotation, per-key-pair AES/MAC keys and counters,
//! revealed MAC keys, and data message encryption and decryption.
//!
//! Keys are rotated *after* a message verified and decrypted, and counters
//! belong to a key pair, so a burst from one side followed by a reply that
//! rotates keys loses nothing (the failure mode of otrr).

use num_bigint::BigUint;
use rand_core::CryptoRng;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::Error;
use crate::ake::{DhPair, Established};
use crate::crypto::{aes_ctr, ct_eq, hmac_sha1, sha1};
use crate::group::{check_element, pow};
use crate::message::encoded::{DataMessage, Header, TYPE_DATA};
use crate::wire::{Writer, mpi_encoded};

/// How far behind the newest counter an out-of-order message may be.
const REPLAY_WINDOW: u64 = 64;

/// AES and MAC keys of one (our key, their key) pair, with counters.
#[derive(Zeroize, ZeroizeOnDrop)]
struct PairKeys {
    send_aes: [u8; 16],
    send_mac: [u8; 20],
    recv_aes: [u8; 16],
    recv_mac: [u8; 20],
    #[zeroize(skip)]
    send_ctr: u64,
    /// Highest counter received, and a bitmap of the `REPLAY_WINDOW` below it.
    #[zeroize(skip)]
    recv_max: u64,
    #[zeroize(skip)]
    recv_seen: u64,
    #[zeroize(skip)]
    recv_mac_used: bool,
}

impl PairKeys {
    fn derive(ours: &DhPair, theirs: &BigUint) -> Self {
        let s = pow(theirs, ours.secret.get());
        let secbytes = Zeroizing::new(mpi_encoded(&s));
        let (send_byte, recv_byte) = if ours.public > *theirs {
            (0x01u8, 0x02u8)
        } else {
            (0x02, 0x01)
        };
        let mut send_aes = [0u8; 16];
        let mut recv_aes = [0u8; 16];
        send_aes.copy_from_slice(&sha1(&[&[send_byte], &secbytes])[..16]);
        recv_aes.copy_from_slice(&sha1(&[&[recv_byte], &secbytes])[..16]);
        PairKeys {
            send_mac: sha1(&[&send_aes]),
            recv_mac: sha1(&[&recv_aes]),
            send_aes,
            recv_aes,
            send_ctr: 0,
            recv_max: 0,
            recv_seen: 0,
            recv_mac_used: false,
        }
    }

    /// Accepts a counter not seen before and not too old.
    fn accept_ctr(&mut self, ctr: u64) -> Result<(), Error> {
        if ctr == 0 {
            return Err(Error::Replay);
        }
        if ctr > self.recv_max {
            let shift = ctr - self.recv_max;
            self.recv_seen = if shift >= 64 {
                0
            } else {
                (self.recv_seen << shift) | (1 << (shift - 1))
            };
            if self.recv_max == 0 {
                self.recv_seen = 0;
            }
            self.recv_max = ctr;
            return Ok(());
        }
        let back = self.recv_max - ctr;
        if back == 0 || back > REPLAY_WINDOW {
            return Err(Error::Replay);
        }
        let bit = 1u64 << (back - 1);
        if self.recv_seen & bit != 0 {
            return Err(Error::Replay);
        }
        self.recv_seen |= bit;
        Ok(())
    }
}

/// Bit i of `recv_seen` says counter `recv_max - 1 - i` was received.
#[derive(Debug)]
struct Ours {
    id: u32,
    pair: DhPair,
}

#[derive(Debug, Clone)]
struct Theirs {
    id: u32,
    public: BigUint,
}

/// All D-H keys of an encrypted session.
pub(crate) struct DataKeys {
    /// [0] our newest key (id n), [1] our previous key (id n-1).
    ours: [Ours; 2],
    /// [0] their newest key, [1] their previous one (absent right after the AKE).
    theirs: [Option<Theirs>; 2],
    /// pair[i][j]: our key i with their key j.
    pair: [[Option<PairKeys>; 2]; 2],
    /// Receiving MAC keys no longer used, revealed in our next data message.
    old_mac_keys: Zeroizing<Vec<u8>>,
}

impl std::fmt::Debug for DataKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DataKeys")
            .field("our_keyid", &self.ours[0].id)
            .finish_non_exhaustive()
    }
}

/// A decrypted data message: its text, then (after a NUL) TLV records.
/// No `Debug`: it holds plaintext.
pub(crate) struct Decrypted {
    pub(crate) plaintext: Zeroizing<Vec<u8>>,
}

impl DataKeys {
    /// The key state right after an AKE: our AKE key becomes "previous" (it
    /// is acknowledged) and a fresh key becomes newest, as libotr does.
    pub(crate) fn new<R: CryptoRng + ?Sized>(est: &Established, rng: &mut R) -> Self {
        let acked = Ours {
            id: est.our_keyid,
            pair: est.our_dh.clone(),
        };
        let newest = Ours {
            id: est.our_keyid.wrapping_add(1),
            pair: DhPair::generate(rng),
        };
        let theirs = Theirs {
            id: est.their_keyid,
            public: est.their_dh.clone(),
        };
        let mut keys = DataKeys {
            pair: [
                [Some(PairKeys::derive(&newest.pair, &theirs.public)), None],
                [Some(PairKeys::derive(&acked.pair, &theirs.public)), None],
            ],
            ours: [newest, acked],
            theirs: [Some(theirs), None],
            old_mac_keys: Zeroizing::new(Vec::new()),
        };
        keys.old_mac_keys.clear();
        keys
    }

    /// Builds an encrypted data message (header included, not armoured).
    pub(crate) fn encrypt(&mut self, header: Header, flags: u8, plaintext: &[u8]) -> Vec<u8> {
        let Some(theirs) = self.theirs[0].clone() else {
            return Vec::new();
        };
        let sender_keyid = self.ours[1].id;
        let next_dh = self.ours[0].pair.public.clone();
        let old_macs = std::mem::take(&mut *self.old_mac_keys);
        let old_macs = Zeroizing::new(old_macs);
        let pair = self.pair[1][0]
            .get_or_insert_with(|| PairKeys::derive(&self.ours[1].pair, &theirs.public));
        pair.send_ctr += 1;
        let ctr = pair.send_ctr.to_be_bytes();
        let mut enc = plaintext.to_vec();
        aes_ctr(&pair.send_aes, &ctr, &mut enc);
        let mut w = Writer::new();
        Header {
            kind: TYPE_DATA,
            ..header
        }
        .write(&mut w);
        w.byte(flags)
            .int(sender_keyid)
            .int(theirs.id)
            .mpi(&next_dh)
            .raw(&ctr)
            .data(&enc);
        let mac = hmac_sha1(&pair.send_mac, &[w.as_slice()]);
        w.raw(&mac).data(&old_macs);
        w.finish()
    }

    /// Verifies and decrypts a data message, then rotates keys as the spec
    /// says. Nothing changes unless the MAC verified and the counter is new.
    pub(crate) fn decrypt<R: CryptoRng + ?Sized>(
        &mut self,
        msg: &DataMessage,
        rng: &mut R,
    ) -> Result<Decrypted, Error> {
        let i = self
            .ours
            .iter()
            .position(|o| o.id == msg.recipient_keyid)
            .ok_or(Error::UnknownKeyId)?;
        let j = self
            .theirs
            .iter()
            .position(|t| t.as_ref().is_some_and(|t| t.id == msg.sender_keyid))
            .ok_or(Error::UnknownKeyId)?;
        if j == 0 {
            check_element(&msg.next_dh, "the peer's next D-H key")?;
        }
        let theirs_pub = self.theirs[j]
            .as_ref()
            .map(|t| t.public.clone())
            .ok_or(Error::UnknownKeyId)?;
        let pair = self.pair[i][j]
            .get_or_insert_with(|| PairKeys::derive(&self.ours[i].pair, &theirs_pub));
        let mac = hmac_sha1(&pair.recv_mac, &[&msg.authenticated]);
        if !ct_eq(&mac, &msg.mac) {
            return Err(Error::BadMac {
                what: "a data message",
            });
        }
        pair.accept_ctr(u64::from_be_bytes(msg.ctr))?;
        pair.recv_mac_used = true;
        let mut plaintext = Zeroizing::new(msg.encrypted.clone());
        aes_ctr(&pair.recv_aes, &msg.ctr, &mut plaintext);

        if i == 0 {
            self.rotate_ours(rng);
        }
        if j == 0 {
            self.rotate_theirs(msg.next_dh.clone());
        }
        Ok(Decrypted { plaintext })
    }

    /// Bytes of MAC keys waiting to be revealed in our next data message.
    pub(crate) fn reveal_pending(&self) -> usize {
        self.old_mac_keys.len()
    }

    /// Rotates our keys as a peer that announces a fresh key in every
    /// message would (tests of what such a peer costs us).
    #[cfg(test)]
    pub(crate) fn rotate_ours_for_test<R: CryptoRng + ?Sized>(&mut self, rng: &mut R) {
        self.rotate_ours(rng);
    }

    /// The peer used our newest key: it becomes "previous", a new one is made.
    fn rotate_ours<R: CryptoRng + ?Sized>(&mut self, rng: &mut R) {
        for j in 0..2 {
            let old = self.pair[1][j].take();
            self.reveal(old);
        }
        let newest = Ours {
            id: self.ours[0].id.wrapping_add(1),
            pair: DhPair::generate(rng),
        };
        let [a, b] = &mut self.ours;
        std::mem::swap(a, b);
        *a = newest;
        self.pair.swap(0, 1);
        for j in 0..2 {
            self.pair[0][j] = self.theirs[j]
                .as_ref()
                .map(|t| PairKeys::derive(&self.ours[0].pair, &t.public));
        }
    }

    /// The peer used its newest key: its next key becomes newest.
    fn rotate_theirs(&mut self, next: BigUint) {
        for i in 0..2 {
            let old = self.pair[i][1].take();
            self.reveal(old);
            self.pair[i][1] = self.pair[i][0].take();
        }
        let id = self.theirs[0].as_ref().map_or(0, |t| t.id).wrapping_add(1);
        self.theirs[1] = self.theirs[0].take();
        let newest = Theirs { id, public: next };
        for i in 0..2 {
            self.pair[i][0] = Some(PairKeys::derive(&self.ours[i].pair, &newest.public));
        }
        self.theirs[0] = Some(newest);
    }

    fn reveal(&mut self, old: Option<PairKeys>) {
        if let Some(k) = old
            && k.recv_mac_used
        {
            self.old_mac_keys.extend_from_slice(&k.recv_mac);
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn keys() -> PairKeys {
        PairKeys {
            send_aes: [0; 16],
            send_mac: [0; 20],
            recv_aes: [0; 16],
            recv_mac: [0; 20],
            send_ctr: 0,
            recv_max: 0,
            recv_seen: 0,
            recv_mac_used: false,
        }
    }

    #[test]
    fn replay_window() {
        let mut k = keys();
        assert!(k.accept_ctr(0).is_err());
        k.accept_ctr(3).unwrap();
        k.accept_ctr(1).unwrap();
        assert_eq!(k.accept_ctr(1), Err(Error::Replay));
        assert_eq!(k.accept_ctr(3), Err(Error::Replay));
        k.accept_ctr(2).unwrap();
        k.accept_ctr(100).unwrap();
        assert_eq!(k.accept_ctr(2), Err(Error::Replay));
        k.accept_ctr(99).unwrap();
        assert_eq!(k.accept_ctr(99), Err(Error::Replay));
        k.accept_ctr(4).unwrap_err();
        k.accept_ctr(40).unwrap();
    }
}
