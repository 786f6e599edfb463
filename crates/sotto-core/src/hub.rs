// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! The hub: routes commands to account tasks and answers store queries.

use std::collections::HashMap;
use std::sync::Arc;

use sotto_store::{AccountRecord, AccountSettings, Password as StoredPassword, Store, StoreError};
use tokio::sync::mpsc;

use crate::account::{self, AccountCommand, AccountTask};
use crate::api::{Command, ConnectionState, Event, OmemoTrustMode, ProfileProtection, Request};
use crate::convert;
use crate::transports::{CoreOptions, Transports};

struct Hub {
    /// The request id of the command being handled, until an event
    /// answers it.
    answering: std::cell::Cell<Option<String>>,
    store: Arc<dyn Store>,
    events: mpsc::UnboundedSender<Event>,
    accounts: HashMap<String, AccountTask>,
    transports: Transports,
}

/// Settings key of the "Tor for everything" switch ("true" / "false").
pub const TOR_EVERYWHERE: &str = "tor.everywhere";

pub(crate) async fn run(
    store: Arc<dyn Store>,
    options: CoreOptions,
    mut commands: mpsc::UnboundedReceiver<Request>,
    events: mpsc::UnboundedSender<Event>,
) {
    let mut hub = Hub {
        answering: std::cell::Cell::new(None),
        store,
        transports: Transports::new(options, events.clone()),
        events,
        accounts: HashMap::new(),
    };
    hub.startup();
    while let Some(Request { request, command }) = commands.recv().await {
        if matches!(command, Command::Shutdown) {
            break;
        }
        hub.answering.set(request);
        hub.handle(command).await;
        hub.answering.set(None);
    }
    for (_, task) in hub.accounts.drain() {
        task.stop().await;
    }
    let _ = hub.events.send(Event::Stopped);
}

fn random_resource() -> String {
    let suffix: u32 = rand::random();
    format!("sotto-{suffix:08x}")
}

impl Hub {
    fn emit(&self, mut event: Event) {
        if let Some(id) = self.answering.take()
            && let Err(id) = event.answer(id)
        {
            self.answering.set(Some(id));
        }
        let _ = self.events.send(event);
    }

    fn fail(&self, account: Option<&str>, reason: impl Into<String>) {
        self.emit(Event::CommandFailed {
            account: account.map(str::to_owned),
            reason: reason.into(),
            request: None,
        });
    }

    /// Re-protects the profile on a blocking thread (key derivation, OS
    /// keyring prompts); the hub goes on routing commands meanwhile.
    fn change_protection(&self, current: ProfileProtection, new: ProfileProtection) {
        let store = Arc::clone(&self.store);
        let events = self.events.clone();
        tokio::spawn(async move {
            let (current, new) = (convert::protection(current), convert::protection(new));
            let done =
                tokio::task::spawn_blocking(move || store.change_protection(&current, &new)).await;
            let event = match done {
                Ok(Ok(changed)) => Event::ProfileProtectionChanged {
                    keyring: changed.keyring,
                    warning: changed.warning,
                },
                Ok(Err(StoreError::WrongPassphrase)) => Event::ProfileProtectionUnchanged {
                    reason: "The current passphrase is wrong. Nothing was changed.".into(),
                },
                Ok(Err(StoreError::InvalidKey(why))) => Event::ProfileProtectionUnchanged {
                    reason: format!("The new passphrase cannot be used: {why}."),
                },
                Ok(Err(e)) => Event::ProfileProtectionUnchanged {
                    reason: format!("Could not change how the profile is protected: {e}"),
                },
                Err(e) => Event::ProfileProtectionUnchanged {
                    reason: format!("Changing the profile protection stopped: {e}"),
                },
            };
            let _ = events.send(event);
        });
    }

    fn startup(&mut self) {
        self.transports.everywhere = read_everywhere(self.store.as_ref());
        if let Err(reason) = &self.transports.everywhere {
            tracing::warn!(%reason, "Tor for everything unknown: accounts stay offline");
        }
        match self.store.accounts() {
            Ok(records) => {
                self.emit(Event::AccountsSnapshot {
                    accounts: records.iter().map(|r| r.settings.clone()).collect(),
                });
                // Front ends show the setting; there is no command to ask.
                self.emit(Event::OmemoTrustMode {
                    mode: OmemoTrustMode::parse(
                        self.store
                            .setting(crate::account::OMEMO_TRUST_MODE)
                            .ok()
                            .flatten()
                            .as_deref(),
                    ),
                });
                for record in records.into_iter().filter(|r| r.settings.enabled) {
                    self.spawn(record, false);
                }
            }
            Err(e) => self.fail(None, format!("reading the accounts: {e}")),
        }
    }

    fn spawn(&mut self, record: AccountRecord, register: bool) {
        let jid = record.settings.jid.clone();
        let transport = self.transports.for_account(&record.settings);
        let task = account::spawn(
            record,
            transport,
            register,
            self.store.clone(),
            self.events.clone(),
        );
        self.accounts.insert(jid, task);
    }

    async fn stop(&mut self, jid: &str) {
        if let Some(task) = self.accounts.remove(jid) {
            task.stop().await;
        }
    }

    async fn restart(&mut self, jid: &str) {
        self.stop(jid).await;
        match self.store.account(jid) {
            Ok(Some(record)) if record.settings.enabled => self.spawn(record, false),
            Ok(_) => {}
            Err(e) => self.fail(Some(jid), format!("reading the account: {e}")),
        }
    }

    fn stored(&self, jid: &str) -> Option<AccountRecord> {
        match self.store.account(jid) {
            Ok(Some(record)) => Some(record),
            Ok(None) => {
                self.fail(
                    Some(jid),
                    format!("there is no account {jid} in this profile"),
                );
                None
            }
            Err(e) => {
                self.fail(Some(jid), format!("reading the account: {e}"));
                None
            }
        }
    }

    fn save(&self, record: &AccountRecord) -> bool {
        match self.store.upsert_account(record) {
            Ok(()) => {
                self.emit(Event::AccountChanged {
                    settings: record.settings.clone(),
                });
                true
            }
            Err(e) => {
                self.fail(
                    Some(&record.settings.jid),
                    format!("saving the account: {e}"),
                );
                false
            }
        }
    }

    fn forward(&self, jid: &str, command: AccountCommand) {
        match self.accounts.get(jid) {
            Some(task) => task.send(command),
            None => {
                if let AccountCommand::Api(request) = &command {
                    self.answering.set(request.request.clone());
                }
                self.fail(
                    Some(jid),
                    format!("the account {jid} is not enabled in this profile"),
                );
            }
        }
    }

    async fn handle(&mut self, command: Command) {
        match command {
            Command::AddAccount {
                jid,
                password,
                server,
                register,
            } => {
                let jid = match convert::parse_account_jid(&jid) {
                    Ok(jid) => jid.to_string(),
                    Err(reason) => return self.fail(None, reason),
                };
                if matches!(self.store.account(&jid), Ok(Some(_))) {
                    return self.fail(Some(&jid), format!("the account {jid} already exists"));
                }
                if let Err(reason) = check_server(&server) {
                    return self.fail(Some(&jid), reason);
                }
                let record = AccountRecord {
                    settings: AccountSettings {
                        jid: jid.clone(),
                        resource: random_resource(),
                        host: server.host,
                        port: server.port,
                        direct_tls: server.direct_tls,
                        pinned_cert_sha256: server
                            .pinned_cert_sha256
                            .and_then(|p| sotto_xmpp::CertFingerprint::parse(&p))
                            .map(|f| f.to_hex()),
                        enabled: true,
                        tor: server.tor,
                        proxy: server.proxy,
                    },
                    password: StoredPassword::new(password.expose().to_owned()),
                };
                if self.save(&record) {
                    self.spawn(record, register);
                }
            }
            Command::EditAccount {
                account,
                server,
                password,
            } => {
                if let Err(reason) = check_server(&server) {
                    return self.fail(Some(&account), reason);
                }
                let Some(mut record) = self.stored(&account) else {
                    return;
                };
                let settings = &mut record.settings;
                settings.host = server.host;
                settings.port = server.port;
                settings.direct_tls = server.direct_tls;
                settings.pinned_cert_sha256 = server
                    .pinned_cert_sha256
                    .and_then(|p| sotto_xmpp::CertFingerprint::parse(&p))
                    .map(|f| f.to_hex());
                settings.tor = server.tor;
                settings.proxy = server.proxy;
                if let Some(password) = password {
                    record.password = StoredPassword::new(password.expose().to_owned());
                }
                // A running account reconnects with what was saved.
                if self.save(&record) && record.settings.enabled {
                    self.restart(&account).await;
                }
            }
            Command::RemoveAccount { account } => {
                self.stop(&account).await;
                match self.store.remove_account(&account) {
                    Ok(()) => self.emit(Event::AccountRemoved { account }),
                    Err(e) => self.fail(Some(&account), format!("removing the account: {e}")),
                }
            }
            Command::SetAccountEnabled { account, enabled } => {
                let Some(mut record) = self.stored(&account) else {
                    return;
                };
                record.settings.enabled = enabled;
                if !self.save(&record) {
                    return;
                }
                if enabled {
                    self.restart(&account).await;
                } else {
                    self.stop(&account).await;
                    self.emit(Event::Connection {
                        account,
                        state: ConnectionState::Disabled,
                    });
                }
            }
            Command::PinCertificate { account, sha256 } => {
                let Some(fingerprint) = sotto_xmpp::CertFingerprint::parse(&sha256) else {
                    return self.fail(
                        Some(&account),
                        format!("{sha256:?} is not a SHA-256 fingerprint (64 hex digits)"),
                    );
                };
                let Some(mut record) = self.stored(&account) else {
                    return;
                };
                record.settings.pinned_cert_sha256 = Some(fingerprint.to_hex());
                if self.save(&record) {
                    self.restart(&account).await;
                }
            }
            Command::SetOmemoTrustMode { mode } => {
                if let Err(e) = self
                    .store
                    .set_setting(crate::account::OMEMO_TRUST_MODE, mode.as_str())
                {
                    return self.fail(None, format!("saving the OMEMO trust mode: {e}"));
                }
                self.emit(Event::OmemoTrustMode { mode });
            }
            Command::ChangeProfileProtection { current, new } => {
                self.change_protection(current, new);
            }
            Command::SetTorEverywhere { enabled } => {
                if let Err(e) = self
                    .store
                    .set_setting(TOR_EVERYWHERE, if enabled { "true" } else { "false" })
                {
                    return self.fail(None, format!("saving the Tor setting: {e}"));
                }
                self.transports.everywhere = Ok(enabled);
                self.emit(Event::TorEverywhere { enabled });
                // Reconnect every running account on its new route.
                let running: Vec<String> = self.accounts.keys().cloned().collect();
                for jid in running {
                    self.restart(&jid).await;
                }
            }
            Command::GetTorStatus => {
                self.emit(Event::TorEverywhere {
                    enabled: self.transports.everywhere_shown(),
                });
                if let Some(status) = self.transports.status() {
                    self.emit(status);
                }
            }
            Command::ListAccounts => match self.store.accounts() {
                Ok(records) => self.emit(Event::AccountsSnapshot {
                    accounts: records.into_iter().map(|r| r.settings).collect(),
                }),
                Err(e) => self.fail(None, format!("reading the accounts: {e}")),
            },
            Command::GetRoster { account } => match self.store.roster(&account) {
                Ok((_, items)) => self.emit(Event::RosterSnapshot { account, items }),
                Err(e) => self.fail(Some(&account), format!("reading the roster: {e}")),
            },
            Command::OpenConversation {
                account,
                peer,
                limit,
            } => match self.store.history(&account, &peer, None, limit) {
                Ok(messages) => {
                    let has_more = messages.len() >= limit;
                    self.emit(Event::ConversationSnapshot {
                        account,
                        peer,
                        messages,
                        has_more,
                        request: None,
                    })
                }
                Err(e) => self.fail(Some(&account), format!("reading the conversation: {e}")),
            },
            Command::Search { text, limit } => match self.store.search(&text, limit) {
                Ok(results) => self.emit(Event::SearchResults {
                    text,
                    results,
                    request: None,
                }),
                Err(e) => self.fail(None, format!("searching: {e}")),
            },
            Command::Shutdown => {}
            other => {
                let Some(account) = account::target_account(&other) else {
                    return self.fail(None, "this command is not supported yet");
                };
                let account = account.to_owned();
                let request = Request {
                    // The account answers it.
                    request: self.answering.take(),
                    command: other,
                };
                self.forward(&account, AccountCommand::Api(request));
            }
        }
    }
}

/// The stored "Tor for everything" setting. Anything but a clear answer is
/// an error: it must fail closed (accounts offline), never open (direct).
fn read_everywhere(store: &dyn Store) -> Result<bool, String> {
    match store.setting(TOR_EVERYWHERE) {
        Ok(None) => Ok(false),
        Ok(Some(value)) if value == "true" => Ok(true),
        Ok(Some(value)) if value == "false" => Ok(false),
        Ok(Some(_)) => Err("the stored \"Tor for everything\" setting is unreadable".into()),
        Err(e) => Err(format!("reading the \"Tor for everything\" setting: {e}")),
    }
}

/// Checks the connection options that can be checked without connecting.
fn check_server(server: &crate::api::ServerOptions) -> Result<(), String> {
    if let Some(pin) = &server.pinned_cert_sha256
        && sotto_xmpp::CertFingerprint::parse(pin).is_none()
    {
        return Err(format!(
            "{pin:?} is not a SHA-256 fingerprint (64 hex digits)"
        ));
    }
    if let Some(proxy) = &server.proxy {
        if server.tor {
            return Err("choose either the built-in Tor or a SOCKS5 proxy, not both".into());
        }
        if sotto_xmpp::transport::Socks5Transport::parse(proxy).is_none() {
            return Err(format!(
                "{proxy:?} is not a SOCKS5 proxy address (socks5://HOST:PORT)"
            ));
        }
    }
    Ok(())
}
