// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! `sotto account …`. Adding, pinning and changing the password go online
//! through the core; listing, enabling and removing only touch the profile.

use sotto_core::{Command, Secret, ServerOptions};
use sotto_store::{AccountRecord, AccountStore as _, SqlStore};

use super::{block_on, goes_through_tor, tor_everywhere};
use crate::cli::{AccountCommand, WaitArgs};
use crate::exit::{Code, fail};
use crate::output::{self, emit};
use crate::profile::{Profile, read_secret};
use crate::session::Core;
use crate::wait::{ConnectError, ConnectWaiter, PasswordWaiter};

/// Runs one `account` subcommand.
pub fn run(profile: &Profile, cmd: AccountCommand) -> anyhow::Result<()> {
    match cmd {
        AccountCommand::Add {
            jid,
            password_env,
            host,
            port,
            direct_tls,
            pin_cert,
            register,
            tor,
            proxy,
            wait,
        } => {
            let server = ServerOptions {
                host,
                port,
                direct_tls,
                pinned_cert_sha256: pin_cert,
                tor,
                proxy,
            };
            add(
                profile,
                &jid,
                password_env.as_deref(),
                server,
                register,
                wait,
            )
        }
        AccountCommand::Pin { jid, sha256, wait } => pin(profile, &jid, &sha256, wait),
        AccountCommand::List { json } => list(profile, json),
        AccountCommand::Remove { jid } => remove(profile, &jid),
        AccountCommand::Enable { jid } => set_enabled(profile, &jid, true),
        AccountCommand::Disable { jid } => set_enabled(profile, &jid, false),
        AccountCommand::Password {
            jid,
            password_env,
            wait,
        } => password(profile, &jid, password_env.as_deref(), wait),
    }
}

fn add(
    profile: &Profile,
    jid: &str,
    password_env: Option<&str>,
    server: ServerOptions,
    register: bool,
    wait: WaitArgs,
) -> anyhow::Result<()> {
    let (store, created) = profile.open_or_create()?;
    if created {
        eprintln!("Created a new profile at {}", profile.dir.display());
    }
    if find(&store, jid)?.is_some() {
        return Err(fail(
            Code::Other,
            format!(
                "{jid} is already in this profile; see `sotto account pin`, \
                 `sotto account password` or `sotto account remove`"
            ),
        ));
    }
    let prompt = if register {
        format!("New password for {jid}: ")
    } else {
        format!("Password for {jid}: ")
    };
    // Registration sets the password, so it is asked twice like any new one.
    let password = read_secret(password_env, &prompt, register)?;
    let via_tor = server.tor || tor_everywhere(&store)?;
    let command = Command::AddAccount {
        jid: jid.to_owned(),
        password: Secret::new(password.as_str()),
        server,
        register,
    };
    drop(password);

    let outcome = block_on(async {
        let mut core = Core::start(store.clone(), profile.core_options());
        let mut waiter = ConnectWaiter::new(jid).through_tor(via_tor);
        let result = match core.send(command) {
            Ok(()) => core.wait_for(wait.duration(), &mut waiter).await,
            Err(e) => Err(e),
        };
        core.shutdown().await;
        Ok((result?, waiter.registered))
    });
    let (result, registered) = outcome?;
    if registered {
        emit(&format!("{jid} was registered on the server\n"))?;
    }
    match result {
        Ok(_full_jid) => emit(&format!("{jid} is online\n")),
        Err(e) => {
            // Say where the account is only if it really is there.
            let note = match find(&store, jid) {
                Ok(Some(_)) => format!(
                    "The account stays stored in the profile (see `sotto account list`); \
                     fix the problem and try again, or remove it with \
                     `sotto account remove {jid}`."
                ),
                _ => String::new(),
            };
            Err(e.into_failure(jid, &note).into())
        }
    }
}

fn pin(profile: &Profile, jid: &str, sha256: &str, wait: WaitArgs) -> anyhow::Result<()> {
    let store = profile.open()?;
    let jid = require(&store, jid)?.settings.jid;
    let via_tor = goes_through_tor(&store, &jid)?;
    let command = Command::PinCertificate {
        account: jid.clone(),
        sha256: sha256.to_owned(),
    };
    let result = block_on(async {
        let mut core = Core::start(store, profile.core_options());
        let mut waiter = ConnectWaiter::after_pin(&jid, sha256).through_tor(via_tor);
        let result = match core.send(command) {
            Ok(()) => core.wait_for(wait.duration(), &mut waiter).await,
            Err(e) => Err(e),
        };
        core.shutdown().await;
        result
    })?;
    match result {
        Ok(_) => emit(&format!("pinned {sha256} for {jid}; {jid} is online\n")),
        Err(e) => Err(e.into_failure(&jid, "").into()),
    }
}

fn list(profile: &Profile, json: bool) -> anyhow::Result<()> {
    let store = profile.open()?;
    let accounts: Vec<_> = store
        .accounts()
        .map_err(|e| anyhow::anyhow!("reading the accounts: {e}"))?
        .into_iter()
        .map(|a| a.settings)
        .collect();
    if json {
        emit(&output::json(&accounts)?)
    } else {
        emit(&output::accounts(&accounts))
    }
}

fn remove(profile: &Profile, jid: &str) -> anyhow::Result<()> {
    let store = profile.open()?;
    let jid = require(&store, jid)?.settings.jid;
    store
        .remove_account(&jid)
        .map_err(|e| anyhow::anyhow!("removing {jid}: {e}"))?;
    emit(&format!(
        "removed {jid} and its roster and history from the profile\n"
    ))
}

fn set_enabled(profile: &Profile, jid: &str, enabled: bool) -> anyhow::Result<()> {
    let store = profile.open()?;
    let mut record = require(&store, jid)?;
    record.settings.enabled = enabled;
    store
        .upsert_account(&record)
        .map_err(|e| anyhow::anyhow!("saving {}: {e}", record.settings.jid))?;
    emit(&format!(
        "{} is {}\n",
        record.settings.jid,
        if enabled { "enabled" } else { "disabled" }
    ))
}

fn password(
    profile: &Profile,
    jid: &str,
    password_env: Option<&str>,
    wait: WaitArgs,
) -> anyhow::Result<()> {
    let store = profile.open()?;
    let record = require(&store, jid)?;
    let jid = record.settings.jid;
    if !record.settings.enabled {
        return Err(fail(
            Code::Other,
            format!("{jid} is disabled; enable it with `sotto account enable {jid}` first"),
        ));
    }
    let via_tor = goes_through_tor(&store, &jid)?;
    let new_password = read_secret(password_env, &format!("New password for {jid}: "), true)?;
    let command = Command::ChangePassword {
        account: jid.clone(),
        new_password: Secret::new(new_password.as_str()),
    };
    drop(new_password);
    let result = block_on(async {
        let mut core = Core::start(store, profile.core_options());
        let result = async {
            match core
                .wait_for(
                    wait.duration(),
                    &mut ConnectWaiter::new(&jid).through_tor(via_tor),
                )
                .await?
            {
                Ok(_) => {}
                Err(e) => return Ok(Err(e)),
            }
            core.send(command)?;
            core.wait_for(wait.duration(), &mut PasswordWaiter::new(&jid))
                .await
        }
        .await;
        core.shutdown().await;
        result
    })?;
    match result {
        Ok(()) => emit(&format!(
            "changed the password of {jid} on the server and in the profile\n"
        )),
        Err(e) => {
            let note = if matches!(e, ConnectError::Unconfirmed { .. }) {
                "The server did not confirm the change; the profile keeps the old password. \
                 Check by logging in with the new one elsewhere before trying again."
            } else {
                "The password was not changed."
            };
            Err(e.into_failure(&jid, note).into())
        }
    }
}

fn find(store: &SqlStore, jid: &str) -> anyhow::Result<Option<AccountRecord>> {
    // Accounts are few; a case-insensitive scan avoids guessing how the
    // core normalised the JID when it stored it.
    Ok(store
        .accounts()
        .map_err(|e| anyhow::anyhow!("reading the accounts: {e}"))?
        .into_iter()
        .find(|a| a.settings.jid.eq_ignore_ascii_case(jid)))
}

fn require(store: &SqlStore, jid: &str) -> anyhow::Result<AccountRecord> {
    find(store, jid)?.ok_or_else(|| {
        fail(
            Code::Other,
            format!("no account {jid} in this profile (see `sotto account list`)"),
        )
    })
}
