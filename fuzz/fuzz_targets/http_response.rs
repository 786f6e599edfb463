// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! The download's answer reader over an in-memory answer: status line,
//! headers, and a body read by Content-Length, chunked, or to the end.

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = sotto_xmpp::http::fuzzing::get_answer(data, 1 << 20);
});
