// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! One account's live XMPP session.
//!
//! [`Session::start`] spawns a driver task that owns the stream (stream
//! management, resumption and reconnection come from
//! `tokio_xmpp::stanzastream`, fed by our own login), answers what the
//! protocol requires of a client (pings, disco, roster push acks), and turns
//! everything else into [`SessionEvent`]s. The [`Session`] handle sends
//! stanzas and IQ requests into it.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;
use xmpp_parsers::iq::Iq;
use xmpp_parsers::jid::{BareJid, FullJid, Jid};
use xmpp_parsers::message::Message;
use xmpp_parsers::minidom::Element;
use xmpp_parsers::presence::Presence;
use xmpp_parsers::roster::Roster;
use xmpp_parsers::stanza::Stanza;
use zeroize::Zeroizing;

use crate::error::{ConnectError, IqError};
use crate::iq::IqTracker;
use crate::tls::CertFingerprint;
use crate::transport::{Target, Transport};
use crate::xep::mam::{self, ArchivePage, Page};
use crate::xep::message::IncomingMessage;
use crate::xep::presence::PresenceUpdate;
use crate::xep::register;
use crate::xep::roster::{self, Contact, RosterResult};

mod blocking;
mod driver;
mod features;
mod omemo;
mod pep;
mod reconnect;
mod rooms;
mod upload;

pub use crate::xep::pep::PublishOutcome;
pub use blocking::BlocklistPush;
#[cfg(feature = "fuzzing")]
pub(crate) use driver::fuzzing as driver_fuzzing;
pub use features::ServerFeatures;
pub use rooms::RoomArchivePage;
pub use upload::{Slot, UploadService, upload_service_of};

pub(crate) use driver::MamCollector;

/// How long an IQ request may wait for its answer.
const IQ_TIMEOUT: Duration = Duration::new(30, 0);

/// An IQ error answer as the error of the request it answers.
pub(crate) fn refused(
    what: &'static str,
    error: &xmpp_parsers::stanza_error::StanzaError,
) -> IqError {
    IqError::Refused {
        what,
        condition: crate::error::condition_name(&error.defined_condition),
        text: error
            .texts
            .values()
            .next()
            .map(|t| crate::text::untrusted_text(t)),
    }
}

/// The account's password. Zeroized on drop; `Debug` never shows it.
#[derive(Clone)]
pub struct Password(Arc<Zeroizing<String>>);

impl Password {
    /// Wraps a password.
    pub fn new(value: impl Into<String>) -> Self {
        Self(Arc::new(Zeroizing::new(value.into())))
    }

    /// The password, for SASL.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

/// Everything needed to run a session.
#[derive(Clone, Debug)]
pub struct SessionConfig {
    /// The account.
    pub jid: BareJid,
    /// The resource to ask for.
    pub resource: String,
    /// The password.
    pub password: Password,
    /// Where the server is.
    pub target: Target,
    /// Accept exactly this certificate instead of validating against the system roots.
    pub pinned_cert: Option<CertFingerprint>,
    /// How bytes reach the server.
    pub transport: Arc<dyn Transport>,
    /// Refuse PLAIN: set once the account has logged in with SCRAM, so a
    /// server (or anyone in its place) cannot downgrade it to sending the
    /// password itself.
    pub scram_only: bool,
}

/// Delivery progress of a tracked outgoing stanza.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Delivery {
    /// Written to the stream.
    Sent,
    /// Acknowledged by the server (XEP-0198).
    Acked,
    /// Lost with its stream before the server acknowledged it.
    Failed,
}

/// What a session reports.
#[derive(Debug)]
#[non_exhaustive]
pub enum SessionEvent {
    /// A connection attempt started.
    Connecting,
    /// The server accepted our login with this SASL mechanism (before
    /// `Online`).
    LoggedIn {
        /// e.g. `SCRAM-SHA-256`.
        mechanism: String,
    },
    /// Online. `resumed` is false for a fresh session: roster, carbons,
    /// presence and archive catch-up must be redone.
    Online {
        /// Bound full JID.
        jid: FullJid,
        /// Whether the previous session was resumed.
        resumed: bool,
        /// Whether the stream offers stream management (XEP-0198).
        stream_management: bool,
    },
    /// The connection was lost; the session reconnects and tries to resume.
    Suspended,
    /// An attempt failed; the next one follows after `retry_in`.
    RetryScheduled {
        /// Why.
        reason: String,
        /// Delay before the next attempt.
        retry_in: Duration,
    },
    /// The session stopped trying: the user must act (credentials, certificate).
    Stopped {
        /// Why.
        error: ConnectError,
    },
    /// A message arrived (direct or carbon copy).
    Message(Box<IncomingMessage>),
    /// Presence or subscription change.
    Presence(PresenceUpdate),
    /// The server changed our roster.
    RosterPush {
        /// The contact.
        contact: Contact,
        /// Whether it was removed.
        removed: bool,
        /// New roster version.
        version: Option<String>,
    },
    /// The server changed our block list (XEP-0191).
    Blocklist(BlocklistPush),
    /// Delivery progress of a tracked stanza.
    Delivery {
        /// The tracking key given to [`Session::send_tracked`].
        key: String,
        /// Progress.
        state: Delivery,
    },
    /// A contact (or our own account) published its OMEMO device list (PEP
    /// notification, accepted only from the publisher's bare JID).
    OmemoDeviceList {
        /// Whose list.
        from: BareJid,
        /// Which OMEMO.
        namespace: crate::xep::omemo::Namespace,
        /// The devices.
        list: crate::xep::omemo::DeviceList,
    },
    /// A room told us about an occupant (ourselves when 110 is among its
    /// status codes). Only the room's own bare JID speaks here: the caller
    /// drops presences of rooms it has not joined.
    RoomPresence(Box<crate::xep::muc::RoomPresence>),
    /// An error presence: a room refusing our join or nick change (the
    /// caller keeps only those of rooms it is joining).
    RoomError(crate::xep::muc::RoomError),
    /// A `type=groupchat` message (the caller drops those of rooms it has
    /// not joined).
    RoomMessage(Box<crate::xep::muc::message::RoomMessage>),
    /// An invitation to a room (mediated or direct).
    RoomInvitation(Box<crate::xep::muc::message::Invitation>),
    /// Someone declined our invitation.
    RoomInvitationDeclined(crate::xep::muc::message::Declined),
    /// Our account's bookmarks changed (XEP-0402 notification from our
    /// own account only).
    Bookmarks(Vec<crate::xep::bookmarks::BookmarkChange>),
    /// A stanza was refused for security reasons (already logged, without content).
    Rejected {
        /// Why.
        reason: String,
    },
}

pub(crate) enum Outgoing {
    Stanza(Stanza),
    Tracked(Stanza, String),
    Close(oneshot::Sender<()>),
    /// Our own server left a request sent at this instant unanswered for
    /// the whole time limit: if the stream was up all that time, it is
    /// taken for dead.
    Unanswered(std::time::Instant),
}

/// A running session: the driver task and a [`SessionHandle`] on it.
///
/// It dereferences to its handle, so requests are made on it directly; a
/// caller that must wait for an answer without holding the session (an
/// account that never awaits a round trip inline) takes a
/// [`Session::handle`] into the future that waits.
#[derive(Debug)]
pub struct Session {
    handle: SessionHandle,
    driver: JoinHandle<()>,
}

/// What sends stanzas and IQ requests into a running session. Cheap to
/// clone; every clone talks to the same stream. Requests made after the
/// session stopped fail as disconnected.
#[derive(Debug, Clone)]
pub struct SessionHandle {
    own: BareJid,
    outgoing: mpsc::UnboundedSender<Outgoing>,
    iq: IqTracker,
    mam: MamCollector,
    /// What disco said about our PEP service, once asked.
    pep: Arc<std::sync::Mutex<Option<crate::xep::pep::PepSupport>>>,
    /// The server takes no publish-option but the access model (ejabberd).
    pep_access_only: Arc<std::sync::atomic::AtomicBool>,
}

impl std::ops::Deref for Session {
    type Target = SessionHandle;

    fn deref(&self) -> &SessionHandle {
        &self.handle
    }
}

impl std::fmt::Debug for Outgoing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Stanza(_) => "Outgoing::Stanza",
            Self::Tracked(..) => "Outgoing::Tracked",
            Self::Close(_) => "Outgoing::Close",
            Self::Unanswered(_) => "Outgoing::Unanswered",
        })
    }
}

impl Session {
    /// Starts connecting; events arrive on the returned receiver.
    pub fn start(
        config: SessionConfig,
    ) -> Result<(Session, mpsc::UnboundedReceiver<SessionEvent>), ConnectError> {
        crate::tls::crypto_provider();
        let identity = config
            .jid
            .with_resource_str(&config.resource)
            .map_err(|e| ConnectError::protocol("preparing the resource", e))?;
        let (events_tx, events_rx) = mpsc::unbounded_channel();
        let (outgoing_tx, outgoing_rx) = mpsc::unbounded_channel();
        let iq = IqTracker::default();
        let mam = MamCollector::default();
        let driver = driver::spawn(
            Arc::new(config.clone()),
            Jid::from(identity),
            events_tx,
            outgoing_rx,
            iq.clone(),
            mam.clone(),
        );
        Ok((
            Session {
                handle: SessionHandle {
                    own: config.jid,
                    outgoing: outgoing_tx,
                    iq,
                    mam,
                    pep: Arc::new(std::sync::Mutex::new(None)),
                    pep_access_only: Arc::new(std::sync::atomic::AtomicBool::new(false)),
                },
                driver,
            },
            events_rx,
        ))
    }

    /// A handle for requests made away from the session's owner.
    pub fn handle(&self) -> SessionHandle {
        self.handle.clone()
    }

    /// Stops the session at once, without a closing handshake (for sessions
    /// that are not online anyway).
    pub fn abort(self) {
        self.driver.abort();
        self.handle.iq.fail_all();
    }

    /// Closes the stream cleanly (bounded in time) and stops the session.
    pub async fn close(self) {
        let (done_tx, done_rx) = oneshot::channel();
        if self.handle.outgoing.send(Outgoing::Close(done_tx)).is_ok() {
            let _ = tokio::time::timeout(Duration::from_secs(5), done_rx).await;
        }
        self.driver.abort();
        self.handle.iq.fail_all();
    }
}

impl SessionHandle {
    /// Our bare JID.
    pub fn own_jid(&self) -> &BareJid {
        &self.own
    }

    /// Sends a stanza without tracking it.
    pub fn send(&self, stanza: impl Into<Stanza>) {
        let _ = self.outgoing.send(Outgoing::Stanza(stanza.into()));
    }

    /// Sends a message and reports its progress as [`SessionEvent::Delivery`]
    /// events under `key`.
    pub fn send_tracked(&self, message: Message, key: String) {
        let _ = self.outgoing.send(Outgoing::Tracked(message.into(), key));
    }

    /// Sends an IQ request and waits for the answer.
    pub async fn request(
        &self,
        to: Option<Jid>,
        payload: IqPayloadKind,
        what: &'static str,
    ) -> Result<Option<Element>, IqError> {
        let answer = self.request_outcome(to, payload, what).await?;
        answer.map_err(|error| refused(what, &error))
    }

    /// Sends an IQ request and waits for the answer, keeping an error
    /// answer whole (for callers that look at application conditions).
    pub(crate) async fn request_outcome(
        &self,
        to: Option<Jid>,
        payload: IqPayloadKind,
        what: &'static str,
    ) -> Result<crate::iq::IqOutcome, IqError> {
        self.request_within(to, payload, what, IQ_TIMEOUT).await
    }

    /// [`Self::request_outcome`] with its own time limit.
    pub(crate) async fn request_within(
        &self,
        to: Option<Jid>,
        payload: IqPayloadKind,
        what: &'static str,
        timeout: Duration,
    ) -> Result<crate::iq::IqOutcome, IqError> {
        let id = uuid::Uuid::new_v4().to_string();
        let ours = crate::iq::to_our_server(&self.own, to.as_ref());
        let asked = std::time::Instant::now();
        let rx = self.iq.register(id.clone(), to.clone(), what);
        let iq = match payload {
            IqPayloadKind::Get(payload) => Iq::Get {
                from: None,
                to,
                id: id.clone(),
                payload,
            },
            IqPayloadKind::Set(payload) => Iq::Set {
                from: None,
                to,
                id: id.clone(),
                payload,
            },
        };
        if self.outgoing.send(Outgoing::Stanza(iq.into())).is_err() {
            self.iq.forget(&id);
            return Err(IqError::Disconnected(what));
        }
        match tokio::time::timeout(timeout, rx).await {
            Ok(Ok(answer)) => answer,
            Ok(Err(_)) => Err(IqError::Disconnected(what)),
            Err(_) => {
                self.iq.forget(&id);
                if ours {
                    let _ = self.outgoing.send(Outgoing::Unanswered(asked));
                }
                Err(IqError::Timeout(what))
            }
        }
    }

    /// Fetches the roster, announcing the version we have.
    pub async fn roster_get(&self, version: Option<&str>) -> Result<RosterResult, IqError> {
        let what = "fetching the roster";
        let answer = self
            .request(None, IqPayloadKind::Get(roster::get(version).into()), what)
            .await?;
        let Some(element) = answer else {
            return Ok(RosterResult::Unchanged);
        };
        let parsed = Roster::try_from(element).map_err(|e| IqError::Malformed {
            what,
            detail: e.to_string(),
        })?;
        Ok(RosterResult::Full {
            version: parsed.ver,
            contacts: parsed.items.into_iter().map(Contact::from).collect(),
        })
    }

    /// Adds or changes a contact.
    pub async fn roster_set(
        &self,
        jid: BareJid,
        name: Option<String>,
        groups: Vec<String>,
    ) -> Result<(), IqError> {
        self.request(
            None,
            IqPayloadKind::Set(roster::set(jid, name, groups).into()),
            "changing the roster",
        )
        .await
        .map(drop)
    }

    /// Removes a contact.
    pub async fn roster_remove(&self, jid: BareJid) -> Result<(), IqError> {
        self.request(
            None,
            IqPayloadKind::Set(roster::remove(jid).into()),
            "removing a contact",
        )
        .await
        .map(drop)
    }

    /// Asks the server to send us carbon copies (XEP-0280).
    pub async fn enable_carbons(&self) -> Result<(), IqError> {
        self.request(
            None,
            IqPayloadKind::Set(xmpp_parsers::carbons::Enable.into()),
            "enabling carbon copies",
        )
        .await
        .map(drop)
    }

    /// Sends presence.
    pub fn send_presence(&self, presence: Presence) {
        self.send(presence);
    }

    /// Fetches one page of our archive, optionally for one conversation.
    pub async fn archive_page(
        &self,
        page: &Page,
        with: Option<&BareJid>,
        max: usize,
    ) -> Result<ArchivePage, IqError> {
        let what = "fetching the message archive";
        let query_id = uuid::Uuid::new_v4().to_string();
        self.mam.open(&query_id);
        let result = self
            .request(
                None,
                IqPayloadKind::Set(mam::query(&query_id, page, with, max).into()),
                what,
            )
            .await;
        let collected = self.mam.take(&query_id);
        let answer = result?;
        let fin = answer
            .map(xmpp_parsers::mam::Fin::try_from)
            .transpose()
            .map_err(|e| IqError::Malformed {
                what,
                detail: e.to_string(),
            })?;
        let mut page = ArchivePage::default();
        for item in collected {
            match item {
                Ok(message) => page.messages.push(message),
                Err(_) => page.rejected += 1,
            }
        }
        if let Some(fin) = fin {
            page.complete = fin.complete;
            page.first = fin.set.first.map(|f| f.item);
            page.last = fin.set.last;
        }
        Ok(page)
    }

    /// Changes the account password on the server (XEP-0077).
    pub async fn change_password(&self, new_password: &str) -> Result<(), IqError> {
        let username = self.own.node().map(|n| n.as_str()).unwrap_or_default();
        let domain = Jid::from(self.own.domain().to_owned());
        self.request(
            Some(domain),
            IqPayloadKind::Set(register::request(username, new_password).into()),
            "changing the password",
        )
        .await
        .map(drop)
    }
}

/// An IQ request payload.
#[derive(Debug)]
pub enum IqPayloadKind {
    /// type='get'
    Get(Element),
    /// type='set'
    Set(Element),
}

/// Creates an account on the server by in-band registration (XEP-0077),
/// over TLS and before any login.
pub async fn register_account(config: &SessionConfig) -> Result<(), ConnectError> {
    crate::tls::crypto_provider();
    driver::register(config).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transport::DirectTransport;

    #[test]
    fn passwords_never_show_in_debug() {
        let config = SessionConfig {
            jid: BareJid::new("me@example.org").expect("jid"),
            resource: "r".into(),
            password: Password::new("hunter2-secret"),
            target: Target {
                domain: "example.org".into(),
                host: None,
                port: None,
                direct_tls: false,
            },
            pinned_cert: None,
            transport: Arc::new(DirectTransport),
            scram_only: false,
        };
        let shown = format!("{config:?} {:?}", config.password);
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("redacted"));
    }

    #[test]
    fn an_iq_error_text_is_cleaned_before_it_reaches_the_error() {
        use xmpp_parsers::stanza_error::{DefinedCondition, ErrorType, StanzaError};
        let error = StanzaError::new(
            ErrorType::Cancel,
            DefinedCondition::NotAllowed,
            "en",
            "no\u{1b}]0;pwned\u{7}",
        );
        let text = refused("fetching the roster", &error).to_string();
        assert_eq!(
            text,
            "fetching the roster was refused: not-allowed (no\\u{1b}]0;pwned\\u{7})"
        );
    }
}
