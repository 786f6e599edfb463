// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! OMEMO in one conversation: the notices about messages that could not be
//! read, devices that were left out or sessions that were renewed, and the
//! fingerprint dialog with its trust decisions and verification link — all
//! from the core's `omemo_*` events and sent as `*omemo*` commands.
//!
//! The keys themselves are kept by the app across conversations (see
//! [`crate::screen::ready::e2e`]); this is only what the conversation shows
//! about them.

use sotto_core::{Command, Event, OmemoTrust};

use crate::core_link::Core;

/// The verification link field's widget id.
pub const URI_FIELD: &str = "omemo-uri";
/// Most notices shown at once; older ones give way.
const MAX_NOTICES: usize = 4;

/// What a notice is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NoticeKind {
    /// A message from the contact's device could not be decrypted.
    Unreadable {
        /// Why, as the core said it.
        reason: String,
    },
    /// A device was left out of a message we sent.
    Skipped {
        /// The device is one of ours, not the contact's.
        own: bool,
        /// Why, as the core said it.
        reason: String,
    },
    /// A broken session with the contact's device was replaced.
    Repaired,
    /// The contact has a new device that waits for a decision.
    Undecided,
}

/// A notice shown above the messages until dismissed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    /// Its id, for dismissing it.
    pub id: u64,
    /// The device concerned.
    pub device_id: u32,
    /// What happened.
    pub kind: NoticeKind,
}

/// What the user does with OMEMO.
#[derive(Debug, Clone)]
pub enum Message {
    /// Open the fingerprint dialog.
    Open,
    /// Close it.
    Close,
    /// Record a decision about a device key.
    SetTrust {
        /// Whose key (bare JID).
        jid: String,
        /// The key's fingerprint.
        fingerprint: String,
        /// The decision.
        trust: OmemoTrust,
    },
    /// The verification link field was edited.
    UriInput(String),
    /// Verify the devices the pasted link names.
    VerifyUri,
    /// Hide a notice.
    Dismiss(u64),
}

/// OMEMO's state in one conversation.
#[derive(Debug, Default)]
pub struct Omemo {
    pub(super) notices: Vec<Notice>,
    next_id: u64,
    pub(super) dialog: bool,
    pub(super) uri: String,
    /// A trust decision or link was sent; a failure is shown in the dialog.
    pending: bool,
    /// Why the last decision or link was refused.
    pub(super) error: Option<String>,
}

impl Omemo {
    /// The notices shown, oldest first.
    pub fn notices(&self) -> &[Notice] {
        &self.notices
    }

    /// Whether the fingerprint dialog is open.
    pub fn dialog_open(&self) -> bool {
        self.dialog
    }

    /// Shows a notice, in place of an older one about the same thing.
    fn notice(&mut self, device_id: u32, kind: NoticeKind) {
        let same = |n: &Notice| {
            n.device_id == device_id
                && std::mem::discriminant(&n.kind) == std::mem::discriminant(&kind)
                && match (&n.kind, &kind) {
                    (NoticeKind::Skipped { own: a, .. }, NoticeKind::Skipped { own: b, .. }) => {
                        a == b
                    }
                    _ => true,
                }
        };
        self.notices.retain(|n| !same(n));
        self.next_id += 1;
        self.notices.push(Notice {
            id: self.next_id,
            device_id,
            kind,
        });
        if self.notices.len() > MAX_NOTICES {
            self.notices.remove(0);
        }
    }

    /// Applies an OMEMO event that may concern the conversation of
    /// `account` with `peer`.
    pub fn on_event(&mut self, account: &str, peer: &str, event: &Event) {
        match event {
            Event::OmemoUnreadable {
                account: a,
                peer: p,
                device_id,
                reason,
            } if a == account && p == peer => self.notice(
                *device_id,
                NoticeKind::Unreadable {
                    reason: reason.clone(),
                },
            ),
            Event::OmemoDeviceSkipped {
                account: a,
                jid,
                device_id,
                reason,
            } if a == account && (jid == peer || jid == account) => self.notice(
                *device_id,
                NoticeKind::Skipped {
                    own: jid == account,
                    reason: reason.clone(),
                },
            ),
            Event::OmemoSessionRepaired {
                account: a,
                jid,
                device_id,
            } if a == account && jid == peer => self.notice(*device_id, NoticeKind::Repaired),
            Event::OmemoDevice { account: a, device }
                if a == account
                    && device.jid == peer
                    && device.active
                    && device.trust == OmemoTrust::Undecided =>
            {
                self.notice(device.device_id, NoticeKind::Undecided);
            }
            Event::OmemoFingerprints {
                account: a,
                jid,
                devices,
                ..
            } if a == account && (jid == peer || jid == account) => {
                if jid == peer {
                    // A decision was made: its "new device" notice is done.
                    self.notices.retain(|n| {
                        n.kind != NoticeKind::Undecided
                            || devices.iter().any(|d| {
                                d.device_id == n.device_id && d.trust == OmemoTrust::Undecided
                            })
                    });
                }
                self.pending = false;
                self.error = None;
            }
            Event::CommandFailed {
                account: Some(a),
                reason,
                ..
            } if a == account && self.pending => {
                self.pending = false;
                self.error = Some(reason.clone());
            }
            _ => {}
        }
    }

    /// Handles a message.
    pub fn update(&mut self, message: Message, core: &Core, account: &str, peer: &str) {
        match message {
            Message::Open => {
                self.dialog = true;
                self.error = None;
                core.send(Command::GetOmemoFingerprints {
                    account: account.to_owned(),
                    jid: Some(peer.to_owned()),
                });
                core.send(Command::GetOmemoFingerprints {
                    account: account.to_owned(),
                    jid: None,
                });
            }
            Message::Close => {
                self.dialog = false;
                self.uri.clear();
                self.error = None;
            }
            Message::SetTrust {
                jid,
                fingerprint,
                trust,
            } => {
                self.pending = true;
                self.error = None;
                core.send(Command::SetOmemoTrust {
                    account: account.to_owned(),
                    jid,
                    fingerprint,
                    trust,
                });
            }
            Message::UriInput(uri) => self.uri = uri,
            Message::VerifyUri => {
                let uri = self.uri.trim();
                if !is_uri(uri) {
                    self.error = Some(
                        "That is not a verification link: it starts with \"xmpp:\" and names devices (omemo-sid-…).".to_owned(),
                    );
                    return;
                }
                self.pending = true;
                self.error = None;
                core.send(Command::VerifyOmemoUri {
                    account: account.to_owned(),
                    uri: uri.to_owned(),
                });
                self.uri.clear();
            }
            Message::Dismiss(id) => self.notices.retain(|n| n.id != id),
        }
    }
}

/// Whether `uri` looks like an OMEMO verification link (the core checks
/// it properly).
pub fn is_uri(uri: &str) -> bool {
    uri.get(..5)
        .is_some_and(|scheme| scheme.eq_ignore_ascii_case("xmpp:"))
        && uri.contains("omemo-sid-")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notices_replace_their_kind_and_are_bounded() {
        let mut omemo = Omemo::default();
        let unreadable = |id, reason: &str| Event::OmemoUnreadable {
            account: "a@x".into(),
            peer: "b@x".into(),
            device_id: id,
            reason: reason.into(),
        };
        omemo.on_event("a@x", "b@x", &unreadable(1, "first"));
        omemo.on_event("a@x", "b@x", &unreadable(1, "second"));
        omemo.on_event("a@x", "c@x", &unreadable(1, "another contact"));
        assert_eq!(omemo.notices().len(), 1);
        assert_eq!(
            omemo.notices()[0].kind,
            NoticeKind::Unreadable {
                reason: "second".into()
            }
        );
        for id in 2..10 {
            omemo.on_event("a@x", "b@x", &unreadable(id, "r"));
        }
        assert_eq!(omemo.notices().len(), MAX_NOTICES);
        assert_eq!(omemo.notices()[MAX_NOTICES - 1].device_id, 9);
    }

    #[test]
    fn links_are_checked_loosely() {
        assert!(is_uri("xmpp:bob@example.org?omemo-sid-1=ab"));
        assert!(is_uri("XMPP:bob@example.org?omemo-sid-1=ab"));
        assert!(!is_uri("https://example.org"));
        assert!(!is_uri("xmpp:bob@example.org"));
        assert!(!is_uri("x"));
    }
}
