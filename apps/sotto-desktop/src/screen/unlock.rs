// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! Unlock and first run: create the encrypted profile, or open it.
//!
//! A new profile is protected by a passphrase typed twice, or by a random
//! key kept in the OS keyring when the user opts in. Opening runs the key
//! derivation on a blocking thread; a wrong passphrase is a plain message
//! and changes nothing on disk.

use std::path::PathBuf;

use iced::widget::{button, checkbox, column, container, operation, row, text, text_input};
use iced::{Alignment, Element, Length, Task};
use zeroize::Zeroizing;

use crate::profile::{self, KeySource, Opened};
use crate::widgets;

/// Widget ids, for focus and for tests.
pub const PASSPHRASE: &str = "unlock-passphrase";
/// The confirmation field on first run.
pub const CONFIRM: &str = "unlock-confirm";

/// The shortest passphrase accepted for a new profile.
pub const MIN_PASSPHRASE: usize = 8;

/// The unlock screen's state.
#[derive(Debug)]
pub struct Unlock {
    dir: PathBuf,
    creating: bool,
    keyring: bool,
    passphrase: Zeroizing<String>,
    confirm: Zeroizing<String>,
    busy: bool,
    error: Option<String>,
}

/// What the user does here.
#[derive(Debug, Clone)]
pub enum Message {
    /// The passphrase field changed.
    Passphrase(String),
    /// The confirmation field changed.
    Confirm(String),
    /// "Keep the key in the OS keyring" toggled.
    Keyring(bool),
    /// Create or unlock.
    Submit,
    /// The blocking open finished.
    Opened(Result<Opened, String>),
}

/// What the app must do after an update.
#[derive(Debug)]
pub enum Action {
    /// Nothing more.
    None,
    /// Run this task.
    Run(Task<Message>),
    /// The profile is open: start the core.
    Unlocked {
        /// The open profile.
        opened: Box<Opened>,
        /// Whether its key is in the OS keyring.
        keyring: bool,
    },
}

impl Unlock {
    /// The screen for the profile in `dir`; `keyring` says how it was
    /// created (remembered in the preferences).
    pub fn new(dir: PathBuf, keyring: bool) -> Self {
        let creating = !sotto_store::SqlStore::exists(&dir);
        Self {
            dir,
            creating,
            keyring: keyring && !creating,
            passphrase: Zeroizing::new(String::new()),
            confirm: Zeroizing::new(String::new()),
            busy: false,
            error: None,
        }
    }

    /// Whether this is the first run (no profile yet).
    pub fn creating(&self) -> bool {
        self.creating
    }

    /// Focuses the passphrase field.
    pub fn focus<T: Send + 'static>() -> Task<T> {
        operation::focus(PASSPHRASE)
    }

    /// Handles a message.
    pub fn update(&mut self, message: Message) -> Action {
        match message {
            Message::Passphrase(p) => {
                self.passphrase = Zeroizing::new(p);
                self.error = None;
                Action::None
            }
            Message::Confirm(p) => {
                self.confirm = Zeroizing::new(p);
                self.error = None;
                Action::None
            }
            Message::Keyring(on) => {
                self.keyring = on;
                self.error = None;
                Action::None
            }
            Message::Submit => self.submit(),
            Message::Opened(Ok(opened)) => {
                self.busy = false;
                Action::Unlocked {
                    opened: Box::new(opened),
                    keyring: self.keyring,
                }
            }
            Message::Opened(Err(error)) => {
                self.busy = false;
                self.error = Some(error);
                self.passphrase = Zeroizing::new(String::new());
                self.confirm = Zeroizing::new(String::new());
                Action::Run(Self::focus())
            }
        }
    }

    fn submit(&mut self) -> Action {
        if self.busy {
            return Action::None;
        }
        let key = if self.keyring {
            KeySource::Keyring
        } else {
            if self.passphrase.is_empty() {
                self.error = Some("Enter a passphrase.".into());
                return Action::None;
            }
            if self.creating {
                if self.passphrase.chars().count() < MIN_PASSPHRASE {
                    self.error = Some(format!(
                        "Use at least {MIN_PASSPHRASE} characters: this passphrase is all that \
                         protects your messages on this computer."
                    ));
                    return Action::None;
                }
                if *self.passphrase != *self.confirm {
                    self.error = Some("The two passphrases differ.".into());
                    return Action::None;
                }
            }
            KeySource::Passphrase(self.passphrase.clone())
        };
        self.busy = true;
        self.error = None;
        let dir = self.dir.clone();
        let create = self.creating;
        Action::Run(Task::perform(
            open_blocking(dir, key, create),
            Message::Opened,
        ))
    }

    /// The screen.
    pub fn view(&self) -> Element<'_, Message> {
        let title = if self.creating {
            "Welcome to Sotto"
        } else {
            "Unlock your profile"
        };
        let intro = if self.creating {
            "Everything Sotto keeps on this computer (accounts, contacts, messages) is \
             encrypted. Choose how to protect it."
        } else {
            "Your profile is encrypted."
        };
        let submit_label = match (self.busy, self.creating) {
            (true, true) => "Creating…",
            (true, false) => "Unlocking…",
            (false, true) => "Create profile",
            (false, false) => "Unlock",
        };
        let mut form = column![text(title).size(28), text(intro)].spacing(12);
        if self.creating {
            form = form.push(
                checkbox(self.keyring)
                    .label("Keep the key in the OS keyring instead of using a passphrase")
                    .on_toggle_maybe((!self.busy).then_some(Message::Keyring)),
            );
        }
        if !self.keyring {
            let mut pass = text_input("Passphrase", &self.passphrase)
                .id(PASSPHRASE)
                .secure(true)
                .padding(10);
            let mut confirm = text_input("Repeat the passphrase", &self.confirm)
                .id(CONFIRM)
                .secure(true)
                .padding(10);
            if !self.busy {
                pass = pass
                    .on_input(Message::Passphrase)
                    .on_submit(Message::Submit);
                confirm = confirm
                    .on_input(Message::Confirm)
                    .on_submit(Message::Submit);
            }
            form = form.push(pass);
            if self.creating {
                form = form.push(confirm);
                form = form.push(
                    text("There is no way to recover a forgotten passphrase.")
                        .size(13)
                        .style(text::secondary),
                );
            }
        } else if !self.creating {
            form = form.push(text("The key is kept in the OS keyring."));
            form = form.push(
                button(text("Use a passphrase instead").size(13))
                    .style(button::text)
                    .on_press_maybe((!self.busy).then_some(Message::Keyring(false))),
            );
        }
        if let Some(error) = &self.error {
            form = form.push(widgets::error_text(error.as_str()));
        }
        form = form.push(
            row![
                button(text(submit_label))
                    .padding([8, 20])
                    .style(button::primary)
                    .on_press_maybe((!self.busy).then_some(Message::Submit))
            ]
            .align_y(Alignment::Center),
        );
        form = form.push(
            text(format!("Profile: {}", self.dir.display()))
                .size(12)
                .style(text::secondary),
        );
        container(widgets::card(form).max_width(500))
            .center(Length::Fill)
            .padding(24)
            .into()
    }
}

/// Opens (or creates) the profile on a blocking thread.
pub async fn open_blocking(dir: PathBuf, key: KeySource, create: bool) -> Result<Opened, String> {
    tokio::task::spawn_blocking(move || profile::open(&dir, key, create))
        .await
        .unwrap_or_else(|e| Err(format!("Opening the profile stopped unexpectedly: {e}")))
}
