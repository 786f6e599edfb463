// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! The account dialog: add an existing account (JID and password) or a new
//! one created by in-band registration, or edit one already in the profile,
//! with the advanced connection options: host, port, direct TLS, built-in
//! Tor, SOCKS5 proxy.

use iced::widget::{button, checkbox, column, row, text, text_input};
use iced::{Element, Task};
use sotto_core::{Command, Secret, ServerOptions};
use sotto_store::AccountSettings;
use zeroize::Zeroizing;

use crate::widgets;

/// The JID field's widget id.
pub const JID: &str = "account-jid";
/// The password field's widget id.
pub const PASSWORD: &str = "account-password";
/// The host field's widget id.
pub const HOST: &str = "account-host";
/// The port field's widget id.
pub const PORT: &str = "account-port";

/// The form's state.
#[derive(Debug, Default)]
pub struct AccountForm {
    jid: String,
    password: Zeroizing<String>,
    register: bool,
    advanced: bool,
    host: String,
    port: String,
    direct_tls: bool,
    tor: bool,
    proxy: String,
    error: Option<String>,
    /// The JID sent to the core, until it answers.
    pending: Option<String>,
    /// Editing an account of the profile (the JID is fixed): its pinned
    /// certificate, kept as it is.
    editing: Option<Option<String>>,
}

/// What the user does in the form.
#[derive(Debug, Clone)]
pub enum Message {
    /// JID edited.
    Jid(String),
    /// Password edited.
    Password(String),
    /// "Create this account on the server" toggled.
    Register(bool),
    /// Show or hide the advanced options.
    Advanced(bool),
    /// Host edited.
    Host(String),
    /// Port edited.
    Port(String),
    /// Direct TLS toggled.
    DirectTls(bool),
    /// Built-in Tor toggled.
    Tor(bool),
    /// Proxy edited.
    Proxy(String),
    /// Add the account.
    Submit,
    /// Close the form.
    Cancel,
}

impl AccountForm {
    /// An empty form, focused on the JID.
    pub fn new() -> (Self, Task<Message>) {
        (Self::default(), iced::widget::operation::focus(JID))
    }

    /// The form for an account of the profile, filled with its settings,
    /// focused on the host.
    pub fn edit(settings: &AccountSettings) -> (Self, Task<Message>) {
        let form = Self {
            jid: settings.jid.clone(),
            advanced: true,
            host: settings.host.clone().unwrap_or_default(),
            port: settings.port.map(|p| p.to_string()).unwrap_or_default(),
            direct_tls: settings.direct_tls,
            tor: settings.tor,
            proxy: settings.proxy.clone().unwrap_or_default(),
            editing: Some(settings.pinned_cert_sha256.clone()),
            ..Self::default()
        };
        (form, iced::widget::operation::focus(HOST))
    }

    /// The account being edited, if the form edits one.
    pub fn editing(&self) -> Option<&str> {
        self.editing.is_some().then_some(self.jid.as_str())
    }

    /// The JID waiting for the core's answer, if any.
    pub fn pending(&self) -> Option<&str> {
        self.pending.as_deref()
    }

    /// The core refused the account.
    pub fn failed(&mut self, reason: &str) {
        self.pending = None;
        self.error = Some(reason.to_owned());
    }

    /// Handles a message; returns the command to send on a valid submit.
    pub fn update(&mut self, message: Message) -> Option<Command> {
        if self.pending.is_some() && !matches!(message, Message::Cancel) {
            return None;
        }
        self.error = None;
        match message {
            Message::Jid(s) if self.editing.is_none() => self.jid = s,
            Message::Jid(_) => {}
            Message::Password(s) => self.password = Zeroizing::new(s),
            Message::Register(b) => self.register = b,
            Message::Advanced(b) => self.advanced = b,
            Message::Host(s) => self.host = s,
            Message::Port(s) => self.port = s,
            Message::DirectTls(b) => self.direct_tls = b,
            Message::Tor(b) => {
                self.tor = b;
                if b {
                    self.proxy.clear();
                }
            }
            Message::Proxy(s) => self.proxy = s,
            Message::Cancel => {}
            Message::Submit => match self.command() {
                Ok(command) => return Some(command),
                Err(e) => self.error = Some(e),
            },
        }
        None
    }

    fn command(&mut self) -> Result<Command, String> {
        let jid = self.jid.trim().to_owned();
        match jid.split_once('@') {
            Some((user, domain))
                if !user.is_empty() && !domain.is_empty() && !jid.contains('/') => {}
            _ => return Err("Enter your address as name@server, e.g. alice@example.org.".into()),
        }
        if self.password.is_empty() && self.editing.is_none() {
            return Err("Enter the password.".into());
        }
        let port = match self.port.trim() {
            "" => None,
            p => Some(
                p.parse::<u16>()
                    .ok()
                    .filter(|p| *p > 0)
                    .ok_or("The port must be a number from 1 to 65535.")?,
            ),
        };
        let proxy = self.proxy.trim();
        if !proxy.is_empty() && !proxy.starts_with("socks5://") && !proxy.starts_with("socks5h://")
        {
            return Err("The proxy must look like socks5://127.0.0.1:9050.".into());
        }
        if self.tor && !proxy.is_empty() {
            return Err("Choose either the built-in Tor or a proxy, not both.".into());
        }
        let host = self.host.trim();
        let server = ServerOptions {
            host: (!host.is_empty()).then(|| host.to_owned()),
            port,
            direct_tls: self.direct_tls,
            pinned_cert_sha256: self.editing.clone().flatten(),
            tor: self.tor,
            proxy: (!proxy.is_empty()).then(|| proxy.to_owned()),
        };
        self.pending = Some(jid.clone());
        if self.editing.is_some() {
            return Ok(Command::EditAccount {
                account: jid,
                server,
                password: (!self.password.is_empty()).then(|| Secret::new(self.password.as_str())),
            });
        }
        Ok(Command::AddAccount {
            jid,
            password: Secret::new(self.password.as_str()),
            server,
            register: self.register,
        })
    }

    /// The form.
    pub fn view(&self) -> Element<'_, Message> {
        let busy = self.pending.is_some();
        let input = |placeholder: &'static str, value: &str, on: fn(String) -> Message| {
            let field = text_input(placeholder, value).padding(8);
            if busy {
                field
            } else {
                field.on_input(on).on_submit(Message::Submit)
            }
        };
        let mut col = if self.editing.is_some() {
            column![
                text(format!("Edit {}", self.jid)).size(20),
                input(
                    "New password (leave empty to keep the saved one)",
                    &self.password,
                    Message::Password
                )
                .id(PASSWORD)
                .secure(true),
                text(
                    "This changes only the password Sotto logs in with, after it was \
                     changed elsewhere; the server keeps the password it has.",
                )
                .size(12)
                .style(text::secondary),
            ]
        } else {
            let title = if self.register {
                "Create an account"
            } else {
                "Add an account"
            };
            column![
                text(title).size(20),
                input("name@example.org", &self.jid, Message::Jid).id(JID),
                input("Password", &self.password, Message::Password)
                    .id(PASSWORD)
                    .secure(true),
                checkbox(self.register)
                    .label("Create this account on the server (in-band registration)")
                    .on_toggle_maybe((!busy).then_some(Message::Register)),
                checkbox(self.advanced)
                    .label("Advanced connection options")
                    .on_toggle(Message::Advanced),
            ]
        }
        .spacing(10);
        if self.advanced {
            col = col.push(
                column![
                    row![
                        input("Host (default: from DNS)", &self.host, Message::Host).id(HOST),
                        input("Port", &self.port, Message::Port).id(PORT).width(100),
                    ]
                    .spacing(8),
                    checkbox(self.direct_tls)
                        .label("Direct TLS (no STARTTLS)")
                        .on_toggle_maybe((!busy).then_some(Message::DirectTls)),
                    checkbox(self.tor)
                        .label("Connect only through the built-in Tor")
                        .on_toggle_maybe((!busy).then_some(Message::Tor)),
                    if self.tor {
                        text(
                            "Without a host, the server is reached at its domain on port 5222 \
                              (DNS records cannot be read over Tor).",
                        )
                        .size(12)
                        .style(text::secondary)
                    } else {
                        text("")
                    },
                    input(
                        "SOCKS5 proxy, e.g. socks5://127.0.0.1:9050",
                        &self.proxy,
                        Message::Proxy
                    ),
                ]
                .spacing(8),
            );
        }
        if let Some(error) = &self.error {
            col = col.push(widgets::error_text(error.as_str()));
        }
        let submit = match (busy, self.editing.is_some(), self.register) {
            (true, true, _) => "Saving…",
            (true, false, _) => "Adding…",
            (false, true, _) => "Save",
            (false, false, true) => "Create account",
            (false, false, false) => "Add account",
        };
        col = col.push(
            row![
                button(text(submit))
                    .style(button::primary)
                    .on_press_maybe((!busy).then_some(Message::Submit)),
                button(text("Cancel"))
                    .style(button::secondary)
                    .on_press(Message::Cancel),
            ]
            .spacing(8),
        );
        widgets::card(col).into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fill(form: &mut AccountForm, jid: &str) {
        form.update(Message::Jid(jid.into()));
        form.update(Message::Password("pw".into()));
    }

    #[test]
    fn validates_before_sending() {
        let mut form = AccountForm::default();
        fill(&mut form, "nobody");
        assert!(form.update(Message::Submit).is_none());
        assert!(
            form.error
                .as_deref()
                .is_some_and(|e| e.contains("name@server"))
        );
        fill(&mut form, "a@example.org");
        form.update(Message::Port("99999".into()));
        assert!(form.update(Message::Submit).is_none());
        form.update(Message::Port("5223".into()));
        form.update(Message::Proxy("socks5://127.0.0.1:9050".into()));
        form.update(Message::Tor(true));
        // Tor clears the proxy: the two cannot be combined.
        let Some(Command::AddAccount {
            jid,
            server,
            register,
            ..
        }) = form.update(Message::Submit)
        else {
            panic!("no command");
        };
        assert_eq!(jid, "a@example.org");
        assert!(server.tor && server.proxy.is_none());
        assert_eq!(server.port, Some(5223));
        assert!(!register);
        assert_eq!(form.pending(), Some("a@example.org"));
        // While pending, edits are ignored.
        assert!(form.update(Message::Submit).is_none());
        form.failed("exists");
        assert_eq!(form.error.as_deref(), Some("exists"));
    }
}
