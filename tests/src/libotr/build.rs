// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! Compiling `tests/libotr-peer/*.c` against the system's libotr.

use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

use anyhow::{Context as _, anyhow, bail};
use sha2::{Digest as _, Sha256};

const SOURCE_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/libotr-peer");
/// Compiled together; the hash also covers `peer.h`.
const C_FILES: &[&str] = &["peer.c", "ops.c"];
const HEADERS: &[&str] = &["peer.h"];
const C_FLAGS: &[&str] = &["-std=c99", "-O1", "-Wall", "-Wextra", "-Werror"];
/// libotr's `.pc` lists only `-lotr`; the peer calls libgcrypt directly too.
const PKG_CONFIG_ARGS: &[&str] = &["--cflags", "--libs", "libotr", "libgcrypt"];
const MISSING_LIBOTR: &str = "the libotr development files are missing: install the \
     Debian package libotr5-dev (tests/run.sh installs it)";

/// The peer binary, compiled at most once per test process.
///
/// The binary is named after a hash of its sources and build flags, so a
/// changed source is rebuilt and concurrent test processes (nextest runs
/// one per test) share one build without stepping on each other.
pub(super) fn peer_binary() -> anyhow::Result<PathBuf> {
    static BINARY: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    BINARY
        .get_or_init(|| build().map_err(|e| format!("{e:#}")))
        .clone()
        .map_err(|e| anyhow!("building the libotr peer: {e}"))
}

fn build() -> anyhow::Result<PathBuf> {
    let dir = PathBuf::from(SOURCE_DIR);
    let link_flags = pkg_config()?;

    let mut hash = Sha256::new();
    for name in C_FILES.iter().chain(HEADERS) {
        let path = dir.join(name);
        let source = std::fs::read(&path)
            .with_context(|| format!("reading the peer's source {}", path.display()))?;
        hash.update(name.as_bytes());
        hash.update([0]);
        hash.update(&source);
    }
    for flag in C_FLAGS
        .iter()
        .copied()
        .chain(link_flags.iter().map(String::as_str))
    {
        hash.update(flag.as_bytes());
        hash.update([0]);
    }
    let digest = hex::encode(hash.finalize());
    let out_dir = output_dir()?;
    let binary = out_dir.join(format!("libotr-peer-{}", &digest[..16]));
    if binary.is_file() {
        return Ok(binary);
    }

    std::fs::create_dir_all(&out_dir).with_context(|| format!("creating {}", out_dir.display()))?;
    // Build under a private name, then rename: the rename is atomic, so a
    // parallel test process sees either no binary or a whole one.
    let partial = out_dir.join(format!(
        "libotr-peer-{}.partial-{}",
        &digest[..16],
        std::process::id()
    ));
    let out = Command::new("cc")
        .args(C_FLAGS)
        .arg("-o")
        .arg(&partial)
        .args(C_FILES.iter().map(|name| dir.join(name)))
        .args(&link_flags)
        .output()
        .context("running cc (install the Debian package build-essential)")?;
    if !out.status.success() {
        let _ = std::fs::remove_file(&partial);
        bail!(
            "cc {SOURCE_DIR}/{{{}}} failed ({}):\n{}{}",
            C_FILES.join(","),
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    std::fs::rename(&partial, &binary)
        .with_context(|| format!("moving the peer binary to {}", binary.display()))?;
    Ok(binary)
}

fn pkg_config() -> anyhow::Result<Vec<String>> {
    let out = Command::new("pkg-config")
        .args(PKG_CONFIG_ARGS)
        .output()
        .context("running pkg-config (install the Debian package pkg-config)")?;
    if !out.status.success() {
        bail!(
            "{MISSING_LIBOTR} (pkg-config {}: {})",
            PKG_CONFIG_ARGS.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    let flags = String::from_utf8(out.stdout).context("pkg-config printed non-UTF-8 flags")?;
    Ok(flags.split_whitespace().map(str::to_owned).collect())
}

/// `<target>/<profile>/libotr-peer/`, found from the running test binary
/// (`<target>/<profile>/deps/<test>-<hash>`), so the peer lives and dies with
/// the build, wherever `CARGO_TARGET_DIR` points.
fn output_dir() -> anyhow::Result<PathBuf> {
    let exe = std::env::current_exe().context("locating the running test binary")?;
    let mut dir = exe
        .parent()
        .ok_or_else(|| anyhow!("{} has no parent directory", exe.display()))?;
    if dir.file_name().is_some_and(|name| name == "deps") {
        dir = dir.parent().unwrap_or(dir);
    }
    Ok(dir.join("libotr-peer"))
}
