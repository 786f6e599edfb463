// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! Room bookmarks: XEP-0402 (one PEP item per room, id = room JID), and
//! read-only XEP-0048 private XML storage, so rooms a server still keeps
//! there are not lost when a client moves to XEP-0402.

use xmpp_parsers::jid::BareJid;
use xmpp_parsers::minidom::Element;
use xmpp_parsers::minidom::rxml::xml_ncname;
use xmpp_parsers::ns;

use super::pep::Item;

/// The XEP-0402 PEP node (and payload namespace).
pub const NODE: &str = "urn:xmpp:bookmarks:1";
/// XEP-0048 storage namespace.
pub const LEGACY: &str = "storage:bookmarks";
const PRIVATE: &str = "jabber:iq:private";

/// One bookmarked room.
#[derive(Clone, PartialEq, Eq)]
pub struct Bookmark {
    /// The room.
    pub room: BareJid,
    /// Its name, as the user wants to see it.
    pub name: Option<String>,
    /// Join it at login.
    pub autojoin: bool,
    /// The nick to join with.
    pub nick: Option<String>,
    /// The room's password (kept out of `Debug`).
    pub password: Option<String>,
    /// `<extensions/>` children other clients put there; published back
    /// untouched so we never erase their data.
    pub extensions: Vec<Element>,
}

impl std::fmt::Debug for Bookmark {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Bookmark")
            .field("room", &self.room)
            .field("autojoin", &self.autojoin)
            .field("has_password", &self.password.is_some())
            .finish_non_exhaustive()
    }
}

/// A bookmark that does not parse.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("malformed bookmark: {0}")]
pub struct BadBookmark(pub &'static str);

/// A change our own account published (PEP notification).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BookmarkChange {
    /// Added or changed.
    Set(Bookmark),
    /// Removed.
    Retracted(BareJid),
}

fn text_of(parent: &Element, name: &str, xmlns: &str) -> Option<String> {
    parent.get_child(name, xmlns).map(|c| c.text())
}

fn truthy(value: Option<&str>) -> bool {
    matches!(value, Some("true") | Some("1"))
}

/// The `<conference/>` payload of a bookmark's item.
pub fn payload(bookmark: &Bookmark) -> Element {
    let mut conference = Element::builder("conference", NODE).attr(
        xml_ncname!("autojoin").into(),
        if bookmark.autojoin { "true" } else { "false" },
    );
    if let Some(name) = &bookmark.name {
        conference = conference.attr(xml_ncname!("name").into(), name.as_str());
    }
    if let Some(nick) = &bookmark.nick {
        conference = conference.append(Element::builder("nick", NODE).append(nick.clone()).build());
    }
    if let Some(password) = &bookmark.password {
        conference = conference.append(
            Element::builder("password", NODE)
                .append(password.clone())
                .build(),
        );
    }
    if !bookmark.extensions.is_empty() {
        conference = conference.append(
            Element::builder("extensions", NODE)
                .append_all(bookmark.extensions.iter().cloned())
                .build(),
        );
    }
    conference.build()
}

/// Reads one item of the node: its id is the room.
pub fn parse_item(item: &Item) -> Result<Bookmark, BadBookmark> {
    let room = item
        .id
        .as_deref()
        .and_then(|id| id.parse::<BareJid>().ok())
        .ok_or(BadBookmark("item id is not a room JID"))?;
    let conference = item
        .payload
        .as_ref()
        .filter(|p| p.is("conference", NODE))
        .ok_or(BadBookmark("no conference element"))?;
    Ok(Bookmark {
        room,
        name: conference.attr("name").map(str::to_owned),
        autojoin: truthy(conference.attr("autojoin")),
        nick: text_of(conference, "nick", NODE),
        password: text_of(conference, "password", NODE),
        extensions: conference
            .get_child("extensions", NODE)
            .map(|e| e.children().cloned().collect())
            .unwrap_or_default(),
    })
}

/// Reads every item; those that do not parse are counted, not fatal (one
/// bad item written by another client must not hide the others).
pub fn parse_items(items: &[Item]) -> (Vec<Bookmark>, usize) {
    let mut bookmarks = Vec::new();
    let mut bad = 0;
    for item in items {
        match parse_item(item) {
            Ok(bookmark) => bookmarks.push(bookmark),
            Err(_) => bad += 1,
        }
    }
    (bookmarks, bad)
}

/// Retracts the bookmark of `room`, notifying our other clients.
pub fn retract(room: &BareJid) -> Element {
    let retract = Element::builder("retract", ns::PUBSUB)
        .attr(xml_ncname!("node").into(), NODE)
        .attr(xml_ncname!("notify").into(), "true")
        .append(
            Element::builder("item", ns::PUBSUB)
                .attr(xml_ncname!("id").into(), room.to_string())
                .build(),
        )
        .build();
    Element::builder("pubsub", ns::PUBSUB)
        .append(retract)
        .build()
}

/// Reads a bookmarks notification out of a message's payloads; `None`
/// when it is not about the bookmarks node.
pub fn notification(payloads: &[Element]) -> Option<Result<Vec<BookmarkChange>, BadBookmark>> {
    let event = payloads.iter().find(|p| p.is("event", ns::PUBSUB_EVENT))?;
    let items = event
        .get_child("items", ns::PUBSUB_EVENT)
        .filter(|i| i.attr("node") == Some(NODE))?;
    let mut changes = Vec::new();
    for child in items.children() {
        if child.is("item", ns::PUBSUB_EVENT) {
            let item = Item {
                id: child.attr("id").map(str::to_owned),
                payload: child.children().next().cloned(),
            };
            match parse_item(&item) {
                Ok(bookmark) => changes.push(BookmarkChange::Set(bookmark)),
                Err(e) => return Some(Err(e)),
            }
        } else if child.is("retract", ns::PUBSUB_EVENT) {
            match child.attr("id").and_then(|id| id.parse::<BareJid>().ok()) {
                Some(room) => changes.push(BookmarkChange::Retracted(room)),
                None => return Some(Err(BadBookmark("retraction without a room"))),
            }
        }
    }
    Some(Ok(changes))
}

/// Asks for the XEP-0048 bookmarks in private XML storage (XEP-0049).
pub fn legacy_request() -> Element {
    Element::builder("query", PRIVATE)
        .append(Element::builder("storage", LEGACY).build())
        .build()
}

/// Reads XEP-0048 conferences (URLs are not rooms and are left out).
pub fn parse_legacy(answer: Option<Element>) -> Result<Vec<Bookmark>, BadBookmark> {
    let Some(query) = answer else {
        return Ok(Vec::new());
    };
    if !query.is("query", PRIVATE) {
        return Err(BadBookmark("not a private storage answer"));
    }
    let Some(storage) = query.get_child("storage", LEGACY) else {
        return Ok(Vec::new());
    };
    Ok(storage
        .children()
        .filter(|c| c.is("conference", LEGACY))
        .filter_map(|c| {
            Some(Bookmark {
                room: c.attr("jid")?.parse().ok()?,
                name: c.attr("name").map(str::to_owned),
                autojoin: truthy(c.attr("autojoin")),
                nick: text_of(c, "nick", LEGACY),
                password: text_of(c, "password", LEGACY),
                extensions: Vec::new(),
            })
        })
        .collect())
}

#[cfg(test)]
mod tests;
