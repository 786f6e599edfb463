// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! A TCP proxy on loopback that can take the network away.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use anyhow::Context as _;
use tokio::io::{AsyncRead, AsyncReadExt as _, AsyncWrite, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::{JoinHandle, JoinSet};

/// Forwards every connection on its own 127.0.0.1 port to `127.0.0.1:target`, and
/// lets a test simulate network failures:
///
/// - [`cut_all`](Self::cut_all) resets every live connection, on both sides at
///   once; connections made afterwards work again.
/// - [`set_blocked`](Self::set_blocked) resets new connections as soon as they
///   are accepted, until unblocked.
/// - [`set_stalled`](Self::set_stalled) holds back all bytes in both directions
///   without closing anything (a silent network), and delivers them once
///   un-stalled, as TCP retransmission would.
///
/// Must be created inside a tokio runtime; dropping it closes everything.
#[derive(Debug)]
pub struct CutProxy {
    port: u16,
    shared: Arc<Shared>,
    accept: JoinHandle<()>,
}

#[derive(Debug)]
struct Shared {
    target: SocketAddr,
    blocked: AtomicBool,
    accepted: AtomicUsize,
    refused: AtomicUsize,
    live: AtomicUsize,
    /// Bumped by every `cut_all`; each connection resets itself when it changes.
    cuts: watch::Sender<u64>,
    stalled: watch::Sender<bool>,
}

impl CutProxy {
    /// Listens on a free 127.0.0.1 port and forwards to `127.0.0.1:target_port`.
    ///
    /// # Errors
    ///
    /// If no listening socket can be bound.
    pub async fn start(target_port: u16) -> anyhow::Result<CutProxy> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .await
            .context("binding the cut proxy's listening socket")?;
        let port = listener
            .local_addr()
            .context("reading the cut proxy's address")?
            .port();
        let shared = Arc::new(Shared {
            target: SocketAddr::from((Ipv4Addr::LOCALHOST, target_port)),
            blocked: AtomicBool::new(false),
            accepted: AtomicUsize::new(0),
            refused: AtomicUsize::new(0),
            live: AtomicUsize::new(0),
            cuts: watch::Sender::new(0),
            stalled: watch::Sender::new(false),
        });
        let accept = tokio::spawn(accept_loop(listener, Arc::clone(&shared)));
        Ok(CutProxy {
            port,
            shared,
            accept,
        })
    }

    /// The port to connect to instead of the target.
    #[must_use]
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Resets (RST) every live connection on both sides. New connections work.
    pub fn cut_all(&self) {
        self.shared.cuts.send_modify(|n| *n += 1);
    }

    /// While blocked, new connections are accepted and immediately reset, so
    /// clients see a failed connection attempt. Live connections are untouched.
    pub fn set_blocked(&self, blocked: bool) {
        self.shared.blocked.store(blocked, Ordering::SeqCst);
    }

    /// While stalled, no byte is forwarded in either direction; nothing is closed.
    pub fn set_stalled(&self, stalled: bool) {
        self.shared.stalled.send_replace(stalled);
    }

    /// Connections accepted and forwarded so far (not counting refused ones).
    #[must_use]
    pub fn accepted(&self) -> usize {
        self.shared.accepted.load(Ordering::SeqCst)
    }

    /// Connections refused because the proxy was blocked, or because the target
    /// could not be reached.
    #[must_use]
    pub fn refused(&self) -> usize {
        self.shared.refused.load(Ordering::SeqCst)
    }

    /// Connections currently being forwarded.
    #[must_use]
    pub fn live(&self) -> usize {
        self.shared.live.load(Ordering::SeqCst)
    }
}

impl Drop for CutProxy {
    fn drop(&mut self) {
        // Aborting the accept task drops its JoinSet, which aborts every
        // connection task and so closes both sides of every connection.
        self.accept.abort();
    }
}

async fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((client, _)) = accepted else { continue };
                if shared.blocked.load(Ordering::SeqCst) {
                    shared.refused.fetch_add(1, Ordering::SeqCst);
                    let _ = client.set_zero_linger();
                    drop(client);
                    continue;
                }
                connections.spawn(forward(client, Arc::clone(&shared)));
            }
            // Reap finished connection tasks so the set does not grow forever.
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
}

async fn forward(mut client: TcpStream, shared: Arc<Shared>) {
    // Subscribe before connecting, so a cut during the connect is not missed.
    let mut cuts = shared.cuts.subscribe();
    cuts.mark_unchanged();
    let Ok(mut server) = TcpStream::connect(shared.target).await else {
        shared.refused.fetch_add(1, Ordering::SeqCst);
        let _ = client.set_zero_linger();
        return;
    };
    let _ = client.set_nodelay(true);
    let _ = server.set_nodelay(true);
    shared.accepted.fetch_add(1, Ordering::SeqCst);
    shared.live.fetch_add(1, Ordering::SeqCst);
    let cut = {
        let (client_read, client_write) = client.split();
        let (server_read, server_write) = server.split();
        let up = pump(client_read, server_write, shared.stalled.subscribe());
        let down = pump(server_read, client_write, shared.stalled.subscribe());
        tokio::select! {
            _ = async { tokio::join!(up, down) } => false,
            _ = cuts.changed() => true,
        }
    };
    if cut {
        // SO_LINGER 0: closing sends RST and discards unsent data, on both sides.
        let _ = client.set_zero_linger();
        let _ = server.set_zero_linger();
    }
    drop((client, server));
    shared.live.fetch_sub(1, Ordering::SeqCst);
}

/// Copies one direction until EOF or error, holding bytes back while stalled.
async fn pump(
    mut from: impl AsyncRead + Unpin,
    mut to: impl AsyncWrite + Unpin,
    mut stalled: watch::Receiver<bool>,
) {
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        let n = match from.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        if stalled.wait_for(|s| !*s).await.is_err() {
            break;
        }
        if to.write_all(&buf[..n]).await.is_err() {
            break;
        }
    }
    // Pass the half-close on, so a clean close on one side reaches the other.
    let _ = to.shutdown().await;
}
