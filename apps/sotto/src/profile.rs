// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! Finding and unlocking the profile, and reading secrets from the user.
//!
//! Secrets are read into `Zeroizing` buffers and handed straight to the
//! store or the core; they are never formatted into messages or logs.

use std::path::{Path, PathBuf};

use sotto_store::{Password, ProfileKey, SqlStore, StoreError, keyring_key};
use zeroize::Zeroizing;

use crate::cli::GlobalArgs;
use crate::exit::{Code, fail};

/// How the profile is unlocked, as chosen on the command line.
#[derive(Debug, Clone)]
pub enum Unlock {
    /// A passphrase: from this environment variable when set, else prompted.
    Passphrase {
        /// Name of the environment variable.
        env_var: String,
    },
    /// A random key kept in the OS keyring.
    Keyring,
}

/// The profile directory and how to unlock it.
#[derive(Debug, Clone)]
pub struct Profile {
    /// The directory holding the encrypted database.
    pub dir: PathBuf,
    unlock: Unlock,
    /// A private Tor network to use instead of the public one (tests).
    tor_network: Option<sotto_core::CustomNetwork>,
}

impl Profile {
    /// From the global options; the default directory is
    /// `<user data dir>/default`.
    pub fn from_args(args: &GlobalArgs) -> anyhow::Result<Self> {
        let dir = match &args.profile {
            Some(dir) => dir.clone(),
            None => directories::ProjectDirs::from("org", "Sotto", "Sotto")
                .map(|dirs| dirs.data_dir().join("default"))
                .ok_or_else(|| {
                    fail(
                        Code::Profile,
                        "cannot find the user's data directory (no home directory?); \
                         pass --profile DIR",
                    )
                })?,
        };
        let unlock = if args.keyring {
            Unlock::Keyring
        } else {
            Unlock::Passphrase {
                env_var: args.passphrase_env.clone(),
            }
        };
        let tor_network = match &args.tor_network {
            None => None,
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|e| {
                    anyhow::anyhow!("reading the Tor network file {}: {e}", path.display())
                })?;
                Some(serde_json::from_str(&text).map_err(|e| {
                    anyhow::anyhow!("the Tor network file {} is invalid: {e}", path.display())
                })?)
            }
        };
        Ok(Self {
            dir,
            unlock,
            tor_network,
        })
    }

    /// Options for the core: Arti keeps its state inside the profile.
    pub fn core_options(&self) -> sotto_core::CoreOptions {
        sotto_core::CoreOptions {
            profile_dir: Some(self.dir.clone()),
            tor_network: self.tor_network.clone(),
        }
    }

    /// Whether a profile exists in the directory.
    pub fn exists(&self) -> bool {
        SqlStore::exists(&self.dir)
    }

    /// Opens an existing profile. A missing profile or a wrong passphrase is
    /// exit code 3, and a wrong passphrase changes nothing on disk.
    pub fn open(&self) -> anyhow::Result<SqlStore> {
        self.open_with_key().map(|(store, _)| store)
    }

    /// Opens an existing profile, as [`Profile::open`], and returns the key
    /// that opened it too.
    pub fn open_with_key(&self) -> anyhow::Result<(SqlStore, ProfileKey)> {
        if !self.exists() {
            return Err(fail(
                Code::Profile,
                format!(
                    "no profile at {}; create one with `sotto account add`",
                    self.dir.display()
                ),
            ));
        }
        let key = match &self.unlock {
            Unlock::Passphrase { env_var } => passphrase_key(env_var, &self.dir, false)?,
            Unlock::Keyring => keyring_key::load(&self.dir)
                .map_err(|e| {
                    fail(
                        Code::Profile,
                        format!(
                            "cannot load the key of profile {} from the OS keyring: {e}",
                            self.dir.display()
                        ),
                    )
                })?
                .ok_or_else(|| {
                    fail(
                        Code::Profile,
                        format!(
                            "the OS keyring has no key for profile {}; was it created \
                             with a passphrase (then leave out --keyring)?",
                            self.dir.display()
                        ),
                    )
                })?,
        };
        let store = SqlStore::open(&self.dir, &key).map_err(|e| self.open_error(e))?;
        Ok((store, key))
    }

    /// Opens the profile, creating it first when it does not exist yet.
    /// Returns whether it was created.
    pub fn open_or_create(&self) -> anyhow::Result<(SqlStore, bool)> {
        if self.exists() {
            return Ok((self.open()?, false));
        }
        // The key first: a mistyped confirmation must leave nothing behind.
        let key = match &self.unlock {
            Unlock::Passphrase { env_var } => passphrase_key(env_var, &self.dir, true)?,
            Unlock::Keyring => keyring_key::generate_and_store(&self.dir).map_err(|e| {
                fail(
                    Code::Profile,
                    format!("cannot store a new profile key in the OS keyring: {e}"),
                )
            })?,
        };
        let store = SqlStore::create(&self.dir, &key).map_err(|e| {
            fail(
                Code::Profile,
                format!("creating the profile at {}: {e}", self.dir.display()),
            )
        })?;
        tracing::info!(dir = %self.dir.display(), "created a new profile");
        Ok((store, true))
    }

    fn open_error(&self, e: StoreError) -> anyhow::Error {
        match e {
            StoreError::WrongPassphrase => fail(
                Code::Profile,
                format!(
                    "wrong passphrase for profile {} (nothing was changed)",
                    self.dir.display()
                ),
            ),
            other => fail(
                Code::Profile,
                format!("opening the profile at {}: {other}", self.dir.display()),
            ),
        }
    }
}

/// The profile key from a passphrase: the environment variable when set,
/// else a prompt (twice when creating, so a typo cannot lock the user out).
fn passphrase_key(env_var: &str, dir: &Path, creating: bool) -> anyhow::Result<ProfileKey> {
    let passphrase = match std::env::var(env_var) {
        Ok(value) => Zeroizing::new(value),
        Err(std::env::VarError::NotUnicode(_)) => {
            return Err(fail(
                Code::Profile,
                format!("the environment variable {env_var} is not valid UTF-8"),
            ));
        }
        Err(std::env::VarError::NotPresent) => {
            let prompt = if creating {
                format!("New passphrase for profile {}: ", dir.display())
            } else {
                format!("Passphrase for profile {}: ", dir.display())
            };
            let hint = format!("or set {env_var}, or use --keyring");
            if creating {
                prompt_twice(&prompt, "Repeat the passphrase: ", &hint)
                    .map_err(|e| fail(Code::Profile, format!("{e:#}")))?
            } else {
                prompt_secret(&prompt, &hint).map_err(|e| fail(Code::Profile, format!("{e:#}")))?
            }
        }
    };
    if passphrase.is_empty() {
        return Err(fail(Code::Profile, "the passphrase must not be empty"));
    }
    Ok(ProfileKey::Passphrase(Password::new(
        passphrase.to_string(),
    )))
}

/// A secret (an account password): from `env_var` when given, else a prompt,
/// asked twice when `confirm` (a new password).
pub fn read_secret(
    env_var: Option<&str>,
    prompt: &str,
    confirm: bool,
) -> anyhow::Result<Zeroizing<String>> {
    let secret = match env_var {
        Some(var) => Zeroizing::new(std::env::var(var).map_err(|_| {
            anyhow::anyhow!("the environment variable {var} is not set (or not UTF-8)")
        })?),
        None => {
            let hint = "or pass --password-env VAR";
            if confirm {
                prompt_twice(prompt, "Repeat it: ", hint)?
            } else {
                prompt_secret(prompt, hint)?
            }
        }
    };
    if secret.is_empty() {
        anyhow::bail!("the password must not be empty");
    }
    Ok(secret)
}

fn prompt_secret(prompt: &str, hint: &str) -> anyhow::Result<Zeroizing<String>> {
    rpassword::prompt_password(prompt)
        .map(Zeroizing::new)
        .map_err(|e| anyhow::anyhow!("cannot prompt for a secret ({e}); {hint}"))
}

pub fn prompt_twice(prompt: &str, again: &str, hint: &str) -> anyhow::Result<Zeroizing<String>> {
    let first = prompt_secret(prompt, hint)?;
    let second = prompt_secret(again, hint)?;
    if *first != *second {
        anyhow::bail!("the two entries differ; nothing was changed");
    }
    Ok(first)
}
