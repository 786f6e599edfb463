// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! Ratchet and key exchange messages (protobuf) of both namespaces:
//! `PreKeySignalMessage`/`SignalMessage` and `OMEMOKeyExchange`/
//! `OMEMOAuthenticatedMessage`/`OMEMOMessage`.

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    for namespace in sotto_fuzz::NAMESPACES {
        sotto_omemo::fuzzing::messages(namespace, data);
    }
});
