// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! `sotto profile passphrase|keyring`: re-protects the profile. Only the
//! profile is involved, so no core and no network: the store re-encrypts
//! itself (`ProfileKeyStore::change_protection`), the same operation the
//! core runs for the desktop app's settings.

use sotto_store::{Password, ProfileKey, ProfileKeyStore as _, Protection, StoreError};
use zeroize::Zeroizing;

use crate::cli::ProfileCommand;
use crate::exit::{Code, fail};
use crate::output::emit;
use crate::profile::{Profile, prompt_twice};

/// Runs `sotto profile …`.
pub fn run(profile: &Profile, cmd: ProfileCommand) -> anyhow::Result<()> {
    let (store, key) = profile.open_with_key()?;
    let current = match key {
        ProfileKey::Passphrase(p) => Protection::Passphrase(p),
        ProfileKey::Raw(_) => Protection::Keyring,
    };
    let new = match cmd {
        ProfileCommand::Passphrase { new_passphrase_env } => {
            Protection::Passphrase(new_passphrase(new_passphrase_env.as_deref())?)
        }
        ProfileCommand::Keyring => Protection::Keyring,
    };
    let changed = store
        .change_protection(&current, &new)
        .map_err(|e| match e {
            StoreError::InvalidInput(why) => {
                fail(Code::Usage, format!("{why}; nothing was changed"))
            }
            other => anyhow::anyhow!("changing the protection of the profile: {other}"),
        })?;
    if let Some(warning) = &changed.warning {
        eprintln!("warning: {warning}");
    }
    emit(&if changed.keyring {
        format!(
            "The key of profile {} is now kept in the OS keyring; unlock with --keyring.\n",
            profile.dir.display()
        )
    } else {
        format!(
            "Profile {} now opens with the new passphrase.\n",
            profile.dir.display()
        )
    })
}

fn new_passphrase(env_var: Option<&str>) -> anyhow::Result<Password> {
    let passphrase = match env_var {
        Some(var) => Zeroizing::new(std::env::var(var).map_err(|_| {
            fail(
                Code::Usage,
                format!("the environment variable {var} is not set (or not UTF-8)"),
            )
        })?),
        None => prompt_twice(
            "New passphrase: ",
            "Repeat the new passphrase: ",
            "or pass --new-passphrase-env VAR",
        )?,
    };
    if passphrase.is_empty() {
        return Err(fail(Code::Usage, "the new passphrase must not be empty"));
    }
    Ok(Password::new(passphrase.to_string()))
}
