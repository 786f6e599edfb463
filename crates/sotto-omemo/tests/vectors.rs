// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! Fixed vectors generated once from python-omemo 2.1 (see
//! `tests/tests/omemo_python.rs`, `SOTTO_WRITE_OMEMO_VECTORS=1`): python's
//! bundles must parse and verify, its fingerprint format must match ours, and
//! its first (key exchange) message to our device must decrypt, in both
//! namespaces, without python present.

#![allow(clippy::unwrap_used)]

use base64::{Engine, engine::general_purpose::STANDARD as B64};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use serde_json::Value;
use sotto_omemo::{
    Bundle, EncryptedMessage, Error, IdentityKeyPair, KeyElement, KeyPair, Limits, Namespace,
    PreKey, SignedPreKey,
    store::{IdentityStore, MemoryStore, OwnDevice, PreKeyStore, SignedPreKeyStore},
};

fn load(name: &str) -> Value {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/vectors/{name}.json"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn d(v: &Value) -> Vec<u8> {
    B64.decode(v.as_str().unwrap()).unwrap()
}

fn b32(v: &Value) -> [u8; 32] {
    d(v).try_into().unwrap()
}

fn our_store(v: &Value) -> (MemoryStore, OwnDevice) {
    let mut store = MemoryStore::new();
    let device = OwnDevice {
        device_id: v["our_device_id"].as_u64().unwrap() as u32,
        identity: IdentityKeyPair::from_seed(b32(&v["our_identity_seed"])),
    };
    store.save_own_device(&device).unwrap();
    let spk = &v["our_spk"];
    store
        .save_signed_prekey(&SignedPreKey {
            id: spk["id"].as_u64().unwrap() as u32,
            key_pair: KeyPair::from_private(b32(&spk["private"])),
            created_at: spk["created_at"].as_u64().unwrap(),
        })
        .unwrap();
    for p in v["our_prekeys"].as_array().unwrap() {
        store
            .save_prekey(&PreKey {
                id: p[0].as_u64().unwrap() as u32,
                key_pair: KeyPair::from_private(b32(&p[1])),
            })
            .unwrap();
    }
    (store, device)
}

fn message(ns: Namespace, m: &Value) -> EncryptedMessage {
    let opt = |v: &Value| v.as_str().map(|_| d(v));
    EncryptedMessage {
        namespace: ns,
        sender_device_id: m["sid"].as_u64().unwrap() as u32,
        iv: opt(&m["iv"]),
        payload: opt(&m["payload"]),
        keys: m["keys"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| KeyElement {
                jid: k["jid"].as_str().unwrap().to_owned(),
                device_id: k["rid"].as_u64().unwrap() as u32,
                data: d(&k["data"]),
                key_exchange: k["kex"].as_bool().unwrap(),
            })
            .collect(),
    }
}

fn check(ns: Namespace, name: &str) {
    let v = load(name);
    let b = &v["python_bundle"];
    let prekeys: Vec<(u32, Vec<u8>)> = b["prekeys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p[0].as_u64().unwrap() as u32, d(&p[1])))
        .collect();
    let bundle = Bundle::from_wire(
        ns,
        b["device_id"].as_u64().unwrap() as u32,
        &d(&b["ik"]),
        b["spk_id"].as_u64().unwrap() as u32,
        &d(&b["spk"]),
        &d(&b["spk_sig"]),
        &prekeys,
    )
    .unwrap();
    assert_eq!(
        bundle.identity.fingerprint().unwrap().to_string(),
        v["python_fingerprint"].as_str().unwrap()
    );
    // A bundle whose signature is off by one bit is refused.
    let mut sig = d(&b["spk_sig"]);
    sig[10] ^= 1;
    assert!(matches!(
        Bundle::from_wire(ns, 1, &d(&b["ik"]), 1, &d(&b["spk"]), &sig, &prekeys),
        Err(Error::BadBundleSignature { .. })
    ));

    let (store, device) = our_store(&v);
    let msg = message(ns, &v["message"]);
    let mut rng = ChaCha20Rng::seed_from_u64(0);
    let out = sotto_omemo::decrypt(
        &device.identity,
        v["our_jid"].as_str().unwrap(),
        device.device_id,
        &msg,
        None,
        &store,
        1_700_000_100,
        &Limits::default(),
        &mut rng,
    )
    .unwrap();
    assert_eq!(
        out.plaintext.as_deref(),
        Some(v["plaintext"].as_str().unwrap().as_bytes())
    );
    assert!(out.new_session);
    assert!(out.consumed_prekey.is_some());
    assert_eq!(
        out.sender_identity.fingerprint().unwrap(),
        bundle.identity.fingerprint().unwrap()
    );

    // The same message once the prekey is gone and no session was saved.
    let mut spent = store;
    spent.remove_prekey(out.consumed_prekey.unwrap()).unwrap();
    let again = sotto_omemo::decrypt(
        &device.identity,
        v["our_jid"].as_str().unwrap(),
        device.device_id,
        &msg,
        None,
        &spent,
        1_700_000_100,
        &Limits::default(),
        &mut rng,
    );
    assert!(matches!(again, Err(Error::UnknownPreKey(_))));
}

#[test]
fn legacy_vectors_from_python_omemo() {
    check(Namespace::Legacy, "legacy");
}

#[test]
fn omemo2_vectors_from_python_omemo() {
    check(Namespace::Omemo2, "omemo2");
}

/// Real legacy bundles of both Ed25519 signs (python-omemo puts the sign bit
/// into `sig[63]`): both verify, and neither verifies with the bit flipped.
#[test]
fn legacy_signatures_of_both_sign_bits_from_python_omemo() {
    let v = load("legacy-sign-bits");
    for (name, bit) in [("sign_0", 0u8), ("sign_1", 1)] {
        let b = &v[name];
        let sig = d(&b["spk_sig"]);
        assert_eq!(sig[63] >> 7, bit);
        let ik = d(&b["ik"]);
        let spk = d(&b["spk"]);
        let id = b["spk_id"].as_u64().unwrap() as u32;
        Bundle::from_wire(Namespace::Legacy, 1, &ik, id, &spk, &sig, &[]).unwrap();
        let mut flipped = sig.clone();
        flipped[63] ^= 0x80;
        assert!(Bundle::from_wire(Namespace::Legacy, 1, &ik, id, &spk, &flipped, &[]).is_err());
        let ik32: [u8; 32] = ik[1..].try_into().unwrap();
        let sig64: [u8; 64] = sig.try_into().unwrap();
        assert!(sotto_omemo::xeddsa::verify(&ik32, &spk, &sig64));
    }
}
