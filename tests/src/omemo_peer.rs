// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! The python-omemo interop peer (`tests/omemo-peer/peer.py`), driven over
//! a pipe with one JSON object per line.
//!
//! The peer runs the python `omemo`, `oldmemo` and `twomemo` packages from the
//! venv that `tests/run.sh` installs (`$SOTTO_VENV`, default
//! `~/.cache/sotto-venv`). A missing venv is an error naming that step, never
//! a skip. Each peer has its own storage in its own temporary directory.

use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

use anyhow::{Context, bail};
use base64::{Engine, engine::general_purpose::STANDARD as B64};
use serde_json::{Value, json};
use sotto_omemo::{Bundle, EncryptedMessage, KeyElement, Namespace};

use crate::TestDir;

/// The python packages the peer needs, pinned (installed by `tests/run.sh`).
pub const PEER_PACKAGES: &[&str] = &[
    "omemo==2.1.0",
    "oldmemo==2.1.0",
    "twomemo==2.1.0",
    "xmlschema==4.3.2",
    // The slixmpp peer (tests/omemo-peer/xmpp_peer.py, crate::xmpp_peer).
    "slixmpp==1.17.0",
    "slixmpp-omemo==2.2.0",
];

/// The venv's python interpreter.
pub fn venv_python() -> anyhow::Result<PathBuf> {
    let venv = match std::env::var_os("SOTTO_VENV") {
        Some(v) => PathBuf::from(v),
        None => PathBuf::from(std::env::var_os("HOME").context("HOME is not set")?)
            .join(".cache/sotto-venv"),
    };
    let python = venv.join("bin/python");
    let ok = python.exists()
        && Command::new(&python)
            .args(["-c", "import omemo, oldmemo.etree, twomemo.etree"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
    if !ok {
        bail!(
            "the python-omemo peer needs a venv at {} with {}: run ./tests/run.sh \
             (its \"python-omemo peer venv\" step), or: python3 -m venv {0} && {0}/bin/pip install {1}",
            venv.display(),
            PEER_PACKAGES.join(" ")
        );
    }
    Ok(python)
}

fn ns_name(ns: Namespace) -> &'static str {
    match ns {
        Namespace::Legacy => "legacy",
        Namespace::Omemo2 => "omemo2",
    }
}

/// A failure the peer reported, by exception class.
#[derive(Debug, Clone)]
pub struct PeerError {
    /// The exception class, e.g. `DecryptionFailed`.
    pub error: String,
    /// The classes of its causes, innermost last.
    pub causes: Vec<String>,
    /// The exception text.
    pub message: String,
}

impl PeerError {
    /// Whether the error or one of its causes is of class `name`.
    pub fn is(&self, name: &str) -> bool {
        self.error == name || self.causes.iter().any(|c| c == name)
    }
}

/// What the peer decrypted.
#[derive(Debug)]
pub struct PeerDecrypted {
    /// The plaintext; `None` for an empty message.
    pub plaintext: Option<Vec<u8>>,
    /// Messages python-omemo sent by itself while decrypting (the empty
    /// message that completes a new session).
    pub sent: Vec<EncryptedMessage>,
}

/// A running python-omemo peer.
pub struct PythonPeer {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    dir: TestDir,
    /// Its bare JID.
    pub jid: String,
    /// Its device id (the same in both namespaces).
    pub device_id: u32,
    /// Its fingerprint as python-omemo formats it.
    pub fingerprint: String,
}

impl std::fmt::Debug for PythonPeer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PythonPeer")
            .field("jid", &self.jid)
            .field("device_id", &self.device_id)
            .finish_non_exhaustive()
    }
}

impl PythonPeer {
    /// Starts a peer with a new device for `jid`.
    pub fn start(jid: &str) -> anyhow::Result<Self> {
        let python = venv_python()?;
        let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("omemo-peer/peer.py");
        let dir = TestDir::new("omemo-peer").context("making the python peer's directory")?;
        let log = std::fs::File::create(dir.join("peer.log")).context("creating the peer's log")?;
        let mut child = Command::new(python)
            .arg(&script)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .with_context(|| format!("starting {}", script.display()))?;
        let stdin = child.stdin.take().context("peer stdin")?;
        let stdout = BufReader::new(child.stdout.take().context("peer stdout")?);
        let mut peer = Self {
            child,
            stdin,
            stdout,
            dir,
            jid: jid.to_owned(),
            device_id: 0,
            fingerprint: String::new(),
        };
        let dir = peer.dir.path().display().to_string();
        let r = peer.ok(json!({"cmd": "create", "jid": jid, "dir": dir}))?;
        peer.device_id = r["device_id"].as_u64().context("device_id")? as u32;
        peer.fingerprint = r["fingerprint"].as_str().unwrap_or_default().to_owned();
        Ok(peer)
    }

    fn log_tail(&self) -> String {
        let log = std::fs::read_to_string(self.dir.join("peer.log")).unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        lines[lines.len().saturating_sub(20)..].join("\n")
    }

    fn call(&mut self, request: Value) -> anyhow::Result<Result<Value, PeerError>> {
        writeln!(self.stdin, "{request}").context("writing to the python peer")?;
        self.stdin.flush().context("writing to the python peer")?;
        let mut line = String::new();
        self.stdout
            .read_line(&mut line)
            .context("reading from the python peer")?;
        if line.is_empty() {
            bail!("the python peer exited; its log:\n{}", self.log_tail());
        }
        let reply: Value =
            serde_json::from_str(&line).context("parsing the python peer's reply")?;
        if reply["ok"].as_bool() == Some(true) {
            return Ok(Ok(reply));
        }
        Ok(Err(PeerError {
            error: reply["error"].as_str().unwrap_or_default().to_owned(),
            causes: reply["causes"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|c| c.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default(),
            message: format!(
                "{}\n{}",
                reply["message"].as_str().unwrap_or_default(),
                reply["trace"].as_str().unwrap_or_default()
            ),
        }))
    }

    fn ok(&mut self, request: Value) -> anyhow::Result<Value> {
        let cmd = request["cmd"].clone();
        match self.call(request)? {
            Ok(v) => Ok(v),
            Err(e) => bail!(
                "python peer command {cmd} failed: {}: {}",
                e.error,
                e.message
            ),
        }
    }

    /// The peer's bundle in `ns`, read back through `Bundle::from_wire` (which checks the signature).
    pub fn bundle(&mut self, ns: Namespace) -> anyhow::Result<Bundle> {
        let r = self.ok(json!({"cmd": "bundle", "ns": ns_name(ns)}))?;
        let d = |v: &Value| {
            B64.decode(v.as_str().unwrap_or_default())
                .context("base64 in bundle")
        };
        let prekeys = r["prekeys"]
            .as_array()
            .context("prekeys")?
            .iter()
            .map(|p| Ok((p[0].as_u64().context("prekey id")? as u32, d(&p[1])?)))
            .collect::<anyhow::Result<Vec<_>>>()?;
        Ok(Bundle::from_wire(
            ns,
            r["device_id"].as_u64().context("device id")? as u32,
            &d(&r["ik"])?,
            r["spk_id"].as_u64().context("spk id")? as u32,
            &d(&r["spk"])?,
            &d(&r["spk_sig"])?,
            &prekeys,
        )?)
    }

    /// Gives the peer our bundle and puts the device in `jid`'s device list.
    pub fn import_bundle(&mut self, jid: &str, bundle: &Bundle) -> anyhow::Result<()> {
        let prekeys: Vec<Value> = bundle
            .prekeys_wire()
            .into_iter()
            .map(|(id, k)| json!([id, B64.encode(k)]))
            .collect();
        self.ok(json!({
            "cmd": "import", "ns": ns_name(bundle.namespace), "jid": jid,
            "device_id": bundle.device_id, "ik": B64.encode(bundle.identity_wire()),
            "spk_id": bundle.spk_id, "spk": B64.encode(bundle.spk_wire()),
            "spk_sig": B64.encode(bundle.spk_signature), "prekeys": prekeys,
        }))?;
        Ok(())
    }

    /// Encrypts `plaintext` to every device of `to`.
    pub fn encrypt(
        &mut self,
        ns: Namespace,
        to: &str,
        plaintext: &[u8],
    ) -> anyhow::Result<EncryptedMessage> {
        let r = self.ok(json!({"cmd": "encrypt", "ns": ns_name(ns), "to": to, "plaintext": B64.encode(plaintext)}))?;
        from_json(ns, &r)
    }

    /// Sends an empty (key transport) message to one device it has a session with.
    pub fn encrypt_empty(
        &mut self,
        ns: Namespace,
        to: &str,
        device_id: u32,
    ) -> anyhow::Result<EncryptedMessage> {
        let r = self.ok(json!({"cmd": "encrypt", "ns": ns_name(ns), "to": to, "device_id": device_id, "plaintext": null}))?;
        from_json(ns, &r)
    }

    /// Decrypts a message from `from`; a decryption failure is the inner `Err`.
    pub fn decrypt(
        &mut self,
        from: &str,
        message: &EncryptedMessage,
    ) -> anyhow::Result<Result<PeerDecrypted, PeerError>> {
        let ns = message.namespace;
        let reply = self.call(
            json!({"cmd": "decrypt", "ns": ns_name(ns), "from": from, "message": to_json(message)}),
        )?;
        Ok(match reply {
            Err(e) => Err(e),
            Ok(r) => Ok(PeerDecrypted {
                plaintext: r["plaintext"].as_str().map(|p| B64.decode(p)).transpose()?,
                sent: r["sent"]
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .map(|m| from_json(ns, m))
                            .collect::<anyhow::Result<_>>()
                    })
                    .transpose()?
                    .unwrap_or_default(),
            }),
        })
    }
}

impl Drop for PythonPeer {
    fn drop(&mut self) {
        let _ = writeln!(self.stdin, "{}", json!({"cmd": "quit"}));
        let _ = self.stdin.flush();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        while std::time::Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn to_json(m: &EncryptedMessage) -> Value {
    json!({
        "sid": m.sender_device_id,
        "iv": m.iv.as_ref().map(|v| B64.encode(v)),
        "payload": m.payload.as_ref().map(|v| B64.encode(v)),
        "keys": m.keys.iter().map(|k| json!({
            "jid": k.jid, "rid": k.device_id, "data": B64.encode(&k.data), "kex": k.key_exchange,
        })).collect::<Vec<_>>(),
    })
}

fn from_json(ns: Namespace, v: &Value) -> anyhow::Result<EncryptedMessage> {
    let opt = |v: &Value| v.as_str().map(|s| B64.decode(s)).transpose();
    Ok(EncryptedMessage {
        namespace: ns,
        sender_device_id: v["sid"].as_u64().context("sid")? as u32,
        iv: opt(&v["iv"])?,
        payload: opt(&v["payload"])?,
        keys: v["keys"]
            .as_array()
            .context("keys")?
            .iter()
            .map(|k| {
                Ok(KeyElement {
                    jid: k["jid"].as_str().unwrap_or_default().to_owned(),
                    device_id: k["rid"].as_u64().context("rid")? as u32,
                    data: B64.decode(k["data"].as_str().unwrap_or_default())?,
                    key_exchange: k["kex"].as_bool().unwrap_or(false),
                })
            })
            .collect::<anyhow::Result<_>>()?,
    })
}

/// Python-omemo's time per message (µs) for encrypt + decrypt between two
/// in-process python devices: on one sending chain, and alternating sides
/// (a DH ratchet step per message). At most 50 messages per figure.
#[derive(Debug, Clone, Copy)]
pub struct PeerBench {
    /// One chain.
    pub same_chain_us: f64,
    /// A DH ratchet step per message.
    pub ratchet_us: f64,
}

impl PythonPeer {
    /// Runs the peer's benchmark in `ns` with `n` messages per figure.
    pub fn bench(&mut self, ns: Namespace, n: u32) -> anyhow::Result<PeerBench> {
        let r = self.ok(json!({"cmd": "bench", "ns": ns_name(ns), "n": n}))?;
        Ok(PeerBench {
            same_chain_us: r["same_chain_us"].as_f64().context("same_chain_us")?,
            ratchet_us: r["ratchet_us"].as_f64().context("ratchet_us")?,
        })
    }
}
