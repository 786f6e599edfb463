// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! Bookmarks (XEP-0402): the rooms our other clients keep. They are read on
//! every fresh stream and followed as they change; a room bookmarked with
//! `autojoin` is joined here too, and the rooms joined or left here are
//! published so the other clients follow. What other clients put in a
//! bookmark (`<extensions/>`) is published back untouched.

use sotto_store::{Password, RoomSettings};
use sotto_xmpp::xep::bookmarks::{Bookmark, BookmarkChange};

use crate::account::Account;
use crate::account::pending::{Done, Reply};
use crate::api::Event;
use crate::convert;

/// How long a bookmark we published is taken for our own when the server
/// notifies it.
const ECHO_WINDOW: std::time::Duration = std::time::Duration::from_secs(30);

impl Account {
    /// Our bookmarks, as read on a fresh stream.
    pub(crate) fn bookmarks_answered(
        &mut self,
        stream: u64,
        result: Result<Vec<Bookmark>, sotto_xmpp::PepError>,
    ) {
        if stream != self.stream {
            return;
        }
        match result {
            Ok(list) => {
                for bookmark in list {
                    self.apply_bookmark(bookmark);
                }
            }
            Err(e) => tracing::info!(error = %e, "no bookmarks"),
        }
    }

    /// Bookmarks changed by another of our clients (or echoed back).
    pub(crate) fn on_bookmark_changes(&mut self, changes: Vec<BookmarkChange>) {
        for change in changes {
            match change {
                BookmarkChange::Set(bookmark) => {
                    let now = std::time::Instant::now();
                    let echoes = &mut self.rooms.echoes;
                    echoes.retain(|(at, _)| now.duration_since(*at) < ECHO_WINDOW);
                    if let Some(i) = echoes.iter().position(|(_, b)| *b == bookmark) {
                        echoes.remove(i);
                        continue;
                    }
                    self.apply_bookmark(bookmark);
                }
                BookmarkChange::Retracted(room) => {
                    let key = room.to_string();
                    self.rooms.bookmarks.remove(&key);
                    if let Ok(Some(mut record)) = self.store.room(&self.jid, &key) {
                        record.settings.bookmarked = false;
                        self.keep_room(&record.settings);
                    }
                }
            }
        }
    }

    fn keep_room(&self, settings: &RoomSettings) {
        if let Err(e) = self.store.upsert_room(&self.jid, settings) {
            tracing::warn!(error = %e, "could not store a room");
        }
    }

    /// One bookmark: kept as a room; joined when it says `autojoin` and we
    /// are not in the room; left when it no longer does and we are.
    fn apply_bookmark(&mut self, bookmark: Bookmark) {
        let key = bookmark.room.to_string();
        let stored = match self.store.room(&self.jid, &key) {
            Ok(stored) => stored.map(|r| r.settings),
            Err(e) => return tracing::warn!(error = %e, "reading a room"),
        };
        let mut settings =
            stored.unwrap_or_else(|| RoomSettings::new(key.clone(), self.default_nick()));
        if let Some(name) = &bookmark.name {
            settings.name = Some(name.clone());
        }
        if let Some(nick) = bookmark.nick.as_deref().filter(|n| !n.trim().is_empty()) {
            settings.nick = nick.to_owned();
        }
        if let Some(password) = &bookmark.password {
            settings.password = Some(Password::new(password.clone()));
        }
        settings.bookmarked = true;
        settings.autojoin = bookmark.autojoin;
        self.keep_room(&settings);
        let here = self.rooms.is_room(&key);
        self.rooms.bookmarks.insert(key.clone(), bookmark);
        if settings.autojoin && !here {
            self.enter_room(&settings);
        } else if !settings.autojoin && here {
            self.leave_kept_room(&key, "you left the room on another of your devices");
        }
    }

    /// Publishes the room as a bookmark (joined or not), starting from the
    /// bookmark other clients wrote, if any.
    pub(crate) fn publish_bookmark(&mut self, settings: &RoomSettings) {
        if !self.online || !self.server_has(|f| f.pep) {
            return;
        }
        let (Some(session), Ok(room)) = (&self.session, convert::parse_contact_jid(&settings.jid))
        else {
            return;
        };
        let mut bookmark = self
            .rooms
            .bookmarks
            .get(&settings.jid)
            .cloned()
            .unwrap_or(Bookmark {
                room,
                name: settings.name.clone(),
                autojoin: false,
                nick: None,
                password: None,
                extensions: Vec::new(),
            });
        bookmark.autojoin = settings.autojoin;
        bookmark.nick = Some(settings.nick.clone());
        bookmark.password = settings.password.as_ref().map(|p| p.expose().to_owned());
        self.rooms
            .bookmarks
            .insert(settings.jid.clone(), bookmark.clone());
        let now = std::time::Instant::now();
        self.rooms
            .echoes
            .retain(|(at, _)| now.duration_since(*at) < ECHO_WINDOW);
        self.rooms.echoes.push((now, bookmark.clone()));
        let session = session.handle();
        self.pending.start(async move {
            if let Err(e) = session.publish_bookmark(&bookmark).await {
                // Our other clients will not follow; nothing is lost here.
                tracing::info!(error = %e, "a bookmark could not be published");
            }
            Reply::Done {
                result: Ok(()),
                what: Done::Bookmark,
                request: None,
            }
        });
    }

    /// Tells a front end we are out of a room we had kept joined.
    pub(crate) fn leave_kept_room(&mut self, key: &str, reason: &str) {
        self.send_leave(key);
        self.emit(Event::RoomLeft {
            account: self.jid.clone(),
            room: key.to_owned(),
            reason: reason.to_owned(),
        });
    }
}
