// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! Service discovery of our own features (XEP-0030) and entity caps (XEP-0115).

use xmpp_parsers::caps::{self, Caps};
use xmpp_parsers::disco::{DiscoInfoResult, Identity};
use xmpp_parsers::hashes::Algo;
use xmpp_parsers::ns;

/// The caps node naming Sotto.
pub const CAPS_NODE: &str = "urn:xmpp:sotto";

/// Features we implement.
pub const FEATURES: &[&str] = &[
    ns::DISCO_INFO,
    ns::CAPS,
    ns::PING,
    ns::RECEIPTS,
    ns::CHATSTATES,
    ns::CARBONS,
    ns::SID,
    ns::VERSION,
    // PEP notifications of OMEMO device lists (XEP-0163 §4: "+notify").
    "eu.siacs.conversations.axolotl.devicelist+notify",
    "urn:xmpp:omemo:2:devices+notify",
    // Group chats (XEP-0045) and direct invitations (XEP-0249).
    "http://jabber.org/protocol/muc",
    "jabber:x:conference",
    // Bookmarks changed by our other clients (XEP-0402 §3.2).
    "urn:xmpp:bookmarks:1+notify",
];

/// Our disco#info answer (for the given node, echoed back).
pub fn info(node: Option<String>) -> DiscoInfoResult {
    DiscoInfoResult {
        node,
        identities: vec![Identity::new("client", "pc", "en", "Sotto")],
        features: FEATURES.iter().map(|f| f.to_string()).collect(),
        extensions: vec![],
    }
}

/// Our caps element (SHA-1 verification string as XEP-0115 requires).
pub fn caps() -> Caps {
    let data = caps::compute_disco(&info(None));
    match caps::hash_caps(&data, Algo::Sha_1) {
        Ok(hash) => Caps::new(CAPS_NODE, hash),
        // hash_caps only fails for unsupported algorithms; SHA-1 is supported.
        Err(_) => Caps {
            ext: None,
            node: CAPS_NODE.to_owned(),
            hash: Algo::Sha_1,
            ver: vec![],
        },
    }
}

/// Whether a disco#info node is ours (none, or our caps node#ver).
pub fn is_our_node(node: Option<&str>) -> bool {
    match node {
        None => true,
        Some(node) => node.starts_with(CAPS_NODE),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caps_hash_is_stable_and_nonempty() {
        let a = caps();
        assert_eq!(a.ver.len(), 20);
        assert_eq!(a.ver, caps().ver);
        assert!(info(None).features.contains(ns::CARBONS));
        for namespace in super::super::omemo::Namespace::ALL {
            let notify = format!("{}+notify", namespace.device_list_node());
            assert!(FEATURES.contains(&notify.as_str()), "{notify}");
        }
    }
}
