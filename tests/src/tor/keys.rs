// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! Key generation before the network starts, so that every identity is known
//! when the torrcs are written.

use std::io::Write as _;
use std::path::Path;
use std::process::{Child, Command, Stdio};

use anyhow::{Context as _, bail};
use base64::Engine as _;

use super::process::{TOR, empty_defaults};

const GENCERT: &str = "tor-gencert";
/// `keys/ed25519_master_id_public_key` is this 32-byte header, then the key.
const ED25519_HEADER: &[u8; 32] = b"== ed25519v1-public: type0 ==\0\0\0";

/// Starts `tor-gencert` for an authority whose DirPort is `dir_port`, writing
/// the v3 identity key, signing key and certificate under `data_dir/keys`
/// with the names tor looks for. RSA-3072 generation takes about 2 s, so the
/// caller starts all of them before waiting on any.
pub(super) fn spawn_gencert(data_dir: &Path, dir_port: u16) -> anyhow::Result<Child> {
    let keys = data_dir.join("keys");
    std::fs::create_dir_all(&keys).with_context(|| format!("creating {}", keys.display()))?;
    let mut child = Command::new(GENCERT)
        .current_dir(&keys)
        .args(["--create-identity-key", "-m", "12", "-a"])
        .arg(format!("127.0.0.1:{dir_port}"))
        .args(["-i", "authority_identity_key"])
        .args(["-s", "authority_signing_key"])
        .args(["-c", "authority_certificate"])
        .args(["--passphrase-fd", "0"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .context("running tor-gencert (is the tor package installed?)")?;
    // An empty passphrase: the key is encrypted with nothing.
    if let Some(mut stdin) = child.stdin.take() {
        stdin
            .write_all(b"\n")
            .context("writing the passphrase to tor-gencert")?;
    }
    Ok(child)
}

/// Waits for `tor-gencert` and returns the v3 identity fingerprint (hex) from
/// the certificate it wrote.
pub(super) fn finish_gencert(child: Child, data_dir: &Path) -> anyhow::Result<String> {
    let out = child
        .wait_with_output()
        .context("waiting for tor-gencert")?;
    if !out.status.success() {
        bail!(
            "tor-gencert failed ({}): {}{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let cert = std::fs::read_to_string(data_dir.join("keys/authority_certificate"))
        .context("reading the authority certificate")?;
    cert.lines()
        .find_map(|l| l.strip_prefix("fingerprint "))
        .map(|f| f.trim().to_owned())
        .context("no fingerprint line in the authority certificate")
}

/// Starts `tor --list-fingerprint`, which creates the relay identity keys
/// (RSA-1024 and ed25519) in `data_dir/keys` and exits. Only the options a
/// server needs are given: the full torrc would be refused before the
/// authorities' fingerprints are known.
pub(super) fn spawn_identity(
    data_dir: &Path,
    nickname: &str,
    or_port: u16,
) -> anyhow::Result<Child> {
    std::fs::create_dir_all(data_dir)
        .with_context(|| format!("creating {}", data_dir.display()))?;
    let empty = empty_defaults(data_dir)?;
    Command::new(TOR)
        .arg("--defaults-torrc")
        .arg(&empty)
        .arg("-f")
        .arg(&empty)
        .args(["--list-fingerprint", "--quiet", "--DataDirectory"])
        .arg(data_dir)
        .arg("--ORPort")
        .arg(format!("127.0.0.1:{or_port}"))
        .args(["--Nickname", nickname])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .context("running tor --list-fingerprint (is the tor package installed?)")
}

/// Waits for `tor --list-fingerprint` and returns the RSA identity
/// fingerprint (hex) and the ed25519 identity (base64, no padding).
pub(super) fn finish_identity(child: Child, data_dir: &Path) -> anyhow::Result<(String, String)> {
    let out = child
        .wait_with_output()
        .context("waiting for tor --list-fingerprint")?;
    if !out.status.success() {
        bail!(
            "tor --list-fingerprint failed ({}): {}{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let line = std::fs::read_to_string(data_dir.join("fingerprint"))
        .context("reading the relay's fingerprint file")?;
    let rsa = line
        .split_whitespace()
        .nth(1)
        .context("no fingerprint in the relay's fingerprint file")?
        .to_owned();
    let key = std::fs::read(data_dir.join("keys/ed25519_master_id_public_key"))
        .context("reading the relay's ed25519 identity key")?;
    Ok((rsa, ed25519_identity(&key)?))
}

/// The identity in a `ed25519_master_id_public_key` file, base64 without padding.
pub(super) fn ed25519_identity(file: &[u8]) -> anyhow::Result<String> {
    match file.split_at_checked(ED25519_HEADER.len()) {
        Some((header, key)) if header == ED25519_HEADER && key.len() == 32 => {
            Ok(base64::engine::general_purpose::STANDARD_NO_PAD.encode(key))
        }
        _ => bail!("not an ed25519 public key file ({} bytes)", file.len()),
    }
}

#[cfg(test)]
mod tests {
    use super::{ED25519_HEADER, ed25519_identity};

    #[test]
    fn ed25519_identity_is_unpadded_base64_of_the_key() {
        let mut file = ED25519_HEADER.to_vec();
        file.extend_from_slice(&[0xff; 32]);
        assert_eq!(
            ed25519_identity(&file).expect("a valid key file"),
            "//////////////////////////////////////////8"
        );
        assert!(ed25519_identity(&file[..63]).is_err());
    }
}
