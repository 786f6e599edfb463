// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! The duplicate rule of [`crate::MessageStore::insert_messages`], shared by
//! both stores so their semantics cannot drift apart.

use crate::{MessageRecord, NewMessage};

/// The message with empty ids turned into `None`.
pub(crate) fn normalized(msg: &NewMessage) -> NewMessage {
    let clean = |id: &Option<String>| id.clone().filter(|s| !s.is_empty());
    NewMessage {
        message_id: clean(&msg.message_id),
        origin_id: clean(&msg.origin_id),
        stanza_id: clean(&msg.stanza_id),
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
    }
}

fn conflict(a: &Option<String>, b: &Option<String>) -> bool {
    matches!((a, b), (Some(a), Some(b)) if a != b)
}

/// Which stored message (of the same account, oldest first) `msg` duplicates.
/// `msg` must be [`normalized`]. Candidates may include unrelated messages.
pub(crate) fn duplicate_of<'a>(
    msg: &NewMessage,
    candidates: &'a [MessageRecord],
) -> Option<&'a MessageRecord> {
    if let Some(sid) = &msg.stanza_id
        && let Some(m) = candidates
            .iter()
            .find(|m| m.stanza_id.as_ref() == Some(sid))
    {
        return Some(m);
    }
    if let Some(oid) = &msg.origin_id
        && let Some(m) = candidates
            .iter()
            .find(|m| m.peer == msg.peer && m.origin_id.as_ref() == Some(oid))
    {
        return Some(m);
    }
    let mid = msg.message_id.as_ref()?;
    candidates.iter().find(|m| {
        m.peer == msg.peer
            && m.direction == msg.direction
            && m.message_id.as_ref() == Some(mid)
            && m.body == msg.body
            && !conflict(&m.stanza_id, &msg.stanza_id)
            && !conflict(&m.origin_id, &msg.origin_id)
    })
}

/// The stored message with the ids it lacks filled in from its duplicate
/// `msg`, or `None` when nothing changes.
pub(crate) fn filled(stored: &MessageRecord, msg: &NewMessage) -> Option<MessageRecord> {
    let mut out = stored.clone();
    let mut changed = false;
    for (have, new) in [
        (&mut out.stanza_id, &msg.stanza_id),
        (&mut out.origin_id, &msg.origin_id),
        (&mut out.message_id, &msg.message_id),
    ] {
        if have.is_none() && new.is_some() {
            have.clone_from(new);
            changed = true;
        }
    }
    changed.then_some(out)
}
