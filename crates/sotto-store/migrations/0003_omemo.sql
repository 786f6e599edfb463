-- This Source Code Form is subject to the terms of the Mozilla Public
-- License, v. 2.0. If a copy of the MPL was not distributed with this
-- file, You can obtain one at http://mozilla.org/MPL/2.0/.

-- Schema 3: OMEMO state per account (sotto-omemo's store traits; see
-- src/sql/omemo.rs). Key material is stored as BLOBs in the engine's own
-- encoding: the database is encrypted as a whole and nothing is written
-- anywhere else. Every table cascades from accounts, so removing an account
-- removes its OMEMO data.

-- Our own device: its id and the identity key pair's seed.
CREATE TABLE omemo_own_devices (
    account TEXT PRIMARY KEY REFERENCES accounts(jid) ON DELETE CASCADE,
    device_id INTEGER NOT NULL,
    identity_seed BLOB NOT NULL CHECK (length(identity_seed) = 32)
) STRICT;

-- One-time prekeys (private key; the public one is derived).
CREATE TABLE omemo_prekeys (
    account TEXT NOT NULL REFERENCES accounts(jid) ON DELETE CASCADE,
    id INTEGER NOT NULL,
    private_key BLOB NOT NULL CHECK (length(private_key) = 32),
    PRIMARY KEY (account, id)
) STRICT, WITHOUT ROWID;

-- Signed prekeys; signatures are recomputed from the identity.
CREATE TABLE omemo_signed_prekeys (
    account TEXT NOT NULL REFERENCES accounts(jid) ON DELETE CASCADE,
    id INTEGER NOT NULL,
    private_key BLOB NOT NULL CHECK (length(private_key) = 32),
    created_at INTEGER NOT NULL,
    PRIMARY KEY (account, id)
) STRICT, WITHOUT ROWID;

-- Double Ratchet sessions in the engine's storage encoding (Session::to_bytes).
CREATE TABLE omemo_sessions (
    account TEXT NOT NULL REFERENCES accounts(jid) ON DELETE CASCADE,
    namespace TEXT NOT NULL CHECK (namespace IN ('legacy', 'omemo2')),
    jid TEXT NOT NULL,
    device_id INTEGER NOT NULL,
    record BLOB NOT NULL,
    PRIMARY KEY (account, namespace, jid, device_id)
) STRICT, WITHOUT ROWID;

-- Known device lists, per namespace and bare JID (ours included).
CREATE TABLE omemo_devices (
    account TEXT NOT NULL REFERENCES accounts(jid) ON DELETE CASCADE,
    namespace TEXT NOT NULL CHECK (namespace IN ('legacy', 'omemo2')),
    jid TEXT NOT NULL,
    device_id INTEGER NOT NULL,
    active INTEGER NOT NULL CHECK (active IN (0, 1)),
    label TEXT,
    PRIMARY KEY (account, namespace, jid, device_id)
) STRICT, WITHOUT ROWID;

-- Trust decisions per bare JID and identity key (Curve25519 form).
CREATE TABLE omemo_trust (
    account TEXT NOT NULL REFERENCES accounts(jid) ON DELETE CASCADE,
    jid TEXT NOT NULL,
    identity BLOB NOT NULL CHECK (length(identity) = 32),
    trust TEXT NOT NULL CHECK (trust IN ('undecided', 'blind', 'verified', 'distrusted')),
    PRIMARY KEY (account, jid, identity)
) STRICT, WITHOUT ROWID;
