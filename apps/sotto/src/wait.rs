// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! What the one-shot commands wait for, as pure state machines over core
//! [`Event`]s: fed one event at a time, they say when the wait is over and
//! how. The async loop around them (timeouts, Ctrl-C) is in `session.rs`.

use sotto_core::{ConnectionState, Event, MissingFeature};
use sotto_store::MessageState;

use crate::exit::{Code, Failure};

mod file;
mod omemo;
mod tor;
pub use file::{FileDone, FileError, FileWaiter};
pub use omemo::{OmemoAnswer, OmemoError, OmemoWaiter};
pub use tor::{TorSwitchWaiter, TorWatch};

/// How an attempt to bring an account online ended badly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConnectError {
    /// The system does not trust the server's certificate.
    CertificateUntrusted {
        /// Its SHA-256 fingerprint, hex.
        sha256: String,
        /// Why it was refused.
        reason: String,
    },
    /// The server's certificate is not the pinned one.
    CertificateChanged {
        /// The pinned fingerprint.
        pinned: String,
        /// The presented one.
        presented: String,
    },
    /// The server refused the credentials.
    Authentication {
        /// Why.
        reason: String,
    },
    /// The server refused the login's channel binding (not the password).
    ChannelBinding {
        /// The core's explanation.
        reason: String,
    },
    /// The core refused or failed the command.
    CommandFailed {
        /// Why.
        reason: String,
    },
    /// Offline and the core will not retry by itself.
    Offline {
        /// Why.
        reason: String,
    },
    /// The account goes only through the built-in Tor, which did not become
    /// ready; nothing was tried directly.
    TorNotReady {
        /// Tor's last status or failure.
        status: String,
    },
    /// Online, but the server did not answer in time.
    Unconfirmed {
        /// How long we waited, in seconds.
        after_secs: u64,
    },
    /// Gave up waiting.
    TimedOut {
        /// The last reason the account was offline, if any.
        last_reason: Option<String>,
        /// How long we waited, in seconds.
        after_secs: u64,
    },
}

impl ConnectError {
    /// The error a person reads, with what to do next, and its exit code.
    /// `stored_note` is appended where the account is in the profile anyway.
    pub fn into_failure(self, jid: &str, stored_note: &str) -> Failure {
        let (code, message) = match self {
            Self::CertificateUntrusted { sha256, reason } => (
                Code::Certificate,
                format!(
                    "the server certificate for {jid} is not trusted: {reason}\n\
                     \x20 SHA-256 fingerprint: {sha256}\n\
                     Compare it with the one the server's operator publishes. If it matches, trust it with\n\
                     \x20 sotto account pin {jid} {sha256}\n\
                     (or pass --pin-cert {sha256} to `sotto account add`)."
                ),
            ),
            Self::CertificateChanged { pinned, presented } => (
                Code::Certificate,
                format!(
                    "the server for {jid} presented a different certificate than the pinned one\n\
                     \x20 pinned:    {pinned}\n\
                     \x20 presented: {presented}\n\
                     This is what an attack looks like, or the server's certificate was replaced.\n\
                     Only if its operator confirms the new fingerprint, run\n\
                     \x20 sotto account pin {jid} {presented}"
                ),
            ),
            Self::Authentication { reason } => (
                Code::Authentication,
                format!(
                    "the server refused the credentials of {jid}: {reason}\n\
                     If the stored password is wrong, remove the account with \
                     `sotto account remove {jid}` and add it again."
                ),
            ),
            Self::ChannelBinding { reason } => (
                Code::Authentication,
                format!(
                    "{jid} could not log in: {reason}.\n\
                     The stored password was not rejected: keep the account. If the server is \
                     yours, check its channel-binding support; otherwise try again from another \
                     network, since an intercepting proxy causes this too."
                ),
            ),
            Self::CommandFailed { reason } => (Code::Other, format!("{jid}: {reason}")),
            Self::Offline { reason } => (
                Code::Network,
                format!("{jid} could not go online: {reason}"),
            ),
            Self::TorNotReady { status } => (
                Code::Network,
                format!(
                    "{jid}: Tor is not ready: {status}; the account stays offline, \
                     nothing was sent directly"
                ),
            ),
            Self::Unconfirmed { after_secs } => (
                Code::Network,
                format!("the server did not answer for {jid} within {after_secs} s"),
            ),
            Self::TimedOut {
                last_reason,
                after_secs,
            } => (
                Code::Network,
                match last_reason {
                    Some(reason) => format!(
                        "{jid} did not come online within {after_secs} s; last error: {reason}"
                    ),
                    None => format!("{jid} did not come online within {after_secs} s"),
                },
            ),
        };
        let message = if stored_note.is_empty() {
            message
        } else {
            format!("{message}\n{stored_note}")
        };
        Failure { code, message }
    }
}

/// Something a command waits for, fed one core event at a time.
pub trait Waiter {
    /// What a successful wait yields.
    type Output;
    /// What a failed one yields.
    type Error;
    /// Feeds one event.
    fn on_event(&mut self, event: &Event) -> Step<Self::Output, Self::Error>;
    /// How the wait ends when time is up (or the settling moment passed).
    fn give_up(&self, after_secs: u64) -> Self::Error;
    /// A progress line for the user (stderr), after an event.
    fn progress(&mut self) -> Option<String> {
        None
    }
}

/// What a person should read about an event whatever the command waits for:
/// what the account's server lacks, once per login.
pub fn notices(event: &Event) -> Vec<String> {
    match event {
        Event::ServerFeatures { account, missing } => missing
            .iter()
            // OMEMO's own warning (`omemo_unavailable`) tells what a
            // missing PEP means, and what still works.
            .filter(|feature| **feature != MissingFeature::Pep)
            .map(|feature| {
                let account = crate::output::sanitize(account);
                format!("note: {account}: {}", feature.explain())
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// The result of feeding one event to a waiter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step<T, E> {
    /// Keep waiting.
    Pending,
    /// Probably over: wait a moment for a more specific event (the core may
    /// report "offline" before saying why), then end with the waiter's
    /// [`ConnectWaiter::give_up`].
    Settling,
    /// Over.
    Done(Result<T, E>),
}

/// Waits until an account is online.
#[derive(Debug, Clone)]
pub struct ConnectWaiter {
    account: String,
    /// For `account pin`: events about a certificate matching this pin come
    /// from the attempt before the pin took effect and are ignored.
    new_pin: Option<String>,
    last_reason: Option<String>,
    stalled: Option<String>,
    /// Set when the account goes only through the built-in Tor.
    tor: Option<TorWatch>,
    /// Set when the core reported in-band registration of the account.
    pub registered: bool,
}

impl ConnectWaiter {
    /// Waits for `account` to come online.
    pub fn new(account: &str) -> Self {
        Self {
            account: account.to_owned(),
            new_pin: None,
            last_reason: None,
            stalled: None,
            tor: None,
            registered: false,
        }
    }

    /// For an account that goes only through the built-in Tor (its own
    /// setting or "Tor for everything"): show Tor's progress, and blame Tor
    /// when it is not ready at the end.
    pub fn through_tor(mut self, tor: bool) -> Self {
        self.tor = tor.then(TorWatch::default);
        self
    }

    /// Waits for `account` to come online after pinning `sha256`.
    pub fn after_pin(account: &str, sha256: &str) -> Self {
        Self {
            new_pin: Some(sha256.to_ascii_lowercase()),
            ..Self::new(account)
        }
    }

    fn is_ours(&self, account: &str) -> bool {
        account.eq_ignore_ascii_case(&self.account)
    }
}

impl Waiter for ConnectWaiter {
    /// The bound full JID.
    type Output = String;
    type Error = ConnectError;

    fn on_event(&mut self, event: &Event) -> Step<String, ConnectError> {
        if let Some(tor) = &mut self.tor {
            tor.on_event(event);
        }
        let pin = self.new_pin.as_deref();
        match event {
            Event::Connection { account, state } if self.is_ours(account) => match state {
                ConnectionState::Online { jid, .. } => Step::Done(Ok(jid.clone())),
                ConnectionState::Offline {
                    reason,
                    retry_in_ms,
                } => {
                    self.last_reason = Some(reason.clone());
                    // After a pin the core reconnects by itself; an offline
                    // state may be the pre-pin attempt's, so only time ends it.
                    if retry_in_ms.is_none() && pin.is_none() {
                        self.stalled = Some(reason.clone());
                        Step::Settling
                    } else {
                        Step::Pending
                    }
                }
                ConnectionState::Connecting | ConnectionState::Disabled => Step::Pending,
            },
            Event::CertificateUntrusted {
                account,
                sha256,
                reason,
            } if self.is_ours(account) => {
                if pin.is_some_and(|p| sha256.eq_ignore_ascii_case(p)) {
                    return Step::Pending;
                }
                Step::Done(Err(ConnectError::CertificateUntrusted {
                    sha256: sha256.clone(),
                    reason: reason.clone(),
                }))
            }
            Event::CertificateChanged {
                account,
                pinned_sha256,
                presented_sha256,
            } if self.is_ours(account) => {
                if pin.is_some_and(|p| !pinned_sha256.eq_ignore_ascii_case(p)) {
                    // Reported against the previous pin.
                    return Step::Pending;
                }
                Step::Done(Err(ConnectError::CertificateChanged {
                    pinned: pinned_sha256.clone(),
                    presented: presented_sha256.clone(),
                }))
            }
            Event::AuthenticationFailed { account, reason } if self.is_ours(account) => {
                Step::Done(Err(ConnectError::Authentication {
                    reason: reason.clone(),
                }))
            }
            Event::ChannelBindingRejected { account, reason } if self.is_ours(account) => {
                Step::Done(Err(ConnectError::ChannelBinding {
                    reason: reason.clone(),
                }))
            }
            Event::CommandFailed {
                account: Some(account),
                reason,
                ..
            } if self.is_ours(account) => Step::Done(Err(ConnectError::CommandFailed {
                reason: reason.clone(),
            })),
            Event::AccountRegistered { account } if self.is_ours(account) => {
                self.registered = true;
                Step::Pending
            }
            _ => Step::Pending,
        }
    }

    fn give_up(&self, after_secs: u64) -> ConnectError {
        if let Some(tor) = self.tor.as_ref().filter(|t| !t.ready()) {
            return ConnectError::TorNotReady {
                status: tor.reason(self.last_reason.as_deref()),
            };
        }
        match &self.stalled {
            Some(reason) => ConnectError::Offline {
                reason: reason.clone(),
            },
            None => ConnectError::TimedOut {
                last_reason: self.last_reason.clone(),
                after_secs,
            },
        }
    }

    fn progress(&mut self) -> Option<String> {
        self.tor.as_mut().and_then(TorWatch::take_line)
    }
}

/// How sending one message ended badly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendError {
    /// The message is marked failed, with the reason the core gave.
    Failed(Option<String>),
    /// The message is held (still queued): sending it as chosen would
    /// lower its protection. The core's reason.
    Held(String),
    /// The core refused the command.
    CommandFailed(String),
    /// Gave up waiting.
    TimedOut {
        /// The last state seen, if the core stored the message at all.
        last_state: Option<MessageState>,
        /// How long we waited, in seconds.
        after_secs: u64,
    },
}

/// Waits for the server to confirm a password change.
#[derive(Debug, Clone)]
pub struct PasswordWaiter {
    account: String,
}

impl PasswordWaiter {
    /// Waits for the password change of `account`.
    pub fn new(account: &str) -> Self {
        Self {
            account: account.to_owned(),
        }
    }
}

impl Waiter for PasswordWaiter {
    type Output = ();
    type Error = ConnectError;

    fn on_event(&mut self, event: &Event) -> Step<(), ConnectError> {
        match event {
            Event::PasswordChanged { account, .. }
                if account.eq_ignore_ascii_case(&self.account) =>
            {
                Step::Done(Ok(()))
            }
            Event::CommandFailed {
                account: Some(account),
                reason,
                ..
            } if account.eq_ignore_ascii_case(&self.account) => {
                Step::Done(Err(ConnectError::CommandFailed {
                    reason: reason.clone(),
                }))
            }
            _ => Step::Pending,
        }
    }

    fn give_up(&self, after_secs: u64) -> ConnectError {
        ConnectError::Unconfirmed { after_secs }
    }
}

/// Follows one outgoing message from `MessageAdded` to acked or delivered.
/// The message is recognised by the request id its `send_message` carried
/// (the core echoes it in `message_added` or `command_failed`), never by
/// its text.
#[derive(Debug, Clone)]
pub struct SendWaiter {
    account: String,
    /// The recipient (whose skipped OMEMO devices are told).
    to: String,
    request: String,
    /// Local id, once the core has stored the message.
    pub id: Option<i64>,
    /// The last state seen.
    pub state: Option<MessageState>,
    /// The last failure the core reported for the account once the message
    /// was stored: the reason it is then marked failed (OMEMO reports so).
    failure: Option<String>,
    /// Progress lines not yet shown.
    notes: Vec<String>,
    /// The server has no stream management (told by `server_features`):
    /// nothing will acknowledge the message, so written is as far as it goes.
    no_acks: bool,
}

impl SendWaiter {
    /// Follows the message to `to` that `send_message` with this
    /// `request` id stores for `account`.
    pub fn new(account: &str, to: &str, request: &str) -> Self {
        Self {
            account: account.to_owned(),
            to: to.to_owned(),
            request: request.to_owned(),
            id: None,
            state: None,
            failure: None,
            notes: Vec::new(),
            no_acks: false,
        }
    }
}

impl Waiter for SendWaiter {
    /// The state that ended the wait: acked or delivered.
    type Output = MessageState;
    type Error = SendError;

    fn on_event(&mut self, event: &Event) -> Step<MessageState, SendError> {
        match event {
            Event::MessageAdded {
                account,
                message,
                request: Some(request),
            } if self.id.is_none()
                && *request == self.request
                && account.eq_ignore_ascii_case(&self.account) =>
            {
                self.id = Some(message.id);
                self.update(message.state)
            }
            Event::MessageStateChanged {
                account, id, state, ..
            } if Some(*id) == self.id && account.eq_ignore_ascii_case(&self.account) => {
                self.update(*state)
            }
            Event::CommandFailed {
                request: Some(request),
                reason,
                ..
            } if self.id.is_none() && *request == self.request => {
                Step::Done(Err(SendError::CommandFailed(reason.clone())))
            }
            Event::CommandFailed {
                account: Some(account),
                reason,
                ..
            } if self.id.is_some() && account.eq_ignore_ascii_case(&self.account) => {
                // The state change to failed follows.
                self.failure = Some(reason.clone());
                Step::Pending
            }
            Event::MessageHeld {
                account,
                id,
                reason,
                ..
            } if Some(*id) == self.id && account.eq_ignore_ascii_case(&self.account) => {
                Step::Done(Err(SendError::Held(reason.clone())))
            }
            Event::OmemoDeviceSkipped {
                account,
                jid,
                device_id,
                reason,
            } if account.eq_ignore_ascii_case(&self.account)
                && (jid.eq_ignore_ascii_case(&self.to) || jid.eq_ignore_ascii_case(account)) =>
            {
                self.notes.push(format!(
                    "OMEMO: left out {} device {device_id}: {}",
                    crate::output::sanitize(jid),
                    crate::output::sanitize(reason)
                ));
                Step::Pending
            }
            Event::OmemoUnavailable { account, reason }
                if account.eq_ignore_ascii_case(&self.account) =>
            {
                self.notes.push(omemo_unavailable_note(account, reason));
                Step::Pending
            }
            Event::ServerFeatures { account, missing }
                if account.eq_ignore_ascii_case(&self.account) =>
            {
                self.no_acks = missing.contains(&MissingFeature::StreamManagement);
                Step::Pending
            }
            _ => Step::Pending,
        }
    }

    fn give_up(&self, after_secs: u64) -> SendError {
        SendError::TimedOut {
            last_state: self.state,
            after_secs,
        }
    }

    fn progress(&mut self) -> Option<String> {
        (!self.notes.is_empty()).then(|| std::mem::take(&mut self.notes).join("\n"))
    }
}

impl SendWaiter {
    fn update(&mut self, state: MessageState) -> Step<MessageState, SendError> {
        self.state = Some(state);
        match state {
            MessageState::Acked | MessageState::Delivered => Step::Done(Ok(state)),
            MessageState::Sent if self.no_acks => Step::Done(Ok(state)),
            MessageState::Failed => Step::Done(Err(SendError::Failed(self.failure.take()))),
            MessageState::Queued | MessageState::Sent | MessageState::Received => Step::Pending,
        }
    }
}

/// The line telling the user that OMEMO could not be set up (the core
/// says so once per reason; messaging goes on).
pub fn omemo_unavailable_note(account: &str, reason: &str) -> String {
    format!(
        "warning: OMEMO is unavailable for {}: {}\n\
         \x20 Unencrypted messages are still sent; a message that is to go with OMEMO is not.",
        crate::output::sanitize(account),
        crate::output::sanitize(reason)
    )
}

#[cfg(test)]
mod tests;
