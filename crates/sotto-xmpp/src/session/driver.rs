// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! The task that owns the stanza stream.

use std::sync::Arc;
use std::time::Duration;

use futures::{SinkExt, StreamExt};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_xmpp::stanzastream::{
    Event as StreamEvent, StanzaStage, StanzaState, StanzaStream, StreamEvent as StreamChange,
};
use tokio_xmpp::xmlstream::XmppStreamElement;
use xmpp_parsers::disco::DiscoInfoQuery;
use xmpp_parsers::iq::Iq;
use xmpp_parsers::jid::{BareJid, Jid};
use xmpp_parsers::mam;
use xmpp_parsers::message::Message;
use xmpp_parsers::minidom::Element;
use xmpp_parsers::ns;
use xmpp_parsers::roster::{Roster, Subscription};
use xmpp_parsers::stanza::Stanza;
use xmpp_parsers::stanza_error::{DefinedCondition, ErrorType, StanzaError};
use xmpp_parsers::version::VersionResult;

use super::reconnect::{Backoff, reconnector};
use super::{Delivery, Outgoing, SessionConfig, SessionEvent};
use crate::error::ConnectError;
use crate::iq::IqTracker;
use crate::login::{self, next_element};
use crate::xep::message::{self, Rejected};
use crate::xep::omemo::{DeviceList, Namespace};
use crate::xep::{bookmarks, disco, muc, pep, presence, register as ibr, roster};

#[cfg(feature = "fuzzing")]
pub(crate) mod fuzzing;
#[cfg(test)]
mod tests;

/// Stanzas (and events) the stream may hold before the driver waits.
const QUEUE_DEPTH: usize = 16_384;

mod collector;

pub(crate) use collector::MamCollector;

struct Driver {
    own: BareJid,
    events: mpsc::UnboundedSender<SessionEvent>,
    iq: IqTracker,
    mam: MamCollector,
    backoff: Arc<Backoff>,
    replies: Vec<Stanza>,
    /// The full JID of the current stream.
    bound: Option<xmpp_parsers::jid::FullJid>,
    /// Whether the current stream offers stream management (acks).
    sm: Arc<std::sync::atomic::AtomicBool>,
    /// Since when the current stream has been up (bound or resumed, not
    /// suspended since).
    up_since: Option<std::time::Instant>,
}

pub(super) fn spawn(
    config: Arc<SessionConfig>,
    identity: Jid,
    events: mpsc::UnboundedSender<SessionEvent>,
    mut outgoing: mpsc::UnboundedReceiver<Outgoing>,
    iq: IqTracker,
    mam: MamCollector,
) -> JoinHandle<()> {
    let backoff = Arc::new(Backoff::default());
    let mut driver = Driver {
        own: config.jid.clone(),
        events: events.clone(),
        iq,
        mam,
        backoff: backoff.clone(),
        replies: Vec::new(),
        bound: None,
        sm: Arc::new(std::sync::atomic::AtomicBool::new(false)),
        up_since: None,
    };
    tokio::spawn(async move {
        // A deep queue: the driver must rarely wait to hand a stanza over
        // while the stream is reconnecting (tokio's bounded channels
        // allocate lazily, so depth costs nothing until used).
        let new_stream = {
            let (config, identity, events, backoff) = (
                config.clone(),
                identity.clone(),
                events.clone(),
                backoff.clone(),
            );
            move || {
                StanzaStream::new(
                    reconnector(
                        config.clone(),
                        identity.clone(),
                        events.clone(),
                        backoff.clone(),
                    ),
                    QUEUE_DEPTH,
                )
            }
        };
        let mut stream = new_stream();
        loop {
            tokio::select! {
                () = backoff.rebuild.notified() => {
                    // Dropping the old stream drops its unacknowledged
                    // stanzas; their watchers report them failed and the
                    // core sends them again.
                    backoff.reset();
                    stream = new_stream();
                    continue;
                }
                event = stream.next() => match event {
                    Some(event) => {
                        driver.on_stream_event(event);
                        for reply in std::mem::take(&mut driver.replies) {
                            let _ = stream.send(Box::new(reply)).await;
                        }
                    }
                    None => break,
                },
                command = outgoing.recv() => match command {
                    Some(Outgoing::Stanza(stanza)) => {
                        let _ = stream.send(Box::new(stanza)).await;
                    }
                    Some(Outgoing::Tracked(stanza, key)) => {
                        let token = stream.send(Box::new(stanza)).await;
                        driver.watch(token, key);
                    }
                    Some(Outgoing::Unanswered(asked)) => {
                        if driver.up_since.is_some_and(|up| up <= asked) {
                            // Our server has kept the stream open but stopped
                            // answering on it (seen with Prosody 0.12 after
                            // two resumptions raced): resuming could land on
                            // the same dead session, so the stream is rebuilt
                            // without its old state, as above.
                            tracing::warn!(
                                "our server left a request unanswered on a live stream; reconnecting"
                            );
                            driver.up_since = None;
                            driver.emit(SessionEvent::Suspended);
                            backoff.reset();
                            stream = new_stream();
                        }
                    }
                    Some(Outgoing::Close(done)) => {
                        let _ = tokio::time::timeout(Duration::from_secs(4), stream.close()).await;
                        let _ = done.send(());
                        return;
                    }
                    None => break,
                },
            }
        }
        let _ = tokio::time::timeout(Duration::from_secs(4), stream.close()).await;
    })
}

fn error_reply(to: Option<Jid>, id: String, condition: DefinedCondition) -> Stanza {
    Iq::Error {
        from: None,
        to,
        id,
        error: StanzaError::new(ErrorType::Cancel, condition, "en", ""),
        payload: None,
    }
    .into()
}

impl Driver {
    fn emit(&self, event: SessionEvent) {
        let _ = self.events.send(event);
    }

    fn reject(&self, reason: String) {
        tracing::warn!(%reason, "ignoring a stanza");
        self.emit(SessionEvent::Rejected { reason });
    }

    fn watch(&self, mut token: tokio_xmpp::stanzastream::StanzaToken, key: String) {
        let events = self.events.clone();
        let sm = self.sm.clone();
        tokio::spawn(async move {
            let emit = |state| {
                let _ = events.send(SessionEvent::Delivery {
                    key: key.clone(),
                    state,
                });
            };
            // First: was it written to a stream at all?
            match token.wait_for(StanzaStage::Sent).await {
                Some(StanzaState::Sent { .. }) => emit(Delivery::Sent),
                Some(StanzaState::Acked { .. }) => {
                    emit(Delivery::Sent);
                    return emit(Delivery::Acked);
                }
                Some(StanzaState::Queued) => return,
                Some(StanzaState::Failed { .. }) | Some(StanzaState::Dropped) | None => {
                    return emit(Delivery::Failed);
                }
            }
            // Then: did the server acknowledge it? Without stream management
            // the tracking handle is released right after sending (`None`):
            // the message stays "sent" and must not be resent. With stream
            // management, a released handle means the stream's state was
            // discarded (resumption failed): it may be lost, so it is resent
            // (the recipient deduplicates by origin-id).
            match token.wait_for(StanzaStage::Acked).await {
                Some(StanzaState::Acked { .. }) => emit(Delivery::Acked),
                Some(StanzaState::Failed { .. }) | Some(StanzaState::Dropped) => {
                    emit(Delivery::Failed)
                }
                None if sm.load(std::sync::atomic::Ordering::Relaxed) => emit(Delivery::Failed),
                Some(StanzaState::Queued) | Some(StanzaState::Sent { .. }) | None => {}
            }
        });
    }

    fn on_stream_event(&mut self, event: StreamEvent) {
        match event {
            StreamEvent::Stream(StreamChange::Reset {
                bound_jid,
                features,
            }) => {
                self.sm.store(
                    features.stream_management.is_some(),
                    std::sync::atomic::Ordering::Relaxed,
                );
                self.backoff.reset();
                self.up_since = Some(std::time::Instant::now());
                // Answers to requests of the previous stream will never come.
                self.iq.fail_all();
                match bound_jid.try_into_full() {
                    Ok(jid) => {
                        self.bound = Some(jid.clone());
                        self.emit(SessionEvent::Online {
                            jid,
                            resumed: false,
                            stream_management: features.stream_management.is_some(),
                        });
                    }
                    Err(bare) => self.reject(format!("server bound a bare JID {bare}")),
                }
            }
            StreamEvent::Stream(StreamChange::Resumed) => {
                self.backoff.reset();
                self.up_since = Some(std::time::Instant::now());
                // Resumption keeps the JID bound by the stream it resumes.
                if let Some(jid) = self.bound.clone() {
                    self.emit(SessionEvent::Online {
                        jid,
                        resumed: true,
                        stream_management: true,
                    });
                }
            }
            StreamEvent::Stream(StreamChange::Suspended) => {
                self.up_since = None;
                self.emit(SessionEvent::Suspended);
            }
            StreamEvent::Stanza(Stanza::Iq(iq)) => self.on_iq(iq),
            StreamEvent::Stanza(Stanza::Message(message)) => self.on_message(message),
            StreamEvent::Stanza(Stanza::Presence(presence)) => self.on_presence(presence),
        }
    }

    fn on_presence(&mut self, presence: xmpp_parsers::presence::Presence) {
        if let Some(error) = muc::room_error(&presence) {
            return self.emit(SessionEvent::RoomError(error));
        }
        match muc::room_presence(&presence) {
            Some(Ok(room)) => self.emit(SessionEvent::RoomPresence(Box::new(room))),
            Some(Err(bad)) => self.reject(bad.to_string()),
            None => {
                if let Some(update) = presence::interpret(&presence) {
                    self.emit(SessionEvent::Presence(update));
                }
            }
        }
    }

    fn on_message(&mut self, mut message: Message) {
        if let Some(changes) = bookmarks::notification(&message.payloads) {
            return self.on_bookmarks(message.from.as_ref(), changes);
        }
        if let Some(notification) = pep::notification(&message.payloads) {
            return self.on_pep_notification(message.from.as_ref(), notification);
        }
        match message.extract_payload::<mam::Result_>() {
            Ok(Some(result)) => {
                let query_id = result
                    .queryid
                    .as_ref()
                    .map(|q| q.0.clone())
                    .unwrap_or_default();
                if let Some(room) = self.mam.room_of(&query_id) {
                    let item =
                        muc::message::parse_room_archived(&room, message.from.as_ref(), result);
                    if let Err(rejected) = &item {
                        self.reject(rejected.to_string());
                    }
                    return self.mam.file_room(&query_id, item);
                }
                let item = message::parse_archived(&self.own, message.from.as_ref(), result);
                if let Err(rejected) = &item {
                    self.reject(rejected.to_string());
                }
                if !self.mam.file(&query_id, item) {
                    self.reject("archive result for a query we did not make".into());
                }
                return;
            }
            Ok(None) => {}
            Err(_) => return self.reject(Rejected::Malformed("archive result").to_string()),
        }
        if message.type_ == xmpp_parsers::message::MessageType::Groupchat {
            return match muc::message::parse_groupchat(message) {
                Ok(parsed) => self.emit(SessionEvent::RoomMessage(Box::new(parsed))),
                Err(rejected) => self.reject(rejected.to_string()),
            };
        }
        match muc::message::invitation(&message) {
            Some(Ok(muc::message::InvitationNews::Invited(invitation))) => {
                return self.emit(SessionEvent::RoomInvitation(Box::new(invitation)));
            }
            Some(Ok(muc::message::InvitationNews::Declined(declined))) => {
                return self.emit(SessionEvent::RoomInvitationDeclined(declined));
            }
            Some(Err(rejected)) => return self.reject(rejected.to_string()),
            None => {}
        }
        match message::parse(&self.own, message) {
            Ok(parsed) => self.emit(SessionEvent::Message(Box::new(parsed))),
            Err(rejected) => self.reject(rejected.to_string()),
        }
    }

    /// Our bookmarks changed: only our own account may say so.
    fn on_bookmarks(
        &mut self,
        from: Option<&Jid>,
        changes: Result<Vec<bookmarks::BookmarkChange>, bookmarks::BadBookmark>,
    ) {
        let own = match from {
            None => true,
            Some(from) => from.resource().is_none() && from.to_bare() == self.own,
        };
        if !own {
            let from = from.map(|j| j.to_string()).unwrap_or_default();
            return self.reject(format!("bookmarks notification from {from}"));
        }
        match changes {
            Ok(changes) if changes.is_empty() => {}
            Ok(changes) => self.emit(SessionEvent::Bookmarks(changes)),
            Err(error) => self.reject(error.to_string()),
        }
    }

    /// A PEP notification. It speaks for the PEP service it comes from,
    /// which is an account's bare JID (no `from`: our own account).
    fn on_pep_notification(
        &mut self,
        from: Option<&Jid>,
        notification: Result<pep::Notification, pep::MalformedPubsub>,
    ) {
        let from = match from {
            None => self.own.clone(),
            Some(from) if from.resource().is_none() => from.to_bare(),
            Some(from) => return self.reject(format!("PEP notification from a full JID {from}")),
        };
        let notification = match notification {
            Ok(notification) => notification,
            Err(error) => return self.reject(format!("{error} from {from}")),
        };
        let Some(namespace) = Namespace::from_device_list_node(&notification.node) else {
            return;
        };
        let Some(payload) = pep::pick(&notification.items, DeviceList::ITEM_ID) else {
            return;
        };
        match DeviceList::parse(payload, namespace) {
            Ok(list) => self.emit(SessionEvent::OmemoDeviceList {
                from,
                namespace,
                list,
            }),
            Err(error) => self.reject(format!("OMEMO device list of {from}: {error}")),
        }
    }

    fn on_iq(&mut self, iq: Iq) {
        match iq {
            Iq::Result {
                from, id, payload, ..
            } => {
                let bound = self.bound.as_ref();
                if !self
                    .iq
                    .complete(&self.own, bound, &id, from.as_ref(), Ok(payload))
                {
                    tracing::debug!("unmatched IQ result ignored");
                }
            }
            Iq::Error {
                from, id, error, ..
            } => {
                let bound = self.bound.as_ref();
                self.iq
                    .complete(&self.own, bound, &id, from.as_ref(), Err(error));
            }
            Iq::Get {
                from, id, payload, ..
            } => self.on_get(from, id, payload),
            Iq::Set {
                from, id, payload, ..
            } => self.on_set(from, id, payload),
        }
    }

    /// Queues a protocol reply; the loop sends it after the handler returns.
    fn reply(&mut self, stanza: Stanza) {
        self.replies.push(stanza);
    }

    fn on_get(&mut self, from: Option<Jid>, id: String, payload: Element) {
        let reply: Stanza = if payload.is("ping", ns::PING) {
            Iq::empty_result(
                from.clone().unwrap_or_else(|| Jid::from(self.own.clone())),
                id,
            )
            .into()
        } else if payload.is("query", ns::DISCO_INFO) {
            match DiscoInfoQuery::try_from(payload) {
                Ok(query) if disco::is_our_node(query.node.as_deref()) => {
                    Iq::from_result(id, Some(disco::info(query.node)))
                        .with_to_opt(from)
                        .into()
                }
                _ => error_reply(from, id, DefinedCondition::ItemNotFound),
            }
        } else if payload.is("query", ns::VERSION) {
            Iq::from_result(
                id,
                Some(VersionResult {
                    name: "Sotto".into(),
                    version: env!("CARGO_PKG_VERSION").into(),
                    os: None,
                }),
            )
            .with_to_opt(from)
            .into()
        } else {
            error_reply(from, id, DefinedCondition::ServiceUnavailable)
        };
        self.reply(reply);
    }

    fn on_set(&mut self, from: Option<Jid>, id: String, payload: Element) {
        if payload.is("query", ns::ROSTER) {
            if !roster::push_is_authentic(&self.own, from.as_ref()) {
                // RFC 6121 §2.1.6: ignore pushes not from our own account.
                self.reject(format!(
                    "forged roster push from {}",
                    from.map(|j| j.to_string()).unwrap_or_default()
                ));
                return;
            }
            match Roster::try_from(payload) {
                Ok(pushed) if pushed.items.len() == 1 => {
                    let version = pushed.ver;
                    for item in pushed.items {
                        let removed = item.subscription == Subscription::Remove;
                        self.emit(SessionEvent::RosterPush {
                            contact: roster::Contact::from(item),
                            removed,
                            version: version.clone(),
                        });
                    }
                    self.reply(Iq::from_result(id, None::<Roster>).with_to_opt(from).into());
                }
                _ => {
                    self.reject("malformed roster push".into());
                    self.reply(error_reply(from, id, DefinedCondition::BadRequest));
                }
            }
            return;
        }
        if let Some(push) = super::blocking::parse_push(&payload) {
            if !roster::push_is_authentic(&self.own, from.as_ref()) {
                // Only our server may change the list: to anyone else the
                // request is one we do not serve.
                self.reject(format!(
                    "forged block list push from {}",
                    from.as_ref().map(|j| j.to_string()).unwrap_or_default()
                ));
                self.reply(error_reply(from, id, DefinedCondition::ServiceUnavailable));
                return;
            }
            match push {
                Ok(push) => {
                    self.emit(SessionEvent::Blocklist(push));
                    self.reply(
                        Iq::empty_result(from.unwrap_or_else(|| Jid::from(self.own.clone())), id)
                            .into(),
                    );
                }
                Err(detail) => {
                    self.reject(format!("malformed block list push: {detail}"));
                    self.reply(error_reply(from, id, DefinedCondition::BadRequest));
                }
            }
            return;
        }
        self.reply(error_reply(from, id, DefinedCondition::ServiceUnavailable));
    }
}

trait WithToOpt {
    fn with_to_opt(self, to: Option<Jid>) -> Self;
}

impl WithToOpt for Iq {
    fn with_to_opt(self, to: Option<Jid>) -> Self {
        match to {
            Some(to) => self.with_to(to),
            None => self,
        }
    }
}

/// In-band registration over a fresh TLS stream, before login.
pub(super) async fn register(config: &SessionConfig) -> Result<(), ConnectError> {
    let mut secure = login::secure(config).await?;
    let username = config.jid.node().map(|n| n.as_str()).unwrap_or_default();
    let iq = Iq::from_set(
        "register-1",
        ibr::request(username, config.password.expose()),
    )
    .with_to(Jid::from(config.jid.domain().to_owned()));
    secure
        .stream
        .send(&XmppStreamElement::Stanza(iq.into()))
        .await
        .map_err(|e| ConnectError::Network(format!("sending the registration: {e}")))?;
    loop {
        match next_element(&mut secure.stream, "registering the account").await? {
            XmppStreamElement::Stanza(Stanza::Iq(Iq::Result { id, .. })) if id == "register-1" => {
                let _ = SinkExt::<&XmppStreamElement>::close(&mut secure.stream).await;
                return Ok(());
            }
            XmppStreamElement::Stanza(Stanza::Iq(Iq::Error { id, error, .. }))
                if id == "register-1" =>
            {
                let text = error
                    .texts
                    .values()
                    .next()
                    .map(|t| crate::text::untrusted_text(t));
                let condition = crate::error::condition_name(&error.defined_condition);
                return Err(ConnectError::RegistrationRefused(match text {
                    Some(text) => format!("{condition}: {text}"),
                    None => condition,
                }));
            }
            _ => {}
        }
    }
}
