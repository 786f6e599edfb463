// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! A bound on how deeply the XML a server or peer sends may nest.
//!
//! The XML parsers underneath (rxml with xso's element builder, minidom)
//! have no depth limit, and both building a deep element (xso feeds each
//! event down one nested builder per level) and dropping one (minidom's
//! `Element` drops its children recursively) use stack in proportion to the
//! depth: a few tens of thousands of nested elements, some hundreds of
//! kilobytes on the wire, overflow a thread's stack and abort the whole
//! process. So the bytes are scanned before any parser sees them, with a
//! byte-at-a-time state machine that only counts open and close tags; the
//! parser still judges whether the XML is well-formed.

use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// The deepest the XMPP stream may nest, its `<stream:stream>` root (and
/// the new root after each stream restart) included. Real stanzas stay
/// under 20 levels.
pub const MAX_STREAM_DEPTH: usize = 128;

/// XML nested deeper than allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the XML is nested deeper than {0} levels")]
pub struct TooDeep(pub usize);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Text,
    /// Just after `<`.
    Open,
    /// Inside a start tag; `slash` if the last byte was `/` (outside quotes).
    StartTag {
        quote: Option<u8>,
        slash: bool,
    },
    /// Inside an end tag, up to `>`.
    EndTag,
    /// `<!`: a comment, CDATA or a declaration follows.
    Bang,
    Comment,
    CData,
    /// A declaration (`<!DOCTYPE`), or a processing instruction `<?…?>`,
    /// up to `>` (a parser refuses the former anyway).
    Skip,
    Pi,
}

/// Counts nesting depth over XML fed in pieces of any size.
#[derive(Debug, Clone)]
pub struct DepthScanner {
    state: State,
    depth: usize,
    max: usize,
    /// The last two bytes, to find `-->`, `]]>` and `?>`.
    tail: [u8; 2],
}

impl DepthScanner {
    /// A scanner that refuses nesting deeper than `max`.
    pub fn new(max: usize) -> Self {
        Self {
            state: State::Text,
            depth: 0,
            max,
            tail: [0; 2],
        }
    }

    /// Feeds the next bytes; fails once the open elements exceed the bound.
    pub fn feed(&mut self, bytes: &[u8]) -> Result<(), TooDeep> {
        self.feed_upto(bytes).map_err(|(e, _)| e)
    }

    /// Like [`Self::feed`], and on failure also says how many of `bytes`
    /// came before the start tag that went too deep (its `<` excluded when
    /// it is in `bytes`): those are still fine to parse.
    fn feed_upto(&mut self, bytes: &[u8]) -> Result<(), (TooDeep, usize)> {
        for (i, &b) in bytes.iter().enumerate() {
            self.state = match self.state {
                State::Text if b == b'<' => State::Open,
                State::Text => State::Text,
                State::Open => match b {
                    b'/' => State::EndTag,
                    b'?' => State::Pi,
                    b'!' => State::Bang,
                    _ => {
                        self.depth += 1;
                        if self.depth > self.max {
                            return Err((TooDeep(self.max), i.saturating_sub(1)));
                        }
                        State::StartTag {
                            quote: None,
                            slash: false,
                        }
                    }
                },
                State::StartTag {
                    quote: Some(q),
                    slash,
                } => State::StartTag {
                    quote: (b != q).then_some(q),
                    slash,
                },
                State::StartTag { quote: None, slash } => match b {
                    b'"' | b'\'' => State::StartTag {
                        quote: Some(b),
                        slash: false,
                    },
                    b'>' => {
                        if slash {
                            self.depth = self.depth.saturating_sub(1);
                        }
                        State::Text
                    }
                    _ => State::StartTag {
                        quote: None,
                        slash: b == b'/',
                    },
                },
                State::EndTag if b == b'>' => {
                    self.depth = self.depth.saturating_sub(1);
                    State::Text
                }
                State::EndTag => State::EndTag,
                State::Bang => match b {
                    b'-' => State::Comment,
                    b'[' => State::CData,
                    b'>' => State::Text,
                    _ => State::Skip,
                },
                State::Comment if b == b'>' && self.tail == *b"--" => State::Text,
                State::CData if b == b'>' && self.tail == *b"]]" => State::Text,
                State::Pi if b == b'>' && self.tail[1] == b'?' => State::Text,
                State::Skip if b == b'>' => State::Text,
                other => other,
            };
            self.tail = [self.tail[1], b];
        }
        Ok(())
    }
}

/// Whether `bytes`, one whole document, nests at most `max` deep.
pub fn check(bytes: &[u8], max: usize) -> Result<(), TooDeep> {
    DepthScanner::new(max).feed(bytes)
}

/// A byte stream whose incoming XML is checked by a [`DepthScanner`]: the
/// bytes before a start tag that goes over the bound are passed on, then
/// reading fails, which ends the XML stream as a read error before the
/// parser builds anything deep.
#[derive(Debug)]
pub struct DepthGuard<S> {
    inner: S,
    scanner: DepthScanner,
    failed: Option<TooDeep>,
}

impl<S> DepthGuard<S> {
    /// Guards `inner` with the bound `max`.
    pub fn new(inner: S, max: usize) -> Self {
        Self {
            inner,
            scanner: DepthScanner::new(max),
            failed: None,
        }
    }

    /// The guarded stream.
    pub fn get_ref(&self) -> &S {
        &self.inner
    }

    /// The stream without the guard (after STARTTLS, TLS starts on it and
    /// a new guard watches what TLS decrypts).
    pub fn into_inner(self) -> S {
        self.inner
    }
}

fn too_deep(e: TooDeep) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidData, e)
}

impl<S: AsyncRead + Unpin> AsyncRead for DepthGuard<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let this = self.get_mut();
        if let Some(e) = this.failed {
            return Poll::Ready(Err(too_deep(e)));
        }
        let before = buf.filled().len();
        match Pin::new(&mut this.inner).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {
                if let Err((e, fine)) = this.scanner.feed_upto(&buf.filled()[before..]) {
                    this.failed = Some(e);
                    if fine == 0 {
                        buf.set_filled(before);
                        return Poll::Ready(Err(too_deep(e)));
                    }
                    // What came before the deep element still reaches the
                    // parser (a good stanza in the same read is not lost);
                    // the next read fails.
                    buf.set_filled(before + fine);
                }
                Poll::Ready(Ok(()))
            }
            other => other,
        }
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for DepthGuard<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests;
