// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! Tests of the keyring key. The round trip needs a real keyring and skips,
//! saying why, where there is none. The "no Secret Service" tests run
//! everywhere on Linux: they re-run this test binary as a child process
//! pointed at a session bus that does not exist, or at a private
//! `dbus-daemon` with no keyring on it, so a developer's own keyring is
//! never touched and the result does not depend on the machine.

use std::time::{Duration, Instant};

use super::*;

/// Whether this machine's keyring can store anything; prints why not. Only
/// "no Secret Service" and "no storage access" (locked keyring, dismissed
/// prompt) skip: every other failure fails the test. The probe entry has a
/// fixed name, so an interrupted run leaves at most one stray probe.
///
/// With `SOTTO_REQUIRE_KEYRING` set (the test script starts a private GNOME
/// Keyring for the run and sets it), a missing keyring fails instead.
pub(crate) fn keyring_usable() -> bool {
    let usable = probe_keyring();
    if !usable && std::env::var_os("SOTTO_REQUIRE_KEYRING").is_some() {
        panic!("SOTTO_REQUIRE_KEYRING is set but the OS keyring is not usable");
    }
    usable
}

fn probe_keyring() -> bool {
    const DOING: &str = "probing the OS keyring";
    let probe = on_keyring_thread(DOING, || {
        let probe = keyring::Entry::new("sotto-test-probe", "probe")
            .map_err(|e| keyring_error(DOING, e))?;
        Ok(match probe.set_password("probe") {
            Ok(()) => {
                let _ = probe.delete_credential();
                Ok(())
            }
            Err(e) => Err(e),
        })
    });
    match probe {
        Ok(Ok(())) => true,
        Ok(Err(e)) if no_secret_service(&e) => {
            println!("SKIPPED (needs an OS keyring): {NO_SECRET_SERVICE}: {e}");
            false
        }
        Ok(Err(keyring::Error::NoStorageAccess(e))) => {
            println!("SKIPPED (needs an OS keyring): the OS keyring denied access: {e}");
            false
        }
        Ok(Err(e)) => panic!("{DOING}: {e}"),
        Err(e) => panic!("{e}"),
    }
}

#[test]
fn generate_load_delete_round_trip() {
    if !keyring_usable() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("profile");
    assert!(load(&dir).unwrap().is_none(), "no dir, no key");
    let key = generate_and_store(&dir).unwrap();
    let loaded = load(&dir).unwrap();
    match (&key, &loaded) {
        (ProfileKey::Raw(a), Some(ProfileKey::Raw(b))) => {
            assert_eq!(a.as_slice(), b.as_slice())
        }
        other => panic!("unexpected keys {other:?}"),
    }
    // The key opens a profile created with it.
    let store = crate::SqlStore::create(&dir, &key).unwrap();
    drop(store);
    let reopened = load(&dir).unwrap().unwrap();
    crate::SqlStore::open(&dir, &reopened).unwrap();
    delete(&dir).unwrap();
    assert!(load(&dir).unwrap().is_none());
    delete(&dir).unwrap();
}

/// The backend keeps keys until they are deleted: a memory-only or
/// until-reboot store (keyutils, the mock) would lose the user's profile.
#[test]
fn backend_keeps_keys_until_deleted() {
    use keyring::credential::CredentialPersistence;
    let forgets = match keyring::default::default_credential_builder().persistence() {
        CredentialPersistence::UntilDelete => return,
        CredentialPersistence::EntryOnly => "with the entry",
        CredentialPersistence::ProcessOnly => "at process exit",
        CredentialPersistence::UntilReboot => "at reboot (or logout)",
        _ => "at some point",
    };
    panic!("the default keyring backend forgets keys {forgets}");
}

#[test]
fn a_keyring_call_that_hangs_times_out() {
    let (release_tx, release_rx) = mpsc::channel::<()>();
    let started = Instant::now();
    let answer = on_keyring_thread_within(Duration::from_millis(100), "testing", move || {
        let _ = release_rx.recv();
        Ok(())
    });
    let elapsed = started.elapsed();
    release_tx.send(()).unwrap();
    let message = answer.unwrap_err().to_string();
    assert!(
        message.contains("testing: the OS keyring did not answer within 0.1 s"),
        "{message}"
    );
    assert!(elapsed < Duration::from_secs(10), "took {elapsed:?}");
}

#[test]
fn a_keyring_thread_that_panics_is_an_error() {
    let answer: Result<()> = on_keyring_thread("testing", || panic!("boom"));
    let message = answer.unwrap_err().to_string();
    assert!(message.contains("its thread panicked"), "{message}");
}

#[cfg(target_os = "linux")]
mod without_secret_service {
    use std::io::{BufRead as _, BufReader};
    use std::path::PathBuf;
    use std::process::{Child, Command, Stdio};

    use super::*;

    /// Set in the child process; the child test does nothing without it.
    const CHILD_ENV: &str = "SOTTO_KEYRING_TEST_CHILD";

    /// Far below [`ANSWER_WITHIN`], so passing proves the failure was
    /// recognised, not timed out.
    const PROMPTLY: Duration = Duration::from_secs(20);

    #[test]
    fn no_session_bus_is_a_clear_error_promptly() {
        let tmp = tempfile::tempdir().unwrap();
        let address = format!("unix:path={}", tmp.path().join("no-bus-here").display());
        run_child(&address);
    }

    #[test]
    fn bus_without_a_keyring_is_a_clear_error_promptly() {
        let Some(bus) = PrivateBus::start() else {
            return;
        };
        run_child(&bus.address);
    }

    /// The body of both tests above, run in a child process whose session
    /// bus is the one given; ignored when run any other way.
    #[test]
    #[ignore = "runs only as a child of the without_secret_service tests"]
    fn child_every_call_fails_clearly() {
        if std::env::var_os(CHILD_ENV).is_none() {
            println!("SKIPPED: runs only as a child of the without_secret_service tests");
            return;
        }
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("profile");
        std::fs::create_dir(&dir).unwrap();

        expect_clear_error("load", || load(&dir).map(|_| ()));
        expect_clear_error("generate_and_store", || {
            generate_and_store(&dir).map(|_| ())
        });
        expect_clear_error("delete", || delete(&dir));

        // From inside tokio runtimes, as the GUI will call: no panic
        // ("Cannot start a runtime from within a runtime"), no deadlock.
        let current = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        expect_clear_error("load in a current-thread runtime", || {
            current.block_on(async { load(&dir).map(|_| ()) })
        });
        let multi = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        expect_clear_error("generate_and_store in a multi-thread runtime", || {
            multi.block_on(async {
                let dir = dir.clone();
                tokio::spawn(async move { generate_and_store(&dir).map(|_| ()) })
                    .await
                    .unwrap()
            })
        });
    }

    fn expect_clear_error(what: &str, call: impl FnOnce() -> Result<()>) {
        let started = Instant::now();
        let answer = call();
        let elapsed = started.elapsed();
        let message = match answer {
            Ok(()) => panic!("{what}: succeeded without a Secret Service"),
            Err(e) => e.to_string(),
        };
        assert!(
            message.contains("no Secret Service available (is a keyring daemon running?)"),
            "{what}: unclear error: {message}"
        );
        assert!(elapsed < PROMPTLY, "{what}: took {elapsed:?}");
        println!("{what}: {message} ({elapsed:?})");
    }

    /// Runs `child_every_call_fails_clearly` in a child process whose session
    /// bus is `address`, and fails unless it ran and passed in bounded time.
    fn run_child(address: &str) {
        let path = module_path!();
        // libtest names tests without the crate name.
        let name = format!(
            "{}::child_every_call_fails_clearly",
            path.split_once("::").map_or(path, |(_, rest)| rest)
        );
        let exe = std::env::current_exe().unwrap();
        let mut child = Command::new(exe)
            .args([name.as_str(), "--exact", "--ignored", "--nocapture"])
            .env(CHILD_ENV, "1")
            .env("DBUS_SESSION_BUS_ADDRESS", address)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let deadline = Instant::now() + 3 * PROMPTLY;
        while child.try_wait().unwrap().is_none() {
            if Instant::now() > deadline {
                let _ = child.kill();
                let output = child.wait_with_output().unwrap();
                panic!(
                    "the child test hung; its output:\n{}{}",
                    String::from_utf8_lossy(&output.stdout),
                    String::from_utf8_lossy(&output.stderr)
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let output = child.wait_with_output().unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        let stderr = String::from_utf8_lossy(&output.stderr);
        println!("{stdout}{stderr}");
        assert!(output.status.success(), "the child test failed");
        assert!(
            stdout.contains("1 passed") && !stdout.contains("SKIPPED"),
            "the child test did not run"
        );
    }

    /// A `dbus-daemon` of our own that nobody offers a keyring on and that
    /// cannot start one (its configuration names no service directories).
    /// Killed on drop.
    struct PrivateBus {
        daemon: Child,
        address: String,
        _dir: tempfile::TempDir,
    }

    impl PrivateBus {
        /// Starts it, or says why not and returns `None`.
        fn start() -> Option<Self> {
            let dir = tempfile::tempdir().unwrap();
            let config: PathBuf = dir.path().join("bus.conf");
            std::fs::write(
                &config,
                format!(
                    r#"<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path={}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"#,
                    dir.path().join("bus").display()
                ),
            )
            .unwrap();
            let spawned = Command::new("dbus-daemon")
                .arg(format!("--config-file={}", config.display()))
                .args(["--nofork", "--nopidfile", "--print-address=1"])
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::inherit())
                .spawn();
            let mut daemon = match spawned {
                Ok(daemon) => daemon,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    println!(
                        "SKIPPED bus_without_a_keyring test: dbus-daemon is not installed \
                         (Debian: apt-get install dbus-daemon)"
                    );
                    return None;
                }
                Err(e) => panic!("starting dbus-daemon: {e}"),
            };
            // The daemon prints its address once it listens.
            let mut address = String::new();
            let stdout = daemon.stdout.take().unwrap();
            BufReader::new(stdout).read_line(&mut address).unwrap();
            let address = address.trim().to_owned();
            assert!(!address.is_empty(), "dbus-daemon printed no address");
            Some(Self {
                daemon,
                address,
                _dir: dir,
            })
        }
    }

    impl Drop for PrivateBus {
        fn drop(&mut self) {
            let _ = self.daemon.kill();
            let _ = self.daemon.wait();
        }
    }
}
