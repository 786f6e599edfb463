// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! Logging in to a real Prosody: credentials, certificates, TLS modes,
//! in-band registration and password change.

#![allow(clippy::unwrap_used)]

use sotto_core::{Command, ConnectionState, Event, Secret, ServerOptions};
use sotto_store::AccountStore;
use sotto_tests::profile::{Profile, prosody_with};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_with_pinned_certificate_gets_roster() {
    let prosody = prosody_with(&[("alice", "alice-pw")]);
    let mut alice = Profile::new("alice");
    let full = alice.login(&prosody, "alice", "alice-pw").await;
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_password_is_reported_and_not_retried() {
    let prosody = prosody_with(&[("alice", "alice-pw")]);
    let mut alice = Profile::new("alice");
    alice
        .add(&prosody, "alice", "not-the-password", true, false, None)
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn self_signed_certificate_is_refused_then_pinned() {
    let prosody = prosody_with(&[("alice", "alice-pw")]);
    let mut alice = Profile::new("alice");
    alice
        .add(&prosody, "alice", "alice-pw", false, false, None)
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
        prosody.cert_sha256(),
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
        Some(prosody.cert_sha256())
    );
    alice.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changed_certificate_is_refused() {
    let prosody = prosody_with(&[("alice", "alice-pw")]);
    let mut alice = Profile::new("alice");
    let other = "ab".repeat(32);
    alice.send(Command::AddAccount {
        jid: "alice@localhost".into(),
        password: Secret::new("alice-pw"),
        server: ServerOptions {
            host: Some("127.0.0.1".into()),
            port: Some(prosody.c2s_port()),
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
            presented_sha256: prosody.cert_sha256(),
        }
    );
    alice.shutdown().await;
}

/// A wrong password and the wrong port, corrected by editing the account:
/// an invalid edit is refused and saves nothing; a valid one is saved and
/// the account reconnects with it (direct TLS on the other port).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn editing_an_account_fixes_its_password_and_connection() {
    let prosody = prosody_with(&[("alice", "alice-pw")]);
    let mut alice = Profile::new("alice");
    alice
        .add(&prosody, "alice", "not-the-password", true, false, None)
        .await;
    alice
        .expect("auth failure", |e| {
            matches!(e, Event::AuthenticationFailed { .. })
        })
        .await;
    let before = alice.store.account("alice@localhost").unwrap().unwrap();

    let direct = ServerOptions {
        host: Some("127.0.0.1".into()),
        port: Some(prosody.direct_tls_port()),
        direct_tls: true,
        pinned_cert_sha256: Some(prosody.cert_sha256()),
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
    let port = prosody.direct_tls_port();
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn direct_tls_login() {
    let prosody = prosody_with(&[("alice", "alice-pw")]);
    let mut alice = Profile::new("alice");
    alice.send(Command::AddAccount {
        jid: "alice@localhost".into(),
        password: Secret::new("alice-pw"),
        server: ServerOptions {
            host: Some("127.0.0.1".into()),
            port: Some(prosody.direct_tls_port()),
            direct_tls: true,
            pinned_cert_sha256: Some(prosody.cert_sha256()),
            ..ServerOptions::default()
        },
        register: false,
    });
    alice.online("alice@localhost").await;
    alice.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_band_registration_then_password_change() {
    let prosody = prosody_with(&[]);
    let mut carol = Profile::new("carol");
    carol
        .add(&prosody, "carol", "first-pw", true, true, None)
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
    again.login(&prosody, "carol", "second-pw").await;
    again.shutdown().await;
    let mut dup = Profile::new("dup");
    dup.add(&prosody, "carol", "whatever", true, true, None)
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
