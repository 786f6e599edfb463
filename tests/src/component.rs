// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! An external component (XEP-0114) that takes every stanza and answers
//! none: a server that never replies, for the addresses
//! `anyone@`[`SILENT_COMPONENT`]. Both test servers route that domain to
//! their component port; [`SilentComponent::connect`] claims it.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use sha1::{Digest as _, Sha1};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;
use tokio::task::JoinHandle;

use crate::XmppServer;

/// The domain of the silent component on every test server.
pub const SILENT_COMPONENT: &str = "silent.localhost";
/// The component's shared secret (loopback only).
pub const COMPONENT_SECRET: &str = "sotto-test-component-secret";

/// A connected component that reads everything and answers nothing.
#[derive(Debug)]
pub struct SilentComponent {
    requests: Arc<AtomicUsize>,
    reader: JoinHandle<()>,
}

impl SilentComponent {
    /// Connects to `server`'s component port and authenticates as
    /// [`SILENT_COMPONENT`].
    ///
    /// # Errors
    ///
    /// If the connection or the handshake fails within 10 s.
    pub async fn connect(server: &dyn XmppServer) -> anyhow::Result<Self> {
        let port = server.component_port();
        let mut stream = TcpStream::connect(("127.0.0.1", port))
            .await
            .with_context(|| format!("connecting to the component port {port}"))?;
        let header = format!(
            "<?xml version='1.0'?><stream:stream xmlns='jabber:component:accept' \
             xmlns:stream='http://etherx.jabber.org/streams' to='{SILENT_COMPONENT}'>"
        );
        stream.write_all(header.as_bytes()).await?;
        let deadline = Instant::now() + Duration::from_secs(10);
        let mut seen = String::new();
        let id = loop {
            if let Some(id) = stream_id(&seen) {
                break id;
            }
            seen.push_str(&read_some(&mut stream, deadline).await?);
        };
        let digest = Sha1::digest(format!("{id}{COMPONENT_SECRET}").as_bytes());
        let handshake = format!("<handshake>{}</handshake>", hex::encode(digest));
        stream.write_all(handshake.as_bytes()).await?;
        loop {
            if seen.contains("<handshake/>") || seen.contains("<handshake></handshake>") {
                break;
            }
            if seen.contains("not-authorized") || seen.contains("</stream:stream>") {
                bail!("the server refused the component handshake: {seen}");
            }
            seen.push_str(&read_some(&mut stream, deadline).await?);
        }
        let requests = Arc::new(AtomicUsize::new(0));
        let counter = requests.clone();
        let reader = tokio::spawn(async move {
            let mut buf = vec![0u8; 16 * 1024];
            // Holds back a possible "<iq" split across reads.
            let mut tail = String::new();
            while let Ok(n) = stream.read(&mut buf).await {
                if n == 0 {
                    break;
                }
                tail.push_str(&String::from_utf8_lossy(&buf[..n]));
                counter.fetch_add(tail.matches("<iq ").count(), Ordering::SeqCst);
                let keep = tail.len().saturating_sub(3);
                let keep = (keep..=tail.len())
                    .find(|i| tail.is_char_boundary(*i))
                    .unwrap_or(tail.len());
                tail = tail.split_off(keep);
            }
        });
        Ok(Self { requests, reader })
    }

    /// How many IQ requests reached the component (none was answered).
    #[must_use]
    pub fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }
}

impl Drop for SilentComponent {
    fn drop(&mut self) {
        self.reader.abort();
    }
}

/// The `id` attribute of the server's stream header, once it is read.
fn stream_id(seen: &str) -> Option<String> {
    let start = seen.find("<stream:stream")?;
    let header = &seen[start..];
    let header = &header[..header.find('>')?];
    for quote in ['\'', '"'] {
        let key = format!(" id={quote}");
        if let Some(at) = header.find(&key) {
            let rest = &header[at + key.len()..];
            return rest.find(quote).map(|end| rest[..end].to_owned());
        }
    }
    None
}

async fn read_some(stream: &mut TcpStream, deadline: Instant) -> anyhow::Result<String> {
    let mut buf = vec![0u8; 4096];
    let left = deadline.saturating_duration_since(Instant::now());
    let n = tokio::time::timeout(left, stream.read(&mut buf))
        .await
        .context("no answer from the server's component port in time")??;
    if n == 0 {
        bail!("the server closed the component connection");
    }
    Ok(String::from_utf8_lossy(&buf[..n]).into_owned())
}

#[cfg(test)]
mod tests {
    use super::stream_id;

    #[test]
    fn the_stream_id_is_read_in_either_quote() {
        assert_eq!(
            stream_id(
                "<?xml version='1.0'?><stream:stream xmlns='jabber:component:accept' id='abc-1' from='x'>"
            ),
            Some("abc-1".to_owned())
        );
        assert_eq!(
            stream_id("<stream:stream from=\"x\" id=\"42\">"),
            Some("42".to_owned())
        );
        assert_eq!(stream_id("<stream:stream from='x'"), None);
    }
}
