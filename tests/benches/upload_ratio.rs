// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! Sending a 1 MB file through Prosody's upload service (HTTPS on
//! loopback): Sotto's whole `send_file` (slot request, AES-256-GCM for the
//! OMEMO case, PUT through the account's transport, the link's message)
//! against a slot request plus `curl` uploading the same bytes, measured in
//! the same run. Prints medians and ratios.
//!
//! Run with `cargo bench -p sotto-tests --bench upload_ratio`.

#![allow(clippy::unwrap_used)]

use std::process::Command as Process;
use std::time::{Duration, Instant};

use rand::RngCore as _;
use sotto_core::api::Encryption;
use sotto_core::{Command, Event, TransferState};
use sotto_tests::profile::{Profile, prosody_with, raw_session};

const ROUNDS: usize = 15;

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

async fn sotto_round(
    alice: &mut Profile,
    path: &str,
    id: &str,
    encryption: Encryption,
) -> Duration {
    let started = Instant::now();
    alice.send(Command::SendFile {
        account: "alice@localhost".into(),
        to: "bob@localhost".into(),
        path: path.into(),
        id: id.into(),
        encryption: Some(encryption),
    });
    let end = alice
        .expect("the transfer's end", |e| {
            matches!(e, Event::Transfer { id: i, state: TransferState::Sent | TransferState::Failed { .. }, .. } if i == id)
        })
        .await;
    let elapsed = started.elapsed();
    assert!(
        matches!(
            end,
            Event::Transfer {
                state: TransferState::Sent,
                ..
            }
        ),
        "{end:?}"
    );
    alice.forget();
    elapsed
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let prosody = prosody_with(&[("alice", "alice-pw"), ("bob", "bob-pw")]);
    let size = usize::try_from(prosody.upload_limit()).unwrap() - 16;
    let dir = tempfile::tempdir().unwrap();
    let mut data = vec![0u8; size];
    rand::rng().fill_bytes(&mut data);
    let file = dir.path().join("bench.bin");
    std::fs::write(&file, &data).unwrap();
    let path = file.to_string_lossy().into_owned();

    let mut alice = Profile::new("alice");
    alice.login(&prosody, "alice", "alice-pw").await;
    let mut bob = Profile::new("bob");
    bob.login(&prosody, "bob", "bob-pw").await;
    // Warm up: the upload service is discovered once per session.
    sotto_round(&mut alice, &path, "warm", Encryption::Plain).await;

    let mut plain = Vec::new();
    let mut omemo = Vec::new();
    for round in 0..ROUNDS {
        plain.push(sotto_round(&mut alice, &path, &format!("p{round}"), Encryption::Plain).await);
        omemo.push(sotto_round(&mut alice, &path, &format!("o{round}"), Encryption::Omemo).await);
    }

    let uploader = raw_session(&prosody, "alice", "alice-pw").await;
    let service = uploader.upload_service().await.unwrap().unwrap();
    let mut curl = Vec::new();
    for round in 0..ROUNDS {
        let started = Instant::now();
        let slot = uploader
            .upload_slot(
                &service,
                &format!("c{round}.bin"),
                size as u64,
                "application/octet-stream",
            )
            .await
            .unwrap();
        let mut put = Process::new("curl");
        put.args(["-sS", "--fail", "-o", "/dev/null", "-X", "PUT", "--cacert"])
            .arg(prosody.cert_path())
            .arg("--data-binary")
            .arg(format!("@{}", file.display()));
        for (name, value) in &slot.put_headers {
            put.arg("-H").arg(format!("{name}: {value}"));
        }
        assert!(put.arg(&slot.put_url).status().unwrap().success());
        curl.push(started.elapsed());
    }

    let (plain, omemo, curl) = (median(plain), median(omemo), median(curl));
    let ratio = |d: Duration| d.as_secs_f64() / curl.as_secs_f64();
    println!("1 MB file through Prosody's mod_http_file_share over HTTPS, median of {ROUNDS}:");
    println!(
        "  slot + curl PUT:                  {:>7.1} ms",
        curl.as_secs_f64() * 1e3
    );
    println!(
        "  Sotto send_file, no encryption:   {:>7.1} ms ({:.2}x curl)",
        plain.as_secs_f64() * 1e3,
        ratio(plain)
    );
    println!(
        "  Sotto send_file, OMEMO (aesgcm):  {:>7.1} ms ({:.2}x curl)",
        omemo.as_secs_f64() * 1e3,
        ratio(omemo)
    );
}
