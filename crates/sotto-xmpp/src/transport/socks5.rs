// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! SOCKS5 (RFC 1928, with RFC 1929 username/password) with remote name
//! resolution: the proxy resolves the server's host name, so no DNS lookup
//! of the XMPP server ever happens locally. SRV records cannot be resolved
//! through a proxy; the configured host (or the domain) and port are used.
//!
//! With a Tor SOCKS port, distinct credentials per account give each
//! account its own circuits (Tor's `IsolateSOCKSAuth`, on by default).

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;

use super::{BoxFuture, BoxedStream, Target, Transport};
use crate::error::ConnectError;

/// Connects through a SOCKS5 proxy.
#[derive(Clone)]
pub struct Socks5Transport {
    /// Proxy host (an IP address or `localhost`: the proxy itself is reached directly).
    pub proxy_host: String,
    /// Proxy port.
    pub proxy_port: u16,
    /// Username and password for the proxy (also used for Tor stream isolation).
    pub credentials: Option<(String, String)>,
}

impl std::fmt::Debug for Socks5Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Socks5Transport")
            .field("proxy_host", &self.proxy_host)
            .field("proxy_port", &self.proxy_port)
            .field(
                "credentials",
                &self.credentials.as_ref().map(|_| "<redacted>"),
            )
            .finish()
    }
}

impl Socks5Transport {
    /// Parses `socks5://host:port` (or `socks5h://`, or plain `host:port`).
    pub fn parse(url: &str) -> Option<Self> {
        let rest = url
            .strip_prefix("socks5h://")
            .or_else(|| url.strip_prefix("socks5://"))
            .unwrap_or(url);
        let rest = rest.trim_end_matches('/');
        let (host, port) = rest.rsplit_once(':')?;
        let host = host.trim_start_matches('[').trim_end_matches(']');
        if host.is_empty() {
            return None;
        }
        Some(Self {
            proxy_host: host.to_owned(),
            proxy_port: port.parse().ok()?,
            credentials: None,
        })
    }
}

fn proxy_error(doing: &str, detail: impl std::fmt::Display) -> ConnectError {
    ConnectError::Network(format!("SOCKS5 proxy: {doing}: {detail}"))
}

fn reply_text(code: u8) -> &'static str {
    match code {
        0x01 => "general failure",
        0x02 => "connection not allowed by ruleset",
        0x03 => "network unreachable",
        0x04 => "host unreachable",
        0x05 => "connection refused",
        0x06 => "TTL expired",
        0x07 => "command not supported",
        0x08 => "address type not supported",
        _ => "unknown error",
    }
}

/// Performs the SOCKS5 handshake on `io`, asking the proxy to connect to
/// `host:port` by name.
pub async fn handshake<IO>(
    io: &mut IO,
    host: &str,
    port: u16,
    credentials: Option<(&str, &str)>,
) -> Result<(), ConnectError>
where
    IO: AsyncRead + AsyncWrite + Unpin,
{
    let io_err = |doing: &'static str| move |e: std::io::Error| proxy_error(doing, e);
    let method = if credentials.is_some() { 0x02 } else { 0x00 };
    io.write_all(&[0x05, 0x01, method])
        .await
        .map_err(io_err("greeting"))?;
    let mut choice = [0u8; 2];
    io.read_exact(&mut choice)
        .await
        .map_err(io_err("reading the method choice"))?;
    if choice[0] != 0x05 || choice[1] != method {
        return Err(proxy_error(
            "negotiating",
            "the proxy refused our authentication method",
        ));
    }
    if let Some((user, password)) = credentials {
        if user.len() > 255 || password.len() > 255 || user.is_empty() || password.is_empty() {
            return Err(proxy_error(
                "authenticating",
                "credentials must be 1–255 bytes",
            ));
        }
        let mut auth = vec![0x01, user.len() as u8];
        auth.extend_from_slice(user.as_bytes());
        auth.push(password.len() as u8);
        auth.extend_from_slice(password.as_bytes());
        io.write_all(&auth)
            .await
            .map_err(io_err("authenticating"))?;
        let mut status = [0u8; 2];
        io.read_exact(&mut status)
            .await
            .map_err(io_err("reading the authentication result"))?;
        if status[1] != 0x00 {
            return Err(proxy_error("authenticating", "credentials refused"));
        }
    }
    if host.is_empty() || host.len() > 255 {
        return Err(proxy_error("connecting", "host name must be 1–255 bytes"));
    }
    let mut request = vec![0x05, 0x01, 0x00, 0x03, host.len() as u8];
    request.extend_from_slice(host.as_bytes());
    request.extend_from_slice(&port.to_be_bytes());
    io.write_all(&request)
        .await
        .map_err(io_err("sending the connect request"))?;
    let mut reply = [0u8; 4];
    io.read_exact(&mut reply)
        .await
        .map_err(io_err("reading the connect reply"))?;
    if reply[0] != 0x05 {
        return Err(proxy_error("connecting", "not a SOCKS5 reply"));
    }
    if reply[1] != 0x00 {
        return Err(proxy_error(
            &format!("connecting to {host}:{port}"),
            reply_text(reply[1]),
        ));
    }
    // Skip the bound address the proxy reports.
    let skip = match reply[3] {
        0x01 => 4,
        0x04 => 16,
        0x03 => {
            let mut len = [0u8; 1];
            io.read_exact(&mut len)
                .await
                .map_err(io_err("reading the connect reply"))?;
            usize::from(len[0])
        }
        _ => return Err(proxy_error("connecting", "malformed reply")),
    };
    let mut rest = vec![0u8; skip + 2];
    io.read_exact(&mut rest)
        .await
        .map_err(io_err("reading the connect reply"))?;
    Ok(())
}

impl Transport for Socks5Transport {
    fn connect<'a>(
        &'a self,
        target: &'a Target,
    ) -> BoxFuture<'a, Result<BoxedStream, ConnectError>> {
        Box::pin(async move {
            let mut stream = TcpStream::connect((self.proxy_host.as_str(), self.proxy_port))
                .await
                .map_err(|e| {
                    proxy_error(
                        &format!("reaching {}:{}", self.proxy_host, self.proxy_port),
                        e,
                    )
                })?;
            let _ = stream.set_nodelay(true);
            let host = target.host.as_deref().unwrap_or(&target.domain);
            let credentials = self
                .credentials
                .as_ref()
                .map(|(u, p)| (u.as_str(), p.as_str()));
            handshake(&mut stream, host, target.default_port(), credentials).await?;
            Ok(Box::new(stream) as BoxedStream)
        })
    }
}

#[cfg(test)]
mod tests;
