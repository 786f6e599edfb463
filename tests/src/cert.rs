// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! The self-signed certificate every test server presents.

use std::path::Path;

use anyhow::Context as _;
use sha2::{Digest as _, Sha256};

/// Generates a self-signed ECDSA P-256 certificate for `domain` and 127.0.0.1,
/// writes it as PEM to `crt` and its key to `key`, and returns the lowercase
/// hex SHA-256 of the DER certificate (what clients pin).
pub(crate) fn write_self_signed(domain: &str, crt: &Path, key: &Path) -> anyhow::Result<String> {
    let mut params = rcgen::CertificateParams::new(vec![domain.to_owned(), "127.0.0.1".to_owned()])
        .context("describing the test server's certificate")?;
    // rcgen's default validity (1975 to 4096) crashes ejabberd 23.01: it arms
    // an Erlang timer for the expiry, and timers longer than 2^32 ms (49.7
    // days) are a `badarg` that kills its certificate store ("no_certfile").
    let today = days_since_epoch();
    let (y, m, d) = civil_from_days(today - 1);
    params.not_before = rcgen::date_time_ymd(y, m, d);
    let (y, m, d) = civil_from_days(today + 30);
    params.not_after = rcgen::date_time_ymd(y, m, d);
    let signing_key = rcgen::KeyPair::generate().context("generating the certificate's key")?;
    let cert = params
        .self_signed(&signing_key)
        .context("signing the test server's certificate")?;
    for path in [crt, key] {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("creating {}", parent.display()))?;
        }
    }
    std::fs::write(crt, cert.pem()).with_context(|| format!("writing {}", crt.display()))?;
    std::fs::write(key, signing_key.serialize_pem())
        .with_context(|| format!("writing {}", key.display()))?;
    Ok(hex::encode(Sha256::digest(cert.der())))
}

fn days_since_epoch() -> i64 {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    i64::try_from(secs / 86_400).unwrap_or(0)
}

/// The (year, month, day) `days` days after 1970-01-01 (Howard Hinnant's
/// `civil_from_days`).
fn civil_from_days(days: i64) -> (i32, u8, u8) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (
        i32::try_from(year).unwrap_or(1970),
        u8::try_from(month).unwrap_or(1),
        u8::try_from(day).unwrap_or(1),
    )
}

#[cfg(test)]
mod tests {
    use super::civil_from_days;

    #[test]
    fn days_become_dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
        assert_eq!(civil_from_days(20_819), (2027, 1, 1));
    }
}
