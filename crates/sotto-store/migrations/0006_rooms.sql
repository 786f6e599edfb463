-- This Source Code Form is subject to the terms of the Mozilla Public
-- License, v. 2.0. If a copy of the MPL was not distributed with this
-- file, You can obtain one at http://mozilla.org/MPL/2.0/.

-- Schema 6: group chats (XEP-0045 rooms, XEP-0402 bookmarks). See
-- src/sql/rooms.rs and docs/storage.md.

-- The rooms of each account: bookmark data, what disco#info told us of the
-- configuration (NULL = not known), the subject and the cursor into the
-- room's own MAM archive (rooms archive their messages themselves, so the
-- account's cursor in account_sync does not cover them).
CREATE TABLE rooms (
    account TEXT NOT NULL REFERENCES accounts(jid) ON DELETE CASCADE,
    jid TEXT NOT NULL,
    name TEXT,
    nick TEXT NOT NULL,
    -- Only ever inside the encrypted database, like account passwords.
    password TEXT,
    autojoin INTEGER NOT NULL CHECK (autojoin IN (0, 1)),
    bookmarked INTEGER NOT NULL CHECK (bookmarked IN (0, 1)),
    members_only INTEGER CHECK (members_only IN (0, 1)),
    non_anonymous INTEGER CHECK (non_anonymous IN (0, 1)),
    persistent INTEGER CHECK (persistent IN (0, 1)),
    subject TEXT,
    archive_cursor TEXT,
    PRIMARY KEY (account, jid)
) STRICT, WITHOUT ROWID;

-- Members by real bare JID (from affiliation lists and presence): OMEMO in
-- a room encrypts to every member, offline ones included. Occupants present
-- right now are runtime state and not stored.
CREATE TABLE room_members (
    account TEXT NOT NULL,
    room TEXT NOT NULL,
    jid TEXT NOT NULL,
    affiliation TEXT NOT NULL
        CHECK (affiliation IN ('owner', 'admin', 'member', 'outcast', 'none')),
    nick TEXT,
    PRIMARY KEY (account, room, jid),
    FOREIGN KEY (account, room) REFERENCES rooms (account, jid) ON DELETE CASCADE
) STRICT, WITHOUT ROWID;

-- Room messages are messages whose peer is the room JID. These columns are
-- all NULL for one-to-one messages (and every message stored before this
-- version); for a room message the kind and the occupant's nickname are set.
ALTER TABLE messages ADD COLUMN room_kind TEXT
    CHECK (room_kind IN ('groupchat', 'private'));
ALTER TABLE messages ADD COLUMN room_nick TEXT
    CHECK ((room_nick IS NULL) = (room_kind IS NULL));
ALTER TABLE messages ADD COLUMN room_real_jid TEXT
    CHECK (room_real_jid IS NULL OR room_kind IS NOT NULL);
ALTER TABLE messages ADD COLUMN room_occupant_id TEXT
    CHECK (room_occupant_id IS NULL OR room_kind IS NOT NULL);
