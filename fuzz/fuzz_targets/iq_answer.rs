// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! Payloads of IQ answers the session reads: PEP items (device lists and
//! bundles of both namespaces, picked as the session picks them) and disco
//! info (server features, the upload service).

#![no_main]

use sotto_xmpp::Jid;
use sotto_xmpp::session::{ServerFeatures, upload_service_of};
use sotto_xmpp::xep::omemo::{Bundle, DeviceList, Namespace};
use sotto_xmpp::xep::pep;
use xmpp_parsers::disco::DiscoInfoResult;
use xmpp_parsers::minidom::Element;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(element) = text.parse::<Element>() else {
        return;
    };
    for namespace in [Namespace::Legacy, Namespace::V2] {
        let node = namespace.device_list_node();
        if let Ok(items) = pep::parse_items(Some(element.clone()), node)
            && let Some(payload) = pep::pick(&items, DeviceList::ITEM_ID)
        {
            let _ = DeviceList::parse(payload, namespace);
        }
        let node = namespace.bundle_node(1);
        if let Ok(items) = pep::parse_items(Some(element.clone()), &node) {
            for payload in items.iter().filter_map(|item| item.payload.as_ref()) {
                let _ = Bundle::parse(payload, namespace);
            }
        }
    }
    let _ = pep::notification(std::slice::from_ref(&element));
    if let Ok(info) = DiscoInfoResult::try_from(element) {
        let _ = ServerFeatures::from_disco(&info, &info);
        let _ = ServerFeatures::only_older_mam(&info, &info);
        if let Ok(jid) = "upload.example.org".parse::<Jid>() {
            let _ = upload_service_of(jid, &info);
        }
    }
});
