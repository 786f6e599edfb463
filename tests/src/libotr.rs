// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! C libotr 4.1.1 as a reference OTR peer.
//!
//! [`LibotrPeer`] drives `tests/libotr-peer/` (`peer.c`, `ops.c`), a small C
//! program linked with the system's libotr (Debian `libotr5-dev`), compiled on
//! first use into the target directory; its line protocol is described at the
//! top of `peer.c`. One peer is one libotr account with its own key
//! directory. Nothing goes over a network: every OTR message libotr wants to
//! send is handed back to the test, which delivers it to the other side (a
//! second `LibotrPeer`, or Sotto's engine) by calling [`LibotrPeer::receive`].
//!
//! ```no_run
//! # fn main() -> anyhow::Result<()> {
//! use sotto_tests::libotr::{LibotrPeer, Versions};
//! let mut bob = LibotrPeer::spawn("bob@localhost", Versions::Both)?;
//! let query = bob.query("alice@localhost")?; // "?OTRv23?…": give it to Alice
//! # let from_alice = String::new();
//! let got = bob.receive("alice@localhost", &from_alice)?;
//! // got.to_send: AKE replies for Alice; got.events: GoneSecure, SMP, …
//! # Ok(()) }
//! ```

mod build;
mod reply;
mod types;

use std::io::{BufRead as _, BufReader, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::Duration;

use anyhow::{Context as _, anyhow, bail};

pub use reply::human_fingerprint;
use reply::{Reply, compact_fingerprint, encode};
pub use types::{MsgState, PeerEvent, PeerState, Received, Versions};

use crate::TestDir;

/// The protocol the peer speaks (`PROTOCOL` in libotr's account triple).
pub const PROTOCOL: &str = "xmpp";
/// Longest wait for one reply; key generation is the slowest request (~0.2 s).
const REPLY_TIMEOUT: Duration = Duration::from_secs(60);

#[derive(Debug)]
enum KeyDir {
    Owned(TestDir),
    Given(PathBuf),
}

/// One C libotr account in a child process (see the module docs).
///
/// Peer names (the other side's account, e.g. a full JID) must not contain
/// whitespace. Texts must not contain NUL (libotr takes C strings). Dropping
/// the peer kills its process (by PID); a temporary key directory made by
/// [`spawn`](Self::spawn) is removed (kept with `SOTTO_KEEP_TEST_DIRS=1`).
#[derive(Debug)]
pub struct LibotrPeer {
    account: String,
    dir: KeyDir,
    child: Child,
    stdin: ChildStdin,
    lines: Receiver<std::io::Result<String>>,
}

impl LibotrPeer {
    /// Starts a peer for `account` with a fresh key in a temporary directory.
    ///
    /// Policy: `versions`, no whitespace tag sent, encryption not required;
    /// an AKE is started on a received query, whitespace tag or OTR error
    /// (libotr's `WHITESPACE_START_AKE | ERROR_START_AKE`), no fragmentation.
    ///
    /// # Errors
    ///
    /// If libotr's development files or the C compiler are missing (the error
    /// names the Debian package), or the peer fails to start.
    pub fn spawn(account: &str, versions: Versions) -> anyhow::Result<Self> {
        let dir = TestDir::new("libotr").context("creating the libotr peer's directory")?;
        Self::start(account, versions, KeyDir::Owned(dir))
    }

    /// Like [`spawn`](Self::spawn), with the key files in `dir` (created if
    /// missing): `otr.private_key`, `otr.fingerprints` and `otr.instance_tags`
    /// are read if present (Pidgin's files work), the key and instance tag
    /// generated and written there if not.
    ///
    /// # Errors
    ///
    /// As [`spawn`](Self::spawn); also if a file there cannot be read.
    pub fn spawn_in(account: &str, versions: Versions, dir: &Path) -> anyhow::Result<Self> {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        Self::start(account, versions, KeyDir::Given(dir.to_path_buf()))
    }

    fn start(account: &str, versions: Versions, dir: KeyDir) -> anyhow::Result<Self> {
        check_name(account)?;
        let binary = build::peer_binary()?;
        let path = match &dir {
            KeyDir::Owned(d) => d.path().to_path_buf(),
            KeyDir::Given(p) => p.clone(),
        };
        let mut child = Command::new(&binary)
            .arg(account)
            .arg(PROTOCOL)
            .arg(&path)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .with_context(|| format!("starting {}", binary.display()))?;
        let (Some(stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
            let _ = child.kill();
            let _ = child.wait();
            bail!("the libotr peer's pipes were not set up");
        };
        let (tx, lines) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut peer = Self {
            account: account.to_owned(),
            dir,
            child,
            stdin,
            lines,
        };
        let ready = peer.next_line("starting")?;
        if !ready.starts_with("ready 4.") {
            bail!("the libotr peer said {ready:?} instead of \"ready <libotr 4.x>\"");
        }
        peer.request("key")?;
        peer.request(&format!("versions {}", versions.keyword()))?;
        Ok(peer)
    }

    /// This peer's account name, which the other side uses as peer name.
    #[must_use]
    pub fn account(&self) -> &str {
        &self.account
    }

    /// The key directory: `otr.private_key`, `otr.fingerprints` and
    /// `otr.instance_tags` in libotr's (and Pidgin's) formats.
    #[must_use]
    pub fn dir(&self) -> &Path {
        match &self.dir {
            KeyDir::Owned(d) => d.path(),
            KeyDir::Given(p) => p,
        }
    }

    /// This account's fingerprint in libotr's human form
    /// (`XXXXXXXX XXXXXXXX XXXXXXXX XXXXXXXX XXXXXXXX`, uppercase).
    ///
    /// # Errors
    ///
    /// If the peer fails.
    pub fn fingerprint(&mut self) -> anyhow::Result<String> {
        let reply = self.request("fingerprint")?;
        let fields = reply.answer("fingerprint")?;
        Ok(human_fingerprint(fields.first().map_or("", String::as_str)))
    }

    /// This account's v3 instance tag.
    ///
    /// # Errors
    ///
    /// If the peer fails.
    pub fn instance_tag(&mut self) -> anyhow::Result<u32> {
        let reply = self.request("instance-tag")?;
        let tag = reply
            .answer("instance-tag")?
            .first()
            .cloned()
            .unwrap_or_default();
        u32::from_str_radix(&tag, 16).with_context(|| format!("instance tag {tag:?}"))
    }

    /// Changes the allowed versions.
    ///
    /// # Errors
    ///
    /// If the peer fails.
    pub fn set_versions(&mut self, versions: Versions) -> anyhow::Result<()> {
        self.request(&format!("versions {}", versions.keyword()))
            .map(drop)
    }

    /// Whether plaintext messages carry the whitespace tag
    /// (`OTRL_POLICY_SEND_WHITESPACE_TAG`; libotr stops after the other side
    /// answers without OTR).
    ///
    /// # Errors
    ///
    /// If the peer fails.
    pub fn set_whitespace_tag(&mut self, on: bool) -> anyhow::Result<()> {
        self.request(&format!("whitespace {}", u8::from(on)))
            .map(drop)
    }

    /// `OTRL_POLICY_REQUIRE_ENCRYPTION`: a message sent without a session is
    /// held back, a query goes out instead, and the message is sent once the
    /// AKE completes.
    ///
    /// # Errors
    ///
    /// If the peer fails.
    pub fn set_require_encryption(&mut self, on: bool) -> anyhow::Result<()> {
        self.request(&format!("require {}", u8::from(on))).map(drop)
    }

    /// libotr's `max_message_size`: longer OTR messages are sent in fragments
    /// of at most `bytes` bytes. 0 turns fragmentation off.
    ///
    /// # Errors
    ///
    /// If the peer fails.
    pub fn set_max_message_size(&mut self, bytes: usize) -> anyhow::Result<()> {
        self.request(&format!("max-size {bytes}")).map(drop)
    }

    /// `otrl_message_sending(text)`: the messages to deliver to `peer`, in
    /// order (the plaintext itself, tagged or not, the encrypted message or
    /// its fragments, or a query when encryption is required). Empty when
    /// libotr refuses to send (the session is finished).
    ///
    /// # Errors
    ///
    /// If libotr reports an error or the peer fails.
    pub fn send(&mut self, peer: &str, text: &str) -> anyhow::Result<Vec<String>> {
        Ok(self.send_with_events(peer, text)?.to_send)
    }

    /// [`send`](Self::send), also returning the events (for example
    /// `OTRL_MSGEVENT_ENCRYPTION_REQUIRED`, `…_CONNECTION_ENDED`).
    ///
    /// # Errors
    ///
    /// As [`send`](Self::send).
    pub fn send_with_events(&mut self, peer: &str, text: &str) -> anyhow::Result<Received> {
        check_name(peer)?;
        let reply = self.request(&format!("send {peer} {}", encode(text)?))?;
        self.received(peer, reply)
    }

    /// `otrl_message_receiving(wire)` for a message from `peer`.
    ///
    /// # Errors
    ///
    /// If the peer fails (libotr's own complaints are events, not errors).
    pub fn receive(&mut self, peer: &str, wire: &str) -> anyhow::Result<Received> {
        check_name(peer)?;
        let reply = self.request(&format!("recv {peer} {}", encode(wire)?))?;
        self.received(peer, reply)
    }

    /// The query message for this peer's policy (`?OTRv23?`, `?OTRv2?`,
    /// `?OTRv3?` followed by libotr's explanation), as libotr sends it when a
    /// user types `?OTR?`.
    ///
    /// # Errors
    ///
    /// If libotr produced anything but exactly one message.
    pub fn query(&mut self, peer: &str) -> anyhow::Result<String> {
        check_name(peer)?;
        let reply = self.request(&format!("query {peer}"))?;
        let mut sent = self.received(peer, reply)?.to_send;
        if sent.len() != 1 {
            bail!("libotr sent {} messages for a query, not one", sent.len());
        }
        Ok(sent.remove(0))
    }

    /// Ends the session with every instance of `peer`
    /// (`otrl_message_disconnect_all_instances`): returns the TLV 1 message
    /// to deliver (none if no session was encrypted). Our state becomes
    /// plaintext; the other side's becomes finished.
    ///
    /// # Errors
    ///
    /// If the peer fails.
    pub fn end(&mut self, peer: &str) -> anyhow::Result<Vec<String>> {
        self.simple(peer, "end", &[])
    }

    /// Starts SMP with `secret`, and `question` if given: returns the message
    /// to deliver.
    ///
    /// # Errors
    ///
    /// If no session with `peer` is encrypted (libotr would silently do
    /// nothing), or the peer fails.
    pub fn smp_start(
        &mut self,
        peer: &str,
        secret: &str,
        question: Option<&str>,
    ) -> anyhow::Result<Vec<String>> {
        let mut args = vec![encode(secret)?];
        if let Some(question) = question {
            args.push(encode(question)?);
        }
        self.simple(peer, "smp", &args)
    }

    /// Answers the other side's SMP ([`PeerEvent::SmpAskForSecret`]).
    ///
    /// # Errors
    ///
    /// As [`smp_start`](Self::smp_start).
    pub fn smp_respond(&mut self, peer: &str, secret: &str) -> anyhow::Result<Vec<String>> {
        self.simple(peer, "smp-respond", &[encode(secret)?])
    }

    /// Aborts SMP (TLV 6): returns the message to deliver.
    ///
    /// # Errors
    ///
    /// As [`smp_start`](Self::smp_start).
    pub fn smp_abort(&mut self, peer: &str) -> anyhow::Result<Vec<String>> {
        self.simple(peer, "smp-abort", &[])
    }

    /// The state of the most secure session with `peer` (libotr's
    /// `OTRL_INSTAG_BEST`); plaintext, version 0 if there never was one.
    ///
    /// # Errors
    ///
    /// If the peer fails.
    pub fn state(&mut self, peer: &str) -> anyhow::Result<PeerState> {
        check_name(peer)?;
        let reply = self.request(&format!("state {peer}"))?;
        let fields = reply.answer("state")?;
        let msgstate = match fields.first().map(String::as_str) {
            Some("plaintext") => MsgState::Plaintext,
            Some("encrypted") => MsgState::Encrypted,
            Some("finished") => MsgState::Finished,
            other => bail!("unknown message state {other:?}"),
        };
        let version = fields
            .get(1)
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| anyhow!("no protocol version in {fields:?}"))?;
        Ok(PeerState { msgstate, version })
    }

    /// The fingerprint of `peer`'s key in the current session (human form)
    /// and whether it is trusted (by [`trust`](Self::trust), a successful
    /// SMP, or `otr.fingerprints`); `None` without a session.
    ///
    /// # Errors
    ///
    /// If the peer fails.
    pub fn peer_fingerprint(&mut self, peer: &str) -> anyhow::Result<Option<(String, bool)>> {
        check_name(peer)?;
        let reply = self.request(&format!("peer-fingerprint {peer}"))?;
        match reply.answer("peer-fingerprint")? {
            [none] if none == "none" => Ok(None),
            [fp, trust] => Ok(Some((human_fingerprint(fp), trust == "trusted"))),
            other => bail!("unexpected peer-fingerprint answer {other:?}"),
        }
    }

    /// Every fingerprint known for `peer` (from `otr.fingerprints` or seen in
    /// an AKE), with whether it is trusted, newest first.
    ///
    /// # Errors
    ///
    /// If the peer fails.
    pub fn known_fingerprints(&mut self, peer: &str) -> anyhow::Result<Vec<(String, bool)>> {
        check_name(peer)?;
        let reply = self.request(&format!("known-fingerprints {peer}"))?;
        reply
            .answers
            .iter()
            .map(|a| match a.as_slice() {
                [known, fp, trust] if known == "known" => {
                    Ok((human_fingerprint(fp), trust == "trusted"))
                }
                other => bail!("unexpected known-fingerprints answer {other:?}"),
            })
            .collect()
    }

    /// Marks `fingerprint` (any spacing or case) of `peer` as verified and
    /// writes `otr.fingerprints`.
    ///
    /// # Errors
    ///
    /// If libotr does not know that fingerprint for `peer`.
    pub fn trust(&mut self, peer: &str, fingerprint: &str) -> anyhow::Result<()> {
        self.simple(peer, "trust", &[compact_fingerprint(fingerprint)?])
            .map(drop)
    }

    /// Removes the trust in `fingerprint` of `peer`.
    ///
    /// # Errors
    ///
    /// As [`trust`](Self::trust).
    pub fn untrust(&mut self, peer: &str, fingerprint: &str) -> anyhow::Result<()> {
        self.simple(peer, "untrust", &[compact_fingerprint(fingerprint)?])
            .map(drop)
    }

    /// `otrl_privkey_write_fingerprints` to `dir()/otr.fingerprints` (the
    /// peer also writes it whenever libotr asks: new fingerprint, SMP, trust).
    ///
    /// # Errors
    ///
    /// If writing fails.
    pub fn write_fingerprints(&mut self) -> anyhow::Result<()> {
        self.request("write-fingerprints").map(drop)
    }

    /// Runs `otrl_message_poll` now (the peer also runs it before a request
    /// when libotr's timer is due).
    ///
    /// # Errors
    ///
    /// If the peer fails.
    pub fn poll(&mut self) -> anyhow::Result<()> {
        self.request("poll").map(drop)
    }

    /// `COMMAND PEER ARGS…`; returns the messages for `peer`.
    fn simple(
        &mut self,
        peer: &str,
        command: &str,
        args: &[String],
    ) -> anyhow::Result<Vec<String>> {
        check_name(peer)?;
        let mut line = format!("{command} {peer}");
        for arg in args {
            line.push(' ');
            line.push_str(arg);
        }
        let reply = self.request(&line)?;
        Ok(self.received(peer, reply)?.to_send)
    }

    fn received(&self, peer: &str, reply: Reply) -> anyhow::Result<Received> {
        let mut to_send = Vec::with_capacity(reply.wires.len());
        for (to, message) in reply.wires {
            if to != peer {
                bail!(
                    "libotr ({}) sent a message to {to:?} while handling {peer:?}",
                    self.account
                );
            }
            to_send.push(message);
        }
        Ok(Received {
            plaintext: reply.plaintext,
            to_send,
            events: reply.events,
        })
    }

    /// Sends one request line and collects the reply up to `ok`.
    fn request(&mut self, line: &str) -> anyhow::Result<Reply> {
        let command = line.split(' ').next().unwrap_or_default().to_owned();
        writeln!(self.stdin, "{line}")
            .and_then(|()| self.stdin.flush())
            .with_context(|| format!("libotr peer {}: sending {command:?}", self.account))?;
        let mut lines = Vec::new();
        loop {
            let next = self.next_line(&command)?;
            if next == "ok" {
                break;
            }
            if let Some(reason) = next.strip_prefix("err ") {
                bail!("libotr peer {}: {command}: {reason}", self.account);
            }
            lines.push(next);
        }
        Reply::parse(&lines).with_context(|| format!("libotr peer {}: {command}", self.account))
    }

    fn next_line(&mut self, command: &str) -> anyhow::Result<String> {
        match self.lines.recv_timeout(REPLY_TIMEOUT) {
            Ok(Ok(line)) => Ok(line),
            Ok(Err(e)) => Err(anyhow!(e).context(format!(
                "libotr peer {}: reading the reply to {command:?}",
                self.account
            ))),
            Err(RecvTimeoutError::Timeout) => bail!(
                "libotr peer {}: no reply to {command:?} within {} s",
                self.account,
                REPLY_TIMEOUT.as_secs()
            ),
            Err(RecvTimeoutError::Disconnected) => {
                let status = self.child.try_wait().ok().flatten();
                bail!(
                    "libotr peer {}: exited ({status:?}) while handling {command:?}",
                    self.account
                )
            }
        }
    }
}

impl Drop for LibotrPeer {
    fn drop(&mut self) {
        // Child::kill signals our child's PID only; wait reaps it so the PID
        // cannot be reused while we hold it.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn check_name(name: &str) -> anyhow::Result<()> {
    if name.is_empty() || name.chars().any(char::is_whitespace) {
        bail!("{name:?}: account and peer names must be non-empty and without whitespace");
    }
    Ok(())
}
