// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! Exit codes, and the error that carries one through `anyhow`.
//!
//! Scripts branch on the exit code, so each failure a person can act on has
//! its own; `docs/cli.md` lists them and must change with this file.

use std::fmt;

/// What kind of failure ended the program. The numbers are public API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Code {
    /// Anything not covered below.
    Other = 1,
    /// The command line was wrong (clap uses 2 as well).
    Usage = 2,
    /// No profile, a wrong passphrase, or the profile could not be opened.
    Profile = 3,
    /// The server refused the account's credentials.
    Authentication = 4,
    /// The server's certificate is untrusted or differs from the pinned one.
    Certificate = 5,
    /// The network failed or the wait timed out.
    Network = 6,
    /// Interrupted by Ctrl-C (128 + SIGINT, as shells report it).
    Interrupted = 130,
}

impl Code {
    /// The process exit status.
    pub fn status(self) -> u8 {
        self as u8
    }
}

/// An error whose exit code is known. Put it at the root of an `anyhow`
/// chain; `main` finds it with [`code_of`].
#[derive(Debug)]
pub struct Failure {
    /// The exit code.
    pub code: Code,
    /// What went wrong and, where possible, what to do about it.
    pub message: String,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Failure {}

/// Builds an `anyhow::Error` with an exit code.
pub fn fail(code: Code, message: impl Into<String>) -> anyhow::Error {
    anyhow::Error::new(Failure {
        code,
        message: message.into(),
    })
}

/// The exit code for an error: the first [`Failure`] in its chain, else 1.
pub fn code_of(err: &anyhow::Error) -> Code {
    err.chain()
        .find_map(|e| e.downcast_ref::<Failure>())
        .map_or(Code::Other, |f| f.code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_survives_context() {
        let err = fail(Code::Certificate, "bad cert").context("adding a@b.c");
        assert_eq!(code_of(&err), Code::Certificate);
        assert_eq!(format!("{err:#}"), "adding a@b.c: bad cert");
        assert_eq!(code_of(&anyhow::anyhow!("plain")), Code::Other);
        assert_eq!(Code::Network.status(), 6);
        assert_eq!(Code::Interrupted.status(), 130);
    }
}
