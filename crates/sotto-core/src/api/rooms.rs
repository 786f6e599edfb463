// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! What front ends see of group chats (XEP-0045).

use serde::{Deserialize, Serialize};

/// Someone in a room, as the room describes them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoomOccupant {
    /// Their nickname in the room (peer text: made safe before display).
    pub nick: String,
    /// `moderator`, `participant`, `visitor` or `none`.
    pub role: String,
    /// `owner`, `admin`, `member`, `outcast` or `none`.
    pub affiliation: String,
    /// Their real bare JID, when the room shows it to us.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jid: Option<String>,
    /// Whether this is us.
    pub is_self: bool,
}
