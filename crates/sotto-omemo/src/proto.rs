// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! Hand-written protobuf messages of both namespaces (no build script).
//!
//! Required proto2 fields are declared `required` so that zero values are
//! still encoded, as the peers' parsers demand.

/// Legacy `SignalMessage` (after the version byte, before the 8-byte MAC).
#[derive(Clone, PartialEq, prost::Message)]
pub struct SignalMessage {
    #[prost(bytes = "vec", required, tag = "1")]
    pub ratchet_key: Vec<u8>,
    #[prost(uint32, required, tag = "2")]
    pub counter: u32,
    #[prost(uint32, required, tag = "3")]
    pub previous_counter: u32,
    #[prost(bytes = "vec", required, tag = "4")]
    pub ciphertext: Vec<u8>,
}

/// Legacy `PreKeySignalMessage` (after the version byte).
#[derive(Clone, PartialEq, prost::Message)]
pub struct PreKeySignalMessage {
    #[prost(uint32, required, tag = "1")]
    pub pre_key_id: u32,
    #[prost(bytes = "vec", required, tag = "2")]
    pub base_key: Vec<u8>,
    #[prost(bytes = "vec", required, tag = "3")]
    pub identity_key: Vec<u8>,
    /// The whole `SignalMessage`, version byte and MAC included.
    #[prost(bytes = "vec", required, tag = "4")]
    pub message: Vec<u8>,
    #[prost(uint32, optional, tag = "5")]
    pub registration_id: Option<u32>,
    #[prost(uint32, required, tag = "6")]
    pub signed_pre_key_id: u32,
}

/// OMEMO 2 `OMEMOMessage`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct OmemoMessage {
    #[prost(uint32, required, tag = "1")]
    pub n: u32,
    #[prost(uint32, required, tag = "2")]
    pub pn: u32,
    #[prost(bytes = "vec", required, tag = "3")]
    pub dh_pub: Vec<u8>,
    #[prost(bytes = "vec", optional, tag = "4")]
    pub ciphertext: Option<Vec<u8>>,
}

/// OMEMO 2 `OMEMOAuthenticatedMessage`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct OmemoAuthenticatedMessage {
    #[prost(bytes = "vec", required, tag = "1")]
    pub mac: Vec<u8>,
    /// The serialized `OMEMOMessage`.
    #[prost(bytes = "vec", required, tag = "2")]
    pub message: Vec<u8>,
}

/// OMEMO 2 `OMEMOKeyExchange`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct OmemoKeyExchange {
    #[prost(uint32, required, tag = "1")]
    pub pk_id: u32,
    #[prost(uint32, required, tag = "2")]
    pub spk_id: u32,
    #[prost(bytes = "vec", required, tag = "3")]
    pub ik: Vec<u8>,
    #[prost(bytes = "vec", required, tag = "4")]
    pub ek: Vec<u8>,
    #[prost(message, required, tag = "5")]
    pub message: OmemoAuthenticatedMessage,
}
