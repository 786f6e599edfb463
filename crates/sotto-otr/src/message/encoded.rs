// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! The binary OTR messages: header, the four AKE messages and data messages.

use num_bigint::BigUint;

use crate::Error;
use crate::limits::MAX_COMMIT_GX;
use crate::wire::{Reader, Writer};

pub(crate) const TYPE_DH_COMMIT: u8 = 0x02;
pub(crate) const TYPE_DATA: u8 = 0x03;
pub(crate) const TYPE_DH_KEY: u8 = 0x0a;
pub(crate) const TYPE_REVEAL_SIG: u8 = 0x11;
pub(crate) const TYPE_SIG: u8 = 0x12;

/// Flag of data messages that the receiver should not complain about when it
/// cannot read them (heartbeats, SMP, disconnect).
pub(crate) const FLAG_IGNORE_UNREADABLE: u8 = 0x01;

/// The header of every binary OTR message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Header {
    pub(crate) version: u16,
    pub(crate) kind: u8,
    /// v3 only: sender and receiver instance tags.
    pub(crate) sender: u32,
    pub(crate) receiver: u32,
}

impl Header {
    pub(crate) fn read(r: &mut Reader<'_>) -> Result<Self, Error> {
        const WHAT: &str = "an OTR message header";
        let version = r.short(WHAT)?;
        let kind = r.byte(WHAT)?;
        let (sender, receiver) = match version {
            3 => (r.int(WHAT)?, r.int(WHAT)?),
            2 => (0, 0),
            v => return Err(Error::UnsupportedVersion(v)),
        };
        Ok(Header {
            version,
            kind,
            sender,
            receiver,
        })
    }

    pub(crate) fn write(&self, w: &mut Writer) {
        w.short(self.version).byte(self.kind);
        if self.version == 3 {
            w.int(self.sender).int(self.receiver);
        }
    }
}

/// An AKE or data message body (after the header).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Body {
    DhCommit {
        enc_gx: Vec<u8>,
        hash_gx: Vec<u8>,
    },
    DhKey {
        gy: BigUint,
    },
    RevealSig {
        r: Vec<u8>,
        enc_sig: Vec<u8>,
        mac: [u8; 20],
    },
    Sig {
        enc_sig: Vec<u8>,
        mac: [u8; 20],
    },
    Data(DataMessage),
}

/// A data message; `authenticated` is the exact byte range the MAC covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DataMessage {
    pub(crate) flags: u8,
    pub(crate) sender_keyid: u32,
    pub(crate) recipient_keyid: u32,
    pub(crate) next_dh: BigUint,
    pub(crate) ctr: [u8; 8],
    pub(crate) encrypted: Vec<u8>,
    pub(crate) mac: [u8; 20],
    pub(crate) old_mac_keys: Vec<u8>,
    pub(crate) authenticated: Vec<u8>,
}

/// Parses a whole decoded message.
pub(crate) fn parse(bytes: &[u8]) -> Result<(Header, Body), Error> {
    let mut r = Reader::new(bytes);
    let header = Header::read(&mut r)?;
    let body = match header.kind {
        TYPE_DH_COMMIT => {
            const WHAT: &str = "a D-H Commit message";
            let enc_gx = r.data(WHAT)?.to_vec();
            let hash_gx = r.data(WHAT)?.to_vec();
            // g^x is below the 1536-bit p: a longer commitment cannot be
            // honest, and is kept until the Reveal Signature arrives.
            if hash_gx.len() != 32 || enc_gx.len() > MAX_COMMIT_GX {
                return Err(Error::Malformed { what: WHAT });
            }
            r.end(WHAT)?;
            Body::DhCommit { enc_gx, hash_gx }
        }
        TYPE_DH_KEY => {
            const WHAT: &str = "a D-H Key message";
            let gy = r.mpi(WHAT)?;
            r.end(WHAT)?;
            Body::DhKey { gy }
        }
        TYPE_REVEAL_SIG => {
            const WHAT: &str = "a Reveal Signature message";
            let key = r.data(WHAT)?.to_vec();
            let enc_sig = r.data(WHAT)?.to_vec();
            let mac = r.array(WHAT)?;
            r.end(WHAT)?;
            Body::RevealSig {
                r: key,
                enc_sig,
                mac,
            }
        }
        TYPE_SIG => {
            const WHAT: &str = "a Signature message";
            let enc_sig = r.data(WHAT)?.to_vec();
            let mac = r.array(WHAT)?;
            r.end(WHAT)?;
            Body::Sig { enc_sig, mac }
        }
        TYPE_DATA => {
            const WHAT: &str = "a data message";
            let flags = r.byte(WHAT)?;
            let sender_keyid = r.int(WHAT)?;
            let recipient_keyid = r.int(WHAT)?;
            let next_dh = r.mpi(WHAT)?;
            let ctr = r.array(WHAT)?;
            let encrypted = r.data(WHAT)?.to_vec();
            let authenticated = r.consumed().to_vec();
            let mac = r.array(WHAT)?;
            let old_mac_keys = r.data(WHAT)?.to_vec();
            r.end(WHAT)?;
            Body::Data(DataMessage {
                flags,
                sender_keyid,
                recipient_keyid,
                next_dh,
                ctr,
                encrypted,
                mac,
                old_mac_keys,
                authenticated,
            })
        }
        _ => {
            return Err(Error::Malformed {
                what: "an OTR message type",
            });
        }
    };
    Ok((header, body))
}

/// Serializes an AKE message (data messages are built in `data.rs`, because
/// their MAC covers the header).
pub(crate) fn serialize_ake(header: Header, body: &Body) -> Vec<u8> {
    let mut w = Writer::new();
    header.write(&mut w);
    match body {
        Body::DhCommit { enc_gx, hash_gx } => {
            w.data(enc_gx).data(hash_gx);
        }
        Body::DhKey { gy } => {
            w.mpi(gy);
        }
        Body::RevealSig { r, enc_sig, mac } => {
            w.data(r).data(enc_sig).raw(mac);
        }
        Body::Sig { enc_sig, mac } => {
            w.data(enc_sig).raw(mac);
        }
        Body::Data(_) => {}
    }
    w.finish()
}

impl Body {
    /// The message type byte of this body.
    pub(crate) fn kind(&self) -> u8 {
        match self {
            Body::DhCommit { .. } => TYPE_DH_COMMIT,
            Body::DhKey { .. } => TYPE_DH_KEY,
            Body::RevealSig { .. } => TYPE_REVEAL_SIG,
            Body::Sig { .. } => TYPE_SIG,
            Body::Data(_) => TYPE_DATA,
        }
    }
}
