// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! Arti configuration: the profile's directories, and optionally a private
//! network (its authorities and fallback caches; both are needed when the
//! authorities change).

use std::net::SocketAddr;

use arti_client::config::TorClientConfigBuilder;
use arti_client::config::dir::FallbackDir;
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use tor_llcrypto::pk::ed25519::Ed25519Identity;
use tor_llcrypto::pk::rsa::RsaIdentity;

use crate::{TorConfig, TorError};

/// A directory authority of a private network.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomAuthority {
    /// v3 identity (hex), as in tor's `DirAuthority … v3ident=`.
    pub v3ident: String,
    /// Its directory address.
    pub dir_addr: SocketAddr,
}

/// A fallback directory cache of a private network.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomFallback {
    /// RSA identity fingerprint (hex).
    pub rsa_identity: String,
    /// Ed25519 identity (base64, padded or not).
    pub ed_identity: String,
    /// OR ports.
    pub orports: Vec<SocketAddr>,
}

/// A private Tor network (for tests on loopback).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomNetwork {
    /// Directory authorities.
    pub authorities: Vec<CustomAuthority>,
    /// Fallback caches.
    pub fallbacks: Vec<CustomFallback>,
    /// Relays on one host (all on 127.0.0.1): disable the same-/16 path rule
    /// and allow connections to local addresses.
    #[serde(default)]
    pub loopback: bool,
}

fn bad(what: &str, detail: impl std::fmt::Display) -> TorError {
    TorError::Config(format!("{what}: {detail}"))
}

pub(crate) fn build(config: &TorConfig) -> Result<arti_client::TorClientConfig, TorError> {
    let mut builder =
        TorClientConfigBuilder::from_directories(&config.state_dir, &config.cache_dir);
    if let Some(network) = &config.network {
        apply_network(&mut builder, network)?;
    }
    builder
        .build()
        .map_err(|e| bad("building the Arti configuration", e))
}

fn apply_network(
    builder: &mut TorClientConfigBuilder,
    network: &CustomNetwork,
) -> Result<(), TorError> {
    if network.authorities.is_empty() || network.fallbacks.is_empty() {
        return Err(bad(
            "custom network",
            "needs at least one authority and one fallback cache",
        ));
    }
    let authorities = builder.tor_network().authorities();
    let mut v3idents = Vec::new();
    let mut addrs = Vec::new();
    for authority in &network.authorities {
        v3idents.push(
            RsaIdentity::from_hex(&authority.v3ident)
                .ok_or_else(|| bad("authority v3ident", &authority.v3ident))?,
        );
        addrs.push(vec![authority.dir_addr]);
    }
    authorities.v3idents().extend(v3idents);
    authorities.uploads().extend(addrs.clone());
    authorities.downloads().extend(addrs.clone());
    authorities.votes().extend(addrs);
    let mut fallbacks = Vec::new();
    for fallback in &network.fallbacks {
        let rsa = RsaIdentity::from_hex(&fallback.rsa_identity)
            .ok_or_else(|| bad("fallback RSA identity", &fallback.rsa_identity))?;
        let ed_bytes = base64::engine::general_purpose::STANDARD_NO_PAD
            .decode(fallback.ed_identity.trim_end_matches('='))
            .map_err(|e| bad("fallback Ed25519 identity", e))?;
        let ed = Ed25519Identity::from_bytes(&ed_bytes)
            .ok_or_else(|| bad("fallback Ed25519 identity", "not 32 bytes"))?;
        let mut fb = FallbackDir::builder();
        fb.rsa_identity(rsa).ed_identity(ed);
        fb.orports().extend(fallback.orports.iter().copied());
        fallbacks.push(fb);
    }
    builder.tor_network().set_fallback_caches(fallbacks);
    if network.loopback {
        builder.path_rules().ipv4_subnet_family_prefix(33);
        builder.address_filter().allow_local_addrs(true);
    }
    Ok(())
}
