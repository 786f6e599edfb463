// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! A real XMPP OMEMO peer: slixmpp + slixmpp-omemo (`tests/omemo-peer/xmpp_peer.py`)
//! logged in to a test server, driven over a pipe with one JSON object
//! per line.
//!
//! Unlike [`crate::omemo_peer::PythonPeer`] (python-omemo in-process, messages
//! handed over by the test), this peer does everything a client does over
//! XMPP: it publishes its device lists and bundles in both namespaces, fetches
//! other people's, subscribes to their device lists and sends and receives
//! real `<message/>` stanzas. Several peers may log in to one account (each
//! with its own resource and state directory): each is one OMEMO device.
//!
//! The driver is async but owns no runtime: a reader thread turns the peer's
//! stdout into a channel, so waiting for a reply or an event never blocks the
//! test's runtime. The peer's replies come in request order; unsolicited
//! lines (`{"event": ...}`) are collected as [`PeerEvent`]s. Dropping the
//! driver kills the python process by its PID.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::Duration;

use anyhow::{Context, bail};
use serde_json::{Value, json};
use tokio::sync::mpsc::{UnboundedReceiver, unbounded_channel};

use crate::TestDir;
use crate::omemo_peer::venv_python;
use crate::server::XmppServer;

mod types;

pub use types::{
    Carbon, Ns, PeerEvent, PeerFailure, PeerInfo, PeerOptions, PeerTrust, ReceivedKey,
    ReceivedMessage, SendNs, Sent, SentKey, Undecryptable,
};
use types::{parse_event, str_of, strings, u32_of, u32s};

/// How long a request may take before the driver gives up (connecting
/// generates 100 prekeys per namespace on first start: about 4 s).
const REPLY_TIMEOUT: Duration = Duration::from_secs(60);
/// How long [`XmppPeer::quit`] waits for a clean exit before killing.
const QUIT_TIMEOUT: Duration = Duration::from_secs(5);
const LOG_TAIL_LINES: usize = 30;

/// A running slixmpp peer.
pub struct XmppPeer {
    child: Child,
    stdin: ChildStdin,
    lines: UnboundedReceiver<Value>,
    events: VecDeque<PeerEvent>,
    log: PathBuf,
    _dir: Option<TestDir>,
    /// The JID it logs in with (as given: bare or full).
    pub jid: String,
    /// Set by [`connect`](Self::connect).
    pub info: Option<PeerInfo>,
    next_id: u64,
}

impl std::fmt::Debug for XmppPeer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("XmppPeer")
            .field("jid", &self.jid)
            .field("device_id", &self.info.as_ref().map(|i| i.device_id))
            .finish_non_exhaustive()
    }
}

impl XmppPeer {
    /// Starts a peer for `jid` (give a full JID to choose the resource) with a
    /// fresh device, and connects it. The account must exist on `server`.
    ///
    /// # Errors
    ///
    /// If the venv is missing, the peer cannot start, or login or OMEMO
    /// publishing fails.
    pub async fn connected(
        server: &(impl XmppServer + ?Sized),
        jid: &str,
        password: &str,
    ) -> anyhow::Result<Self> {
        let mut peer = Self::start(server, jid, password, PeerOptions::default())?;
        peer.connect().await?;
        Ok(peer)
    }

    /// Starts the python process without connecting.
    ///
    /// # Errors
    ///
    /// If the venv is missing or the process cannot be spawned.
    pub fn start(
        server: &(impl XmppServer + ?Sized),
        jid: &str,
        password: &str,
        options: PeerOptions,
    ) -> anyhow::Result<Self> {
        let python = slixmpp_python()?;
        let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("omemo-peer/xmpp_peer.py");
        let (dir, state) = match &options.state_dir {
            Some(path) => (None, path.clone()),
            None => {
                let dir = TestDir::new("xmpp-peer").context("making the peer's state directory")?;
                let path = dir.path().to_path_buf();
                (Some(dir), path)
            }
        };
        std::fs::create_dir_all(&state).with_context(|| format!("creating {}", state.display()))?;
        let log = state.join("peer.log");
        let log_file = std::fs::File::options()
            .create(true)
            .append(true)
            .open(&log)
            .context("opening the peer's log")?;
        let mut child = Command::new(python)
            .arg(&script)
            .arg("--port")
            .arg(server.c2s_port().to_string())
            .arg("--jid")
            .arg(jid)
            .arg("--password")
            .arg(password)
            .arg("--state-dir")
            .arg(&state)
            .arg("--ca-file")
            .arg(server.cert_path())
            .arg("--trust")
            .arg(if options.blind_trust { "blind" } else { "btbv" })
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(log_file)
            .spawn()
            .with_context(|| format!("starting {}", script.display()))?;
        let stdin = child.stdin.take().context("the peer's stdin")?;
        let stdout = child.stdout.take().context("the peer's stdout")?;
        let (tx, lines) = unbounded_channel();
        std::thread::Builder::new()
            .name(format!("xmpp-peer {jid}"))
            .spawn(move || {
                for line in BufReader::new(stdout).lines() {
                    let Ok(line) = line else { break };
                    let value = serde_json::from_str(&line)
                        .unwrap_or_else(|_| json!({"event": "unparsable", "line": line}));
                    if tx.send(value).is_err() {
                        break;
                    }
                }
            })
            .context("starting the peer's reader thread")?;
        Ok(Self {
            child,
            stdin,
            lines,
            events: VecDeque::new(),
            log,
            _dir: dir,
            jid: jid.to_owned(),
            info: None,
            next_id: 0,
        })
    }

    /// The peer's log file (slixmpp and python-omemo logging; set
    /// `SOTTO_XMPP_PEER_LOG=DEBUG` for every stanza).
    #[must_use]
    pub fn log_path(&self) -> &Path {
        &self.log
    }

    /// The last lines of the peer's log.
    #[must_use]
    pub fn log_tail(&self) -> String {
        let log = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        lines[lines.len().saturating_sub(LOG_TAIL_LINES)..].join("\n")
    }

    /// Its device id.
    ///
    /// # Errors
    ///
    /// Before [`connect`](Self::connect).
    pub fn device_id(&self) -> anyhow::Result<u32> {
        Ok(self
            .info
            .as_ref()
            .context("the peer is not connected")?
            .device_id)
    }

    /// Sends one request and waits for its reply; events that arrive meanwhile
    /// are kept for [`wait_event`](Self::wait_event).
    ///
    /// # Errors
    ///
    /// The outer error if the peer died, hung or answered garbage; the inner
    /// one if it answered with an error.
    pub async fn request(
        &mut self,
        mut request: Value,
    ) -> anyhow::Result<Result<Value, PeerFailure>> {
        self.next_id += 1;
        let id = self.next_id;
        request["id"] = json!(id);
        writeln!(self.stdin, "{request}")
            .and_then(|()| self.stdin.flush())
            .with_context(|| {
                format!("writing to the slixmpp peer; its log:\n{}", self.log_tail())
            })?;
        let deadline = tokio::time::Instant::now() + REPLY_TIMEOUT;
        loop {
            let line = match tokio::time::timeout_at(deadline, self.lines.recv()).await {
                Ok(Some(line)) => line,
                Ok(None) => bail!("the slixmpp peer exited; its log:\n{}", self.log_tail()),
                Err(_) => bail!(
                    "no reply from the slixmpp peer to {} within {REPLY_TIMEOUT:?}; its log:\n{}",
                    request["cmd"],
                    self.log_tail()
                ),
            };
            if line.get("event").is_some() {
                self.events.push_back(parse_event(line));
                continue;
            }
            if line["id"].as_u64() != Some(id) {
                bail!("the slixmpp peer answered out of order: {line}");
            }
            if line["ok"].as_bool() == Some(true) {
                return Ok(Ok(line));
            }
            return Ok(Err(PeerFailure {
                error: str_of(&line["error"]),
                causes: strings(&line["causes"]),
                message: format!("{}\n{}", str_of(&line["message"]), str_of(&line["trace"])),
            }));
        }
    }

    async fn ok(&mut self, request: Value) -> anyhow::Result<Value> {
        let cmd = request["cmd"].clone();
        match self.request(request).await? {
            Ok(v) => Ok(v),
            Err(e) => bail!("slixmpp peer command {cmd} failed: {e}"),
        }
    }

    /// Logs in, publishes both device lists and bundles (on first start:
    /// generates the device), sends presence and enables carbons.
    ///
    /// # Errors
    ///
    /// If login fails (the error names `PermissionError` for bad credentials)
    /// or OMEMO cannot be published.
    pub async fn connect(&mut self) -> anyhow::Result<PeerInfo> {
        let r = self.ok(json!({"cmd": "connect"})).await?;
        let info = PeerInfo {
            jid: str_of(&r["jid"]),
            device_id: u32_of(&r["device_id"]).context("device_id in the connect reply")?,
            fingerprint_legacy: str_of(&r["fingerprints"]["legacy"]),
            fingerprint_omemo2: str_of(&r["fingerprints"]["omemo2"]),
            identity_key: str_of(&r["identity_key"]),
        };
        self.info = Some(info.clone());
        Ok(info)
    }

    /// Encrypts `text` to every trusted device of `to` and to the own
    /// account's other devices, and sends it as a chat message (with a
    /// fallback body and a store hint, as slixmpp-omemo does).
    ///
    /// # Errors
    ///
    /// If nothing could be encrypted (e.g. `NoEligibleDevices`: `to` lists no
    /// usable device in that namespace).
    pub async fn send(
        &mut self,
        to: &str,
        text: &str,
        ns: impl Into<SendNs>,
    ) -> anyhow::Result<Sent> {
        Ok(self.try_send(to, text, ns).await??)
    }

    /// [`send`](Self::send), with the peer's failure as a value.
    ///
    /// # Errors
    ///
    /// The outer error if the peer died or hung.
    pub async fn try_send(
        &mut self,
        to: &str,
        text: &str,
        ns: impl Into<SendNs>,
    ) -> anyhow::Result<Result<Sent, PeerFailure>> {
        let ns: SendNs = ns.into();
        let ns = ns.wire();
        let r = match self
            .request(json!({"cmd": "send", "to": to, "text": text, "ns": ns}))
            .await?
        {
            Ok(r) => r,
            Err(e) => return Ok(Err(e)),
        };
        let keys = r["keys"]
            .as_array()
            .context("keys in the send reply")?
            .iter()
            .map(|k| {
                Ok(SentKey {
                    ns: Ns::parse(&k["ns"]).context("ns of a sent key")?,
                    jid: str_of(&k["jid"]),
                    device_id: u32_of(&k["device_id"]).context("device id of a sent key")?,
                    key_exchange: k["kex"].as_bool().unwrap_or(false),
                })
            })
            .collect::<anyhow::Result<_>>()?;
        Ok(Ok(Sent {
            id: str_of(&r["id"]),
            namespaces: r["namespaces"]
                .as_array()
                .map(|a| a.iter().filter_map(Ns::parse).collect())
                .unwrap_or_default(),
            keys,
            errors: strings(&r["errors"]),
        }))
    }

    /// Sends an unencrypted chat message; returns its id.
    ///
    /// # Errors
    ///
    /// If the peer fails.
    pub async fn send_plain(&mut self, to: &str, text: &str) -> anyhow::Result<String> {
        let r = self
            .ok(json!({"cmd": "send_plain", "to": to, "text": text}))
            .await?;
        Ok(str_of(&r["id"]))
    }

    /// The active device ids the peer knows for `jid` in `ns` (from its
    /// storage; own account included).
    ///
    /// # Errors
    ///
    /// If the peer fails.
    pub async fn devices(&mut self, jid: &str, ns: Ns) -> anyhow::Result<Vec<u32>> {
        let r = self
            .ok(json!({"cmd": "devices", "jid": jid, "ns": ns.wire()}))
            .await?;
        Ok(u32s(&r["active"]))
    }

    /// Re-fetches `jid`'s device lists in both namespaces from the server;
    /// returns the active ids as (legacy, OMEMO 2).
    ///
    /// # Errors
    ///
    /// If the peer fails.
    pub async fn refresh(&mut self, jid: &str) -> anyhow::Result<(Vec<u32>, Vec<u32>)> {
        let r = self.ok(json!({"cmd": "refresh", "jid": jid})).await?;
        Ok((u32s(&r["legacy"]), u32s(&r["omemo2"])))
    }

    /// Removes `device_id` (another device of the peer's own account, not the
    /// peer itself) from the account's published device list in `ns`; returns
    /// the new list. A running peer of that device puts itself back at once.
    ///
    /// # Errors
    ///
    /// If the id is the peer's own or is not in the list.
    pub async fn remove_device(&mut self, device_id: u32, ns: Ns) -> anyhow::Result<Vec<u32>> {
        let r = self
            .ok(json!({"cmd": "remove_device", "device_id": device_id, "ns": ns.wire()}))
            .await?;
        Ok(u32s(&r["devices"]))
    }

    /// Records a trust decision for one known device of `jid`.
    ///
    /// # Errors
    ///
    /// If the peer does not know that device.
    pub async fn trust(
        &mut self,
        jid: &str,
        device_id: u32,
        level: PeerTrust,
    ) -> anyhow::Result<()> {
        self.ok(json!({"cmd": "trust", "jid": jid, "device_id": device_id, "level": level.wire()}))
            .await?;
        Ok(())
    }

    /// Asks `jid` for a presence subscription (peers accept and reciprocate
    /// automatically). With mutual subscription, device lists arrive by PEP
    /// notification instead of an explicit pubsub subscription.
    ///
    /// # Errors
    ///
    /// If the peer fails.
    pub async fn subscribe(&mut self, jid: &str) -> anyhow::Result<()> {
        self.ok(json!({"cmd": "subscribe", "jid": jid})).await?;
        Ok(())
    }

    /// Closes the XMPP stream (the process keeps running; `connect` again to
    /// come back as the same device).
    ///
    /// # Errors
    ///
    /// If the peer fails.
    pub async fn disconnect(&mut self) -> anyhow::Result<()> {
        self.ok(json!({"cmd": "disconnect"})).await?;
        Ok(())
    }

    /// Waits up to `timeout` for the next event matching `pred`; earlier
    /// non-matching events stay queued.
    ///
    /// # Errors
    ///
    /// On timeout (listing the events seen) or if the peer died.
    pub async fn wait_event(
        &mut self,
        timeout: Duration,
        what: &str,
        mut pred: impl FnMut(&PeerEvent) -> bool,
    ) -> anyhow::Result<PeerEvent> {
        if let Some(pos) = self.events.iter().position(&mut pred)
            && let Some(event) = self.events.remove(pos)
        {
            return Ok(event);
        }
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            match tokio::time::timeout_at(deadline, self.lines.recv()).await {
                Ok(Some(line)) => {
                    if line.get("event").is_none() {
                        bail!("an unexpected reply from the slixmpp peer: {line}");
                    }
                    let event = parse_event(line);
                    if pred(&event) {
                        return Ok(event);
                    }
                    self.events.push_back(event);
                }
                Ok(None) => bail!(
                    "the slixmpp peer {} exited while waiting for {what}; its log:\n{}",
                    self.jid,
                    self.log_tail()
                ),
                Err(_) => bail!(
                    "the slixmpp peer {} saw no {what} within {timeout:?}; events meanwhile: {:?}\nits log:\n{}",
                    self.jid,
                    self.events,
                    self.log_tail()
                ),
            }
        }
    }

    /// Waits for the next chat message (decrypted or plain).
    ///
    /// # Errors
    ///
    /// On timeout, or if a message arrives undecryptable first (its error is returned).
    pub async fn wait_message(&mut self, timeout: Duration) -> anyhow::Result<ReceivedMessage> {
        match self
            .wait_event(timeout, "message", |e| {
                matches!(e, PeerEvent::Message(_) | PeerEvent::Undecryptable(_))
            })
            .await?
        {
            PeerEvent::Message(m) => Ok(m),
            PeerEvent::Undecryptable(u) => bail!(
                "the slixmpp peer {} could not decrypt a message from {} ({:?}): {}: {} (causes {:?})",
                self.jid,
                u.from,
                u.ns,
                u.error,
                u.message,
                u.causes
            ),
            other => bail!("unexpected event {other:?}"),
        }
    }

    /// Waits for the next message that did not decrypt.
    ///
    /// # Errors
    ///
    /// On timeout.
    pub async fn wait_undecryptable(&mut self, timeout: Duration) -> anyhow::Result<Undecryptable> {
        match self
            .wait_event(timeout, "undecryptable message", |e| {
                matches!(e, PeerEvent::Undecryptable(_))
            })
            .await?
        {
            PeerEvent::Undecryptable(u) => Ok(u),
            other => bail!("unexpected event {other:?}"),
        }
    }

    /// Every event received so far, without waiting.
    pub fn drain_events(&mut self) -> Vec<PeerEvent> {
        while let Ok(line) = self.lines.try_recv() {
            if line.get("event").is_some() {
                self.events.push_back(parse_event(line));
            }
        }
        self.events.drain(..).collect()
    }

    /// Asks the peer to close its stream and exit; kills it if it has not
    /// within 5 s.
    pub async fn quit(mut self) {
        let _ = writeln!(self.stdin, "{}", json!({"cmd": "quit"}));
        let _ = self.stdin.flush();
        let deadline = tokio::time::Instant::now() + QUIT_TIMEOUT;
        while tokio::time::Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        // Drop kills it.
    }
}

impl Drop for XmppPeer {
    fn drop(&mut self) {
        // The child is ours and not yet reaped, so its PID cannot have been reused.
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
        if std::thread::panicking() {
            eprintln!(
                "--- slixmpp peer {} log {} (last {LOG_TAIL_LINES} lines) ---\n{}\n--- end ---",
                self.jid,
                self.log.display(),
                self.log_tail()
            );
        }
    }
}

/// The venv's python, checked for slixmpp and slixmpp-omemo too.
fn slixmpp_python() -> anyhow::Result<PathBuf> {
    let python = venv_python()?;
    let ok = Command::new(&python)
        .args(["-c", "import slixmpp, slixmpp_omemo"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        bail!(
            "the slixmpp peer needs slixmpp and slixmpp-omemo in the venv of {}: run ./tests/run.sh \
             (its \"python-omemo peer venv\" step), or pip install {}",
            python.display(),
            crate::omemo_peer::PEER_PACKAGES.join(" ")
        );
    }
    Ok(python)
}
