// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! The duplicate rule of [`crate::MessageStore::insert_messages`], shared by
//! both stores so their semantics cannot drift apart.

use crate::{MessageRecord, NewMessage, RoomMessageKind, RoomSender};

/// The message with empty ids turned into `None`.
pub(crate) fn normalized(msg: &NewMessage) -> NewMessage {
    let clean = |id: &Option<String>| id.clone().filter(|s| !s.is_empty());
    NewMessage {
        message_id: clean(&msg.message_id),
        origin_id: clean(&msg.origin_id),
        stanza_id: clean(&msg.stanza_id),
        room: msg.room.as_ref().map(|r| RoomSender {
            real_jid: clean(&r.real_jid),
            occupant_id: clean(&r.occupant_id),
            ..r.clone()
        }),
        ..msg.clone()
    }
}

/// The stored record of a new message.
pub(crate) fn record(id: i64, account: &str, msg: NewMessage) -> MessageRecord {
    MessageRecord {
        id,
        account: account.to_owned(),
        peer: msg.peer,
        direction: msg.direction,
        body: msg.body,
        timestamp_ms: msg.timestamp_ms,
        message_id: msg.message_id,
        origin_id: msg.origin_id,
        stanza_id: msg.stanza_id,
        state: msg.state,
        encryption: msg.encryption,
        sender_device: msg.sender_device,
        room: msg.room,
    }
}

fn conflict(a: &Option<String>, b: &Option<String>) -> bool {
    matches!((a, b), (Some(a), Some(b)) if a != b)
}

/// The archive whose stanza-id a message carries: the room's (keyed by the
/// room JID) for a groupchat message, our own server's (`None`) otherwise.
/// Stanza-ids are unique only within one archive, and servers that number
/// by time (ejabberd) make clashes between archives likely.
fn archive<'a>(peer: &'a str, room: Option<&RoomSender>) -> Option<&'a str> {
    matches!(room.map(|r| r.kind), Some(RoomMessageKind::Groupchat)).then_some(peer)
}

/// Whether two messages of the same conversation come from the same sender
/// as far as the room tells: both one-to-one, or both room messages of the
/// same kind by the same occupant — the same occupant-id when both have
/// one (it survives nickname changes and tells apart two people who used
/// the same nickname), the same nickname otherwise.
fn same_sender(a: Option<&RoomSender>, b: Option<&RoomSender>) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(a), Some(b)) => {
            a.kind == b.kind
                && match (&a.occupant_id, &b.occupant_id) {
                    (Some(x), Some(y)) => x == y,
                    _ => a.nick == b.nick,
                }
        }
        _ => false,
    }
}

/// Which stored message (of the same account, oldest first) `msg` duplicates.
/// `msg` must be [`normalized`]. Candidates may include unrelated messages.
pub(crate) fn duplicate_of<'a>(
    msg: &NewMessage,
    candidates: &'a [MessageRecord],
) -> Option<&'a MessageRecord> {
    let msg_archive = archive(&msg.peer, msg.room.as_ref());
    if let Some(sid) = &msg.stanza_id
        && let Some(m) = candidates.iter().find(|m| {
            m.stanza_id.as_ref() == Some(sid) && archive(&m.peer, m.room.as_ref()) == msg_archive
        })
    {
        return Some(m);
    }
    if let Some(oid) = &msg.origin_id
        && let Some(m) = candidates.iter().find(|m| {
            m.peer == msg.peer
                && m.origin_id.as_ref() == Some(oid)
                && same_sender(m.room.as_ref(), msg.room.as_ref())
        })
    {
        return Some(m);
    }
    let mid = msg.message_id.as_ref()?;
    candidates.iter().find(|m| {
        m.peer == msg.peer
            && m.direction == msg.direction
            && m.message_id.as_ref() == Some(mid)
            && m.body == msg.body
            && same_sender(m.room.as_ref(), msg.room.as_ref())
            && !conflict(&m.stanza_id, &msg.stanza_id)
            && !conflict(&m.origin_id, &msg.origin_id)
    })
}

/// The stored message with what it lacks filled in from its duplicate
/// `msg` (ids, and a room sender's real JID and occupant-id), or `None`
/// when nothing changes.
pub(crate) fn filled(stored: &MessageRecord, msg: &NewMessage) -> Option<MessageRecord> {
    let mut out = stored.clone();
    let mut changed = false;
    let mut fill = |have: &mut Option<String>, new: &Option<String>| {
        if have.is_none() && new.is_some() {
            have.clone_from(new);
            changed = true;
        }
    };
    fill(&mut out.stanza_id, &msg.stanza_id);
    fill(&mut out.origin_id, &msg.origin_id);
    fill(&mut out.message_id, &msg.message_id);
    if let (Some(have), Some(new)) = (out.room.as_mut(), msg.room.as_ref()) {
        fill(&mut have.real_jid, &new.real_jid);
        fill(&mut have.occupant_id, &new.occupant_id);
    }
    changed.then_some(out)
}
