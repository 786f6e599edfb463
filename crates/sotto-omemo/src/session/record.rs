// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! The session's storage encoding: a versioned protobuf record, so that any
//! store (in memory, SQLCipher) keeps sessions as opaque bytes.

use prost::Message as _;
use zeroize::Zeroizing;

use super::{Chain, Session, SkippedKey};
use crate::{Error, IdentityKey, Namespace, Result, keys::KeyPair, wire::KeyExchange};

const RECORD_VERSION: u32 = 1;

#[derive(Clone, PartialEq, prost::Message)]
struct IdentityRecord {
    #[prost(bool, tag = "1")]
    ed25519: bool,
    #[prost(bytes = "vec", tag = "2")]
    key: Vec<u8>,
}

#[derive(Clone, PartialEq, prost::Message)]
struct ChainRecord {
    #[prost(bytes = "vec", tag = "1")]
    key: Vec<u8>,
    #[prost(uint32, tag = "2")]
    n: u32,
}

#[derive(Clone, PartialEq, prost::Message)]
struct SkippedRecord {
    #[prost(bytes = "vec", tag = "1")]
    dh: Vec<u8>,
    #[prost(uint32, tag = "2")]
    n: u32,
    #[prost(bytes = "vec", tag = "3")]
    mk: Vec<u8>,
    #[prost(uint64, tag = "4")]
    stored_at: u64,
}

#[derive(Clone, PartialEq, prost::Message)]
struct PendingRecord {
    #[prost(uint32, tag = "1")]
    pk_id: u32,
    #[prost(uint32, tag = "2")]
    spk_id: u32,
    #[prost(message, optional, tag = "3")]
    identity: Option<IdentityRecord>,
    #[prost(bytes = "vec", tag = "4")]
    ek: Vec<u8>,
}

#[derive(Clone, PartialEq, prost::Message)]
struct SessionRecord {
    #[prost(uint32, tag = "1")]
    version: u32,
    #[prost(bool, tag = "2")]
    omemo2: bool,
    #[prost(message, optional, tag = "3")]
    own_identity: Option<IdentityRecord>,
    #[prost(message, optional, tag = "4")]
    remote_identity: Option<IdentityRecord>,
    #[prost(bool, tag = "5")]
    initiator: bool,
    #[prost(bytes = "vec", tag = "6")]
    root: Vec<u8>,
    #[prost(bytes = "vec", tag = "7")]
    dhs_private: Vec<u8>,
    #[prost(bytes = "vec", optional, tag = "8")]
    dhr: Option<Vec<u8>>,
    #[prost(message, optional, tag = "9")]
    send: Option<ChainRecord>,
    #[prost(message, optional, tag = "10")]
    recv: Option<ChainRecord>,
    #[prost(uint32, tag = "11")]
    pn: u32,
    #[prost(message, repeated, tag = "12")]
    skipped: Vec<SkippedRecord>,
    #[prost(bytes = "vec", repeated, tag = "13")]
    previous_remote: Vec<Vec<u8>>,
    #[prost(message, optional, tag = "14")]
    pending: Option<PendingRecord>,
    #[prost(bytes = "vec", tag = "15")]
    base_key: Vec<u8>,
    #[prost(bool, tag = "16")]
    received_any: bool,
}

impl Drop for SessionRecord {
    fn drop(&mut self) {
        use zeroize::Zeroize;
        self.root.zeroize();
        self.dhs_private.zeroize();
        for k in &mut self.skipped {
            k.mk.zeroize();
        }
        for c in self.send.iter_mut().chain(self.recv.iter_mut()) {
            c.key.zeroize();
        }
    }
}

fn identity_record(k: &IdentityKey) -> IdentityRecord {
    IdentityRecord {
        ed25519: matches!(k, IdentityKey::Ed25519(_)),
        key: k.bytes().to_vec(),
    }
}

fn bad(what: &'static str) -> Error {
    Error::Malformed {
        context: "loading a stored OMEMO session",
        what,
    }
}

fn b32(v: &[u8], what: &'static str) -> Result<[u8; 32]> {
    v.try_into().map_err(|_| bad(what))
}

fn identity(r: Option<&IdentityRecord>) -> Result<IdentityKey> {
    let r = r.ok_or(bad("identity key"))?;
    let key = b32(&r.key, "identity key")?;
    Ok(if r.ed25519 {
        IdentityKey::Ed25519(key)
    } else {
        IdentityKey::Curve25519(key)
    })
}

fn chain(r: Option<&ChainRecord>) -> Result<Option<Chain>> {
    r.map(|c| {
        Ok(Chain {
            key: b32(&c.key, "chain key")?,
            n: c.n,
        })
    })
    .transpose()
}

impl Session {
    /// Encodes the session for storage. The bytes are secret.
    pub fn to_bytes(&self) -> Zeroizing<Vec<u8>> {
        let record = SessionRecord {
            version: RECORD_VERSION,
            omemo2: self.namespace == Namespace::Omemo2,
            own_identity: Some(identity_record(&self.own_identity)),
            remote_identity: Some(identity_record(&self.remote_identity)),
            initiator: self.initiator,
            root: self.root.to_vec(),
            dhs_private: self.dhs.private().to_vec(),
            dhr: self.dhr.map(|k| k.to_vec()),
            send: self.send.as_ref().map(|c| ChainRecord {
                key: c.key.to_vec(),
                n: c.n,
            }),
            recv: self.recv.as_ref().map(|c| ChainRecord {
                key: c.key.to_vec(),
                n: c.n,
            }),
            pn: self.pn,
            skipped: self
                .skipped
                .iter()
                .map(|k| SkippedRecord {
                    dh: k.dh.to_vec(),
                    n: k.n,
                    mk: k.mk.to_vec(),
                    stored_at: k.stored_at,
                })
                .collect(),
            previous_remote: self.previous_remote.iter().map(|k| k.to_vec()).collect(),
            pending: self.pending.as_ref().map(|p| PendingRecord {
                pk_id: p.pk_id,
                spk_id: p.spk_id,
                identity: Some(identity_record(&p.identity)),
                ek: p.ek.to_vec(),
            }),
            base_key: self.base_key.to_vec(),
            received_any: self.received_any,
        };
        Zeroizing::new(record.encode_to_vec())
    }

    /// Decodes a stored session.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        let r = SessionRecord::decode(bytes).map_err(|_| bad("record"))?;
        if r.version != RECORD_VERSION {
            return Err(bad("record version"));
        }
        Ok(Self {
            namespace: if r.omemo2 {
                Namespace::Omemo2
            } else {
                Namespace::Legacy
            },
            own_identity: identity(r.own_identity.as_ref())?,
            remote_identity: identity(r.remote_identity.as_ref())?,
            initiator: r.initiator,
            root: b32(&r.root, "root key")?,
            dhs: KeyPair::from_private(b32(&r.dhs_private, "ratchet key")?),
            dhr: r
                .dhr
                .as_deref()
                .map(|k| b32(k, "ratchet key"))
                .transpose()?,
            send: chain(r.send.as_ref())?,
            recv: chain(r.recv.as_ref())?,
            pn: r.pn,
            skipped: r
                .skipped
                .iter()
                .map(|k| {
                    Ok(SkippedKey {
                        dh: b32(&k.dh, "skipped key")?,
                        n: k.n,
                        mk: b32(&k.mk, "skipped key")?,
                        stored_at: k.stored_at,
                    })
                })
                .collect::<Result<_>>()?,
            previous_remote: r
                .previous_remote
                .iter()
                .map(|k| b32(k, "ratchet key"))
                .collect::<Result<_>>()?,
            pending: r
                .pending
                .as_ref()
                .map(|p| {
                    Ok::<_, Error>(KeyExchange {
                        pk_id: p.pk_id,
                        spk_id: p.spk_id,
                        identity: identity(p.identity.as_ref())?,
                        ek: b32(&p.ek, "base key")?,
                    })
                })
                .transpose()?,
            base_key: b32(&r.base_key, "base key")?,
            received_any: r.received_any,
        })
    }
}
