// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! Our engine and a libotr peer, joined by an in-process message loop.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rand::SeedableRng as _;
use rand::rngs::StdRng;
use sotto_otr::{
    Account, Action, Conversation, InstanceTag, Policy, PrivateKey, SmpEvent, State, Version,
    Versions as OtrVersions,
};
use sotto_tests::libotr::{LibotrPeer, MsgState, PeerEvent, PeerState, Received, Versions};

/// Our account name, as libotr sees it (the peer name it is given).
pub const US: &str = "alice@localhost/sotto";
/// The libotr account.
pub const THEM: &str = "bob@localhost/pidgin";

/// Our side: the engine, its RNG and clock, and what it reported.
pub struct Sotto {
    pub conv: Conversation,
    pub rng: StdRng,
    pub now: SystemTime,
    pub delivered: Vec<(String, bool)>,
    pub smp: Vec<SmpEvent>,
    pub peer_errors: Vec<String>,
    /// Our fingerprint, in libotr's human form.
    pub fp: String,
}

impl Sotto {
    pub fn new(key: PrivateKey, policy: Policy, versions: OtrVersions, seed: u64) -> Self {
        let tag = InstanceTag::new(0x5077_0000 + seed as u32).unwrap();
        let fp = key.fingerprint().to_string();
        let account = Account::new(key, tag, policy).with_versions(versions);
        Sotto {
            conv: Conversation::new(Arc::new(account)),
            rng: StdRng::seed_from_u64(seed),
            now: UNIX_EPOCH + Duration::from_secs(1_800_000_000),
            delivered: Vec::new(),
            smp: Vec::new(),
            peer_errors: Vec::new(),
            fp,
        }
    }

    /// Files actions; returns the bodies to deliver to libotr.
    pub fn file(&mut self, actions: Vec<Action>) -> Vec<String> {
        let mut wire = Vec::new();
        for a in actions {
            match a {
                Action::SendWire(s) => wire.push(s),
                Action::Deliver { text, encrypted } => self.delivered.push((text, encrypted)),
                Action::Smp(e) => self.smp.push(e),
                Action::PeerError(e) => self.peer_errors.push(e),
                _ => {}
            }
        }
        wire
    }

    pub fn send(&mut self, text: &str) -> Vec<String> {
        let acts = self.conv.send(text, self.now, &mut self.rng).unwrap();
        self.file(acts)
    }

    pub fn texts(&self) -> Vec<&str> {
        self.delivered.iter().map(|(t, _)| t.as_str()).collect()
    }
}

/// Our engine and one libotr peer, with what libotr received.
pub struct Link {
    pub us: Sotto,
    pub them: LibotrPeer,
    pub got: Vec<Received>,
}

pub fn key(seed: u64) -> PrivateKey {
    PrivateKey::generate(&mut StdRng::seed_from_u64(seed))
}

impl Link {
    pub fn new(policy: Policy, ours: OtrVersions, theirs: Versions, seed: u64) -> Self {
        Link {
            us: Sotto::new(key(seed), policy, ours, seed),
            them: LibotrPeer::spawn(THEM, theirs).unwrap(),
            got: Vec::new(),
        }
    }

    /// Delivers bodies both ways until neither side has anything to send.
    pub fn pump(&mut self, to_them: Vec<String>, to_us: Vec<String>) {
        let mut queue: VecDeque<(bool, String)> = to_them
            .into_iter()
            .map(|m| (true, m))
            .chain(to_us.into_iter().map(|m| (false, m)))
            .collect();
        let mut steps = 0;
        while let Some((for_them, body)) = queue.pop_front() {
            steps += 1;
            assert!(steps < 2_000, "the peers never stop talking");
            if for_them {
                let got = self.them.receive(US, &body).unwrap();
                queue.extend(got.to_send.iter().map(|m| (false, m.clone())));
                self.got.push(got);
            } else {
                let acts = self
                    .us
                    .conv
                    .receive(&body, self.us.now, &mut self.us.rng)
                    .unwrap_or_else(|e| panic!("our engine rejected {:.40}: {e}", body));
                queue.extend(self.us.file(acts).into_iter().map(|m| (true, m)));
            }
        }
    }

    pub fn their_texts(&self) -> Vec<&str> {
        self.got
            .iter()
            .filter_map(|r| r.plaintext.as_deref())
            .collect()
    }

    pub fn their_events(&self) -> Vec<PeerEvent> {
        self.got.iter().flat_map(|r| r.events.clone()).collect()
    }

    pub fn their_state(&mut self) -> (MsgState, u32) {
        let PeerState { msgstate, version } = self.them.state(US).unwrap();
        (msgstate, version)
    }

    pub fn assert_encrypted(&mut self, version: u32) {
        assert_eq!(self.us.conv.state(), State::Encrypted);
        let v = if version == 3 {
            Version::V3
        } else {
            Version::V2
        };
        assert_eq!(self.us.conv.version(), Some(v));
        assert_eq!(self.their_state(), (MsgState::Encrypted, version));
        // Each side sees the other's real key.
        let their_fp = self.them.fingerprint().unwrap();
        assert_eq!(
            self.us.conv.peer_fingerprint().unwrap().to_string(),
            their_fp
        );
        let ours = self.us.fp.clone();
        let (seen, _) = self.them.peer_fingerprint(US).unwrap().unwrap();
        assert_eq!(seen, ours);
    }

    /// Messages both ways, checking neither travels in the clear.
    pub fn chat(&mut self, tag: &str) {
        let text = format!("Grüße {tag} 🙂 <b>&amp;</b>");
        let wire = self.us.send(&text);
        assert!(
            wire.iter()
                .all(|w| w.starts_with("?OTR") && !w.contains("Grüße"))
        );
        let before = self.got.len();
        self.pump(wire, vec![]);
        assert_eq!(self.their_texts()[self.their_texts().len() - 1], text);
        assert!(self.got.len() > before);

        let reply = format!("reply {tag}");
        let wire = self.them.send(US, &reply).unwrap();
        assert!(wire.iter().all(|w| !w.contains("reply")));
        self.pump(vec![], wire);
        assert_eq!(self.us.delivered.last(), Some(&(reply, true)));
    }
}
