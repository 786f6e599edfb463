// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! Accounts: the list with each account's connection state (and why it is
//! offline), enable/disable/remove, the add-account dialog, the certificate
//! prompt, and the network settings ("Tor for everything" and Tor's
//! bootstrap progress).

use iced::widget::{
    Column, button, checkbox, column, container, progress_bar, row, scrollable, space, text,
};
use iced::{Alignment, Element, Length, Task};
use sotto_core::{Command, ConnectionState, Event};
use sotto_store::AccountSettings;

use super::account_form::{self, AccountForm};
pub use super::certificate::{CertPrompt, prompt_view};
use crate::core_link::Core;
use crate::widgets;

/// One account as the GUI knows it.
#[derive(Debug, Clone)]
pub struct Account {
    /// Its settings (from the core's snapshot and changes).
    pub settings: AccountSettings,
    /// The last connection state reported.
    pub connection: Option<ConnectionState>,
    problem: Option<String>,
    /// What the account's server lacks, from the last fresh login, in words.
    limits: Vec<&'static str>,
    /// Why OMEMO could not be set up (told once by the core; gone once
    /// the keys are published).
    omemo_problem: Option<String>,
    confirm_remove: bool,
}

impl Account {
    /// Whether the account is logged in.
    pub fn online(&self) -> bool {
        matches!(self.connection, Some(ConnectionState::Online { .. }))
    }
}

/// Tor's bootstrap progress.
#[derive(Debug, Clone)]
struct TorProgress {
    percent: u8,
    ready: bool,
    summary: String,
    blocked: Option<String>,
}

/// The accounts pane's state.
#[derive(Debug, Default)]
pub struct Accounts {
    list: Vec<Account>,
    form: Option<AccountForm>,
    prompts: Vec<CertPrompt>,
    tor_everywhere: bool,
    tor: Option<TorProgress>,
    notice: Option<String>,
}

/// What the user does here.
#[derive(Debug, Clone)]
pub enum Message {
    /// Open the add-account dialog.
    ShowForm,
    /// A message of the dialog.
    Form(account_form::Message),
    /// Open the dialog on an account's settings.
    Edit(String),
    /// Enable or disable an account (enabling also retries a stopped one).
    SetEnabled(String, bool),
    /// Ask to remove an account.
    Remove(String),
    /// Confirm the removal.
    RemoveConfirm(String),
    /// Keep the account.
    RemoveCancel(String),
    /// Trust the certificate of the first prompt.
    Pin,
    /// Close the first prompt without trusting.
    DismissPrompt,
    /// The "Tor for everything" switch.
    TorEverywhere(bool),
    /// Close the notice.
    DismissNotice,
}

impl Accounts {
    /// The accounts, in the order they were added.
    pub fn list(&self) -> &[Account] {
        &self.list
    }

    /// One account.
    pub fn get(&self, jid: &str) -> Option<&Account> {
        self.list.iter().find(|a| a.settings.jid == jid)
    }

    /// The certificate prompt to show, if any.
    pub fn prompt(&self) -> Option<&CertPrompt> {
        self.prompts.first()
    }

    /// Whether the add-account dialog is open.
    pub fn form_open(&self) -> bool {
        self.form.is_some()
    }

    /// Opens the add-account dialog.
    pub fn show_form(&mut self) -> Task<Message> {
        let (form, task) = AccountForm::new();
        self.form = Some(form);
        task.map(Message::Form)
    }

    /// Applies a core event. Returns the accounts whose roster to ask for.
    pub fn on_event(&mut self, event: &Event) -> Vec<String> {
        match event {
            Event::AccountsSnapshot { accounts } => {
                let old = std::mem::take(&mut self.list);
                self.list = accounts
                    .iter()
                    .map(|settings| {
                        let previous = old.iter().find(|a| a.settings.jid == settings.jid);
                        Account {
                            settings: settings.clone(),
                            connection: previous.and_then(|a| a.connection.clone()),
                            problem: previous.and_then(|a| a.problem.clone()),
                            limits: previous.map(|a| a.limits.clone()).unwrap_or_default(),
                            omemo_problem: previous.and_then(|a| a.omemo_problem.clone()),
                            confirm_remove: false,
                        }
                    })
                    .collect();
                return accounts.iter().map(|a| a.jid.clone()).collect();
            }
            Event::AccountChanged { settings } => {
                if self.form.as_ref().and_then(AccountForm::pending) == Some(settings.jid.as_str())
                {
                    self.form = None;
                }
                match self
                    .list
                    .iter_mut()
                    .find(|a| a.settings.jid == settings.jid)
                {
                    Some(account) => account.settings = settings.clone(),
                    None => {
                        self.list.push(Account {
                            settings: settings.clone(),
                            connection: None,
                            problem: None,
                            limits: Vec::new(),
                            omemo_problem: None,
                            confirm_remove: false,
                        });
                        return vec![settings.jid.clone()];
                    }
                }
            }
            Event::AccountRemoved { account } => {
                self.list.retain(|a| &a.settings.jid != account);
                self.prompts.retain(|p| &p.account != account);
            }
            Event::AccountRegistered { account } => {
                self.notice = Some(format!("The account {account} was created on its server."));
            }
            Event::Connection { account, state } => {
                if let Some(a) = self.find_mut(account) {
                    if matches!(
                        state,
                        ConnectionState::Online { .. } | ConnectionState::Disabled
                    ) {
                        a.problem = None;
                    }
                    a.connection = Some(state.clone());
                }
            }
            Event::CertificateUntrusted {
                account,
                sha256,
                reason,
            } => self.push_prompt(CertPrompt {
                account: account.clone(),
                sha256: sha256.clone(),
                reason: reason.clone(),
                pinned: None,
            }),
            Event::CertificateChanged {
                account,
                pinned_sha256,
                presented_sha256,
            } => self.push_prompt(CertPrompt {
                account: account.clone(),
                sha256: presented_sha256.clone(),
                reason: "The server presented a different certificate than the one you \
                         trusted before. This happens when a certificate is renewed, but it \
                         may also mean someone is intercepting the connection."
                    .into(),
                pinned: Some(pinned_sha256.clone()),
            }),
            Event::ChannelBindingRejected { account, reason } => {
                if let Some(a) = self.find_mut(account) {
                    a.problem = Some(format!(
                        "Sotto could not log in: {reason}. Your password was not rejected. \
                         Enable the account again later, or from another network."
                    ));
                }
            }
            Event::ServerFeatures { account, missing } => {
                if let Some(a) = self.find_mut(account) {
                    // OMEMO's own notice (omemo_unavailable) tells what a
                    // missing PEP means, and what still works.
                    a.limits = missing
                        .iter()
                        .filter(|f| **f != sotto_core::MissingFeature::Pep)
                        .map(|f| f.explain())
                        .collect();
                }
            }
            Event::AuthenticationFailed { account, reason } => {
                if let Some(a) = self.find_mut(account) {
                    a.problem = Some(format!(
                        "The server refused the login ({reason}). Check the password, then \
                         enable the account again."
                    ));
                }
            }
            Event::OmemoUnavailable { account, reason } => {
                if let Some(a) = self.find_mut(account) {
                    a.omemo_problem = Some(format!(
                        "OMEMO is unavailable: {reason}. Unencrypted messages are still sent; \
                         a message that is to go with OMEMO is not."
                    ));
                }
            }
            Event::OmemoReady { account, .. } => {
                if let Some(a) = self.find_mut(account) {
                    a.omemo_problem = None;
                }
            }
            Event::CommandFailed {
                account, reason, ..
            } => {
                let pending = self
                    .form
                    .as_ref()
                    .and_then(AccountForm::pending)
                    .map(str::to_owned);
                match (pending, account) {
                    (Some(p), a) if a.is_none() || a.as_deref() == Some(p.as_str()) => {
                        if let Some(form) = &mut self.form {
                            form.failed(reason);
                        }
                    }
                    (_, Some(a)) => {
                        if let Some(account) = self.find_mut(a) {
                            account.problem = Some(reason.clone());
                        }
                    }
                    (_, None) => self.notice = Some(reason.clone()),
                }
            }
            Event::TorStatus {
                percent,
                ready,
                summary,
                blocked,
            } => {
                self.tor = Some(TorProgress {
                    percent: *percent,
                    ready: *ready,
                    summary: summary.clone(),
                    blocked: blocked.clone(),
                });
            }
            Event::TorEverywhere { enabled } => self.tor_everywhere = *enabled,
            _ => {}
        }
        Vec::new()
    }

    fn find_mut(&mut self, jid: &str) -> Option<&mut Account> {
        self.list.iter_mut().find(|a| a.settings.jid == jid)
    }

    fn push_prompt(&mut self, prompt: CertPrompt) {
        self.prompts.retain(|p| p.account != prompt.account);
        self.prompts.push(prompt);
    }

    /// Handles a message.
    pub fn update(&mut self, message: Message, core: &Core) -> Task<Message> {
        match message {
            Message::ShowForm => return self.show_form(),
            Message::Form(account_form::Message::Cancel) => self.form = None,
            Message::Form(m) => {
                if let Some(form) = &mut self.form
                    && let Some(command) = form.update(m)
                {
                    core.send(command);
                }
            }
            Message::Edit(jid) => {
                if let Some(account) = self.get(&jid) {
                    let (form, task) = AccountForm::edit(&account.settings);
                    self.form = Some(form);
                    return task.map(Message::Form);
                }
            }
            Message::SetEnabled(jid, enabled) => {
                if let Some(a) = self.find_mut(&jid) {
                    a.problem = None;
                }
                core.send(Command::SetAccountEnabled {
                    account: jid,
                    enabled,
                });
            }
            Message::Remove(jid) => {
                if let Some(a) = self.find_mut(&jid) {
                    a.confirm_remove = true;
                }
            }
            Message::RemoveCancel(jid) => {
                if let Some(a) = self.find_mut(&jid) {
                    a.confirm_remove = false;
                }
            }
            Message::RemoveConfirm(jid) => core.send(Command::RemoveAccount { account: jid }),
            Message::Pin => {
                if !self.prompts.is_empty() {
                    let prompt = self.prompts.remove(0);
                    core.send(Command::PinCertificate {
                        account: prompt.account,
                        sha256: prompt.sha256,
                    });
                }
            }
            Message::DismissPrompt => {
                if !self.prompts.is_empty() {
                    self.prompts.remove(0);
                }
            }
            Message::TorEverywhere(enabled) => {
                core.send(Command::SetTorEverywhere { enabled });
            }
            Message::DismissNotice => self.notice = None,
        }
        Task::none()
    }

    /// The accounts pane.
    pub fn view(&self) -> Element<'_, Message> {
        let mut col = Column::new().spacing(16).padding(20).max_width(720);
        let mut header =
            row![text("Accounts").size(24), space::horizontal()].align_y(Alignment::Center);
        if self.form.is_none() {
            header = header.push(
                button(text("Add account"))
                    .style(button::primary)
                    .on_press(Message::ShowForm),
            );
        }
        col = col.push(header);
        if let Some(notice) = &self.notice {
            col = col.push(widgets::card(
                row![
                    text(notice.as_str()),
                    space::horizontal(),
                    button(text("Close").size(13))
                        .style(button::text)
                        .on_press(Message::DismissNotice),
                ]
                .align_y(Alignment::Center),
            ));
        }
        if let Some(form) = &self.form {
            col = col.push(form.view().map(Message::Form));
        }
        if self.list.is_empty() && self.form.is_none() {
            col = col.push(text(
                "No account yet. Add the XMPP account you already have, or create a new one \
                 on a server that allows sign-up.",
            ));
        }
        for account in &self.list {
            col = col.push(account_row(account));
        }
        col = col.push(self.network());
        scrollable(container(col).center_x(Length::Fill)).into()
    }

    fn network(&self) -> Element<'_, Message> {
        let mut col = column![
            text("Network").size(18),
            checkbox(self.tor_everywhere)
                .label("Connect every account only through the built-in Tor")
                .on_toggle(Message::TorEverywhere),
        ]
        .spacing(10);
        if let Some(tor) = &self.tor {
            let state = if tor.ready {
                "Tor is ready.".to_owned()
            } else {
                format!("Starting Tor: {}", tor.summary)
            };
            col = col.push(text(state).size(13));
            if !tor.ready {
                col = col.push(progress_bar(0.0..=100.0, f32::from(tor.percent)).girth(6));
                if self.tor_everywhere {
                    col = col.push(
                        button(text("Stop using Tor for everything").size(13))
                            .style(button::secondary)
                            .on_press(Message::TorEverywhere(false)),
                    );
                }
            }
            if let Some(blocked) = &tor.blocked {
                col = col.push(widgets::error_text(format!("Tor is blocked: {blocked}")).size(13));
            }
        }
        widgets::card(col).width(Length::Fill).into()
    }
}

/// Words for a connection state.
pub fn connection_label(state: Option<&ConnectionState>) -> String {
    match state {
        None => "Not connected yet".into(),
        Some(ConnectionState::Disabled) => "Disabled".into(),
        Some(ConnectionState::Connecting) => "Connecting…".into(),
        Some(ConnectionState::Online { jid, .. }) => format!("Online as {jid}"),
        Some(ConnectionState::Offline {
            reason,
            retry_in_ms: Some(ms),
        }) => format!(
            "Offline: {reason}. Trying again in {} s.",
            ms.div_ceil(1000)
        ),
        Some(ConnectionState::Offline {
            reason,
            retry_in_ms: None,
        }) => format!("Offline: {reason}"),
    }
}

fn account_row(account: &Account) -> Element<'_, Message> {
    let jid = &account.settings.jid;
    let state = account.connection.as_ref();
    let trying = matches!(
        state,
        Some(
            ConnectionState::Connecting
                | ConnectionState::Offline {
                    retry_in_ms: Some(_),
                    ..
                }
        )
    );
    let stopped = matches!(
        state,
        Some(ConnectionState::Offline {
            retry_in_ms: None,
            ..
        })
    );
    let mut info = column![
        text(jid.as_str()).size(16),
        row![
            widgets::dot(widgets::connection_color(account.online(), trying)),
            text(connection_label(state)).size(13),
        ]
        .spacing(6)
        .align_y(Alignment::Center),
    ]
    .spacing(4);
    let route = if account.settings.tor {
        Some("through the built-in Tor".to_owned())
    } else {
        account
            .settings
            .proxy
            .as_ref()
            .map(|p| format!("through the proxy {p}"))
    };
    if let Some(route) = route {
        info = info.push(
            text(format!("Connects {route}"))
                .size(12)
                .style(text::secondary),
        );
    }
    for limit in &account.limits {
        info = info.push(text(capitalized(limit)).size(12).style(text::secondary));
    }
    if let Some(problem) = &account.problem {
        info = info.push(widgets::error_text(problem.as_str()).size(13));
    }
    if let Some(problem) = &account.omemo_problem {
        info = info.push(widgets::error_text(problem.as_str()).size(13));
    }
    let enabled = account.settings.enabled;
    let mut actions = row![].spacing(8).align_y(Alignment::Center);
    if account.confirm_remove {
        actions = actions
            .push(text("Remove it and all its messages?").size(13))
            .push(
                button(text("Remove"))
                    .style(button::danger)
                    .on_press(Message::RemoveConfirm(jid.clone())),
            )
            .push(
                button(text("Keep"))
                    .style(button::secondary)
                    .on_press(Message::RemoveCancel(jid.clone())),
            );
    } else {
        if enabled && stopped {
            actions = actions.push(
                button(text("Try again"))
                    .style(button::primary)
                    .on_press(Message::SetEnabled(jid.clone(), true)),
            );
        }
        actions = actions
            .push(
                button(text("Edit"))
                    .style(button::secondary)
                    .on_press(Message::Edit(jid.clone())),
            )
            .push(
                button(text(if enabled { "Disable" } else { "Enable" }))
                    .style(button::secondary)
                    .on_press(Message::SetEnabled(jid.clone(), !enabled)),
            )
            .push(
                button(text("Remove"))
                    .style(button::secondary)
                    .on_press(Message::Remove(jid.clone())),
            );
    }
    widgets::card(
        row![
            widgets::avatar(None, jid, 40.0),
            info.width(Length::Fill),
            actions
        ]
        .spacing(12)
        .align_y(Alignment::Center),
    )
    .width(Length::Fill)
    .into()
}

/// A sentence from a lower-case explanation.
fn capitalized(line: &str) -> String {
    let mut chars = line.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).chain(['.']).collect(),
        None => String::new(),
    }
}
