// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! The "Profile protection" card of the settings: change the passphrase,
//! or move the profile key into or out of the OS keyring.
//!
//! The core does the work (`change_profile_protection`), since it owns the
//! store while the app runs; this card collects the passphrases, checks
//! what it can before asking (both new ones equal, none empty) and shows
//! the answer. Passphrases live in zeroizing strings and are cleared once
//! the core has answered.

use iced::widget::{Column, button, column, row, text, text_input};
use iced::{Alignment, Element, Length};
use sotto_core::{Command, Event, ProfileProtection, Secret};
use zeroize::Zeroizing;

use crate::core_link::Core;
use crate::widgets;

/// The current-passphrase field.
pub const CURRENT: &str = "protection-current";
/// The new-passphrase field.
pub const NEW: &str = "protection-new";
/// The repeat-the-new-passphrase field.
pub const REPEAT: &str = "protection-repeat";

/// The form's state.
#[derive(Default)]
pub struct Protection {
    current: Zeroizing<String>,
    new: Zeroizing<String>,
    repeat: Zeroizing<String>,
    /// The form is shown (else only a summary and "Change…").
    open: bool,
    /// Waiting for the core's answer.
    busy: bool,
    /// The last outcome, in words.
    status: Option<Status>,
}

impl std::fmt::Debug for Protection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Protection")
            .field("busy", &self.busy)
            .field("status", &self.status)
            .finish_non_exhaustive()
    }
}

/// The outcome shown under the form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    /// It worked (with any warning appended).
    Done(String),
    /// Nothing changed, and why.
    Failed(String),
}

/// What the user does in the card.
#[derive(Clone)]
pub enum Message {
    /// "Change…": show the form; "Cancel": hide it and forget the input.
    Open(bool),
    /// Typed the current passphrase.
    Current(String),
    /// Typed the new passphrase.
    New(String),
    /// Typed the new passphrase again.
    Repeat(String),
    /// "Change passphrase" (or "Use a passphrase instead" when the key is
    /// in the keyring).
    UsePassphrase,
    /// "Keep the key in the OS keyring".
    UseKeyring,
}

impl std::fmt::Debug for Message {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Current(_) => "Current(<redacted>)",
            Self::New(_) => "New(<redacted>)",
            Self::Repeat(_) => "Repeat(<redacted>)",
            Self::UsePassphrase => "UsePassphrase",
            Self::UseKeyring => "UseKeyring",
            Self::Open(true) => "Open(true)",
            Self::Open(false) => "Open(false)",
        })
    }
}

impl Protection {
    /// Waiting for the core.
    pub fn busy(&self) -> bool {
        self.busy
    }

    /// The last outcome.
    pub fn status(&self) -> Option<&Status> {
        self.status.as_ref()
    }

    /// Handles a message; `keyring` is how the profile is protected now.
    pub fn update(&mut self, message: Message, keyring: bool, core: &Core) {
        match message {
            Message::Open(open) => {
                if !self.busy {
                    self.open = open;
                    self.status = None;
                    self.clear();
                }
            }
            Message::Current(p) => self.current = Zeroizing::new(p),
            Message::New(p) => self.new = Zeroizing::new(p),
            Message::Repeat(p) => self.repeat = Zeroizing::new(p),
            Message::UsePassphrase => {
                if self.new.is_empty() {
                    return self.fail("Enter the new passphrase.");
                }
                if self.new != self.repeat {
                    return self.fail("The two new passphrases differ.");
                }
                let new = ProfileProtection::Passphrase {
                    passphrase: Secret::new(self.new.as_str()),
                };
                self.ask(keyring, new, core);
            }
            Message::UseKeyring => {
                if keyring {
                    return;
                }
                self.ask(keyring, ProfileProtection::Keyring, core);
            }
        }
    }

    fn ask(&mut self, keyring: bool, new: ProfileProtection, core: &Core) {
        if self.busy {
            return;
        }
        let current = if keyring {
            ProfileProtection::Keyring
        } else if self.current.is_empty() {
            return self.fail("Enter the current passphrase.");
        } else {
            ProfileProtection::Passphrase {
                passphrase: Secret::new(self.current.as_str()),
            }
        };
        self.busy = true;
        self.status = None;
        core.send(Command::ChangeProfileProtection { current, new });
    }

    fn fail(&mut self, why: &str) {
        self.status = Some(Status::Failed(why.to_owned()));
    }

    /// Takes the core's answer. Returns the new protection (true: keyring)
    /// when it changed, for the preferences.
    pub fn on_event(&mut self, event: &Event) -> Option<bool> {
        match event {
            Event::ProfileProtectionChanged { keyring, warning } => {
                self.busy = false;
                self.open = false;
                self.clear();
                let mut done = if *keyring {
                    "The profile key is now kept in the OS keyring. Sotto will open without \
                     asking for a passphrase."
                        .to_owned()
                } else {
                    "Done. From now on the profile opens with the new passphrase.".to_owned()
                };
                if let Some(warning) = warning {
                    done.push(' ');
                    done.push_str(warning);
                }
                self.status = Some(Status::Done(done));
                Some(*keyring)
            }
            Event::ProfileProtectionUnchanged { reason } => {
                self.busy = false;
                self.current = Zeroizing::new(String::new());
                self.status = Some(Status::Failed(reason.clone()));
                None
            }
            _ => None,
        }
    }

    fn clear(&mut self) {
        self.current = Zeroizing::new(String::new());
        self.new = Zeroizing::new(String::new());
        self.repeat = Zeroizing::new(String::new());
    }

    /// The card's content; `keyring` is how the profile is protected now.
    pub fn view(&self, keyring: bool) -> Element<'_, Message> {
        let input = |id: &'static str, value: &str, on: fn(String) -> Message| {
            let placeholder = match id {
                CURRENT => "Current passphrase",
                NEW => "New passphrase",
                _ => "Repeat the new passphrase",
            };
            let field = text_input(placeholder, value)
                .id(id)
                .secure(true)
                .padding(8);
            // Enter changes the passphrase, as the first button does.
            if self.busy {
                field
            } else {
                field.on_input(on).on_submit(Message::UsePassphrase)
            }
        };
        let idle = |m: Message| (!self.busy).then_some(m);
        let mut col = column![text("Profile protection").size(16)].spacing(10);
        if !self.open {
            let summary = if keyring {
                "The profile's key is kept in the OS keyring."
            } else {
                "The profile is encrypted with your passphrase."
            };
            col = col.push(
                row![
                    text(summary).size(13).width(Length::Fill),
                    button(text("Change…"))
                        .style(button::secondary)
                        .on_press(Message::Open(true)),
                ]
                .spacing(8)
                .align_y(Alignment::Center),
            );
            return self.with_status(col);
        }
        if keyring {
            col = col.push(
                text(
                    "The profile's key is kept in the OS keyring, so Sotto opens without a \
                     passphrase for anyone who can use this desktop session.",
                )
                .size(13),
            );
            col = col
                .push(input(NEW, &self.new, Message::New))
                .push(input(REPEAT, &self.repeat, Message::Repeat))
                .push(
                    row![
                        button(text("Use a passphrase instead"))
                            .style(button::secondary)
                            .on_press_maybe(idle(Message::UsePassphrase)),
                        button(text("Cancel"))
                            .style(button::text)
                            .on_press_maybe(idle(Message::Open(false))),
                    ]
                    .spacing(8),
                );
        } else {
            col = col
                .push(
                    text(
                        "The profile is encrypted with your passphrase; Sotto asks for it at \
                         every start. There is no way to recover a forgotten passphrase.",
                    )
                    .size(13),
                )
                .push(input(CURRENT, &self.current, Message::Current))
                .push(input(NEW, &self.new, Message::New))
                .push(input(REPEAT, &self.repeat, Message::Repeat))
                .push(
                    row![
                        button(text("Change passphrase"))
                            .style(button::secondary)
                            .on_press_maybe(idle(Message::UsePassphrase)),
                        button(text("Keep the key in the OS keyring"))
                            .style(button::secondary)
                            .on_press_maybe(idle(Message::UseKeyring)),
                        button(text("Cancel"))
                            .style(button::text)
                            .on_press_maybe(idle(Message::Open(false))),
                    ]
                    .spacing(8)
                    .align_y(Alignment::Center),
                )
                .push(
                    text(
                        "The OS keyring (GNOME Keyring, KWallet, macOS Keychain, Windows \
                         Credential Manager) needs only the current passphrase.",
                    )
                    .size(12)
                    .style(text::secondary),
                );
        }
        if self.busy {
            col = col.push(text("Re-encrypting the profile…").size(13));
        }
        self.with_status(col)
    }

    fn with_status<'a>(&'a self, mut col: Column<'a, Message>) -> Element<'a, Message> {
        match &self.status {
            Some(Status::Done(done)) => col = col.push(text(done.as_str()).size(13)),
            Some(Status::Failed(why)) => col = col.push(widgets::error_text(why.as_str())),
            None => {}
        }
        col.into()
    }
}
