// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! Entry points for the fuzz targets in `fuzz/` (cargo feature `fuzzing`).
//!
//! The protobuf framing of ratchet and key exchange messages is
//! crate-private and, through [`decrypt`](crate::decrypt), only reached
//! after a key lookup; these functions run the same parsers directly so the
//! fuzzer spends its time on them. Not for applications.

use crate::{Namespace, wire};

/// Parses `bytes` as a key exchange message (`PreKeySignalMessage` or
/// `OMEMOKeyExchange`) and its inner ratchet message, and as a ratchet
/// message on its own (`SignalMessage` or `OMEMOAuthenticatedMessage`).
pub fn messages(namespace: Namespace, bytes: &[u8]) {
    if let Ok((_, inner)) = wire::unwrap_key_exchange(namespace, bytes) {
        let _ = wire::parse(namespace, &inner);
    }
    let _ = wire::parse(namespace, bytes);
}
