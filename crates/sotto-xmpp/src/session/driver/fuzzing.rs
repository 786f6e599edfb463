// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! The driver's stanza dispatch without a stream, for the fuzz targets
//! (cargo feature `fuzzing`): a received stanza goes through exactly the
//! code a live session runs on it.

use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use tokio::sync::mpsc;
use xmpp_parsers::jid::{BareJid, FullJid};
use xmpp_parsers::stanza::Stanza;

use super::{Backoff, Driver, MamCollector, StreamEvent};
use crate::iq::IqTracker;

/// The id of the IQ request the driver waits for, so that results and
/// errors carrying it are matched against a pending request.
pub(crate) const PENDING_IQ: &str = "fuzz-iq";
/// The id of the archive query the driver has open.
pub(crate) const OPEN_QUERY: &str = "fuzz-mam";

/// Hands `stanza` to a fresh driver for `own` (bound as `bound`, with one
/// pending IQ and one open archive query); returns how many events and
/// replies it produced.
pub(crate) fn dispatch(own: &BareJid, bound: &FullJid, stanza: Stanza) -> usize {
    let (events, mut received) = mpsc::unbounded_channel();
    let iq = IqTracker::default();
    // The receiver is dropped at once: completing the request must cope.
    drop(iq.register(PENDING_IQ.to_owned(), None, "a fuzzed request"));
    let mam = MamCollector::default();
    mam.open(OPEN_QUERY);
    let mut driver = Driver {
        own: own.clone(),
        events,
        iq,
        mam: mam.clone(),
        backoff: Arc::new(Backoff::default()),
        replies: Vec::new(),
        bound: Some(bound.clone()),
        sm: Arc::new(AtomicBool::new(true)),
        up_since: None,
    };
    driver.on_stream_event(StreamEvent::Stanza(stanza));
    let mut produced = driver.replies.len() + mam.take(OPEN_QUERY).len();
    while received.try_recv().is_ok() {
        produced += 1;
    }
    produced
}
