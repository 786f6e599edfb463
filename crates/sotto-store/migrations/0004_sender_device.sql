-- This Source Code Form is subject to the terms of the Mozilla Public
-- License, v. 2.0. If a copy of the MPL was not distributed with this
-- file, You can obtain one at http://mozilla.org/MPL/2.0/.

-- The OMEMO device an encrypted message came from (NULL for everything
-- else, and for messages stored before this version).
ALTER TABLE messages ADD COLUMN sender_device INTEGER;
