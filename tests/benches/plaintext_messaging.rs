// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! The plaintext baseline: 2,000 messages from one Sotto profile to another
//! through a local Prosody, measured until each is stored (committed to the
//! recipient's encrypted store and announced as `MessageAdded`).
//!
//! Run with `cargo bench -p sotto-tests --bench plaintext_messaging`.
//! Three runs: a burst (every message handed to the core at once: throughput,
//! and latency under load), a paced run offering 200 messages/s, and 300
//! messages one at a time (each sent once the previous one is stored: latency
//! without queueing). Encrypted messaging will be measured against these
//! figures.

#![allow(clippy::unwrap_used)]

use std::collections::HashMap;
use std::time::{Duration, Instant};

use sotto_core::Event;
use sotto_tests::profile::{Profile, prosody_with};

const ALICE: &str = "alice@localhost";
const BOB: &str = "bob@localhost";
const MESSAGES: usize = 2_000;

struct Report {
    name: &'static str,
    total: Duration,
    latencies: Vec<Duration>,
}

impl Report {
    fn percentile(&self, p: f64) -> Duration {
        let mut sorted = self.latencies.clone();
        sorted.sort();
        let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
        sorted[index]
    }

    fn print(&self) {
        let rate = self.latencies.len() as f64 / self.total.as_secs_f64();
        println!(
            "{:<7} {} messages in {:>7.2} s  {:>8.1} msg/s  p50 {:>8.2} ms  p99 {:>8.2} ms  max {:>8.2} ms",
            self.name,
            self.latencies.len(),
            self.total.as_secs_f64(),
            rate,
            self.percentile(0.50).as_secs_f64() * 1e3,
            self.percentile(0.99).as_secs_f64() * 1e3,
            self.percentile(1.0).as_secs_f64() * 1e3,
        );
        println!(
            "{{\"bench\":\"plaintext_{}\",\"messages\":{},\"seconds\":{:.3},\"msg_per_s\":{:.1},\"p50_ms\":{:.3},\"p99_ms\":{:.3}}}",
            self.name,
            self.latencies.len(),
            self.total.as_secs_f64(),
            rate,
            self.percentile(0.50).as_secs_f64() * 1e3,
            self.percentile(0.99).as_secs_f64() * 1e3,
        );
    }
}

async fn run(
    name: &'static str,
    alice: &mut Profile,
    bob: &mut Profile,
    interval: Option<Duration>,
) -> Report {
    alice.forget();
    bob.forget();
    let mut sent_at: HashMap<String, Instant> = HashMap::with_capacity(MESSAGES);
    let mut latencies = Vec::with_capacity(MESSAGES);
    let start = Instant::now();
    let mut ticker = interval.map(tokio::time::interval);
    for i in 0..MESSAGES {
        if let Some(ticker) = ticker.as_mut() {
            ticker.tick().await;
            // Collect arrivals while pacing so their timestamps stay accurate.
            while let Ok(event) = bob.core.events.try_recv() {
                record(event, &mut sent_at, &mut latencies);
            }
        }
        let body = format!("{name} {i:05}");
        sent_at.insert(body.clone(), Instant::now());
        alice.send_message(ALICE, BOB, &body);
        // Keep Alice's event queue from growing without bound.
        while alice.core.events.try_recv().is_ok() {}
    }
    let deadline = Instant::now() + Duration::from_secs(300);
    while latencies.len() < MESSAGES {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, bob.core.events.recv()).await {
            Ok(Some(event)) => record(event, &mut sent_at, &mut latencies),
            _ => panic!("only {} of {MESSAGES} messages arrived", latencies.len()),
        }
        while alice.core.events.try_recv().is_ok() {}
    }
    Report {
        name,
        total: start.elapsed(),
        latencies,
    }
}

/// Latency without queueing: each message is sent only once the previous
/// one is stored at the recipient.
async fn one_at_a_time(alice: &mut Profile, bob: &mut Profile) -> Report {
    const SINGLE: usize = 300;
    alice.forget();
    bob.forget();
    let start = Instant::now();
    let mut latencies = Vec::with_capacity(SINGLE);
    for i in 0..SINGLE {
        let body = format!("single {i:05}");
        let sent = Instant::now();
        alice.send_message(ALICE, BOB, &body);
        bob.expect_message(&body).await;
        latencies.push(sent.elapsed());
        alice.forget();
        bob.forget();
    }
    Report {
        name: "single",
        total: start.elapsed(),
        latencies,
    }
}

fn record(event: Event, sent_at: &mut HashMap<String, Instant>, latencies: &mut Vec<Duration>) {
    if let Event::MessageAdded { message, .. } = event
        && let Some(at) = sent_at.remove(&message.body)
    {
        latencies.push(at.elapsed());
    }
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` passes nothing
    // we need to act on. Either way, run once.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let prosody = prosody_with(&[("alice", "alice-pw"), ("bob", "bob-pw")]);
        let mut alice = Profile::new("bench-alice");
        let mut bob = Profile::new("bench-bob");
        alice.login(&prosody, "alice", "alice-pw").await;
        bob.login(&prosody, "bob", "bob-pw").await;
        println!("Sotto plaintext baseline: {MESSAGES} messages alice -> bob via local Prosody, latency = command sent -> stored at recipient");
        run("burst", &mut alice, &mut bob, None).await.print();
        run("paced", &mut alice, &mut bob, Some(Duration::from_millis(5)))
            .await
            .print();
        one_at_a_time(&mut alice, &mut bob).await.print();
        alice.shutdown().await;
        bob.shutdown().await;
    });
}
