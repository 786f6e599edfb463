// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! Bundles: the public keys a device publishes so others can start sessions,
//! in the values and encodings of each namespace (the XML is the XMPP layer's).

use crate::{
    Error, IdentityKey, IdentityKeyPair, Namespace, Result,
    keys::{PreKey, SignedPreKey, legacy_decode, legacy_encode, raw_key},
    xeddsa,
};

/// A device's bundle.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bundle {
    /// The namespace it was published in.
    pub namespace: Namespace,
    /// The device id.
    pub device_id: u32,
    /// The identity key (Curve25519 in legacy, Ed25519 in OMEMO 2).
    pub identity: IdentityKey,
    /// The signed prekey id.
    pub spk_id: u32,
    /// The signed prekey.
    pub spk: [u8; 32],
    /// Its signature (XEdDSA-style in legacy, Ed25519 in OMEMO 2).
    pub spk_signature: [u8; 64],
    /// The one-time prekeys: id and public key.
    pub prekeys: Vec<(u32, [u8; 32])>,
}

impl Bundle {
    /// Builds our own bundle.
    pub fn own(
        namespace: Namespace,
        device_id: u32,
        identity: &IdentityKeyPair,
        spk: &SignedPreKey,
        prekeys: &[PreKey],
    ) -> Self {
        let spk_public = *spk.key_pair.public();
        let spk_signature = match namespace {
            Namespace::Legacy => identity.sign_legacy(&legacy_encode(&spk_public)),
            Namespace::Omemo2 => identity.sign_ed25519(&spk_public),
        };
        Self {
            namespace,
            device_id,
            identity: identity.public(namespace),
            spk_id: spk.id,
            spk: spk_public,
            spk_signature,
            prekeys: prekeys
                .iter()
                .map(|p| (p.id, *p.key_pair.public()))
                .collect(),
        }
    }

    /// Reads a bundle from its wire values (as found base64-decoded in the XML).
    /// Keys are `0x05 || u` in legacy and raw in OMEMO 2.
    pub fn from_wire(
        namespace: Namespace,
        device_id: u32,
        identity: &[u8],
        spk_id: u32,
        spk: &[u8],
        spk_signature: &[u8],
        prekeys: &[(u32, Vec<u8>)],
    ) -> Result<Self> {
        let ctx = "reading an OMEMO bundle";
        let key = |b: &[u8]| match namespace {
            Namespace::Legacy => legacy_decode(b, ctx),
            Namespace::Omemo2 => raw_key(b, ctx),
        };
        let identity = match namespace {
            Namespace::Legacy => IdentityKey::Curve25519(key(identity)?),
            Namespace::Omemo2 => IdentityKey::Ed25519(key(identity)?),
        };
        let bundle = Self {
            namespace,
            device_id,
            identity,
            spk_id,
            spk: key(spk)?,
            spk_signature: spk_signature.try_into().map_err(|_| Error::Malformed {
                context: ctx,
                what: "signature",
            })?,
            prekeys: prekeys
                .iter()
                .map(|(id, k)| Ok((*id, key(k)?)))
                .collect::<Result<_>>()?,
        };
        bundle.verify()?;
        Ok(bundle)
    }

    /// Checks the signed prekey signature.
    pub fn verify(&self) -> Result<()> {
        let ok = match self.identity {
            IdentityKey::Curve25519(ik) => {
                xeddsa::verify(&ik, &legacy_encode(&self.spk), &self.spk_signature)
            }
            IdentityKey::Ed25519(ik) => xeddsa::verify_ed25519(&ik, &self.spk, &self.spk_signature),
        };
        if ok {
            Ok(())
        } else {
            Err(Error::BadBundleSignature {
                device_id: self.device_id,
            })
        }
    }

    /// A key as it goes on the wire in this bundle's namespace.
    pub fn encode_key(&self, key: &[u8; 32]) -> Vec<u8> {
        match self.namespace {
            Namespace::Legacy => legacy_encode(key).to_vec(),
            Namespace::Omemo2 => key.to_vec(),
        }
    }

    /// The identity key's wire bytes (`<identityKey>` / `<ik>`).
    pub fn identity_wire(&self) -> Vec<u8> {
        self.identity.encode()
    }

    /// The signed prekey's wire bytes (`<signedPreKeyPublic>` / `<spk>`).
    pub fn spk_wire(&self) -> Vec<u8> {
        self.encode_key(&self.spk)
    }

    /// The one-time prekeys' wire bytes.
    pub fn prekeys_wire(&self) -> Vec<(u32, Vec<u8>)> {
        self.prekeys
            .iter()
            .map(|(id, k)| (*id, self.encode_key(k)))
            .collect()
    }
}
