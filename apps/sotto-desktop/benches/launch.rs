// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! Launch benchmark of the desktop app: the real release binary in a real
//! X window (Xvfb), on a profile holding 1,000,000 messages across 1,000
//! conversations, against the same app on a profile with the same account
//! and no contacts or messages, measured in the same run.
//!
//! For each run it measures, from the app's start-up milestones
//! (`sotto_desktop::startup`, read from its log as it is written):
//! - launch → first frame (the unlock screen);
//! - Enter in the passphrase field → first frame of the contact list
//!   (SQLCipher's key derivation, the core's start, the accounts and the
//!   roster), typing itself excluded;
//! - the resident memory (RSS) once it has settled after that frame.
//!
//! Run: `cargo bench -p sotto-desktop --bench launch` (docs/benchmarks.md).
//! The profiles are generated once (about a minute for the large one) and
//! cached under `$CARGO_TARGET_DIR/bench-profiles/`; `SOTTO_BENCH_RUNS`
//! sets the number of launches per profile (default 5), and
//! `SOTTO_BENCH_PER_CONVERSATION` the messages per conversation (default
//! 1,000, so 1,000,000 in all).

#![allow(clippy::unwrap_used)]

// Shared with the X window test; the bench uses only part of it.
#[allow(dead_code)]
#[path = "../tests/xvfb/x11.rs"]
mod x11;

use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use sotto_store::{
    AccountRecord, AccountSettings, AccountStore as _, Direction, Encryption, MessageState,
    MessageStore as _, NewMessage, Password, ProfileKey, RosterItem, RosterStore as _, SqlStore,
    Subscription,
};
use x11::{Xvfb, poll};

const PASSPHRASE: &str = "launch benchmark passphrase";
const ACCOUNT: &str = "me@bench.invalid";
const CONVERSATIONS: usize = 1_000;
const PER_CONVERSATION: usize = 1_000;
/// Messages per transaction while generating.
const BATCH: usize = 20_000;
/// Bumped whenever the generated content changes, so a stale cache is
/// rebuilt.
const LAYOUT: &str = "v1";
const WAIT: Duration = Duration::from_secs(120);
const WORDS: &[&str] = &[
    "the",
    "meeting",
    "tomorrow",
    "at",
    "noon",
    "sounds",
    "good",
    "see",
    "you",
    "there",
    "did",
    "the",
    "package",
    "arrive",
    "yes",
    "thanks",
    "for",
    "reminding",
    "me",
    "about",
    "dinner",
    "call",
    "later",
    "tonight",
    "photos",
    "from",
    "holiday",
    "train",
    "late",
    "again",
    "coffee",
    "weekend",
    "plans",
    "ok",
    "great",
    "idea",
    "sorry",
    "busy",
    "now",
    "talk",
    "soon",
];

fn main() {
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target"),
        PathBuf::from,
    );
    let runs: usize = std::env::var("SOTTO_BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5);
    let per: usize = std::env::var("SOTTO_BENCH_PER_CONVERSATION")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(PER_CONVERSATION);
    let cache = target.join("bench-profiles");
    let empty = cached_profile(&cache.join(format!("desktop-empty-{LAYOUT}")), 0, 0);
    let large = cached_profile(
        &cache.join(format!("desktop-{CONVERSATIONS}x{per}-{LAYOUT}")),
        CONVERSATIONS,
        per,
    );

    let xvfb = Xvfb::start();
    println!("\nsotto-desktop launch, {runs} runs per profile (median [min..max])");
    let base = measure(&xvfb, &empty, runs);
    base.print("1 account, no messages");
    let big = measure(&xvfb, &large, runs);
    big.print(&format!(
        "1 account, {CONVERSATIONS} contacts, {} messages",
        CONVERSATIONS * per
    ));
    println!(
        "ratio large/empty: first frame {:.2}, contact list {:.2}, idle RSS {:.2}",
        median(&big.first_frame) / median(&base.first_frame),
        median(&big.contacts) / median(&base.contacts),
        median(&big.rss_mib) / median(&base.rss_mib),
    );
}

/// The profile directory in `root`, generated unless a complete one is
/// cached there.
fn cached_profile(root: &Path, conversations: usize, per: usize) -> PathBuf {
    let dir = root.join("profile");
    let marker = root.join("complete");
    if marker.is_file() {
        return dir;
    }
    let _ = std::fs::remove_dir_all(root);
    std::fs::create_dir_all(root).unwrap();
    let started = Instant::now();
    let store = SqlStore::create(&dir, &key()).unwrap();
    store
        .upsert_account(&AccountRecord {
            settings: AccountSettings {
                jid: ACCOUNT.into(),
                resource: "bench".into(),
                host: Some("127.0.0.1".into()),
                port: Some(9),
                direct_tls: false,
                pinned_cert_sha256: None,
                // Never connects: the bench measures the app, not a server.
                enabled: false,
                tor: false,
                proxy: None,
            },
            password: Password::new("unused".into()),
        })
        .unwrap();
    let contacts: Vec<RosterItem> = (0..conversations)
        .map(|c| RosterItem {
            jid: contact(c),
            name: Some(format!("Contact {c:04}")),
            subscription: Subscription::Both,
            ask_subscribe: false,
            groups: vec![format!("Group {}", c % 10)],
        })
        .collect();
    store.replace_roster(ACCOUNT, None, &contacts).unwrap();
    // A year of history ending now, oldest first in every conversation.
    let now = 1_790_000_000_000_i64;
    let step = 365 * 24 * 3600 * 1000 / (per.max(1) as i64);
    let mut rng = 0x9e37_79b9_7f4a_7c15_u64;
    let mut batch = Vec::with_capacity(BATCH);
    let total = conversations * per;
    let mut done = 0;
    for c in 0..conversations {
        for i in 0..per {
            let outgoing = i % 2 == 0;
            batch.push(NewMessage {
                peer: contact(c),
                direction: if outgoing {
                    Direction::Outgoing
                } else {
                    Direction::Incoming
                },
                body: sentence(&mut rng),
                timestamp_ms: now - (per - i) as i64 * step + c as i64,
                message_id: None,
                origin_id: None,
                stanza_id: None,
                state: if outgoing {
                    MessageState::Delivered
                } else {
                    MessageState::Received
                },
                encryption: Encryption::Plain,
                sender_device: None,
                room: None,
            });
            if batch.len() == BATCH {
                store.insert_messages(ACCOUNT, &batch, None).unwrap();
                done += batch.len();
                batch.clear();
                eprint!(
                    "\rgenerating {}: {done}/{total} messages, {:.0?}",
                    root.display(),
                    started.elapsed()
                );
            }
        }
    }
    if !batch.is_empty() {
        store.insert_messages(ACCOUNT, &batch, None).unwrap();
    }
    drop(store);
    if total > 0 {
        eprintln!();
    }
    std::fs::write(&marker, format!("{conversations}x{per}\n")).unwrap();
    println!(
        "generated {} ({total} messages) in {:.1?}",
        root.display(),
        started.elapsed()
    );
    dir
}

fn key() -> ProfileKey {
    ProfileKey::Passphrase(Password::new(PASSPHRASE.into()))
}

fn contact(c: usize) -> String {
    format!("contact{c:04}@bench.invalid")
}

/// A message of 4 to 15 words from a small vocabulary (xorshift).
fn sentence(state: &mut u64) -> String {
    let mut next = || {
        *state ^= *state << 13;
        *state ^= *state >> 7;
        *state ^= *state << 17;
        *state
    };
    let n = 4 + (next() % 12) as usize;
    (0..n)
        .map(|_| WORDS[(next() % WORDS.len() as u64) as usize])
        .collect::<Vec<_>>()
        .join(" ")
}

#[derive(Default)]
struct Figures {
    first_frame: Vec<f64>,
    contacts: Vec<f64>,
    rss_mib: Vec<f64>,
}

impl Figures {
    fn print(&self, what: &str) {
        let show = |v: &[f64], unit: &str| {
            let min = v.iter().copied().fold(f64::INFINITY, f64::min);
            let max = v.iter().copied().fold(0.0, f64::max);
            format!("{:.0} {unit} [{min:.0}..{max:.0}]", median(v))
        };
        println!("{what}:");
        println!(
            "  launch -> first frame (unlock screen):   {}",
            show(&self.first_frame, "ms")
        );
        println!(
            "  Enter -> contact list frame:             {}",
            show(&self.contacts, "ms")
        );
        let total: Vec<f64> = self
            .first_frame
            .iter()
            .zip(&self.contacts)
            .map(|(a, b)| a + b)
            .collect();
        println!(
            "  launch -> contact list (without typing): {}",
            show(&total, "ms")
        );
        println!(
            "  idle RSS after the contact list:         {}",
            show(&self.rss_mib, "MiB")
        );
    }
}

fn median(v: &[f64]) -> f64 {
    let mut v = v.to_vec();
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(f64::NAN)
}

fn measure(xvfb: &Xvfb, profile: &Path, runs: usize) -> Figures {
    let mut figures = Figures::default();
    for _ in 0..runs {
        let (first, contacts, rss) = launch_once(xvfb, profile);
        figures.first_frame.push(first.as_secs_f64() * 1e3);
        figures.contacts.push(contacts.as_secs_f64() * 1e3);
        figures.rss_mib.push(rss as f64 / 1024.0);
    }
    figures
}

/// The app, its log lines timestamped as they arrive; killed on drop if it
/// is still running.
struct Running {
    child: Child,
    lines: mpsc::Receiver<(Instant, String)>,
}

impl Running {
    fn wait_line(&mut self, needle: &str) -> Instant {
        let deadline = Instant::now() + WAIT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok((at, line)) if line.contains(needle) => return at,
                Ok(_) => {}
                Err(_) => panic!("no {needle:?} in the app's log within {WAIT:?}"),
            }
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// One launch: (launch → first frame, Enter → contact list frame, settled
/// RSS in KiB).
fn launch_once(xvfb: &Xvfb, profile: &Path) -> (Duration, Duration, u64) {
    let launched = Instant::now();
    let mut child = x11::command(xvfb, profile)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, lines) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if tx.send((Instant::now(), line)).is_err() {
                break;
            }
        }
    });
    let mut app = Running { child, lines };
    let pid = app.child.id();
    let first = app.wait_line("first frame") - launched;

    let window = poll("the Sotto window", WAIT, || {
        let found = xvfb
            .xdotool(&["search", "--onlyvisible", "--name", "^Sotto$"])
            .ok()?;
        found.lines().next().map(str::to_owned)
    });
    xvfb.xdo(&["windowfocus", "--sync", &window]);
    xvfb.xdo(&["type", "--delay", "1", PASSPHRASE]);
    let enter = Instant::now();
    xvfb.xdo(&["key", "Return"]);
    let contacts = app.wait_line("contact list frame") - enter;
    let rss = settled_rss(pid);

    xvfb.close_window(&window);
    poll("the app to exit", WAIT, || app.child.try_wait().unwrap());
    (first, contacts, rss)
}

/// VmRSS (KiB) once four samples 250 ms apart stay within 1 % of each
/// other (at most 30 s).
fn settled_rss(pid: u32) -> u64 {
    let read = || -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap()
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut samples = vec![read()];
    while Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(250));
        samples.push(read());
        let last = &samples[samples.len().saturating_sub(4)..];
        let (lo, hi) = (
            last.iter().copied().min().unwrap_or(0),
            last.iter().copied().max().unwrap_or(0),
        );
        if last.len() == 4 && (hi - lo) * 100 <= hi {
            return hi;
        }
    }
    samples.last().copied().unwrap_or(0)
}
