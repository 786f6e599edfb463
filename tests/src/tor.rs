// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! A private Tor network on 127.0.0.1, built from Debian's `tor` package, for
//! integration tests of Sotto's built-in Tor (arti).
//!
//! [`TorNetwork::start`] generates keys for three directory authorities and
//! the relays, starts every `tor` as a child process in one temporary
//! directory, and returns once *every* router serves (from its DirPort) both
//! consensus flavours, each listing every router as Running and Valid, an
//! exit with the Exit flag and a router with Guard (15–35 s here; voting
//! every 10 s). It never uses the system tor: not port 9050, not
//! `/var/lib/tor`, not `/etc/tor` (every tor gets an empty
//! `--defaults-torrc`). Exits accept `*:*` but bind outgoing connections to
//! 127.0.0.1, so they cannot reach beyond loopback; `docs/testing.md` says why.
//!
//! Identities are given as arti's configuration wants them: RSA fingerprints
//! and v3 identities as uppercase hex (40 digits), ed25519 identities as
//! standard base64 without padding (43 characters).

mod client;
mod config;
mod consensus;
mod keys;
mod plan;
mod process;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};

pub use client::TorClient;
use config::{Kind, Timing, Torrc};
use process::{Died, Proc};

use crate::{TestDir, free_port};

const AUTHORITIES: usize = 3;
/// At least this many routers (authorities included) for onion services: the
/// descriptor goes to several HSDirs on each of two hash rings.
const ONION_ROUTERS: usize = 8;
const START_TIMEOUT: Duration = Duration::from_secs(180);
const ONION_START_TIMEOUT: Duration = Duration::from_secs(400);
const CLIENT_TIMEOUT: Duration = Duration::from_secs(120);
const ONION_TIMEOUT: Duration = Duration::from_secs(300);
const PORT_ATTEMPTS: usize = 3;
const POLL: Duration = Duration::from_secs(1);
/// How often relays still without the consensus are nudged with SIGHUP.
const NUDGE_EVERY: Duration = Duration::from_secs(5);
const PANIC_LOG_LINES: usize = 15;

/// What network to build.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TorOptions {
    /// Non-authority relays, exits included (half of them, rounded up, and at
    /// least 2 when there are 2 or more, are exits). Default 3.
    pub relays: usize,
    /// Slower voting (75 s), `hsdir_interval=30` and at least 8 routers in
    /// all, so that onion services work ([`TorNetwork::add_onion_service`]).
    /// Takes about 2.5 minutes instead of well under one.
    pub onion_ready: bool,
}

impl Default for TorOptions {
    fn default() -> Self {
        Self {
            relays: 3,
            onion_ready: false,
        }
    }
}

/// A directory authority, as `DirAuthority` lines and arti's
/// `tor_network.authorities` want it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorityInfo {
    pub nickname: String,
    /// Uppercase hex fingerprint of the v3 authority identity key (`v3ident`).
    pub v3ident: String,
    /// Uppercase hex fingerprint of the relay (RSA-1024) identity key.
    pub rsa_fingerprint: String,
    /// The relay's ed25519 identity, base64 without padding.
    pub ed25519_identity: Option<String>,
    pub or_port: u16,
    pub dir_port: u16,
}

/// A router of the network (authorities included), as arti's fallback
/// caches want it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RelayInfo {
    pub nickname: String,
    /// Uppercase hex fingerprint of the RSA-1024 identity key.
    pub rsa_fingerprint: String,
    /// The ed25519 identity, standard base64 without padding (the 32 bytes
    /// after the 32-byte header of `keys/ed25519_master_id_public_key`).
    pub ed25519_identity: String,
    pub or_port: u16,
    pub dir_port: u16,
    pub is_authority: bool,
    /// Accepts exit streams to 127.0.0.0/8 and has the Exit flag.
    pub is_exit: bool,
}

/// A running private Tor network. Dropping it kills (by PID) every tor it
/// started, clients and onion hosts included, and removes its directory
/// (kept with `SOTTO_KEEP_TEST_DIRS=1`). If the thread panics, the tail of
/// every tor's log is printed first.
#[derive(Debug)]
pub struct TorNetwork {
    dir: TestDir,
    options: TorOptions,
    authorities: Vec<AuthorityInfo>,
    relays: Vec<RelayInfo>,
    /// Every tor we started, routers first.
    procs: Mutex<Vec<Proc>>,
    next_instance: AtomicUsize,
}

impl TorNetwork {
    /// Builds and starts the network; see the module documentation.
    ///
    /// # Errors
    ///
    /// If `tor` or `tor-gencert` is missing or fails, a tor exits, or no usable
    /// consensus appears within 180 s (400 s with `onion_ready`). The error
    /// includes the tail of the logs.
    pub fn start(options: TorOptions) -> anyhow::Result<Self> {
        let mut last = None;
        for _ in 0..PORT_ATTEMPTS {
            match Self::try_start(options) {
                Ok(network) => return Ok(network),
                Err(Died::PortTaken(e)) => last = Some(e),
                Err(Died::Other(e)) => return Err(e.context("starting the Tor test network")),
            }
        }
        Err(last
            .unwrap_or_else(|| anyhow::anyhow!("no attempt made"))
            .context(format!(
                "starting the Tor test network: ports taken {PORT_ATTEMPTS} times in a row"
            )))
    }

    /// Every directory authority.
    #[must_use]
    pub fn authorities(&self) -> Vec<AuthorityInfo> {
        self.authorities.clone()
    }

    /// Every router, authorities first.
    #[must_use]
    pub fn relays(&self) -> Vec<RelayInfo> {
        self.relays.clone()
    }

    /// Every ORPort and DirPort of the network's routers, sorted: the only
    /// ports a Tor client of this network has any business connecting to.
    #[must_use]
    pub fn or_ports(&self) -> Vec<u16> {
        let mut ports: Vec<u16> = self
            .relays
            .iter()
            .flat_map(|r| [r.or_port, r.dir_port])
            .collect();
        ports.sort_unstable();
        ports
    }

    /// The options the network was built with.
    #[must_use]
    pub fn options(&self) -> TorOptions {
        self.options
    }

    /// Starts a C tor client with a SOCKS port on 127.0.0.1 and waits until it
    /// has bootstrapped to 100 %.
    ///
    /// # Errors
    ///
    /// If tor exits or does not bootstrap within 120 s.
    pub fn start_client(&self) -> anyhow::Result<TorClient> {
        let mut last = None;
        for _ in 0..PORT_ATTEMPTS {
            let socks_port = free_port();
            let proc = self.spawn_instance("client", Kind::Client { socks_port })?;
            match proc.wait_for_log("notice.log", "Bootstrapped 100%", CLIENT_TIMEOUT) {
                Ok(()) => return Ok(TorClient::new(socks_port, proc)),
                Err(Died::PortTaken(e)) => last = Some(e),
                Err(Died::Other(e)) => return Err(e.context("starting a tor client")),
            }
        }
        Err(last
            .unwrap_or_else(|| anyhow::anyhow!("no attempt made"))
            .context("starting a tor client: SOCKS ports taken"))
    }

    /// Starts a tor instance hosting a new v3 onion service whose virtual port
    /// `target_port` leads to 127.0.0.1:`target_port`, and waits until its
    /// descriptor has been uploaded to an HSDir. Returns the `….onion`
    /// hostname. Each call starts one more tor.
    ///
    /// # Errors
    ///
    /// If the network was not started with `onion_ready`, tor exits, or the
    /// upload does not happen within 300 s.
    pub fn add_onion_service(&mut self, target_port: u16) -> anyhow::Result<String> {
        if !self.options.onion_ready {
            bail!("add_onion_service needs a network started with TorOptions::onion_ready");
        }
        let proc = self.spawn_instance("onion", Kind::Onion { port: target_port })?;
        proc.wait_for_log(
            "info.log",
            "Uploading hidden service descriptor: finished with status 200",
            ONION_TIMEOUT,
        )
        .map_err(|e| e.into_error().context("publishing an onion service"))?;
        let hostname = std::fs::read_to_string(proc.dir.join("hs/hostname"))
            .context("reading the onion service's hostname")?;
        Ok(hostname.trim().to_owned())
    }

    /// The last `n` lines of every tor's notice log, each under a header.
    #[must_use]
    pub fn log_tail(&self, n: usize) -> String {
        let procs = self.procs.lock().unwrap_or_else(PoisonError::into_inner);
        procs
            .iter()
            .map(|p| {
                format!(
                    "--- tor {} ({}) ---\n{}",
                    p.name,
                    p.dir.display(),
                    p.log_tail(n)
                )
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    fn try_start(options: TorOptions) -> Result<Self, Died> {
        let started = Instant::now();
        let dir = TestDir::new("tor")
            .context("creating the Tor test directory")
            .map_err(Died::Other)?;
        let plans = plan::plan(options);
        let (authorities, relays) = plan::generate_keys(&dir, &plans).map_err(Died::Other)?;
        let network = Self {
            dir,
            options,
            authorities,
            relays,
            procs: Mutex::new(Vec::new()),
            next_instance: AtomicUsize::new(0),
        };
        for plan in &plans {
            let torrc = network.torrc(&plan.nickname, plan.kind, plan.or_port, plan.dir_port);
            let proc = Proc::spawn(&plan.nickname, &network.dir.join(&plan.nickname), &torrc)
                .map_err(Died::Other)?;
            network.lock_procs().push(proc);
        }
        network.wait_for_consensus(started)?;
        Ok(network)
    }

    /// Polls every router's DirPort until all of them serve a usable
    /// consensus (see [`consensus::not_ready`]).
    fn wait_for_consensus(&self, started: Instant) -> Result<(), Died> {
        let timeout = if self.options.onion_ready {
            ONION_START_TIMEOUT
        } else {
            START_TIMEOUT
        };
        let (authorities, relays): (Vec<RelayInfo>, Vec<RelayInfo>) =
            self.relays.iter().cloned().partition(|r| r.is_authority);
        let onion = self.options.onion_ready;
        let mut nudged: Option<Instant> = None;
        loop {
            for proc in self.lock_procs().iter() {
                proc.check_alive()?;
            }
            // Relays too: they are directory caches (arti's fallbacks).
            let why_not = consensus::not_served_by(&authorities, &self.relays, onion)
                .or_else(|| consensus::not_served_by(&relays, &self.relays, onion));
            // Relays publish their descriptor only once they hold a consensus
            // (the first one lists the authorities alone), and they back off
            // after each 404 before it exists. A SIGHUP makes tor reset its
            // download failures and fetch at once.
            if why_not.is_some()
                && nudged.is_none_or(|t| t.elapsed() > NUDGE_EVERY)
                && consensus::published(authorities[0].dir_port)
            {
                nudged = Some(Instant::now());
                for proc in self
                    .lock_procs()
                    .iter()
                    .filter(|p| relays.iter().any(|r| r.nickname == p.name))
                {
                    proc.hup().map_err(Died::Other)?;
                }
            }
            let Some(why_not) = why_not else {
                return Ok(());
            };
            if started.elapsed() > timeout {
                return Err(Died::Other(anyhow::anyhow!(
                    "no usable consensus after {timeout:?} ({why_not})\n{}",
                    self.log_tail(20)
                )));
            }
            std::thread::sleep(POLL);
        }
    }

    /// Spawns a client-side tor (`client1`, `onion2`, …) and records it.
    fn spawn_instance(&self, prefix: &str, kind: Kind) -> anyhow::Result<Proc> {
        let n = self.next_instance.fetch_add(1, Ordering::Relaxed) + 1;
        let name = format!("{prefix}{n}");
        let torrc = self.torrc(&name, kind, 0, 0);
        let proc = Proc::spawn(&name, &self.dir.join(&name), &torrc)?;
        self.lock_procs().push(proc.clone());
        Ok(proc)
    }

    fn torrc(&self, nickname: &str, kind: Kind, or_port: u16, dir_port: u16) -> String {
        let exit_fingerprints: Vec<String> = self
            .relays
            .iter()
            .filter(|r| r.is_exit)
            .map(|r| r.rsa_fingerprint.clone())
            .collect();
        let timing = if self.options.onion_ready {
            Timing {
                voting_interval: 75,
                hsdir_interval: Some(30),
            }
        } else {
            Timing {
                voting_interval: 10,
                hsdir_interval: None,
            }
        };
        config::render(&Torrc {
            data_dir: &self.dir.join(nickname),
            nickname,
            kind,
            or_port,
            dir_port,
            authorities: &self.authorities,
            timing,
            exit_fingerprints: &exit_fingerprints,
        })
    }

    fn lock_procs(&self) -> std::sync::MutexGuard<'_, Vec<Proc>> {
        self.procs.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Drop for TorNetwork {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!(
                "--- Tor test network logs (last {PANIC_LOG_LINES} lines each) ---\n{}\n--- end of Tor logs ---",
                self.log_tail(PANIC_LOG_LINES)
            );
        }
        for proc in self.lock_procs().iter() {
            proc.kill();
        }
    }
}
