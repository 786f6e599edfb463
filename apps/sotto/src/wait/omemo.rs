// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! Waiting for the core's `omemo_fingerprints` answer to
//! `get_omemo_fingerprints`, `set_omemo_trust` and `verify_omemo_uri`.
//!
//! A `command_failed` does not end the wait at once: the core reports some
//! failures (a URI fingerprint that does not match, a decision it could not
//! save) and still answers with the devices. So a failure lets the wait
//! settle briefly for the answer, and both are reported.

use sotto_core::Event;
use sotto_core::api::OmemoDevice;

use super::{Step, Waiter};

/// The core's answer: our device and the devices of `jid`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OmemoAnswer {
    /// This device.
    pub own: OmemoDevice,
    /// Our verification URI.
    pub own_uri: String,
    /// Whose devices follow.
    pub jid: String,
    /// Their devices.
    pub devices: Vec<OmemoDevice>,
    /// Failures the core reported for the account meanwhile.
    pub failures: Vec<String>,
}

/// How waiting for the answer ended badly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OmemoError {
    /// The core refused or failed the command, and did not answer.
    Failed(Vec<String>),
    /// Nothing came in time.
    TimedOut {
        /// How long we waited, in seconds.
        after_secs: u64,
    },
}

impl OmemoError {
    /// The message a person reads.
    pub fn message(&self, account: &str) -> String {
        match self {
            Self::Failed(reasons) => format!("{account}: {}", reasons.join("; ")),
            Self::TimedOut { after_secs } => {
                format!("{account}: no answer about OMEMO devices within {after_secs} s")
            }
        }
    }
}

/// Waits for the `omemo_fingerprints` answer for `account` (about `jid`
/// when given).
#[derive(Debug, Clone)]
pub struct OmemoWaiter {
    account: String,
    jid: Option<String>,
    failures: Vec<String>,
}

impl OmemoWaiter {
    /// Waits for the answer about `jid` (any JID when `None`).
    pub fn new(account: &str, jid: Option<&str>) -> Self {
        Self {
            account: account.to_owned(),
            jid: jid.map(str::to_owned),
            failures: Vec::new(),
        }
    }
}

impl Waiter for OmemoWaiter {
    type Output = OmemoAnswer;
    type Error = OmemoError;

    fn on_event(&mut self, event: &Event) -> Step<OmemoAnswer, OmemoError> {
        match event {
            Event::OmemoFingerprints {
                account,
                own,
                own_uri,
                jid,
                devices,
                ..
            } if account.eq_ignore_ascii_case(&self.account)
                && self
                    .jid
                    .as_ref()
                    .is_none_or(|j| j.eq_ignore_ascii_case(jid)) =>
            {
                Step::Done(Ok(OmemoAnswer {
                    own: own.clone(),
                    own_uri: own_uri.clone(),
                    jid: jid.clone(),
                    devices: devices.clone(),
                    failures: std::mem::take(&mut self.failures),
                }))
            }
            Event::CommandFailed {
                account: Some(account),
                reason,
                ..
            } if account.eq_ignore_ascii_case(&self.account) => {
                self.failures.push(reason.clone());
                Step::Settling
            }
            _ => Step::Pending,
        }
    }

    fn give_up(&self, after_secs: u64) -> OmemoError {
        if self.failures.is_empty() {
            OmemoError::TimedOut { after_secs }
        } else {
            OmemoError::Failed(self.failures.clone())
        }
    }
}

#[cfg(test)]
mod tests {
    use sotto_core::api::OmemoTrust;

    use super::*;

    const A: &str = "alice@example.org";

    fn device(jid: &str, id: u32) -> OmemoDevice {
        OmemoDevice {
            jid: jid.into(),
            device_id: id,
            fingerprint: "0a1b2c3d ".repeat(8).trim_end().into(),
            trust: OmemoTrust::Verified,
            active: true,
            namespaces: vec!["omemo2".into()],
            problem: None,
        }
    }

    fn answer(account: &str, jid: &str) -> Event {
        Event::OmemoFingerprints {
            account: account.into(),
            own: device(A, 1),
            own_uri: "xmpp:alice@example.org?omemo-sid-1=00".into(),
            jid: jid.into(),
            devices: vec![device(jid, 2)],
            request: None,
        }
    }

    fn failed(account: &str, reason: &str) -> Event {
        Event::CommandFailed {
            account: Some(account.into()),
            reason: reason.into(),
            request: None,
        }
    }

    #[test]
    fn waits_for_the_answer_about_its_jid() {
        let mut w = OmemoWaiter::new(A, Some("bob@example.org"));
        let other = answer("carol@example.org", "bob@example.org");
        assert_eq!(w.on_event(&other), Step::Pending);
        let about_carol = answer(A, "carol@example.org");
        assert_eq!(w.on_event(&about_carol), Step::Pending);
        let Step::Done(Ok(found)) = w.on_event(&answer(A, "Bob@example.org")) else {
            panic!("the answer ends the wait");
        };
        assert_eq!(found.devices.len(), 1);
        assert!(found.failures.is_empty());
        assert_eq!(
            w.give_up(30),
            OmemoError::TimedOut { after_secs: 30 },
            "nothing failed"
        );
    }

    #[test]
    fn a_failure_settles_and_travels_with_a_late_answer() {
        let mut w = OmemoWaiter::new(A, None);
        assert_eq!(w.on_event(&failed("bob@example.org", "x")), Step::Pending);
        assert_eq!(w.on_event(&failed(A, "does not match")), Step::Settling);
        let Step::Done(Ok(found)) = w.on_event(&answer(A, "bob@example.org")) else {
            panic!("the answer ends the wait");
        };
        assert_eq!(found.failures, vec!["does not match".to_owned()]);

        let mut w = OmemoWaiter::new(A, None);
        w.on_event(&failed(A, "not an xmpp: URI"));
        let error = w.give_up(30);
        assert_eq!(error, OmemoError::Failed(vec!["not an xmpp: URI".into()]));
        assert_eq!(error.message(A), format!("{A}: not an xmpp: URI"));
    }
}
