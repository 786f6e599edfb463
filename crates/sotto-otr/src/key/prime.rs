// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! Probable-prime search for DSA domain parameters (Miller-Rabin with random
//! bases from the caller's RNG, after trial division).

use num_bigint::BigUint;
use num_traits::{One, Zero};
use rand_core::CryptoRng;

use crate::group::random_number;

const SMALL_PRIMES: [u32; 54] = [
    3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67, 71, 73, 79, 83, 89, 97,
    101, 103, 107, 109, 113, 127, 131, 137, 139, 149, 151, 157, 163, 167, 173, 179, 181, 191, 193,
    197, 199, 211, 223, 227, 229, 233, 239, 241, 251, 257,
];

/// Miller-Rabin with `rounds` random bases.
pub(crate) fn is_probable_prime<R: CryptoRng + ?Sized>(
    n: &BigUint,
    rounds: usize,
    rng: &mut R,
) -> bool {
    let two = BigUint::from(2u8);
    if n < &two {
        return false;
    }
    for &sp in &SMALL_PRIMES {
        let sp = BigUint::from(sp);
        if n == &sp {
            return true;
        }
        if (n % &sp).is_zero() {
            return false;
        }
    }
    if (n % 2u8).is_zero() {
        return false;
    }
    let n_minus_1 = n - 1u8;
    let s = n_minus_1.trailing_zeros().unwrap_or(0);
    let d = &n_minus_1 >> s;
    let bytes = n.bits().div_ceil(8) as usize;
    'witness: for _ in 0..rounds {
        // A base in 2 ..= n-2.
        let a = random_number(rng, bytes + 8) % (n - 3u8) + 2u8;
        let mut x = a.modpow(&d, n);
        if x.is_one() || x == n_minus_1 {
            continue;
        }
        for _ in 1..s {
            x = x.modpow(&two, n);
            if x == n_minus_1 {
                continue 'witness;
            }
        }
        return false;
    }
    true
}

/// A random probable prime of exactly `bits` bits.
pub(crate) fn random_prime<R: CryptoRng + ?Sized>(bits: u64, rng: &mut R) -> BigUint {
    loop {
        let mut c = random_number(rng, bits.div_ceil(8) as usize);
        c %= BigUint::one() << bits;
        c.set_bit(bits - 1, true);
        c.set_bit(0, true);
        if is_probable_prime(&c, 40, rng) {
            return c;
        }
    }
}

/// A probable prime p of exactly `bits` bits with q dividing p - 1.
pub(crate) fn random_prime_with_factor<R: CryptoRng + ?Sized>(
    bits: u64,
    q: &BigUint,
    rng: &mut R,
) -> BigUint {
    let two_q = q << 1u8;
    loop {
        let mut x = random_number(rng, bits.div_ceil(8) as usize);
        x %= BigUint::one() << bits;
        x.set_bit(bits - 1, true);
        let p = &x - (&x % &two_q) + 1u8;
        if p.bits() == bits && is_probable_prime(&p, 30, rng) {
            return p;
        }
    }
}
