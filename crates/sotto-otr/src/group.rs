// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! The 1536-bit MODP group (RFC 3526 group 5) used by OTR's Diffie-Hellman
//! and by SMP, and random numbers drawn from the caller's RNG.

use std::sync::OnceLock;

use num_bigint::BigUint;
use rand_core::CryptoRng;
use zeroize::Zeroize;

use crate::Error;

const MODULUS_HEX: &str = concat!(
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD1",
    "29024E088A67CC74020BBEA63B139B22514A08798E3404DD",
    "EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245",
    "E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED",
    "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3D",
    "C2007CB8A163BF0598DA48361C55D39A69163FA8FD24CF5F",
    "83655D23DCA3AD961C62F356208552BB9ED529077096966D",
    "670C354E4ABC9804F1746C08CA237327FFFFFFFFFFFFFFFF",
);

/// The group's constants, computed once.
#[derive(Debug)]
pub(crate) struct Group {
    /// The prime modulus p.
    pub(crate) p: BigUint,
    /// The generator g = 2.
    pub(crate) g: BigUint,
    /// The order of g: q = (p - 1) / 2.
    pub(crate) q: BigUint,
    /// p - 2, the largest valid group element.
    pub(crate) p_minus_2: BigUint,
}

/// The OTR group.
pub(crate) fn group() -> &'static Group {
    static GROUP: OnceLock<Group> = OnceLock::new();
    GROUP.get_or_init(|| {
        let p = BigUint::parse_bytes(MODULUS_HEX.as_bytes(), 16).unwrap_or_default();
        let q = (&p - 1u8) >> 1;
        let p_minus_2 = &p - 2u8;
        Group {
            p,
            g: BigUint::from(2u8),
            q,
            p_minus_2,
        }
    })
}

/// g^e mod p.
pub(crate) fn pow_g(e: &BigUint) -> BigUint {
    let grp = group();
    grp.g.modpow(e, &grp.p)
}

/// b^e mod p.
pub(crate) fn pow(b: &BigUint, e: &BigUint) -> BigUint {
    b.modpow(e, &group().p)
}

/// Rejects values outside 2 ..= p-2 (the check libotr makes on every
/// received D-H public value and SMP group element).
pub(crate) fn check_element(v: &BigUint, what: &'static str) -> Result<(), Error> {
    let two = BigUint::from(2u8);
    if v < &two || v > &group().p_minus_2 {
        return Err(Error::OutOfRange { what });
    }
    Ok(())
}

/// A random number of `bytes` bytes from the caller's RNG.
pub(crate) fn random_number<R: CryptoRng + ?Sized>(rng: &mut R, bytes: usize) -> BigUint {
    let mut buf = vec![0u8; bytes];
    rng.fill_bytes(&mut buf);
    let n = BigUint::from_bytes_be(&buf);
    buf.zeroize();
    n
}

/// A D-H private exponent: 320 random bits, as the OTR spec asks.
pub(crate) fn random_dh_secret<R: CryptoRng + ?Sized>(rng: &mut R) -> BigUint {
    random_number(rng, 40)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modulus_is_the_rfc3526_prime() {
        let grp = group();
        assert_eq!(grp.p.bits(), 1536);
        // Fermat with two bases catches a mistyped digit.
        for b in [2u8, 3] {
            let b = BigUint::from(b);
            assert_eq!(b.modpow(&(&grp.p - 1u8), &grp.p), BigUint::from(1u8));
        }
        // g has order q: g^q = 1.
        assert_eq!(pow_g(&grp.q), BigUint::from(1u8));
    }

    #[test]
    fn element_bounds() {
        assert!(check_element(&BigUint::from(1u8), "x").is_err());
        assert!(check_element(&BigUint::from(2u8), "x").is_ok());
        assert!(check_element(&(&group().p - 1u8), "x").is_err());
    }
}
