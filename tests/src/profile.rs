// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! A Sotto profile driven only through the core's Command/Event channel,
//! as front ends drive it.

use std::sync::Arc;
use std::time::Duration;

use crate::server::{ServerKind, TestServer, XmppServer};
use crate::{Prosody, TestDir};
use sotto_core::{Command, ConnectionState, CoreHandle, Event, Secret, ServerOptions};
use sotto_store::{Password, ProfileKey, SqlStore};

pub const PASSPHRASE: &str = "profile passphrase for tests";
pub const WAIT: Duration = Duration::from_secs(30);

/// One profile with its own encrypted store and core.
#[derive(Debug)]
pub struct Profile {
    pub dir: TestDir,
    pub store: SqlStore,
    pub core: CoreHandle,
    /// Events seen but not yet consumed by an `expect`.
    pub seen: Vec<Event>,
}

impl Profile {
    pub fn new(name: &str) -> Profile {
        Self::with_tor_network(name, None)
    }

    /// A new profile whose core uses this private Tor network for Tor accounts.
    pub fn with_tor_network(name: &str, network: Option<sotto_core::CustomNetwork>) -> Profile {
        let dir = TestDir::new(name).expect("creating the profile directory");
        Self::create(dir, network)
    }

    /// A new profile in `dir` (already made: e.g. with a small file system
    /// mounted on it).
    pub fn create_in(dir: TestDir) -> Profile {
        Self::create(dir, None)
    }

    fn create(dir: TestDir, network: Option<sotto_core::CustomNetwork>) -> Profile {
        let key = ProfileKey::Passphrase(Password::new(PASSPHRASE.into()));
        let store = SqlStore::create(&dir.join("profile"), &key).expect("creating the profile");
        let core = sotto_core::start_with_options(
            Arc::new(store.clone()),
            sotto_core::CoreOptions {
                profile_dir: Some(dir.join("profile")),
                tor_network: network,
            },
        );
        Profile {
            dir,
            store,
            core,
            seen: Vec::new(),
        }
    }

    /// Opens an existing profile directory (made by [`Profile::new`] and shut down).
    pub fn reopen(dir: TestDir) -> Profile {
        let key = ProfileKey::Passphrase(Password::new(PASSPHRASE.into()));
        let store = SqlStore::open(&dir.join("profile"), &key).expect("opening the profile");
        let core = sotto_core::start(Arc::new(store.clone()));
        Profile {
            dir,
            store,
            core,
            seen: Vec::new(),
        }
    }

    pub fn profile_dir(&self) -> std::path::PathBuf {
        self.dir.join("profile")
    }

    pub fn send(&self, command: Command) {
        self.core.send(command).expect("core alive");
    }

    /// Waits for the first event matching `pred` (earlier unmatched events stay queued).
    pub async fn expect(&mut self, what: &str, pred: impl Fn(&Event) -> bool) -> Event {
        self.expect_within(what, WAIT, pred).await
    }

    /// [`Profile::expect`] with its own time limit.
    pub async fn expect_within(
        &mut self,
        what: &str,
        within: std::time::Duration,
        pred: impl Fn(&Event) -> bool,
    ) -> Event {
        if let Some(i) = self.seen.iter().position(&pred) {
            return self.seen.remove(i);
        }
        let deadline = tokio::time::Instant::now() + within;
        loop {
            match tokio::time::timeout_at(deadline, self.core.events.recv()).await {
                Ok(Some(event)) if pred(&event) => return event,
                Ok(Some(event)) => self.seen.push(event),
                Ok(None) => panic!("core stopped while waiting for {what}"),
                Err(_) => panic!(
                    "timed out waiting for {what}; events seen: {:#?}",
                    self.seen.iter().rev().take(15).collect::<Vec<_>>()
                ),
            }
        }
    }

    /// Every event received and not yet matched by [`Profile::expect`],
    /// including those still in the channel; they are gone afterwards.
    pub fn take_seen(&mut self) -> Vec<Event> {
        while let Ok(event) = self.core.events.try_recv() {
            self.seen.push(event);
        }
        std::mem::take(&mut self.seen)
    }

    /// Drops queued events.
    pub fn forget(&mut self) {
        self.seen.clear();
        while self.core.events.try_recv().is_ok() {}
    }

    /// [`Self::login`] through `port` (a proxy in front of the server's
    /// client port) instead of the server's own port; returns the bound JID.
    pub async fn login_through(
        &mut self,
        server: &(impl XmppServer + ?Sized),
        user: &str,
        password: &str,
        port: u16,
    ) -> String {
        self.add(server, user, password, true, false, Some(port))
            .await;
        self.online(&server.jid(user)).await
    }

    /// Adds an account on this server (pinned to its certificate) and waits until online.
    pub async fn login(
        &mut self,
        prosody: &(impl XmppServer + ?Sized),
        user: &str,
        password: &str,
    ) -> String {
        self.add(prosody, user, password, true, false, None).await;
        let jid = self.online(&prosody.jid(user)).await;
        // A server without PEP has nowhere to publish OMEMO keys.
        if prosody.kind().is_minimal() {
            return jid;
        }
        // The account publishes its OMEMO device right after logging in;
        // waiting for that keeps "does the peer have OMEMO?" deterministic.
        // The event stays queued for tests that want the device's identity.
        let account = prosody.jid(user);
        let ready = self
            .expect(
                "OMEMO ready",
                |e| matches!(e, Event::OmemoReady { account: a, .. } if *a == account),
            )
            .await;
        self.seen.insert(0, ready);
        jid
    }

    pub async fn add(
        &mut self,
        prosody: &(impl XmppServer + ?Sized),
        user: &str,
        password: &str,
        pin: bool,
        register: bool,
        port: Option<u16>,
    ) {
        self.send(Command::AddAccount {
            jid: prosody.jid(user),
            password: Secret::new(password),
            server: ServerOptions {
                host: Some("127.0.0.1".into()),
                port: Some(port.unwrap_or(prosody.c2s_port())),
                direct_tls: false,
                pinned_cert_sha256: pin.then(|| prosody.cert_sha256()),
                ..ServerOptions::default()
            },
            register,
        });
    }

    /// Waits until `account` is online; returns its full JID.
    pub async fn online(&mut self, account: &str) -> String {
        let account = account.to_owned();
        let event = self
            .expect("online", |e| {
                matches!(e, Event::Connection { account: a, state: ConnectionState::Online { .. } } if *a == account)
                    || matches!(e, Event::Connection { account: a, state: ConnectionState::Offline { retry_in_ms: None, .. } } if *a == account)
            })
            .await;
        match event {
            Event::Connection {
                state: ConnectionState::Online { jid, .. },
                ..
            } => jid,
            other => panic!("{account} did not come online: {other:?}"),
        }
    }

    pub fn send_message(&self, account: &str, to: &str, body: &str) {
        self.send(Command::SendMessage {
            account: account.into(),
            to: to.into(),
            body: body.into(),
            encryption: None,
        });
    }

    /// Waits for a stored message with this body.
    pub async fn expect_message(&mut self, body: &str) -> sotto_store::MessageRecord {
        let body = body.to_owned();
        match self
            .expect(
                &format!("message {body:?}"),
                |e| matches!(e, Event::MessageAdded { message, .. } if message.body == body),
            )
            .await
        {
            Event::MessageAdded { message, .. } => message,
            _ => unreachable!(),
        }
    }

    pub async fn shutdown(mut self) -> TestDir {
        self.send(Command::Shutdown);
        self.expect("stopped", |e| matches!(e, Event::Stopped))
            .await;
        let Profile { dir, core, .. } = self;
        core.join().await;
        dir
    }
}

/// A Prosody with these users registered.
pub fn prosody_with(users: &[(&str, &str)]) -> Prosody {
    let prosody = Prosody::start().expect("starting Prosody");
    for (user, password) in users {
        prosody
            .register(user, password)
            .expect("registering a test user");
    }
    prosody
}

/// A server of this kind with these users registered.
pub fn server_with(kind: ServerKind, users: &[(&str, &str)]) -> TestServer {
    TestServer::with_users(kind, users)
}

/// A bare `sotto_xmpp::Session` logged in to the server as `user` (pinned to
/// its certificate), for tests that need to send raw stanzas — a forger, a
/// peer probing our disco. Its events are drained in the background.
pub async fn raw_session(
    prosody: &(impl XmppServer + ?Sized),
    user: &str,
    password: &str,
) -> sotto_xmpp::Session {
    let (session, mut events) = raw_session_with_events(prosody, user, password).await;
    tokio::spawn(async move { while events.recv().await.is_some() {} });
    session
}

/// Like [`raw_session`], but the caller keeps the session's events (those
/// after `Online`).
pub async fn raw_session_with_events(
    prosody: &(impl XmppServer + ?Sized),
    user: &str,
    password: &str,
) -> (
    sotto_xmpp::Session,
    tokio::sync::mpsc::UnboundedReceiver<sotto_xmpp::SessionEvent>,
) {
    use sotto_xmpp::{
        CertFingerprint, DirectTransport, Session, SessionConfig, SessionEvent, Target,
    };
    let (session, mut events) = Session::start(SessionConfig {
        jid: prosody.jid(user).parse().expect("a valid JID"),
        resource: "raw".into(),
        password: sotto_xmpp::Password::new(password),
        target: Target {
            domain: prosody.domain().into(),
            host: Some("127.0.0.1".into()),
            port: Some(prosody.c2s_port()),
            direct_tls: false,
        },
        pinned_cert: CertFingerprint::parse(&prosody.cert_sha256()),
        transport: Arc::new(DirectTransport),
        scram_only: false,
    })
    .expect("a valid session configuration");
    loop {
        match events.recv().await.expect("session alive") {
            SessionEvent::Online { .. } => break,
            SessionEvent::Stopped { error } => panic!("{user} could not log in: {error}"),
            _ => {}
        }
    }
    (session, events)
}
