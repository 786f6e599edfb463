// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! OTR identities and contacts' fingerprints in SQL.

use rusqlite::{OptionalExtension, Row, params};
use zeroize::Zeroizing;

use super::SqlStore;
use super::accounts::require_account;
use crate::error::SqlContext;
use crate::traits::OtrStore;
use crate::{OtrFingerprint, OtrIdentity, OtrTrust, Result, StoreError, normalize_fingerprint};

fn trust_name(trust: OtrTrust) -> &'static str {
    match trust {
        OtrTrust::Unverified => "unverified",
        OtrTrust::Fingerprint => "fingerprint",
        OtrTrust::Smp => "smp",
    }
}

fn parse_trust(name: &str) -> Result<OtrTrust> {
    match name {
        "unverified" => Ok(OtrTrust::Unverified),
        "fingerprint" => Ok(OtrTrust::Fingerprint),
        "smp" => Ok(OtrTrust::Smp),
        other => Err(StoreError::Corrupt(format!("OTR trust level {other:?}"))),
    }
}

type FingerprintRow = (String, String, String, i64);

fn fingerprint_row(row: &Row<'_>) -> rusqlite::Result<FingerprintRow> {
    Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?))
}

fn decode((contact, fingerprint, trust, first_seen_ms): FingerprintRow) -> Result<OtrFingerprint> {
    Ok(OtrFingerprint {
        contact,
        fingerprint,
        trust: parse_trust(&trust)?,
        first_seen_ms,
    })
}

impl OtrStore for SqlStore {
    fn otr_identity(&self, account: &str) -> Result<Option<OtrIdentity>> {
        let conn = self.lock();
        let row = conn
            .query_row(
                "SELECT private_key, instance_tag FROM otr_identities WHERE account = ?1",
                [account],
                |r| Ok((Zeroizing::new(r.get::<_, Vec<u8>>(0)?), r.get::<_, i64>(1)?)),
            )
            .optional()
            .ctx("reading the OTR identity")?;
        row.map(|(private_key, tag)| {
            let instance_tag = u32::try_from(tag)
                .map_err(|_| StoreError::Corrupt(format!("OTR instance tag {tag}")))?;
            Ok(OtrIdentity {
                private_key,
                instance_tag,
            })
        })
        .transpose()
    }

    fn set_otr_identity(&self, account: &str, identity: &OtrIdentity) -> Result<()> {
        self.write("storing the OTR identity", |tx| {
            require_account(tx, account)?;
            tx.execute(
                "INSERT INTO otr_identities (account, private_key, instance_tag)
                 VALUES (?1, ?2, ?3)
                 ON CONFLICT (account) DO UPDATE SET private_key = excluded.private_key,
                     instance_tag = excluded.instance_tag",
                params![
                    account,
                    identity.private_key.as_slice(),
                    i64::from(identity.instance_tag)
                ],
            )
            .ctx("storing the OTR identity")?;
            Ok(())
        })
    }

    fn otr_fingerprints(&self, account: &str, contact: &str) -> Result<Vec<OtrFingerprint>> {
        let conn = self.lock();
        let mut stmt = conn
            .prepare_cached(
                "SELECT contact, fingerprint, trust, first_seen_ms FROM otr_fingerprints
                 WHERE account = ?1 AND contact = ?2 ORDER BY first_seen_ms, fingerprint",
            )
            .ctx("reading OTR fingerprints")?;
        let rows = stmt
            .query_map(params![account, contact], fingerprint_row)
            .ctx("reading OTR fingerprints")?
            .collect::<rusqlite::Result<Vec<_>>>()
            .ctx("reading OTR fingerprints")?;
        rows.into_iter().map(decode).collect()
    }

    fn all_otr_fingerprints(&self, account: &str) -> Result<Vec<OtrFingerprint>> {
        let conn = self.lock();
        let mut stmt = conn
            .prepare_cached(
                "SELECT contact, fingerprint, trust, first_seen_ms FROM otr_fingerprints
                 WHERE account = ?1 ORDER BY contact, first_seen_ms, fingerprint",
            )
            .ctx("reading OTR fingerprints")?;
        let rows = stmt
            .query_map([account], fingerprint_row)
            .ctx("reading OTR fingerprints")?
            .collect::<rusqlite::Result<Vec<_>>>()
            .ctx("reading OTR fingerprints")?;
        rows.into_iter().map(decode).collect()
    }

    fn put_otr_fingerprint(&self, account: &str, fingerprint: &OtrFingerprint) -> Result<()> {
        if normalize_fingerprint(&fingerprint.fingerprint).as_deref()
            != Some(fingerprint.fingerprint.as_str())
        {
            return Err(StoreError::InvalidInput(
                "an OTR fingerprint must be 40 lowercase hex digits".into(),
            ));
        }
        self.write("storing an OTR fingerprint", |tx| {
            require_account(tx, account)?;
            tx.execute(
                "INSERT INTO otr_fingerprints (account, contact, fingerprint, trust, first_seen_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (account, contact, fingerprint) DO UPDATE SET trust = excluded.trust",
                params![
                    account,
                    fingerprint.contact,
                    fingerprint.fingerprint,
                    trust_name(fingerprint.trust),
                    fingerprint.first_seen_ms
                ],
            )
            .ctx("storing an OTR fingerprint")?;
            Ok(())
        })
    }
}
