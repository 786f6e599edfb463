// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! `sotto`, the command-line front end of the Sotto messenger.
//!
//! It talks to the core only through the Command/Event boundary and reads
//! the profile only through the store's traits. It must never print or log
//! a passphrase or password, and it prints message text only to stdout,
//! made safe for a terminal. `docs/cli.md` is its manual.

mod cli;
mod commands;
mod exit;
mod output;
mod profile;
mod session;
mod wait;

use std::process::ExitCode;

use clap::Parser as _;
use tracing_subscriber::EnvFilter;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    init_logging(cli.global.verbose);
    match commands::dispatch(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("{}", output::error_line(&err));
            ExitCode::from(exit::code_of(&err).status())
        }
    }
}

/// What is logged without `-v` or `RUST_LOG`: Sotto's own warnings only
/// (the same filter as the desktop app's): a person reads Sotto's progress
/// lines and one clear reason; libraries speak only with `-v`.
const DEFAULT_LOG: &str = sotto_core::DEFAULT_LOG_FILTER;

/// Logs go to stderr so stdout stays clean for `--json` and `run`. `-v`
/// wins over `RUST_LOG`; without either only Sotto's own warnings show.
fn init_logging(verbose: u8) {
    let filter = match verbose {
        0 => EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(DEFAULT_LOG)),
        1 => EnvFilter::new("info"),
        2 => EnvFilter::new("debug"),
        _ => EnvFilter::new("trace"),
    };
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}

#[cfg(test)]
mod tests {
    use std::str::FromStr as _;

    use tracing::Level;
    use tracing_subscriber::filter::Targets;

    #[test]
    fn library_warnings_need_verbose() {
        let default = Targets::from_str(super::DEFAULT_LOG).unwrap_or_else(|e| panic!("{e}"));
        // The desktop app uses the same filter.
        for own in [
            "sotto",
            "sotto_core::account",
            "sotto_xmpp",
            "sotto_tor",
            "sotto_desktop::app",
        ] {
            assert!(default.would_enable(own, &Level::WARN), "{own}");
            assert!(!default.would_enable(own, &Level::INFO), "{own}");
        }
        for library in [
            "arti_client",
            "tor_guardmgr",
            "tor_circmgr::mgr",
            "tokio_xmpp",
            "rustls",
            "iced_winit",
            "wgpu_core",
        ] {
            assert!(!default.would_enable(library, &Level::WARN), "{library}");
        }
    }
}
