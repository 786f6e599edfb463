// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! The authenticated key exchange (SIGMA-style, identical in v2 and v3):
//! D-H Commit, D-H Key, Reveal Signature, Signature.

use num_bigint::BigUint;
use rand_core::CryptoRng;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::crypto::{aes_ctr, ct_eq, hmac_sha256, sha256};
use crate::group::{check_element, pow, pow_g, random_dh_secret};
use crate::message::encoded::Body;
use crate::secret::SecretNum;
use crate::wire::{Reader, Writer, mpi_encoded};
use crate::{Error, PrivateKey, PublicKey};

/// Our D-H key id in the AKE (libotr starts at 1).
const AKE_KEYID: u32 = 1;

/// A D-H key pair.
#[derive(Debug, Clone)]
pub(crate) struct DhPair {
    pub(crate) secret: SecretNum,
    pub(crate) public: BigUint,
}

impl DhPair {
    pub(crate) fn generate<R: CryptoRng + ?Sized>(rng: &mut R) -> Self {
        let secret = SecretNum::new(random_dh_secret(rng));
        let public = pow_g(secret.get());
        DhPair { secret, public }
    }
}

/// What a completed AKE hands to the data phase.
#[derive(Debug)]
pub(crate) struct Established {
    pub(crate) version: u16,
    pub(crate) their_key: PublicKey,
    pub(crate) their_keyid: u32,
    pub(crate) their_dh: BigUint,
    pub(crate) our_dh: DhPair,
    pub(crate) our_keyid: u32,
    pub(crate) ssid: [u8; 8],
}

/// Keys derived from the shared secret of the AKE.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
struct AkeKeys {
    ssid: [u8; 8],
    c: [u8; 16],
    c2: [u8; 16],
    m1: [u8; 32],
    m2: [u8; 32],
    m1p: [u8; 32],
    m2p: [u8; 32],
}

impl AkeKeys {
    fn derive(s: &BigUint) -> Self {
        let secbytes = Zeroizing::new(mpi_encoded(s));
        let h2 = |b: u8| sha256(&[&[b], &secbytes]);
        let h0 = h2(0x00);
        let h1 = h2(0x01);
        let mut k = AkeKeys {
            ssid: [0; 8],
            c: [0; 16],
            c2: [0; 16],
            m1: h2(0x02),
            m2: h2(0x03),
            m1p: h2(0x04),
            m2p: h2(0x05),
        };
        k.ssid.copy_from_slice(&h0[..8]);
        k.c.copy_from_slice(&h1[..16]);
        k.c2.copy_from_slice(&h1[16..]);
        k
    }
}

impl std::fmt::Debug for AkeKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AkeKeys(..)")
    }
}

#[derive(Clone, Default)]
enum State {
    #[default]
    None,
    AwaitingDhKey {
        r: Zeroizing<[u8; 16]>,
        ours: DhPair,
        commit: Body,
        hash_gx: Vec<u8>,
    },
    AwaitingRevealSig {
        ours: DhPair,
        enc_gx: Vec<u8>,
        hash_gx: Vec<u8>,
    },
    AwaitingSig {
        ours: DhPair,
        their_gy: BigUint,
        keys: AkeKeys,
        reveal: Body,
    },
}

/// One AKE state machine (per remote instance, plus the one for commits we
/// send before knowing the peer's instance).
#[derive(Clone, Default)]
pub(crate) struct Ake {
    version: u16,
    state: State,
}

impl std::fmt::Debug for Ake {
    // The state holds the commitment key r: print only where we are.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = match self.state {
            State::None => "None",
            State::AwaitingDhKey { .. } => "AwaitingDhKey",
            State::AwaitingRevealSig { .. } => "AwaitingRevealSig",
            State::AwaitingSig { .. } => "AwaitingSig",
        };
        f.debug_struct("Ake")
            .field("version", &self.version)
            .field("state", &state)
            .finish()
    }
}

/// The result of handling an AKE message.
#[derive(Debug, Default)]
pub(crate) struct Outcome {
    pub(crate) reply: Option<Body>,
    pub(crate) established: Option<Established>,
}

impl Ake {
    /// The version of the exchange in progress (0 when idle).
    pub(crate) fn version(&self) -> u16 {
        self.version
    }

    pub(crate) fn is_awaiting_dh_key(&self) -> bool {
        matches!(self.state, State::AwaitingDhKey { .. })
    }

    pub(crate) fn is_idle(&self) -> bool {
        matches!(self.state, State::None)
    }

    /// Starts an exchange: returns our D-H Commit.
    pub(crate) fn start<R: CryptoRng + ?Sized>(&mut self, version: u16, rng: &mut R) -> Body {
        let ours = DhPair::generate(rng);
        let mut r = Zeroizing::new([0u8; 16]);
        rng.fill_bytes(&mut r[..]);
        let mut enc_gx = mpi_encoded(&ours.public);
        let hash_gx = sha256(&[&enc_gx]).to_vec();
        aes_ctr(&r, &[0; 8], &mut enc_gx);
        let commit = Body::DhCommit {
            enc_gx,
            hash_gx: hash_gx.clone(),
        };
        self.version = version;
        self.state = State::AwaitingDhKey {
            r,
            ours,
            commit: commit.clone(),
            hash_gx,
        };
        commit
    }

    /// Handles one AKE message of `version`. Messages that do not fit the
    /// current state are ignored, as the spec says.
    pub(crate) fn receive<R: CryptoRng + ?Sized>(
        &mut self,
        version: u16,
        body: Body,
        key: &PrivateKey,
        rng: &mut R,
    ) -> Result<Outcome, Error> {
        if let Body::DhCommit { enc_gx, hash_gx } = body {
            return Ok(self.on_commit(version, enc_gx, hash_gx, rng));
        }
        if version != self.version {
            return Ok(Outcome::default());
        }
        match body {
            Body::DhKey { gy } => self.on_dh_key(gy, key, rng),
            Body::RevealSig { r, enc_sig, mac } => self.on_reveal_sig(&r, &enc_sig, &mac, key, rng),
            Body::Sig { enc_sig, mac } => self.on_sig(&enc_sig, &mac),
            Body::DhCommit { .. } | Body::Data(_) => Ok(Outcome::default()),
        }
    }

    fn on_commit<R: CryptoRng + ?Sized>(
        &mut self,
        version: u16,
        enc_gx: Vec<u8>,
        hash_gx: Vec<u8>,
        rng: &mut R,
    ) -> Outcome {
        let same_version = version == self.version;
        let ours = match std::mem::take(&mut self.state) {
            State::AwaitingDhKey {
                r,
                ours,
                commit,
                hash_gx: our_hash,
            } if same_version && our_hash.as_slice() > hash_gx.as_slice() => {
                // Both sent commits: the larger hash wins and resends its own.
                self.state = State::AwaitingDhKey {
                    r,
                    ours,
                    commit: commit.clone(),
                    hash_gx: our_hash,
                };
                return Outcome {
                    reply: Some(commit),
                    established: None,
                };
            }
            State::AwaitingRevealSig { ours, .. } if same_version => ours,
            _ => DhPair::generate(rng),
        };
        let reply = Body::DhKey {
            gy: ours.public.clone(),
        };
        self.version = version;
        self.state = State::AwaitingRevealSig {
            ours,
            enc_gx,
            hash_gx,
        };
        Outcome {
            reply: Some(reply),
            established: None,
        }
    }

    fn on_dh_key<R: CryptoRng + ?Sized>(
        &mut self,
        gy: BigUint,
        key: &PrivateKey,
        rng: &mut R,
    ) -> Result<Outcome, Error> {
        match &self.state {
            State::AwaitingDhKey { ours, .. } => {
                check_element(&gy, "the peer's D-H public value")?;
                let keys = AkeKeys::derive(&pow(&gy, ours.secret.get()));
                let x_b = signed_identity(key, &keys.m1, &ours.public, &gy, rng);
                let (enc_sig, mac) = encrypt_identity(&keys.c, &keys.m2, x_b);
                let State::AwaitingDhKey { r, ours, .. } = std::mem::take(&mut self.state) else {
                    return Ok(Outcome::default());
                };
                let reveal = Body::RevealSig {
                    r: r.to_vec(),
                    enc_sig,
                    mac,
                };
                self.state = State::AwaitingSig {
                    ours,
                    their_gy: gy,
                    keys,
                    reveal: reveal.clone(),
                };
                Ok(Outcome {
                    reply: Some(reveal),
                    established: None,
                })
            }
            State::AwaitingSig {
                their_gy, reveal, ..
            } if *their_gy == gy => Ok(Outcome {
                reply: Some(reveal.clone()),
                established: None,
            }),
            _ => Ok(Outcome::default()),
        }
    }

    fn on_reveal_sig<R: CryptoRng + ?Sized>(
        &mut self,
        r: &[u8],
        enc_sig: &[u8],
        mac: &[u8; 20],
        key: &PrivateKey,
        rng: &mut R,
    ) -> Result<Outcome, Error> {
        let State::AwaitingRevealSig {
            ours,
            enc_gx,
            hash_gx,
        } = &self.state
        else {
            return Ok(Outcome::default());
        };
        let r: [u8; 16] = r.try_into().map_err(|_| Error::Malformed {
            what: "the revealed key of a Reveal Signature message",
        })?;
        let mut gx_mpi = enc_gx.clone();
        aes_ctr(&r, &[0; 8], &mut gx_mpi);
        if !ct_eq(&sha256(&[&gx_mpi]), hash_gx) {
            return Err(Error::BadMac {
                what: "the D-H commitment",
            });
        }
        let mut rd = Reader::new(&gx_mpi);
        let gx = rd.mpi("the peer's D-H public value")?;
        rd.end("the peer's D-H public value")?;
        check_element(&gx, "the peer's D-H public value")?;
        let keys = AkeKeys::derive(&pow(&gx, ours.secret.get()));
        let (their_key, their_keyid) =
            verify_identity(&keys.c, &keys.m2, &keys.m1, enc_sig, mac, &gx, &ours.public)?;
        let x_a = signed_identity(key, &keys.m1p, &ours.public, &gx, rng);
        let (enc_sig, mac) = encrypt_identity(&keys.c2, &keys.m2p, x_a);
        let State::AwaitingRevealSig { ours, .. } = std::mem::take(&mut self.state) else {
            return Ok(Outcome::default());
        };
        Ok(Outcome {
            reply: Some(Body::Sig { enc_sig, mac }),
            established: Some(Established {
                version: self.version,
                their_key,
                their_keyid,
                their_dh: gx,
                our_dh: ours,
                our_keyid: AKE_KEYID,
                ssid: keys.ssid,
            }),
        })
    }

    fn on_sig(&mut self, enc_sig: &[u8], mac: &[u8; 20]) -> Result<Outcome, Error> {
        let State::AwaitingSig {
            ours,
            their_gy,
            keys,
            ..
        } = &self.state
        else {
            return Ok(Outcome::default());
        };
        let (their_key, their_keyid) = verify_identity(
            &keys.c2,
            &keys.m2p,
            &keys.m1p,
            enc_sig,
            mac,
            their_gy,
            &ours.public,
        )?;
        let ssid = keys.ssid;
        let State::AwaitingSig { ours, their_gy, .. } = std::mem::take(&mut self.state) else {
            return Ok(Outcome::default());
        };
        Ok(Outcome {
            reply: None,
            established: Some(Established {
                version: self.version,
                their_key,
                their_keyid,
                their_dh: their_gy,
                our_dh: ours,
                our_keyid: AKE_KEYID,
                ssid,
            }),
        })
    }
}

/// X = pubkey ‖ keyid ‖ sig(MAC_m(our_dh, their_dh, pubkey, keyid)).
fn signed_identity<R: CryptoRng + ?Sized>(
    key: &PrivateKey,
    m: &[u8; 32],
    our_dh: &BigUint,
    their_dh: &BigUint,
    rng: &mut R,
) -> Vec<u8> {
    let pubkey = key.public_key().to_otr_bytes();
    let keyid = AKE_KEYID.to_be_bytes();
    let mac = hmac_sha256(
        m,
        &[
            &mpi_encoded(our_dh),
            &mpi_encoded(their_dh),
            &pubkey,
            &keyid,
        ],
    );
    let sig = key.sign(&mac, rng);
    let mut w = Writer::new();
    w.raw(&pubkey).raw(&keyid).raw(&sig);
    w.finish()
}

/// Encrypts X with `c` and MACs the encrypted DATA field with `m`.
fn encrypt_identity(c: &[u8; 16], m: &[u8; 32], mut x: Vec<u8>) -> (Vec<u8>, [u8; 20]) {
    aes_ctr(c, &[0; 8], &mut x);
    let mac = data_mac(m, &x);
    (x, mac)
}

fn data_mac(m: &[u8; 32], enc: &[u8]) -> [u8; 20] {
    let mut w = Writer::new();
    w.data(enc);
    let full = hmac_sha256(m, &[w.as_slice()]);
    let mut mac = [0u8; 20];
    mac.copy_from_slice(&full[..20]);
    mac
}

/// Checks the MAC, decrypts X and verifies the signature over
/// MAC_m(their_dh, our_dh, pubkey, keyid).
fn verify_identity(
    c: &[u8; 16],
    m_mac: &[u8; 32],
    m_sig: &[u8; 32],
    enc_sig: &[u8],
    mac: &[u8; 20],
    their_dh: &BigUint,
    our_dh: &BigUint,
) -> Result<(PublicKey, u32), Error> {
    if !ct_eq(&data_mac(m_mac, enc_sig), mac) {
        return Err(Error::BadMac {
            what: "the key exchange signature",
        });
    }
    let mut x = enc_sig.to_vec();
    aes_ctr(c, &[0; 8], &mut x);
    let mut r = Reader::new(&x);
    let start = r.position();
    let pk = PublicKey::read(&mut r)?;
    let pk_bytes = &x[start..r.position()];
    let keyid = r.int("the peer's key id")?;
    if keyid == 0 {
        return Err(Error::Malformed {
            what: "the peer's key id",
        });
    }
    let sig = r.rest();
    let expected = hmac_sha256(
        m_sig,
        &[
            &mpi_encoded(their_dh),
            &mpi_encoded(our_dh),
            pk_bytes,
            &keyid.to_be_bytes(),
        ],
    );
    pk.verify(&expected, sig)?;
    Ok((pk, keyid))
}
