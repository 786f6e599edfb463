// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! A decrypted data-message plaintext through TLV splitting and the SMP
//! state machine's reading of each TLV.

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    sotto_otr::fuzzing::tlvs(data, &mut sotto_fuzz::rng(3));
});
