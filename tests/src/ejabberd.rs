// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! A real ejabberd 23.01 (Debian's package) on loopback, one per test.
//!
//! `ejabberdctl` is not used: as root it re-runs itself as the `ejabberd`
//! user through `su` (so every file would have to be readable by that user),
//! and each call starts a distributed Erlang node, which needs `epmd` and a
//! cookie. Instead the harness runs `erl` directly, as the current user,
//! *without* Erlang distribution (the node is `nonode@nohost`): no `epmd`,
//! no cookie, no node name to collide between parallel tests, nothing
//! listening but the four ports of the configuration. Accounts are created
//! through `mod_http_api` (`POST /api/register`) on a loopback-only HTTP port.

mod config;

use std::fs::File;
use std::io::{Read as _, Write as _};
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};

use crate::readiness::{answers_stream, read_from, tail};
use crate::{TestDir, free_port};
use config::{Layout, Settings};

const ERL: &str = "erl";
/// Where Debian installs ejabberd and the Erlang libraries it needs
/// (`ERL_LIBS` in `/usr/sbin/ejabberdctl`).
const ERL_LIBS: &str = "/usr/lib/x86_64-linux-gnu";
const DOMAIN: &str = "localhost";
/// Set to get ejabberd's debug log (every stanza, as "Received XML on stream").
const DEBUG_ENV: &str = "SOTTO_EJABBERD_DEBUG";
/// Comma-separated SASL mechanisms every test ejabberd hides as well, e.g.
/// `SCRAM-SHA-1-PLUS` to see what fails after login while the client's
/// channel binding is broken. A debugging aid: unset, ejabberd offers
/// what Debian's configuration offers.
const DISABLE_SASL_ENV: &str = "SOTTO_EJABBERD_DISABLE_SASL";
const START_TIMEOUT: Duration = Duration::from_secs(60);
const STOP_TIMEOUT: Duration = Duration::from_secs(15);
const PORT_ATTEMPTS: usize = 5;
const PANIC_LOG_LINES: usize = 50;

/// What differs between test ejabberds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct EjabberdOptions {
    /// SASL mechanisms to hide (`disable_sasl_mechanisms`), on top of the
    /// `digest-md5` and `X-OAUTH2` that Debian's configuration hides.
    pub disable_sasl_mechanisms: Vec<String>,
}

impl EjabberdOptions {
    /// Also hides these SASL mechanisms, e.g. `"SCRAM-SHA-1-PLUS"`.
    #[must_use]
    pub fn disable_sasl_mechanisms<I, S>(mut self, mechanisms: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.disable_sasl_mechanisms
            .extend(mechanisms.into_iter().map(Into::into));
        self
    }
}

/// A running ejabberd server owned by one test.
///
/// Everything lives in its own temporary directory: configuration, generated
/// certificate, Mnesia spool, uploads and logs. It listens on 127.0.0.1 only:
/// STARTTLS on [`c2s_port`](Self::c2s_port), XEP-0368 direct TLS on
/// [`direct_tls_port`](Self::direct_tls_port), HTTP upload over HTTPS on
/// [`https_port`](Self::https_port) and the admin API over plain HTTP on a
/// fourth port. In-band registration is open.
///
/// Dropping it kills the VM (by PID) and removes the directory; if the thread
/// is panicking, the last lines of ejabberd's log are printed first.
#[derive(Debug)]
pub struct Ejabberd {
    options: EjabberdOptions,
    dir: TestDir,
    c2s_port: u16,
    direct_tls_port: u16,
    https_port: u16,
    api_port: u16,
    component_port: u16,
    cert_sha256: String,
    child: Option<Child>,
}

enum LaunchError {
    /// Another process took one of our ports before ejabberd bound it.
    PortTaken(anyhow::Error),
    Other(anyhow::Error),
}

impl Ejabberd {
    /// Starts ejabberd with the default options (about 1.5 s).
    ///
    /// # Errors
    ///
    /// If `erl` or ejabberd is not installed, the VM exits during start-up,
    /// or it is not ready within 60 s. The error includes the tail of its log.
    pub fn start() -> anyhow::Result<Self> {
        Self::start_with(EjabberdOptions::default())
    }

    /// Generates a certificate and configuration, starts the Erlang VM with
    /// ejabberd as a child process and waits until the client port answers a
    /// stream header with stream features.
    ///
    /// # Errors
    ///
    /// As [`start`](Self::start).
    pub fn start_with(mut options: EjabberdOptions) -> anyhow::Result<Self> {
        if let Some(list) = std::env::var_os(DISABLE_SASL_ENV) {
            let list = list.to_string_lossy().into_owned();
            eprintln!("{DISABLE_SASL_ENV}={list}: ejabberd hides these SASL mechanisms");
            options = options
                .disable_sasl_mechanisms(list.split(',').map(str::trim).filter(|m| !m.is_empty()));
        }
        let dir = TestDir::new("ejabberd").context("creating the ejabberd test directory")?;
        let layout = Layout { root: dir.path() };
        let cert_sha256 = crate::cert::write_self_signed(DOMAIN, &layout.crt(), &layout.key())?;
        for d in [layout.spool(), layout.uploads(), layout.logs()] {
            std::fs::create_dir_all(&d).with_context(|| format!("creating {}", d.display()))?;
        }
        std::fs::write(layout.inetrc(), config::inetrc()).context("writing ejabberd's inetrc")?;
        let mut server = Self {
            options,
            dir,
            c2s_port: 0,
            direct_tls_port: 0,
            https_port: 0,
            api_port: 0,
            component_port: 0,
            cert_sha256,
            child: None,
        };
        let mut last = None;
        for _ in 0..PORT_ATTEMPTS {
            let ports = [
                free_port(),
                free_port(),
                free_port(),
                free_port(),
                free_port(),
            ];
            if (1..ports.len()).any(|i| ports[..i].contains(&ports[i])) {
                continue;
            }
            [
                server.c2s_port,
                server.direct_tls_port,
                server.https_port,
                server.api_port,
                server.component_port,
            ] = ports;
            server.write_config()?;
            match server.launch() {
                Ok(()) => return Ok(server),
                Err(LaunchError::PortTaken(e)) => {
                    server.kill();
                    last = Some(e);
                }
                Err(LaunchError::Other(e)) => return Err(e),
            }
        }
        Err(last
            .unwrap_or_else(|| anyhow::anyhow!("no five distinct free ports found"))
            .context(format!(
                "starting ejabberd: ports taken {PORT_ATTEMPTS} times in a row"
            )))
    }

    /// The options it was started with.
    #[must_use]
    pub fn options(&self) -> &EjabberdOptions {
        &self.options
    }

    /// The XMPP domain (`localhost`): users are `user@localhost`.
    #[must_use]
    pub fn domain(&self) -> &str {
        DOMAIN
    }

    /// `user@domain`.
    #[must_use]
    pub fn jid(&self, user: &str) -> String {
        format!("{user}@{DOMAIN}")
    }

    /// The client port on 127.0.0.1; STARTTLS, required before authentication.
    #[must_use]
    pub fn c2s_port(&self) -> u16 {
        self.c2s_port
    }

    /// The XEP-0368 direct TLS client port on 127.0.0.1.
    #[must_use]
    pub fn direct_tls_port(&self) -> u16 {
        self.direct_tls_port
    }

    /// The HTTPS port of the upload service (`upload.localhost`, XEP-0363,
    /// `mod_http_upload`); slots are `https://localhost:PORT/upload/…`.
    #[must_use]
    pub fn https_port(&self) -> u16 {
        self.https_port
    }

    /// The XEP-0114 component port on 127.0.0.1 (for
    /// [`SILENT_COMPONENT`](crate::SILENT_COMPONENT)).
    #[must_use]
    pub fn component_port(&self) -> u16 {
        self.component_port
    }

    /// What every upload slot's GET and PUT URL starts with.
    #[must_use]
    pub fn upload_url_prefix(&self) -> String {
        format!("https://{DOMAIN}:{}/upload/", self.https_port)
    }

    /// The largest file the upload service takes, in bytes.
    #[must_use]
    pub fn upload_limit(&self) -> u64 {
        config::UPLOAD_LIMIT
    }

    /// Lowercase hex SHA-256 of the server's DER certificate, for pinning. The
    /// certificate is self-signed for `localhost` and 127.0.0.1 and presented
    /// on the client ports and the upload port.
    #[must_use]
    pub fn cert_sha256(&self) -> String {
        self.cert_sha256.clone()
    }

    /// The PEM certificate file, for peers that want a CA file instead of a pin.
    #[must_use]
    pub fn cert_path(&self) -> PathBuf {
        self.layout().crt()
    }

    /// ejabberd's log file (level `info`; `debug` when `SOTTO_EJABBERD_DEBUG`
    /// is set).
    #[must_use]
    pub fn log_path(&self) -> PathBuf {
        self.layout().log()
    }

    /// Everything the server stores: the Mnesia spool (DETS files hold
    /// strings as raw bytes, so plaintext scans work) and the uploads.
    #[must_use]
    pub fn data_dir(&self) -> PathBuf {
        self.layout().data()
    }

    /// The PID of the running VM (`beam.smp`: `erl` execs it), if it runs.
    #[must_use]
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// The last `n` lines of ejabberd's log.
    #[must_use]
    pub fn log_tail(&self, n: usize) -> String {
        tail(&self.log_path(), n)
    }

    /// Creates the account `user@domain()` with `password` through the admin
    /// API (`POST /api/register` on the loopback HTTP port, about 20 ms;
    /// `ejabberdctl register` would start a VM, about 1 s). The server must run.
    ///
    /// # Errors
    ///
    /// If the user already exists (HTTP 409), the name or password is
    /// unusable, or the API cannot be reached.
    pub fn register(&self, user: &str, password: &str) -> anyhow::Result<()> {
        if user.is_empty() || user.contains(['@', '/', '\n', '\r']) {
            bail!("registering {user:?}: not a usable local part");
        }
        if password.is_empty() || password.contains(['\n', '\r']) {
            bail!("registering {user:?}: the password must be one non-empty line");
        }
        let body =
            serde_json::json!({ "user": user, "host": DOMAIN, "password": password }).to_string();
        let (status, reply) = self
            .post("/api/register", &body)
            .with_context(|| format!("registering {} through ejabberd's API", self.jid(user)))?;
        if status != 200 {
            bail!(
                "registering {} through ejabberd's API: HTTP {status}: {reply}",
                self.jid(user)
            );
        }
        Ok(())
    }

    /// Stops the server: SIGTERM to the VM's PID (Erlang then runs
    /// `init:stop()`, a clean shutdown), then waits (SIGKILL after 15 s).
    /// Does nothing if it is not running.
    ///
    /// # Errors
    ///
    /// If signalling or waiting fails.
    pub fn stop(&mut self) -> anyhow::Result<()> {
        let Some(mut child) = self.child.take() else {
            return Ok(());
        };
        // An exited child that is not yet reaped keeps its PID, so signalling
        // the PID can only ever reach our own VM.
        if child.try_wait().context("checking on ejabberd")?.is_some() {
            return Ok(());
        }
        let status = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .context("running kill (procps) to stop ejabberd")?;
        if !status.success() {
            bail!("kill -TERM {} failed: {status}", child.id());
        }
        let deadline = Instant::now() + STOP_TIMEOUT;
        while child
            .try_wait()
            .context("waiting for ejabberd to stop")?
            .is_none()
        {
            if Instant::now() > deadline {
                child
                    .kill()
                    .context("killing ejabberd after SIGTERM timed out")?;
                child.wait().context("reaping ejabberd")?;
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(())
    }

    /// Stops the server (if running) and starts it again on the same ports with
    /// the same data, certificate and configuration.
    ///
    /// # Errors
    ///
    /// As [`stop`](Self::stop) and [`start`](Self::start); also if another
    /// process took one of the ports meanwhile.
    pub fn restart(&mut self) -> anyhow::Result<()> {
        self.stop()?;
        match self.launch() {
            Ok(()) => Ok(()),
            Err(LaunchError::PortTaken(e) | LaunchError::Other(e)) => {
                self.kill();
                Err(e.context("restarting ejabberd"))
            }
        }
    }

    fn layout(&self) -> Layout<'_> {
        Layout {
            root: self.dir.path(),
        }
    }

    fn write_config(&self) -> anyhow::Result<()> {
        let layout = self.layout();
        let level = if std::env::var_os(DEBUG_ENV).is_some() {
            "debug"
        } else {
            "info"
        };
        let text = config::render(
            &layout,
            &Settings {
                domain: DOMAIN,
                c2s_port: self.c2s_port,
                direct_tls_port: self.direct_tls_port,
                https_port: self.https_port,
                api_port: self.api_port,
                component_port: self.component_port,
                log_level: level,
                disabled_mechanisms: &self.options.disable_sasl_mechanisms,
            },
        );
        std::fs::write(layout.config(), text).context("writing ejabberd's configuration")
    }

    /// Spawns the VM and waits until it is ready. The log is appended to across
    /// restarts, so only what is written after `offset` counts.
    fn launch(&mut self) -> Result<(), LaunchError> {
        let layout = self.layout();
        let offset = std::fs::metadata(layout.log()).map_or(0, |m| m.len());
        let console = File::options()
            .create(true)
            .append(true)
            .open(layout.console())
            .context("opening ejabberd's console log")
            .map_err(LaunchError::Other)?;
        let console_err = console
            .try_clone()
            .context("duplicating a file handle")
            .map_err(LaunchError::Other)?;
        // What `ejabberdctl foreground` runs, minus the node name and `su`.
        // The VM stays in the test's process group, so nextest's timeout kills
        // it with the test.
        let child = Command::new(ERL)
            .args(["-noinput", "+K", "true", "+P", "250000", "-mnesia", "dir"])
            .arg(format!("\"{}\"", layout.spool().display()))
            .args(["-s", "ejabberd"])
            .env("ERL_LIBS", ERL_LIBS)
            .env("EJABBERD_CONFIG_PATH", layout.config())
            .env("EJABBERD_LOG_PATH", layout.log())
            .env("ERL_INETRC", layout.inetrc())
            .env("ERL_CRASH_DUMP", layout.logs().join("erl_crash.dump"))
            .env("ERL_CRASH_DUMP_BYTES", "0")
            .env("HOME", self.dir.path())
            .current_dir(self.dir.path())
            .stdin(Stdio::null())
            .stdout(console)
            .stderr(console_err)
            .spawn()
            .context("spawning erl (is the ejabberd package installed? tests/run.sh installs it)")
            .map_err(LaunchError::Other)?;
        self.child = Some(child);
        self.wait_ready(offset)
    }

    fn wait_ready(&mut self, offset: u64) -> Result<(), LaunchError> {
        let started = Instant::now();
        let listening: Vec<String> = [
            self.c2s_port,
            self.direct_tls_port,
            self.https_port,
            self.api_port,
            self.component_port,
        ]
        .iter()
        .map(|port| format!("connections at 127.0.0.1:{port} for"))
        .collect();
        loop {
            let log = read_from(&self.log_path(), offset);
            // A port taken before ejabberd bound it stops the application
            // (and the VM soon after): "Failed to open socket at
            // 127.0.0.1:PORT for ejabberd_c2s: address already in use".
            if log.contains("address already in use") {
                return Err(LaunchError::PortTaken(self.failure("a port was taken")));
            }
            if let Some(child) = self.child.as_mut()
                && let Ok(Some(status)) = child.try_wait()
            {
                self.child = None;
                return Err(LaunchError::Other(
                    self.failure(&format!("ejabberd exited ({status})")),
                ));
            }
            if log.contains("Failed to start ejabberd application") {
                return Err(LaunchError::Other(self.failure("ejabberd could not start")));
            }
            if listening.iter().all(|l| log.contains(l.as_str()))
                && answers_stream(self.c2s_port, DOMAIN)
            {
                return Ok(());
            }
            if started.elapsed() > START_TIMEOUT {
                return Err(LaunchError::Other(
                    self.failure(&format!("ejabberd not ready after {START_TIMEOUT:?}")),
                ));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// One HTTP/1.1 POST of a JSON body to the admin API; returns the status
    /// code and the body.
    fn post(&self, path: &str, body: &str) -> anyhow::Result<(u16, String)> {
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, self.api_port));
        let mut tcp = TcpStream::connect_timeout(&addr, Duration::from_secs(5))
            .context("connecting to the admin API")?;
        tcp.set_read_timeout(Some(Duration::from_secs(30)))
            .context("setting a read timeout")?;
        let request = format!(
            "POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            self.api_port,
            body.len()
        );
        tcp.write_all(request.as_bytes())
            .context("sending the request")?;
        let mut reply = Vec::new();
        tcp.read_to_end(&mut reply).context("reading the reply")?;
        let reply = String::from_utf8_lossy(&reply);
        let status = reply
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .with_context(|| format!("not an HTTP reply: {reply:?}"))?;
        let body = reply
            .split_once("\r\n\r\n")
            .map_or("", |(_, b)| b)
            .trim()
            .to_owned();
        Ok((status, body))
    }

    fn failure(&self, what: &str) -> anyhow::Error {
        anyhow::anyhow!(
            "{what}\n--- console ---\n{}\n--- last log lines ({}) ---\n{}",
            tail(&self.layout().console(), 20),
            self.log_path().display(),
            self.log_tail(PANIC_LOG_LINES)
        )
    }

    /// SIGKILL by PID and reap; for drop and failed starts, where a clean
    /// shutdown buys nothing. The VM's helpers (`erl_child_setup`,
    /// `inet_gethost`) exit by themselves when it dies.
    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            if matches!(child.try_wait(), Ok(None)) {
                let _ = child.kill();
            }
            let _ = child.wait();
        }
    }
}

impl Drop for Ejabberd {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!(
                "--- ejabberd log {} (last {PANIC_LOG_LINES} lines) ---\n{}\n--- end of ejabberd log ---",
                self.log_path().display(),
                self.log_tail(PANIC_LOG_LINES)
            );
        }
        self.kill();
    }
}
