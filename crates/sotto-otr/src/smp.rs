// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! The Socialist Millionaires' Protocol: both sides learn whether they typed
//! the same secret, and nothing else, over the encrypted session.

mod math;

use num_bigint::BigUint;
use rand_core::CryptoRng;

use crate::Error;
use crate::group::{check_element, group, pow, pow_g};
use crate::secret::SecretNum;
use crate::tlv::{self, Tlv};
use crate::wire::{Reader, Writer};
use math::{check_exponent, hash2, proof_d, random_exponent};

/// An SMP step the user (or front end) should know about.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SmpEvent {
    /// The peer wants to verify: ask the user for the secret (answering
    /// `question` when given) and call `Conversation::smp_respond`.
    Requested {
        /// The question the peer asked, if any.
        question: Option<String>,
    },
    /// The exchange advanced (percent done, for a progress bar).
    Progress {
        /// 0-100.
        percent: u8,
    },
    /// Both secrets matched: the peer is who the shared secret says.
    Succeeded,
    /// The secrets differ.
    Failed,
    /// The peer (or a protocol error) aborted the exchange.
    Aborted,
}

/// Where SMP stands in the current session.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum SmpState {
    /// Nothing going on.
    #[default]
    Idle,
    /// The peer asked; waiting for our user's secret.
    AnswerNeeded {
        /// The peer's question, if any.
        question: Option<String>,
    },
    /// Messages are being exchanged.
    InProgress,
    /// The last exchange succeeded.
    Succeeded,
    /// The last exchange failed (different secrets).
    Failed,
    /// The last exchange was aborted.
    Aborted,
}

#[derive(Debug, Default)]
enum Step {
    #[default]
    Expect1,
    /// We got SMP1 and wait for the user's secret.
    Answer { g2a: BigUint, g3a: BigUint },
    Expect2 {
        x: SecretNum,
        a2: SecretNum,
        a3: SecretNum,
    },
    Expect3 {
        g3a: BigUint,
        g2: BigUint,
        g3: BigUint,
        b3: SecretNum,
        pb: BigUint,
        qb: BigUint,
    },
    Expect4 {
        g3b: BigUint,
        pa_pb: BigUint,
        qa_qb: BigUint,
        a3: SecretNum,
    },
}

/// One session's SMP state machine.
#[derive(Debug, Default)]
pub(crate) struct Smp {
    step: Step,
    state: SmpState,
}

/// What handling an SMP TLV produced.
#[derive(Debug, Default)]
pub(crate) struct SmpOutput {
    pub(crate) reply: Vec<Tlv>,
    pub(crate) events: Vec<SmpEvent>,
}

impl Smp {
    pub(crate) fn state(&self) -> SmpState {
        self.state.clone()
    }

    pub(crate) fn is_running(&self) -> bool {
        !matches!(self.step, Step::Expect1)
    }

    /// Forgets any exchange in progress (session ended or refreshed).
    pub(crate) fn reset(&mut self) {
        self.step = Step::Expect1;
        self.state = SmpState::Idle;
    }

    /// Our SMP1 (or SMP1Q) for the hashed secret `x`.
    pub(crate) fn start<R: CryptoRng + ?Sized>(
        &mut self,
        x: SecretNum,
        question: Option<&str>,
        rng: &mut R,
    ) -> Tlv {
        let a2 = random_exponent(rng);
        let a3 = random_exponent(rng);
        let (c2, d2) = proof_d(1, &a2, rng);
        let (c3, d3) = proof_d(2, &a3, rng);
        let mut w = Writer::new();
        if let Some(q) = question {
            w.raw(q.as_bytes()).byte(0);
        }
        mpis(
            &mut w,
            &[&pow_g(a2.get()), &c2, &d2, &pow_g(a3.get()), &c3, &d3],
        );
        self.step = Step::Expect2 { x, a2, a3 };
        self.state = SmpState::InProgress;
        let kind = if question.is_some() {
            tlv::SMP1Q
        } else {
            tlv::SMP1
        };
        Tlv::new(kind, w.finish())
    }

    /// Our SMP2, once the user typed the secret (hashed into `y`).
    pub(crate) fn respond<R: CryptoRng + ?Sized>(
        &mut self,
        y: SecretNum,
        rng: &mut R,
    ) -> Result<Tlv, Error> {
        let Step::Answer { g2a, g3a } = std::mem::take(&mut self.step) else {
            return Err(Error::SmpState {
                what: "answering an SMP request",
            });
        };
        let b2 = random_exponent(rng);
        let b3 = random_exponent(rng);
        let (c2, d2) = proof_d(3, &b2, rng);
        let (c3, d3) = proof_d(4, &b3, rng);
        let g2 = pow(&g2a, b2.get());
        let g3 = pow(&g3a, b3.get());
        let r4 = random_exponent(rng);
        let r5 = random_exponent(rng);
        let r6 = random_exponent(rng);
        let p = &group().p;
        let pb = pow(&g3, r4.get());
        let qb = (pow_g(r4.get()) * pow(&g2, y.get())) % p;
        let cp = hash2(
            5,
            &pow(&g3, r5.get()),
            &((pow_g(r5.get()) * pow(&g2, r6.get())) % p),
        );
        let d5 = math::sub_mul(r5.get(), r4.get(), &cp);
        let d6 = math::sub_mul(r6.get(), y.get(), &cp);
        let mut w = Writer::new();
        mpis(
            &mut w,
            &[
                &pow_g(b2.get()),
                &c2,
                &d2,
                &pow_g(b3.get()),
                &c3,
                &d3,
                &pb,
                &qb,
                &cp,
                &d5,
                &d6,
            ],
        );
        self.step = Step::Expect3 {
            g3a,
            g2,
            g3,
            b3,
            pb,
            qb,
        };
        self.state = SmpState::InProgress;
        Ok(Tlv::new(tlv::SMP2, w.finish()))
    }

    /// Our abort TLV; resets the exchange.
    pub(crate) fn abort(&mut self) -> Tlv {
        self.step = Step::Expect1;
        self.state = SmpState::Aborted;
        Tlv::new(tlv::SMP_ABORT, Vec::new())
    }

    /// Handles an SMP TLV from the peer. A message that does not fit the
    /// current step, or fails its checks, aborts the exchange (both sides).
    pub(crate) fn receive<R: CryptoRng + ?Sized>(&mut self, t: &Tlv, rng: &mut R) -> SmpOutput {
        if t.kind == tlv::SMP_ABORT {
            self.step = Step::Expect1;
            self.state = SmpState::Aborted;
            return SmpOutput {
                reply: Vec::new(),
                events: vec![SmpEvent::Aborted],
            };
        }
        match self.step_once(t, rng) {
            Ok(out) => out,
            Err(_) => SmpOutput {
                reply: vec![self.abort()],
                events: vec![SmpEvent::Aborted],
            },
        }
    }

    fn step_once<R: CryptoRng + ?Sized>(
        &mut self,
        t: &Tlv,
        rng: &mut R,
    ) -> Result<SmpOutput, Error> {
        let p = &group().p;
        match (t.kind, &self.step) {
            (tlv::SMP1 | tlv::SMP1Q, Step::Expect1) => {
                let (question, body) = if t.kind == tlv::SMP1Q {
                    let nul = t
                        .value
                        .iter()
                        .position(|&b| b == 0)
                        .ok_or(Error::Malformed {
                            what: "an SMP question",
                        })?;
                    let q = String::from_utf8_lossy(&t.value[..nul]).into_owned();
                    (Some(q), &t.value[nul + 1..])
                } else {
                    (None, &t.value[..])
                };
                let v = read_mpis(body, 6)?;
                let (g2a, c2, d2, g3a, c3, d3) = (&v[0], &v[1], &v[2], &v[3], &v[4], &v[5]);
                check_element(g2a, "SMP g2a")?;
                check_element(g3a, "SMP g3a")?;
                // Every exponent, challenges included, before any
                // exponentiation: a 64 KiB challenge once cost a second.
                for e in [c2, d2, c3, d3] {
                    check_exponent(e)?;
                }
                math::check_proof(1, c2, d2, g2a)?;
                math::check_proof(2, c3, d3, g3a)?;
                self.step = Step::Answer {
                    g2a: g2a.clone(),
                    g3a: g3a.clone(),
                };
                self.state = SmpState::AnswerNeeded {
                    question: question.clone(),
                };
                Ok(SmpOutput {
                    reply: Vec::new(),
                    events: vec![SmpEvent::Requested { question }],
                })
            }
            (tlv::SMP2, Step::Expect2 { x, a2, a3 }) => {
                let v = read_mpis(&t.value, 11)?;
                let [g2b, c2, d2, g3b, c3, d3, pb, qb, cp, d5, d6] = &v[..] else {
                    return Err(Error::Malformed {
                        what: "SMP message 2",
                    });
                };
                for (e, w) in [
                    (g2b, "SMP g2b"),
                    (g3b, "SMP g3b"),
                    (pb, "SMP Pb"),
                    (qb, "SMP Qb"),
                ] {
                    check_element(e, w)?;
                }
                for e in [c2, d2, c3, d3, cp, d5, d6] {
                    check_exponent(e)?;
                }
                math::check_proof(3, c2, d2, g2b)?;
                math::check_proof(4, c3, d3, g3b)?;
                let g2 = pow(g2b, a2.get());
                let g3 = pow(g3b, a3.get());
                let lhs1 = (pow(&g3, d5) * pow(pb, cp)) % p;
                let lhs2 = (pow_g(d5) * pow(&g2, d6) % p * pow(qb, cp)) % p;
                if &hash2(5, &lhs1, &lhs2) != cp {
                    return Err(Error::OutOfRange {
                        what: "SMP proof 5",
                    });
                }
                let r4 = random_exponent(rng);
                let r5 = random_exponent(rng);
                let r6 = random_exponent(rng);
                let r7 = random_exponent(rng);
                let pa = pow(&g3, r4.get());
                let qa = (pow_g(r4.get()) * pow(&g2, x.get())) % p;
                let cp2 = hash2(
                    6,
                    &pow(&g3, r5.get()),
                    &((pow_g(r5.get()) * pow(&g2, r6.get())) % p),
                );
                let d5a = math::sub_mul(r5.get(), r4.get(), &cp2);
                let d6a = math::sub_mul(r6.get(), x.get(), &cp2);
                let qa_qb = math::div(&qa, qb)?;
                let pa_pb = math::div(&pa, pb)?;
                let ra = pow(&qa_qb, a3.get());
                let cr = hash2(7, &pow_g(r7.get()), &pow(&qa_qb, r7.get()));
                let d7 = math::sub_mul(r7.get(), a3.get(), &cr);
                let mut w = Writer::new();
                mpis(&mut w, &[&pa, &qa, &cp2, &d5a, &d6a, &ra, &cr, &d7]);
                let Step::Expect2 { a3, .. } = std::mem::take(&mut self.step) else {
                    return Err(Error::SmpState {
                        what: "SMP message 2",
                    });
                };
                self.step = Step::Expect4 {
                    g3b: g3b.clone(),
                    pa_pb,
                    qa_qb,
                    a3,
                };
                Ok(SmpOutput {
                    reply: vec![Tlv::new(tlv::SMP3, w.finish())],
                    events: vec![SmpEvent::Progress { percent: 60 }],
                })
            }
            (
                tlv::SMP3,
                Step::Expect3 {
                    g3a,
                    g2,
                    g3,
                    b3,
                    pb,
                    qb,
                },
            ) => {
                let v = read_mpis(&t.value, 8)?;
                let [pa, qa, cp, d5, d6, ra, cr, d7] = &v[..] else {
                    return Err(Error::Malformed {
                        what: "SMP message 3",
                    });
                };
                for (e, w) in [(pa, "SMP Pa"), (qa, "SMP Qa"), (ra, "SMP Ra")] {
                    check_element(e, w)?;
                }
                for e in [cp, d5, d6, cr, d7] {
                    check_exponent(e)?;
                }
                let lhs1 = (pow(g3, d5) * pow(pa, cp)) % p;
                let lhs2 = (pow_g(d5) * pow(g2, d6) % p * pow(qa, cp)) % p;
                if &hash2(6, &lhs1, &lhs2) != cp {
                    return Err(Error::OutOfRange {
                        what: "SMP proof 6",
                    });
                }
                let qa_qb = math::div(qa, qb)?;
                let lhs1 = (pow_g(d7) * pow(g3a, cr)) % p;
                let lhs2 = (pow(&qa_qb, d7) * pow(ra, cr)) % p;
                if &hash2(7, &lhs1, &lhs2) != cr {
                    return Err(Error::OutOfRange {
                        what: "SMP proof 7",
                    });
                }
                let r7 = random_exponent(rng);
                let rb = pow(&qa_qb, b3.get());
                let cr2 = hash2(8, &pow_g(r7.get()), &pow(&qa_qb, r7.get()));
                let d7b = math::sub_mul(r7.get(), b3.get(), &cr2);
                let rab = pow(ra, b3.get());
                let ok = rab == math::div(pa, pb)?;
                let mut w = Writer::new();
                mpis(&mut w, &[&rb, &cr2, &d7b]);
                Ok(self.finish(ok, vec![Tlv::new(tlv::SMP4, w.finish())]))
            }
            (
                tlv::SMP4,
                Step::Expect4 {
                    g3b,
                    pa_pb,
                    qa_qb,
                    a3,
                },
            ) => {
                let v = read_mpis(&t.value, 3)?;
                let [rb, cr, d7] = &v[..] else {
                    return Err(Error::Malformed {
                        what: "SMP message 4",
                    });
                };
                check_element(rb, "SMP Rb")?;
                check_exponent(cr)?;
                check_exponent(d7)?;
                let lhs1 = (pow_g(d7) * pow(g3b, cr)) % p;
                let lhs2 = (pow(qa_qb, d7) * pow(rb, cr)) % p;
                if &hash2(8, &lhs1, &lhs2) != cr {
                    return Err(Error::OutOfRange {
                        what: "SMP proof 8",
                    });
                }
                let ok = &pow(rb, a3.get()) == pa_pb;
                Ok(self.finish(ok, Vec::new()))
            }
            _ => Err(Error::SmpState {
                what: "handling an SMP message",
            }),
        }
    }

    fn finish(&mut self, ok: bool, reply: Vec<Tlv>) -> SmpOutput {
        self.step = Step::Expect1;
        let (state, event) = if ok {
            (SmpState::Succeeded, SmpEvent::Succeeded)
        } else {
            (SmpState::Failed, SmpEvent::Failed)
        };
        self.state = state;
        SmpOutput {
            reply,
            events: vec![event],
        }
    }
}

/// The SMP secret: SHA-256(1 ‖ initiator fp ‖ responder fp ‖ ssid ‖ secret).
pub(crate) fn secret_hash(
    initiator: &[u8; 20],
    responder: &[u8; 20],
    ssid: &[u8; 8],
    secret: &[u8],
) -> SecretNum {
    let h = zeroize::Zeroizing::new(crate::crypto::sha256(&[
        &[1u8],
        initiator,
        responder,
        ssid,
        secret,
    ]));
    SecretNum::new(BigUint::from_bytes_be(&h[..]))
}

fn mpis(w: &mut Writer, values: &[&BigUint]) {
    w.int(values.len() as u32);
    for v in values {
        w.mpi(v);
    }
}

fn read_mpis(bytes: &[u8], count: u32) -> Result<Vec<BigUint>, Error> {
    const WHAT: &str = "an SMP message";
    let mut r = Reader::new(bytes);
    if r.int(WHAT)? != count {
        return Err(Error::Malformed { what: WHAT });
    }
    let v = (0..count)
        .map(|_| r.mpi(WHAT))
        .collect::<Result<Vec<_>, _>>()?;
    r.end(WHAT)?;
    Ok(v)
}

#[cfg(test)]
mod tests;
