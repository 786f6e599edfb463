// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! One interface over the test servers, so a suite runs against each of them
//! ([`on_servers!`](crate::on_servers)).

use std::path::PathBuf;

use crate::{Ejabberd, Prosody};

/// Which server a test runs against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ServerKind {
    /// Prosody 0.12 with every module the client uses.
    Prosody,
    /// ejabberd 23.01 with Debian's SASL defaults.
    Ejabberd,
    /// Prosody without PEP, MAM, stream management and carbons.
    MinimalProsody,
}

impl ServerKind {
    /// Whether the server offers PEP (so OMEMO), MAM, XEP-0198 and carbons.
    #[must_use]
    pub fn is_minimal(self) -> bool {
        self == Self::MinimalProsody
    }
}

/// What the tests need from a running server, whichever it is.
pub trait XmppServer {
    /// Which server this is.
    fn kind(&self) -> ServerKind;
    /// The XMPP domain (`localhost`).
    fn domain(&self) -> &str;
    /// `user@domain`.
    fn jid(&self, user: &str) -> String {
        format!("{user}@{}", self.domain())
    }
    /// The STARTTLS client port on 127.0.0.1.
    fn c2s_port(&self) -> u16;
    /// The group chat service (XEP-0045), `conference.<domain>` on both servers.
    fn muc_domain(&self) -> String {
        format!("conference.{}", self.domain())
    }
    /// The XEP-0368 direct TLS client port on 127.0.0.1.
    fn direct_tls_port(&self) -> u16;
    /// The HTTPS port of the upload service.
    fn https_port(&self) -> u16;
    /// The XEP-0114 port for [`SILENT_COMPONENT`](crate::SILENT_COMPONENT).
    fn component_port(&self) -> u16;
    /// What the GET URL of every upload starts with.
    fn upload_url_prefix(&self) -> String;
    /// The largest file the upload service takes, in bytes.
    fn upload_limit(&self) -> u64;
    /// Lowercase hex SHA-256 of the server's DER certificate.
    fn cert_sha256(&self) -> String;
    /// The PEM certificate file.
    fn cert_path(&self) -> PathBuf;
    /// The server's log file.
    fn log_path(&self) -> PathBuf;
    /// The last `n` lines of the log.
    fn log_tail(&self, n: usize) -> String;
    /// Everything the server stores (for plaintext scans).
    fn data_dir(&self) -> PathBuf;
    /// The server's PID, if it runs.
    fn pid(&self) -> Option<u32>;
    /// Creates `user@domain` with `password`.
    ///
    /// # Errors
    ///
    /// If the account exists or the server refuses it.
    fn register(&self, user: &str, password: &str) -> anyhow::Result<()>;
    /// Stops the server (SIGTERM, clean shutdown).
    ///
    /// # Errors
    ///
    /// If signalling or waiting fails.
    fn stop(&mut self) -> anyhow::Result<()>;
    /// Starts it again on the same ports with the same data.
    ///
    /// # Errors
    ///
    /// If it does not come back.
    fn restart(&mut self) -> anyhow::Result<()>;
}

macro_rules! delegate_server {
    ($ty:ty, $kind:expr) => {
        impl XmppServer for $ty {
            fn kind(&self) -> ServerKind {
                ($kind)(self)
            }
            fn domain(&self) -> &str {
                <$ty>::domain(self)
            }
            fn c2s_port(&self) -> u16 {
                <$ty>::c2s_port(self)
            }
            fn direct_tls_port(&self) -> u16 {
                <$ty>::direct_tls_port(self)
            }
            fn https_port(&self) -> u16 {
                <$ty>::https_port(self)
            }
            fn component_port(&self) -> u16 {
                <$ty>::component_port(self)
            }
            fn upload_url_prefix(&self) -> String {
                <$ty>::upload_url_prefix(self)
            }
            fn upload_limit(&self) -> u64 {
                <$ty>::upload_limit(self)
            }
            fn cert_sha256(&self) -> String {
                <$ty>::cert_sha256(self)
            }
            fn cert_path(&self) -> PathBuf {
                <$ty>::cert_path(self)
            }
            fn log_path(&self) -> PathBuf {
                <$ty>::log_path(self)
            }
            fn log_tail(&self, n: usize) -> String {
                <$ty>::log_tail(self, n)
            }
            fn data_dir(&self) -> PathBuf {
                <$ty>::data_dir(self)
            }
            fn pid(&self) -> Option<u32> {
                <$ty>::pid(self)
            }
            fn register(&self, user: &str, password: &str) -> anyhow::Result<()> {
                <$ty>::register(self, user, password)
            }
            fn stop(&mut self) -> anyhow::Result<()> {
                <$ty>::stop(self)
            }
            fn restart(&mut self) -> anyhow::Result<()> {
                <$ty>::restart(self)
            }
        }
    };
}

delegate_server!(Prosody, |p: &Prosody| if p.options().minimal {
    ServerKind::MinimalProsody
} else {
    ServerKind::Prosody
});
delegate_server!(Ejabberd, |_: &Ejabberd| ServerKind::Ejabberd);

/// A running test server of any kind. It derefs to [`XmppServer`], and
/// [`as_prosody`](Self::as_prosody) / [`as_ejabberd`](Self::as_ejabberd) reach
/// what only one of them has.
#[derive(Debug)]
pub enum TestServer {
    /// Prosody, full or minimal.
    Prosody(Prosody),
    /// ejabberd.
    Ejabberd(Ejabberd),
}

impl TestServer {
    /// Starts a server of this kind with default options.
    ///
    /// # Errors
    ///
    /// As [`Prosody::start`] and [`Ejabberd::start`].
    pub fn start(kind: ServerKind) -> anyhow::Result<Self> {
        Ok(match kind {
            ServerKind::Prosody => Self::Prosody(Prosody::start()?),
            ServerKind::MinimalProsody => Self::Prosody(Prosody::start_minimal()?),
            ServerKind::Ejabberd => Self::Ejabberd(Ejabberd::start()?),
        })
    }

    /// Starts a server of this kind and registers these `(user, password)`s.
    ///
    /// # Panics
    ///
    /// If the server does not start or a registration fails: this is for tests.
    #[must_use]
    pub fn with_users(kind: ServerKind, users: &[(&str, &str)]) -> Self {
        let server =
            Self::start(kind).unwrap_or_else(|e| panic!("starting the {kind:?} server: {e:#}"));
        server.register_all(users);
        server
    }

    /// Registers these `(user, password)`s.
    ///
    /// # Panics
    ///
    /// If a registration fails.
    pub fn register_all(&self, users: &[(&str, &str)]) {
        for (user, password) in users {
            self.register(user, password)
                .unwrap_or_else(|e| panic!("registering {user} on {:?}: {e:#}", self.kind()));
        }
    }

    /// The Prosody, if this is one.
    #[must_use]
    pub fn as_prosody(&self) -> Option<&Prosody> {
        match self {
            Self::Prosody(p) => Some(p),
            Self::Ejabberd(_) => None,
        }
    }

    /// The ejabberd, if this is one.
    #[must_use]
    pub fn as_ejabberd(&self) -> Option<&Ejabberd> {
        match self {
            Self::Ejabberd(e) => Some(e),
            Self::Prosody(_) => None,
        }
    }

    fn inner(&self) -> &dyn XmppServer {
        match self {
            Self::Prosody(p) => p,
            Self::Ejabberd(e) => e,
        }
    }

    fn inner_mut(&mut self) -> &mut dyn XmppServer {
        match self {
            Self::Prosody(p) => p,
            Self::Ejabberd(e) => e,
        }
    }
}

impl XmppServer for TestServer {
    fn kind(&self) -> ServerKind {
        self.inner().kind()
    }
    fn domain(&self) -> &str {
        self.inner().domain()
    }
    fn c2s_port(&self) -> u16 {
        self.inner().c2s_port()
    }
    fn direct_tls_port(&self) -> u16 {
        self.inner().direct_tls_port()
    }
    fn https_port(&self) -> u16 {
        self.inner().https_port()
    }
    fn component_port(&self) -> u16 {
        self.inner().component_port()
    }
    fn upload_url_prefix(&self) -> String {
        self.inner().upload_url_prefix()
    }
    fn upload_limit(&self) -> u64 {
        self.inner().upload_limit()
    }
    fn cert_sha256(&self) -> String {
        self.inner().cert_sha256()
    }
    fn cert_path(&self) -> PathBuf {
        self.inner().cert_path()
    }
    fn log_path(&self) -> PathBuf {
        self.inner().log_path()
    }
    fn log_tail(&self, n: usize) -> String {
        self.inner().log_tail(n)
    }
    fn data_dir(&self) -> PathBuf {
        self.inner().data_dir()
    }
    fn pid(&self) -> Option<u32> {
        self.inner().pid()
    }
    fn register(&self, user: &str, password: &str) -> anyhow::Result<()> {
        self.inner().register(user, password)
    }
    fn stop(&mut self) -> anyhow::Result<()> {
        self.inner_mut().stop()
    }
    fn restart(&mut self) -> anyhow::Result<()> {
        self.inner_mut().restart()
    }
}

/// What an [`on_servers!`](crate::on_servers) test takes: the started server
/// or just its kind (for tests that start it themselves, with options).
pub trait FromServerKind {
    /// Builds the argument for a test on `kind`.
    fn from_server_kind(kind: ServerKind) -> Self;
}

impl FromServerKind for ServerKind {
    fn from_server_kind(kind: ServerKind) -> Self {
        kind
    }
}

impl FromServerKind for TestServer {
    fn from_server_kind(kind: ServerKind) -> Self {
        Self::start(kind).unwrap_or_else(|e| panic!("starting the {kind:?} server: {e:#}"))
    }
}

/// Runs each test against each listed server: for
///
/// ```ignore
/// sotto_tests::on_servers! { [Prosody, Ejabberd]
///     async fn messages_round_trip(server: TestServer) { /* … */ }
/// }
/// ```
///
/// it writes a module `messages_round_trip` with one
/// `#[tokio::test(flavor = "multi_thread", worker_threads = 2)]` per server,
/// named `prosody`, `ejabberd` or `minimal_prosody`, so test names say which
/// server failed. The argument is a started [`TestServer`] or a
/// [`ServerKind`] (anything [`FromServerKind`]). Several tests may follow one
/// server list. The calling crate needs `tokio` with its `macros` feature.
/// Written with `fn` instead of `async fn`, the tests are plain `#[test]`s
/// (for tests that drive a CLI binary).
#[macro_export]
macro_rules! on_servers {
    ($kinds:tt
     $( $(#[$meta:meta])*
        async fn $name:ident($arg:ident : $ty:ty) $(-> $ret:ty)? $body:block )+) => {
        $(
            $crate::on_servers!(@async $kinds [$($ret)?] [$($ret)?]
                $(#[$meta])* $name $arg $ty $body);
        )+
    };
    ($kinds:tt
     $( $(#[$meta:meta])* fn $name:ident($arg:ident : $ty:ty) $body:block )+) => {
        $(
            $crate::on_servers!(@blocking $kinds $(#[$meta])* $name $arg $ty $body);
        )+
    };
    (@async [$($kind:ident),+ $(,)?] [$($ret:ty)?] $rets:tt
     $(#[$meta:meta])* $name:ident $arg:ident $ty:ty $body:block) => {
        $(#[$meta])*
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            async fn on_servers_test_body($arg: $ty) $(-> $ret)? $body

            $( $crate::on_servers!(@test $kind $ty $rets); )+
        }
    };
    (@blocking [$($kind:ident),+ $(,)?]
     $(#[$meta:meta])* $name:ident $arg:ident $ty:ty $body:block) => {
        $(#[$meta])*
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            fn on_servers_test_body($arg: $ty) $body

            $( $crate::on_servers!(@sync $kind $ty); )+
        }
    };
    (@sync Prosody $ty:ty) => {
        #[test]
        fn prosody() {
            on_servers_test_body(<$ty as $crate::server::FromServerKind>::from_server_kind(
                $crate::server::ServerKind::Prosody,
            ));
        }
    };
    (@sync Ejabberd $ty:ty) => {
        #[test]
        fn ejabberd() {
            on_servers_test_body(<$ty as $crate::server::FromServerKind>::from_server_kind(
                $crate::server::ServerKind::Ejabberd,
            ));
        }
    };
    (@sync MinimalProsody $ty:ty) => {
        #[test]
        fn minimal_prosody() {
            on_servers_test_body(<$ty as $crate::server::FromServerKind>::from_server_kind(
                $crate::server::ServerKind::MinimalProsody,
            ));
        }
    };
    (@test Prosody $ty:ty [$($ret:ty)?]) => {
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn prosody() $(-> $ret)? {
            on_servers_test_body(<$ty as $crate::server::FromServerKind>::from_server_kind(
                $crate::server::ServerKind::Prosody,
            ))
            .await
        }
    };
    (@test Ejabberd $ty:ty [$($ret:ty)?]) => {
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn ejabberd() $(-> $ret)? {
            on_servers_test_body(<$ty as $crate::server::FromServerKind>::from_server_kind(
                $crate::server::ServerKind::Ejabberd,
            ))
            .await
        }
    };
    (@test MinimalProsody $ty:ty [$($ret:ty)?]) => {
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn minimal_prosody() $(-> $ret)? {
            on_servers_test_body(<$ty as $crate::server::FromServerKind>::from_server_kind(
                $crate::server::ServerKind::MinimalProsody,
            ))
            .await
        }
    };
}
