// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! A Double Ratchet session with one remote device (Signal's "The Double
//! Ratchet Algorithm", rev. 1), with a bounded store of skipped message keys.
//!
//! Decryption works on a copy and hands the new state back only when the
//! message authenticated, so a corrupted, replayed or duplicated message
//! leaves the caller's session exactly as it was.

use rand_core::CryptoRng;
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::{
    Error, IdentityKey, Namespace, Result,
    kdf::{kdf_ck, kdf_rk},
    keys::KeyPair,
    wire::{self, Header, KeyExchange},
};

mod record;
#[cfg(test)]
mod tests;

/// How many previous remote ratchet keys are remembered to tell a replayed
/// message of an old chain from a corrupted one.
const PREVIOUS_REMOTE_KEYS: usize = 8;

/// Limits on skipped message keys.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// The most keys one message may make us skip in one chain.
    pub max_skip_per_chain: u32,
    /// The most skipped keys kept per session; the oldest go first.
    pub max_skipped_total: usize,
    /// Skipped keys older than this (seconds) are dropped.
    pub max_skipped_age: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_skip_per_chain: 1000,
            max_skipped_total: 2000,
            max_skipped_age: 30 * 24 * 3600,
        }
    }
}

#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub(crate) struct Chain {
    pub key: [u8; 32],
    pub n: u32,
}

#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub(crate) struct SkippedKey {
    pub dh: [u8; 32],
    pub n: u32,
    pub mk: [u8; 32],
    pub stored_at: u64,
}

/// The state of one session. Save it after every encrypt and successful decrypt.
#[derive(Clone)]
pub struct Session {
    pub(crate) namespace: Namespace,
    pub(crate) own_identity: IdentityKey,
    pub(crate) remote_identity: IdentityKey,
    pub(crate) initiator: bool,
    pub(crate) root: [u8; 32],
    pub(crate) dhs: KeyPair,
    pub(crate) dhr: Option<[u8; 32]>,
    pub(crate) send: Option<Chain>,
    pub(crate) recv: Option<Chain>,
    pub(crate) pn: u32,
    pub(crate) skipped: Vec<SkippedKey>,
    pub(crate) previous_remote: Vec<[u8; 32]>,
    /// Set on the initiator until the first answer: every message carries it.
    pub(crate) pending: Option<KeyExchange>,
    /// The initiator's ephemeral key, to recognise repeated key exchanges.
    pub(crate) base_key: [u8; 32],
    pub(crate) received_any: bool,
}

impl Drop for Session {
    fn drop(&mut self) {
        self.root.zeroize();
    }
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("namespace", &self.namespace)
            .field("initiator", &self.initiator)
            .field("sent", &self.send.as_ref().map(|c| c.n))
            .field("received", &self.recv.as_ref().map(|c| c.n))
            .field("skipped", &self.skipped.len())
            .field("pending_key_exchange", &self.pending.is_some())
            .finish_non_exhaustive()
    }
}

impl Session {
    /// The initiator's side, after X3DH (Alice): sends first.
    pub(crate) fn initiator(
        namespace: Namespace,
        own_identity: IdentityKey,
        remote_identity: IdentityKey,
        sk: &[u8; 32],
        their_spk: &[u8; 32],
        kex: KeyExchange,
        rng: &mut (impl CryptoRng + ?Sized),
    ) -> Self {
        let dhs = KeyPair::generate(rng);
        let (root, cks) = kdf_rk(namespace, sk, &dhs.dh(their_spk));
        Self {
            namespace,
            own_identity,
            remote_identity,
            initiator: true,
            root: *root,
            dhs,
            dhr: Some(*their_spk),
            send: Some(Chain { key: *cks, n: 0 }),
            recv: None,
            pn: 0,
            skipped: Vec::new(),
            previous_remote: Vec::new(),
            base_key: kex.ek,
            pending: Some(kex),
            received_any: false,
        }
    }

    /// The responder's side, after X3DH (Bob): the signed prekey is the first ratchet key.
    pub(crate) fn responder(
        namespace: Namespace,
        own_identity: IdentityKey,
        remote_identity: IdentityKey,
        sk: &[u8; 32],
        spk: KeyPair,
        base_key: [u8; 32],
    ) -> Self {
        Self {
            namespace,
            own_identity,
            remote_identity,
            initiator: false,
            root: *sk,
            dhs: spk,
            dhr: None,
            send: None,
            recv: None,
            pn: 0,
            skipped: Vec::new(),
            previous_remote: Vec::new(),
            pending: None,
            base_key,
            received_any: false,
        }
    }

    /// The namespace this session speaks.
    pub fn namespace(&self) -> Namespace {
        self.namespace
    }

    /// The remote device's identity key.
    pub fn remote_identity(&self) -> IdentityKey {
        self.remote_identity
    }

    /// Whether our messages still carry the key exchange (no answer received yet).
    pub fn has_pending_key_exchange(&self) -> bool {
        self.pending.is_some()
    }

    /// Whether we have received any message in this session.
    pub fn has_received(&self) -> bool {
        self.received_any
    }

    /// How many messages we have sent in the current sending chain.
    pub fn sending_chain_length(&self) -> u32 {
        self.send.as_ref().map_or(0, |c| c.n)
    }

    /// How many skipped message keys are held.
    pub fn skipped_keys(&self) -> usize {
        self.skipped.len()
    }

    /// The initiator's ephemeral key this session was built from.
    pub fn base_key(&self) -> &[u8; 32] {
        &self.base_key
    }

    /// The associated data for a message in the given direction.
    fn ad(&self, sending: bool) -> Vec<u8> {
        let (own, remote) = (self.own_identity.encode(), self.remote_identity.encode());
        let own_first = match self.namespace {
            // libsignal: sender ‖ receiver.
            Namespace::Legacy => sending,
            // OMEMO 2: the X3DH AD, initiator ‖ responder, in both directions.
            Namespace::Omemo2 => self.initiator,
        };
        if own_first {
            [own, remote].concat()
        } else {
            [remote, own].concat()
        }
    }

    /// Encrypts `plaintext` (the key material), advancing the sending chain.
    /// Returns the bytes for the `<key>` element and whether it is a key exchange.
    pub fn encrypt(&mut self, plaintext: &[u8]) -> Result<(Vec<u8>, bool)> {
        let Some(send) = self.send.as_mut() else {
            // A responder has a sending chain from its first receive on.
            return Err(Error::NotReadyToSend);
        };
        let (next, mk) = kdf_ck(&send.key);
        let header = Header {
            dh: *self.dhs.public(),
            n: send.n,
            pn: self.pn,
        };
        send.key = *next;
        send.n = send.n.saturating_add(1);
        let sealed = wire::seal(self.namespace, &header, &mk, &self.ad(true), plaintext);
        match &self.pending {
            Some(kex) => Ok((wire::wrap_key_exchange(self.namespace, kex, sealed)?, true)),
            None => Ok((sealed, false)),
        }
    }

    /// Decrypts a ratchet message (not a key exchange wrapper). On success the
    /// new state is returned; `self` is never changed.
    pub fn decrypt(
        &self,
        message: &[u8],
        now: u64,
        limits: &Limits,
        rng: &mut (impl CryptoRng + ?Sized),
    ) -> Result<(Session, Vec<u8>)> {
        let parsed = wire::parse(self.namespace, message)?;
        self.decrypt_parsed(&parsed, now, limits, rng)
    }

    pub(crate) fn decrypt_parsed(
        &self,
        parsed: &wire::Parsed,
        now: u64,
        limits: &Limits,
        rng: &mut (impl CryptoRng + ?Sized),
    ) -> Result<(Session, Vec<u8>)> {
        let h = parsed.header;
        let mut s = self.clone();
        s.expire(now, limits);
        let ad = s.ad(false);

        if let Some(i) = s.skipped.iter().position(|k| k.dh == h.dh && k.n == h.n) {
            let key = s.skipped.remove(i);
            let plaintext = parsed.open(s.namespace, &key.mk, &ad)?;
            s.received();
            return Ok((s, plaintext));
        }

        if s.dhr == Some(h.dh) && s.recv.is_some() {
            if s.recv.as_ref().is_some_and(|c| h.n < c.n) {
                return Err(Error::Duplicate);
            }
        } else if s.previous_remote.contains(&h.dh) {
            return Err(Error::Duplicate);
        } else {
            s.skip_until(h.pn, now, limits)?;
            s.dh_ratchet(h.dh, rng);
        }
        s.skip_until(h.n, now, limits)?;
        let Some(recv) = s.recv.as_mut() else {
            return Err(Error::Corrupted("no receiving chain"));
        };
        let (next, mk) = kdf_ck(&recv.key);
        recv.key = *next;
        recv.n = recv.n.saturating_add(1);
        let plaintext = parsed.open(s.namespace, &mk, &ad)?;
        s.received();
        Ok((s, plaintext))
    }

    fn received(&mut self) {
        self.pending = None;
        self.received_any = true;
    }

    fn dh_ratchet(&mut self, their: [u8; 32], rng: &mut (impl CryptoRng + ?Sized)) {
        self.pn = self.send.as_ref().map_or(0, |c| c.n);
        if let Some(old) = self.dhr.replace(their)
            && self.recv.is_some()
        {
            self.previous_remote.push(old);
            if self.previous_remote.len() > PREVIOUS_REMOTE_KEYS {
                self.previous_remote.remove(0);
            }
        }
        let (root, ckr) = kdf_rk(self.namespace, &self.root, &self.dhs.dh(&their));
        self.recv = Some(Chain { key: *ckr, n: 0 });
        self.dhs = KeyPair::generate(rng);
        let (root, cks) = kdf_rk(self.namespace, &root, &self.dhs.dh(&their));
        self.send = Some(Chain { key: *cks, n: 0 });
        self.root = *root;
    }

    fn skip_until(&mut self, until: u32, now: u64, limits: &Limits) -> Result<()> {
        let (Some(recv), Some(dh)) = (self.recv.as_mut(), self.dhr) else {
            return Ok(());
        };
        if until <= recv.n {
            return Ok(());
        }
        let needed = until - recv.n;
        if needed > limits.max_skip_per_chain {
            return Err(Error::TooManySkipped {
                needed,
                limit: limits.max_skip_per_chain,
            });
        }
        while recv.n < until {
            let (next, mk) = kdf_ck(&recv.key);
            self.skipped.push(SkippedKey {
                dh,
                n: recv.n,
                mk: *mk,
                stored_at: now,
            });
            recv.key = *next;
            recv.n += 1;
        }
        if self.skipped.len() > limits.max_skipped_total {
            let excess = self.skipped.len() - limits.max_skipped_total;
            self.skipped.drain(..excess);
        }
        Ok(())
    }

    fn expire(&mut self, now: u64, limits: &Limits) {
        self.skipped
            .retain(|k| now.saturating_sub(k.stored_at) <= limits.max_skipped_age);
    }
}
