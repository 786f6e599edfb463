// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! `sotto-desktop`, the desktop app of the Sotto messenger.
//!
//! Usage: `sotto-desktop [--profile DIR]`. The default profile is the
//! CLI's (`<user data dir>/default`), so both front ends share accounts and
//! history (not at the same time: one process opens a profile at a time).

use std::path::PathBuf;
use std::process::ExitCode;

use tracing_subscriber::EnvFilter;

fn main() -> ExitCode {
    // Without RUST_LOG only Sotto's own warnings: Arti, iced and the TLS
    // stack speak when asked (RUST_LOG=warn shows them all).
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| EnvFilter::new(sotto_core::DEFAULT_LOG_FILTER)),
        )
        .with_writer(std::io::stderr)
        .init();
    let dir = match parse_args(std::env::args().skip(1)) {
        Ok(Some(dir)) => dir,
        Ok(None) => return ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("sotto-desktop: {message}");
            return ExitCode::from(2);
        }
    };
    match sotto_desktop::app::run(dir) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("sotto-desktop: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The profile directory from the arguments; `None` after `--help`.
fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Option<PathBuf>, String> {
    let mut dir = None;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "-h" | "--help" => {
                println!(
                    "Usage: sotto-desktop [--profile DIR]\n\n\
                     Starts the Sotto desktop app on the profile in DIR (default: the same \
                     profile as the sotto CLI)."
                );
                return Ok(None);
            }
            "--profile" => {
                dir = Some(PathBuf::from(
                    args.next().ok_or("--profile needs a directory")?,
                ));
            }
            other => return Err(format!("unknown argument {other:?}; try --help")),
        }
    }
    match dir.or_else(sotto_desktop::app::default_dir) {
        Some(dir) => Ok(Some(dir)),
        None => Err("cannot find the user's data directory; pass --profile DIR".into()),
    }
}
