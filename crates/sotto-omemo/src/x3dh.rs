// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! X3DH (Signal's "The X3DH Key Agreement Protocol", rev. 1): the active side
//! from a bundle, the passive side from a received key exchange.

use rand_core::CryptoRng;

use crate::{
    Bundle, Error, IdentityKeyPair, Result, Session, kdf,
    keys::{KeyPair, PreKey, SignedPreKey, dh},
    wire::KeyExchange,
};

/// Starts a session with the device of `bundle` (X3DH as initiator). The
/// bundle's signature is checked and one of its prekeys chosen at random.
pub fn initiate<R: CryptoRng + ?Sized>(
    own: &IdentityKeyPair,
    bundle: &Bundle,
    rng: &mut R,
) -> Result<Session> {
    bundle.verify()?;
    if bundle.prekeys.is_empty() {
        return Err(Error::EmptyBundle {
            device_id: bundle.device_id,
        });
    }
    let count = u32::try_from(bundle.prekeys.len()).unwrap_or(u32::MAX);
    let index = (rng.next_u32() % count) as usize;
    let (pk_id, opk) = bundle.prekeys[index];
    let ns = bundle.namespace;
    let ek = KeyPair::generate(rng);
    let their_ik = bundle.identity.curve25519()?;
    let dh1 = dh(&own.curve25519_private(), &bundle.spk);
    let dh2 = ek.dh(&their_ik);
    let dh3 = ek.dh(&bundle.spk);
    let dh4 = ek.dh(&opk);
    let sk = kdf::x3dh(ns, &[&dh1, &dh2, &dh3, &dh4]);
    let kex = KeyExchange {
        pk_id,
        spk_id: bundle.spk_id,
        identity: own.public(ns),
        ek: *ek.public(),
    };
    Ok(Session::initiator(
        ns,
        own.public(ns),
        bundle.identity,
        &sk,
        &bundle.spk,
        kex,
        rng,
    ))
}

/// Builds the responder's session from a received key exchange.
pub(crate) fn respond(
    namespace: crate::Namespace,
    own: &IdentityKeyPair,
    kex: &KeyExchange,
    spk: &SignedPreKey,
    pk: &PreKey,
) -> Result<Session> {
    let their_ik = kex.identity.curve25519()?;
    let dh1 = spk.key_pair.dh(&their_ik);
    let dh2 = dh(&own.curve25519_private(), &kex.ek);
    let dh3 = spk.key_pair.dh(&kex.ek);
    let dh4 = pk.key_pair.dh(&kex.ek);
    let sk = kdf::x3dh(namespace, &[&dh1, &dh2, &dh3, &dh4]);
    Ok(Session::responder(
        namespace,
        own.public(namespace),
        kex.identity,
        &sk,
        spk.key_pair.clone(),
        kex.ek,
    ))
}
