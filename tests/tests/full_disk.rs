// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! A full disk while receiving: the profile lives on a small tmpfs that is
//! filled up while messages arrive. The user is told, the store is not
//! corrupted, and once space returns every message arrives (none the server
//! took is lost). Mounting needs root (as `tests/run.sh` runs in CI); without
//! it this test fails and says so rather than skipping.

#![cfg(target_os = "linux")]
#![allow(clippy::unwrap_used)]

use std::io::Write as _;
use std::path::Path;
use std::process::Command as Process;
use std::time::Duration;

use sotto_core::Event;
use sotto_store::MessageStore as _;
use sotto_tests::TestDir;
use sotto_tests::profile::{Profile, prosody_with};

const ALICE: &str = "alice@localhost";
const BOB: &str = "bob@localhost";

/// Unmounts on drop (also when the test fails).
struct Mounted(std::path::PathBuf);

impl Drop for Mounted {
    fn drop(&mut self) {
        let _ = Process::new("umount").arg("-l").arg(&self.0).status();
    }
}

fn mount_tmpfs(at: &Path, size: &str) -> Mounted {
    let status = Process::new("mount")
        .args([
            "-t",
            "tmpfs",
            "-o",
            &format!("size={size},mode=0700"),
            "tmpfs",
        ])
        .arg(at)
        .status()
        .expect("running mount");
    assert!(
        status.success(),
        "mounting a {size} tmpfs on {} failed ({status}): this test needs root \
         (CAP_SYS_ADMIN); run the suite as root, as tests/run.sh does in CI",
        at.display()
    );
    Mounted(at.to_path_buf())
}

/// Writes until the file system is full; returns the filler's path.
fn fill(dir: &Path) -> std::path::PathBuf {
    let path = dir.join("filler");
    let mut file = std::fs::File::create(&path).unwrap();
    let block = vec![0u8; 64 * 1024];
    while file.write_all(&block).is_ok() {}
    let _ = file.sync_all();
    path
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_while_receiving_is_told_and_loses_nothing() {
    let prosody = prosody_with(&[("alice", "alice-pw"), ("bob", "bob-pw")]);
    let dir = TestDir::new("full-disk").unwrap();
    let _mounted = mount_tmpfs(dir.path(), "24m");
    let mut bob = Profile::create_in(dir);
    bob.login(&prosody, "bob", "bob-pw").await;
    let mut alice = Profile::new("alice");
    alice.login(&prosody, "alice", "alice-pw").await;
    alice.send_message(ALICE, BOB, "before");
    bob.expect_message("before").await;

    let filler = fill(bob.dir.path());
    bob.forget();
    for i in 0..10 {
        alice.send_message(ALICE, BOB, &format!("while full {i}"));
    }
    let told = bob
        .expect("the failure is told", |e| {
            matches!(e, Event::CommandFailed { .. })
        })
        .await;
    eprintln!("told: {told:?}");
    tokio::time::sleep(Duration::from_secs(1)).await;

    // Space returns.
    std::fs::remove_file(&filler).unwrap();
    alice.send_message(ALICE, BOB, "after");
    bob.expect_message("after").await;
    let stored = |bob: &Profile| {
        bob.store
            .history(BOB, ALICE, None, 100)
            .unwrap()
            .into_iter()
            .filter(|m| m.body.starts_with("while full"))
            .count()
    };
    // Storing works again: the account reads the archive for what it missed.
    bob.expect("catch-up", |e| matches!(e, Event::ArchiveSynced { .. }))
        .await;
    let recovered = stored(&bob);
    eprintln!("while full: {recovered} of 10 stored once space returned");
    assert_eq!(recovered, 10, "messages lost to the full disk");
    // The store is whole.
    let check: String = bob.store.integrity_check().unwrap();
    assert_eq!(check, "ok");
}
