// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! Where archive results wait for the answer to their query: our own
//! archive's, and each room's (filed only under the room they were asked of).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use xmpp_parsers::jid::BareJid;

use crate::xep::message::{self, Rejected};
use crate::xep::muc;

type ArchiveItem = Result<message::IncomingMessage, Rejected>;
type RoomArchiveItem = Result<muc::message::RoomMessage, Rejected>;
/// An open room-archive query: the room, and what it sent so far.
type RoomQuery = (BareJid, Vec<RoomArchiveItem>);

/// Collects archive results per query id until the query's IQ answer comes.
#[derive(Clone, Debug, Default)]
pub(crate) struct MamCollector {
    open: Arc<Mutex<HashMap<String, Vec<ArchiveItem>>>>,
    /// Queries of a room's archive: the room whose results they take.
    rooms: Arc<Mutex<HashMap<String, RoomQuery>>>,
}

impl MamCollector {
    pub(crate) fn open(&self, query_id: &str) {
        if let Ok(mut open) = self.open.lock() {
            open.insert(query_id.to_owned(), Vec::new());
        }
    }

    pub(crate) fn take(&self, query_id: &str) -> Vec<ArchiveItem> {
        self.open
            .lock()
            .ok()
            .and_then(|mut open| open.remove(query_id))
            .unwrap_or_default()
    }

    pub(crate) fn open_room(&self, query_id: &str, room: BareJid) {
        if let Ok(mut rooms) = self.rooms.lock() {
            rooms.insert(query_id.to_owned(), (room, Vec::new()));
        }
    }

    pub(crate) fn take_room(&self, query_id: &str) -> Vec<RoomArchiveItem> {
        self.rooms
            .lock()
            .ok()
            .and_then(|mut rooms| rooms.remove(query_id))
            .map(|(_, items)| items)
            .unwrap_or_default()
    }

    /// The room whose archive `query_id` reads, if it is a room query.
    pub(super) fn room_of(&self, query_id: &str) -> Option<BareJid> {
        let rooms = self.rooms.lock().ok()?;
        rooms.get(query_id).map(|(room, _)| room.clone())
    }

    pub(super) fn file_room(&self, query_id: &str, item: RoomArchiveItem) {
        if let Ok(mut rooms) = self.rooms.lock()
            && let Some((_, items)) = rooms.get_mut(query_id)
        {
            items.push(item);
        }
    }

    /// Files a result under its query; false when no such query is open.
    pub(super) fn file(&self, query_id: &str, item: ArchiveItem) -> bool {
        let Ok(mut open) = self.open.lock() else {
            return false;
        };
        match open.get_mut(query_id) {
            Some(items) => {
                items.push(item);
                true
            }
            None => false,
        }
    }
}
