// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! One tor process: spawning, liveness, logs and killing by PID.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use anyhow::Context as _;

pub(super) const TOR: &str = "tor";
/// tor's message when a port is taken; the start is then retried on new ports.
const ADDRESS_IN_USE: &str = "Address already in use";
const POLL: Duration = Duration::from_millis(200);

/// Why a tor process is not running.
#[derive(Debug)]
pub(super) enum Died {
    /// It exited because one of its ports was taken.
    PortTaken(anyhow::Error),
    Other(anyhow::Error),
}

impl Died {
    pub(super) fn into_error(self) -> anyhow::Error {
        match self {
            Self::PortTaken(e) | Self::Other(e) => e,
        }
    }
}

/// A tor process we started. Clones share the process: whichever owner kills
/// it first reaps it, later kills do nothing.
#[derive(Debug, Clone)]
pub(super) struct Proc {
    pub name: String,
    pub dir: PathBuf,
    child: Arc<Mutex<Option<Child>>>,
}

impl Proc {
    /// Writes `torrc` into `dir` (which becomes tor's DataDirectory) and starts
    /// `tor` in the foreground with stdout and stderr in `dir/console.log`.
    pub(super) fn spawn(name: &str, dir: &Path, torrc: &str) -> anyhow::Result<Self> {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        let torrc_path = dir.join("torrc");
        std::fs::write(&torrc_path, torrc).with_context(|| format!("writing {name}'s torrc"))?;
        let defaults = empty_defaults(dir)?;
        let console = File::create(dir.join("console.log"))
            .with_context(|| format!("creating {name}'s console log"))?;
        let console_err = console.try_clone().context("duplicating a file handle")?;
        let child = Command::new(TOR)
            .arg("--defaults-torrc")
            .arg(defaults)
            .arg("-f")
            .arg(&torrc_path)
            .stdin(Stdio::null())
            .stdout(console)
            .stderr(console_err)
            .spawn()
            .with_context(|| {
                format!("spawning tor for {name} (is the tor package installed? tests/run.sh installs it)")
            })?;
        Ok(Self {
            name: name.to_owned(),
            dir: dir.to_path_buf(),
            child: Arc::new(Mutex::new(Some(child))),
        })
    }

    /// Ok while the process runs; why it stopped otherwise.
    pub(super) fn check_alive(&self) -> Result<(), Died> {
        let mut guard = self.child.lock().unwrap_or_else(PoisonError::into_inner);
        let status = match guard.as_mut().map(Child::try_wait) {
            None => return Err(Died::Other(anyhow::anyhow!("{} was killed", self.name))),
            Some(Ok(None)) => return Ok(()),
            Some(Ok(Some(status))) => status.to_string(),
            Some(Err(e)) => format!("unknown status ({e})"),
        };
        *guard = None;
        drop(guard);
        let log = self.log_tail(30);
        let error = anyhow::anyhow!(
            "tor {} exited ({status}); last log lines:\n{log}",
            self.name
        );
        if log.contains(ADDRESS_IN_USE) {
            Err(Died::PortTaken(error))
        } else {
            Err(Died::Other(error))
        }
    }

    /// Waits until `needle` appears in `log` (a file in the data directory)
    /// after byte `offset`.
    pub(super) fn wait_for_log(
        &self,
        log: &str,
        needle: &str,
        timeout: Duration,
    ) -> Result<(), Died> {
        let path = self.dir.join(log);
        let started = Instant::now();
        loop {
            if read_lossy(&path).contains(needle) {
                return Ok(());
            }
            self.check_alive()?;
            if started.elapsed() > timeout {
                return Err(Died::Other(anyhow::anyhow!(
                    "tor {}: no {needle:?} in {log} after {timeout:?}; last log lines:\n{}",
                    self.name,
                    self.log_tail(30)
                )));
            }
            std::thread::sleep(POLL);
        }
    }

    /// The last `n` lines of the notice log, or of the console output if
    /// tor died before opening its log.
    pub(super) fn log_tail(&self, n: usize) -> String {
        let mut text = read_lossy(&self.dir.join("notice.log"));
        if text.is_empty() {
            text = read_lossy(&self.dir.join("console.log"));
        }
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(n)..].join("\n")
    }

    /// SIGHUP to our own child's PID (tor reloads its torrc and retries its
    /// directory downloads at once). Does nothing if it has exited.
    pub(super) fn hup(&self) -> anyhow::Result<()> {
        let mut guard = self.child.lock().unwrap_or_else(PoisonError::into_inner);
        // Holding the lock with the child unreaped: the PID cannot be reused.
        let Some(child) = guard.as_mut() else {
            return Ok(());
        };
        if !matches!(child.try_wait(), Ok(None)) {
            return Ok(());
        }
        let status = Command::new("kill")
            .args(["-HUP", &child.id().to_string()])
            .status()
            .context("running kill (procps) to send SIGHUP to tor")?;
        if !status.success() {
            anyhow::bail!("kill -HUP {} ({}) failed: {status}", child.id(), self.name);
        }
        Ok(())
    }

    /// SIGKILL to our own child's PID, then reap. An unreaped child keeps its
    /// PID, so this can never hit another process.
    pub(super) fn kill(&self) {
        let mut guard = self.child.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(mut child) = guard.take() {
            if matches!(child.try_wait(), Ok(None)) {
                let _ = child.kill();
            }
            let _ = child.wait();
        }
    }
}

/// An empty defaults file, so that `/etc/tor/torrc-defaults` is never read.
pub(super) fn empty_defaults(dir: &Path) -> anyhow::Result<PathBuf> {
    let path = dir.join("torrc-defaults");
    std::fs::write(&path, "").context("writing an empty torrc-defaults")?;
    Ok(path)
}

pub(super) fn read_lossy(path: &Path) -> String {
    String::from_utf8_lossy(&std::fs::read(path).unwrap_or_default()).into_owned()
}
