// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! Long-term DSA keys: generation, storage bytes, OTR public-key encoding,
//! fingerprints and the signatures of the AKE.
//!
//! DSA is written here over `num-bigint` because libotr's keys are DSA with a
//! 1024-bit p and 160-bit q, and OTR signs a 32-byte MAC, longer than q,
//! that libgcrypt takes whole, mod q (see `hash_number`); generic DSA
//! crates truncate it instead.

mod prime;

use std::fmt;

use num_bigint::BigUint;
use num_traits::Zero;
use rand_core::CryptoRng;
use sha1::{Digest, Sha1};
use zeroize::Zeroizing;

use crate::Error;
use crate::group::random_number;
use crate::secret::SecretNum;
use crate::wire::{Reader, Writer, mpi_bytes};

/// OTR public-key type of DSA.
const PUBKEY_TYPE_DSA: u16 = 0x0000;
/// Bit length of DSA p in the keys Sotto generates (libotr's: libgcrypt
/// `nbits 1024`).
const DSA_P_BITS: u64 = 1024;
/// Bit length of DSA q in the keys Sotto generates (libgcrypt's default for
/// a 1024-bit p).
const DSA_Q_BITS: u64 = 160;
/// The (p, q) sizes accepted from peers: libotr's, and the larger FIPS 186
/// sizes that Java's DSA generator gives otr4j-based clients (2048/224 is
/// its default since Java 9) and that other OTR libraries allow. Anything
/// else is refused before any arithmetic: verifying costs grow with the
/// sizes, and a 3072-bit p with a 256-bit q still costs only milliseconds.
const DSA_SIZES: [(u64, u64); 4] = [(1024, 160), (2048, 224), (2048, 256), (3072, 256)];
/// First byte of our storage format, so it can evolve.
const STORAGE_VERSION: u8 = 1;

/// A peer's (or our) long-term DSA public key.
#[derive(Clone, PartialEq, Eq)]
pub struct PublicKey {
    p: BigUint,
    q: BigUint,
    g: BigUint,
    y: BigUint,
}

impl PublicKey {
    /// The OTR encoding: type 0x0000 then MPIs p, q, g, y.
    pub fn to_otr_bytes(&self) -> Vec<u8> {
        let mut w = Writer::new();
        w.short(PUBKEY_TYPE_DSA);
        self.write_mpis(&mut w);
        w.finish()
    }

    /// Parses the OTR encoding of a DSA public key.
    pub fn from_otr_bytes(bytes: &[u8]) -> Result<Self, Error> {
        let mut r = Reader::new(bytes);
        let key = Self::read(&mut r)?;
        r.end("a DSA public key")?;
        Ok(key)
    }

    pub(crate) fn read(r: &mut Reader<'_>) -> Result<Self, Error> {
        const WHAT: &str = "a DSA public key";
        if r.short(WHAT)? != PUBKEY_TYPE_DSA {
            return Err(Error::Malformed { what: WHAT });
        }
        let key = PublicKey {
            p: r.mpi(WHAT)?,
            q: r.mpi(WHAT)?,
            g: r.mpi(WHAT)?,
            y: r.mpi(WHAT)?,
        };
        key.check()?;
        Ok(key)
    }

    /// Accepts only the standard parameter sizes ([`DSA_SIZES`]: libotr's
    /// 1024/160, what Sotto generates and every Pidgin key file holds, and
    /// the FIPS 186 sizes Java-based clients use). Checked before any
    /// arithmetic: the cost of verifying a signature grows with the size of
    /// q and p, so a key with a 2-Mbit q once cost over a minute of CPU.
    fn check(&self) -> Result<(), Error> {
        let one = BigUint::from(1u8);
        if !DSA_SIZES.contains(&(self.p.bits(), self.q.bits())) {
            return Err(Error::Key {
                what: "DSA parameters not of a standard size (1024/160, 2048/224, 2048/256, 3072/256 bits)",
            });
        }
        if self.g <= one
            || self.g >= self.p
            || self.y <= one
            || self.y >= self.p
            || !((&self.p - 1u8) % &self.q).is_zero()
        {
            return Err(Error::Key {
                what: "DSA parameters out of range",
            });
        }
        Ok(())
    }

    fn write_mpis(&self, w: &mut Writer) {
        w.mpi(&self.p).mpi(&self.q).mpi(&self.g).mpi(&self.y);
    }

    /// The OTR fingerprint: SHA-1 of the encoding without its type field.
    pub fn fingerprint(&self) -> Fingerprint {
        let mut w = Writer::new();
        self.write_mpis(&mut w);
        Fingerprint(Sha1::digest(w.as_slice()).into())
    }

    fn q_len(&self) -> usize {
        self.q.bits().div_ceil(8) as usize
    }

    /// Verifies an OTR DSA signature (r ‖ s, each as long as q) over `hash`
    /// (the whole hash, mod q, as libgcrypt does for libotr).
    pub(crate) fn verify(&self, hash: &[u8], sig: &[u8]) -> Result<(), Error> {
        let n = self.q_len();
        if sig.len() != 2 * n {
            return Err(Error::BadSignature);
        }
        let r = BigUint::from_bytes_be(&sig[..n]);
        let s = BigUint::from_bytes_be(&sig[n..]);
        if r.is_zero() || s.is_zero() || r >= self.q || s >= self.q {
            return Err(Error::BadSignature);
        }
        let h = hash_number(hash, &self.q);
        let w = s.modinv(&self.q).ok_or(Error::BadSignature)?;
        let u1 = (&h * &w) % &self.q;
        let u2 = (&r * &w) % &self.q;
        let v = (self.g.modpow(&u1, &self.p) * self.y.modpow(&u2, &self.p)) % &self.p % &self.q;
        if v == r {
            Ok(())
        } else {
            Err(Error::BadSignature)
        }
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey({})", self.fingerprint())
    }
}

/// The number DSA signs for `hash`, as libgcrypt computes it for libotr:
/// the whole hash read as an unsigned integer, reduced mod q (libotr hands
/// libgcrypt a plain MPI, which it does not truncate). Checked against
/// signatures made by libotr 4.1.1 with libgcrypt 1.10.
fn hash_number(hash: &[u8], q: &BigUint) -> BigUint {
    BigUint::from_bytes_be(hash) % q
}

/// A long-term DSA private key (with its public key).
#[derive(Clone)]
pub struct PrivateKey {
    public: PublicKey,
    x: SecretNum,
}

impl PrivateKey {
    /// Generates a new key in libotr's size: 1024-bit p, 160-bit q. Takes a
    /// second or two (prime search).
    pub fn generate<R: CryptoRng + ?Sized>(rng: &mut R) -> Self {
        let q = prime::random_prime(DSA_Q_BITS, rng);
        let p = prime::random_prime_with_factor(DSA_P_BITS, &q, rng);
        let e = (&p - 1u8) / &q;
        let mut h = BigUint::from(2u8);
        let g = loop {
            let g = h.modpow(&e, &p);
            if g > BigUint::from(1u8) {
                break g;
            }
            h += 1u8;
        };
        let x = loop {
            let x = random_number(rng, 28) % &q;
            if !x.is_zero() {
                break x;
            }
        };
        let y = g.modpow(&x, &p);
        PrivateKey {
            public: PublicKey { p, q, g, y },
            x: SecretNum::new(x),
        }
    }

    /// Builds a key from its DSA numbers (as found in libotr's key file).
    pub fn from_parts(
        p: BigUint,
        q: BigUint,
        g: BigUint,
        y: BigUint,
        x: BigUint,
    ) -> Result<Self, Error> {
        let public = PublicKey { p, q, g, y };
        public.check()?;
        let x = SecretNum::new(x);
        if x.get().is_zero()
            || x.get() >= &public.q
            || public.g.modpow(x.get(), &public.p) != public.y
        {
            return Err(Error::Key {
                what: "private part does not match the public key",
            });
        }
        Ok(PrivateKey { public, x })
    }

    /// The bytes to store (encrypted, by the caller) and later give to
    /// [`PrivateKey::from_bytes`].
    pub fn to_bytes(&self) -> Zeroizing<Vec<u8>> {
        let mut w = Writer::new();
        w.byte(STORAGE_VERSION);
        self.public.write_mpis(&mut w);
        w.data(&mpi_bytes(self.x.get()));
        Zeroizing::new(w.finish())
    }

    /// Reads bytes written by [`PrivateKey::to_bytes`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, Error> {
        const WHAT: &str = "a stored DSA private key";
        let mut r = Reader::new(bytes);
        if r.byte(WHAT)? != STORAGE_VERSION {
            return Err(Error::Key {
                what: "unknown storage version",
            });
        }
        let (p, q, g, y) = (r.mpi(WHAT)?, r.mpi(WHAT)?, r.mpi(WHAT)?, r.mpi(WHAT)?);
        let x = r.mpi(WHAT)?;
        r.end(WHAT)?;
        Self::from_parts(p, q, g, y, x)
    }

    /// The public half.
    pub fn public_key(&self) -> &PublicKey {
        &self.public
    }

    /// The fingerprint of the public half.
    pub fn fingerprint(&self) -> Fingerprint {
        self.public.fingerprint()
    }

    /// Signs `hash` (the whole hash, mod q) the way libotr does: r ‖ s.
    pub(crate) fn sign<R: CryptoRng + ?Sized>(&self, hash: &[u8], rng: &mut R) -> Vec<u8> {
        let pk = &self.public;
        let n = pk.q_len();
        let h = hash_number(hash, &pk.q);
        loop {
            let k = SecretNum::new(random_number(rng, n + 8) % &pk.q);
            if k.get().is_zero() {
                continue;
            }
            let r = pk.g.modpow(k.get(), &pk.p) % &pk.q;
            if r.is_zero() {
                continue;
            }
            let Some(kinv) = k.get().modinv(&pk.q) else {
                continue;
            };
            let kinv = SecretNum::new(kinv);
            let s = (kinv.get() * (&h + self.x.get() * &r)) % &pk.q;
            if s.is_zero() {
                continue;
            }
            let mut out = vec![0u8; 2 * n];
            let rb = r.to_bytes_be();
            let sb = s.to_bytes_be();
            out[n - rb.len()..n].copy_from_slice(&rb);
            out[2 * n - sb.len()..].copy_from_slice(&sb);
            return out;
        }
    }
}

impl fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PrivateKey({})", self.fingerprint())
    }
}

/// An OTR fingerprint: SHA-1 of a public key. `Display` gives libotr's human
/// form, five groups of eight uppercase hex digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Fingerprint(pub [u8; 20]);

impl Fingerprint {
    /// The raw 20 bytes.
    pub fn as_bytes(&self) -> &[u8; 20] {
        &self.0
    }

    /// 40 lowercase hex digits, as in `otr.fingerprints`.
    pub fn to_hex(&self) -> String {
        self.0.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// Parses 40 hex digits; spaces (as in the human form) are ignored.
    pub fn from_hex(s: &str) -> Result<Self, Error> {
        let digits: Vec<u8> = s.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
        let bad = Error::Malformed {
            what: "a fingerprint",
        };
        if digits.len() != 40 {
            return Err(bad);
        }
        let mut out = [0u8; 20];
        for (i, pair) in digits.chunks(2).enumerate() {
            let s = std::str::from_utf8(pair).map_err(|_| bad.clone())?;
            out[i] = u8::from_str_radix(s, 16).map_err(|_| bad.clone())?;
        }
        Ok(Fingerprint(out))
    }
}

impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, group) in self.0.chunks(4).enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            for b in group {
                write!(f, "{b:02X}")?;
            }
        }
        Ok(())
    }
}

impl fmt::Debug for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Fingerprint({self})")
    }
}

impl std::str::FromStr for Fingerprint {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        Fingerprint::from_hex(s)
    }
}

#[cfg(test)]
mod tests;
