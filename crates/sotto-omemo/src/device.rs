// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! Our own device: creating it, its bundles, replenishing one-time prekeys and
//! rotating the signed prekey.

use rand_core::CryptoRng;

use crate::{
    Bundle, IdentityKeyPair, Namespace, Result,
    keys::{KeyPair, PreKey, SignedPreKey},
    store::{IdentityStore, OwnDevice, PreKeyStore, SignedPreKeyStore, StoreError},
};

/// How many one-time prekeys a bundle holds.
pub const PREKEY_COUNT: usize = 100;

/// Device and prekey ids are positive 31-bit numbers.
const MAX_ID: u32 = 0x7fff_ffff;

/// A random device id in `1 ..= 2^31 - 1`.
pub fn random_device_id<R: CryptoRng + ?Sized>(rng: &mut R) -> u32 {
    (rng.next_u32() & MAX_ID).max(1)
}

/// Returns our device, creating it (identity, signed prekey 1 and
/// [`PREKEY_COUNT`] one-time prekeys) on first use.
pub fn load_or_create<S, R>(store: &mut S, now: u64, rng: &mut R) -> Result<OwnDevice>
where
    S: IdentityStore + PreKeyStore + SignedPreKeyStore + ?Sized,
    R: CryptoRng + ?Sized,
{
    if let Some(device) = store.own_device()? {
        return Ok(device);
    }
    let device = OwnDevice {
        device_id: random_device_id(rng),
        identity: IdentityKeyPair::generate(rng),
    };
    store.save_signed_prekey(&SignedPreKey::generate(1, now, rng))?;
    replenish_prekeys(store, rng)?;
    store.save_own_device(&device)?;
    Ok(device)
}

/// Fills the one-time prekeys up to [`PREKEY_COUNT`] with new ids above the
/// highest in use; returns the new ones (publish a new bundle after this).
pub fn replenish_prekeys<S, R>(store: &mut S, rng: &mut R) -> Result<Vec<PreKey>>
where
    S: PreKeyStore + ?Sized,
    R: CryptoRng + ?Sized,
{
    let existing = store.prekeys()?;
    let mut next = existing.iter().map(|p| p.id).max().unwrap_or(0);
    let mut added = Vec::new();
    for _ in existing.len()..PREKEY_COUNT {
        next = if next >= MAX_ID { 1 } else { next + 1 };
        let prekey = PreKey {
            id: next,
            key_pair: KeyPair::generate(rng),
        };
        store.save_prekey(&prekey)?;
        added.push(prekey);
    }
    Ok(added)
}

/// The current signed prekey: the one with the highest id.
pub fn current_signed_prekey<S: SignedPreKeyStore + ?Sized>(store: &S) -> Result<SignedPreKey> {
    store
        .signed_prekeys()?
        .into_iter()
        .max_by_key(|s| s.id)
        .ok_or_else(|| StoreError::msg("building our OMEMO bundle: no signed prekey").into())
}

/// Makes a new signed prekey the current one when the current one is older
/// than `period`, and removes those older than `period + grace`. Returns
/// whether the bundle changed.
pub fn rotate_signed_prekey<S, R>(
    store: &mut S,
    now: u64,
    period: u64,
    grace: u64,
    rng: &mut R,
) -> Result<bool>
where
    S: SignedPreKeyStore + ?Sized,
    R: CryptoRng + ?Sized,
{
    let current = current_signed_prekey(store)?;
    if now.saturating_sub(current.created_at) < period {
        return Ok(false);
    }
    let id = if current.id >= MAX_ID {
        1
    } else {
        current.id + 1
    };
    store.save_signed_prekey(&SignedPreKey::generate(id, now, rng))?;
    for old in store.signed_prekeys()? {
        if old.id != id && now.saturating_sub(old.created_at) > period + grace {
            store.remove_signed_prekey(old.id)?;
        }
    }
    Ok(true)
}

/// Our bundle in one namespace.
pub fn own_bundle<S>(store: &S, namespace: Namespace) -> Result<Bundle>
where
    S: IdentityStore + PreKeyStore + SignedPreKeyStore + ?Sized,
{
    let device = store
        .own_device()?
        .ok_or_else(|| StoreError::msg("building our OMEMO bundle: no device yet"))?;
    let spk = current_signed_prekey(store)?;
    Ok(Bundle::own(
        namespace,
        device.device_id,
        &device.identity,
        &spk,
        &store.prekeys()?,
    ))
}
