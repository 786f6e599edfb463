// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! What the server harnesses share: "does it answer a stream header?" and
//! reading their logs.

use std::io::{Read as _, Write as _};
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::path::Path;
use std::time::Duration;

/// Whether the client port on 127.0.0.1 answers a stream header for `domain`
/// with stream features. A bare TCP connect is not enough: the kernel accepts
/// into the backlog before the server's event loop runs (and Prosody installs
/// its SIGTERM handler only on the loop's first turn).
pub(crate) fn answers_stream(port: u16, domain: &str) -> bool {
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let Ok(mut tcp) = TcpStream::connect_timeout(&addr, Duration::from_secs(1)) else {
        return false;
    };
    let header = format!(
        "<?xml version='1.0'?><stream:stream to='{domain}' version='1.0' \
         xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>"
    );
    if tcp.set_read_timeout(Some(Duration::from_secs(2))).is_err()
        || tcp.write_all(header.as_bytes()).is_err()
    {
        return false;
    }
    let mut reply = Vec::new();
    let mut buf = [0u8; 1024];
    while !contains(&reply, b"</stream:features>") {
        match tcp.read(&mut buf) {
            Ok(0) | Err(_) => return false,
            Ok(n) => reply.extend_from_slice(&buf[..n]),
        }
    }
    let _ = tcp.write_all(b"</stream:stream>");
    true
}

pub(crate) fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// The file's text from byte `offset` on (lossy UTF-8; empty if unreadable).
pub(crate) fn read_from(path: &Path, offset: u64) -> String {
    let bytes = std::fs::read(path).unwrap_or_default();
    let start = usize::try_from(offset)
        .unwrap_or(usize::MAX)
        .min(bytes.len());
    String::from_utf8_lossy(&bytes[start..]).into_owned()
}

/// The last `n` lines of the file.
pub(crate) fn tail(path: &Path, n: usize) -> String {
    let text = read_from(path, 0);
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}
