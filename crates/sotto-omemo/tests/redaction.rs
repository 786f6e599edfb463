// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! `Debug` output of key-holding and message-holding types never shows
//! secrets or plaintext.

#![allow(clippy::unwrap_used)]

use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use sotto_omemo::{
    DeviceAddress, Limits, Namespace, Recipient, device,
    store::{MemoryStore, PreKeyStore},
};

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

#[test]
fn debug_output_hides_keys_and_plaintext() {
    let mut rng = ChaCha20Rng::seed_from_u64(9);
    let mut a_store = MemoryStore::new();
    let a = device::load_or_create(&mut a_store, 0, &mut rng).unwrap();
    let mut b_store = MemoryStore::new();
    let b = device::load_or_create(&mut b_store, 0, &mut rng).unwrap();
    let bundle = device::own_bundle(&b_store, Namespace::Omemo2).unwrap();
    let secret = "the secret body 7f3a";
    let out = sotto_omemo::encrypt(
        Namespace::Omemo2,
        &a.identity,
        a.device_id,
        vec![Recipient {
            address: DeviceAddress::new("b@example.org", b.device_id),
            session: None,
            bundle: Some(bundle),
        }],
        Some(secret.as_bytes()),
        &mut rng,
    )
    .unwrap();
    let d = sotto_omemo::decrypt(
        &b.identity,
        "b@example.org",
        b.device_id,
        &out.message,
        None,
        &b_store,
        0,
        &Limits::default(),
        &mut rng,
    )
    .unwrap();
    let shown = format!(
        "{:?} {:?} {:?} {:?} {:?} {:?}",
        a,
        out,
        d,
        b_store.prekeys().unwrap(),
        a_store,
        d.session
    );
    assert!(!shown.contains(secret));
    assert!(!shown.contains(&hex(a.identity.seed())));
    assert!(!shown.contains(&hex(&out.key_material[..8])));
    for p in b_store.prekeys().unwrap() {
        assert!(!shown.contains(&hex(&p.key_pair.private()[..8])));
    }
    assert!(!shown.contains(&format!("{:?}", &a.identity.seed()[..8])));
}
