-- This Source Code Form is subject to the terms of the Mozilla Public
-- License, v. 2.0. If a copy of the MPL was not distributed with this
-- file, You can obtain one at http://mozilla.org/MPL/2.0/.

-- OTR state that outlives a session. OTR sessions themselves are ephemeral
-- by design and never stored.

-- The account's long-term OTR identity: the DSA private key in the engine's
-- own encoding (the database is encrypted as a whole) and the v3 instance
-- tag, which stays the same across restarts like libotr's.
CREATE TABLE otr_identities (
    account TEXT PRIMARY KEY REFERENCES accounts(jid) ON DELETE CASCADE,
    private_key BLOB NOT NULL,
    instance_tag INTEGER NOT NULL
) STRICT;

-- Fingerprints of contacts' OTR keys, as seen or imported, with the user's
-- trust decision. A contact may have several (several clients, or a key
-- that changed).
CREATE TABLE otr_fingerprints (
    account TEXT NOT NULL REFERENCES accounts(jid) ON DELETE CASCADE,
    contact TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    trust TEXT NOT NULL CHECK (trust IN ('unverified', 'fingerprint', 'smp')),
    first_seen_ms INTEGER NOT NULL,
    PRIMARY KEY (account, contact, fingerprint)
) STRICT, WITHOUT ROWID;
