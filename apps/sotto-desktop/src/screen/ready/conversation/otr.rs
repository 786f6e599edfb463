// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! OTR in one conversation: the lock's state, the verification dialog and
//! SMP, all from the core's `otr_*` events and sent as `otr_*` commands.
//!
//! OTR runs per client of the contact (a full JID); the conversation is per
//! bare JID, so it shows the state of the client the core reported last.
//! Secrets typed by the user are kept zeroized and never logged.

use sotto_core::{Command, Event, OtrSessionState, OtrTrust, Secret, SmpProgress};
use zeroize::Zeroizing;

use crate::core_link::Core;

/// The SMP question field's widget id.
pub const SMP_QUESTION: &str = "otr-smp-question";
/// The SMP secret field's widget id.
pub const SMP_SECRET: &str = "otr-smp-secret";
/// The field answering the contact's SMP request.
pub const SMP_ANSWER: &str = "otr-smp-answer";

/// What the lock shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lock {
    /// No OTR session.
    Plain,
    /// Encrypted, key not verified.
    Unverified,
    /// Encrypted with a verified key.
    Verified,
    /// The contact ended the session.
    Finished,
}

impl Lock {
    /// The lock's label.
    pub fn label(self) -> &'static str {
        match self {
            Lock::Plain => "Not encrypted",
            Lock::Unverified => "OTR · unverified",
            Lock::Verified => "OTR · verified",
            Lock::Finished => "OTR ended by contact",
        }
    }
}

/// Typed secret text: its `Debug` never shows it.
#[derive(Clone)]
pub struct Hidden(Zeroizing<String>);

impl Hidden {
    /// Wraps typed text.
    pub fn new(value: String) -> Self {
        Self(Zeroizing::new(value))
    }
}

impl std::fmt::Debug for Hidden {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Hidden(<redacted>)")
    }
}

/// What the user does with OTR.
#[derive(Debug, Clone)]
pub enum Message {
    /// Start (or refresh) OTR.
    Start,
    /// End OTR.
    End,
    /// Open the verification dialog.
    Verify,
    /// Close the verification dialog.
    CloseDialog,
    /// The contact's fingerprint was compared: mark it verified.
    MarkVerified,
    /// The SMP question was edited.
    Question(String),
    /// The SMP secret was edited.
    Secret(Hidden),
    /// Start SMP with the question and secret.
    StartSmp,
    /// The answer to the contact's SMP request was edited.
    Answer(Hidden),
    /// Answer the contact's SMP request.
    Respond,
    /// Abort the running SMP.
    Abort,
    /// Hide the SMP verdict.
    DismissSmp,
    /// Hide the unreadable-message banner.
    DismissUnreadable,
}

/// OTR's state in one conversation.
#[derive(Debug, Default)]
pub struct Otr {
    /// The contact's client reported last, with its state.
    pub(super) session: Option<(String, OtrSessionState)>,
    /// The SMP exchange (client, latest step).
    pub(super) smp: Option<(String, SmpProgress)>,
    /// Why the last OTR message could not be read.
    pub(super) unreadable: Option<String>,
    /// Our own fingerprint, once asked for.
    pub(super) own: Option<String>,
    pub(super) dialog: bool,
    pub(super) question: String,
    pub(super) secret: Zeroizing<String>,
    pub(super) answer: Zeroizing<String>,
}

/// The bare part of a JID.
pub fn bare(jid: &str) -> &str {
    jid.split_once('/').map_or(jid, |(b, _)| b)
}

/// A fingerprint in libotr's form: upper-case hex in groups of eight.
pub fn grouped(fingerprint: &str) -> String {
    let hex: Vec<char> = fingerprint
        .chars()
        .filter(char::is_ascii_hexdigit)
        .map(|c| c.to_ascii_uppercase())
        .collect();
    hex.chunks(8)
        .map(|c| c.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join(" ")
}

fn same_fingerprint(a: &str, b: &str) -> bool {
    grouped(a) == grouped(b)
}

impl Otr {
    /// Starts from a state the app remembered for this contact.
    pub fn with_session(session: Option<(String, OtrSessionState)>) -> Self {
        Self {
            session,
            ..Self::default()
        }
    }

    /// What the lock shows.
    pub fn lock(&self) -> Lock {
        match self.session.as_ref().map(|(_, s)| s) {
            Some(OtrSessionState::Encrypted { trust, .. }) if trust.is_verified() => Lock::Verified,
            Some(OtrSessionState::Encrypted { .. }) => Lock::Unverified,
            Some(OtrSessionState::Finished) => Lock::Finished,
            _ => Lock::Plain,
        }
    }

    /// The contact's fingerprint in the current session.
    pub fn fingerprint(&self) -> Option<&str> {
        match self.session.as_ref().map(|(_, s)| s) {
            Some(OtrSessionState::Encrypted { fingerprint, .. }) => Some(fingerprint),
            _ => None,
        }
    }

    /// Whether the contact's key changed since last time.
    pub fn key_changed(&self) -> bool {
        matches!(
            self.session.as_ref().map(|(_, s)| s),
            Some(OtrSessionState::Encrypted {
                key_changed: true,
                ..
            })
        )
    }

    /// Whether the verification dialog is open.
    pub fn dialog_open(&self) -> bool {
        self.dialog
    }

    /// The latest SMP step.
    pub fn smp(&self) -> Option<&SmpProgress> {
        self.smp.as_ref().map(|(_, p)| p)
    }

    fn set_trust(&mut self, new: OtrTrust) {
        if let Some((_, OtrSessionState::Encrypted { trust, .. })) = &mut self.session {
            *trust = new;
        }
    }

    /// The JID commands about the session go to: the client in the session,
    /// or the bare JID.
    fn target(&self, peer: &str) -> String {
        self.session
            .as_ref()
            .map_or_else(|| peer.to_owned(), |(jid, _)| jid.clone())
    }

    /// Applies an OTR event about this conversation.
    pub fn on_event(&mut self, account: &str, peer: &str, event: &Event) {
        let ours = |a: &str, jid: &str| a == account && bare(jid) == peer;
        match event {
            Event::OtrState {
                account: a,
                jid,
                state,
            } if ours(a, jid) => {
                if matches!(state, OtrSessionState::Plaintext) {
                    self.smp = None;
                }
                self.session = Some((jid.clone(), state.clone()));
            }
            Event::OtrSmp {
                account: a,
                jid,
                progress,
            } if ours(a, jid) => {
                match progress {
                    SmpProgress::Succeeded => self.set_trust(OtrTrust::Smp),
                    SmpProgress::Requested { .. } => self.answer = Zeroizing::default(),
                    _ => {}
                }
                self.smp = Some((jid.clone(), progress.clone()));
            }
            Event::OtrUnreadable {
                account: a,
                jid,
                reason,
            } if ours(a, jid) => self.unreadable = Some(reason.clone()),
            Event::OtrFingerprints {
                account: a,
                own,
                contacts,
                ..
            } if a == account => {
                self.own = Some(own.clone());
                let current = self.fingerprint().map(str::to_owned);
                let known = contacts.iter().find(|c| {
                    c.contact == peer
                        && current
                            .as_deref()
                            .is_some_and(|f| same_fingerprint(f, &c.fingerprint))
                });
                if let Some(known) = known {
                    self.set_trust(known.trust);
                }
            }
            _ => {}
        }
    }

    /// Handles a message.
    pub fn update(&mut self, message: Message, core: &Core, account: &str, peer: &str) {
        let account = account.to_owned();
        match message {
            Message::Start => {
                core.send(Command::OtrStart {
                    account,
                    jid: peer.to_owned(),
                });
            }
            Message::End => {
                core.send(Command::OtrEnd {
                    account,
                    jid: self.target(peer),
                });
            }
            Message::Verify => {
                self.dialog = true;
                core.send(Command::GetOtrFingerprints { account });
            }
            Message::CloseDialog => {
                self.dialog = false;
                self.question.clear();
                self.secret = Zeroizing::default();
            }
            Message::MarkVerified => {
                if let Some(fingerprint) = self.fingerprint().map(str::to_owned) {
                    core.send(Command::SetOtrTrust {
                        account: account.clone(),
                        contact: peer.to_owned(),
                        fingerprint,
                        verified: true,
                    });
                    self.set_trust(OtrTrust::Fingerprint);
                    core.send(Command::GetOtrFingerprints { account });
                }
            }
            Message::Question(q) => self.question = q,
            Message::Secret(s) => self.secret = s.0,
            Message::StartSmp => {
                if self.secret.is_empty() || self.fingerprint().is_none() {
                    return;
                }
                let jid = self.target(peer);
                let question = self.question.trim();
                core.send(Command::OtrSmp {
                    account,
                    jid: jid.clone(),
                    secret: Secret::new(self.secret.as_str()),
                    question: (!question.is_empty()).then(|| question.to_owned()),
                });
                self.secret = Zeroizing::default();
                self.question.clear();
                self.smp = Some((jid, SmpProgress::InProgress { percent: 0 }));
            }
            Message::Answer(s) => self.answer = s.0,
            Message::Respond => {
                let Some((jid, SmpProgress::Requested { .. })) = &self.smp else {
                    return;
                };
                if self.answer.is_empty() {
                    return;
                }
                let jid = jid.clone();
                core.send(Command::OtrSmpRespond {
                    account,
                    jid: jid.clone(),
                    secret: Secret::new(self.answer.as_str()),
                });
                self.answer = Zeroizing::default();
                self.smp = Some((jid, SmpProgress::InProgress { percent: 0 }));
            }
            Message::Abort => {
                let jid = self
                    .smp
                    .as_ref()
                    .map_or_else(|| self.target(peer), |(j, _)| j.clone());
                core.send(Command::OtrSmpAbort {
                    account,
                    jid: jid.clone(),
                });
                self.answer = Zeroizing::default();
                self.smp = Some((jid, SmpProgress::Aborted));
            }
            Message::DismissSmp => self.smp = None,
            Message::DismissUnreadable => self.unreadable = None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_group_like_libotr() {
        assert_eq!(
            grouped("3f8a2b10c0ffee00123456789abcdef0deadbeef"),
            "3F8A2B10 C0FFEE00 12345678 9ABCDEF0 DEADBEEF"
        );
        assert_eq!(
            grouped("3F8A2B10 C0FFEE00 12345678 9ABCDEF0 DEADBEEF"),
            "3F8A2B10 C0FFEE00 12345678 9ABCDEF0 DEADBEEF"
        );
        assert_eq!(bare("bob@example.org/laptop"), "bob@example.org");
        assert_eq!(bare("bob@example.org"), "bob@example.org");
    }

    #[test]
    fn secrets_are_not_debug_printed() {
        let m = Message::Secret(Hidden::new("hunter2".into()));
        assert!(!format!("{m:?}").contains("hunter2"));
    }
}
