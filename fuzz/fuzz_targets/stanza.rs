// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! Raw XML parsed into a minidom element, then into a stanza, then through
//! the session's dispatch: message classification and parsing (carbons,
//! archive results, OMEMO elements, receipts, chat states), PEP device-list
//! notifications, IQ requests (roster and block-list pushes, disco, ping,
//! version) and answers, presence.

#![no_main]

use std::sync::OnceLock;

use sotto_xmpp::{BareJid, FullJid};

fn own() -> Option<&'static (BareJid, FullJid)> {
    static OWN: OnceLock<Option<(BareJid, FullJid)>> = OnceLock::new();
    OWN.get_or_init(|| {
        let full: FullJid = "me@example.org/sotto".parse().ok()?;
        Some((full.to_bare(), full))
    })
    .as_ref()
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Some((bare, full)) = own() {
        let _ = sotto_xmpp::fuzzing::incoming_stanza(bare, full, data);
    }
});
