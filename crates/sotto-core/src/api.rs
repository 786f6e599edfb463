// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! The one boundary between the core and every front end.
//!
//! Front ends send [`Command`]s and receive [`Event`]s over tokio channels.
//! Both are plain serde types; their JSON form (`{"type": "send_message", …}`)
//! is what `sotto run` reads and writes line by line. `docs/core-api.md`
//! documents each with an example.
//!
//! Lists cross the boundary as a snapshot followed by changes: the roster as
//! [`Event::RosterSnapshot`] then [`Event::RosterItemChanged`] /
//! [`Event::RosterItemRemoved`]; a conversation as
//! [`Event::ConversationSnapshot`] then [`Event::MessageAdded`] /
//! [`Event::MessageStateChanged`].

mod command;
mod connection;
mod event;
pub(crate) mod omemo;
pub(crate) mod otr;
mod rooms;
mod values;

pub use command::{Command, Request};
pub use connection::{ConnectionState, MissingFeature};
pub use event::{Event, TransferState};
pub use omemo::{OmemoDevice, OmemoTrust, OmemoTrustMode};
pub use otr::{Encryption, OtrContactFingerprint, OtrSessionState, SmpProgress};
pub use rooms::RoomOccupant;
pub use sotto_store::OtrTrust;
pub use values::{Availability, ChatState, ProfileProtection, Secret, ServerOptions};

#[cfg(test)]
mod tests;
