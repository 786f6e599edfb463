// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! The one HTTP request Sotto makes: the PUT of an HTTP File Upload
//! (XEP-0363) slot.
//!
//! It goes through the account's own [`Transport`], so an account that uses
//! Tor or a proxy uploads through it too, and the host name is resolved
//! there (no local DNS lookup for Tor). TLS is the session's: system roots,
//! or the certificate the user pinned for the account. Plain `http://` is
//! refused except to `.onion` hosts, whose Tor circuit is already encrypted
//! end to end: an upload in the clear would show the file to the network.
//!
//! Hand-written HTTP/1.1 rather than a client library: one request with a
//! known length, whose answer is only a status line, and whose bytes must
//! go through our transport. Cancelling is dropping the future.

use tokio::io::{AsyncRead, AsyncReadExt as _, AsyncWrite, AsyncWriteExt as _};

use crate::tls::{self, CertFingerprint};
use crate::transport::{Target, Transport};

/// How many bytes are written between two progress reports.
const CHUNK: usize = 16 * 1024;
/// The most we read of the answer's status line and headers.
const MAX_HEAD: usize = 16 * 1024;

/// Why an upload failed. Messages name the host, never the URL's path or
/// the authorization header (they are capabilities).
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    /// The slot's URL is unusable.
    #[error("the upload address is unusable: {0}")]
    BadUrl(String),
    /// Connecting or TLS failed.
    #[error("connecting to {host}: {reason}")]
    Connect {
        /// The upload host.
        host: String,
        /// What went wrong.
        reason: String,
    },
    /// The connection broke while sending or reading the answer.
    #[error("uploading to {host}: {reason}")]
    Io {
        /// The upload host.
        host: String,
        /// What went wrong.
        reason: String,
    },
    /// The server answered with an error status.
    #[error("the upload server {host} refused the file: HTTP {status} {reason}")]
    Status {
        /// The upload host.
        host: String,
        /// The HTTP status code.
        status: u16,
        /// The reason phrase.
        reason: String,
    },
}

/// A parsed upload URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadUrl {
    tls: bool,
    host: String,
    port: u16,
    /// Path and query, as sent in the request line.
    target: String,
}

impl UploadUrl {
    /// Parses an `https://` URL (or `http://` to a `.onion` host).
    pub fn parse(url: &str) -> Result<Self, HttpError> {
        let (tls, rest) = if let Some(rest) = url.strip_prefix("https://") {
            (true, rest)
        } else if let Some(rest) = url.strip_prefix("http://") {
            (false, rest)
        } else {
            return Err(HttpError::BadUrl("not an http(s) URL".into()));
        };
        let (authority, target) = match rest.find(['/', '?']) {
            Some(i) if rest.as_bytes()[i] == b'/' => (&rest[..i], rest[i..].to_owned()),
            Some(i) => (&rest[..i], format!("/{}", &rest[i..])),
            None => (rest, "/".to_owned()),
        };
        let target = target.split('#').next().unwrap_or("/").to_owned();
        if authority.contains('@') {
            return Err(HttpError::BadUrl("user info in the URL".into()));
        }
        let (host, port) = split_host_port(authority, if tls { 443 } else { 80 })?;
        if host.is_empty() {
            return Err(HttpError::BadUrl("no host".into()));
        }
        if target.bytes().any(|b| b <= b' ' || b == 0x7f) {
            return Err(HttpError::BadUrl(
                "spaces or control characters in the path".into(),
            ));
        }
        if !tls && !host.to_ascii_lowercase().ends_with(".onion") {
            return Err(HttpError::BadUrl(format!(
                "the server offered an unencrypted address (http://{host}); \
                 Sotto uploads only over HTTPS"
            )));
        }
        Ok(Self {
            tls,
            host,
            port,
            target,
        })
    }

    /// The host.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// Whether it is an `https://` URL.
    pub fn is_https(&self) -> bool {
        self.tls
    }
}

fn split_host_port(authority: &str, default: u16) -> Result<(String, u16), HttpError> {
    // An IPv6 literal is bracketed: [::1]:8443.
    if let Some(rest) = authority.strip_prefix('[') {
        let (host, after) = rest
            .split_once(']')
            .ok_or_else(|| HttpError::BadUrl("unclosed IPv6 literal".into()))?;
        let port = match after.strip_prefix(':') {
            Some(port) => parse_port(port)?,
            None if after.is_empty() => default,
            None => return Err(HttpError::BadUrl("junk after the IPv6 literal".into())),
        };
        return Ok((host.to_owned(), port));
    }
    match authority.rsplit_once(':') {
        Some((host, port)) => Ok((host.to_owned(), parse_port(port)?)),
        None => Ok((authority.to_owned(), default)),
    }
}

fn parse_port(text: &str) -> Result<u16, HttpError> {
    text.parse::<u16>()
        .ok()
        .filter(|p| *p != 0)
        .ok_or_else(|| HttpError::BadUrl(format!("bad port {text:?}")))
}

/// PUTs `body` to `url` with `headers`, through `transport`, calling
/// `progress` with the bytes sent so far after every chunk. `pin` is the
/// account's pinned certificate: accepted besides the system's roots.
pub async fn put(
    transport: &dyn Transport,
    pin: Option<CertFingerprint>,
    url: &UploadUrl,
    headers: &[(String, String)],
    content_type: &str,
    body: &[u8],
    progress: &mut (dyn FnMut(u64) + Send),
) -> Result<(), HttpError> {
    let host = url.host.clone();
    let target = Target {
        domain: url.host.clone(),
        host: Some(url.host.clone()),
        port: Some(url.port),
        direct_tls: url.tls,
    };
    let connect_error = |reason: String| HttpError::Connect {
        host: host.clone(),
        reason,
    };
    let raw = transport
        .connect(&target)
        .await
        .map_err(|e| connect_error(e.to_string()))?;
    if url.tls {
        let stream = tls::handshake_pin_or_system(raw, &url.host, pin, Some(b"http/1.1"))
            .await
            .map_err(|e| connect_error(e.to_string()))?;
        exchange(stream, url, headers, content_type, body, progress).await
    } else {
        exchange(raw, url, headers, content_type, body, progress).await
    }
}

async fn exchange<S: AsyncRead + AsyncWrite + Unpin>(
    mut stream: S,
    url: &UploadUrl,
    headers: &[(String, String)],
    content_type: &str,
    body: &[u8],
    progress: &mut (dyn FnMut(u64) + Send),
) -> Result<(), HttpError> {
    let io = |e: std::io::Error| HttpError::Io {
        host: url.host.clone(),
        reason: e.to_string(),
    };
    let host_header = if url.port == (if url.tls { 443 } else { 80 }) {
        url.host.clone()
    } else if url.host.contains(':') {
        format!("[{}]:{}", url.host, url.port)
    } else {
        format!("{}:{}", url.host, url.port)
    };
    let mut head = format!(
        "PUT {} HTTP/1.1\r\nHost: {host_header}\r\nContent-Length: {}\r\n\
         Content-Type: {}\r\nConnection: close\r\nUser-Agent: Sotto\r\n",
        url.target,
        body.len(),
        clean_header_value(content_type),
    );
    for (name, value) in headers {
        head.push_str(&clean_header_value(name));
        head.push_str(": ");
        head.push_str(&clean_header_value(value));
        head.push_str("\r\n");
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).await.map_err(io)?;
    let mut sent = 0u64;
    progress(0);
    for chunk in body.chunks(CHUNK) {
        stream.write_all(chunk).await.map_err(io)?;
        sent += chunk.len() as u64;
        progress(sent);
    }
    stream.flush().await.map_err(io)?;
    let (status, reason) = read_status(&mut stream)
        .await
        .map_err(|reason| HttpError::Io {
            host: url.host.clone(),
            reason,
        })?;
    if (200..300).contains(&status) {
        Ok(())
    } else {
        Err(HttpError::Status {
            host: url.host.clone(),
            status,
            reason,
        })
    }
}

/// Header values come from the server's slot; CR and LF would let it
/// inject headers of its choosing, so they are dropped.
fn clean_header_value(value: &str) -> String {
    value.chars().filter(|c| *c != '\r' && *c != '\n').collect()
}

/// Reads the answer's head and returns its status code and reason phrase.
async fn read_status<S: AsyncRead + Unpin>(stream: &mut S) -> Result<(u16, String), String> {
    let mut head = Vec::with_capacity(512);
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") && !head.ends_with(b"\n\n") {
        if head.len() >= MAX_HEAD {
            return Err("the answer's headers are too long".into());
        }
        match stream.read(&mut byte).await {
            Ok(0) if head.is_empty() => return Err("the server closed without answering".into()),
            Ok(0) => break,
            Ok(_) => head.push(byte[0]),
            Err(e) => return Err(e.to_string()),
        }
    }
    parse_status_line(&head)
}

fn parse_status_line(head: &[u8]) -> Result<(u16, String), String> {
    let line = head.split(|b| *b == b'\n').next().unwrap_or_default();
    let line = String::from_utf8_lossy(line);
    let mut parts = line.trim_end().splitn(3, ' ');
    let version = parts.next().unwrap_or_default();
    if !version.starts_with("HTTP/1.") {
        return Err("the answer is not HTTP/1.x".into());
    }
    let status = parts
        .next()
        .and_then(|s| s.parse::<u16>().ok())
        .filter(|s| (100..600).contains(s))
        .ok_or("the answer has no valid status code")?;
    let reason: String = parts.next().unwrap_or_default().chars().take(100).collect();
    Ok((status, reason))
}

#[cfg(test)]
mod tests;
