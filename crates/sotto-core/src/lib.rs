// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! Sotto's protocol core: accounts, the [`Command`]/[`Event`] boundary, and
//! the orchestration of XMPP sessions and the encrypted store.
//!
//! Front ends call [`start`] and then talk to the core only through the two
//! channels of the returned [`CoreHandle`]. Each account runs in its own task
//! with its own session; the hub task routes commands and owns nothing a
//! front end could reach into.
//!
//! This crate must never depend on a GUI toolkit, log message bodies,
//! passwords or keys, or hand a front end shared mutable state.

mod account;
pub mod api;
mod convert;
mod hub;
mod omemo_wire;
mod transports;

use std::sync::Arc;

pub use api::{
    Availability, ChatState, Command, ConnectionState, Encryption, Event, MissingFeature,
    OmemoDevice, OmemoTrust, OmemoTrustMode, OtrContactFingerprint, OtrSessionState, OtrTrust,
    ProfileProtection, Request, RoomOccupant, Secret, ServerOptions, SmpProgress, TransferState,
};
pub use hub::TOR_EVERYWHERE;

/// The log filter front ends use without `-v` or `RUST_LOG`: Sotto's own
/// crates at `warn`, every library off. Libraries (Arti above all, which
/// warns many times a second while it cannot reach a relay) speak only when
/// asked: by default a person reads Sotto's own reasons.
pub const DEFAULT_LOG_FILTER: &str = "off,sotto=warn,sotto_desktop=warn,sotto_core=warn,\
                                      sotto_xmpp=warn,sotto_store=warn,sotto_tor=warn,\
                                      sotto_omemo=warn,sotto_otr=warn";
use sotto_store::Store;
pub use sotto_tor::{CustomAuthority, CustomFallback, CustomNetwork};
/// For front ends printing what a peer or server wrote: the one cleaner.
pub use sotto_xmpp::text::terminal_safe;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
pub use transports::CoreOptions;

/// A file someone sent, as a message body shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileLink {
    /// The file's name (the link's last path segment, decoded).
    pub name: String,
    /// An `aesgcm://` link: the file is end-to-end encrypted.
    pub encrypted: bool,
}

/// Whether a message body is a file link (`aesgcm://` with its key, or one
/// `https://` URL) that `save_file` can fetch, and the file's name.
pub fn file_link(body: &str) -> Option<FileLink> {
    let body = body.trim();
    if body.contains(char::is_whitespace) {
        return None;
    }
    let link = account::file_link(body)?;
    Some(link)
}

/// A message body as it may be shown outside the conversation (a
/// notification, a search result): a file link becomes "File: name", and
/// any other `aesgcm://` link loses its key. The key of an encrypted file
/// never leaves the store and the Save action: notification daemons log
/// what they show, and a search snippet is a screenshot away.
pub fn shown_outside(body: &str) -> String {
    if let Some(link) = file_link(body) {
        return format!("File: {}", link.name);
    }
    let mut out = String::with_capacity(body.len());
    let mut rest = body;
    while let Some(at) = find_ascii_ci(rest, "aesgcm://") {
        out.push_str(&rest[..at]);
        let tail = &rest[at..];
        let end = tail.find(char::is_whitespace).unwrap_or(tail.len());
        let link = &tail[..end];
        match link.find('#') {
            Some(hash) => {
                out.push_str(&link[..hash]);
                out.push_str("#…");
            }
            None => out.push_str(link),
        }
        rest = &tail[end..];
    }
    out.push_str(rest);
    out
}

/// The byte offset of `needle` (ASCII) in `haystack`, ignoring ASCII case.
fn find_ascii_ci(haystack: &str, needle: &str) -> Option<usize> {
    haystack
        .as_bytes()
        .windows(needle.len())
        .position(|w| w.eq_ignore_ascii_case(needle.as_bytes()))
}

/// The front end's end of the core channel.
#[derive(Debug)]
pub struct CoreHandle {
    /// Where to send commands ([`Command`]s convert into [`Request`]s
    /// without an id; see [`CoreHandle::send`]).
    pub commands: mpsc::UnboundedSender<Request>,
    /// Where events arrive.
    pub events: mpsc::UnboundedReceiver<Event>,
    task: JoinHandle<()>,
}

impl CoreHandle {
    /// Sends a command (with or without a request id).
    ///
    /// # Errors
    ///
    /// When the core has stopped.
    #[allow(clippy::result_large_err)]
    pub fn send(&self, command: impl Into<Request>) -> Result<(), mpsc::error::SendError<Request>> {
        self.commands.send(command.into())
    }

    /// Waits until the core has stopped (after [`Command::Shutdown`]).
    pub async fn join(self) {
        let _ = self.task.await;
    }
}

/// Starts the core on `store`. Must be called inside a tokio runtime.
///
/// The core first emits [`Event::AccountsSnapshot`] and
/// [`Event::OmemoTrustMode`], then brings every enabled account online.
pub fn start(store: Arc<dyn Store>) -> CoreHandle {
    start_with_options(store, CoreOptions::default())
}

/// Starts the core with options (the profile directory, needed for Tor).
pub fn start_with_options(store: Arc<dyn Store>, options: CoreOptions) -> CoreHandle {
    sotto_xmpp::tls::crypto_provider();
    let (commands_tx, commands_rx) = mpsc::unbounded_channel();
    let (events_tx, events_rx) = mpsc::unbounded_channel();
    let task = tokio::spawn(hub::run(store, options, commands_rx, events_tx));
    CoreHandle {
        commands: commands_tx,
        events: events_rx,
        task,
    }
}

#[cfg(test)]
mod tests {
    use super::shown_outside;

    #[test]
    fn file_keys_never_show_outside_the_conversation() {
        let key = "a".repeat(88);
        let link = format!("aesgcm://upload.example.org/x/photo.jpg#{key}");
        assert_eq!(shown_outside(&link), "File: photo.jpg");
        let text = format!("look: {link} and AESGCM://h/p#{key} end");
        let shown = shown_outside(&text);
        assert!(!shown.contains(&key), "{shown}");
        assert_eq!(
            shown,
            "look: aesgcm://upload.example.org/x/photo.jpg#… and AESGCM://h/p#… end"
        );
        assert_eq!(shown_outside("héllo wörld"), "héllo wörld");
        assert_eq!(shown_outside("aesgcm://"), "aesgcm://");
    }
}
