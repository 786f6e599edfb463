// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! Between the XMPP layer's OMEMO values (parsed from and written to XML)
//! and the engine's: namespaces, `<encrypted>` elements, bundles.

use sotto_omemo::{Bundle, EncryptedMessage, KeyElement, Namespace};
use sotto_xmpp::BareJid;
use sotto_xmpp::xep::omemo as wire;

pub(crate) fn ns_in(ns: wire::Namespace) -> Namespace {
    match ns {
        wire::Namespace::Legacy => Namespace::Legacy,
        wire::Namespace::V2 => Namespace::Omemo2,
    }
}

pub(crate) fn ns_out(ns: Namespace) -> wire::Namespace {
    match ns {
        Namespace::Legacy => wire::Namespace::Legacy,
        Namespace::Omemo2 => wire::Namespace::V2,
    }
}

/// The name front ends show and store for a namespace.
pub(crate) fn ns_name(ns: Namespace) -> &'static str {
    match ns {
        Namespace::Legacy => "legacy",
        Namespace::Omemo2 => "omemo2",
    }
}

/// Both namespaces, OMEMO 2 first (preferred where a device speaks both).
pub(crate) const NAMESPACES: [Namespace; 2] = [Namespace::Omemo2, Namespace::Legacy];

/// A received element as the engine reads it. Legacy keys do not say whose
/// device they are for: they get `own`, the receiving account.
pub(crate) fn encrypted_in(element: &wire::Encrypted, own: &BareJid) -> EncryptedMessage {
    EncryptedMessage {
        namespace: ns_in(element.namespace),
        sender_device_id: element.sid,
        iv: element.iv.clone(),
        payload: element.payload.clone(),
        keys: element
            .keys
            .iter()
            .map(|k| KeyElement {
                jid: k
                    .jid
                    .as_ref()
                    .map_or_else(|| own.to_string(), |j| j.to_string()),
                device_id: k.rid,
                data: k.data.clone(),
                key_exchange: k.prekey,
            })
            .collect(),
    }
}

/// An element to send. Keys whose JID does not parse are dropped (the
/// engine only produces keys for JIDs that came from parsed device lists).
pub(crate) fn encrypted_out(message: &EncryptedMessage) -> wire::Encrypted {
    let namespace = ns_out(message.namespace);
    wire::Encrypted {
        namespace,
        sid: message.sender_device_id,
        iv: message.iv.clone(),
        payload: message.payload.clone(),
        keys: message
            .keys
            .iter()
            .filter_map(|k| {
                let jid = match namespace {
                    wire::Namespace::Legacy => None,
                    wire::Namespace::V2 => Some(k.jid.parse::<BareJid>().ok()?),
                };
                Some(wire::KeyEntry {
                    jid,
                    rid: k.device_id,
                    data: k.data.clone(),
                    prekey: k.key_exchange,
                })
            })
            .collect(),
    }
}

/// A fetched bundle, checked (the signed prekey's signature verifies).
pub(crate) fn bundle_in(
    bundle: &wire::Bundle,
    ns: Namespace,
    device_id: u32,
) -> sotto_omemo::Result<Bundle> {
    Bundle::from_wire(
        ns,
        device_id,
        &bundle.identity_key,
        bundle.signed_prekey_id,
        &bundle.signed_prekey,
        &bundle.signature,
        &bundle.prekeys,
    )
}

/// Our bundle as published.
pub(crate) fn bundle_out(bundle: &Bundle) -> wire::Bundle {
    wire::Bundle {
        signed_prekey_id: bundle.spk_id,
        signed_prekey: bundle.spk_wire(),
        signature: bundle.spk_signature.to_vec(),
        identity_key: bundle.identity_wire(),
        prekeys: bundle.prekeys_wire(),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn own_bundles_read_back_in_both_namespaces() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(5);
        let identity = sotto_omemo::IdentityKeyPair::generate(&mut rng);
        let spk = sotto_omemo::SignedPreKey::generate(3, 0, &mut rng);
        let prekeys: Vec<_> = (1..=3)
            .map(|id| sotto_omemo::PreKey {
                id,
                key_pair: sotto_omemo::KeyPair::generate(&mut rng),
            })
            .collect();
        for ns in NAMESPACES {
            let own = Bundle::own(ns, 77, &identity, &spk, &prekeys);
            let back = bundle_in(&bundle_out(&own), ns, 77).unwrap();
            assert_eq!(back, own);
            assert_eq!(ns_in(ns_out(ns)), ns);
        }
    }

    #[test]
    fn legacy_keys_get_the_receiving_jid_and_v2_keep_theirs() {
        let own: BareJid = "me@example.org".parse().unwrap();
        let other: BareJid = "you@example.org".parse().unwrap();
        let element = wire::Encrypted {
            namespace: wire::Namespace::V2,
            sid: 9,
            keys: vec![wire::KeyEntry {
                jid: Some(other.clone()),
                rid: 4,
                data: vec![1, 2],
                prekey: true,
            }],
            iv: None,
            payload: Some(vec![3]),
        };
        let engine = encrypted_in(&element, &own);
        assert_eq!(engine.keys[0].jid, "you@example.org");
        assert_eq!(encrypted_out(&engine), element);
        let legacy = wire::Encrypted {
            namespace: wire::Namespace::Legacy,
            keys: vec![wire::KeyEntry {
                jid: None,
                ..element.keys[0].clone()
            }],
            iv: Some(vec![0; 12]),
            ..element
        };
        let engine = encrypted_in(&legacy, &own);
        assert_eq!(engine.keys[0].jid, "me@example.org");
        assert_eq!(encrypted_out(&engine), legacy);
    }
}
