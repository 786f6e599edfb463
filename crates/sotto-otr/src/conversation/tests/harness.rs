// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! A deterministic two-peer loop.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rand_chacha::ChaCha20Rng;

use crate::testutil::{keys, rng};
use crate::{Account, Action, Conversation, InstanceTag, Policy, SmpEvent, Versions};

pub(super) struct Peer {
    pub(super) conv: Conversation,
    pub(super) rng: ChaCha20Rng,
    pub(super) delivered: Vec<(String, bool)>,
    pub(super) smp: Vec<SmpEvent>,
    pub(super) peer_errors: Vec<String>,
}

pub(super) struct Pair {
    pub(super) a: Peer,
    pub(super) b: Peer,
    pub(super) now: SystemTime,
    /// Wire messages in flight: (to_b, body).
    pub(super) wire: VecDeque<(bool, String)>,
}

pub(super) fn account(i: usize, policy: Policy, versions: Versions) -> Arc<Account> {
    let tag = InstanceTag::new(0x1000 + i as u32).unwrap();
    Arc::new(Account::new(keys()[i].clone(), tag, policy).with_versions(versions))
}

impl Pair {
    pub(super) fn new(pa: Policy, pb: Policy, va: Versions, vb: Versions) -> Self {
        let peer = |i: usize, p, v| Peer {
            conv: Conversation::new(account(i, p, v)),
            rng: rng(100 + i as u64),
            delivered: Vec::new(),
            smp: Vec::new(),
            peer_errors: Vec::new(),
        };
        Pair {
            a: peer(0, pa, va),
            b: peer(1, pb, vb),
            now: UNIX_EPOCH + Duration::from_secs(1_700_000_000),
            wire: VecDeque::new(),
        }
    }

    pub(super) fn both() -> Versions {
        Versions::default()
    }

    pub(super) fn side(&mut self, a: bool) -> &mut Peer {
        if a { &mut self.a } else { &mut self.b }
    }

    /// Files the actions of side `from_a` (wire goes to the other side).
    pub(super) fn take(&mut self, from_a: bool, actions: Vec<Action>) {
        for act in actions {
            match act {
                Action::SendWire(s) => self.wire.push_back((from_a, s)),
                Action::Deliver { text, encrypted } => {
                    self.side(from_a).delivered.push((text, encrypted))
                }
                Action::Smp(e) => self.side(from_a).smp.push(e),
                Action::PeerError(e) => self.side(from_a).peer_errors.push(e),
                Action::StateChanged(_) | Action::Notice(_) => {}
            }
        }
    }

    pub(super) fn send(&mut self, from_a: bool, text: &str) {
        let now = self.now;
        let p = self.side(from_a);
        let acts = p.conv.send(text, now, &mut p.rng).unwrap();
        self.take(from_a, acts);
    }

    /// Delivers the oldest wire message in flight; returns its result.
    pub(super) fn step(&mut self) -> Option<Result<(), crate::Error>> {
        let (from_a, body) = self.wire.pop_front()?;
        let now = self.now;
        let p = self.side(!from_a);
        Some(match p.conv.receive(&body, now, &mut p.rng) {
            Ok(acts) => {
                self.take(!from_a, acts);
                Ok(())
            }
            Err(e) => Err(e),
        })
    }

    /// Delivers everything in flight (and what it causes), panicking on errors.
    pub(super) fn run(&mut self) {
        let mut n = 0;
        while let Some(r) = self.step() {
            r.unwrap();
            n += 1;
            assert!(n < 10_000, "message loop");
        }
    }

    /// Takes the wire messages in flight from one side without delivering.
    pub(super) fn hold(&mut self, from_a: bool) -> Vec<String> {
        let (held, rest): (Vec<_>, Vec<_>) = self.wire.drain(..).partition(|(f, _)| *f == from_a);
        self.wire = rest.into();
        held.into_iter().map(|(_, s)| s).collect()
    }

    pub(super) fn inject(&mut self, from_a: bool, bodies: impl IntoIterator<Item = String>) {
        for b in bodies {
            self.wire.push_back((from_a, b));
        }
    }

    pub(super) fn texts(&self, a: bool) -> Vec<&str> {
        let p = if a { &self.a } else { &self.b };
        p.delivered.iter().map(|(t, _)| t.as_str()).collect()
    }

    /// Starts OTR from side `a` with a query and runs the AKE.
    pub(super) fn start(&mut self, from_a: bool) {
        let acts = self.side(from_a).conv.start();
        self.take(from_a, acts);
        self.run();
    }
}
