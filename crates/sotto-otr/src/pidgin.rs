// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! Import of Pidgin/libotr files: `otr.private_key` (a libgcrypt
//! S-expression) and `otr.fingerprints` (tab-separated lines).

mod sexp;

use num_bigint::BigUint;

use crate::{Error, Fingerprint, PrivateKey, Trust};
use sexp::Sexp;

/// One account's key from `otr.private_key`.
#[derive(Debug, Clone)]
pub struct ImportedKey {
    /// The account name as libotr stores it (for XMPP possibly with a
    /// resource: `alice@example.org/Home`).
    pub account: String,
    /// libotr's protocol id, e.g. `prpl-jabber`.
    pub protocol: String,
    /// The key.
    pub key: PrivateKey,
}

impl ImportedKey {
    /// The account name without a resource (`alice@example.org`).
    pub fn bare_account(&self) -> &str {
        self.account.split('/').next().unwrap_or(&self.account)
    }
}

/// One line of `otr.fingerprints`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownFingerprint {
    /// The peer (e.g. `bob@example.org` or `bob@example.org/phone`).
    pub username: String,
    /// Our account the peer was seen from.
    pub account: String,
    /// libotr's protocol id.
    pub protocol: String,
    /// The peer's fingerprint.
    pub fingerprint: Fingerprint,
    /// The trust the user gave it.
    pub trust: Trust,
}

/// Parses `otr.private_key`: every account's DSA key. Takes bytes (a `&str`
/// works too): libgcrypt may write parts of a key as strings of raw bytes,
/// so the file is not always valid UTF-8; read it with `std::fs::read`.
pub fn parse_private_keys(data: impl AsRef<[u8]>) -> Result<Vec<ImportedKey>, Error> {
    let mut out = Vec::new();
    for top in sexp::parse(data.as_ref())? {
        let accounts = top
            .tagged("privkeys")
            .ok_or(err(top.line(), "expected (privkeys ...)"))?;
        for account in accounts {
            out.push(parse_account(account)?);
        }
    }
    Ok(out)
}

fn err(line: usize, what: &'static str) -> Error {
    Error::Import {
        file: "otr.private_key",
        line,
        what,
    }
}

fn parse_account(account: &Sexp) -> Result<ImportedKey, Error> {
    let line = account.line();
    let items = account
        .tagged("account")
        .ok_or(err(line, "expected (account ...)"))?;
    let text = |name: &str, what: &'static str| -> Result<String, Error> {
        match Sexp::find(items, name) {
            Some([Sexp::Atom(a)]) => Ok(String::from_utf8_lossy(a).into_owned()),
            _ => Err(err(line, what)),
        }
    };
    let name = text("name", "account without (name ...)")?;
    let protocol = text("protocol", "account without (protocol ...)")?;
    let dsa = Sexp::find(items, "private-key")
        .and_then(|pk| Sexp::find(pk, "dsa"))
        .ok_or(err(line, "account without (private-key (dsa ...))"))?;
    let num = |n: &str| -> Result<BigUint, Error> {
        match Sexp::find(dsa, n) {
            Some([Sexp::Atom(a)]) => Ok(BigUint::from_bytes_be(a)),
            _ => Err(err(line, "DSA key without one of p, q, g, y, x")),
        }
    };
    let key = PrivateKey::from_parts(num("p")?, num("q")?, num("g")?, num("y")?, num("x")?)
        .map_err(|_| err(line, "the DSA key is not valid"))?;
    Ok(ImportedKey {
        account: name,
        protocol,
        key,
    })
}

/// Parses `otr.fingerprints`.
pub fn parse_fingerprints(text: &str) -> Result<Vec<KnownFingerprint>, Error> {
    const FILE: &str = "otr.fingerprints";
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() {
            continue;
        }
        let f: Vec<&str> = line.split('\t').collect();
        if f.len() < 4 {
            return Err(Error::Import {
                file: FILE,
                line: i + 1,
                what: "expected at least 4 tab-separated fields",
            });
        }
        let fingerprint = Fingerprint::from_hex(f[3]).map_err(|_| Error::Import {
            file: FILE,
            line: i + 1,
            what: "the fingerprint is not 40 hex digits",
        })?;
        out.push(KnownFingerprint {
            username: f[0].to_owned(),
            account: f[1].to_owned(),
            protocol: f[2].to_owned(),
            fingerprint,
            trust: Trust::from_libotr_word(f.get(4).copied().unwrap_or("")),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests;
