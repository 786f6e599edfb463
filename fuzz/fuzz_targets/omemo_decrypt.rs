// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! A received `<encrypted>` element (key data, IV, payload: see
//! `sotto_fuzz::decode_omemo_input`) decrypted by Bob's device with the
//! engine's public `decrypt`, with or without his session with Alice;
//! OMEMO 2 plaintexts then go through the SCE envelope parser, as the core
//! does. Each run starts from the same stored state (`decrypt` returns the
//! new session instead of changing the old).

#![no_main]

use sotto_omemo::{Limits, Namespace};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Some(fixture) = sotto_fuzz::omemo() else {
        return;
    };
    let Some((message, with_session)) =
        sotto_fuzz::decode_omemo_input(data, fixture.device.device_id)
    else {
        return;
    };
    let index = usize::from(message.namespace == Namespace::Omemo2);
    let session = with_session.then(|| &fixture.sessions[index]);
    let result = sotto_omemo::decrypt(
        &fixture.device.identity,
        sotto_fuzz::BOB,
        fixture.device.device_id,
        &message,
        session,
        &fixture.store,
        1_800_000_000,
        &Limits::default(),
        &mut sotto_fuzz::rng(5),
    );
    if let Ok(decrypted) = result
        && message.namespace == Namespace::Omemo2
        && let Some(plain) = decrypted.plaintext
    {
        let _ = sotto_xmpp::xep::sce::parse(&plain);
    }
});
