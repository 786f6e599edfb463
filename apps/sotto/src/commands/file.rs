// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! `sotto send-file TO PATH` and `sotto save URL PATH`: go online, move the
//! file through the core (`send_file` / `save_file`), report progress on
//! stderr, and wait until the link's message is with the server, or the
//! file is written.

use std::path::Path;

use sotto_core::Command;
use sotto_store::MessageState;

use super::{choose_account, core_encryption, online_then};
use crate::cli::{EncryptionArg, WaitArgs};
use crate::exit::{Code, Failure, fail};
use crate::output::emit;
use crate::profile::Profile;
use crate::session::Core;
use crate::wait::{FileDone, FileError, FileWaiter};

/// The transfer's name in the core (one per process).
const ID: &str = "cli";

/// Runs `sotto send-file`.
pub fn send(
    profile: &Profile,
    to: &str,
    path: &Path,
    encryption: Option<EncryptionArg>,
    account: Option<&str>,
    wait: WaitArgs,
) -> anyhow::Result<()> {
    if !path.is_file() {
        return Err(fail(
            Code::Usage,
            format!("{} is not a readable file", path.display()),
        ));
    }
    let command = |account: &str| Command::SendFile {
        account: account.to_owned(),
        to: to.to_owned(),
        path: path.to_string_lossy().into_owned(),
        id: ID.into(),
        encryption: encryption.map(core_encryption),
    };
    match transfer(profile, account, wait, command, |a| {
        FileWaiter::upload(a, ID, to)
    })? {
        FileDone::Sent(MessageState::Delivered) => emit(&format!("delivered to {to}\n")),
        _ => emit(&format!("sent to {to} (the server has the link)\n")),
    }
}

/// Runs `sotto save`.
pub fn save(
    profile: &Profile,
    url: &str,
    path: &Path,
    account: Option<&str>,
    wait: WaitArgs,
) -> anyhow::Result<()> {
    if sotto_core::file_link(url).is_none() {
        return Err(fail(
            Code::Usage,
            "not a file link: expected one https:// or aesgcm:// URL",
        ));
    }
    let command = |account: &str| Command::SaveFile {
        account: account.to_owned(),
        peer: String::new(),
        url: url.trim().to_owned(),
        path: path.to_string_lossy().into_owned(),
        id: ID.into(),
    };
    match transfer(profile, account, wait, command, |a| {
        FileWaiter::download(a, ID)
    })? {
        FileDone::Saved(path) => emit(&format!("saved to {path}\n")),
        FileDone::Sent(_) => Ok(()),
    }
}

/// Brings the account online, sends the command and follows the transfer.
fn transfer(
    profile: &Profile,
    account: Option<&str>,
    wait: WaitArgs,
    command: impl FnOnce(&str) -> Command,
    waiter: impl FnOnce(&str) -> FileWaiter,
) -> anyhow::Result<FileDone> {
    let store = profile.open()?;
    let account = choose_account(&store, account)?;
    let outcome = online_then(
        profile,
        store,
        &account,
        wait,
        "Nothing was sent.",
        async |core: &mut Core| {
            core.send(command(&account))?;
            let result = core
                .wait_for(wait.duration(), &mut waiter(&account))
                .await?;
            Ok(result.map_err(failure))
        },
    )?;
    outcome.map_err(Into::into)
}

fn failure(e: FileError) -> Failure {
    let (code, message) = match e {
        FileError::Failed(reason) => (Code::Other, reason),
        FileError::LinkFailed => (
            Code::Network,
            "the file was uploaded, but the message with its link failed".to_owned(),
        ),
        FileError::CommandFailed(reason) => (Code::Other, reason),
        FileError::TimedOut { last, after_secs } => (
            Code::Network,
            format!("the transfer did not finish within {after_secs} s ({last})"),
        ),
    };
    Failure { code, message }
}
