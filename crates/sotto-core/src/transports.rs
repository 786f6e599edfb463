// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! Choosing how each account reaches its server: directly, through a SOCKS5
//! proxy, or through the built-in Tor. A Tor account never falls back to a
//! direct connection: if Tor cannot be set up, the account stays offline.

use std::path::PathBuf;
use std::sync::Arc;

use futures::StreamExt;
use sotto_store::AccountSettings;
use sotto_tor::{CustomNetwork, Tor, TorConfig};
use sotto_xmpp::{DirectTransport, Transport, transport::Socks5Transport};
use tokio::sync::mpsc;

use crate::api::Event;

/// Options of the core beyond its store.
#[derive(Clone, Debug, Default)]
pub struct CoreOptions {
    /// The profile directory: Arti's state and cache live in `tor/` inside it.
    pub profile_dir: Option<PathBuf>,
    /// Use this private Tor network instead of the public one (tests).
    pub tor_network: Option<CustomNetwork>,
}

pub(crate) struct Transports {
    options: CoreOptions,
    tor: Option<Tor>,
    events: mpsc::UnboundedSender<Event>,
    /// "Tor for everything": `Err` when the stored setting could not be
    /// read, which keeps every account offline (never a direct connection).
    pub(crate) everywhere: Result<bool, String>,
}

impl Transports {
    pub(crate) fn new(options: CoreOptions, events: mpsc::UnboundedSender<Event>) -> Self {
        Self {
            options,
            tor: None,
            events,
            everywhere: Ok(false),
        }
    }

    /// Whether this account goes through Tor.
    pub(crate) fn uses_tor(&self, settings: &AccountSettings) -> bool {
        settings.tor || self.everywhere != Ok(false)
    }

    /// Whether "Tor for everything" is on, as front ends are told: an
    /// unreadable setting is shown as on, since it is enforced as such.
    pub(crate) fn everywhere_shown(&self) -> bool {
        self.everywhere != Ok(false)
    }

    /// The transport for an account, or why it cannot connect.
    pub(crate) fn for_account(
        &mut self,
        settings: &AccountSettings,
    ) -> Result<Arc<dyn Transport>, String> {
        if let Err(reason) = &self.everywhere {
            return Err(format!(
                "{reason}; every account stays offline until \"Tor for everything\" is set again"
            ));
        }
        if self.uses_tor(settings) {
            let tor = self.tor()?;
            return Ok(Arc::new(tor.transport()));
        }
        if let Some(url) = &settings.proxy {
            let mut proxy = Socks5Transport::parse(url).ok_or_else(|| {
                format!("{url:?} is not a SOCKS5 proxy address (socks5://HOST:PORT)")
            })?;
            // Distinct credentials per account: a Tor SOCKS port then keeps
            // each account on its own circuits.
            proxy.credentials = Some((format!("sotto:{}", settings.jid), "isolate".to_owned()));
            return Ok(Arc::new(proxy));
        }
        Ok(Arc::new(DirectTransport))
    }

    /// The Tor client, created on first use.
    pub(crate) fn tor(&mut self) -> Result<Tor, String> {
        if let Some(tor) = &self.tor {
            return Ok(tor.clone());
        }
        let Some(dir) = &self.options.profile_dir else {
            return Err("Tor needs a profile directory for its state; none was given".into());
        };
        let tor = Tor::new(&TorConfig {
            state_dir: dir.join("tor").join("state"),
            cache_dir: dir.join("tor").join("cache"),
            network: self.options.tor_network.clone(),
        })
        .map_err(|e| e.to_string())?;
        let events = self.events.clone();
        let mut progress = tor.progress_events();
        tokio::spawn(async move {
            while let Some(p) = progress.next().await {
                let event = Event::TorStatus {
                    percent: p.percent,
                    ready: p.ready,
                    summary: p.summary,
                    blocked: p.blocked,
                };
                if events.send(event).is_err() {
                    return;
                }
            }
        });
        let bootstrapping = tor.clone();
        let events = self.events.clone();
        tokio::spawn(async move {
            if let Err(e) = bootstrapping.bootstrap().await {
                tracing::warn!(error = %e, "Tor bootstrap failed");
                let _ = events.send(Event::CommandFailed {
                    account: None,
                    reason: e.to_string(),
                    request: None,
                });
            }
        });
        self.tor = Some(tor.clone());
        Ok(tor)
    }

    pub(crate) fn status(&self) -> Option<Event> {
        self.tor.as_ref().map(|tor| {
            let p = tor.progress();
            Event::TorStatus {
                percent: p.percent,
                ready: p.ready,
                summary: p.summary,
                blocked: p.blocked,
            }
        })
    }
}
