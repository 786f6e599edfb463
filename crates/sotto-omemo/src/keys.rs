// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! Key types: the identity key pair, Diffie-Hellman key pairs, prekeys and
//! their wire encodings.
//!
//! One identity serves both namespaces, as in other multi-namespace clients:
//! it is an Ed25519 seed. OMEMO 2 publishes the Ed25519 public key; legacy
//! OMEMO publishes its Curve25519 (Montgomery) form, `0x05 || u`. The X25519
//! private scalar is the clamped SHA-512 half of the seed, so Diffie-Hellman
//! with either published form agrees.

use curve25519_dalek::montgomery::MontgomeryPoint;
use ed25519_dalek::{Signer, SigningKey};
use rand_core::CryptoRng;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::{Error, Result};

/// The type byte libsignal puts before a Curve25519 public key.
pub const DJB_TYPE: u8 = 0x05;

/// Encodes a Curve25519 public key the legacy way: `0x05 || u`.
pub fn legacy_encode(public: &[u8; 32]) -> [u8; 33] {
    let mut out = [0u8; 33];
    out[0] = DJB_TYPE;
    out[1..].copy_from_slice(public);
    out
}

/// Decodes a legacy `0x05 || u` public key.
pub fn legacy_decode(bytes: &[u8], context: &'static str) -> Result<[u8; 32]> {
    match bytes {
        [DJB_TYPE, rest @ ..] => raw_key(rest, context),
        _ => Err(Error::Malformed {
            context,
            what: "legacy public key (expected 0x05 and 32 bytes)",
        }),
    }
}

/// Reads a raw 32-byte key.
pub fn raw_key(bytes: &[u8], context: &'static str) -> Result<[u8; 32]> {
    bytes.try_into().map_err(|_| Error::Malformed {
        context,
        what: "32-byte public key",
    })
}

/// Converts an Ed25519 public key to its Curve25519 form.
pub fn ed25519_to_curve25519(ed: &[u8; 32]) -> Result<[u8; 32]> {
    let point = curve25519_dalek::edwards::CompressedEdwardsY(*ed)
        .decompress()
        .ok_or(Error::Malformed {
            context: "converting an Ed25519 identity key",
            what: "Ed25519 point",
        })?;
    Ok(point.to_montgomery().to_bytes())
}

/// X25519 Diffie-Hellman.
pub(crate) fn dh(private: &[u8; 32], public: &[u8; 32]) -> Zeroizing<[u8; 32]> {
    Zeroizing::new(x25519_dalek::x25519(*private, *public))
}

fn random_bytes<const N: usize, R: CryptoRng + ?Sized>(rng: &mut R) -> Zeroizing<[u8; N]> {
    let mut bytes = Zeroizing::new([0u8; N]);
    rng.fill_bytes(bytes.as_mut());
    bytes
}

/// Our long-term identity: an Ed25519 seed, used in both namespaces.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct IdentityKeyPair {
    seed: [u8; 32],
}

impl IdentityKeyPair {
    /// Generates a new identity.
    pub fn generate<R: CryptoRng + ?Sized>(rng: &mut R) -> Self {
        Self {
            seed: *random_bytes::<32, R>(rng),
        }
    }

    /// Restores an identity from its stored seed.
    pub fn from_seed(seed: [u8; 32]) -> Self {
        Self { seed }
    }

    /// The seed, for storage. Handle as a secret.
    pub fn seed(&self) -> &[u8; 32] {
        &self.seed
    }

    fn signing_key(&self) -> SigningKey {
        SigningKey::from_bytes(&self.seed)
    }

    /// The Ed25519 public key (published in OMEMO 2 bundles).
    pub fn ed25519_public(&self) -> [u8; 32] {
        self.signing_key().verifying_key().to_bytes()
    }

    /// The Curve25519 public key (published in legacy bundles, after `0x05`).
    pub fn curve25519_public(&self) -> [u8; 32] {
        self.signing_key()
            .verifying_key()
            .to_montgomery()
            .to_bytes()
    }

    /// The X25519 private scalar matching [`Self::curve25519_public`].
    pub(crate) fn curve25519_private(&self) -> Zeroizing<[u8; 32]> {
        Zeroizing::new(self.signing_key().to_scalar_bytes())
    }

    /// A plain Ed25519 signature (OMEMO 2 signed prekeys).
    pub fn sign_ed25519(&self, message: &[u8]) -> [u8; 64] {
        self.signing_key().sign(message).to_bytes()
    }

    /// A signature that verifies against the Curve25519 public key with the
    /// libsignal rule: the Ed25519 sign bit travels in the top bit of byte 63.
    pub fn sign_legacy(&self, message: &[u8]) -> [u8; 64] {
        let mut sig = self.sign_ed25519(message);
        let sign_bit = self.ed25519_public()[31] & 0x80;
        sig[63] = (sig[63] & 0x7f) | sign_bit;
        sig
    }

    /// The public identity in the form a namespace uses on the wire.
    pub fn public(&self, namespace: crate::Namespace) -> IdentityKey {
        match namespace {
            crate::Namespace::Legacy => IdentityKey::Curve25519(self.curve25519_public()),
            crate::Namespace::Omemo2 => IdentityKey::Ed25519(self.ed25519_public()),
        }
    }
}

impl std::fmt::Debug for IdentityKeyPair {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let fp = crate::trust::Fingerprint::of_curve25519(&self.curve25519_public());
        write!(f, "IdentityKeyPair({}…)", fp.prefix())
    }
}

/// A public identity key as a namespace carries it.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum IdentityKey {
    /// Legacy: the Curve25519 form (the Ed25519 sign is not known).
    Curve25519([u8; 32]),
    /// OMEMO 2: the Ed25519 key.
    Ed25519([u8; 32]),
}

impl IdentityKey {
    /// The Curve25519 form, from which fingerprints are made.
    pub fn curve25519(&self) -> Result<[u8; 32]> {
        match self {
            Self::Curve25519(k) => Ok(*k),
            Self::Ed25519(k) => ed25519_to_curve25519(k),
        }
    }

    /// The bytes that go into associated data and onto the wire:
    /// `0x05 || u` (legacy) or the raw Ed25519 key (OMEMO 2).
    pub fn encode(&self) -> Vec<u8> {
        match self {
            Self::Curve25519(k) => legacy_encode(k).to_vec(),
            Self::Ed25519(k) => k.to_vec(),
        }
    }

    /// The raw 32 bytes, whichever form.
    pub fn bytes(&self) -> &[u8; 32] {
        match self {
            Self::Curve25519(k) | Self::Ed25519(k) => k,
        }
    }

    /// The fingerprint (of the Curve25519 form, as both namespaces show it).
    pub fn fingerprint(&self) -> Result<crate::trust::Fingerprint> {
        Ok(crate::trust::Fingerprint::of_curve25519(
            &self.curve25519()?,
        ))
    }
}

/// An X25519 key pair (ratchet keys, ephemeral keys, prekeys).
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct KeyPair {
    private: [u8; 32],
    #[zeroize(skip)]
    public: [u8; 32],
}

impl KeyPair {
    /// Generates a key pair.
    pub fn generate<R: CryptoRng + ?Sized>(rng: &mut R) -> Self {
        Self::from_private(*random_bytes::<32, R>(rng))
    }

    /// Restores a key pair from its private key.
    pub fn from_private(private: [u8; 32]) -> Self {
        let public = MontgomeryPoint::mul_base_clamped(private).to_bytes();
        Self { private, public }
    }

    /// The public key.
    pub fn public(&self) -> &[u8; 32] {
        &self.public
    }

    /// The private key, for storage. Handle as a secret.
    pub fn private(&self) -> &[u8; 32] {
        &self.private
    }

    pub(crate) fn dh(&self, public: &[u8; 32]) -> Zeroizing<[u8; 32]> {
        dh(&self.private, public)
    }
}

impl std::fmt::Debug for KeyPair {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "KeyPair(public {:02x}{:02x}…)",
            self.public[0], self.public[1]
        )
    }
}

/// A one-time prekey.
#[derive(Clone, Debug)]
pub struct PreKey {
    /// Its id in the bundle.
    pub id: u32,
    /// The key pair.
    pub key_pair: KeyPair,
}

/// A signed prekey. Its signatures are computed from the identity when a
/// bundle is built (Ed25519 signing is deterministic).
#[derive(Clone, Debug)]
pub struct SignedPreKey {
    /// Its id in the bundle.
    pub id: u32,
    /// The key pair.
    pub key_pair: KeyPair,
    /// When it was made (Unix seconds), for rotation.
    pub created_at: u64,
}

impl SignedPreKey {
    /// Generates a signed prekey.
    pub fn generate<R: CryptoRng + ?Sized>(id: u32, created_at: u64, rng: &mut R) -> Self {
        Self {
            id,
            key_pair: KeyPair::generate(rng),
            created_at,
        }
    }
}
