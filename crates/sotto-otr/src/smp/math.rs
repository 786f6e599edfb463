// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! SMP arithmetic: hashes, zero-knowledge proofs, modular helpers.

use num_bigint::BigUint;
use num_traits::Zero;
use rand_core::CryptoRng;

use crate::Error;
use crate::crypto::sha256;
use crate::group::{group, pow, pow_g, random_number};
use crate::secret::SecretNum;
use crate::wire::mpi_encoded;

/// A random 1536-bit exponent, as libotr draws them.
pub(super) fn random_exponent<R: CryptoRng + ?Sized>(rng: &mut R) -> SecretNum {
    SecretNum::new(random_number(rng, 192))
}

/// SHA-256(version ‖ MPI(a)) as a number.
pub(super) fn hash1(version: u8, a: &BigUint) -> BigUint {
    BigUint::from_bytes_be(&sha256(&[&[version], &mpi_encoded(a)]))
}

/// SHA-256(version ‖ MPI(a) ‖ MPI(b)) as a number.
pub(super) fn hash2(version: u8, a: &BigUint, b: &BigUint) -> BigUint {
    BigUint::from_bytes_be(&sha256(&[&[version], &mpi_encoded(a), &mpi_encoded(b)]))
}

/// (r - a·c) mod q.
pub(super) fn sub_mul(r: &BigUint, a: &BigUint, c: &BigUint) -> BigUint {
    let q = &group().q;
    let ac = (a * c) % q;
    ((r % q) + q - ac) % q
}

/// A proof of knowledge of `a` in g^a: c = h(v, g^r), D = r - a·c.
pub(super) fn proof_d<R: CryptoRng + ?Sized>(
    version: u8,
    a: &SecretNum,
    rng: &mut R,
) -> (BigUint, BigUint) {
    let r = random_exponent(rng);
    let c = hash1(version, &pow_g(r.get()));
    let d = sub_mul(r.get(), a.get(), &c);
    (c, d)
}

/// Checks c = h(v, g^D · X^c).
pub(super) fn check_proof(version: u8, c: &BigUint, d: &BigUint, x: &BigUint) -> Result<(), Error> {
    let p = &group().p;
    let v = (pow_g(d) * pow(x, c)) % p;
    if &hash1(version, &v) == c {
        Ok(())
    } else {
        Err(Error::OutOfRange {
            what: "an SMP proof of knowledge",
        })
    }
}

/// Exponents from the peer (proof responses D and challenges c) must be in
/// 1 .. q. libotr checks only the D values; a challenge is a SHA-256 output,
/// so no honest one is near q, and an unchecked one sets the length of an
/// exponentiation (a 64 KiB c once cost about a second per SMP message).
pub(super) fn check_exponent(d: &BigUint) -> Result<(), Error> {
    if d.is_zero() || d >= &group().q {
        return Err(Error::OutOfRange {
            what: "an SMP exponent",
        });
    }
    Ok(())
}

/// a / b mod p.
pub(super) fn div(a: &BigUint, b: &BigUint) -> Result<BigUint, Error> {
    let p = &group().p;
    let inv = b.modinv(p).ok_or(Error::OutOfRange {
        what: "an SMP group element",
    })?;
    Ok((a * inv) % p)
}
