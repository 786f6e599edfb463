-- This Source Code Form is subject to the terms of the Mozilla Public
-- License, v. 2.0. If a copy of the MPL was not distributed with this
-- file, You can obtain one at http://mozilla.org/MPL/2.0/.

-- Whether a conversation ever used end-to-end encryption decides whether
-- "Automatic" may send in plaintext (never, once it has). The question is
-- asked before every automatic send: answered from this index without
-- walking a long plaintext history.
CREATE INDEX messages_encrypted ON messages (account, peer, id) WHERE encryption <> 'plain';
