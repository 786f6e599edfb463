// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! Sotto's built-in Tor, on Arti.
//!
//! [`Tor`] owns one Arti client whose state and cache live in the profile
//! directory; [`Tor::transport`] hands each account a [`TorTransport`] on
//! its own isolated circuits, so two accounts cannot be linked by their exit.
//! The transport opens Arti streams *by host name* (the exit resolves it);
//! nothing here ever performs a local DNS or SRV lookup, and a failure is an
//! error, never a fallback to a direct connection.
//!
//! This is the only crate that depends on `arti-client`. It must never open a
//! socket outside Arti, log message content, or resolve names locally.

mod config;
mod transport;

use std::path::PathBuf;
use std::sync::Arc;

use arti_client::TorClient;
use futures::StreamExt;
use tor_rtcompat::PreferredRuntime;

pub use config::{CustomAuthority, CustomFallback, CustomNetwork};
pub use transport::TorTransport;

/// Errors of the Tor layer, saying what was being done.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TorError {
    /// The configuration was refused.
    #[error("configuring Tor: {0}")]
    Config(String),
    /// Arti could not start.
    #[error("starting Tor: {0}")]
    Start(String),
    /// Bootstrapping failed.
    #[error("connecting to the Tor network: {0}")]
    Bootstrap(String),
}

/// Where Arti keeps its files, and which network to use.
#[derive(Clone, Debug)]
pub struct TorConfig {
    /// Arti's state directory (guards, keys), inside the profile directory.
    pub state_dir: PathBuf,
    /// Arti's cache directory (directory documents), inside the profile directory.
    pub cache_dir: PathBuf,
    /// A private network instead of the public Tor network (tests).
    pub network: Option<CustomNetwork>,
}

/// Bootstrap progress, for front ends.
#[derive(Clone, Debug, PartialEq)]
pub struct TorProgress {
    /// 0–100.
    pub percent: u8,
    /// Usable for traffic.
    pub ready: bool,
    /// What Arti is doing, in its words.
    pub summary: String,
    /// Why progress is blocked, if it is.
    pub blocked: Option<String>,
}

/// The embedded Tor client.
#[derive(Clone)]
pub struct Tor {
    client: Arc<TorClient<PreferredRuntime>>,
}

impl std::fmt::Debug for Tor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tor").finish_non_exhaustive()
    }
}

impl Tor {
    /// Creates the client (without touching the network yet). Must run
    /// inside a tokio runtime.
    pub fn new(config: &TorConfig) -> Result<Tor, TorError> {
        let built = config::build(config)?;
        let client = TorClient::with_runtime(
            PreferredRuntime::current().map_err(|e| TorError::Start(e.to_string()))?,
        )
        .config(built)
        .bootstrap_behavior(arti_client::BootstrapBehavior::OnDemand)
        .create_unbootstrapped()
        .map_err(|e| TorError::Start(e.to_string()))?;
        Ok(Tor { client })
    }

    /// Connects to the Tor network (returns at once if already done).
    pub async fn bootstrap(&self) -> Result<(), TorError> {
        self.client
            .bootstrap()
            .await
            .map_err(|e| TorError::Bootstrap(e.to_string()))
    }

    /// Current progress.
    pub fn progress(&self) -> TorProgress {
        progress(&self.client.bootstrap_status())
    }

    /// Progress updates until the client is dropped.
    pub fn progress_events(&self) -> impl futures::Stream<Item = TorProgress> + Send + 'static {
        self.client
            .bootstrap_events()
            .map(|status| progress(&status))
    }

    /// A transport for one account, on circuits no other account shares.
    pub fn transport(&self) -> TorTransport {
        TorTransport::new(self.client.isolated_client())
    }
}

fn progress(status: &arti_client::status::BootstrapStatus) -> TorProgress {
    let percent = (status.as_frac().clamp(0.0, 1.0) * 100.0).round() as u8;
    TorProgress {
        percent,
        ready: status.ready_for_traffic(),
        summary: status.to_string(),
        blocked: status.blocked().map(|b| b.to_string()),
    }
}
