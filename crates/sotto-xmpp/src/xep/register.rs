// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! In-band registration and password change (XEP-0077).

use xmpp_parsers::ibr::LegacyQuery;

/// A registration or password-change request.
pub fn request(username: &str, password: &str) -> LegacyQuery {
    LegacyQuery {
        username: Some(username.to_owned()),
        password: Some(password.to_owned()),
        ..LegacyQuery::default()
    }
}
