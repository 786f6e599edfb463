// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! Sotto's OMEMO engine against python-omemo 2.1, measured in the same run:
//! encrypt + decrypt of one message between two devices, on one sending chain
//! and with a DH ratchet step per message, in both namespaces. Neither side
//! writes XML or touches a disk. Prints the figures and the ratio.
//!
//! Run with `cargo bench -p sotto-tests --bench omemo_ratio` (needs the venv
//! of `tests/run.sh`). The criterion bench of the engine alone is
//! `cargo bench -p sotto-omemo`.

#![allow(clippy::unwrap_used)]

use std::time::Instant;

use rand::{SeedableRng, rngs::StdRng};
use sotto_omemo::{
    Bundle, DeviceAddress, EncryptedMessage, Limits, Namespace, Recipient, Session, device,
    store::{MemoryStore, OwnDevice},
};
use sotto_tests::omemo_peer::PythonPeer;

const BODY: &[u8] = b"a typical chat message of moderate length, with an SCE envelope around it";

struct Side {
    store: MemoryStore,
    device: OwnDevice,
    jid: &'static str,
    session: Option<Session>,
}

fn side(jid: &'static str, rng: &mut StdRng) -> Side {
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
    rng: &mut StdRng,
) -> EncryptedMessage {
    let recipient = Recipient {
        address: DeviceAddress::new(to.jid, to.device.device_id),
        session: from.session.take(),
        bundle,
    };
    let out = sotto_omemo::encrypt(
        ns,
        &from.device.identity,
        from.device.device_id,
        vec![recipient],
        Some(BODY),
        rng,
    )
    .unwrap();
    from.session = out.sessions.into_iter().next().map(|(_, s)| s);
    out.message
}

fn receive(to: &mut Side, message: &EncryptedMessage, rng: &mut StdRng) {
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

/// Microseconds per message: (same chain, DH ratchet step).
fn sotto(ns: Namespace, n: u32) -> (f64, f64) {
    let mut rng = StdRng::seed_from_u64(1);
    let mut a = side("a@example.org", &mut rng);
    let mut b = side("b@example.org", &mut rng);
    let bundle = device::own_bundle(&b.store, ns).unwrap();
    let m = send(&mut a, &b, Some(bundle), ns, &mut rng);
    receive(&mut b, &m, &mut rng);
    let m = send(&mut b, &a, None, ns, &mut rng);
    receive(&mut a, &m, &mut rng);
    let start = Instant::now();
    for _ in 0..n {
        let m = send(&mut a, &b, None, ns, &mut rng);
        receive(&mut b, &m, &mut rng);
    }
    let same = start.elapsed().as_secs_f64() * 1e6 / f64::from(n);
    let start = Instant::now();
    for _ in 0..n {
        let m = send(&mut a, &b, None, ns, &mut rng);
        receive(&mut b, &m, &mut rng);
        std::mem::swap(&mut a, &mut b);
    }
    let ratchet = start.elapsed().as_secs_f64() * 1e6 / f64::from(n);
    (same, ratchet)
}

fn main() {
    let mut peer = PythonPeer::start("bench@example.org").unwrap();
    println!("encrypt + decrypt per message, µs (python-omemo 2.1 vs Sotto)");
    println!(
        "{:<8} {:<18} {:>12} {:>10} {:>8}",
        "ns", "case", "python", "sotto", "ratio"
    );
    for ns in [Namespace::Legacy, Namespace::Omemo2] {
        let py = peer.bench(ns, 50).unwrap();
        let (same, ratchet) = sotto(ns, 2_000);
        for (case, p, s) in [
            ("same chain", py.same_chain_us, same),
            ("DH ratchet step", py.ratchet_us, ratchet),
        ] {
            println!(
                "{:<8} {:<18} {:>12.1} {:>10.1} {:>7.0}x",
                format!("{ns:?}"),
                case,
                p,
                s,
                p / s
            );
        }
    }
}
