// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! Rooms and their members in memory, with the semantics of
//! `sql/rooms.rs`.

use std::collections::{BTreeMap, HashSet};

use super::{Inner, MemoryStore};
use crate::traits::{RoomMemberStore, RoomStore};
use crate::{Result, RoomMember, RoomRecord, RoomSettings, StoreError};

fn key(account: &str, room: &str) -> (String, String) {
    (account.to_owned(), room.to_owned())
}

impl Inner {
    fn room_mut(&mut self, account: &str, room: &str) -> Result<&mut RoomRecord> {
        self.rooms
            .get_mut(account)
            .and_then(|rooms| rooms.get_mut(room))
            .ok_or_else(|| StoreError::NotFound(format!("room {room}")))
    }

    fn require_room(&self, account: &str, room: &str) -> Result<()> {
        match self.rooms.get(account).and_then(|rooms| rooms.get(room)) {
            Some(_) => Ok(()),
            None => Err(StoreError::NotFound(format!("room {room}"))),
        }
    }
}

/// Adds or updates `member`; a member without a nickname keeps the known one.
fn put_member(members: &mut BTreeMap<String, RoomMember>, member: &RoomMember) {
    let nick = member.nick.clone().or_else(|| {
        members
            .get(&member.jid)
            .and_then(|stored| stored.nick.clone())
    });
    members.insert(
        member.jid.clone(),
        RoomMember {
            nick,
            ..member.clone()
        },
    );
}

impl RoomStore for MemoryStore {
    fn upsert_room(&self, account: &str, room: &RoomSettings) -> Result<()> {
        let mut inner = self.lock();
        inner.require_account(account)?;
        let rooms = inner.rooms.entry(account.to_owned()).or_default();
        match rooms.get_mut(&room.jid) {
            Some(stored) => stored.settings = room.clone(),
            None => {
                rooms.insert(
                    room.jid.clone(),
                    RoomRecord {
                        settings: room.clone(),
                        subject: None,
                        archive_cursor: None,
                    },
                );
            }
        }
        Ok(())
    }

    fn rooms(&self, account: &str) -> Result<Vec<RoomRecord>> {
        Ok(self
            .lock()
            .rooms
            .get(account)
            .map(|rooms| rooms.values().cloned().collect())
            .unwrap_or_default())
    }

    fn room(&self, account: &str, room: &str) -> Result<Option<RoomRecord>> {
        Ok(self
            .lock()
            .rooms
            .get(account)
            .and_then(|rooms| rooms.get(room))
            .cloned())
    }

    fn remove_room(&self, account: &str, room: &str) -> Result<()> {
        let mut inner = self.lock();
        if let Some(rooms) = inner.rooms.get_mut(account) {
            rooms.remove(room);
        }
        inner.room_members.remove(&key(account, room));
        Ok(())
    }

    fn set_room_archive_cursor(
        &self,
        account: &str,
        room: &str,
        cursor: Option<&str>,
    ) -> Result<()> {
        self.lock().room_mut(account, room)?.archive_cursor = cursor.map(str::to_owned);
        Ok(())
    }

    fn set_room_subject(&self, account: &str, room: &str, subject: Option<&str>) -> Result<()> {
        self.lock().room_mut(account, room)?.subject = subject.map(str::to_owned);
        Ok(())
    }
}

impl RoomMemberStore for MemoryStore {
    fn room_members(&self, account: &str, room: &str) -> Result<Vec<RoomMember>> {
        Ok(self
            .lock()
            .room_members
            .get(&key(account, room))
            .map(|members| members.values().cloned().collect())
            .unwrap_or_default())
    }

    fn replace_room_members(
        &self,
        account: &str,
        room: &str,
        members: &[RoomMember],
    ) -> Result<()> {
        let mut inner = self.lock();
        inner.require_room(account, room)?;
        // As in SQL: members no longer listed go, listed ones are upserted
        // (keeping a known nickname).
        let listed: HashSet<&str> = members.iter().map(|m| m.jid.as_str()).collect();
        let stored = inner.room_members.entry(key(account, room)).or_default();
        stored.retain(|jid, _| listed.contains(jid.as_str()));
        for member in members {
            put_member(stored, member);
        }
        Ok(())
    }

    fn upsert_room_member(&self, account: &str, room: &str, member: &RoomMember) -> Result<()> {
        let mut inner = self.lock();
        inner.require_room(account, room)?;
        put_member(
            inner.room_members.entry(key(account, room)).or_default(),
            member,
        );
        Ok(())
    }

    fn remove_room_member(&self, account: &str, room: &str, jid: &str) -> Result<()> {
        if let Some(members) = self.lock().room_members.get_mut(&key(account, room)) {
            members.remove(jid);
        }
        Ok(())
    }
}
