// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! `sotto send TO TEXT`: go online, send, wait until the server has it.

use sotto_core::{Command, Request};
use sotto_store::MessageState;

use super::{choose_account, core_encryption, online_then};
use crate::cli::{EncryptionArg, WaitArgs};
use crate::exit::{Code, Failure, fail};
use crate::output::emit;
use crate::profile::Profile;
use crate::session::Core;
use crate::wait::{SendError, SendWaiter};

/// Sends one message and waits for the server's acknowledgement (or the
/// peer's receipt). Only once the account is online is the message handed
/// to the core, so a failed login leaves nothing queued behind.
pub fn run(
    profile: &Profile,
    to: &str,
    text: &str,
    encryption: Option<EncryptionArg>,
    account: Option<&str>,
    wait: WaitArgs,
) -> anyhow::Result<()> {
    if text.is_empty() {
        return Err(fail(Code::Usage, "the message text is empty"));
    }
    let store = profile.open()?;
    let account = choose_account(&store, account)?;
    let outcome = online_then(
        profile,
        store,
        &account,
        wait,
        "Nothing was sent.",
        async |core: &mut Core| {
            // One message per run: the process id tells it from another
            // `sotto send` on the same profile.
            let request = format!("send-{}", std::process::id());
            core.send_request(Request::new(
                request.clone(),
                Command::SendMessage {
                    account: account.clone(),
                    to: to.to_owned(),
                    body: text.to_owned(),
                    // Absent: the core's choice (OMEMO when the contact has devices).
                    encryption: encryption.map(core_encryption),
                },
            ))?;
            let mut waiter = SendWaiter::new(&account, to, &request);
            let result = core.wait_for(wait.duration(), &mut waiter).await?;
            if encryption == Some(EncryptionArg::Otr) {
                // The session lives only as long as this process: end it.
                core.send(Command::OtrEnd {
                    account: account.clone(),
                    jid: to.to_owned(),
                })?;
                tokio::time::sleep(std::time::Duration::from_millis(300)).await;
            }
            Ok(result.map_err(|e| send_failure(e, to)))
        },
    )?;
    match outcome {
        Ok(MessageState::Delivered) => emit(&format!("delivered to {to}\n")),
        Ok(MessageState::Sent) => emit(&format!(
            "sent to {to} (written to the server; it cannot acknowledge messages)\n"
        )),
        Ok(_) => emit(&format!("sent to {to} (the server has it)\n")),
        Err(failure) => Err(failure.into()),
    }
}

fn state_word(state: MessageState) -> &'static str {
    match state {
        MessageState::Queued => "queued",
        MessageState::Sent => "sent",
        MessageState::Acked => "acked",
        MessageState::Delivered => "delivered",
        MessageState::Failed => "failed",
        MessageState::Received => "received",
    }
}

fn send_failure(e: SendError, to: &str) -> Failure {
    let (code, message) = match e {
        SendError::Failed(Some(reason)) => (
            Code::Other,
            format!("the message to {to} could not be sent: {reason}"),
        ),
        SendError::Failed(None) => (
            Code::Network,
            format!("the message to {to} could not be sent"),
        ),
        SendError::Held(reason) => (
            Code::Other,
            format!(
                "the message to {to} was not sent: {}\n  It stays queued and goes with \
                 OMEMO once a device of theirs appears.",
                crate::output::sanitize(&reason)
            ),
        ),
        SendError::CommandFailed(reason) => (Code::Other, reason),
        SendError::TimedOut {
            last_state: None,
            after_secs,
        } => (
            Code::Network,
            format!("the message to {to} was not taken within {after_secs} s"),
        ),
        SendError::TimedOut {
            last_state: Some(state),
            after_secs,
        } => (
            Code::Network,
            format!(
                "the server did not acknowledge the message to {to} within {after_secs} s \
                 (it is {}); `sotto history {to}` shows its state, and a queued message \
                 goes out the next time the account is online",
                state_word(state)
            ),
        ),
    };
    Failure { code, message }
}
