// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! Logging in to a real server: credentials, certificates, TLS modes,
//! in-band registration and password change. Every test runs on Prosody,
//! ejabberd and the minimal Prosody (no PEP, MAM, stream management or
//! carbons); ejabberd also with SCRAM-SHA-1-PLUS hidden.

#![allow(clippy::unwrap_used)]

use sotto_core::{Command, ConnectionState, Event, Secret, ServerOptions};
use sotto_store::AccountStore;
use sotto_tests::profile::{Profile, server_with};
use sotto_tests::{Ejabberd, EjabberdOptions, Prosody, ProsodyOptions, ServerKind, XmppServer};

sotto_tests::on_servers! { [Prosody, Ejabberd, MinimalProsody]
    async fn login_with_pinned_certificate_gets_roster(kind: ServerKind) {
        let server = server_with(kind, &[("alice", "alice-pw")]);
        let mut alice = Profile::new("alice");
        let full = alice.login(&server, "alice", "alice-pw").await;
        assert!(full.starts_with("alice@localhost/sotto-"), "{full}");
        let roster = alice
            .expect("roster", |e| matches!(e, Event::RosterSnapshot { .. }))
            .await;
        assert_eq!(
            roster,
            Event::RosterSnapshot {
                account: "alice@localhost".into(),
                items: vec![]
            }
        );
        alice.shutdown().await;
    }

    async fn wrong_password_is_reported_and_not_retried(kind: ServerKind) {
        let server = server_with(kind, &[("alice", "alice-pw")]);
        let mut alice = Profile::new("alice");
        alice
            .add(&server, "alice", "not-the-password", true, false, None)
            .await;
        let failed = alice
            .expect("auth failure", |e| {
                matches!(e, Event::AuthenticationFailed { .. })
            })
            .await;
        assert!(
            format!("{failed:?}").contains("not-authorized"),
            "{failed:?}"
        );
        let offline = alice
            .expect("offline", |e| {
                matches!(
                    e,
                    Event::Connection {
                        state: ConnectionState::Offline { .. },
                        ..
                    }
                )
            })
            .await;
        assert!(
            matches!(
                offline,
                Event::Connection {
                    state: ConnectionState::Offline {
                        retry_in_ms: None,
                        ..
                    },
                    ..
                }
            ),
            "a wrong password must not be retried: {offline:?}"
        );
        alice.shutdown().await;
    }

    async fn self_signed_certificate_is_refused_then_pinned(kind: ServerKind) {
        let server = server_with(kind, &[("alice", "alice-pw")]);
        let mut alice = Profile::new("alice");
        alice
            .add(&server, "alice", "alice-pw", false, false, None)
            .await;
        let refused = alice
            .expect("certificate refusal", |e| {
                matches!(e, Event::CertificateUntrusted { .. })
            })
            .await;
        let Event::CertificateUntrusted { sha256, reason, .. } = refused else {
            unreachable!()
        };
        assert_eq!(
            sha256,
            server.cert_sha256(),
            "the event carries the server's fingerprint"
        );
        assert!(
            reason.contains("self-signed") || reason.contains("authority"),
            "{reason}"
        );
        // Nothing was sent after the refusal: the account is offline, waiting for the user.
        alice
            .expect("offline", |e| {
                matches!(
                    e,
                    Event::Connection {
                        state: ConnectionState::Offline {
                            retry_in_ms: None,
                            ..
                        },
                        ..
                    }
                )
            })
            .await;
        alice.send(Command::PinCertificate {
            account: "alice@localhost".into(),
            sha256: sha256.to_uppercase(),
        });
        alice.online("alice@localhost").await;
        let stored = alice.store.account("alice@localhost").unwrap().unwrap();
        assert_eq!(
            stored.settings.pinned_cert_sha256,
            Some(server.cert_sha256())
        );
        alice.shutdown().await;
    }

    async fn changed_certificate_is_refused(kind: ServerKind) {
        let server = server_with(kind, &[("alice", "alice-pw")]);
        let mut alice = Profile::new("alice");
        let other = "ab".repeat(32);
        alice.send(Command::AddAccount {
            jid: "alice@localhost".into(),
            password: Secret::new("alice-pw"),
            server: ServerOptions {
                host: Some("127.0.0.1".into()),
                port: Some(server.c2s_port()),
                direct_tls: false,
                pinned_cert_sha256: Some(other.clone()),
                ..ServerOptions::default()
            },
            register: false,
        });
        let changed = alice
            .expect("certificate change", |e| {
                matches!(e, Event::CertificateChanged { .. })
            })
            .await;
        assert_eq!(
            changed,
            Event::CertificateChanged {
                account: "alice@localhost".into(),
                pinned_sha256: other,
                presented_sha256: server.cert_sha256(),
            }
        );
        alice.shutdown().await;
    }

    /// A wrong password and the wrong port, corrected by editing the account:
    /// an invalid edit is refused and saves nothing; a valid one is saved and
    /// the account reconnects with it (direct TLS on the other port).
    async fn editing_an_account_fixes_its_password_and_connection(kind: ServerKind) {
        let server = server_with(kind, &[("alice", "alice-pw")]);
        let mut alice = Profile::new("alice");
        alice
            .add(&server, "alice", "not-the-password", true, false, None)
            .await;
        alice
            .expect("auth failure", |e| {
                matches!(e, Event::AuthenticationFailed { .. })
            })
            .await;
        let before = alice.store.account("alice@localhost").unwrap().unwrap();

        let direct = ServerOptions {
            host: Some("127.0.0.1".into()),
            port: Some(server.direct_tls_port()),
            direct_tls: true,
            pinned_cert_sha256: Some(server.cert_sha256()),
            ..ServerOptions::default()
        };
        alice.send(Command::EditAccount {
            account: "alice@localhost".into(),
            server: ServerOptions {
                tor: true,
                proxy: Some("socks5://127.0.0.1:9050".into()),
                ..direct.clone()
            },
            password: Some(Secret::new("alice-pw")),
        });
        let refused = alice
            .expect("the refusal", |e| matches!(e, Event::CommandFailed { .. }))
            .await;
        assert!(format!("{refused:?}").contains("not both"), "{refused:?}");
        let after = alice.store.account("alice@localhost").unwrap().unwrap();
        assert_eq!(after.settings, before.settings, "nothing saved");
        assert_eq!(after.password.expose(), "not-the-password");

        alice.send(Command::EditAccount {
            account: "alice@localhost".into(),
            server: direct,
            password: Some(Secret::new("alice-pw")),
        });
        let port = server.direct_tls_port();
        alice
            .expect("saved", |e| {
                matches!(e, Event::AccountChanged { settings }
                    if settings.direct_tls && settings.port == Some(port))
            })
            .await;
        // What the first attempt reported is history now.
        alice
            .seen
            .retain(|e| !matches!(e, Event::Connection { .. }));
        alice.online("alice@localhost").await;
        let saved = alice.store.account("alice@localhost").unwrap().unwrap();
        assert_eq!(saved.password.expose(), "alice-pw");
        alice.shutdown().await;
    }

    async fn direct_tls_login(kind: ServerKind) {
        let server = server_with(kind, &[("alice", "alice-pw")]);
        let mut alice = Profile::new("alice");
        alice.send(Command::AddAccount {
            jid: "alice@localhost".into(),
            password: Secret::new("alice-pw"),
            server: ServerOptions {
                host: Some("127.0.0.1".into()),
                port: Some(server.direct_tls_port()),
                direct_tls: true,
                pinned_cert_sha256: Some(server.cert_sha256()),
                ..ServerOptions::default()
            },
            register: false,
        });
        alice.online("alice@localhost").await;
        alice.shutdown().await;
    }

    async fn in_band_registration_then_password_change(kind: ServerKind) {
        let server = server_with(kind, &[]);
        let mut carol = Profile::new("carol");
        carol
            .add(&server, "carol", "first-pw", true, true, None)
            .await;
        carol
            .expect("registered", |e| {
                matches!(e, Event::AccountRegistered { .. })
            })
            .await;
        carol.online("carol@localhost").await;
        carol.send(Command::ChangePassword {
            account: "carol@localhost".into(),
            new_password: Secret::new("second-pw"),
        });
        carol
            .expect("password changed", |e| {
                matches!(e, Event::PasswordChanged { .. })
            })
            .await;
        let stored = carol.store.account("carol@localhost").unwrap().unwrap();
        assert_eq!(stored.password.expose(), "second-pw");
        carol.shutdown().await;

        // The new password works from a fresh profile; registering the same name again fails.
        let mut again = Profile::new("carol2");
        again.login(&server, "carol", "second-pw").await;
        again.shutdown().await;
        let mut dup = Profile::new("dup");
        dup.add(&server, "carol", "whatever", true, true, None)
            .await;
        let failed = dup
            .expect("registration refused", |e| {
                matches!(e, Event::CommandFailed { .. })
            })
            .await;
        assert!(
            format!("{failed:?}").contains("creating the account"),
            "{failed:?}"
        );
        dup.shutdown().await;
    }
}

/// ejabberd 23.01 binds SCRAM-SHA-1-PLUS to `tls-unique` only, which TLS 1.3
/// does not define. With `-PLUS` hidden the client logs in with SCRAM-SHA-1
/// (the GS2 header says `y`); the default ejabberd variants above offer it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_without_scram_plus_on_ejabberd() {
    let server = Ejabberd::start_with(
        EjabberdOptions::default().disable_sasl_mechanisms(["SCRAM-SHA-1-PLUS"]),
    )
    .unwrap();
    server.register("alice", "alice-pw").unwrap();
    let mut alice = Profile::new("alice");
    let full = alice.login(&server, "alice", "alice-pw").await;
    assert!(full.starts_with("alice@localhost/sotto-"), "{full}");
    alice.shutdown().await;
}

/// Every mechanism ejabberd offers, alone: PLAIN and SCRAM-SHA-1 log in (the
/// server's log names the mechanism it accepted); `SCRAM-SHA-1-PLUS` alone,
/// without an XEP-0440 list saying which binding it checks, is refused with a
/// clear reason instead of a guessed binding that ejabberd 23.01 would reject
/// as "Invalid channel binding" (and the user would read as a wrong password).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_mechanism_ejabberd_offers() {
    const ALL: [&str; 3] = ["PLAIN", "SCRAM-SHA-1", "SCRAM-SHA-1-PLUS"];
    for only in ALL {
        let hidden = ALL.iter().filter(|m| **m != only).copied();
        let server =
            Ejabberd::start_with(EjabberdOptions::default().disable_sasl_mechanisms(hidden))
                .unwrap();
        server.register("alice", "alice-pw").unwrap();
        let mut alice = Profile::new("alice");
        if only == "SCRAM-SHA-1-PLUS" {
            alice
                .add(&server, "alice", "alice-pw", true, false, None)
                .await;
            let text = offline_for_good(&mut alice).await;
            assert!(
                text.contains("no login method Sotto accepts") && text.contains(only),
                "{text}"
            );
            assert!(
                !alice
                    .seen
                    .iter()
                    .any(|e| matches!(e, Event::AuthenticationFailed { .. })),
                "not a password problem: {:?}",
                alice.seen
            );
        } else {
            alice
                .add(&server, "alice", "alice-pw", true, false, None)
                .await;
            let full = alice.online("alice@localhost").await;
            assert!(full.starts_with("alice@localhost/sotto-"), "{only}: {full}");
            // ejabberd writes its log asynchronously: poll for the line.
            let wanted = format!("Accepted c2s {only} authentication for alice@localhost");
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
            while !std::fs::read_to_string(server.log_path())
                .unwrap_or_default()
                .contains(&wanted)
            {
                assert!(
                    std::time::Instant::now() < deadline,
                    "{only}: the server's log does not say {wanted:?}:\n{}",
                    server.log_tail(20)
                );
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
        }
        alice.shutdown().await;
    }
}

/// Every mechanism Prosody 0.12 offers (PLAIN, SCRAM-SHA-1; no `-PLUS` on
/// TLS 1.3), alone: with the other one hidden the login can only have used
/// the one that is left. Hiding both proves the hiding works: nothing is left
/// to log in with, and the user reads why.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_mechanism_prosody_offers() {
    const CASES: [(&str, &[&str]); 3] = [
        ("PLAIN", &["SCRAM-SHA-1"]),
        ("SCRAM-SHA-1", &["PLAIN"]),
        ("nothing", &["PLAIN", "SCRAM-SHA-1"]),
    ];
    for (only, hidden) in CASES {
        let server =
            Prosody::start_with(ProsodyOptions::default().disable_sasl_mechanisms(hidden)).unwrap();
        server.register("alice", "alice-pw").unwrap();
        let mut alice = Profile::new("alice");
        alice
            .add(&server, "alice", "alice-pw", true, false, None)
            .await;
        if only == "nothing" {
            let text = offline_for_good(&mut alice).await;
            assert!(text.contains("no login method Sotto accepts"), "{text}");
        } else {
            let full = alice.online("alice@localhost").await;
            assert!(full.starts_with("alice@localhost/sotto-"), "{only}: {full}");
        }
        alice.shutdown().await;
    }
}

/// Waits until the account is offline with no retry; returns that event as
/// text, for checking the reason the user reads.
async fn offline_for_good(profile: &mut Profile) -> String {
    let offline = profile
        .expect("offline for good", |e| {
            matches!(
                e,
                Event::Connection {
                    state: ConnectionState::Offline {
                        retry_in_ms: None,
                        ..
                    },
                    ..
                }
            )
        })
        .await;
    format!("{offline:?}")
}

/// Finding 13: once an account has logged in with SCRAM, a server that
/// offers only PLAIN (another server answering for the domain, or someone
/// stripping SCRAM from the feature list) gets no password: the login is
/// refused with the reason, and not as a password problem. An account that
/// never used SCRAM still logs in with PLAIN there.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_scram_login_a_plain_only_server_is_refused() {
    let scram =
        Prosody::start_with(ProsodyOptions::default().disable_sasl_mechanisms(&["PLAIN"])).unwrap();
    scram.register("alice", "alice-pw").unwrap();
    let plain_only =
        Prosody::start_with(ProsodyOptions::default().disable_sasl_mechanisms(&["SCRAM-SHA-1"]))
            .unwrap();
    plain_only.register("alice", "alice-pw").unwrap();
    let mut alice = Profile::new("alice");
    alice.login(&scram, "alice", "alice-pw").await;
    // The same account now reaches the PLAIN-only server.
    alice.send(Command::EditAccount {
        account: "alice@localhost".into(),
        server: ServerOptions {
            host: Some("127.0.0.1".into()),
            port: Some(plain_only.c2s_port()),
            pinned_cert_sha256: Some(plain_only.cert_sha256()),
            ..ServerOptions::default()
        },
        password: None,
    });
    let text = offline_for_good(&mut alice).await;
    assert!(text.contains("SCRAM before"), "{text}");
    assert!(
        !alice
            .seen
            .iter()
            .any(|e| matches!(e, Event::AuthenticationFailed { .. })),
        "not a password problem"
    );
    alice.shutdown().await;

    // A new profile that never saw SCRAM: PLAIN is its only way, and works.
    let mut fresh = Profile::new("fresh");
    let full = fresh.login(&plain_only, "alice", "alice-pw").await;
    assert!(full.starts_with("alice@localhost/"), "{full}");
    fresh.shutdown().await;
}
