// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! Requests about rooms (XEP-0045, XEP-0410, XEP-0313 on a room) and
//! bookmarks (XEP-0402, XEP-0048 read only). Presences and messages are
//! sent with [`SessionHandle::send`] and built in [`crate::xep::muc`].

use std::time::Duration;

use xmpp_parsers::jid::{BareJid, FullJid, Jid};

use super::{IqPayloadKind, SessionHandle, refused};
use crate::error::{IqError, PepError};
use crate::xep::bookmarks::{self, Bookmark};
use crate::xep::mam::{self, Page};
use crate::xep::muc::admin::{self, Affiliated, SelfPing};
use crate::xep::muc::message::RoomMessage;
use crate::xep::muc::{Affiliation, Role};
use crate::xep::pep::{self, NodeConfig, PublishOutcome};

/// How long a self-ping may take before it says nothing (XEP-0410
/// suggests a short wait: a slow room is not a lost one).
const SELF_PING_TIMEOUT: Duration = Duration::from_secs(15);

/// One page of a room's archive.
#[derive(Clone, Debug, Default)]
pub struct RoomArchivePage {
    /// Messages, oldest first.
    pub messages: Vec<RoomMessage>,
    /// Results refused (not from this room, or malformed), counted only.
    pub rejected: usize,
    /// Archive id of the first result.
    pub first: Option<String>,
    /// Archive id of the last result.
    pub last: Option<String>,
    /// Whether the room says this is the end.
    pub complete: bool,
}

fn malformed(what: &'static str, detail: impl ToString) -> IqError {
    IqError::Malformed {
        what,
        detail: detail.to_string(),
    }
}

impl SessionHandle {
    async fn owner_request(
        &self,
        room: &BareJid,
        payload: IqPayloadKind,
        what: &'static str,
    ) -> Result<Option<xmpp_parsers::minidom::Element>, IqError> {
        self.request(Some(Jid::from(room.clone())), payload, what)
            .await
    }

    /// Accepts the default configuration of a room we just created (201).
    pub async fn create_instant_room(&self, room: &BareJid) -> Result<(), IqError> {
        let payload = IqPayloadKind::Set(admin::instant_room());
        self.owner_request(room, payload, "creating an instant room")
            .await
            .map(drop)
    }

    /// Configures a room we own: fetches its form and submits `wanted`
    /// for the fields it offers. Returns the names it did not offer.
    pub async fn configure_room(
        &self,
        room: &BareJid,
        wanted: &[(&'static str, &str)],
    ) -> Result<Vec<&'static str>, IqError> {
        let what = "configuring a room";
        let answer = self
            .owner_request(room, IqPayloadKind::Get(admin::config_form_request()), what)
            .await?;
        let form = admin::parse_config_form(answer).map_err(|e| malformed(what, e))?;
        let missing = admin::missing_fields(&form, wanted);
        let payload = IqPayloadKind::Set(admin::submit_config(&form, wanted));
        self.owner_request(room, payload, what).await?;
        Ok(missing)
    }

    /// Everyone with `affiliation` in `room` (members, admins, owners:
    /// what OMEMO encrypts for in a private group).
    pub async fn room_affiliations(
        &self,
        room: &BareJid,
        affiliation: Affiliation,
    ) -> Result<Vec<Affiliated>, IqError> {
        let what = "fetching a room's affiliation list";
        let payload = IqPayloadKind::Get(admin::affiliation_list_request(affiliation));
        let answer = self.owner_request(room, payload, what).await?;
        let (list, skipped) =
            admin::parse_affiliation_list(answer).map_err(|e| malformed(what, e))?;
        if skipped > 0 {
            tracing::info!(skipped, "affiliation list entries that did not parse");
        }
        Ok(list)
    }

    /// Grants or takes an affiliation (membership, ban with `Outcast`).
    pub async fn set_room_affiliation(
        &self,
        room: &BareJid,
        jid: &BareJid,
        affiliation: Affiliation,
        reason: Option<&str>,
    ) -> Result<(), IqError> {
        let payload = IqPayloadKind::Set(admin::set_affiliation(jid, affiliation, reason));
        self.owner_request(room, payload, "changing an affiliation")
            .await
            .map(drop)
    }

    /// Changes an occupant's role (kick with `Role::None`, voice).
    pub async fn set_room_role(
        &self,
        room: &BareJid,
        nick: &str,
        role: Role,
        reason: Option<&str>,
    ) -> Result<(), IqError> {
        let payload = IqPayloadKind::Set(admin::set_role(nick, role, reason));
        self.owner_request(room, payload, "changing a role")
            .await
            .map(drop)
    }

    /// Destroys a room we own.
    pub async fn destroy_room(&self, room: &BareJid, reason: Option<&str>) -> Result<(), IqError> {
        let payload = IqPayloadKind::Set(admin::destroy(reason));
        self.owner_request(room, payload, "destroying a room")
            .await
            .map(drop)
    }

    /// Whether we are still in the room as `occupant` (XEP-0410). A
    /// timeout or a lost connection is [`SelfPing::Unknown`].
    pub async fn self_ping(&self, occupant: &FullJid) -> SelfPing {
        let answer = self
            .request_within(
                Some(Jid::from(occupant.clone())),
                IqPayloadKind::Get(admin::self_ping_request()),
                "pinging ourselves in a room",
                SELF_PING_TIMEOUT,
            )
            .await;
        match answer {
            Ok(Ok(_)) => admin::self_ping_result(Ok(())),
            Ok(Err(error)) => admin::self_ping_result(Err(&error)),
            Err(_) => SelfPing::Unknown,
        }
    }

    /// Fetches one page of a room's archive (XEP-0313 addressed to the
    /// room). Results are taken only from the room itself.
    pub async fn room_archive_page(
        &self,
        room: &BareJid,
        page: &Page,
        max: usize,
    ) -> Result<RoomArchivePage, IqError> {
        let what = "fetching a room's archive";
        let query_id = uuid::Uuid::new_v4().to_string();
        self.mam.open_room(&query_id, room.clone());
        let result = self
            .request(
                Some(Jid::from(room.clone())),
                IqPayloadKind::Set(mam::query(&query_id, page, None, max).into()),
                what,
            )
            .await;
        let collected = self.mam.take_room(&query_id);
        let fin = result?
            .map(xmpp_parsers::mam::Fin::try_from)
            .transpose()
            .map_err(|e| malformed(what, e))?;
        let mut out = RoomArchivePage::default();
        for item in collected {
            match item {
                Ok(message) => out.messages.push(message),
                Err(_) => out.rejected += 1,
            }
        }
        if let Some(fin) = fin {
            out.complete = fin.complete;
            out.first = fin.set.first.map(|f| f.item);
            out.last = fin.set.last;
        }
        Ok(out)
    }

    /// Our XEP-0402 bookmarks. A missing node is no bookmarks.
    pub async fn bookmarks(&self) -> Result<Vec<Bookmark>, PepError> {
        let doing = || "fetching our bookmarks".to_owned();
        let answer = self
            .request_outcome(
                None,
                IqPayloadKind::Get(pep::items_request(bookmarks::NODE, None)),
                "fetching bookmarks",
            )
            .await
            .map_err(|e| super::pep::lost(doing(), e))?;
        let answer = match answer {
            Ok(answer) => answer,
            Err(error)
                if error.defined_condition
                    == xmpp_parsers::stanza_error::DefinedCondition::ItemNotFound =>
            {
                return Ok(Vec::new());
            }
            Err(error) => return Err(super::pep::refused(doing(), &self.own, &error)),
        };
        let items = pep::parse_items(answer, bookmarks::NODE).map_err(|e| PepError::Malformed {
            doing: doing(),
            detail: e.to_string(),
        })?;
        let (list, bad) = bookmarks::parse_items(&items);
        if bad > 0 {
            tracing::info!(bad, "bookmarks that did not parse");
        }
        Ok(list)
    }

    /// Publishes (adds or replaces) one bookmark, on a node only we can
    /// read, keeping every item.
    pub async fn publish_bookmark(&self, bookmark: &Bookmark) -> Result<PublishOutcome, PepError> {
        self.publish_configured(
            bookmarks::NODE,
            &bookmark.room.to_string(),
            bookmarks::payload(bookmark),
            NodeConfig::BOOKMARKS,
            format!("publishing the bookmark of {}", bookmark.room),
        )
        .await
    }

    /// Removes the bookmark of `room`.
    pub async fn retract_bookmark(&self, room: &BareJid) -> Result<(), IqError> {
        self.request(
            None,
            IqPayloadKind::Set(bookmarks::retract(room)),
            "removing a bookmark",
        )
        .await
        .map(drop)
    }

    /// XEP-0048 bookmarks still in private storage (read only, to carry
    /// them over). None stored is an empty list.
    pub async fn legacy_bookmarks(&self) -> Result<Vec<Bookmark>, IqError> {
        let what = "fetching legacy bookmarks";
        let answer = self
            .request_outcome(None, IqPayloadKind::Get(bookmarks::legacy_request()), what)
            .await?;
        match answer {
            Ok(answer) => bookmarks::parse_legacy(answer).map_err(|e| malformed(what, e)),
            Err(error)
                if error.defined_condition
                    == xmpp_parsers::stanza_error::DefinedCondition::ItemNotFound =>
            {
                Ok(Vec::new())
            }
            Err(error) => Err(refused(what, &error)),
        }
    }
}
