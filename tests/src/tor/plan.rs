// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! Which routers the network has, on which ports, and their keys.

use anyhow::Context as _;

use super::config::Kind;
use super::{AUTHORITIES, AuthorityInfo, ONION_ROUTERS, RelayInfo, TorOptions, keys};
use crate::{TestDir, free_port};

/// A router planned before anything runs.
pub(super) struct Plan {
    pub nickname: String,
    pub kind: Kind,
    pub or_port: u16,
    pub dir_port: u16,
}

/// Names, kinds and distinct free ports of every router.
pub(super) fn plan(options: TorOptions) -> Vec<Plan> {
    let relays = if options.onion_ready {
        options.relays.max(ONION_ROUTERS - AUTHORITIES)
    } else {
        options.relays
    };
    let exits = if relays >= 2 {
        relays.div_ceil(2).max(2)
    } else {
        relays
    };
    let mut used = Vec::new();
    let mut port = || loop {
        let p = free_port();
        if !used.contains(&p) {
            used.push(p);
            return p;
        }
    };
    let mut plans = Vec::new();
    for i in 0..AUTHORITIES + relays {
        let (nickname, kind) = if i < AUTHORITIES {
            (format!("auth{i}"), Kind::Authority)
        } else if i < AUTHORITIES + exits {
            (format!("exit{}", i - AUTHORITIES), Kind::Exit)
        } else {
            (format!("relay{}", i - AUTHORITIES - exits), Kind::Relay)
        };
        plans.push(Plan {
            nickname,
            kind,
            or_port: port(),
            dir_port: port(),
        });
    }
    plans
}

/// Runs tor-gencert for the authorities and `tor --list-fingerprint` for
/// every router, all in parallel.
pub(super) fn generate_keys(
    dir: &TestDir,
    plans: &[Plan],
) -> anyhow::Result<(Vec<AuthorityInfo>, Vec<RelayInfo>)> {
    let mut gencerts = Vec::new();
    for plan in plans.iter().filter(|p| p.kind == Kind::Authority) {
        gencerts.push(keys::spawn_gencert(
            &dir.join(&plan.nickname),
            plan.dir_port,
        )?);
    }
    let mut identities = Vec::new();
    for plan in plans {
        identities.push(keys::spawn_identity(
            &dir.join(&plan.nickname),
            &plan.nickname,
            plan.or_port,
        )?);
    }
    let mut v3idents = Vec::new();
    for (child, plan) in gencerts.into_iter().zip(plans) {
        v3idents.push(
            keys::finish_gencert(child, &dir.join(&plan.nickname))
                .with_context(|| format!("creating {}'s authority keys", plan.nickname))?,
        );
    }
    let mut relays = Vec::new();
    for (child, plan) in identities.into_iter().zip(plans) {
        let (rsa, ed) = keys::finish_identity(child, &dir.join(&plan.nickname))
            .with_context(|| format!("creating {}'s identity keys", plan.nickname))?;
        relays.push(RelayInfo {
            nickname: plan.nickname.clone(),
            rsa_fingerprint: rsa,
            ed25519_identity: ed,
            or_port: plan.or_port,
            dir_port: plan.dir_port,
            is_authority: plan.kind == Kind::Authority,
            is_exit: plan.kind == Kind::Exit,
        });
    }
    let authorities = relays
        .iter()
        .zip(v3idents)
        .map(|(r, v3ident)| AuthorityInfo {
            nickname: r.nickname.clone(),
            v3ident,
            rsa_fingerprint: r.rsa_fingerprint.clone(),
            ed25519_identity: Some(r.ed25519_identity.clone()),
            or_port: r.or_port,
            dir_port: r.dir_port,
        })
        .collect();
    Ok((authorities, relays))
}
