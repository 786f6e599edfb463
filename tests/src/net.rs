// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! Free loopback ports.

use std::net::{Ipv4Addr, TcpListener};

use rand::Rng as _;

/// Ports are drawn from below Linux's default ephemeral range (32768–60999), so the
/// kernel does not hand the same port to an outgoing connection, or to another
/// process's `bind(0)`, between our probe and the server's `bind`.
const RANGE: std::ops::Range<u16> = 15_000..32_000;

/// Returns a TCP port on 127.0.0.1 that was free a moment ago.
///
/// There is an unavoidable window between this probe and the real `bind`; callers
/// that start servers ([`crate::Prosody::start`]) detect a lost race and retry.
///
/// # Panics
///
/// If no port on 127.0.0.1 can be bound at all (no loopback interface).
#[must_use]
pub fn free_port() -> u16 {
    let mut rng = rand::rng();
    for _ in 0..200 {
        let port = rng.random_range(RANGE);
        if TcpListener::bind((Ipv4Addr::LOCALHOST, port)).is_ok() {
            return port;
        }
    }
    // The range is crowded: let the kernel choose.
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("binding 127.0.0.1:0 to find a free port")
}
