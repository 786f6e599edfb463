// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! Accounts: adding, connection states, the certificate prompt, Tor.

use sotto_core::{Command, ConnectionState, Event};
use sotto_desktop::screen::ready::{Pane, account_form};
use sotto_store::AccountSettings;

use crate::support::Harness;

pub fn settings(jid: &str) -> AccountSettings {
    AccountSettings {
        jid: jid.into(),
        resource: "sotto-1".into(),
        host: None,
        port: None,
        direct_tls: false,
        pinned_cert_sha256: None,
        enabled: true,
        tor: false,
        proxy: None,
    }
}

#[test]
fn first_start_opens_the_add_account_dialog_and_sends_add_account() {
    let mut h = Harness::new();
    h.events([Event::AccountsSnapshot { accounts: vec![] }]);
    assert_eq!(h.ready.pane(), Pane::Accounts);
    assert!(h.shows("Add an account"));

    h.type_into(account_form::JID, "alice@example.org");
    h.type_into(account_form::PASSWORD, "secret pw");
    h.click("Advanced connection options");
    assert!(h.shows("Connect only through the built-in Tor"));
    h.click("Connect only through the built-in Tor");
    h.click("Add account");
    let sent = h.commands.drain();
    let Some(Command::AddAccount {
        jid,
        password,
        server,
        register,
    }) = sent.last()
    else {
        panic!("no add_account in {sent:?}");
    };
    assert_eq!(jid, "alice@example.org");
    assert_eq!(password.expose(), "secret pw");
    assert!(server.tor && !register);
    assert!(h.shows("Adding…"));

    // The core refuses: the dialog says why and stays.
    h.events([Event::CommandFailed {
        account: Some("alice@example.org".into()),
        reason: "the account alice@example.org already exists".into(),
        request: None,
    }]);
    assert!(h.shows("the account alice@example.org already exists"));

    // Saved: the dialog closes, the account is listed and its roster asked for.
    h.click("Add account");
    h.events([Event::AccountChanged {
        settings: settings("alice@example.org"),
    }]);
    assert!(!h.shows("Adding…"));
    assert!(h.shows("alice@example.org"));
    assert!(
        h.commands
            .drain()
            .iter()
            .any(|c| matches!(c, Command::GetRoster { account } if account == "alice@example.org"))
    );
}

#[test]
fn omemo_being_unavailable_is_shown_on_the_account_until_the_keys_are_published() {
    let mut h = Harness::new();
    h.events([Event::AccountsSnapshot {
        accounts: vec![settings("alice@example.org")],
    }]);
    h.update(sotto_desktop::screen::ready::Message::Show(Pane::Accounts));
    h.events([
        Event::Connection {
            account: "alice@example.org".into(),
            state: ConnectionState::Online {
                jid: "alice@example.org/sotto-1".into(),
                resumed: false,
            },
        },
        Event::OmemoUnavailable {
            account: "alice@example.org".into(),
            reason: "this server does not support PEP".into(),
        },
    ]);
    let shown = "OMEMO is unavailable: this server does not support PEP. Unencrypted \
                 messages are still sent; a message that is to go with OMEMO is not.";
    assert!(h.shows(shown));
    // A reconnection does not hide it (the core tells it only once)…
    h.events([Event::Connection {
        account: "alice@example.org".into(),
        state: ConnectionState::Online {
            jid: "alice@example.org/sotto-1".into(),
            resumed: false,
        },
    }]);
    assert!(h.shows(shown));
    // …published keys do.
    h.events([Event::OmemoReady {
        account: "alice@example.org".into(),
        device_id: 7,
        fingerprint: "0".repeat(64),
    }]);
    assert!(!h.shows(shown));
}

#[test]
fn connection_states_and_reasons_are_shown() {
    let mut h = Harness::new();
    h.events([Event::AccountsSnapshot {
        accounts: vec![settings("alice@example.org")],
    }]);
    h.update(sotto_desktop::screen::ready::Message::Show(Pane::Accounts));
    assert!(h.shows("Not connected yet"));
    h.events([Event::Connection {
        account: "alice@example.org".into(),
        state: ConnectionState::Offline {
            reason: "could not reach the server".into(),
            retry_in_ms: Some(3_200),
        },
    }]);
    assert!(h.shows("Offline: could not reach the server. Trying again in 4 s."));
    h.events([
        Event::AuthenticationFailed {
            account: "alice@example.org".into(),
            reason: "NotAuthorized".into(),
        },
        Event::Connection {
            account: "alice@example.org".into(),
            state: ConnectionState::Offline {
                reason: "the server refused the login: NotAuthorized".into(),
                retry_in_ms: None,
            },
        },
    ]);
    assert!(h.shows("Offline: the server refused the login: NotAuthorized"));
    h.click("Try again");
    h.click("Disable");
    let sent = h.commands.drain();
    assert!(sent.contains(&Command::SetAccountEnabled {
        account: "alice@example.org".into(),
        enabled: true
    }));
    assert!(sent.contains(&Command::SetAccountEnabled {
        account: "alice@example.org".into(),
        enabled: false
    }));
    h.events([Event::Connection {
        account: "alice@example.org".into(),
        state: ConnectionState::Online {
            jid: "alice@example.org/sotto-1".into(),
            resumed: false,
        },
    }]);
    assert!(h.shows("Online as alice@example.org/sotto-1"));

    // Removing asks first.
    h.click("Remove");
    assert!(h.shows("Remove it and all its messages?"));
    h.click("Remove");
    assert_eq!(
        h.commands.drain(),
        vec![Command::RemoveAccount {
            account: "alice@example.org".into()
        }]
    );
    h.events([Event::AccountRemoved {
        account: "alice@example.org".into(),
    }]);
    assert!(!h.shows("alice@example.org"));
}

/// What a server lacks is shown on its account, in sentences; a refused
/// channel binding is not blamed on the password.
#[test]
fn server_limits_and_a_refused_channel_binding_are_shown() {
    let mut h = Harness::new();
    h.events([Event::AccountsSnapshot {
        accounts: vec![settings("alice@example.org")],
    }]);
    h.update(sotto_desktop::screen::ready::Message::Show(Pane::Accounts));
    h.events([Event::ServerFeatures {
        account: "alice@example.org".into(),
        missing: vec![
            sotto_core::MissingFeature::Pep,
            sotto_core::MissingFeature::StreamManagement,
        ],
    }]);
    // PEP is told by OMEMO's own notice (omemo_unavailable), not twice.
    let pep = "This server does not support personal eventing (PEP): OMEMO encryption is \
               unavailable on this account; OTR still works.";
    assert!(!h.shows(pep));
    let sm = "This server does not support stream management: a dropped connection is \
              re-established from scratch, and messages in flight are sent again.";
    assert!(h.shows(sm));
    // The next login on a complete server clears them.
    h.events([Event::ServerFeatures {
        account: "alice@example.org".into(),
        missing: vec![],
    }]);
    assert!(!h.shows(sm));

    h.events([Event::ChannelBindingRejected {
        account: "alice@example.org".into(),
        reason: "the server refused the login's channel binding".into(),
    }]);
    assert!(h.shows(
        "Sotto could not log in: the server refused the login's channel binding. Your \
         password was not rejected. Enable the account again later, or from another network."
    ));
}

#[test]
fn an_untrusted_certificate_is_shown_and_can_be_pinned_or_dismissed() {
    let sha = "5d41402abc4b2a76b9719d911017c5925d41402abc4b2a76b9719d911017c592";
    let mut h = Harness::new();
    h.events([
        Event::AccountsSnapshot {
            accounts: vec![settings("alice@example.org")],
        },
        Event::CertificateUntrusted {
            account: "alice@example.org".into(),
            sha256: sha.into(),
            reason: "self-signed".into(),
        },
    ]);
    assert!(h.shows("Check the server's certificate"));
    assert!(h.shows(&sotto_desktop::widgets::fingerprint(sha)));
    h.click("Cancel");
    assert!(!h.shows("Check the server's certificate"));
    assert!(
        !h.commands
            .drain()
            .iter()
            .any(|c| matches!(c, Command::PinCertificate { .. }))
    );

    h.events([Event::CertificateUntrusted {
        account: "alice@example.org".into(),
        sha256: sha.into(),
        reason: "self-signed".into(),
    }]);
    h.click("Pin certificate");
    assert!(h.commands.drain().contains(&Command::PinCertificate {
        account: "alice@example.org".into(),
        sha256: sha.into(),
    }));
    assert!(!h.shows("Check the server's certificate"));
}

#[test]
fn tor_everywhere_and_bootstrap_progress() {
    let mut h = Harness::new();
    h.events([Event::AccountsSnapshot {
        accounts: vec![settings("alice@example.org")],
    }]);
    h.update(sotto_desktop::screen::ready::Message::Show(Pane::Accounts));
    assert!(h.commands.drain().contains(&Command::GetTorStatus));
    h.click("Connect every account only through the built-in Tor");
    assert_eq!(
        h.commands.drain(),
        vec![Command::SetTorEverywhere { enabled: true }]
    );
    h.events([
        Event::TorEverywhere { enabled: true },
        Event::TorStatus {
            percent: 40,
            ready: false,
            summary: "40%: loading directory".into(),
            blocked: None,
        },
    ]);
    assert!(h.shows("Starting Tor: 40%: loading directory"));
    // Cancelling the long bootstrap: stop routing through Tor.
    h.click("Stop using Tor for everything");
    assert_eq!(
        h.commands.drain(),
        vec![Command::SetTorEverywhere { enabled: false }]
    );
    h.events([Event::TorStatus {
        percent: 100,
        ready: true,
        summary: "done".into(),
        blocked: None,
    }]);
    assert!(h.shows("Tor is ready."));
}

#[test]
fn an_account_is_edited_in_the_same_dialog() {
    let mut h = Harness::new();
    let pin = "ab".repeat(32);
    h.events([Event::AccountsSnapshot {
        accounts: vec![AccountSettings {
            host: Some("old.example.org".into()),
            pinned_cert_sha256: Some(pin.clone()),
            ..settings("alice@example.org")
        }],
    }]);
    h.update(sotto_desktop::screen::ready::Message::Show(Pane::Accounts));
    h.commands.drain();
    h.click("Edit");
    assert!(h.shows("Edit alice@example.org"));
    assert!(!h.shows("Create this account on the server (in-band registration)"));

    // A bad port is refused in the dialog; nothing is sent.
    h.type_into(account_form::PORT, "http");
    h.click("Save");
    assert!(h.shows("The port must be a number from 1 to 65535."));
    assert!(h.commands.drain().is_empty());

    // Fields are replaced whole (typing appends to what is there).
    let form = |m| {
        sotto_desktop::screen::ready::Message::Accounts(
            sotto_desktop::screen::ready::accounts::Message::Form(m),
        )
    };
    h.update(form(account_form::Message::Port("5223".into())));
    h.update(form(account_form::Message::Host("xmpp.example.org".into())));
    h.click("Direct TLS (no STARTTLS)");
    h.click("Save");
    let sent = h.commands.drain();
    let Some(Command::EditAccount {
        account,
        server,
        password,
    }) = sent.last()
    else {
        panic!("no edit_account in {sent:?}");
    };
    assert_eq!(account, "alice@example.org");
    assert_eq!(server.host.as_deref(), Some("xmpp.example.org"));
    assert_eq!(server.port, Some(5223));
    assert!(server.direct_tls);
    assert_eq!(server.pinned_cert_sha256.as_deref(), Some(pin.as_str()));
    assert!(
        password.is_none(),
        "an empty password field keeps the saved one"
    );
    assert!(h.shows("Saving…"));

    // Saved: the dialog closes.
    h.events([Event::AccountChanged {
        settings: AccountSettings {
            host: Some("xmpp.example.org".into()),
            port: Some(5223),
            direct_tls: true,
            ..settings("alice@example.org")
        },
    }]);
    assert!(!h.shows("Edit alice@example.org"));
}
