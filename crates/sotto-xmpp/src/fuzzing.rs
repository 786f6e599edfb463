// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! Entry points for the fuzz targets in `fuzz/` (cargo feature `fuzzing`):
//! what a session does with a received stanza, which lives in its private
//! stream task. Not an API.

use xmpp_parsers::jid::{BareJid, FullJid};
use xmpp_parsers::minidom::Element;
use xmpp_parsers::stanza::Stanza;

use crate::session::driver_fuzzing::{OPEN_QUERY, PENDING_IQ};

/// The id of the one IQ request a fuzzed session waits for.
pub const PENDING_IQ_ID: &str = PENDING_IQ;
/// The query id of the one archive query a fuzzed session has open.
pub const OPEN_MAM_QUERY: &str = OPEN_QUERY;

/// Parses `xml` as a stanza and hands it to the session's dispatch (message
/// classification and parsing, PEP notifications, archive results, IQ
/// requests and answers, presence) for the account `own`, bound as `bound`.
/// Returns how many events and replies it produced, or `None` when `xml` is
/// not an element or not a stanza.
pub fn incoming_stanza(own: &BareJid, bound: &FullJid, xml: &[u8]) -> Option<usize> {
    let text = std::str::from_utf8(xml).ok()?;
    let element: Element = text.parse().ok()?;
    let stanza: Stanza = xso::transform(&element).ok()?;
    Some(crate::session::driver_fuzzing::dispatch(own, bound, stanza))
}
