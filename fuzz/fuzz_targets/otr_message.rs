// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! A received body through OTR's classification and, for `?OTR:`
//! messages, base64 and the binary decoding of every message type.

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    sotto_otr::fuzzing::message(&String::from_utf8_lossy(data));
});
