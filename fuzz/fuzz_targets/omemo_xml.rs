// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! OMEMO XML of both namespaces: `<encrypted>` elements with their keys,
//! device lists and bundles (then read by the engine, as the core does).

#![no_main]

use sotto_xmpp::xep::omemo::{Bundle, DeviceList, Encrypted, Namespace};
use xmpp_parsers::minidom::Element;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(element) = text.parse::<Element>() else {
        return;
    };
    let _ = Encrypted::parse(&element);
    let _ = sotto_xmpp::xep::omemo::find_all_encrypted(std::slice::from_ref(&element));
    for (namespace, engine) in [
        (Namespace::Legacy, sotto_omemo::Namespace::Legacy),
        (Namespace::V2, sotto_omemo::Namespace::Omemo2),
    ] {
        let _ = DeviceList::parse(&element, namespace);
        if let Ok(bundle) = Bundle::parse(&element, namespace) {
            let _ = sotto_omemo::Bundle::from_wire(
                engine,
                1,
                &bundle.identity_key,
                bundle.signed_prekey_id,
                &bundle.signed_prekey,
                &bundle.signature,
                &bundle.prekeys,
            );
        }
    }
});
