// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! The lock: which end-to-end encryption a conversation's messages go with
//! (OMEMO, OTR or none), the user's choice of it, and the menu that
//! switches it and reaches OTR's and OMEMO's own controls.
//!
//! "Automatic" sends without naming an encryption and lets the core pick:
//! OTR while an OTR session is up, else OMEMO when the contact has OMEMO
//! devices; once a conversation was encrypted it never becomes plaintext by
//! itself. The core says what that means now (`conversation_encryption`);
//! the lock shows it, and guesses only until the core has said.

use iced::widget::{button, column, row, text};
use iced::{Alignment, Element, Length};
use sotto_core::{Encryption, Event, OmemoDevice, OmemoTrust, OtrSessionState};

use super::omemo::{self, Omemo};
use super::otr::{self, Otr};
use crate::core_link::Core;
use crate::widgets;

/// The encryption the user chose for a conversation (or, in the settings,
/// for conversations without a choice of their own).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Choice {
    /// Whatever the core picks.
    #[default]
    Automatic,
    /// Always OMEMO.
    Omemo,
    /// Always OTR (a session is started when needed).
    Otr,
    /// No end-to-end encryption.
    Plain,
}

impl Choice {
    /// Every choice, in the order the menu shows them.
    pub const ALL: [Self; 4] = [Self::Automatic, Self::Omemo, Self::Otr, Self::Plain];

    /// The choice's name in the menu.
    pub fn label(self) -> &'static str {
        match self {
            Self::Automatic => "Automatic",
            Self::Omemo => "OMEMO",
            Self::Otr => "OTR",
            Self::Plain => "No encryption",
        }
    }

    /// What `send_message` is told.
    pub fn encryption(self) -> Option<Encryption> {
        match self {
            Self::Automatic => None,
            Self::Omemo => Some(Encryption::Omemo),
            Self::Otr => Some(Encryption::Otr),
            Self::Plain => Some(Encryption::Plain),
        }
    }
}

/// What the user does with the lock, OTR and OMEMO.
#[derive(Debug, Clone)]
pub enum Message {
    /// Open or close the lock's menu.
    Menu,
    /// Send with this encryption from now on.
    Choose(Choice),
    /// OTR's session, verification dialog and SMP.
    Otr(otr::Message),
    /// OMEMO's notices and fingerprint dialog.
    Omemo(omemo::Message),
}

/// End-to-end encryption in one conversation: the choice, the lock's menu,
/// OTR's and OMEMO's state.
#[derive(Debug, Default)]
pub struct Security {
    pub(super) otr: Otr,
    pub(super) omemo: Omemo,
    pub(super) choice: Choice,
    pub(super) menu: bool,
    /// What "Automatic" uses now, as the core last said, and why it cannot
    /// be used right now (messages wait).
    pub(super) automatic: Option<(Encryption, Option<String>)>,
}

impl Security {
    /// Starts from the OTR state and the choice the app remembered for
    /// this contact.
    pub fn new(otr: Option<(String, OtrSessionState)>, choice: Choice) -> Self {
        Self {
            otr: Otr::with_session(otr),
            choice,
            ..Self::default()
        }
    }

    /// Applies an event that may concern the conversation of `account`
    /// with `peer`.
    pub fn on_event(&mut self, account: &str, peer: &str, event: &Event) {
        if let Event::ConversationEncryption {
            account: a,
            peer: p,
            automatic,
            blocked,
        } = event
            && a == account
            && p == peer
        {
            self.automatic = Some((*automatic, blocked.clone()));
        }
        self.otr.on_event(account, peer, event);
        self.omemo.on_event(account, peer, event);
    }

    /// Handles a message.
    pub fn update(&mut self, message: Message, core: &Core, account: &str, peer: &str) {
        match message {
            Message::Menu => self.menu = !self.menu,
            Message::Choose(choice) => {
                self.choice = choice;
                self.menu = false;
            }
            Message::Otr(m) => {
                if matches!(
                    m,
                    otr::Message::Start | otr::Message::End | otr::Message::Verify
                ) {
                    self.menu = false;
                }
                self.otr.update(m, core, account, peer);
            }
            Message::Omemo(m) => {
                if matches!(m, omemo::Message::Open) {
                    self.menu = false;
                }
                self.omemo.update(m, core, account, peer);
            }
        }
    }

    /// What the lock shows, given the contact's OMEMO devices.
    pub fn lock(&self, devices: Option<&[OmemoDevice]>) -> Lock {
        lock(self.choice, &self.otr, devices, self.automatic.as_ref())
    }
}

/// What the lock shows: the encryption the next message goes with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lock {
    /// Not end-to-end encrypted.
    Plain,
    /// OTR, in this state.
    Otr(otr::Lock),
    /// OTR chosen, no session yet: sending starts one.
    OtrPending,
    /// OMEMO to the contact's trusted devices; `verified` when every one of
    /// them is verified.
    Omemo {
        /// Every device written to is verified.
        verified: bool,
    },
    /// OMEMO, but no device of the contact can be written to yet.
    OmemoNoDevice,
    /// The conversation is bound to OMEMO and the contact lists no device
    /// now: messages wait (never sent in plaintext by themselves).
    OmemoHeld,
}

impl Lock {
    /// The lock's label.
    pub fn label(self) -> &'static str {
        match self {
            Self::Plain => otr::Lock::Plain.label(),
            Self::Otr(lock) => lock.label(),
            Self::OtrPending => "OTR · not started",
            Self::Omemo { verified: true } => "OMEMO · verified",
            Self::Omemo { verified: false } => "OMEMO · unverified",
            Self::OmemoNoDevice => "OMEMO · no trusted device",
            Self::OmemoHeld => "OMEMO · contact lists no device",
        }
    }

    fn explain(self) -> &'static str {
        match self {
            Self::Plain => {
                "Messages are not end-to-end encrypted. Choose OMEMO or OTR to encrypt them."
            }
            Self::Otr(otr::Lock::Unverified) => {
                "Messages are encrypted with OTR, but you have not verified who holds the key."
            }
            Self::Otr(otr::Lock::Verified) => {
                "Messages are encrypted with OTR, with a key you verified."
            }
            Self::Otr(_) => {
                "The contact ended the OTR session. Messages wait until you end it too or start a new one."
            }
            Self::OtrPending => {
                "Messages will be encrypted with OTR: sending starts a session and waits for it."
            }
            Self::Omemo { verified: true } => {
                "Messages are encrypted with OMEMO to devices whose keys you verified."
            }
            Self::Omemo { verified: false } => {
                "Messages are encrypted with OMEMO, but not every device's key is verified."
            }
            Self::OmemoNoDevice => {
                "OMEMO is chosen, but no device of this contact is trusted yet: messages cannot be sent until you trust or verify one."
            }
            Self::OmemoHeld => {
                "This conversation is encrypted with OMEMO, but the contact's device list is now empty: their server may have lost it, or someone is interfering. Messages wait until a device appears; each can be sent unencrypted only if you choose that."
            }
        }
    }
}

/// Whether an OMEMO device receives messages.
fn written_to(device: &OmemoDevice) -> bool {
    device.active
        && !device.fingerprint.is_empty()
        && matches!(device.trust, OmemoTrust::Blind | OmemoTrust::Verified)
}

fn omemo_lock(devices: Option<&[OmemoDevice]>) -> Lock {
    let trusted: Vec<&OmemoDevice> = devices
        .unwrap_or_default()
        .iter()
        .filter(|d| written_to(d))
        .collect();
    if trusted.is_empty() {
        Lock::OmemoNoDevice
    } else {
        Lock::Omemo {
            verified: trusted.iter().all(|d| d.trust == OmemoTrust::Verified),
        }
    }
}

/// What the lock shows for `choice`, the OTR state and the contact's
/// OMEMO devices (`None` until the core has listed them).
/// `automatic` is what the core last said "Automatic" means (`None` until
/// it has said).
pub fn lock(
    choice: Choice,
    otr: &Otr,
    devices: Option<&[OmemoDevice]>,
    automatic: Option<&(Encryption, Option<String>)>,
) -> Lock {
    let otr_lock = otr.lock();
    let otr_on = otr_lock != otr::Lock::Plain;
    match choice {
        Choice::Plain => Lock::Plain,
        Choice::Otr if otr_on => Lock::Otr(otr_lock),
        Choice::Otr => Lock::OtrPending,
        Choice::Omemo => omemo_lock(devices),
        Choice::Automatic if otr_on => Lock::Otr(otr_lock),
        Choice::Automatic => match automatic {
            Some((Encryption::Omemo, Some(_))) => Lock::OmemoHeld,
            Some((Encryption::Omemo, None)) => omemo_lock(devices),
            Some((Encryption::Otr, _)) => Lock::OtrPending,
            Some((Encryption::Plain, _)) => Lock::Plain,
            // A kind this build does not know is still encrypted.
            Some(_) => omemo_lock(devices),
            None if devices.unwrap_or_default().iter().any(|d| d.active) => omemo_lock(devices),
            None => Lock::Plain,
        },
    }
}

/// The lock button for the header.
pub fn button_view<'a>(lock: Lock) -> Element<'a, Message> {
    let style = match lock {
        Lock::Otr(otr::Lock::Verified) | Lock::Omemo { verified: true } => button::success,
        Lock::Otr(otr::Lock::Unverified) | Lock::Omemo { verified: false } => button::primary,
        Lock::Otr(_) | Lock::OmemoNoDevice | Lock::OmemoHeld => button::danger,
        Lock::Plain | Lock::OtrPending => button::secondary,
    };
    button(text(lock.label()).size(13))
        .style(style)
        .on_press(Message::Menu)
        .into()
}

/// The lock's menu: the choice, then OTR's and OMEMO's actions.
pub fn menu<'a>(security: &Security, lock: Lock) -> Element<'a, Message> {
    let (choice, otr) = (security.choice, &security.otr);
    let choices = Choice::ALL.iter().fold(
        row![text("Encrypt with").size(13)]
            .spacing(6)
            .align_y(Alignment::Center),
        |r, c| {
            r.push(
                button(text(c.label()).size(13))
                    .padding([4, 10])
                    .style(if *c == choice {
                        button::primary
                    } else {
                        button::secondary
                    })
                    .on_press(Message::Choose(*c)),
            )
        },
    );
    let otr_lock = otr.lock();
    let mut otr_actions = row![text("OTR session").size(13)]
        .spacing(8)
        .align_y(Alignment::Center);
    otr_actions = otr_actions.push(action(
        match otr_lock {
            otr::Lock::Plain | otr::Lock::Finished => "Start OTR",
            _ => "Refresh OTR",
        },
        Message::Otr(otr::Message::Start),
    ));
    if otr_lock != otr::Lock::Plain {
        otr_actions = otr_actions.push(action("End OTR", Message::Otr(otr::Message::End)));
    }
    otr_actions = otr_actions.push(action(
        "Verify contact…",
        Message::Otr(otr::Message::Verify),
    ));
    let omemo_actions = row![
        text("OMEMO keys").size(13),
        action("Fingerprints…", Message::Omemo(omemo::Message::Open)),
    ]
    .spacing(8)
    .align_y(Alignment::Center);
    let mut explain = lock.explain().to_owned();
    if choice == Choice::Plain && otr_lock != otr::Lock::Plain {
        explain.push_str(" End the OTR session first: it is still running.");
    }
    if choice == Choice::Automatic {
        explain.push_str(
            " Automatic: OTR while a session is up, else OMEMO when the contact has OMEMO devices, else none.",
        );
    }
    widgets::card(column![text(explain).size(13), choices, otr_actions, omemo_actions].spacing(8))
        .width(Length::Fill)
        .into()
}

fn action<'a>(label: &'static str, message: Message) -> Element<'a, Message> {
    button(text(label).size(13))
        .padding([4, 10])
        .style(button::secondary)
        .on_press(message)
        .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn device(trust: OmemoTrust, active: bool) -> OmemoDevice {
        OmemoDevice {
            jid: "bob@example.org".into(),
            device_id: 1,
            fingerprint: "3f8a2b10".into(),
            trust,
            active,
            namespaces: vec![],
            problem: None,
        }
    }

    #[test]
    fn automatic_follows_what_the_core_would_pick() {
        let otr = Otr::default();
        assert_eq!(lock(Choice::Automatic, &otr, None, None), Lock::Plain);
        let blind = [device(OmemoTrust::Blind, true)];
        assert_eq!(
            lock(Choice::Automatic, &otr, Some(&blind), None),
            Lock::Omemo { verified: false }
        );
        let verified = [device(OmemoTrust::Verified, true)];
        assert_eq!(
            lock(Choice::Automatic, &otr, Some(&verified), None),
            Lock::Omemo { verified: true }
        );
        let gone = [device(OmemoTrust::Verified, false)];
        assert_eq!(
            lock(Choice::Automatic, &otr, Some(&gone), None),
            Lock::Plain
        );
        let undecided = [device(OmemoTrust::Undecided, true)];
        assert_eq!(
            lock(Choice::Automatic, &otr, Some(&undecided), None),
            Lock::OmemoNoDevice
        );
        assert_eq!(
            lock(Choice::Plain, &otr, Some(&verified), None),
            Lock::Plain
        );
        assert_eq!(
            lock(Choice::Otr, &otr, Some(&verified), None),
            Lock::OtrPending
        );
        assert_eq!(lock(Choice::Omemo, &otr, None, None), Lock::OmemoNoDevice);
        assert_eq!(Choice::Automatic.encryption(), None);
        assert_eq!(Choice::Plain.encryption(), Some(Encryption::Plain));
    }

    #[test]
    fn automatic_shows_what_the_core_said_over_any_guess() {
        let otr = Otr::default();
        let gone = [device(OmemoTrust::Verified, false)];
        let held = (
            Encryption::Omemo,
            Some("bob's OMEMO device list is now empty".to_owned()),
        );
        // The devices alone would say plaintext; the core says the
        // conversation is bound to OMEMO and its messages wait.
        assert_eq!(
            lock(Choice::Automatic, &otr, Some(&gone), Some(&held)),
            Lock::OmemoHeld
        );
        assert_eq!(Lock::OmemoHeld.label(), "OMEMO · contact lists no device");
        let verified = [device(OmemoTrust::Verified, true)];
        assert_eq!(
            lock(
                Choice::Automatic,
                &otr,
                Some(&verified),
                Some(&(Encryption::Omemo, None))
            ),
            Lock::Omemo { verified: true }
        );
        assert_eq!(
            lock(
                Choice::Automatic,
                &otr,
                Some(&verified),
                Some(&(Encryption::Plain, None))
            ),
            Lock::Plain
        );
        assert_eq!(
            lock(
                Choice::Automatic,
                &otr,
                None,
                Some(&(Encryption::Otr, None))
            ),
            Lock::OtrPending
        );
        // An explicit choice is the user's, whatever the core says.
        assert_eq!(
            lock(Choice::Plain, &otr, Some(&gone), Some(&held)),
            Lock::Plain
        );
        let mut security = Security::default();
        security.on_event(
            "alice@example.org",
            "bob@example.org",
            &Event::ConversationEncryption {
                account: "alice@example.org".into(),
                peer: "bob@example.org".into(),
                automatic: Encryption::Omemo,
                blocked: held.1.clone(),
            },
        );
        assert_eq!(security.lock(Some(&gone)), Lock::OmemoHeld);
        // Another conversation's news is not this one's.
        let mut other = Security::default();
        other.on_event(
            "alice@example.org",
            "carol@example.org",
            &Event::ConversationEncryption {
                account: "alice@example.org".into(),
                peer: "bob@example.org".into(),
                automatic: Encryption::Omemo,
                blocked: held.1,
            },
        );
        assert_eq!(other.lock(Some(&gone)), Lock::Plain);
    }
}
