// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! Secret big numbers that are overwritten when dropped.

use num_bigint::BigUint;

/// Overwrites the digits of `n` with zeros, in place, and leaves it zero.
/// `num-bigint` has no `Zeroize`; writing as many zero digits as `n` holds
/// reuses its buffer (no reallocation), so the old digits are overwritten.
/// Best effort: intermediate values inside `num-bigint` are not reached.
pub(crate) fn wipe(n: &mut BigUint) {
    let digits = n.iter_u32_digits().len();
    n.assign_from_slice(&vec![0u32; digits]);
}

/// A secret exponent; wiped on drop, never printed.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct SecretNum(BigUint);

impl SecretNum {
    pub(crate) fn new(n: BigUint) -> Self {
        Self(n)
    }

    pub(crate) fn get(&self) -> &BigUint {
        &self.0
    }
}

impl Drop for SecretNum {
    fn drop(&mut self) {
        wipe(&mut self.0);
    }
}

impl std::fmt::Debug for SecretNum {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretNum(..)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use num_traits::Zero;

    #[test]
    fn wipe_leaves_zero() {
        let mut n = BigUint::from(u128::MAX) << 100u8;
        wipe(&mut n);
        assert!(n.is_zero());
    }
}
