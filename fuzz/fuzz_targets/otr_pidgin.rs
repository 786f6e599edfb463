// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! Pidgin/libotr files: `otr.private_key` (S-expressions, raw bytes) and
//! `otr.fingerprints` (tab-separated text). Imported files come from
//! elsewhere, so they are treated as hostile input too.

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = sotto_otr::parse_private_keys(data);
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = sotto_otr::parse_fingerprints(text);
    }
});
