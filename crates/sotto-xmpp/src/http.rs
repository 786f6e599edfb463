// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! The two HTTP requests Sotto makes: the PUT of an HTTP File Upload
//! (XEP-0363) slot, and the GET of a file someone sent.
//!
//! It goes through the account's own [`Transport`], so an account that uses
//! Tor or a proxy uploads through it too, and the host name is resolved
//! there (no local DNS lookup for Tor). TLS is the session's: system roots,
//! or the certificate the user pinned for the account. Plain `http://` is
//! refused except to `.onion` hosts, whose Tor circuit is already encrypted
//! end to end: an upload in the clear would show the file to the network.
//!
//! Hand-written HTTP/1.1 rather than a client library: one request per
//! connection, bodies by length (or chunked, for downloads), no redirects,
//! no cookies, and every byte through our transport. Cancelling is dropping
//! the future.

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

/// Opens the connection to `url`'s host through `transport` (TLS for
/// https) and runs `exchange` on it.
async fn connect(
    transport: &dyn Transport,
    pin: Option<CertFingerprint>,
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
pub async fn get(
    transport: &dyn Transport,
    pin: Option<CertFingerprint>,
    url: &UploadUrl,
    max_len: u64,
    progress: &mut (dyn FnMut(u64, Option<u64>) + Send),
) -> Result<Vec<u8>, HttpError> {
    let stream = connect(transport, pin, url).await?;
    fetch(stream, url, max_len, progress).await
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
    let head = read_head(&mut stream).await.map_err(io)?;
    let (status, reason) = parse_status_line(&head).map_err(io)?;
    if !(200..300).contains(&status) {
        return Err(HttpError::Status {
            host: url.host.clone(),
            status,
            reason,
        });
    }
    let headers = String::from_utf8_lossy(&head).to_ascii_lowercase();
    let header = |name: &str| {
        headers
            .lines()
            .find_map(|l| l.strip_prefix(name).map(|v| v.trim().to_owned()))
    };
    let too_big = || io(format!("the file is larger than {max_len} bytes"));
    let chunked = header("transfer-encoding:").is_some_and(|v| v.contains("chunked"));
    let length = header("content-length:").and_then(|v| v.parse::<u64>().ok());
    if length.is_some_and(|n| n > max_len) {
        return Err(too_big());
    }
    let mut body = Vec::with_capacity(usize::try_from(length.unwrap_or(0)).unwrap_or(0));
    progress(0, length);
    if chunked {
        loop {
            let line = read_line(&mut stream).await.map_err(io)?;
            let size = line.split(';').next().unwrap_or_default().trim();
            let size = u64::from_str_radix(size, 16)
                .map_err(|_| io("a malformed chunk in the answer".into()))?;
            if size == 0 {
                break;
            }
            if body.len() as u64 + size > max_len {
                return Err(too_big());
            }
            read_exact_into(&mut stream, &mut body, size)
                .await
                .map_err(io)?;
            progress(body.len() as u64, None);
            read_line(&mut stream).await.map_err(io)?;
        }
        return Ok(body);
    }
    let mut buf = vec![0u8; CHUNK];
    loop {
        let n = stream.read(&mut buf).await.map_err(|e| io(e.to_string()))?;
        if n == 0 {
            break;
        }
        body.extend_from_slice(&buf[..n]);
        if body.len() as u64 > length.unwrap_or(max_len) {
            return Err(too_big());
        }
        progress(body.len() as u64, length);
        if length == Some(body.len() as u64) {
            break;
        }
    }
    match length {
        Some(n) if n != body.len() as u64 => Err(io(format!(
            "the connection ended after {} of {n} bytes",
            body.len()
        ))),
        _ => Ok(body),
    }
}

async fn read_line<S: AsyncRead + Unpin>(stream: &mut S) -> Result<String, String> {
    let mut line = Vec::new();
    let mut byte = [0u8; 1];
    while !line.ends_with(b"\n") {
        if line.len() > 1024 {
            return Err("a line of the answer is too long".into());
        }
        match stream.read(&mut byte).await {
            Ok(0) => return Err("the connection ended mid-answer".into()),
            Ok(_) => line.push(byte[0]),
            Err(e) => return Err(e.to_string()),
        }
    }
    Ok(String::from_utf8_lossy(&line).trim().to_owned())
}

async fn read_exact_into<S: AsyncRead + Unpin>(
    stream: &mut S,
    body: &mut Vec<u8>,
    n: u64,
) -> Result<(), String> {
    let start = body.len();
    let n = usize::try_from(n).map_err(|_| "a chunk too large".to_owned())?;
    body.resize(start + n, 0);
    stream
        .read_exact(&mut body[start..])
        .await
        .map(drop)
        .map_err(|e| e.to_string())
}

/// Header values come from the server's slot; CR and LF would let it
/// inject headers of its choosing, so they are dropped.
fn clean_header_value(value: &str) -> String {
    value.chars().filter(|c| *c != '\r' && *c != '\n').collect()
}

/// Reads the answer's head and returns its status code and reason phrase.
async fn read_status<S: AsyncRead + Unpin>(stream: &mut S) -> Result<(u16, String), String> {
    parse_status_line(&read_head(stream).await?)
}

/// Reads the answer's status line and headers, up to the empty line.
async fn read_head<S: AsyncRead + Unpin>(stream: &mut S) -> Result<Vec<u8>, String> {
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
    Ok(head)
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

#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;

#[cfg(test)]
mod tests;
