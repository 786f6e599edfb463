// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! Handling of received bodies.

use std::time::{Duration, SystemTime};

use rand_core::CryptoRng;
use zeroize::Zeroizing;

use super::session::Msg;
use super::{Action, Conversation, HEARTBEAT_SECS, MASTER, Offer};
use crate::ake::Established;
use crate::data::DataKeys;
use crate::fragment;
use crate::limits::MAX_REVEAL_PENDING;
use crate::message::encoded::{self, Body, DataMessage, FLAG_IGNORE_UNREADABLE, Header};
use crate::message::{self, Incoming, Offered};
use crate::smp::SmpEvent;
use crate::tlv::{self, Tlv};
use crate::{Error, InstanceTag};

impl Conversation {
    pub(super) fn receive_inner<R: CryptoRng + ?Sized>(
        &mut self,
        wire: &str,
        now: SystemTime,
        rng: &mut R,
        out: &mut Vec<Action>,
        depth: u8,
    ) -> Result<(), Error> {
        match message::classify(wire)? {
            Incoming::Fragment(s) => {
                if depth > 0 {
                    return Err(Error::Malformed {
                        what: "a fragment inside a fragmented message",
                    });
                }
                let piece = fragment::parse(&s)?;
                let key = match piece.instances {
                    Some((sender, receiver)) => {
                        // The receiver may be 0 in a fragmented D-H Commit; the
                        // reassembled message is checked again.
                        self.check_instances(3, sender, receiver, true)?;
                        sender
                    }
                    None => MASTER,
                };
                if let Some(whole) = self.reassembly.push(key, &piece, now)? {
                    self.receive_inner(&whole, now, rng, out, depth + 1)?;
                }
                Ok(())
            }
            Incoming::Encoded(bytes) => self.receive_encoded(&bytes, now, rng, out),
            Incoming::Error(text) => {
                out.push(Action::PeerError(text));
                if self.policy.starts_on_tag() && self.state() != super::State::Encrypted {
                    out.extend(self.start());
                }
                Ok(())
            }
            Incoming::Query(offered) => self.start_ake(offered, now, rng, out),
            Incoming::Plain { text, tag } => {
                match tag {
                    Some(offered) if self.policy.starts_on_tag() => {
                        self.start_ake(offered, now, rng, out)?;
                    }
                    Some(_) => {}
                    None if self.offer == Offer::Sent => self.offer = Offer::Rejected,
                    None => {}
                }
                if !text.is_empty() {
                    out.push(Action::Deliver {
                        text,
                        encrypted: false,
                    });
                }
                Ok(())
            }
        }
    }

    /// Validates v3 instance tags. `receiver` 0 is allowed only for a D-H
    /// Commit (the sender does not know our tag yet).
    fn check_instances(
        &self,
        version: u16,
        sender: u32,
        receiver: u32,
        zero_ok: bool,
    ) -> Result<(), Error> {
        if !self.version_enabled(version) {
            return Err(Error::UnsupportedVersion(version));
        }
        InstanceTag::new(sender)?;
        let ours = self.account.instance_tag().get();
        if receiver != ours && !(receiver == 0 && zero_ok) {
            return Err(Error::NotOurInstance(receiver));
        }
        Ok(())
    }

    fn version_enabled(&self, version: u16) -> bool {
        let v = self.account.versions();
        (version == 2 && v.v2) || (version == 3 && v.v3)
    }

    fn start_ake<R: CryptoRng + ?Sized>(
        &mut self,
        offered: Offered,
        now: SystemTime,
        rng: &mut R,
        out: &mut Vec<Action>,
    ) -> Result<(), Error> {
        let Some(version) = self.pick_version(offered) else {
            return Ok(());
        };
        let commit = self.session_mut(MASTER, now).ake.start(version, rng);
        self.send_ake(MASTER, version, &commit, out)
    }

    fn send_ake(
        &self,
        key: u32,
        version: u16,
        body: &Body,
        out: &mut Vec<Action>,
    ) -> Result<(), Error> {
        let header = Header {
            version,
            kind: body.kind(),
            sender: self.account.instance_tag().get(),
            receiver: key,
        };
        let bytes = encoded::serialize_ake(header, body);
        out.extend(self.wire(&crate::wire::armour(&bytes), version, key)?);
        Ok(())
    }

    fn receive_encoded<R: CryptoRng + ?Sized>(
        &mut self,
        bytes: &[u8],
        now: SystemTime,
        rng: &mut R,
        out: &mut Vec<Action>,
    ) -> Result<(), Error> {
        let (h, body) = encoded::parse(bytes)?;
        let key = if h.version == 3 {
            let zero_ok = h.kind == encoded::TYPE_DH_COMMIT;
            self.check_instances(3, h.sender, h.receiver, zero_ok)?;
            h.sender
        } else {
            if !self.version_enabled(h.version) {
                return Err(Error::UnsupportedVersion(h.version));
            }
            MASTER
        };
        match body {
            Body::Data(d) => self.receive_data(key, &d, now, rng, out),
            ake => self.receive_ake(key, h.version, ake, now, rng, out),
        }
    }

    fn receive_ake<R: CryptoRng + ?Sized>(
        &mut self,
        key: u32,
        version: u16,
        body: Body,
        now: SystemTime,
        rng: &mut R,
        out: &mut Vec<Action>,
    ) -> Result<(), Error> {
        if key != MASTER {
            // A reply to the commit we sent to "any instance": that exchange
            // continues in this instance's session.
            let master = self.sessions.get(&MASTER).map(|m| m.ake.clone());
            let child = self.session_mut(key, now);
            if let Some(m) = master
                && child.ake.is_idle()
                && m.is_awaiting_dh_key()
                && m.version() == version
                && matches!(body, Body::DhKey { .. } | Body::DhCommit { .. })
            {
                child.ake = m;
            }
        }
        let account = self.account.clone();
        let session = self.session_mut(key, now);
        let outcome = session.ake.receive(version, body, account.key(), rng)?;
        if let Some(reply) = outcome.reply {
            self.send_ake(key, version, &reply, out)?;
        }
        if let Some(est) = outcome.established {
            self.go_encrypted(key, est, now, rng, out)?;
        }
        Ok(())
    }

    fn go_encrypted<R: CryptoRng + ?Sized>(
        &mut self,
        key: u32,
        est: Established,
        now: SystemTime,
        rng: &mut R,
        out: &mut Vec<Action>,
    ) -> Result<(), Error> {
        let keys = DataKeys::new(&est, rng);
        let session = self.session_mut(key, now);
        session.msg = Msg::Encrypted(Box::new(keys));
        session.their_key = Some(est.their_key);
        session.ssid = est.ssid;
        session.version = est.version;
        session.smp.reset();
        self.current = key;
        self.established += 1;
        self.query_sent = false;
        let queued = std::mem::take(&mut self.queue);
        for text in queued {
            out.extend(self.send_data(key, text.as_bytes(), &[], 0, now)?);
        }
        Ok(())
    }

    fn receive_data<R: CryptoRng + ?Sized>(
        &mut self,
        key: u32,
        d: &DataMessage,
        now: SystemTime,
        rng: &mut R,
        out: &mut Vec<Action>,
    ) -> Result<(), Error> {
        let ignore = d.flags & FLAG_IGNORE_UNREADABLE != 0;
        let quiet = |e: Error| if ignore { Ok(()) } else { Err(e) };
        let Some(session) = self.sessions.get_mut(&key) else {
            return quiet(Error::NoSession);
        };
        let Msg::Encrypted(keys) = &mut session.msg else {
            return quiet(Error::NoSession);
        };
        let dec = match keys.decrypt(d, rng) {
            Ok(dec) => dec,
            Err(e) => return quiet(e),
        };
        session.last_active = Some(now);
        let reveal_due = keys.reveal_pending() >= MAX_REVEAL_PENDING;
        let (text, tlvs) = match tlv::split(&dec.plaintext) {
            Ok((m, t)) => (m, t),
            Err(_) => {
                let nul = dec
                    .plaintext
                    .iter()
                    .position(|&b| b == 0)
                    .unwrap_or(dec.plaintext.len());
                (&dec.plaintext[..nul], Vec::new())
            }
        };
        let text = Zeroizing::new(String::from_utf8_lossy(text).into_owned());
        let had_text = !text.is_empty();
        if had_text {
            out.push(Action::Deliver {
                text: text.to_string(),
                encrypted: true,
            });
        }
        self.current = key;
        let mut replies: Vec<Tlv> = Vec::new();
        // One TLV of each SMP kind per message, as libotr handles them: a
        // failed SMP step resets, so repeats would each cost a step.
        let mut smp_seen = 0u8;
        for t in &tlvs {
            let Some(session) = self.sessions.get_mut(&key) else {
                break;
            };
            match t.kind {
                tlv::DISCONNECTED => {
                    session.msg = Msg::Finished;
                    session.smp.reset();
                    replies.clear();
                    break;
                }
                tlv::SMP1 | tlv::SMP1Q | tlv::SMP2 | tlv::SMP3 | tlv::SMP4 | tlv::SMP_ABORT => {
                    // SMP kinds are 2 ..= 7: one bit each.
                    let bit = 1u8 << t.kind;
                    if smp_seen & bit != 0 {
                        continue;
                    }
                    smp_seen |= bit;
                    let request = matches!(t.kind, tlv::SMP1 | tlv::SMP1Q);
                    if request && !self.smp_requests.take(now) {
                        // Too many requests lately: refused unread.
                        if session.smp.is_running() {
                            out.push(Action::Smp(SmpEvent::Aborted));
                        }
                        replies.push(session.smp.abort());
                        continue;
                    }
                    let o = session.smp.receive(t, rng);
                    replies.extend(o.reply);
                    out.extend(o.events.into_iter().map(Action::Smp));
                }
                // Padding, extra symmetric key, unknown: nothing to do.
                tlv::PADDING => {}
                _ => {}
            }
        }
        let encrypted = self
            .sessions
            .get(&key)
            .is_some_and(|s| matches!(s.msg, Msg::Encrypted(_)));
        if !encrypted {
            return Ok(());
        }
        if !replies.is_empty() {
            out.extend(self.send_data(key, b"", &replies, FLAG_IGNORE_UNREADABLE, now)?);
        }
        let last = self.sessions.get(&key).and_then(|s| s.last_sent);
        let idle = last.is_none_or(|t| {
            now.duration_since(t).unwrap_or(Duration::ZERO) >= Duration::from_secs(HEARTBEAT_SECS)
        });
        // A heartbeat also reveals the old MAC keys, so they cannot pile up.
        if (had_text && idle) || reveal_due {
            out.extend(self.send_data(key, b"", &[], FLAG_IGNORE_UNREADABLE, now)?);
        }
        Ok(())
    }
}
