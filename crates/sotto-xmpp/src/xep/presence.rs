// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! Presence and subscriptions (RFC 6121 §3–4), with our entity caps (XEP-0115).

use xmpp_parsers::jid::{BareJid, Jid};
use xmpp_parsers::presence::{Presence, Show, Type};

use super::disco;

/// A presence change of someone else.
#[derive(Clone, Debug, PartialEq)]
pub enum PresenceUpdate {
    /// A resource became available or changed its show/status.
    Available {
        /// Full JID.
        from: Jid,
        /// Show value.
        show: Option<Show>,
        /// Status text.
        status: Option<String>,
    },
    /// A resource went offline.
    Unavailable {
        /// Full (or bare) JID.
        from: Jid,
        /// Status text.
        status: Option<String>,
    },
    /// Someone asks to see our presence.
    SubscriptionRequest {
        /// Their bare JID.
        from: BareJid,
    },
    /// Someone approved our request.
    Subscribed {
        /// Their bare JID.
        from: BareJid,
    },
    /// Someone denied or revoked our subscription.
    Unsubscribed {
        /// Their bare JID.
        from: BareJid,
    },
}

/// Interprets an incoming presence; `None` for what we do not act on.
pub fn interpret(presence: &Presence) -> Option<PresenceUpdate> {
    let from = presence.from.clone()?;
    let status = presence.statuses.values().next().cloned();
    Some(match presence.type_ {
        Type::None => PresenceUpdate::Available {
            from,
            show: presence.show.clone(),
            status,
        },
        Type::Unavailable => PresenceUpdate::Unavailable { from, status },
        Type::Subscribe => PresenceUpdate::SubscriptionRequest {
            from: from.to_bare(),
        },
        Type::Subscribed => PresenceUpdate::Subscribed {
            from: from.to_bare(),
        },
        Type::Unsubscribed => PresenceUpdate::Unsubscribed {
            from: from.to_bare(),
        },
        Type::Probe | Type::Error | Type::Unsubscribe => return None,
    })
}

/// Our own presence broadcast, carrying entity caps.
pub fn own(show: Option<Show>, status: Option<&str>, unavailable: bool) -> Presence {
    if unavailable {
        let mut presence = Presence::new(Type::Unavailable);
        if let Some(status) = status {
            presence.set_status(String::new(), status.to_owned());
        }
        return presence;
    }
    let mut presence = Presence::new(Type::None).with_payload(disco::caps());
    presence.show = show;
    if let Some(status) = status {
        presence.set_status(String::new(), status.to_owned());
    }
    presence
}

/// A subscription-related presence to a contact.
pub fn subscription(to: BareJid, type_: Type) -> Presence {
    Presence::new(type_).with_to(to)
}
