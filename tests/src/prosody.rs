// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! A real Prosody 0.12 server on loopback, one per test.

mod config;

use std::fs::File;
use std::io::Write as _;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};

use crate::readiness::{answers_stream, read_from, tail};
use crate::{TestDir, free_port};
use config::{Layout, Settings};

const PROSODY: &str = "prosody";
const PROSODYCTL: &str = "prosodyctl";
/// Prosody's certificate index is keyed by host name; `localhost` needs no DNS
/// and clients connect to 127.0.0.1 explicitly anyway.
const DOMAIN: &str = "localhost";
/// Set to get Prosody's debug log (much larger, slower under load).
const DEBUG_ENV: &str = "SOTTO_PROSODY_DEBUG";
const START_TIMEOUT: Duration = Duration::from_secs(30);
const STOP_TIMEOUT: Duration = Duration::from_secs(10);
const PORT_ATTEMPTS: usize = 5;
const PANIC_LOG_LINES: usize = 50;

/// A running Prosody server owned by one test.
///
/// Everything lives in its own temporary directory: configuration, generated
/// certificate, data, pidfile and log. It listens on 127.0.0.1 only, with STARTTLS
/// on [`c2s_port`](Self::c2s_port) and XEP-0368 direct TLS on
/// [`direct_tls_port`](Self::direct_tls_port). In-band registration is open.
///
/// Dropping it kills the process (by PID) and removes the directory; if the
/// thread is panicking, the last lines of Prosody's log are printed first.
#[derive(Debug)]
pub struct Prosody {
    options: ProsodyOptions,
    dir: TestDir,
    c2s_port: u16,
    direct_tls_port: u16,
    https_port: u16,
    component_port: u16,
    cert_sha256: String,
    child: Option<Child>,
}

/// What differs between test Prosodies.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ProsodyOptions {
    /// "A minimal server": no PEP (so no OMEMO device lists or bundles), no
    /// MAM, no XEP-0198 stream management and no carbons, for proving the
    /// client copes with a server that offers none of them.
    pub minimal: bool,
    /// Everything but PEP (so no OMEMO): stream management, carbons and MAM
    /// stay, so only PEP's absence is what a test sees.
    pub no_pep: bool,
    /// SASL mechanisms to hide (`disable_sasl_mechanisms`), e.g. `"PLAIN"`,
    /// to make the client log in with the one that is left.
    pub disable_sasl_mechanisms: &'static [&'static str],
}

impl ProsodyOptions {
    /// The minimal server of [`ProsodyOptions::minimal`].
    #[must_use]
    pub fn minimal() -> Self {
        Self {
            minimal: true,
            ..Self::default()
        }
    }

    /// Also hides these SASL mechanisms.
    #[must_use]
    pub fn disable_sasl_mechanisms(mut self, mechanisms: &'static [&'static str]) -> Self {
        self.disable_sasl_mechanisms = mechanisms;
        self
    }

    /// The server of [`ProsodyOptions::no_pep`].
    #[must_use]
    pub fn no_pep() -> Self {
        Self {
            no_pep: true,
            ..Self::default()
        }
    }
}

enum LaunchError {
    /// Another process took one of our ports before Prosody bound it.
    PortTaken(anyhow::Error),
    Other(anyhow::Error),
}

impl Prosody {
    /// Generates a certificate and configuration, starts Prosody in the
    /// foreground as a child process and waits until both client ports accept
    /// connections (about 0.2 s).
    ///
    /// # Errors
    ///
    /// If `prosody` is not installed, exits during start-up, or is not ready
    /// within 30 s. The error includes the tail of its log.
    pub fn start() -> anyhow::Result<Self> {
        Self::start_with(ProsodyOptions::default())
    }

    /// [`start`](Self::start) with [`ProsodyOptions::minimal`]: no PEP, MAM,
    /// stream management or carbons.
    ///
    /// # Errors
    ///
    /// As [`start`](Self::start).
    pub fn start_minimal() -> anyhow::Result<Self> {
        Self::start_with(ProsodyOptions::minimal())
    }

    /// Starts a Prosody with these options.
    ///
    /// # Errors
    ///
    /// As [`start`](Self::start).
    pub fn start_with(options: ProsodyOptions) -> anyhow::Result<Self> {
        let dir = TestDir::new("prosody").context("creating the Prosody test directory")?;
        let cert_sha256 = config::write_certificate(&Layout { root: dir.path() }, DOMAIN)?;
        let mut server = Self {
            options,
            dir,
            c2s_port: 0,
            direct_tls_port: 0,
            https_port: 0,
            component_port: 0,
            cert_sha256,
            child: None,
        };
        let mut last = None;
        for _ in 0..PORT_ATTEMPTS {
            server.c2s_port = free_port();
            server.direct_tls_port = free_port();
            server.https_port = free_port();
            server.component_port = free_port();
            let ports = [
                server.c2s_port,
                server.direct_tls_port,
                server.https_port,
                server.component_port,
            ];
            if (1..ports.len()).any(|i| ports[..i].contains(&ports[i])) {
                continue;
            }
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
            .unwrap_or_else(|| anyhow::anyhow!("no free port pair found"))
            .context(format!(
                "starting Prosody: ports taken {PORT_ATTEMPTS} times in a row"
            )))
    }

    /// The options it was started with.
    #[must_use]
    pub fn options(&self) -> ProsodyOptions {
        self.options
    }

    /// The HTTPS port of the upload service (`upload.localhost`, XEP-0363).
    pub fn https_port(&self) -> u16 {
        self.https_port
    }

    /// The XEP-0114 component port on 127.0.0.1 (for
    /// [`SILENT_COMPONENT`](crate::SILENT_COMPONENT)).
    #[must_use]
    pub fn component_port(&self) -> u16 {
        self.component_port
    }

    /// What the GET URL of every upload starts with (`http_host` is 127.0.0.1).
    #[must_use]
    pub fn upload_url_prefix(&self) -> String {
        format!("https://127.0.0.1:{}/", self.https_port)
    }

    /// The largest file the upload service takes, in bytes.
    pub fn upload_limit(&self) -> u64 {
        config::UPLOAD_LIMIT
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

    /// Lowercase hex SHA-256 of the server's DER certificate, for pinning. The
    /// certificate is self-signed for `localhost` and 127.0.0.1 and is presented
    /// on both ports, with or without SNI.
    #[must_use]
    pub fn cert_sha256(&self) -> String {
        self.cert_sha256.clone()
    }

    /// The PEM certificate file, for peers that want a CA file instead of a pin.
    #[must_use]
    pub fn cert_path(&self) -> PathBuf {
        self.layout().certs().join(format!("{DOMAIN}.crt"))
    }

    /// Prosody's log file (level `info`; `debug` when `SOTTO_PROSODY_DEBUG` is set).
    #[must_use]
    pub fn log_path(&self) -> PathBuf {
        self.layout().log()
    }

    /// Prosody's data directory (`internal` storage: one file per user and store).
    #[must_use]
    pub fn data_dir(&self) -> PathBuf {
        self.layout().data()
    }

    /// The PID of the running server, if it runs.
    #[must_use]
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// The last `n` lines of Prosody's log.
    #[must_use]
    pub fn log_tail(&self, n: usize) -> String {
        tail(&self.log_path(), n)
    }

    /// Creates the account `user@domain()` with `password`, via `prosodyctl
    /// adduser` on the same configuration. Works whether or not the server runs.
    ///
    /// # Errors
    ///
    /// If the user already exists, the name or password is unusable (empty, or
    /// containing a newline, `@` or `/`), or prosodyctl fails.
    pub fn register(&self, user: &str, password: &str) -> anyhow::Result<()> {
        if user.is_empty() || user.contains(['@', '/', '\n', '\r']) {
            bail!("registering {user:?}: not a usable local part");
        }
        if password.is_empty() || password.contains(['\n', '\r']) {
            bail!("registering {user:?}: the password must be one non-empty line");
        }
        let jid = self.jid(user);
        let mut child = Command::new(PROSODYCTL)
            .arg("--config")
            .arg(self.layout().config())
            .arg("adduser")
            .arg(&jid)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .context("running prosodyctl (is the prosody package installed?)")?;
        // adduser asks for the password twice; with a pipe for stdin it reads lines.
        if let Some(mut stdin) = child.stdin.take() {
            writeln!(stdin, "{password}\n{password}").context("writing to prosodyctl")?;
        }
        let out = child.wait_with_output().context("waiting for prosodyctl")?;
        if !out.status.success() {
            bail!(
                "prosodyctl adduser {jid} failed ({}): {}{}",
                out.status,
                clean(&out.stdout),
                clean(&out.stderr)
            );
        }
        Ok(())
    }

    /// Stops the server: SIGTERM to its PID, then waits (SIGKILL after 10 s).
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
        // the PID can only ever reach our own Prosody.
        if child.try_wait().context("checking on Prosody")?.is_some() {
            return Ok(());
        }
        let status = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .context("running kill (procps) to stop Prosody")?;
        if !status.success() {
            bail!("kill -TERM {} failed: {status}", child.id());
        }
        let deadline = Instant::now() + STOP_TIMEOUT;
        while child
            .try_wait()
            .context("waiting for Prosody to stop")?
            .is_none()
        {
            if Instant::now() > deadline {
                child
                    .kill()
                    .context("killing Prosody after SIGTERM timed out")?;
                child.wait().context("reaping Prosody")?;
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
                Err(e.context("restarting Prosody"))
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
                component_port: self.component_port,
                log_level: level,
                minimal: self.options.minimal,
                no_pep: self.options.no_pep,
                disable_sasl_mechanisms: self.options.disable_sasl_mechanisms,
            },
        );
        std::fs::create_dir_all(layout.data()).context("creating Prosody's data directory")?;
        std::fs::write(layout.config(), text).context("writing Prosody's configuration")
    }

    /// Spawns Prosody and waits until it is ready. The log is appended to across
    /// restarts, so only what is written after `offset` counts.
    fn launch(&mut self) -> Result<(), LaunchError> {
        let layout = self.layout();
        let log = layout.log();
        let offset = std::fs::metadata(&log).map(|m| m.len()).unwrap_or(0);
        let console = File::options()
            .create(true)
            .append(true)
            .open(layout.console())
            .context("opening Prosody's console log")
            .map_err(LaunchError::Other)?;
        let console_err = console
            .try_clone()
            .context("duplicating a file handle")
            .map_err(LaunchError::Other)?;
        let child = Command::new(PROSODY)
            .arg("-F")
            .arg("--config")
            .arg(layout.config())
            .stdin(Stdio::null())
            .stdout(console)
            .stderr(console_err)
            .spawn()
            .context(
                "spawning prosody (is the prosody package installed? tests/run.sh installs it)",
            )
            .map_err(LaunchError::Other)?;
        self.child = Some(child);
        self.wait_ready(offset)
    }

    fn wait_ready(&mut self, offset: u64) -> Result<(), LaunchError> {
        let started = Instant::now();
        let c2s = format!("Activated service 'c2s' on [127.0.0.1]:{}", self.c2s_port);
        let direct = format!(
            "Activated service 'c2s_direct_tls' on [127.0.0.1]:{}",
            self.direct_tls_port
        );
        let https = format!(
            "Activated service 'https' on [127.0.0.1]:{}",
            self.https_port
        );
        let component = format!(
            "Activated service 'component' on [127.0.0.1]:{}",
            self.component_port
        );
        loop {
            if let Some(child) = self.child.as_mut()
                && let Ok(Some(status)) = child.try_wait()
            {
                self.child = None;
                return Err(LaunchError::Other(
                    self.failure(&format!("Prosody exited ({status})")),
                ));
            }
            let log = read_from(&self.log_path(), offset);
            if log.contains("Failed to open server port") {
                return Err(LaunchError::PortTaken(self.failure("a port was taken")));
            }
            if log.contains(&c2s)
                && log.contains(&direct)
                && log.contains(&https)
                && log.contains(&component)
                && self.answers_stream()
            {
                return Ok(());
            }
            if started.elapsed() > START_TIMEOUT {
                return Err(LaunchError::Other(
                    self.failure(&format!("Prosody not ready after {START_TIMEOUT:?}")),
                ));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// See [`crate::readiness::answers_stream`].
    fn answers_stream(&self) -> bool {
        answers_stream(self.c2s_port, DOMAIN)
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
    /// shutdown buys nothing.
    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            if matches!(child.try_wait(), Ok(None)) {
                let _ = child.kill();
            }
            let _ = child.wait();
        }
    }
}

impl Drop for Prosody {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!(
                "--- Prosody log {} (last {PANIC_LOG_LINES} lines) ---\n{}\n--- end of Prosody log ---",
                self.log_path().display(),
                self.log_tail(PANIC_LOG_LINES)
            );
        }
        self.kill();
    }
}

/// prosodyctl output without the ANSI codes it uses to hide typed passwords.
fn clean(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes)
        .replace("\u{1b}[08m", "")
        .replace("\u{1b}[00m", "")
        .trim()
        .to_owned()
}
