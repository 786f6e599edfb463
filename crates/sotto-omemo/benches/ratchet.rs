// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! Encrypt + decrypt of one message through an established session, per
//! namespace: without a DH ratchet step (the same side keeps sending) and
//! with one (the sides alternate, so every message starts a new chain).

#![allow(clippy::unwrap_used, missing_docs)]

use criterion::{Criterion, criterion_group, criterion_main};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use sotto_omemo::{
    Bundle, DeviceAddress, EncryptedMessage, Limits, Namespace, Recipient, Session, device,
    store::{MemoryStore, OwnDevice},
};

struct Side {
    store: MemoryStore,
    device: OwnDevice,
    jid: &'static str,
    session: Option<Session>,
}

fn side(jid: &'static str, rng: &mut ChaCha20Rng) -> Side {
    let mut store = MemoryStore::new();
    let device = device::load_or_create(&mut store, 0, rng).unwrap();
    Side {
        store,
        device,
        jid,
        session: None,
    }
}

fn send(
    from: &mut Side,
    to: &Side,
    bundle: Option<Bundle>,
    ns: Namespace,
    rng: &mut ChaCha20Rng,
) -> EncryptedMessage {
    let out = sotto_omemo::encrypt(
        ns,
        &from.device.identity,
        from.device.device_id,
        vec![Recipient {
            address: DeviceAddress::new(to.jid, to.device.device_id),
            session: from.session.take(),
            bundle,
        }],
        Some(b"a typical chat message of moderate length, with an SCE envelope around it"),
        rng,
    )
    .unwrap();
    from.session = out.sessions.into_iter().next().map(|(_, s)| s);
    out.message
}

fn receive(to: &mut Side, message: &EncryptedMessage, rng: &mut ChaCha20Rng) {
    let d = sotto_omemo::decrypt(
        &to.device.identity,
        to.jid,
        to.device.device_id,
        message,
        to.session.as_ref(),
        &to.store,
        0,
        &Limits::default(),
        rng,
    )
    .unwrap();
    to.session = Some(d.session);
}

fn bench(c: &mut Criterion) {
    for ns in [Namespace::Legacy, Namespace::Omemo2] {
        let mut rng = ChaCha20Rng::seed_from_u64(1);
        let mut a = side("a@example.org", &mut rng);
        let mut b = side("b@example.org", &mut rng);
        let bundle = device::own_bundle(&b.store, ns).unwrap();
        let m = send(&mut a, &b, Some(bundle), ns, &mut rng);
        receive(&mut b, &m, &mut rng);
        let m = send(&mut b, &a, None, ns, &mut rng);
        receive(&mut a, &m, &mut rng);
        let name = format!("{ns:?}").to_lowercase();
        c.bench_function(&format!("{name}/encrypt+decrypt, same chain"), |bench| {
            bench.iter(|| {
                let m = send(&mut a, &b, None, ns, &mut rng);
                receive(&mut b, &m, &mut rng);
            })
        });
        c.bench_function(
            &format!("{name}/encrypt+decrypt, DH ratchet step"),
            |bench| {
                bench.iter(|| {
                    let m = send(&mut a, &b, None, ns, &mut rng);
                    receive(&mut b, &m, &mut rng);
                    std::mem::swap(&mut a, &mut b);
                })
            },
        );
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
