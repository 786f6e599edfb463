// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! Roster management (RFC 6121 §2) with versioning.

use xmpp_parsers::jid::{BareJid, Jid};
use xmpp_parsers::roster::{Ask, Group, Item, Roster, Subscription};

/// A roster entry as the session reports it.
#[derive(Clone, Debug, PartialEq)]
pub struct Contact {
    /// Contact's bare JID.
    pub jid: BareJid,
    /// Display name.
    pub name: Option<String>,
    /// Subscription state.
    pub subscription: Subscription,
    /// We asked to see their presence and wait for an answer.
    pub ask_subscribe: bool,
    /// Groups.
    pub groups: Vec<String>,
}

impl From<Item> for Contact {
    fn from(item: Item) -> Self {
        Self {
            jid: item.jid,
            name: item.name.filter(|n| !n.is_empty()),
            subscription: item.subscription,
            ask_subscribe: item.ask == Ask::Subscribe,
            groups: item.groups.into_iter().map(|g| g.0).collect(),
        }
    }
}

/// The answer to a roster get.
#[derive(Clone, Debug, PartialEq)]
pub enum RosterResult {
    /// The full roster.
    Full {
        /// Version to store.
        version: Option<String>,
        /// All contacts.
        contacts: Vec<Contact>,
    },
    /// Our stored version is current; changes follow as pushes.
    Unchanged,
}

/// A roster get, announcing the version we have (empty string when none but
/// the server supports versioning).
pub fn get(version: Option<&str>) -> Roster {
    Roster {
        ver: version.map(str::to_owned),
        items: vec![],
    }
}

/// A roster set adding or changing one contact.
pub fn set(jid: BareJid, name: Option<String>, groups: Vec<String>) -> Roster {
    Roster {
        ver: None,
        items: vec![Item {
            jid,
            name,
            subscription: Subscription::None,
            ask: Ask::None,
            groups: groups.into_iter().map(Group).collect(),
            approved: None,
        }],
    }
}

/// A roster set removing a contact.
pub fn remove(jid: BareJid) -> Roster {
    Roster {
        ver: None,
        items: vec![Item {
            jid,
            name: None,
            subscription: Subscription::Remove,
            ask: Ask::None,
            groups: vec![],
            approved: None,
        }],
    }
}

/// Whether a roster push comes from our own account: no `from`, or our bare
/// JID (RFC 6121 §2.1.6; anything else, even one of our own resources, is a
/// forgery and is ignored).
pub fn push_is_authentic(own: &BareJid, from: Option<&Jid>) -> bool {
    match from {
        None => true,
        Some(from) => from.resource().is_none() && from.to_bare() == *own,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pushes_only_from_own_account() {
        let own = BareJid::new("me@example.org").expect("jid");
        assert!(push_is_authentic(&own, None));
        assert!(push_is_authentic(
            &own,
            Some(&Jid::new("me@example.org").expect("jid"))
        ));
        assert!(!push_is_authentic(
            &own,
            Some(&Jid::new("me@example.org/r").expect("jid"))
        ));
        assert!(!push_is_authentic(
            &own,
            Some(&Jid::new("example.org").expect("jid"))
        ));
        assert!(!push_is_authentic(
            &own,
            Some(&Jid::new("evil@example.org").expect("jid"))
        ));
    }

    #[test]
    fn items_convert() {
        let roster: Roster = "<query xmlns='jabber:iq:roster' ver='v2'><item jid='a@b' name='' subscription='to' ask='subscribe'><group>G</group></item></query>"
            .parse::<xmpp_parsers::minidom::Element>()
            .expect("xml")
            .try_into()
            .expect("roster");
        let contact = Contact::from(roster.items[0].clone());
        assert_eq!(contact.name, None);
        assert!(contact.ask_subscribe);
        assert_eq!(contact.subscription, Subscription::To);
        assert_eq!(contact.groups, vec!["G".to_string()]);
    }
}
