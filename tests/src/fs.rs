// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! Temporary directories and the plaintext scanner.

use std::io;
use std::path::{Path, PathBuf};

/// Set this environment variable to keep every test directory (and Prosody's data
/// and log) after the test, for debugging. Its path is printed.
pub const KEEP_ENV: &str = "SOTTO_KEEP_TEST_DIRS";

/// A temporary directory removed on drop (unless [`KEEP_ENV`] is set).
#[derive(Debug)]
pub struct TestDir {
    dir: tempfile::TempDir,
}

impl TestDir {
    /// Creates a fresh directory under the system temp dir, named after `prefix`.
    ///
    /// # Errors
    ///
    /// If the directory cannot be created.
    pub fn new(prefix: &str) -> io::Result<Self> {
        let mut dir = tempfile::Builder::new()
            .prefix(&format!("sotto-{prefix}-"))
            .tempdir()?;
        if std::env::var_os(KEEP_ENV).is_some() {
            dir.disable_cleanup(true);
            eprintln!("{KEEP_ENV} set: keeping {}", dir.path().display());
        }
        Ok(Self { dir })
    }

    /// The directory's path.
    #[must_use]
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// `path().join(rel)`.
    #[must_use]
    pub fn join(&self, rel: impl AsRef<Path>) -> PathBuf {
        self.dir.path().join(rel)
    }
}

/// Recursively reads every regular file under `dir` and reports, for each file,
/// which of `needles` occur in it, as `(file, needle index)` pairs (one pair per
/// file and needle, however often it occurs). Symlinks are not followed; empty
/// needles are ignored.
///
/// Used to prove that a profile directory holds no plaintext: plant known
/// message bodies, passwords and JIDs, then assert the result is empty.
///
/// # Panics
///
/// If a directory or file cannot be read (other than a file vanishing while the
/// scan runs, as SQLite journals do): a scan that silently skipped a file would
/// prove nothing.
#[must_use]
pub fn scan_for_plaintext(dir: &Path, needles: &[&[u8]]) -> Vec<(PathBuf, usize)> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(current) = pending.pop() {
        let entries = std::fs::read_dir(&current)
            .unwrap_or_else(|e| panic!("scanning {}: {e}", current.display()));
        for entry in entries {
            let entry = entry.unwrap_or_else(|e| panic!("scanning {}: {e}", current.display()));
            let path = entry.path();
            let kind = entry
                .file_type()
                .unwrap_or_else(|e| panic!("scanning {}: {e}", path.display()));
            if kind.is_dir() {
                pending.push(path);
            } else if kind.is_file() {
                let bytes = match std::fs::read(&path) {
                    Ok(bytes) => bytes,
                    Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
                    Err(e) => panic!("reading {} for the plaintext scan: {e}", path.display()),
                };
                for (index, needle) in needles.iter().enumerate() {
                    if contains(&bytes, needle) {
                        found.push((path.clone(), index));
                    }
                }
            }
        }
    }
    found.sort();
    found
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::contains;

    #[test]
    fn contains_finds_needles_at_the_edges() {
        assert!(contains(b"abcdef", b"abc"));
        assert!(contains(b"abcdef", b"def"));
        assert!(!contains(b"abcdef", b"deg"));
        assert!(!contains(b"ab", b"abc"));
        assert!(!contains(b"abc", b""));
    }
}
