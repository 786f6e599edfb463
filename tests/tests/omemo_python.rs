// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! Interop of Sotto's OMEMO engine with python-omemo (`oldmemo`, `twomemo`
//! 2.1), both directions, both namespaces: first contact by either side,
//! replies, bursts delivered out of order, empty (key transport) messages,
//! and corrupted and replayed messages reported as such on both sides.
//!
//! With `SOTTO_WRITE_OMEMO_VECTORS=1` the first-contact tests also write the
//! fixed vectors that `crates/sotto-omemo/tests/vectors.rs` checks.

#![allow(clippy::unwrap_used)]

use rand::{SeedableRng, rngs::StdRng};
use sotto_omemo::{
    Bundle, DeviceAddress, EncryptedMessage, Error, Limits, Namespace, Recipient, device,
    store::{MemoryStore, OwnDevice, PreKeyStore, SessionStore, apply_decrypted},
};
use sotto_tests::omemo_peer::PythonPeer;

const US: &str = "sotto@example.org";
const PY: &str = "python@example.org";

/// Our side: the engine over an in-memory store.
struct Us {
    store: MemoryStore,
    device: OwnDevice,
    rng: StdRng,
}

impl Us {
    fn new(seed: u64) -> Self {
        let mut rng = StdRng::seed_from_u64(seed);
        let mut store = MemoryStore::new();
        let device = device::load_or_create(&mut store, 1_700_000_000, &mut rng).unwrap();
        Self { store, device, rng }
    }

    fn bundle(&self, ns: Namespace) -> Bundle {
        device::own_bundle(&self.store, ns).unwrap()
    }

    fn encrypt(
        &mut self,
        ns: Namespace,
        peer: &PythonPeer,
        bundle: Option<Bundle>,
        plaintext: Option<&[u8]>,
    ) -> EncryptedMessage {
        let address = DeviceAddress::new(PY, peer.device_id);
        let session = self.store.load_session(ns, &address).unwrap();
        let out = sotto_omemo::encrypt(
            ns,
            &self.device.identity,
            self.device.device_id,
            vec![Recipient {
                address,
                session,
                bundle,
            }],
            plaintext,
            &mut self.rng,
        )
        .unwrap();
        assert!(out.failures.is_empty(), "{:?}", out.failures);
        for (address, session) in &out.sessions {
            self.store.save_session(ns, address, session).unwrap();
        }
        out.message
    }

    /// Decrypts and, on success only, saves the new state.
    fn decrypt(
        &mut self,
        peer: &PythonPeer,
        message: &EncryptedMessage,
    ) -> Result<Option<Vec<u8>>, Error> {
        let ns = message.namespace;
        let sender = DeviceAddress::new(PY, peer.device_id);
        let session = self.store.load_session(ns, &sender).unwrap();
        let d = sotto_omemo::decrypt(
            &self.device.identity,
            US,
            self.device.device_id,
            message,
            session.as_ref(),
            &self.store,
            1_700_000_100,
            &Limits::default(),
            &mut self.rng,
        )?;
        apply_decrypted(&mut self.store, ns, &sender, &d).unwrap();
        Ok(d.plaintext)
    }

    fn session_bytes(&self, ns: Namespace, peer: &PythonPeer) -> Vec<u8> {
        self.store
            .load_session(ns, &DeviceAddress::new(PY, peer.device_id))
            .unwrap()
            .map(|s| s.to_bytes().to_vec())
            .unwrap_or_default()
    }
}

fn pt(s: &str) -> Option<Vec<u8>> {
    Some(s.as_bytes().to_vec())
}

fn corrupt_key(message: &EncryptedMessage) -> EncryptedMessage {
    let mut bad = message.clone();
    let data = &mut bad.keys[0].data;
    let i = data.len() - 3;
    data[i] ^= 0x01;
    bad
}

/// Python makes first contact; we answer; bursts out of order; failures.
fn python_first(ns: Namespace, seed: u64) {
    let mut us = Us::new(seed);
    let mut py = PythonPeer::start(PY).unwrap();
    py.import_bundle(US, &us.bundle(ns)).unwrap();
    let prekeys_before = us.store.prekeys().unwrap().len();

    let first = py.encrypt(ns, US, b"hello from python").unwrap();
    assert!(
        first
            .keys
            .iter()
            .any(|k| k.device_id == us.device.device_id && k.key_exchange)
    );
    if std::env::var_os("SOTTO_WRITE_OMEMO_VECTORS").is_some() {
        write_vector(ns, &us, &mut py, &first);
    }
    assert_eq!(us.decrypt(&py, &first).unwrap(), pt("hello from python"));
    assert_eq!(
        us.store.prekeys().unwrap().len(),
        prekeys_before - 1,
        "the used prekey is gone"
    );

    // The same key exchange again: a duplicate, reported as such, nothing changed.
    let saved = us.session_bytes(ns, &py);
    assert!(
        matches!(us.decrypt(&py, &first), Err(Error::Duplicate)),
        "replayed key exchange"
    );
    assert_eq!(us.session_bytes(ns, &py), saved);

    // Our reply (no key exchange: we are the responder).
    let reply = us.encrypt(ns, &py, None, Some(b"hello from sotto"));
    assert!(!reply.keys[0].key_exchange);
    let got = py.decrypt(US, &reply).unwrap().unwrap();
    assert_eq!(got.plaintext.as_deref(), Some(&b"hello from sotto"[..]));

    // A burst from python, delivered out of order, one of them twice.
    let burst: Vec<EncryptedMessage> = (0..6)
        .map(|i| py.encrypt(ns, US, format!("burst {i}").as_bytes()).unwrap())
        .collect();
    for i in [5usize, 0, 3, 1, 4, 2] {
        assert_eq!(
            us.decrypt(&py, &burst[i]).unwrap(),
            pt(&format!("burst {i}"))
        );
    }
    let saved = us.session_bytes(ns, &py);
    assert!(matches!(us.decrypt(&py, &burst[3]), Err(Error::Duplicate)));
    // Corrupted key element and corrupted payload: typed errors, nothing changed.
    let next = py.encrypt(ns, US, b"after the storm").unwrap();
    assert!(matches!(
        us.decrypt(&py, &corrupt_key(&next)),
        Err(Error::Corrupted(_))
    ));
    let mut bad_payload = next.clone();
    bad_payload.payload.as_mut().unwrap()[0] ^= 0x80;
    assert!(matches!(
        us.decrypt(&py, &bad_payload),
        Err(Error::Corrupted(_))
    ));
    assert_eq!(
        us.session_bytes(ns, &py),
        saved,
        "failures leave the session untouched"
    );
    assert_eq!(us.decrypt(&py, &next).unwrap(), pt("after the storm"));

    // An empty message from python.
    let empty = py.encrypt_empty(ns, US, us.device.device_id).unwrap();
    assert!(empty.payload.is_none());
    assert_eq!(us.decrypt(&py, &empty).unwrap(), None);

    // A message not for us.
    let mut other = py.encrypt(ns, US, b"x").unwrap();
    other.keys.iter_mut().for_each(|k| k.device_id ^= 1);
    assert!(matches!(
        us.decrypt(&py, &other),
        Err(Error::NotForThisDevice { .. })
    ));
}

/// We make first contact from python's bundle; python answers.
fn sotto_first(ns: Namespace, seed: u64) {
    let mut us = Us::new(seed);
    let mut py = PythonPeer::start(PY).unwrap();
    py.import_bundle(US, &us.bundle(ns)).unwrap();
    let bundle = py.bundle(ns).unwrap();
    // Fingerprints agree with python-omemo's formatting.
    assert_eq!(
        bundle.identity.fingerprint().unwrap().to_string(),
        py.fingerprint
    );

    let first = us.encrypt(ns, &py, Some(bundle), Some(b"hello from sotto"));
    assert!(first.keys[0].key_exchange);
    let got = py.decrypt(US, &first).unwrap().unwrap();
    assert_eq!(got.plaintext.as_deref(), Some(&b"hello from sotto"[..]));
    // python-omemo completes the session with an empty message.
    assert_eq!(
        got.sent.len(),
        1,
        "python sends an empty message after a key exchange"
    );
    assert_eq!(us.decrypt(&py, &got.sent[0]).unwrap(), None);

    // Our burst, delivered to python out of order.
    let burst: Vec<EncryptedMessage> = (0..6)
        .map(|i| us.encrypt(ns, &py, None, Some(format!("burst {i}").as_bytes())))
        .collect();
    assert!(
        burst.iter().all(|m| !m.keys[0].key_exchange),
        "the empty answer ended the key exchange"
    );
    for i in [4usize, 1, 5, 0, 2, 3] {
        let got = py.decrypt(US, &burst[i]).unwrap().unwrap();
        assert_eq!(got.plaintext, pt(&format!("burst {i}")));
    }

    // Replayed and corrupted messages are refused by python, typed.
    let replay = py.decrypt(US, &burst[2]).unwrap().unwrap_err();
    eprintln!(
        "{ns:?}: python reported the replay as {} <- {:?}",
        replay.error, replay.causes
    );
    assert!(
        replay.is("DuplicateMessageException"),
        "replay reported as {replay:?}"
    );
    let next = us.encrypt(ns, &py, None, Some(b"after the storm"));
    let corrupted = py.decrypt(US, &corrupt_key(&next)).unwrap().unwrap_err();
    eprintln!(
        "{ns:?}: python reported the corruption as {} <- {:?}",
        corrupted.error, corrupted.causes
    );
    assert!(
        corrupted.is("AuthenticationFailedException"),
        "corruption reported as {corrupted:?}"
    );
    let got = py.decrypt(US, &next).unwrap().unwrap();
    assert_eq!(
        got.plaintext,
        pt("after the storm"),
        "python's session survived"
    );

    // Our empty message.
    let empty = us.encrypt(ns, &py, None, None);
    assert!(empty.payload.is_none());
    let got = py.decrypt(US, &empty).unwrap().unwrap();
    assert_eq!(got.plaintext, None);

    // Python answers; a DH ratchet step on both sides, then more both ways.
    for round in 0..3 {
        let m = py
            .encrypt(ns, US, format!("py {round}").as_bytes())
            .unwrap();
        assert_eq!(us.decrypt(&py, &m).unwrap(), pt(&format!("py {round}")));
        let m = us.encrypt(ns, &py, None, Some(format!("us {round}").as_bytes()));
        let got = py.decrypt(US, &m).unwrap().unwrap();
        assert_eq!(got.plaintext, pt(&format!("us {round}")));
    }
}

#[test]
fn legacy_python_makes_first_contact() {
    python_first(Namespace::Legacy, 11);
}

#[test]
fn omemo2_python_makes_first_contact() {
    python_first(Namespace::Omemo2, 12);
}

#[test]
fn legacy_sotto_makes_first_contact() {
    sotto_first(Namespace::Legacy, 13);
}

#[test]
fn omemo2_sotto_makes_first_contact() {
    sotto_first(Namespace::Omemo2, 14);
}

/// Real legacy bundles carry the Ed25519 sign bit in the signature: python's
/// identities have either sign, and every one must verify.
#[test]
fn legacy_bundles_of_both_signs_verify() {
    use base64::{Engine, engine::general_purpose::STANDARD as B64};
    let mut seen: [Option<Bundle>; 2] = [None, None];
    for _ in 0..12 {
        let mut py = PythonPeer::start(PY).unwrap();
        let bundle = py.bundle(Namespace::Legacy).unwrap(); // verifies the signature
        let sign = usize::from(bundle.spk_signature[63] >> 7);
        seen[sign] = Some(bundle);
        if let [Some(zero), Some(one)] = &seen {
            if std::env::var_os("SOTTO_WRITE_OMEMO_VECTORS").is_some() {
                let b = |x: &Bundle| {
                    serde_json::json!({
                        "ik": B64.encode(x.identity_wire()), "spk_id": x.spk_id,
                        "spk": B64.encode(x.spk_wire()), "spk_sig": B64.encode(x.spk_signature),
                    })
                };
                let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                    .join("../crates/sotto-omemo/tests/vectors/legacy-sign-bits.json");
                let v = serde_json::json!({"sign_0": b(zero), "sign_1": b(one)});
                std::fs::write(path, serde_json::to_string_pretty(&v).unwrap()).unwrap();
            }
            return;
        }
    }
    let seen = [seen[0].is_some(), seen[1].is_some()];
    panic!("12 python identities, sign bits seen: {seen:?} (chance 2^-11)");
}

/// Writes `crates/sotto-omemo/tests/vectors/<ns>.json`: python's bundle and
/// its first (key exchange) message to our deterministic device.
fn write_vector(ns: Namespace, us: &Us, py: &mut PythonPeer, first: &EncryptedMessage) {
    use base64::{Engine, engine::general_purpose::STANDARD as B64};
    let bundle = py.bundle(ns).unwrap();
    let b = |v: &[u8]| B64.encode(v);
    let spk = device::current_signed_prekey(&us.store).unwrap();
    let vector = serde_json::json!({
        "comment": "generated by tests/tests/omemo_python.rs with SOTTO_WRITE_OMEMO_VECTORS=1 against python-omemo 2.1; throwaway test keys",
        "our_jid": US,
        "our_device_id": us.device.device_id,
        "our_identity_seed": b(us.device.identity.seed()),
        "our_spk": {"id": spk.id, "private": b(spk.key_pair.private()), "created_at": spk.created_at},
        "our_prekeys": us.store.prekeys().unwrap().iter().map(|p| serde_json::json!([p.id, b(p.key_pair.private())])).collect::<Vec<_>>(),
        "python_jid": PY,
        "python_fingerprint": py.fingerprint,
        "python_bundle": {
            "device_id": bundle.device_id,
            "ik": b(&bundle.identity_wire()),
            "spk_id": bundle.spk_id,
            "spk": b(&bundle.spk_wire()),
            "spk_sig": b(&bundle.spk_signature),
            "prekeys": bundle.prekeys_wire().iter().take(3).map(|(id, k)| serde_json::json!([id, b(k)])).collect::<Vec<_>>(),
        },
        "message": {
            "sid": first.sender_device_id,
            "iv": first.iv.as_deref().map(b),
            "payload": first.payload.as_deref().map(b),
            "keys": first.keys.iter().map(|k| serde_json::json!({
                "jid": k.jid, "rid": k.device_id, "data": b(&k.data), "kex": k.key_exchange,
            })).collect::<Vec<_>>(),
        },
        "plaintext": "hello from python",
    });
    let name = match ns {
        Namespace::Legacy => "legacy",
        Namespace::Omemo2 => "omemo2",
    };
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../crates/sotto-omemo/tests/vectors")
        .join(format!("{name}.json"));
    std::fs::write(&path, serde_json::to_string_pretty(&vector).unwrap()).unwrap();
}
