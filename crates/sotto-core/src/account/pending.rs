// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! Round trips the account waits for without blocking.
//!
//! The account task never awaits a server's answer inline: one silent or
//! slow server (a contact's, an upload component) would otherwise stall
//! every conversation of the account. Each request runs as its own future
//! holding a [`SessionHandle`]; what it brings back is a [`Reply`], which the
//! account task handles like any other input, as the continuation of the
//! work that asked. Work that needs an answer first (a message to a device
//! whose keys are being fetched) waits in its component and is looked at
//! again after every reply.

use std::collections::HashSet;
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use futures::StreamExt;
use futures::stream::FuturesUnordered;
use sotto_omemo::{DeviceAddress, Namespace};
use sotto_store::MessageRecord;
use sotto_xmpp::session::ServerFeatures;
use sotto_xmpp::xep::mam::{ArchivePage, Page};
use sotto_xmpp::xep::omemo as wire;
use sotto_xmpp::xep::pep::{PepSupport, PublishOutcome};
use sotto_xmpp::xep::roster::RosterResult;
use sotto_xmpp::{BareJid, IqError, PepError, SessionHandle};

/// A request in flight that others may want too: asked once, shared.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum Ask {
    /// Both device lists of a JID.
    DeviceLists(String),
    /// One device's bundle in one namespace.
    Bundle(Namespace, DeviceAddress),
}

/// A command's request whose answer is told to the user.
#[derive(Debug)]
pub(crate) enum Done {
    /// A contact was added to the roster: ask for their presence next.
    AddContact(BareJid),
    RemoveContact,
    RenameContact,
    Block,
    /// The server took the new password: save it.
    ChangePassword(sotto_store::Password),
    /// A room we created was opened with the service's defaults.
    RoomCreated(BareJid),
    /// A bookmark of ours was published (so our other clients join too).
    Bookmark,
}

/// The answer to a request, with what the continuation needs to go on.
pub(crate) enum Reply {
    /// Service discovery of a fresh stream.
    Discovered {
        stream: u64,
        stream_management: bool,
        result: Result<ServerFeatures, IqError>,
    },
    /// The roster of a fresh stream.
    Roster {
        stream: u64,
        result: Result<RosterResult, IqError>,
    },
    /// Carbons enabled (or not offered) on a fresh stream.
    Carbons {
        stream: u64,
        result: Result<(), IqError>,
    },
    /// The block list of a fresh stream.
    Blocklist(Result<Vec<BareJid>, IqError>),
    /// Our bookmarks (XEP-0402), read on a fresh stream.
    Bookmarks {
        stream: u64,
        result: Result<Vec<sotto_xmpp::xep::bookmarks::Bookmark>, sotto_xmpp::PepError>,
    },
    /// One page of the archive catch-up.
    CatchUp {
        stream: u64,
        page: Page,
        pages: usize,
        total: usize,
        result: Result<ArchivePage, IqError>,
    },
    /// One page of a conversation's older history.
    Older {
        peer: String,
        stored: Vec<MessageRecord>,
        limit: usize,
        result: Result<ArchivePage, IqError>,
        request: Option<String>,
    },
    /// Both device lists of a JID.
    DeviceLists {
        stream: u64,
        jid: BareJid,
        lists: Vec<(Namespace, Result<wire::DeviceList, PepError>)>,
    },
    /// A device's bundle.
    Bundle {
        stream: u64,
        ns: Namespace,
        address: DeviceAddress,
        result: Result<wire::Bundle, PepError>,
    },
    /// What OMEMO set-up on a fresh stream learnt: PEP support and our own
    /// device lists (`None` when PEP is missing: nothing was fetched).
    OmemoSetup {
        stream: u64,
        support: Result<PepSupport, IqError>,
        lists: Vec<(Namespace, Result<wire::DeviceList, PepError>)>,
    },
    /// Our device list or bundles published; `ready` announces OMEMO as
    /// set up when every publish succeeded.
    Published {
        ready: bool,
        results: Vec<Result<PublishOutcome, PepError>>,
    },
    /// A command's request.
    Done {
        what: Done,
        result: Result<(), IqError>,
        request: Option<String>,
    },
}

impl std::fmt::Debug for Reply {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Names only: pages hold message bodies.
        f.write_str(match self {
            Self::Discovered { .. } => "Reply::Discovered",
            Self::Roster { .. } => "Reply::Roster",
            Self::Carbons { .. } => "Reply::Carbons",
            Self::Blocklist(_) => "Reply::Blocklist",
            Self::Bookmarks { .. } => "Reply::Bookmarks",
            Self::CatchUp { .. } => "Reply::CatchUp",
            Self::Older { .. } => "Reply::Older",
            Self::DeviceLists { .. } => "Reply::DeviceLists",
            Self::Bundle { .. } => "Reply::Bundle",
            Self::OmemoSetup { .. } => "Reply::OmemoSetup",
            Self::Published { .. } => "Reply::Published",
            Self::Done { .. } => "Reply::Done",
        })
    }
}

type ReplyFuture = Pin<Box<dyn Future<Output = Reply> + Send>>;

/// The requests in flight: futures that each end in a [`Reply`] (every
/// request ends: answered, refused, timed out or disconnected).
#[derive(Default)]
pub(crate) struct Pending {
    futures: FuturesUnordered<ReplyFuture>,
    asked: HashSet<Ask>,
}

impl std::fmt::Debug for Pending {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pending")
            .field("in_flight", &self.futures.len())
            .field("shared", &self.asked.len())
            .finish()
    }
}

impl Pending {
    /// Starts a request.
    pub(crate) fn start(&mut self, request: impl Future<Output = Reply> + Send + 'static) {
        self.futures.push(Box::pin(request));
    }

    /// Starts a shared request unless the same one is in flight; true when
    /// started.
    pub(crate) fn start_once(
        &mut self,
        ask: Ask,
        request: impl Future<Output = Reply> + Send + 'static,
    ) -> bool {
        if !self.asked.insert(ask) {
            return false;
        }
        self.start(request);
        true
    }

    /// A shared request answered.
    pub(crate) fn answered(&mut self, ask: &Ask) {
        self.asked.remove(ask);
    }

    /// Whether nothing is in flight (then [`Self::next`] would end at once).
    pub(crate) fn is_empty(&self) -> bool {
        self.futures.is_empty()
    }

    /// The next answer.
    pub(crate) async fn next(&mut self) -> Option<Reply> {
        self.futures.next().await
    }
}

/// Fetches both device lists of `jid`.
pub(crate) async fn device_lists(session: SessionHandle, stream: u64, jid: BareJid) -> Reply {
    let mut lists = Vec::new();
    for ns in crate::omemo_wire::NAMESPACES {
        let fetched = session
            .fetch_device_list(&jid, crate::omemo_wire::ns_out(ns))
            .await;
        lists.push((ns, fetched));
    }
    Reply::DeviceLists { stream, jid, lists }
}

/// Fetches one bundle.
pub(crate) async fn bundle(
    session: SessionHandle,
    stream: u64,
    ns: Namespace,
    address: DeviceAddress,
    jid: BareJid,
) -> Reply {
    let result = session
        .fetch_bundle(&jid, address.device_id, crate::omemo_wire::ns_out(ns))
        .await;
    Reply::Bundle {
        stream,
        ns,
        address,
        result,
    }
}

/// OMEMO set-up's questions: PEP support, then our own device lists.
pub(crate) async fn omemo_setup(session: SessionHandle, stream: u64, own: BareJid) -> Reply {
    let support = session.pep_support().await;
    let mut lists = Vec::new();
    // A failed disco is no verdict: the requests then tell.
    if support.as_ref().is_ok_and(|s| !s.pep) {
        return Reply::OmemoSetup {
            stream,
            support,
            lists,
        };
    }
    for ns in crate::omemo_wire::NAMESPACES {
        let fetched = session
            .fetch_device_list(&own, crate::omemo_wire::ns_out(ns))
            .await;
        let failed = fetched.is_err();
        lists.push((ns, fetched));
        // Without our list, publishing one could drop our other devices.
        if failed {
            break;
        }
    }
    Reply::OmemoSetup {
        stream,
        support,
        lists,
    }
}

/// What to publish: device lists (when ours lacked this device) and bundles.
pub(crate) enum Publication {
    DeviceList(Namespace, wire::DeviceList),
    Bundle(Namespace, u32, wire::Bundle),
}

/// Waits before each new try of a publish the server failed on its side
/// ([`sotto_xmpp::PepError::is_transient`]).
const PUBLISH_RETRIES: [Duration; 3] = [
    Duration::from_millis(300),
    Duration::from_secs(1),
    Duration::from_secs(3),
];

/// Publishes each item in order (each is tried: a server may take one
/// namespace and not the other). A server-side failure is tried again a few
/// times; this runs beside the account task, so the waits stall nothing.
pub(crate) async fn publish(session: SessionHandle, items: Vec<Publication>, ready: bool) -> Reply {
    let mut results = Vec::new();
    for item in items {
        let mut result = publish_one(&session, &item).await;
        for wait in PUBLISH_RETRIES {
            match &result {
                Err(e) if e.is_transient() => {
                    tracing::info!(error = %e, "PEP publish failed on the server's side, trying again");
                    tokio::time::sleep(wait).await;
                    result = publish_one(&session, &item).await;
                }
                _ => break,
            }
        }
        results.push(result);
    }
    Reply::Published { ready, results }
}

async fn publish_one(
    session: &SessionHandle,
    item: &Publication,
) -> Result<sotto_xmpp::session::PublishOutcome, sotto_xmpp::PepError> {
    match item {
        Publication::DeviceList(ns, list) => {
            session
                .publish_device_list(list, crate::omemo_wire::ns_out(*ns))
                .await
        }
        Publication::Bundle(ns, device_id, bundle) => {
            session
                .publish_bundle(*device_id, bundle, crate::omemo_wire::ns_out(*ns))
                .await
        }
    }
}
