// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! A conversation with one peer (one full JID): the public driving API.

mod receive;
mod session;

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;
use std::time::SystemTime;

use rand_core::CryptoRng;
use zeroize::Zeroizing;

use crate::fragment::{self, Reassembler};
use crate::limits::{Budget, MAX_SESSIONS, SMP_REQUESTS, SMP_WINDOW};
use crate::message::encoded::{FLAG_IGNORE_UNREADABLE, Header, TYPE_DATA};
use crate::message::{self, Offered};
use crate::smp::{self, SmpEvent, SmpState};
use crate::tlv::{self, Tlv};
use crate::wire::armour;
use crate::{Account, Error, Fingerprint, InstanceTag, Policy, PublicKey};
use session::{Msg, Session};

/// An OTR protocol version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Version {
    /// OTR v2: no instance tags.
    V2,
    /// OTR v3: instance tags.
    V3,
}

impl Version {
    fn from_number(v: u16) -> Option<Self> {
        match v {
            2 => Some(Version::V2),
            3 => Some(Version::V3),
            _ => None,
        }
    }
}

/// The message state of a conversation, as OTR defines it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum State {
    /// No encrypted session: messages go (and arrive) in plaintext.
    Plaintext,
    /// Messages are encrypted and authenticated.
    Encrypted,
    /// The peer ended the encrypted session. Nothing is sent (sending fails
    /// with [`Error::SessionFinished`]) until the user ends or restarts OTR.
    Finished,
}

/// Something worth telling the user that is not a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Notice {
    /// Policy "always": the message was held back (not sent in plaintext);
    /// it goes out once the session is encrypted.
    Queued,
}

/// What the caller should do, in order.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Action {
    /// Send this body to the peer (one XMPP message each).
    SendWire(String),
    /// Show this message; `encrypted` is false when it arrived in plaintext
    /// (warn the user if the conversation is [`State::Encrypted`]).
    Deliver {
        /// The message text (whitespace tag removed).
        text: String,
        /// Whether it arrived inside the encrypted session.
        encrypted: bool,
    },
    /// The conversation's state changed (also emitted when an encrypted
    /// session is refreshed by a new AKE: check the fingerprint again).
    StateChanged(State),
    /// An SMP step.
    Smp(SmpEvent),
    /// The peer sent an OTR error message (text as received).
    PeerError(String),
    /// A notice for the user.
    Notice(Notice),
}

impl fmt::Debug for Action {
    // Message bodies never reach Debug output.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Action::SendWire(s) => write!(f, "SendWire({} bytes)", s.len()),
            Action::Deliver { text, encrypted } => f
                .debug_struct("Deliver")
                .field("len", &text.len())
                .field("encrypted", encrypted)
                .finish(),
            Action::StateChanged(s) => write!(f, "StateChanged({s:?})"),
            Action::Smp(e) => write!(f, "Smp({e:?})"),
            Action::PeerError(_) => f.write_str("PeerError(..)"),
            Action::Notice(n) => write!(f, "Notice({n:?})"),
        }
    }
}

/// Whether our whitespace tag was offered (libotr tags only the first message).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Offer {
    NotSent,
    Sent,
    Rejected,
}

/// Key of the session for v2 and of the exchange we start before knowing
/// the peer's v3 instance.
const MASTER: u32 = 0;

/// Seconds without sending after which a received message is answered with
/// a heartbeat (libotr's value).
const HEARTBEAT_SECS: u64 = 60;

/// OTR with one peer (the core keeps one per full JID). Holds one session per
/// remote v3 instance (and one for v2); messages go to the most recent.
pub struct Conversation {
    account: Arc<Account>,
    policy: Policy,
    max_fragment: Option<usize>,
    sessions: HashMap<u32, Session>,
    current: u32,
    queue: Vec<Zeroizing<String>>,
    query_sent: bool,
    offer: Offer,
    reassembly: Reassembler,
    established: u64,
    /// SMP exchanges the peer may still start in the current window.
    smp_requests: Budget,
}

impl fmt::Debug for Conversation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Conversation")
            .field("policy", &self.policy)
            .field("state", &self.state())
            .field("version", &self.version())
            .field("queued", &self.queue.len())
            .finish_non_exhaustive()
    }
}

impl Conversation {
    /// A new conversation in plaintext, with the account's policy.
    pub fn new(account: Arc<Account>) -> Self {
        let policy = account.policy();
        Conversation {
            account,
            policy,
            max_fragment: None,
            sessions: HashMap::new(),
            current: MASTER,
            queue: Vec::new(),
            query_sent: false,
            offer: Offer::NotSent,
            reassembly: Reassembler::default(),
            established: 0,
            smp_requests: Budget::new(SMP_REQUESTS, SMP_WINDOW),
        }
    }

    /// Overrides the policy for this peer.
    pub fn set_policy(&mut self, policy: Policy) {
        self.policy = policy;
    }

    /// The policy in force.
    pub fn policy(&self) -> Policy {
        self.policy
    }

    /// Splits encoded messages longer than `max` bytes into fragments (`None`:
    /// never). Fragments carry a header of 18 (v2) or 36 (v3) bytes, so `max`
    /// must be larger than that.
    pub fn set_max_fragment_size(&mut self, max: Option<usize>) {
        self.max_fragment = max;
    }

    /// The current state.
    pub fn state(&self) -> State {
        self.sessions
            .get(&self.current)
            .map_or(State::Plaintext, |s| s.msg.state())
    }

    /// The protocol version of the current session (None in plaintext).
    pub fn version(&self) -> Option<Version> {
        let s = self.sessions.get(&self.current)?;
        match s.msg {
            Msg::Plaintext => None,
            _ => Version::from_number(s.version),
        }
    }

    /// The peer's v3 instance tag of the current session.
    pub fn their_instance(&self) -> Option<InstanceTag> {
        InstanceTag::new(self.current).ok()
    }

    /// The peer's long-term public key in the current (or finished) session.
    pub fn peer_public_key(&self) -> Option<&PublicKey> {
        self.sessions.get(&self.current)?.their_key.as_ref()
    }

    /// The peer's fingerprint in the current (or finished) session.
    pub fn peer_fingerprint(&self) -> Option<Fingerprint> {
        self.peer_public_key().map(PublicKey::fingerprint)
    }

    /// The secure session id of the current session (both sides see the
    /// same; may be compared out of band).
    pub fn session_id(&self) -> Option<[u8; 8]> {
        let s = self.sessions.get(&self.current)?;
        s.their_key.as_ref().map(|_| s.ssid)
    }

    /// Where SMP stands in the current session.
    pub fn smp_state(&self) -> SmpState {
        self.sessions
            .get(&self.current)
            .map_or(SmpState::Idle, |s| s.smp.state())
    }

    /// Asks the peer to start OTR: the query message to send.
    pub fn start(&mut self) -> Vec<Action> {
        let v = self.account.versions();
        self.query_sent = true;
        vec![Action::SendWire(message::query(v.v2, v.v3))]
    }

    /// Sends a message typed by the user, according to the state and policy.
    pub fn send<R: CryptoRng + ?Sized>(
        &mut self,
        text: &str,
        now: SystemTime,
        rng: &mut R,
    ) -> Result<Vec<Action>, Error> {
        let _ = rng;
        match self.state() {
            State::Encrypted => self.send_data(self.current, text.as_bytes(), &[], 0, now),
            State::Finished => Err(Error::SessionFinished),
            State::Plaintext => {
                let v = self.account.versions();
                Ok(match self.policy {
                    Policy::Always => {
                        self.queue.push(Zeroizing::new(text.to_owned()));
                        let mut out = vec![Action::Notice(Notice::Queued)];
                        if !self.query_sent {
                            out.extend(self.start());
                        }
                        out
                    }
                    Policy::Opportunistic if self.offer == Offer::NotSent => {
                        self.offer = Offer::Sent;
                        vec![Action::SendWire(message::tagged(text, v.v2, v.v3))]
                    }
                    _ => vec![Action::SendWire(text.to_owned())],
                })
            }
        }
    }

    /// Handles a body received from the peer.
    pub fn receive<R: CryptoRng + ?Sized>(
        &mut self,
        wire: &str,
        now: SystemTime,
        rng: &mut R,
    ) -> Result<Vec<Action>, Error> {
        let before = self.snapshot();
        let mut out = Vec::new();
        let result = self.receive_inner(wire, now, rng, &mut out, 0);
        self.report(before, &mut out);
        result.map(|()| out)
    }

    /// Ends the private conversation: tells the peer (when encrypted) and
    /// returns to plaintext. From [`State::Finished`] it only returns to
    /// plaintext.
    pub fn end(&mut self, now: SystemTime) -> Result<Vec<Action>, Error> {
        let before = self.snapshot();
        let mut out = Vec::new();
        let key = self.current;
        if self.state() == State::Encrypted {
            let t = Tlv::new(tlv::DISCONNECTED, Vec::new());
            out = self.send_data(key, b"", &[t], FLAG_IGNORE_UNREADABLE, now)?;
        }
        if let Some(s) = self.sessions.get_mut(&key) {
            s.msg = Msg::Plaintext;
            s.smp.reset();
        }
        self.queue.clear();
        self.query_sent = false;
        self.report(before, &mut out);
        Ok(out)
    }

    /// Starts SMP with a shared secret, optionally asking `question`
    /// (restarts an exchange already running).
    pub fn smp_start<R: CryptoRng + ?Sized>(
        &mut self,
        secret: &[u8],
        question: Option<&str>,
        now: SystemTime,
        rng: &mut R,
    ) -> Result<Vec<Action>, Error> {
        let key = self.current;
        let ours = self.account.fingerprint();
        let s = self.encrypted_session(key, "starting SMP")?;
        let theirs = s.their_fingerprint()?;
        let mut tlvs = Vec::new();
        if s.smp.is_running() {
            tlvs.push(s.smp.abort());
        }
        let x = smp::secret_hash(&ours.0, &theirs.0, &s.ssid, secret);
        tlvs.push(s.smp.start(x, question, rng));
        self.send_data(key, b"", &tlvs, FLAG_IGNORE_UNREADABLE, now)
    }

    /// Answers the peer's SMP request ([`SmpEvent::Requested`]) with our secret.
    pub fn smp_respond<R: CryptoRng + ?Sized>(
        &mut self,
        secret: &[u8],
        now: SystemTime,
        rng: &mut R,
    ) -> Result<Vec<Action>, Error> {
        let key = self.current;
        let ours = self.account.fingerprint();
        let s = self.encrypted_session(key, "answering SMP")?;
        let theirs = s.their_fingerprint()?;
        let y = smp::secret_hash(&theirs.0, &ours.0, &s.ssid, secret);
        let t = s.smp.respond(y, rng)?;
        let mut out = self.send_data(key, b"", &[t], FLAG_IGNORE_UNREADABLE, now)?;
        out.push(Action::Smp(SmpEvent::Progress { percent: 40 }));
        Ok(out)
    }

    /// Aborts a running SMP exchange (tells the peer).
    pub fn smp_abort(&mut self, now: SystemTime) -> Result<Vec<Action>, Error> {
        let key = self.current;
        let s = self.encrypted_session(key, "aborting SMP")?;
        if !s.smp.is_running() {
            return Ok(Vec::new());
        }
        let t = s.smp.abort();
        self.send_data(key, b"", &[t], FLAG_IGNORE_UNREADABLE, now)
    }

    /// The session of remote instance `key` (made if new, within
    /// `MAX_SESSIONS`), marked active at `now`.
    fn session_mut(&mut self, key: u32, now: SystemTime) -> &mut Session {
        if !self.sessions.contains_key(&key) {
            self.make_room_for_session();
        }
        let s = self.sessions.entry(key).or_default();
        s.last_active = Some(now);
        s
    }

    /// Drops sessions until one more fits: never the current one; those
    /// not encrypted first, then the least recently active. Anyone can
    /// open sessions (one per instance tag they make up), so without this
    /// a stranger could make us hold any number.
    fn make_room_for_session(&mut self) {
        while self.sessions.len() >= MAX_SESSIONS {
            let victim = self
                .sessions
                .iter()
                .filter(|(k, _)| **k != self.current)
                .min_by_key(|(k, s)| (matches!(s.msg, Msg::Encrypted(_)), s.last_active, **k))
                .map(|(k, _)| *k);
            let Some(k) = victim else { return };
            self.sessions.remove(&k);
        }
    }

    fn encrypted_session(&mut self, key: u32, what: &'static str) -> Result<&mut Session, Error> {
        match self.sessions.get_mut(&key) {
            Some(s) if matches!(s.msg, Msg::Encrypted(_)) => Ok(s),
            _ => Err(Error::NotEncrypted { what }),
        }
    }

    /// Encrypts and sends a data message in session `key`.
    fn send_data(
        &mut self,
        key: u32,
        text: &[u8],
        tlvs: &[Tlv],
        flags: u8,
        now: SystemTime,
    ) -> Result<Vec<Action>, Error> {
        let our_tag = self.account.instance_tag().get();
        let s = self.encrypted_session(key, "sending a data message")?;
        let Msg::Encrypted(keys) = &mut s.msg else {
            return Err(Error::NotEncrypted {
                what: "sending a data message",
            });
        };
        let header = Header {
            version: s.version,
            kind: TYPE_DATA,
            sender: our_tag,
            receiver: key,
        };
        let plaintext = Zeroizing::new(tlv::join(text, tlvs));
        let bytes = keys.encrypt(header, flags, &plaintext);
        s.last_sent = Some(now);
        let version = s.version;
        self.wire(&armour(&bytes), version, key)
    }

    /// An encoded message as bodies to send, fragmented when needed.
    fn wire(&self, msg: &str, version: u16, their: u32) -> Result<Vec<Action>, Error> {
        let Some(max) = self.max_fragment else {
            return Ok(vec![Action::SendWire(msg.to_owned())]);
        };
        let instances = (version == 3).then(|| (self.account.instance_tag().get(), their));
        Ok(fragment::fragment(msg, max, instances)?
            .into_iter()
            .map(Action::SendWire)
            .collect())
    }

    fn snapshot(&self) -> (State, u32, u64) {
        (self.state(), self.current, self.established)
    }

    fn report(&self, before: (State, u32, u64), out: &mut Vec<Action>) {
        if before != self.snapshot() {
            out.push(Action::StateChanged(self.state()));
        }
    }

    /// The version to use for a peer offering `offered`, if any.
    fn pick_version(&self, offered: Offered) -> Option<u16> {
        let v = self.account.versions();
        if offered.v3 && v.v3 {
            Some(3)
        } else if offered.v2 && v.v2 {
            Some(2)
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests;
