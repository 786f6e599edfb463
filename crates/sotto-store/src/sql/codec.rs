// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! How enums are spelled in the database (the same names serde uses).

use crate::{
    Affiliation, Direction, Encryption, MessageState, Result, RoomMessageKind, StoreError,
    Subscription,
};

fn corrupt(what: &str, value: &str) -> StoreError {
    StoreError::Corrupt(format!("unknown {what} {value:?} in the database"))
}

pub(crate) fn direction(d: Direction) -> &'static str {
    match d {
        Direction::Incoming => "incoming",
        Direction::Outgoing => "outgoing",
    }
}

pub(crate) fn parse_direction(s: &str) -> Result<Direction> {
    match s {
        "incoming" => Ok(Direction::Incoming),
        "outgoing" => Ok(Direction::Outgoing),
        _ => Err(corrupt("message direction", s)),
    }
}

pub(crate) fn state(s: MessageState) -> &'static str {
    match s {
        MessageState::Queued => "queued",
        MessageState::Sent => "sent",
        MessageState::Acked => "acked",
        MessageState::Delivered => "delivered",
        MessageState::Failed => "failed",
        MessageState::Received => "received",
    }
}

pub(crate) fn parse_state(s: &str) -> Result<MessageState> {
    Ok(match s {
        "queued" => MessageState::Queued,
        "sent" => MessageState::Sent,
        "acked" => MessageState::Acked,
        "delivered" => MessageState::Delivered,
        "failed" => MessageState::Failed,
        "received" => MessageState::Received,
        _ => return Err(corrupt("message state", s)),
    })
}

pub(crate) fn encryption(e: Encryption) -> &'static str {
    match e {
        Encryption::Plain => "plain",
        Encryption::Otr => "otr",
        Encryption::Omemo => "omemo",
    }
}

pub(crate) fn parse_encryption(s: &str) -> Result<Encryption> {
    match s {
        "plain" => Ok(Encryption::Plain),
        "otr" => Ok(Encryption::Otr),
        "omemo" => Ok(Encryption::Omemo),
        _ => Err(corrupt("message encryption", s)),
    }
}

pub(crate) fn subscription(s: Subscription) -> &'static str {
    match s {
        Subscription::None => "none",
        Subscription::To => "to",
        Subscription::From => "from",
        Subscription::Both => "both",
    }
}

pub(crate) fn parse_subscription(s: &str) -> Result<Subscription> {
    Ok(match s {
        "none" => Subscription::None,
        "to" => Subscription::To,
        "from" => Subscription::From,
        "both" => Subscription::Both,
        _ => return Err(corrupt("roster subscription", s)),
    })
}

pub(crate) fn room_kind(k: RoomMessageKind) -> &'static str {
    match k {
        RoomMessageKind::Groupchat => "groupchat",
        RoomMessageKind::Private => "private",
    }
}

pub(crate) fn parse_room_kind(s: &str) -> Result<RoomMessageKind> {
    match s {
        "groupchat" => Ok(RoomMessageKind::Groupchat),
        "private" => Ok(RoomMessageKind::Private),
        _ => Err(corrupt("room message kind", s)),
    }
}

pub(crate) fn affiliation(a: Affiliation) -> &'static str {
    match a {
        Affiliation::Owner => "owner",
        Affiliation::Admin => "admin",
        Affiliation::Member => "member",
        Affiliation::Outcast => "outcast",
        Affiliation::None => "none",
    }
}

pub(crate) fn parse_affiliation(s: &str) -> Result<Affiliation> {
    Ok(match s {
        "owner" => Affiliation::Owner,
        "admin" => Affiliation::Admin,
        "member" => Affiliation::Member,
        "outcast" => Affiliation::Outcast,
        "none" => Affiliation::None,
        _ => return Err(corrupt("room affiliation", s)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The database spelling must stay the serde spelling.
    #[test]
    fn names_match_serde() {
        for s in [
            MessageState::Queued,
            MessageState::Sent,
            MessageState::Acked,
            MessageState::Delivered,
            MessageState::Failed,
            MessageState::Received,
        ] {
            assert_eq!(serde_json::to_value(s).unwrap(), state(s));
            assert_eq!(parse_state(state(s)).unwrap(), s);
        }
        for d in [Direction::Incoming, Direction::Outgoing] {
            assert_eq!(serde_json::to_value(d).unwrap(), direction(d));
            assert_eq!(parse_direction(direction(d)).unwrap(), d);
        }
        for s in [
            Subscription::None,
            Subscription::To,
            Subscription::From,
            Subscription::Both,
        ] {
            assert_eq!(serde_json::to_value(s).unwrap(), subscription(s));
            assert_eq!(parse_subscription(subscription(s)).unwrap(), s);
        }
        for e in [Encryption::Plain, Encryption::Otr, Encryption::Omemo] {
            assert_eq!(serde_json::to_value(e).unwrap(), encryption(e));
            assert_eq!(parse_encryption(encryption(e)).unwrap(), e);
        }
        for k in [RoomMessageKind::Groupchat, RoomMessageKind::Private] {
            assert_eq!(serde_json::to_value(k).unwrap(), room_kind(k));
            assert_eq!(parse_room_kind(room_kind(k)).unwrap(), k);
        }
        for a in [
            Affiliation::Owner,
            Affiliation::Admin,
            Affiliation::Member,
            Affiliation::Outcast,
            Affiliation::None,
        ] {
            assert_eq!(serde_json::to_value(a).unwrap(), affiliation(a));
            assert_eq!(parse_affiliation(affiliation(a)).unwrap(), a);
        }
        assert!(parse_state("bogus").is_err());
        assert!(parse_room_kind("chat").is_err());
    }
}
