// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! The transport boundary: how bytes reach the server.
//!
//! Everything above this trait (TLS, SASL, stream management) is the same for
//! every transport. [`DirectTransport`] resolves SRV records and opens TCP
//! connections itself; a proxy or Tor transport implements [`Transport`]
//! without any local DNS lookup and plugs in through
//! [`crate::SessionConfig::transport`].

use std::fmt::Debug;
use std::future::Future;
use std::pin::Pin;

use tokio::io::{AsyncRead, AsyncWrite};
use tokio_xmpp::connect::DnsConfig;

use crate::error::ConnectError;

mod socks5;

pub use socks5::{Socks5Transport, handshake as socks5_handshake};

/// A bidirectional byte stream.
pub trait ByteStream: AsyncRead + AsyncWrite + Send + Unpin {}
impl<T: AsyncRead + AsyncWrite + Send + Unpin> ByteStream for T {}

/// A boxed byte stream as returned by transports.
pub type BoxedStream = Box<dyn ByteStream>;

/// A boxed future as returned by transports.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Where the account's server is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    /// The XMPP domain (the part of the JID after `@`).
    pub domain: String,
    /// An explicit host overriding SRV resolution.
    pub host: Option<String>,
    /// An explicit port.
    pub port: Option<u16>,
    /// TLS from the first byte (XEP-0368) instead of STARTTLS.
    pub direct_tls: bool,
}

impl Target {
    /// The port used when none is configured and SRV is not consulted.
    pub fn default_port(&self) -> u16 {
        self.port
            .unwrap_or(if self.direct_tls { 5223 } else { 5222 })
    }
}

/// Opens byte streams to XMPP servers.
pub trait Transport: Send + Sync + Debug + 'static {
    /// Opens a stream to the server of `target`.
    fn connect<'a>(
        &'a self,
        target: &'a Target,
    ) -> BoxFuture<'a, Result<BoxedStream, ConnectError>>;
}

/// Plain TCP with SRV resolution (`_xmpp-client._tcp` / `_xmpps-client._tcp`),
/// falling back to the domain's A/AAAA records.
#[derive(Clone, Debug, Default)]
pub struct DirectTransport;

impl Transport for DirectTransport {
    fn connect<'a>(
        &'a self,
        target: &'a Target,
    ) -> BoxFuture<'a, Result<BoxedStream, ConnectError>> {
        Box::pin(async move {
            let dns = match &target.host {
                Some(host) => DnsConfig::no_srv(host, target.default_port()),
                None if target.direct_tls => {
                    DnsConfig::srv(&target.domain, "_xmpps-client._tcp", target.default_port())
                }
                None => DnsConfig::srv(&target.domain, "_xmpp-client._tcp", target.default_port()),
            };
            let tcp = dns
                .resolve()
                .await
                .map_err(|e| ConnectError::Network(e.to_string()))?;
            // Low latency matters more than packet count for chat.
            let _ = tcp.set_nodelay(true);
            Ok(Box::new(tcp) as BoxedStream)
        })
    }
}
