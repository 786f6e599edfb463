// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! Sotto's integration-test harness.
//!
//! Integration tests in `tests/tests/*.rs` run against *real* things on loopback:
//!
//! - [`Prosody`]: a real Prosody 0.12 server, one per test, in its own temporary
//!   directory with its own generated certificate and random ports; also as a
//!   minimal server without PEP, MAM, stream management and carbons.
//! - [`Ejabberd`]: the same for ejabberd 23.01.
//! - [`server`]: [`TestServer`] over both, and [`on_servers!`] to run a test
//!   against each server, named after it.
//! - [`SilentComponent`]: an external component that never answers, for a
//!   server that is silent to the client's requests.
//! - [`CutProxy`]: a TCP proxy that can drop every live connection at once, refuse
//!   new ones, or stall traffic, to simulate a network that goes away.
//! - [`scan_for_plaintext`]: proof that a profile directory holds no plaintext.
//! - [`libotr::LibotrPeer`]: C libotr 4.1.1 as a reference OTR peer, driven over
//!   pipes (compiled from `tests/libotr-peer/peer.c` on first use).
//! - [`omemo_peer::PythonPeer`]: python-omemo (`oldmemo`, `twomemo`) as a reference
//!   OMEMO peer in both namespaces, driven over pipes (`tests/omemo-peer/peer.py`).
//!
//! What this crate must never do: touch anything outside `127.0.0.1` and its own
//! temporary directories, read `/etc/prosody` or `/etc/ejabberd`, or kill a process it did not start.
//! A missing tool (Prosody, prosodyctl, erl) is an error, never a silent skip.

mod cert;
mod component;
mod ejabberd;
mod fs;
pub mod libotr;
mod net;
pub mod omemo_peer;
pub mod profile;
mod prosody;
mod proxy;
mod readiness;
pub mod server;
pub mod tor;
pub mod xmpp_peer;

pub use component::{COMPONENT_SECRET, SILENT_COMPONENT, SilentComponent};
pub use ejabberd::{Ejabberd, EjabberdOptions};
pub use fs::{TestDir, scan_for_plaintext};
pub use net::free_port;
pub use prosody::{Prosody, ProsodyOptions};
pub use proxy::CutProxy;
pub use server::{ServerKind, TestServer, XmppServer};
