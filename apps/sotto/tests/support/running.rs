// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! A `sotto run` process driven over its JSON lines, shared by the CLI test
//! files (`#[path]`-included: each test file is its own crate).

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// `sotto run`, its stdout lines forwarded to a channel.
pub struct Running {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: mpsc::Receiver<serde_json::Value>,
}

impl Running {
    /// Starts `command` (a `sotto … run` command line) with piped stdin and
    /// stdout. Every stdout line must be JSON.
    pub fn spawn(mut command: Command) -> Running {
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let stdin = child.stdin.take();
        let stdout = child.stdout.take().unwrap();
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                let value: serde_json::Value =
                    serde_json::from_str(&line).expect("every line is JSON");
                if tx.send(value).is_err() {
                    break;
                }
            }
        });
        Running {
            child,
            stdin,
            lines,
        }
    }

    /// Writes one command line.
    pub fn command(&mut self, json: serde_json::Value) {
        let stdin = self.stdin.as_mut().unwrap();
        writeln!(stdin, "{json}").unwrap();
        stdin.flush().unwrap();
    }

    /// Waits (up to a minute) for a line matching `pred`; earlier lines are
    /// dropped.
    pub fn expect(
        &self,
        what: &str,
        pred: impl Fn(&serde_json::Value) -> bool,
    ) -> serde_json::Value {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(value) if pred(&value) => return value,
                Ok(_) => {}
                Err(_) => panic!("timed out waiting for {what}"),
            }
        }
    }

    /// Waits until the account is online.
    #[allow(dead_code)]
    pub fn online(&self) {
        self.expect("online", |v| {
            v["type"] == "connection" && v["state"]["state"] == "online"
        });
    }

    /// SIGKILL: no clean shutdown, no flush, nothing.
    #[allow(dead_code)]
    pub fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    /// Closes stdin and waits for a clean stop.
    pub fn finish(mut self) {
        drop(self.stdin.take());
        self.expect("stopped", |v| v["type"] == "stopped");
        let status = self.child.wait().unwrap();
        assert!(status.success(), "{status:?}");
    }
}
