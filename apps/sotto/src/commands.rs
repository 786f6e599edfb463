// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! One module per subcommand group. Commands that only read the profile
//! never start the core or a runtime; the others start both for as long as
//! they need the network.

mod account;
mod file;
mod omemo;
mod otr;
mod profile;
mod read;
mod run;
mod send;
mod tor;

use std::future::Future;
use std::time::Duration;

use sotto_core::api::OmemoTrust;
use sotto_store::{AccountStore as _, SettingsStore as _, SqlStore};

use crate::cli::{Cli, Command, WaitArgs};
use crate::exit::{Code, Failure, fail};
use crate::profile::Profile;
use crate::session::Core;
use crate::wait::ConnectWaiter;

/// Runs the parsed command line.
pub fn dispatch(cli: Cli) -> anyhow::Result<()> {
    let profile = Profile::from_args(&cli.global)?;
    match cli.command {
        Command::Account(cmd) => account::run(&profile, cmd),
        Command::Roster { account, json } => read::roster(&profile, account.as_deref(), json),
        Command::History {
            peer,
            limit,
            account,
            json,
        } => read::history(&profile, &peer, limit, account.as_deref(), json),
        Command::Search { text, limit, json } => read::search(&profile, &text, limit, json),
        Command::Send {
            to,
            text,
            encryption,
            account,
            wait,
        } => send::run(&profile, &to, &text, encryption, account.as_deref(), wait),
        Command::SendFile {
            to,
            path,
            encryption,
            account,
            wait,
        } => file::send(&profile, &to, &path, encryption, account.as_deref(), wait),
        Command::Save {
            url,
            path,
            account,
            wait,
        } => file::save(&profile, &url, &path, account.as_deref(), wait),
        Command::Fingerprints {
            jid,
            account,
            json,
            wait,
        } => omemo::fingerprints(&profile, jid.as_deref(), account.as_deref(), json, wait),
        Command::Trust(args) => omemo::trust(&profile, args, OmemoTrust::Verified),
        Command::Distrust(args) => omemo::trust(&profile, args, OmemoTrust::Distrusted),
        Command::Verify { uri, account, wait } => {
            omemo::verify(&profile, &uri, account.as_deref(), wait)
        }
        Command::Otr(cmd) => otr::run(&profile, cmd),
        Command::Tor { action, json } => tor::run(&profile, action, json),
        Command::Profile(cmd) => profile::run(&profile, cmd),
        Command::Run => run::run(&profile),
    }
}

/// Runs `future` on a fresh multi-threaded runtime. The runtime is not
/// waited for afterwards: a blocked read of stdin must not keep the process
/// alive once the core has stopped.
fn block_on<T>(future: impl Future<Output = anyhow::Result<T>>) -> anyhow::Result<T> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| anyhow::anyhow!("starting the async runtime: {e}"))?;
    let result = runtime.block_on(future);
    runtime.shutdown_timeout(Duration::from_millis(200));
    result
}

/// The core's name for the `--encryption` choice.
fn core_encryption(choice: crate::cli::EncryptionArg) -> sotto_core::Encryption {
    match choice {
        crate::cli::EncryptionArg::Omemo => sotto_core::Encryption::Omemo,
        crate::cli::EncryptionArg::Otr => sotto_core::Encryption::Otr,
        crate::cli::EncryptionArg::None => sotto_core::Encryption::Plain,
    }
}

/// Starts the core on `store`, waits until `account` is online (a failure
/// to get there ends the command, with `not_done` added to its message),
/// runs `then` with the core, and shuts the core down whatever happened.
fn online_then<T>(
    profile: &Profile,
    store: SqlStore,
    account: &str,
    wait: WaitArgs,
    not_done: &str,
    then: impl AsyncFnOnce(&mut Core) -> anyhow::Result<Result<T, Failure>>,
) -> anyhow::Result<Result<T, Failure>> {
    let via_tor = goes_through_tor(&store, account)?;
    block_on(async {
        let mut core = Core::start(store, profile.core_options());
        let result = async {
            let mut online = ConnectWaiter::new(account).through_tor(via_tor);
            if let Err(e) = core.wait_for(wait.duration(), &mut online).await? {
                return Ok(Err(e.into_failure(account, not_done)));
            }
            then(&mut core).await
        }
        .await;
        core.shutdown().await;
        result
    })
}

/// The account a command acts for: `--account` if given (it must exist),
/// else the profile's only account.
fn choose_account(store: &SqlStore, given: Option<&str>) -> anyhow::Result<String> {
    let accounts = store
        .accounts()
        .map_err(|e| anyhow::anyhow!("reading the accounts: {e}"))?;
    if let Some(jid) = given {
        return accounts
            .iter()
            .find(|a| a.settings.jid.eq_ignore_ascii_case(jid))
            .map(|a| a.settings.jid.clone())
            .ok_or_else(|| fail(Code::Usage, format!("no account {jid} in this profile")));
    }
    match accounts.as_slice() {
        [] => Err(fail(
            Code::Other,
            "the profile has no accounts; add one with `sotto account add JID`",
        )),
        [only] => Ok(only.settings.jid.clone()),
        several => {
            let jids: Vec<&str> = several.iter().map(|a| a.settings.jid.as_str()).collect();
            Err(fail(
                Code::Usage,
                format!(
                    "the profile has several accounts ({}); choose one with --account JID",
                    jids.join(", ")
                ),
            ))
        }
    }
}

/// Whether "Tor for everything" is on in the profile.
fn tor_everywhere(store: &SqlStore) -> anyhow::Result<bool> {
    let value = store
        .setting(sotto_core::TOR_EVERYWHERE)
        .map_err(|e| anyhow::anyhow!("reading the Tor setting: {e}"))?;
    Ok(value.as_deref() == Some("true"))
}

/// Whether the stored account `jid` goes only through the built-in Tor:
/// its own setting, or "Tor for everything".
fn goes_through_tor(store: &SqlStore, jid: &str) -> anyhow::Result<bool> {
    if tor_everywhere(store)? {
        return Ok(true);
    }
    let record = store
        .account(jid)
        .map_err(|e| anyhow::anyhow!("reading the account {jid}: {e}"))?;
    Ok(record.is_some_and(|r| r.settings.tor))
}
