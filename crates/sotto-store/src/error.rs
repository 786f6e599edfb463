// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! The store's error type.

use std::path::PathBuf;

/// Result of every store operation.
pub type Result<T> = std::result::Result<T, StoreError>;

/// What went wrong in the store. Messages say what was being done and never
/// contain keys, passphrases, account passwords or message bodies.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The key did not decrypt the database. The profile files were not touched.
    #[error("the passphrase is wrong (or the file is not a Sotto profile)")]
    WrongPassphrase,
    /// `open()` on a directory that holds no profile database.
    #[error("no Sotto profile in {}", .0.display())]
    ProfileMissing(PathBuf),
    /// `create()` on a directory that already holds a profile database.
    #[error("a Sotto profile already exists in {}", .0.display())]
    ProfileExists(PathBuf),
    /// A key that cannot safely protect a profile (empty, or containing NUL).
    #[error("unusable profile key: {0}")]
    InvalidKey(&'static str),
    /// The OS keyring failed; the text says what was being done.
    #[error("OS keyring: {0}")]
    Keyring(String),
    /// SQLite/SQLCipher failed while doing `context`.
    #[error("database error while {context}")]
    Sql {
        /// What was being done.
        context: &'static str,
        /// The SQLite error.
        #[source]
        source: rusqlite::Error,
    },
    /// File-system failure while doing `context`.
    #[error("I/O error while {context}")]
    Io {
        /// What was being done.
        context: &'static str,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The record the operation refers to does not exist.
    #[error("not found: {0}")]
    NotFound(String),
    /// The caller passed a value the store does not accept.
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// Stored data that this build cannot make sense of.
    #[error("corrupt profile data: {0}")]
    Corrupt(String),
}

/// Adds a "what was being done" context to rusqlite results.
pub(crate) trait SqlContext<T> {
    fn ctx(self, context: &'static str) -> Result<T>;
}

impl<T> SqlContext<T> for std::result::Result<T, rusqlite::Error> {
    fn ctx(self, context: &'static str) -> Result<T> {
        self.map_err(|source| StoreError::Sql { context, source })
    }
}

/// Adds a "what was being done" context to I/O results.
pub(crate) trait IoContext<T> {
    fn io_ctx(self, context: &'static str) -> Result<T>;
}

impl<T> IoContext<T> for std::io::Result<T> {
    fn io_ctx(self, context: &'static str) -> Result<T> {
        self.map_err(|source| StoreError::Io { context, source })
    }
}
