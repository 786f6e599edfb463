// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! The two HTTP requests Sotto makes: the PUT of an HTTP File Upload
//! (XEP-0363) slot, and the GET of a file someone sent.
//!
//! It goes through the account's own [`Transport`], so an account that uses
//! Tor or a proxy uploads through it too, and the host name is resolved
//! there (no local DNS lookup for Tor). TLS checks the system's roots; the
//! certificate the user pinned for the account is accepted besides them,
//! but only from the XMPP server's own names (see [`Pin`]). Plain `http://` is
//! refused except to `.onion` hosts, whose Tor circuit is already encrypted
//! end to end: an upload in the clear would show the file to the network.
//!
//! Hand-written HTTP/1.1 rather than a client library: one request per
//! connection, bodies by length (or chunked, for downloads), no redirects,
//! no cookies, and every byte through our transport. Cancelling is dropping
//! the future.

use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt as _};

use crate::text::untrusted_text;
use crate::tls::{self, CertFingerprint};
use crate::transport::{Target, Transport};

mod response;

use response::{BadAnswer, parse_framing, parse_status_line, read_body, read_head};

/// How many bytes are written between two progress reports.
const CHUNK: usize = 16 * 1024;

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

    /// The value of the `Host` header.
    fn host_header(&self) -> String {
        if self.port == (if self.tls { 443 } else { 80 }) {
            self.host.clone()
        } else if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }

    /// The last segment of the path, percent-decoded where that gives
    /// UTF-8: the file's name as the uploader gave it.
    pub fn file_name(&self) -> String {
        let path = self.target.split('?').next().unwrap_or_default();
        let last = path.rsplit('/').next().unwrap_or_default();
        percent_decode(last).unwrap_or_else(|| last.to_owned())
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

/// The account's pinned certificate, and the names it vouches for: the
/// XMPP server's own (the account's domain and the host it connects to).
///
/// Upload slots and download URLs name hosts the server or a peer chose;
/// the pin is the user's trust in one server, so it is applied only when
/// the URL's host is one of these names (compared case-insensitively,
/// whole names only: no suffix or wildcard matching). Any other host gets
/// the system's roots alone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pin {
    fingerprint: CertFingerprint,
    names: Vec<String>,
}

impl Pin {
    /// A pin of `fingerprint` for `names` (empty names are ignored).
    pub fn new<I, N>(fingerprint: CertFingerprint, names: I) -> Self
    where
        I: IntoIterator<Item = N>,
        N: AsRef<str>,
    {
        let names = names
            .into_iter()
            .map(|n| normalize_host(n.as_ref()))
            .filter(|n| !n.is_empty())
            .collect();
        Self { fingerprint, names }
    }

    /// The pinned fingerprint if it applies to `host`.
    fn for_host(&self, host: &str) -> Option<CertFingerprint> {
        let host = normalize_host(host);
        self.names.contains(&host).then_some(self.fingerprint)
    }
}

/// Lower case, without the root's trailing dot (`Example.ORG.` is
/// `example.org`).
fn normalize_host(host: &str) -> String {
    host.strip_suffix('.').unwrap_or(host).to_ascii_lowercase()
}

/// Opens the connection to `url`'s host through `transport` (TLS for
/// https, with `pin` only if it is for that host).
async fn connect(
    transport: &dyn Transport,
    pin: Option<&Pin>,
    url: &UploadUrl,
) -> Result<Box<dyn crate::transport::ByteStream>, HttpError> {
    let connect_error = |reason: String| HttpError::Connect {
        host: url.host.clone(),
        reason,
    };
    let target = Target {
        domain: url.host.clone(),
        host: Some(url.host.clone()),
        port: Some(url.port),
        direct_tls: url.tls,
    };
    let raw = transport
        .connect(&target)
        .await
        .map_err(|e| connect_error(e.to_string()))?;
    if url.tls {
        let pin = pin.and_then(|p| p.for_host(&url.host));
        let stream = tls::handshake_pin_or_system(raw, &url.host, pin, Some(b"http/1.1"))
            .await
            .map_err(|e| connect_error(e.to_string()))?;
        Ok(Box::new(stream))
    } else {
        Ok(raw)
    }
}

/// GETs `url` through `transport`, refusing bodies over `max_len` bytes,
/// calling `progress` with (received, total if known) as data arrives.
/// `pin` is the account's pin, applied only if it names `url`'s host.
pub async fn get(
    transport: &dyn Transport,
    pin: Option<&Pin>,
    url: &UploadUrl,
    max_len: u64,
    progress: &mut (dyn FnMut(u64, Option<u64>) + Send),
) -> Result<Vec<u8>, HttpError> {
    let stream = connect(transport, pin, url).await?;
    fetch(stream, url, max_len, progress).await
}

/// PUTs `body` to `url` with `headers`, through `transport`, calling
/// `progress` with the bytes sent so far after every chunk. `pin` is the
/// account's pin, applied only if it names `url`'s host.
pub async fn put(
    transport: &dyn Transport,
    pin: Option<&Pin>,
    url: &UploadUrl,
    headers: &[(String, String)],
    content_type: &str,
    body: &[u8],
    progress: &mut (dyn FnMut(u64) + Send),
) -> Result<(), HttpError> {
    let stream = connect(transport, pin, url).await?;
    exchange(stream, url, headers, content_type, body, progress).await
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
    let host_header = url.host_header();
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
    let answer = match read_head(&mut stream).await {
        Ok(head) => parse_status_line(&head),
        Err(e) => Err(e),
    };
    let (status, reason) = answer.map_err(|e| HttpError::Io {
        host: url.host.clone(),
        reason: e.to_string(),
    })?;
    if (200..300).contains(&status) {
        Ok(())
    } else {
        Err(HttpError::Status {
            host: url.host.clone(),
            status,
            reason: untrusted_text(&reason),
        })
    }
}

fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = text.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// Sends a GET and reads the body: by `Content-Length`, chunked, or to the
/// end of the connection.
async fn fetch<S: AsyncRead + AsyncWrite + Unpin>(
    mut stream: S,
    url: &UploadUrl,
    max_len: u64,
    progress: &mut (dyn FnMut(u64, Option<u64>) + Send),
) -> Result<Vec<u8>, HttpError> {
    let io = |reason: String| HttpError::Io {
        host: url.host.clone(),
        reason,
    };
    let bad = |e: BadAnswer| io(e.to_string());
    let head = format!(
        "GET {} HTTP/1.1\r\nHost: {}\r\nAccept-Encoding: identity\r\n\
         Connection: close\r\nUser-Agent: Sotto\r\n\r\n",
        url.target,
        url.host_header()
    );
    stream
        .write_all(head.as_bytes())
        .await
        .map_err(|e| io(e.to_string()))?;
    stream.flush().await.map_err(|e| io(e.to_string()))?;
    let head = read_head(&mut stream).await.map_err(bad)?;
    let (status, reason) = parse_status_line(&head).map_err(bad)?;
    if !(200..300).contains(&status) {
        return Err(HttpError::Status {
            host: url.host.clone(),
            status,
            reason: untrusted_text(&reason),
        });
    }
    let framing = parse_framing(&head).map_err(bad)?;
    read_body(&mut stream, framing, max_len, progress)
        .await
        .map_err(bad)
}

/// Header values come from the server's slot; CR and LF would let it
/// inject headers of its choosing, so they are dropped.
fn clean_header_value(value: &str) -> String {
    value.chars().filter(|c| *c != '\r' && *c != '\n').collect()
}

#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;

#[cfg(test)]
mod tests;
