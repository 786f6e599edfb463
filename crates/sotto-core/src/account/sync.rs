// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! Work done when a fresh (not resumed) session comes online, and archive
//! paging: roster with versioning, carbons, presence, outbox, and catch-up
//! on the message archive since the last known archive id.

use sotto_store::{MessageRecord, MessageState, NewMessage};
use sotto_xmpp::session::ServerFeatures;
use sotto_xmpp::xep::mam::{ArchivePage, Page};
use sotto_xmpp::xep::presence;
use sotto_xmpp::xep::roster::RosterResult;
use sotto_xmpp::{BareJid, BlocklistPush, IqError};

use super::Account;
use super::pending::Reply;
use crate::api::{Event, MissingFeature};
use crate::convert;

/// The features Sotto uses that discovery found missing.
fn missing_features(features: &ServerFeatures) -> Vec<MissingFeature> {
    [
        (features.pep, MissingFeature::Pep),
        (features.mam, MissingFeature::Mam),
        (features.carbons, MissingFeature::Carbons),
        (features.blocking, MissingFeature::Blocking),
        (
            features.upload.is_some() || !features.upload_checked,
            MissingFeature::Upload,
        ),
    ]
    .into_iter()
    .filter_map(|(present, feature)| (!present).then_some(feature))
    .collect()
}

/// Messages per archive page.
const PAGE_SIZE: usize = 100;
/// Upper bound on pages fetched in one catch-up (the rest follows next login).
const MAX_CATCH_UP_PAGES: usize = 200;

impl Account {
    /// A fresh stream: asks the server what it supports before any optional
    /// feature is used; [`Self::discovered`] goes on from there.
    pub(crate) fn discover_server(&mut self, stream_management: bool) {
        let Some(session) = &self.session else { return };
        let (session, stream) = (session.handle(), self.stream);
        self.pending.start(async move {
            Reply::Discovered {
                stream,
                stream_management,
                result: session.discover().await,
            }
        });
    }

    /// Discovery answered: tells the front ends once what is missing, then
    /// fetches the roster.
    pub(crate) fn discovered(
        &mut self,
        stream: u64,
        stream_management: bool,
        result: Result<ServerFeatures, IqError>,
    ) {
        if stream != self.stream {
            return;
        }
        self.server = match result {
            Ok(features) => Some(features),
            Err(e) => {
                tracing::info!(error = %e, "service discovery failed; trying every feature");
                None
            }
        };
        if let Some(features) = self.server.as_ref().filter(|f| f.upload_checked) {
            self.uploads.set_service(features.upload.clone());
        }
        let mut missing = self
            .server
            .as_ref()
            .map(missing_features)
            .unwrap_or_default();
        if !stream_management {
            missing.push(MissingFeature::StreamManagement);
        }
        self.emit(Event::ServerFeatures {
            account: self.jid.clone(),
            missing,
        });
        self.sync_roster();
    }

    /// Whether the server has a feature (`true` when discovery could not say).
    pub(crate) fn server_has(&self, feature: impl Fn(&ServerFeatures) -> bool) -> bool {
        self.server.as_ref().is_none_or(feature)
    }

    /// Asks for the roster, announcing the version we have.
    fn sync_roster(&mut self) {
        let Some(session) = &self.session else { return };
        let (version, _) = match self.store.roster(&self.jid) {
            Ok(stored) => stored,
            Err(e) => return self.fail(format!("reading the roster: {e}")),
        };
        // An empty version asks the server to use versioning from now on.
        let announced = version.unwrap_or_default();
        let (session, stream) = (session.handle(), self.stream);
        self.pending.start(async move {
            Reply::Roster {
                stream,
                result: session.roster_get(Some(&announced)).await,
            }
        });
    }

    /// The roster answered: stored and shown; then carbons.
    pub(crate) fn roster_answered(&mut self, stream: u64, result: Result<RosterResult, IqError>) {
        if stream != self.stream {
            return;
        }
        match result {
            Ok(RosterResult::Full { version, contacts }) => {
                let items: Vec<_> = contacts.into_iter().map(convert::roster_item).collect();
                if let Err(e) = self
                    .store
                    .replace_roster(&self.jid, version.as_deref(), &items)
                {
                    self.fail(format!("storing the roster: {e}"));
                }
            }
            Ok(RosterResult::Unchanged) => {}
            Err(e) => self.fail(e.to_string()),
        }
        match self.store.roster(&self.jid) {
            Ok((_, items)) => self.emit(Event::RosterSnapshot {
                account: self.jid.clone(),
                items,
            }),
            Err(e) => self.fail(format!("reading the roster: {e}")),
        }
        let carbons = self.server_has(|f| f.carbons);
        let Some(session) = &self.session else { return };
        let (session, stream) = (session.handle(), self.stream);
        self.pending.start(async move {
            let result = if carbons {
                session.enable_carbons().await
            } else {
                Ok(())
            };
            Reply::Carbons { stream, result }
        });
    }

    /// Carbons answered: presence goes out (after the roster, as RFC 6121
    /// asks), then the archive catch-up and the block list.
    pub(crate) fn carbons_answered(&mut self, stream: u64, result: Result<(), IqError>) {
        if stream != self.stream {
            return;
        }
        if let Err(e) = result {
            tracing::info!(error = %e, "carbons unavailable");
        }
        if let Some(session) = &self.session {
            let (availability, status) = &self.presence;
            session.send_presence(presence::own(
                convert::show(*availability),
                status.as_deref(),
                *availability == crate::api::Availability::Unavailable,
            ));
        }
        self.announced = Some(stream);
        self.rejoin_rooms();
        if self.server_has(|f| f.pep)
            && let Some(session) = &self.session
        {
            let session = session.handle();
            self.pending.start(async move {
                Reply::Bookmarks {
                    stream,
                    result: session.bookmarks().await,
                }
            });
        }
        self.flush_outbox();
        if self.server_has(|f| f.mam) {
            self.catch_up();
        }
        // The server enforces the list whether or not we know it yet.
        if self.server_has(|f| f.blocking)
            && let Some(session) = &self.session
        {
            let session = session.handle();
            self.pending
                .start(async move { Reply::Blocklist(session.blocklist().await) });
        }
    }

    /// The block list answered.
    pub(crate) fn blocklist_answered(&mut self, result: Result<Vec<BareJid>, IqError>) {
        match result {
            Ok(list) => {
                self.blocked = list.iter().map(ToString::to_string).collect();
                self.emit_blocklist();
            }
            Err(e) => tracing::info!(error = %e, "no block list"),
        }
    }

    /// Applies a block-list push from the server.
    pub(crate) fn on_blocklist_push(&mut self, push: BlocklistPush) {
        match push {
            BlocklistPush::Blocked(jids) => {
                self.blocked.extend(jids.iter().map(ToString::to_string))
            }
            BlocklistPush::Unblocked(jids) => {
                for jid in jids {
                    self.blocked.remove(jid.as_str());
                }
            }
            BlocklistPush::UnblockedAll => self.blocked.clear(),
        }
        self.emit_blocklist();
    }

    fn emit_blocklist(&self) {
        self.emit(Event::Blocklist {
            account: self.jid.clone(),
            blocked: self.blocked.iter().cloned().collect(),
        });
    }

    /// Stores one archive page (one transaction, with the new cursor when
    /// `cursor` is set) and applies receipts found in it.
    fn store_page(
        &mut self,
        own: &BareJid,
        page: &ArchivePage,
        cursor: Option<&str>,
    ) -> Option<Vec<MessageRecord>> {
        // OMEMO messages first, each decrypted and stored with its session.
        for message in page.messages.iter().filter(|m| !m.encrypted.is_empty()) {
            self.omemo_incoming(message);
        }
        // OTR traffic in the archive is ciphertext for a session that is
        // gone (or protocol): never stored as a message, as live OTR is not.
        // A whitespace-tagged plaintext body is plaintext and stays.
        let messages: Vec<NewMessage> = page
            .messages
            .iter()
            .filter(|m| !m.body.as_deref().is_some_and(super::otr::is_otr_wire))
            .filter_map(|m| convert::new_message(own, m))
            .collect();
        let new = self.store_messages(&messages, cursor)?;
        for message in &page.messages {
            if let (Some(id), false) = (&message.receipt_for, message.is_outgoing(own))
                && let Some(peer) = message.peer(own)
            {
                self.apply_to_outgoing(&peer.to_string(), id, MessageState::Delivered);
            }
        }
        Some(new)
    }

    /// Catches up on the archive since the stored cursor, page by page
    /// (each page is asked for when the one before is stored).
    pub(crate) fn catch_up(&mut self) {
        self.keep_archive_position();
        let cursor = match self.store.archive_cursor(&self.jid) {
            Ok(cursor) => cursor,
            Err(e) => return self.fail(format!("reading the archive position: {e}")),
        };
        let page = match cursor {
            Some(id) => Page::After(id),
            None => Page::Latest,
        };
        tracing::debug!(account = %self.jid, stream = self.stream, ?page, "catching up on the archive");
        self.ask_catch_up_page(page, 0, 0);
    }

    /// Writes the archive position reached live (see
    /// [`Account::contiguous`]) as the stored cursor.
    pub(crate) fn keep_archive_position(&mut self) {
        let Some(id) = self.contiguous.take() else {
            return;
        };
        if let Err(e) = self.store.insert_messages(&self.jid, &[], Some(&id)) {
            tracing::warn!(error = %e, "could not store the archive position");
        }
    }

    fn ask_catch_up_page(&mut self, page: Page, pages: usize, total: usize) {
        let Some(session) = &self.session else { return };
        let (session, stream) = (session.handle(), self.stream);
        self.pending.start(async move {
            let result = session.archive_page(&page, None, PAGE_SIZE).await;
            Reply::CatchUp {
                stream,
                page,
                pages,
                total,
                result,
            }
        });
    }

    /// A catch-up page answered: stored, then the next one asked for.
    pub(crate) fn catch_up_answered(
        &mut self,
        stream: u64,
        page: Page,
        pages: usize,
        total: usize,
        result: Result<ArchivePage, IqError>,
    ) {
        if stream != self.stream {
            tracing::debug!(account = %self.jid, stream, "a catch-up page of an earlier stream, ignored");
            return;
        }
        let Some(own) = self.own_bare() else { return };
        let fetched = match result {
            Ok(fetched) => fetched,
            Err(IqError::Refused { condition, .. })
                if condition == "feature-not-implemented" || condition == "service-unavailable" =>
            {
                tracing::info!("the server keeps no message archive");
                return;
            }
            Err(IqError::Refused { condition, .. }) if condition == "item-not-found" => {
                // Our cursor fell out of the archive: start over from the newest.
                if matches!(page, Page::Latest) || pages + 1 >= MAX_CATCH_UP_PAGES {
                    return;
                }
                return self.ask_catch_up_page(Page::Latest, pages + 1, total);
            }
            Err(e) => return self.fail(e.to_string()),
        };
        let Some(new) = self.store_page(&own, &fetched, fetched.last.as_deref()) else {
            return;
        };
        let total = total + new.len();
        tracing::debug!(
            account = %self.jid,
            stream,
            results = fetched.messages.len(),
            new = new.len(),
            complete = fetched.complete,
            last = ?fetched.last,
            "archive page stored"
        );
        let latest = matches!(page, Page::Latest);
        match &fetched.last {
            Some(last) if !fetched.complete && !latest && pages + 1 < MAX_CATCH_UP_PAGES => {
                self.ask_catch_up_page(Page::After(last.clone()), pages + 1, total)
            }
            _ => {
                // At the archive's end (or, on a first login, at its newest
                // page): live messages now follow on. Stopped by the page
                // limit, the rest waits for the next fresh stream.
                if fetched.complete || latest || fetched.last.is_none() {
                    self.caught_up = Some(stream);
                }
                self.emit(Event::ArchiveSynced {
                    account: self.jid.clone(),
                    new_messages: total,
                })
            }
        }
    }

    /// Older history of one conversation: from the store, then the archive.
    pub(crate) fn load_older(&mut self, peer: String, before: i64, limit: usize) {
        let stored = match self.store.history(&self.jid, &peer, Some(before), limit) {
            Ok(stored) => stored,
            Err(e) => return self.fail(format!("reading history: {e}")),
        };
        let session = match (&self.session, self.online) {
            (Some(session), true) if stored.len() < limit && self.server_has(|f| f.mam) => {
                session.handle()
            }
            _ => {
                let has_more = stored.len() >= limit;
                return self.emit(Event::HistoryPage {
                    account: self.jid.clone(),
                    peer,
                    messages: stored,
                    has_more,
                    request: None,
                });
            }
        };
        // The store is exhausted: ask the archive for what precedes the
        // oldest message we know of in this conversation.
        let Ok(with) = convert::parse_contact_jid(&peer) else {
            return self.fail(format!("{peer:?} is not a valid JID"));
        };
        // The oldest archive id we know in this conversation: the oldest
        // stored message of this page, else the message we page back from.
        let oldest_known = stored.iter().find_map(|m| m.stanza_id.clone()).or_else(|| {
            self.store
                .message(&self.jid, before)
                .ok()
                .flatten()
                .and_then(|m| m.stanza_id)
        });
        let page = match oldest_known {
            Some(id) => Page::Before(id),
            None => Page::Latest,
        };
        let request = self.answering.take();
        self.pending.start(async move {
            let result = session.archive_page(&page, Some(&with), limit).await;
            Reply::Older {
                peer,
                stored,
                limit,
                result,
                request,
            }
        });
    }

    /// An older page answered: what the archive returned precedes
    /// everything stored here. It gets new local ids and its timestamps
    /// are often only to the second, so it is placed by archive order
    /// rather than re-read by id.
    pub(crate) fn older_answered(
        &mut self,
        peer: String,
        stored: Vec<MessageRecord>,
        limit: usize,
        result: Result<ArchivePage, IqError>,
    ) {
        let Some(own) = self.own_bare() else { return };
        let mut older = Vec::new();
        let mut has_more = false;
        match result {
            Ok(fetched) => {
                has_more = !fetched.complete;
                if let Some(new) = self.store_page(&own, &fetched, None) {
                    older = new;
                }
            }
            Err(e) => self.fail(e.to_string()),
        }
        older.extend(stored);
        // Stable: equal timestamps keep archive order.
        older.sort_by_key(|m| m.timestamp_ms);
        let skip = older.len().saturating_sub(limit);
        self.emit(Event::HistoryPage {
            account: self.jid.clone(),
            peer,
            messages: older.split_off(skip),
            has_more,
            request: None,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_what_discovery_found_missing_is_reported() {
        let mut features = ServerFeatures::default();
        features.upload_checked = true;
        assert_eq!(
            missing_features(&features),
            vec![
                MissingFeature::Pep,
                MissingFeature::Mam,
                MissingFeature::Carbons,
                MissingFeature::Blocking,
                MissingFeature::Upload,
            ]
        );
        // An upload search that got no answer is no verdict.
        features.upload_checked = false;
        features.pep = true;
        features.mam = true;
        features.carbons = true;
        features.blocking = true;
        assert_eq!(missing_features(&features), vec![]);
    }
}
