// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! Sotto's XMPP session: one account's connection to its server.
//!
//! It connects through a [`Transport`] (direct TCP with SRV here; proxies and
//! Tor plug in the same way), insists on TLS (STARTTLS or direct TLS,
//! certificates checked against the system roots or an explicit pin),
//! authenticates with SCRAM (channel binding when available), and runs the
//! stream with stream management, resumption and reconnection. Stanzas are
//! parsed and built in [`xep`], one module per extension.
//!
//! This crate must never: touch the database, know about front ends, log
//! message bodies or passwords, or accept carbons, roster pushes, IQ
//! responses or archive results from anyone but the entity entitled to send
//! them.

pub mod depth;
pub mod error;
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
pub mod http;
mod iq;
mod login;
mod sasl;
pub mod session;
pub mod text;
pub mod tls;
pub mod transport;
pub mod xep;

pub use error::{ConnectError, IqError, PepError};
pub use session::{
    BlocklistPush, Delivery, IqPayloadKind, Password, Session, SessionConfig, SessionEvent,
    SessionHandle, register_account,
};
pub use tls::CertFingerprint;
pub use transport::{DirectTransport, Target, Transport};
pub use xmpp_parsers::jid::{BareJid, FullJid, Jid};
