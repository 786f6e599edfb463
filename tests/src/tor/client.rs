// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! A C tor client on the test network, as a SOCKS5 proxy and a reference.

use super::process::Proc;

/// A bootstrapped C tor client with a SOCKS5 port on 127.0.0.1. Dropping it
/// (or the [`TorNetwork`](super::TorNetwork), whichever comes first) kills it.
#[derive(Debug)]
pub struct TorClient {
    /// The SOCKS5 port on 127.0.0.1.
    pub socks_port: u16,
    proc: Proc,
}

impl TorClient {
    pub(super) fn new(socks_port: u16, proc: Proc) -> Self {
        Self { socks_port, proc }
    }

    /// The last `n` lines of this client's notice log.
    #[must_use]
    pub fn log_tail(&self, n: usize) -> String {
        self.proc.log_tail(n)
    }
}

impl Drop for TorClient {
    fn drop(&mut self) {
        self.proc.kill();
    }
}
