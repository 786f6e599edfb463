// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! Matching IQ responses to requests.
//!
//! A response is accepted only from the entity the request was addressed to
//! (RFC 6120 §8.1.2.1). A request without `to` (or to our bare JID) is
//! handled by our server on behalf of the account (§10.3.3): the answer has
//! no `from`, our bare JID (§8.1.2.1), our own full JID (jabberd2 2.7 swaps
//! the addresses of the request, whose implicit `from` was our full JID) or
//! the server's domain (a server answering for itself). All of these can
//! only come from our own server. Anything else is a spoofing attempt and
//! is dropped.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::oneshot;
use xmpp_parsers::jid::{BareJid, FullJid, Jid};
use xmpp_parsers::minidom::Element;
use xmpp_parsers::stanza_error::StanzaError;

use crate::error::IqError;

/// An IQ response: the payload of a result, or the error.
pub(crate) type IqOutcome = Result<Option<Element>, StanzaError>;

#[derive(Debug)]
struct Pending {
    to: Option<Jid>,
    reply: oneshot::Sender<Result<IqOutcome, IqError>>,
    what: &'static str,
}

/// Outstanding IQ requests of one session.
#[derive(Clone, Debug, Default)]
pub(crate) struct IqTracker {
    pending: Arc<Mutex<HashMap<String, Pending>>>,
}

impl IqTracker {
    /// Registers a request; the receiver yields its response.
    pub(crate) fn register(
        &self,
        id: String,
        to: Option<Jid>,
        what: &'static str,
    ) -> oneshot::Receiver<Result<IqOutcome, IqError>> {
        let (reply, rx) = oneshot::channel();
        if let Ok(mut pending) = self.pending.lock() {
            pending.insert(id, Pending { to, reply, what });
        }
        rx
    }

    /// Forgets a request (timed out or cancelled).
    pub(crate) fn forget(&self, id: &str) {
        if let Ok(mut pending) = self.pending.lock() {
            pending.remove(id);
        }
    }

    /// Delivers a response. Returns false when it matches no request from
    /// that sender (unknown id or wrong sender).
    pub(crate) fn complete(
        &self,
        own: &BareJid,
        bound: Option<&FullJid>,
        id: &str,
        from: Option<&Jid>,
        outcome: IqOutcome,
    ) -> bool {
        let Ok(mut pending) = self.pending.lock() else {
            return false;
        };
        let Some(entry) = pending.get(id) else {
            return false;
        };
        if !sender_matches(own, bound, entry.to.as_ref(), from) {
            tracing::warn!(
                what = entry.what,
                "dropping an IQ response from an entity the request was not sent to"
            );
            return false;
        }
        if let Some(entry) = pending.remove(id) {
            let _ = entry.reply.send(Ok(outcome));
        }
        true
    }

    /// Fails every outstanding request (the stream was reset).
    pub(crate) fn fail_all(&self) {
        if let Ok(mut pending) = self.pending.lock() {
            for (_, entry) in pending.drain() {
                let _ = entry.reply.send(Err(IqError::Disconnected(entry.what)));
            }
        }
    }
}

/// Whether a request to `to` is answered by our own server itself (not a
/// contact, a room or another service, which may be slow or silent on
/// their own): no `to`, our bare JID, or our server's domain.
pub(crate) fn to_our_server(own: &BareJid, to: Option<&Jid>) -> bool {
    match to {
        None => true,
        Some(to) => {
            to.resource().is_none()
                && (to.to_bare() == *own || (to.node().is_none() && to.domain() == own.domain()))
        }
    }
}

fn sender_matches(
    own: &BareJid,
    bound: Option<&FullJid>,
    to: Option<&Jid>,
    from: Option<&Jid>,
) -> bool {
    let to_self = match to {
        None => true,
        Some(to) => to.to_bare() == *own && to.resource().is_none(),
    };
    match from {
        None => to_self,
        Some(from) if to_self => {
            let bare_self = from.resource().is_none() && from.to_bare() == *own;
            let full_self = bound.is_some_and(|b| from.try_as_full().is_ok_and(|f| f == b));
            let server =
                from.node().is_none() && from.resource().is_none() && from.domain() == own.domain();
            bare_self || full_self || server
        }
        Some(from) => Some(from) == to,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jid(s: &str) -> Jid {
        Jid::new(s).expect("valid jid")
    }

    #[test]
    fn only_our_server_itself_counts_as_our_server() {
        let own = BareJid::new("alice@example.org").expect("valid jid");
        assert!(to_our_server(&own, None));
        assert!(to_our_server(&own, Some(&jid("alice@example.org"))));
        assert!(to_our_server(&own, Some(&jid("example.org"))));
        for other in [
            "alice@example.org/phone",
            "bob@example.org",
            "upload.example.org",
            "room@conference.example.org",
            "example.net",
            "silent.example.org",
        ] {
            assert!(!to_our_server(&own, Some(&jid(other))), "{other}");
        }
    }

    #[test]
    fn responses_only_from_the_addressee() {
        let own = BareJid::new("me@example.org").expect("valid");
        let tracker = IqTracker::default();
        let mut rx = tracker.register("1".into(), None, "roster");
        let bound = FullJid::new("me@example.org/sotto").expect("valid");
        let b = Some(&bound);
        assert!(!tracker.complete(&own, b, "1", Some(&jid("evil@example.org")), Ok(None)));
        assert!(rx.try_recv().is_err());
        assert!(tracker.complete(&own, b, "1", Some(&jid("me@example.org")), Ok(None)));
        assert!(matches!(rx.try_recv(), Ok(Ok(Ok(None)))));

        let _rx = tracker.register("2".into(), Some(jid("peer@example.org/r")), "disco");
        assert!(!tracker.complete(&own, b, "2", None, Ok(None)));
        assert!(!tracker.complete(&own, b, "2", Some(&jid("peer@example.org/other")), Ok(None)));
        assert!(!tracker.complete(&own, b, "2", Some(&jid("example.org")), Ok(None)));
        assert!(tracker.complete(&own, b, "2", Some(&jid("peer@example.org/r")), Ok(None)));
        assert!(!tracker.complete(&own, b, "unknown", None, Ok(None)));
    }

    /// RFC 6120 §10.3.3: a request without `to` is answered by our own server,
    /// which may write our full JID (jabberd2 2.7) or its own domain there.
    #[test]
    fn requests_without_to_accept_what_only_our_server_can_send() {
        let own = BareJid::new("me@example.org").expect("valid");
        let bound = FullJid::new("me@example.org/sotto").expect("valid");
        let tracker = IqTracker::default();
        for (i, from) in ["me@example.org/sotto", "example.org", "me@example.org"]
            .iter()
            .enumerate()
        {
            let id = i.to_string();
            let mut rx = tracker.register(id.clone(), None, "publish");
            assert!(
                tracker.complete(&own, Some(&bound), &id, Some(&jid(from)), Ok(None)),
                "{from}"
            );
            assert!(matches!(rx.try_recv(), Ok(Ok(Ok(None)))));
        }
        let _rx = tracker.register("x".into(), None, "publish");
        for from in [
            "me@example.org/other-device",
            "example.net",
            "example.org/resource",
            "evil@example.org",
            "me@example.org.evil",
        ] {
            assert!(
                !tracker.complete(&own, Some(&bound), "x", Some(&jid(from)), Ok(None)),
                "{from}"
            );
        }
        // Before binding, our full JID is not known yet.
        assert!(!tracker.complete(
            &own,
            None,
            "x",
            Some(&jid("me@example.org/sotto")),
            Ok(None)
        ));
    }

    #[test]
    fn fail_all_reports_disconnection() {
        let tracker = IqTracker::default();
        let mut rx = tracker.register("1".into(), None, "roster");
        tracker.fail_all();
        assert!(matches!(
            rx.try_recv(),
            Ok(Err(IqError::Disconnected("roster")))
        ));
    }
}
