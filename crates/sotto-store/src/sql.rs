// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! The SQLCipher store: one encrypted database per profile directory.

mod accounts;
mod codec;
mod messages;
mod migrate;
mod omemo;
mod otr;
mod rooms;
#[cfg(test)]
mod tests;

use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use rusqlite::{Connection, OpenFlags, OptionalExtension, Transaction};
use zeroize::Zeroizing;

use crate::error::{IoContext, SqlContext};
use crate::traits::SettingsStore;
use crate::{ProfileKey, Result, StoreError};

pub use omemo::OmemoAccountStore;

/// File name of the profile database inside the profile directory.
const DB_FILE: &str = "sotto.db";
/// Files SQLite keeps beside the database in WAL mode.
const SIDE_FILES: [&str; 2] = ["sotto.db-wal", "sotto.db-shm"];

/// The encrypted store of one profile. Clones share one connection.
#[derive(Clone)]
pub struct SqlStore {
    dir: Arc<PathBuf>,
    conn: Arc<Mutex<Connection>>,
}

impl fmt::Debug for SqlStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SqlStore").field("dir", &self.dir).finish()
    }
}

impl SqlStore {
    /// Creates the profile directory (mode 0700 on Unix) if needed and a new
    /// encrypted database in it, and runs the migrations. Refuses with
    /// `ProfileExists` if the directory already holds a database.
    pub fn create(dir: &Path, key: &ProfileKey) -> Result<SqlStore> {
        // Refuse weak keys before anything touches the disk.
        key.pragma_literal()?;
        ensure_profile_dir(dir)?;
        let path = dir.join(DB_FILE);
        // create_new makes "refuse if it exists" atomic, and gives the file
        // owner-only permissions before SQLite writes a byte (SQLite copies
        // them to the -wal and -shm files).
        let mut options = fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        match options.open(&path) {
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                return Err(StoreError::ProfileExists(dir.to_path_buf()));
            }
            Err(source) => {
                return Err(StoreError::Io {
                    context: "creating the profile database file",
                    source,
                });
            }
        }
        let setup = connect(&path, key).and_then(|mut conn| {
            migrate::run(&mut conn)?;
            Ok(conn)
        });
        match setup {
            Ok(conn) => Ok(Self::from_conn(dir, conn)),
            Err(e) => {
                // Leave no half-made profile behind, so create can be retried.
                for name in std::iter::once(DB_FILE).chain(SIDE_FILES) {
                    let _ = fs::remove_file(dir.join(name));
                }
                Err(e)
            }
        }
    }

    /// Opens an existing profile. The key is verified before anything is
    /// written: on `WrongPassphrase` every file of the profile is unchanged.
    pub fn open(dir: &Path, key: &ProfileKey) -> Result<SqlStore> {
        key.pragma_literal()?;
        let path = dir.join(DB_FILE);
        if !path.is_file() {
            return Err(StoreError::ProfileMissing(dir.to_path_buf()));
        }
        // Modes can change after creation (a restore from backup, a copy, a
        // careless chmod): owner-only is enforced on every open.
        restrict_profile(dir)?;
        let mut conn = connect(&path, key)?;
        migrate::run(&mut conn)?;
        Ok(Self::from_conn(dir, conn))
    }

    /// SQLite's own consistency check of the whole database: `"ok"` when
    /// every page, index and constraint is whole (after a crash or a full
    /// disk, say).
    pub fn integrity_check(&self) -> Result<String> {
        self.lock()
            .query_row("PRAGMA integrity_check", [], |row| row.get(0))
            .ctx("checking the profile's integrity")
    }

    /// Whether `dir` holds a profile database.
    pub fn exists(dir: &Path) -> bool {
        dir.join(DB_FILE).is_file()
    }

    /// Re-encrypts the database under `new` (`PRAGMA rekey`), then proves the
    /// new key opens it.
    pub fn change_key(&self, new: &ProfileKey) -> Result<()> {
        let literal = new.pragma_literal()?;
        let conn = self.lock();
        let sql = Zeroizing::new(format!("PRAGMA rekey = {};", literal.as_str()));
        conn.execute_batch(&sql).ctx("re-encrypting the profile")?;
        // SQLCipher's rekey reports success even when its commit failed, so
        // check from a second connection that the new key really works.
        conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
            .ctx("checkpointing after re-encryption")?;
        let check = connect(&self.dir.join(DB_FILE), new);
        drop(conn);
        match check {
            Ok(_) => Ok(()),
            Err(StoreError::WrongPassphrase) => Err(StoreError::Corrupt(
                "the profile did not open with its new key after re-encryption".into(),
            )),
            Err(e) => Err(e),
        }
    }

    /// The profile directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Checks that `key` opens this profile, from a second connection that
    /// writes nothing. [`StoreError::WrongPassphrase`] if it does not.
    pub(crate) fn check_key(&self, key: &ProfileKey) -> Result<()> {
        connect(&self.dir.join(DB_FILE), key).map(drop)
    }

    fn from_conn(dir: &Path, conn: Connection) -> Self {
        Self {
            dir: Arc::new(dir.to_path_buf()),
            conn: Arc::new(Mutex::new(conn)),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding the lock rolled back its transaction on
        // unwind, so the connection is still consistent.
        self.conn.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Runs `f` in one immediate transaction, committed if `f` succeeds.
    fn write<T>(
        &self,
        context: &'static str,
        f: impl FnOnce(&Transaction<'_>) -> Result<T>,
    ) -> Result<T> {
        let mut conn = self.lock();
        let tx = conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .ctx(context)?;
        let out = f(&tx)?;
        tx.commit().ctx(context)?;
        Ok(out)
    }
}

/// Creates the profile directory, owner-only on Unix.
pub(crate) fn ensure_profile_dir(dir: &Path) -> Result<()> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir).io_ctx("creating the profile directory")
}

/// Makes the profile directory and its database files owner-only again.
#[cfg(unix)]
fn restrict_profile(dir: &Path) -> Result<()> {
    use std::os::unix::fs::PermissionsExt as _;
    let set = |path: &Path, mode: u32, context: &'static str| -> Result<()> {
        let meta = match fs::symlink_metadata(path) {
            Ok(meta) => meta,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(source) => return Err(StoreError::Io { context, source }),
        };
        // Never follow a link planted in the profile directory.
        if meta.file_type().is_symlink() || meta.permissions().mode() & 0o777 == mode {
            return Ok(());
        }
        tracing::warn!(
            mode = format!("{:o}", meta.permissions().mode() & 0o777),
            "profile permissions were too open; restricted"
        );
        fs::set_permissions(path, fs::Permissions::from_mode(mode))
            .map_err(|source| StoreError::Io { context, source })
    };
    set(dir, 0o700, "restricting the profile directory")?;
    for name in std::iter::once(DB_FILE).chain(SIDE_FILES) {
        set(&dir.join(name), 0o600, "restricting a profile file")?;
    }
    Ok(())
}

/// On Windows the profile lives under the user's own `%APPDATA%`, whose
/// inherited ACL already keeps other users out; nothing to tighten.
#[cfg(not(unix))]
fn restrict_profile(_dir: &Path) -> Result<()> {
    Ok(())
}

/// Opens the database, applies the key and verifies it before any write, then
/// sets the connection pragmas.
fn connect(path: &Path, key: &ProfileKey) -> Result<Connection> {
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags).ctx("opening the profile database")?;
    let literal = key.pragma_literal()?;
    let sql = Zeroizing::new(format!("PRAGMA key = {};", literal.as_str()));
    conn.execute_batch(&sql).ctx("applying the profile key")?;
    // The first read of page 1 is where a wrong key shows. Nothing has been
    // written yet, not even a journal-mode change.
    match conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| {
        r.get::<_, i64>(0)
    }) {
        Ok(_) => {}
        Err(rusqlite::Error::SqliteFailure(e, _))
            if e.code == rusqlite::ErrorCode::NotADatabase =>
        {
            return Err(StoreError::WrongPassphrase);
        }
        Err(source) => {
            return Err(StoreError::Sql {
                context: "verifying the profile key",
                source,
            });
        }
    }
    // Zero memory SQLCipher frees (process-wide; older builds ignore it).
    let _ = conn.execute_batch("PRAGMA cipher_memory_security = ON;");
    conn.execute_batch(
        "PRAGMA temp_store = MEMORY;
         PRAGMA secure_delete = ON;
         PRAGMA foreign_keys = ON;",
    )
    .ctx("setting the connection pragmas")?;
    let mode: String = conn
        .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
        .ctx("switching to WAL journaling")?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(StoreError::Corrupt(format!(
            "the database refused WAL journaling (mode {mode})"
        )));
    }
    Ok(conn)
}

impl SettingsStore for SqlStore {
    fn setting(&self, key: &str) -> Result<Option<String>> {
        self.lock()
            .query_row("SELECT value FROM settings WHERE key = ?1", [key], |r| {
                r.get(0)
            })
            .optional()
            .ctx("reading a setting")
    }

    fn set_setting(&self, key: &str, value: &str) -> Result<()> {
        self.write("writing a setting", |tx| {
            tx.execute(
                "INSERT INTO settings (key, value) VALUES (?1, ?2)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                [key, value],
            )
            .ctx("writing a setting")?;
            Ok(())
        })
    }
}
