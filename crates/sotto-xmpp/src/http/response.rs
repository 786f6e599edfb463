// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! Reading an HTTP/1.1 answer from a server nobody vetted: upload slots
//! and download URLs come from the XMPP server or from a peer.
//!
//! Every number the server sends (status, lengths, chunk sizes) is parsed
//! strictly and added with checked arithmetic, and memory grows only with
//! bytes that actually arrived: a declared length is a promise to check,
//! never a size to allocate. The head is bounded in bytes and in lines.

use tokio::io::{AsyncRead, AsyncReadExt as _};

/// The most we read of the answer's status line and headers.
pub(super) const MAX_HEAD: usize = 16 * 1024;
/// The most header lines we accept (besides the status line).
pub(super) const MAX_HEADERS: usize = 100;
/// The longest chunk-size line we accept.
const MAX_LINE: usize = 1024;
/// How much is read at a time into the body.
const READ: usize = 16 * 1024;

/// Why an answer was refused. The texts never quote the server.
#[derive(Debug, thiserror::Error)]
pub(super) enum BadAnswer {
    #[error("the server closed without answering")]
    Silent,
    #[error("the connection ended mid-answer")]
    Truncated,
    #[error("the connection ended after {got} of {expected} bytes")]
    Short { got: u64, expected: u64 },
    #[error("the answer's headers are too long")]
    HeadTooLong,
    #[error("the answer has more than {MAX_HEADERS} headers")]
    TooManyHeaders,
    #[error("a line of the answer is too long")]
    LineTooLong,
    #[error("the answer is not HTTP/1.x")]
    NotHttp,
    #[error("the answer has no valid status code")]
    NoStatus,
    #[error("a malformed chunk in the answer")]
    BadChunk,
    #[error("a missing, malformed or repeated Content-Length in the answer")]
    BadLength,
    #[error("the file is larger than {0} bytes")]
    TooBig(u64),
    #[error("reading the answer: {0}")]
    Io(#[from] std::io::Error),
}

/// How the body of an answer is delimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Framing {
    /// `Content-Length: n`.
    Length(u64),
    /// `Transfer-Encoding: chunked`.
    Chunked,
    /// Neither: the body runs to the end of the connection.
    ToEnd,
}

/// Reads the answer's status line and headers, up to the empty line.
pub(super) async fn read_head<S: AsyncRead + Unpin>(stream: &mut S) -> Result<Vec<u8>, BadAnswer> {
    let mut head = Vec::with_capacity(512);
    let mut lines = 0usize;
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") && !head.ends_with(b"\n\n") {
        if head.len() >= MAX_HEAD {
            return Err(BadAnswer::HeadTooLong);
        }
        match stream.read(&mut byte).await? {
            0 if head.is_empty() => return Err(BadAnswer::Silent),
            0 => return Err(BadAnswer::Truncated),
            _ => head.push(byte[0]),
        }
        if byte[0] == b'\n' {
            lines += 1;
            // The status line, the headers and the empty line.
            if lines > MAX_HEADERS + 2 {
                return Err(BadAnswer::TooManyHeaders);
            }
        }
    }
    Ok(head)
}

/// The status code and reason phrase of a head (the phrase as sent: the
/// caller cleans it before it reaches a message).
pub(super) fn parse_status_line(head: &[u8]) -> Result<(u16, String), BadAnswer> {
    let line = head.split(|b| *b == b'\n').next().unwrap_or_default();
    let line = String::from_utf8_lossy(line);
    let mut parts = line.trim_end_matches(['\r', '\n']).splitn(3, ' ');
    let version = parts.next().unwrap_or_default();
    if !matches!(version, "HTTP/1.0" | "HTTP/1.1") {
        return Err(BadAnswer::NotHttp);
    }
    let status = parts
        .next()
        .filter(|s| s.len() == 3 && s.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|s| s.parse::<u16>().ok())
        .filter(|s| (100..600).contains(s))
        .ok_or(BadAnswer::NoStatus)?;
    let reason = parts.next().unwrap_or_default().to_owned();
    Ok((status, reason))
}

/// How the body is delimited: chunked wins over a length (RFC 9112 §6.3);
/// a length that is unreadable or given twice is refused rather than
/// guessed at.
pub(super) fn parse_framing(head: &[u8]) -> Result<Framing, BadAnswer> {
    let text = String::from_utf8_lossy(head);
    let mut length = None;
    let mut chunked = false;
    for line in text.lines().skip(1) {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        if name.eq_ignore_ascii_case("content-length") {
            let parsed = Some(value)
                .filter(|v| !v.is_empty() && v.len() <= 20 && v.bytes().all(|b| b.is_ascii_digit()))
                .and_then(|v| v.parse::<u64>().ok())
                .ok_or(BadAnswer::BadLength)?;
            if length.replace(parsed).is_some() {
                return Err(BadAnswer::BadLength);
            }
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            chunked |= value.to_ascii_lowercase().contains("chunked");
        }
    }
    Ok(match (chunked, length) {
        (true, _) => Framing::Chunked,
        (false, Some(n)) => Framing::Length(n),
        (false, None) => Framing::ToEnd,
    })
}

/// Reads the body as `framing` says, refusing more than `max_len` bytes and
/// calling `progress` with (received, total if known) as data arrives.
pub(super) async fn read_body<S: AsyncRead + Unpin>(
    stream: &mut S,
    framing: Framing,
    max_len: u64,
    progress: &mut (dyn FnMut(u64, Option<u64>) + Send),
) -> Result<Vec<u8>, BadAnswer> {
    let mut body = Vec::new();
    match framing {
        Framing::Length(n) if n > max_len => Err(BadAnswer::TooBig(max_len)),
        Framing::Length(n) => {
            progress(0, Some(n));
            let got = read_up_to(stream, &mut body, n, &mut |got| progress(got, Some(n))).await?;
            if got < n {
                return Err(BadAnswer::Short { got, expected: n });
            }
            Ok(body)
        }
        Framing::ToEnd => {
            progress(0, None);
            // One byte more than allowed tells "exactly the limit" from "over".
            let allowed = max_len.saturating_add(1);
            let got =
                read_up_to(stream, &mut body, allowed, &mut |got| progress(got, None)).await?;
            if got > max_len {
                return Err(BadAnswer::TooBig(max_len));
            }
            Ok(body)
        }
        Framing::Chunked => {
            progress(0, None);
            loop {
                let size = parse_chunk_size(&read_line(stream).await?)?;
                if size == 0 {
                    return Ok(body);
                }
                let total = (body.len() as u64)
                    .checked_add(size)
                    .filter(|t| *t <= max_len)
                    .ok_or(BadAnswer::TooBig(max_len))?;
                let start = body.len() as u64;
                let got = read_up_to(stream, &mut body, size, &mut |got| {
                    progress(start.saturating_add(got), None)
                })
                .await?;
                if start.saturating_add(got) < total {
                    return Err(BadAnswer::Truncated);
                }
                if !read_line(stream).await?.is_empty() {
                    return Err(BadAnswer::BadChunk);
                }
            }
        }
    }
}

/// Appends up to `limit` bytes from `stream` to `body`, stopping early at
/// the end of the stream; returns how many were appended. Memory grows
/// with what arrives, [`READ`] bytes at a time at most.
async fn read_up_to<S: AsyncRead + Unpin>(
    stream: &mut S,
    body: &mut Vec<u8>,
    limit: u64,
    progress: &mut (dyn FnMut(u64) + Send),
) -> Result<u64, BadAnswer> {
    let mut buf = vec![0u8; READ];
    let mut got = 0u64;
    while got < limit {
        let want = usize::try_from(limit - got).map_or(READ, |left| left.min(READ));
        let n = stream.read(&mut buf[..want]).await?;
        if n == 0 {
            break;
        }
        body.extend_from_slice(&buf[..n]);
        got += n as u64;
        progress(got);
    }
    Ok(got)
}

/// A chunk size: 1 to 16 hex digits, then optionally `;extensions`.
fn parse_chunk_size(line: &str) -> Result<u64, BadAnswer> {
    let digits = line
        .split(';')
        .next()
        .unwrap_or_default()
        .trim_end_matches([' ', '\t']);
    if digits.is_empty() || digits.len() > 16 || !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(BadAnswer::BadChunk);
    }
    u64::from_str_radix(digits, 16).map_err(|_| BadAnswer::BadChunk)
}

/// Reads one line (of a chunked body), without its line end.
pub(super) async fn read_line<S: AsyncRead + Unpin>(stream: &mut S) -> Result<String, BadAnswer> {
    let mut line = Vec::new();
    let mut byte = [0u8; 1];
    while !line.ends_with(b"\n") {
        if line.len() > MAX_LINE {
            return Err(BadAnswer::LineTooLong);
        }
        match stream.read(&mut byte).await? {
            0 => return Err(BadAnswer::Truncated),
            _ => line.push(byte[0]),
        }
    }
    let text = String::from_utf8_lossy(&line);
    Ok(text.trim_end_matches(['\r', '\n']).to_owned())
}
