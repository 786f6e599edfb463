-- This Source Code Form is subject to the terms of the Mozilla Public
-- License, v. 2.0. If a copy of the MPL was not distributed with this
-- file, You can obtain one at http://mozilla.org/MPL/2.0/.

-- Schema 1: accounts, rosters, messages (+ FTS5 index), sync state, settings.
-- Run inside one transaction by the migration runner; see NOTES.md.

CREATE TABLE accounts (
    -- Rowid gives the "order first added"; jid is the public key.
    id INTEGER PRIMARY KEY,
    jid TEXT NOT NULL UNIQUE,
    -- AccountSettings minus jid, as JSON, so new optional settings need no migration.
    settings TEXT NOT NULL,
    password TEXT NOT NULL
) STRICT;

-- Per-account protocol sync state: roster version and MAM archive cursor.
CREATE TABLE account_sync (
    account TEXT PRIMARY KEY REFERENCES accounts(jid) ON DELETE CASCADE,
    roster_version TEXT,
    archive_cursor TEXT
) STRICT;

CREATE TABLE roster_items (
    account TEXT NOT NULL REFERENCES accounts(jid) ON DELETE CASCADE,
    jid TEXT NOT NULL,
    name TEXT,
    subscription TEXT NOT NULL CHECK (subscription IN ('none', 'to', 'from', 'both')),
    ask_subscribe INTEGER NOT NULL CHECK (ask_subscribe IN (0, 1)),
    groups_json TEXT NOT NULL,
    PRIMARY KEY (account, jid)
) STRICT, WITHOUT ROWID;

CREATE TABLE messages (
    -- AUTOINCREMENT: ids are never reused, even after an account is removed.
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    account TEXT NOT NULL REFERENCES accounts(jid) ON DELETE CASCADE,
    peer TEXT NOT NULL,
    direction TEXT NOT NULL CHECK (direction IN ('incoming', 'outgoing')),
    body TEXT NOT NULL,
    timestamp_ms INTEGER NOT NULL,
    message_id TEXT,
    origin_id TEXT,
    stanza_id TEXT,
    state TEXT NOT NULL,
    encryption TEXT NOT NULL
) STRICT;

-- Dedup lookups (insert_messages) and receipt lookups (find_outgoing).
CREATE INDEX messages_stanza_id ON messages (account, stanza_id) WHERE stanza_id IS NOT NULL;
CREATE INDEX messages_origin_id ON messages (account, peer, origin_id) WHERE origin_id IS NOT NULL;
CREATE INDEX messages_message_id ON messages (account, peer, message_id) WHERE message_id IS NOT NULL;
-- History paging by id, counting, and conversations.
CREATE INDEX messages_history ON messages (account, peer, id);
CREATE INDEX messages_recent ON messages (account, peer, timestamp_ms, id);
-- The outbox is small; index only what is in it.
CREATE INDEX messages_outbox ON messages (account, id) WHERE state = 'queued' AND direction = 'outgoing';

-- External-content full-text index over bodies. remove_diacritics 0 keeps the
-- tokenizer simple enough for MemoryStore to mirror exactly.
CREATE VIRTUAL TABLE messages_fts USING fts5 (
    body,
    content = 'messages',
    content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 0'
);

CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN
    INSERT INTO messages_fts (rowid, body) VALUES (new.id, new.body);
END;
CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, body) VALUES ('delete', old.id, old.body);
END;
CREATE TRIGGER messages_fts_update AFTER UPDATE OF body ON messages BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, body) VALUES ('delete', old.id, old.body);
    INSERT INTO messages_fts (rowid, body) VALUES (new.id, new.body);
END;

CREATE TABLE settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT, WITHOUT ROWID;
