// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! Lines of received bodies through fragment parsing and reassembly (v2
//! and v3 fragments, one stream per sender instance).

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    sotto_otr::fuzzing::fragments(&String::from_utf8_lossy(data));
});
