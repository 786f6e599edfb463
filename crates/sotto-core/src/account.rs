// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! One account's task: owns its session, persists what arrives, sends what
//! the user writes (queued while offline), and reports everything as events.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use sotto_store::{AccountRecord, MessageState, Store};
use sotto_xmpp::session::ServerFeatures;
use sotto_xmpp::{ConnectError, Session, SessionEvent, Transport};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use crate::api::{Availability, Command, ConnectionState, Event};
use crate::convert;

mod commands;
mod incoming;
mod omemo;
mod otr;
mod outbox;
mod pending;
mod replies;
mod rooms;
mod upload;

pub(crate) use upload::file_link;

pub(crate) use omemo::TRUST_MODE_SETTING as OMEMO_TRUST_MODE;
mod sync;

/// Settings key prefix (then the account JID) recording that the account
/// has logged in with SCRAM: from then on PLAIN is refused (downgrade
/// pinning, as Conversations does).
pub(crate) const SCRAM_SEEN_PREFIX: &str = "sasl.scram_seen.";

/// A setting written to learn whether the store takes writes again.
const STORAGE_PROBE: &str = "core.storage_probe";

/// What the hub sends an account task.
#[derive(Debug)]
pub(crate) enum AccountCommand {
    Api(crate::api::Request),
    Stop(oneshot::Sender<()>),
}

/// The hub's handle on an account task.
#[derive(Debug)]
pub(crate) struct AccountTask {
    commands: mpsc::UnboundedSender<AccountCommand>,
    task: JoinHandle<()>,
}

impl AccountTask {
    pub(crate) fn send(&self, command: AccountCommand) {
        let _ = self.commands.send(command);
    }

    /// Closes the session cleanly and ends the task.
    pub(crate) async fn stop(self) {
        let (done_tx, done_rx) = oneshot::channel();
        if self.commands.send(AccountCommand::Stop(done_tx)).is_ok() {
            let _ = tokio::time::timeout(std::time::Duration::from_secs(8), done_rx).await;
        }
        self.task.abort();
    }
}

/// The account a command concerns, for commands handled by account tasks.
pub(crate) fn target_account(command: &Command) -> Option<&str> {
    match command {
        Command::ChangePassword { account, .. }
        | Command::SendMessage { account, .. }
        | Command::SendFile { account, .. }
        | Command::CancelTransfer { account, .. }
        | Command::SaveFile { account, .. }
        | Command::RetryMessage { account, .. }
        | Command::SendChatState { account, .. }
        | Command::SetPresence { account, .. }
        | Command::AddContact { account, .. }
        | Command::RemoveContact { account, .. }
        | Command::RenameContact { account, .. }
        | Command::AnswerSubscription { account, .. }
        | Command::SetBlocked { account, .. }
        | Command::LoadOlder { account, .. }
        | Command::OtrStart { account, .. }
        | Command::OtrEnd { account, .. }
        | Command::OtrSmp { account, .. }
        | Command::OtrSmpRespond { account, .. }
        | Command::OtrSmpAbort { account, .. }
        | Command::GetOtrFingerprints { account }
        | Command::SetOtrTrust { account, .. }
        | Command::ImportOtr { account, .. }
        | Command::GetOmemoFingerprints { account, .. }
        | Command::SetOmemoTrust { account, .. }
        | Command::VerifyOmemoUri { account, .. }
        | Command::JoinRoom { account, .. }
        | Command::LeaveRoom { account, .. }
        | Command::SendRoomMessage { account, .. } => Some(account),
        _ => None,
    }
}

pub(crate) fn spawn(
    record: AccountRecord,
    transport: Result<Arc<dyn Transport>, String>,
    register: bool,
    store: Arc<dyn Store>,
    events: mpsc::UnboundedSender<Event>,
) -> AccountTask {
    let (commands_tx, commands_rx) = mpsc::unbounded_channel();
    let (uploads_tx, uploads_rx) = mpsc::unbounded_channel();
    let task = tokio::spawn(async move {
        let omemo = omemo::OmemoState::new(store.omemo_store(&record.settings.jid));
        let account = Account {
            omemo,
            jid: record.settings.jid.clone(),
            record,
            store,
            events,
            session: None,
            online: false,
            in_flight: HashMap::new(),
            held: HashSet::new(),
            storage_failed: std::cell::Cell::new(false),
            generation: 0,
            presence: (Availability::Available, None),
            otr: otr::OtrSessions::default(),
            blocked: std::collections::BTreeSet::new(),
            uploads: upload::Uploads::new(uploads_tx),
            server: None,
            pending: pending::Pending::default(),
            stream: 0,
            parked: HashMap::new(),
            outbox_waiting: false,
            announced: None,
            answering: std::cell::Cell::new(None),
            caught_up: None,
            contiguous: None,
            rooms: rooms::Rooms::default(),
        };
        account
            .run(transport, register, commands_rx, uploads_rx)
            .await;
    });
    AccountTask {
        commands: commands_tx,
        task,
    }
}

pub(crate) struct Account {
    pub(crate) jid: String,
    /// What the server supports, discovered after each fresh login; `None`
    /// before that or when the server would not say (then every feature is
    /// tried, as a server that answers nothing leaves no better choice).
    pub(crate) server: Option<ServerFeatures>,
    pub(crate) record: AccountRecord,
    pub(crate) store: Arc<dyn Store>,
    pub(crate) events: mpsc::UnboundedSender<Event>,
    pub(crate) session: Option<Session>,
    pub(crate) online: bool,
    /// Local ids of messages handed to the live stream and not yet acked.
    pub(crate) in_flight: HashMap<i64, InFlight>,
    /// Queued messages held because sending them now would lower their
    /// protection (an emptied OMEMO device list, a new OTR key), told as
    /// `message_held`; looked at again when that changes, on a new stream,
    /// or on the user's explicit choice.
    pub(crate) held: HashSet<i64>,
    /// A received message could not be stored (a full disk, say): once a
    /// write works again, the archive is read for what was missed.
    pub(crate) storage_failed: std::cell::Cell<bool>,
    /// Counter for [`InFlight::generation`].
    pub(crate) generation: u64,
    /// The presence the user chose, re-announced on every fresh session.
    pub(crate) presence: (Availability, Option<String>),
    /// OTR sessions with contacts' clients (in memory only).
    pub(crate) otr: otr::OtrSessions,
    /// OMEMO: our device, pending hand-overs, owed key transports.
    pub(crate) omemo: omemo::OmemoState,
    /// The server's block list, as last fetched or pushed.
    pub(crate) blocked: std::collections::BTreeSet<String>,
    /// Files being uploaded, and the upload service.
    pub(crate) uploads: upload::Uploads,
    /// Requests in flight; their answers continue the work that asked.
    pub(crate) pending: pending::Pending,
    /// Counts fresh (not resumed) streams: an answer meant for an earlier
    /// stream does not continue that stream's set-up on this one.
    pub(crate) stream: u64,
    /// Commands to a contact that wait for their OMEMO device lists (what
    /// "Automatic" means depends on them), in order, per contact.
    pub(crate) parked: HashMap<String, std::collections::VecDeque<crate::api::Request>>,
    /// Queued messages wait for an answer (see [`outbox::Encoded::Waiting`]):
    /// the outbox is looked at again after each one.
    pub(crate) outbox_waiting: bool,
    /// The stream whose set-up has sent our initial presence: the outbox
    /// waits for it.
    pub(crate) announced: Option<u64>,
    /// The request id of the command being answered, until an event that
    /// answers commands carries it back.
    pub(crate) answering: std::cell::Cell<Option<String>>,
    /// Group chats: which rooms let us in on this stream, and who is there.
    pub(crate) rooms: rooms::Rooms,
    /// The stream whose archive catch-up reached the archive's end: from
    /// then on, what arrives live on it follows without a gap.
    pub(crate) caught_up: Option<u64>,
    /// Our archive's id of the newest message received live since
    /// [`Self::caught_up`]: where the next catch-up starts (kept in memory,
    /// written when a catch-up starts or the account stops; an older
    /// stored position only means re-reading what is already stored).
    pub(crate) contiguous: Option<String>,
}

/// A message handed to the live stream.
#[derive(Debug)]
pub(crate) struct InFlight {
    pub(crate) peer: String,
    pub(crate) state: MessageState,
    /// Which hand-over this is: delivery reports about an earlier copy (a
    /// stream that was since replaced) are ignored.
    pub(crate) generation: u64,
}

impl Account {
    pub(crate) fn emit(&self, mut event: Event) {
        if let Some(id) = self.answering.take()
            && let Err(id) = event.answer(id)
        {
            self.answering.set(Some(id));
        }
        let _ = self.events.send(event);
    }

    pub(crate) fn fail(&self, reason: impl Into<String>) {
        let reason = reason.into();
        tracing::debug!(account = %self.jid, %reason, "failed");
        self.emit(Event::CommandFailed {
            account: Some(self.jid.clone()),
            reason,
            request: None,
        });
    }

    /// Runs `work` as the answer to the command `request` (its first
    /// answering event carries the id).
    pub(crate) fn answering<T>(
        &mut self,
        request: Option<String>,
        work: impl FnOnce(&mut Self) -> T,
    ) -> T {
        self.answering.set(request);
        let out = work(self);
        self.answering.set(None);
        out
    }

    pub(crate) fn connection(&self, state: ConnectionState) {
        self.emit(Event::Connection {
            account: self.jid.clone(),
            state,
        });
    }

    pub(crate) fn set_state(&self, id: i64, peer: &str, state: MessageState) {
        match self.store.set_message_state(&self.jid, id, state) {
            Ok(()) => self.emit(Event::MessageStateChanged {
                account: self.jid.clone(),
                peer: peer.to_owned(),
                id,
                state,
            }),
            Err(e) => tracing::warn!(error = %e, "could not update a message state"),
        }
    }

    async fn run(
        mut self,
        transport: Result<Arc<dyn Transport>, String>,
        register: bool,
        mut commands: mpsc::UnboundedReceiver<AccountCommand>,
        mut uploads: mpsc::UnboundedReceiver<upload::Finished>,
    ) {
        self.uploads.transport = transport.as_ref().ok().cloned();
        self.load_kept_rooms();
        let config = match transport.and_then(|t| convert::session_config(&self.record, t)) {
            Ok(config) => sotto_xmpp::SessionConfig {
                scram_only: self.scram_seen(),
                ..config
            },
            Err(reason) => {
                self.connection(ConnectionState::Offline {
                    reason,
                    retry_in_ms: None,
                });
                return self.idle(commands, uploads).await;
            }
        };
        if register {
            self.connection(ConnectionState::Connecting);
            match sotto_xmpp::register_account(&config).await {
                Ok(()) => self.emit(Event::AccountRegistered {
                    account: self.jid.clone(),
                }),
                Err(error) => {
                    self.stopped(error);
                    return self.idle(commands, uploads).await;
                }
            }
        }
        let (session, mut session_events) = match Session::start(config) {
            Ok(started) => started,
            Err(error) => {
                self.stopped(error);
                return self.idle(commands, uploads).await;
            }
        };
        self.session = Some(session);
        loop {
            let owed = self.omemo.next_due();
            let due = owed.map_or_else(tokio::time::Instant::now, tokio::time::Instant::from_std);
            // Biased, answers first: the driver completes a request before it
            // passes on the stanzas that followed its answer on the stream,
            // so a roster result is handled before the push that came after
            // it (in stream order, as if it had been awaited).
            tokio::select! {
                biased;
                Some(reply) = self.pending.next(), if !self.pending.is_empty() => {
                    self.on_reply(reply).await;
                }
                _ = tokio::time::sleep_until(due), if owed.is_some() && self.online => {
                    self.omemo_send_owed();
                }
                event = session_events.recv() => match event {
                    Some(event) => {
                        let stopped = self.on_session_event(event).await;
                        self.recover_storage();
                        if stopped {
                            // Stopped for good: there is no stream to close.
                            if let Some(session) = self.session.take() {
                                session.abort();
                            }
                            return self.idle(commands, uploads).await;
                        }
                    }
                    None => return self.idle(commands, uploads).await,
                },
                Some(done) = uploads.recv() => {
                    self.upload_finished(done).await;
                }
                command = commands.recv() => match command {
                    Some(AccountCommand::Api(command)) => {
                        self.on_command(command).await;
                    }
                    Some(AccountCommand::Stop(done)) => {
                        self.finish_pending().await;
                        self.keep_archive_position();
                        if let Some(session) = self.session.take() {
                            if self.online {
                                session.close().await;
                            } else {
                                session.abort();
                            }
                        }
                        let _ = done.send(());
                        return;
                    }
                    None => return,
                },
            }
        }
    }

    /// After the session stopped for good: still answer commands (messages
    /// get queued) until the hub stops or restarts us.
    async fn idle(
        mut self,
        mut commands: mpsc::UnboundedReceiver<AccountCommand>,
        mut uploads: mpsc::UnboundedReceiver<upload::Finished>,
    ) {
        self.online = false;
        // Commands that waited for device lists are decided from the stored
        // ones now.
        self.resume().await;
        loop {
            tokio::select! {
                biased;
                Some(reply) = self.pending.next(), if !self.pending.is_empty() => {
                    self.on_reply(reply).await;
                }
                command = commands.recv() => match command {
                    Some(AccountCommand::Api(command)) => self.on_command(command).await,
                    Some(AccountCommand::Stop(done)) => {
                        let _ = done.send(());
                        return;
                    }
                    None => return,
                },
                // An upload that ends now still gets its message (queued).
                Some(done) = uploads.recv() => self.upload_finished(done).await,
            }
        }
    }

    /// Reports why the session gave up.
    fn stopped(&self, error: ConnectError) {
        let account = self.jid.clone();
        match &error {
            ConnectError::CertificateUntrusted { presented, reason } => {
                self.emit(Event::CertificateUntrusted {
                    account,
                    sha256: presented.to_hex(),
                    reason: reason.clone(),
                })
            }
            ConnectError::CertificateChanged { pinned, presented } => {
                self.emit(Event::CertificateChanged {
                    account,
                    pinned_sha256: pinned.to_hex(),
                    presented_sha256: presented.to_hex(),
                })
            }
            ConnectError::AuthenticationFailed(reason) => self.emit(Event::AuthenticationFailed {
                account,
                reason: reason.clone(),
            }),
            ConnectError::ChannelBindingRejected { .. } => {
                self.emit(Event::ChannelBindingRejected {
                    account,
                    reason: error.to_string(),
                })
            }
            ConnectError::RegistrationRefused(reason) => self.fail(format!(
                "creating the account on the server failed: {reason}"
            )),
            _ => {}
        }
        self.connection(ConnectionState::Offline {
            reason: error.to_string(),
            retry_in_ms: None,
        });
    }

    /// After a failed store: once a write works again, catch up on the
    /// archive, which still holds what could not be stored (the cursor and
    /// any ratchet step were not saved either).
    fn recover_storage(&mut self) {
        if !self.storage_failed.get() || !self.online {
            return;
        }
        if self.store.set_setting(STORAGE_PROBE, "ok").is_err() {
            return;
        }
        self.storage_failed.set(false);
        tracing::info!("storing works again: reading the archive for what was missed");
        self.catch_up();
    }

    /// The settings key that records a SCRAM login of this account.
    fn scram_key(&self) -> String {
        format!("{SCRAM_SEEN_PREFIX}{}", self.jid)
    }

    /// Whether this account has logged in with SCRAM before (then PLAIN is
    /// refused). An unreadable answer counts as yes: it must fail closed.
    fn scram_seen(&self) -> bool {
        match self.store.setting(&self.scram_key()) {
            Ok(value) => value.as_deref() == Some("true"),
            Err(e) => {
                tracing::warn!(error = %e, "could not read whether SCRAM was used");
                true
            }
        }
    }

    /// Handles a session event; true when the session has stopped for good.
    async fn on_session_event(&mut self, event: SessionEvent) -> bool {
        match event {
            SessionEvent::LoggedIn { mechanism } => {
                if mechanism.starts_with("SCRAM-")
                    && !self.scram_seen()
                    && let Err(e) = self.store.set_setting(&self.scram_key(), "true")
                {
                    tracing::warn!(error = %e, "could not record the SCRAM login");
                }
            }
            SessionEvent::Connecting => {
                self.online = false;
                self.connection(ConnectionState::Connecting);
            }
            SessionEvent::Suspended => {
                self.online = false;
                self.connection(ConnectionState::Connecting);
            }
            SessionEvent::RetryScheduled { reason, retry_in } => {
                self.online = false;
                self.connection(ConnectionState::Offline {
                    reason,
                    retry_in_ms: Some(retry_in.as_millis() as u64),
                });
            }
            SessionEvent::Stopped { error } => {
                self.online = false;
                self.stopped(error);
                return true;
            }
            SessionEvent::Online {
                jid,
                resumed,
                stream_management,
            } => {
                self.online = true;
                tracing::debug!(account = %self.jid, resumed, stream = self.stream, "online");
                self.connection(ConnectionState::Online {
                    jid: jid.to_string(),
                    resumed,
                });
                if !resumed {
                    // A new stream: whatever the old one had not had
                    // acknowledged may be lost, so it is queued again (the
                    // recipient deduplicates by origin-id).
                    for (id, flight) in std::mem::take(&mut self.in_flight) {
                        if flight.state != MessageState::Acked {
                            self.set_state(id, &flight.peer, MessageState::Queued);
                        }
                    }
                    self.uploads.forget_service();
                    // The set-up's requests run on their own: discovery, then
                    // roster, carbons, presence, archive and block list; and
                    // OMEMO's (without PEP it tells the user once).
                    self.stream += 1;
                    self.discover_server(stream_management);
                    self.omemo_fresh_session();
                    self.otr_on_fresh_session();
                }
                self.flush_outbox();
            }
            SessionEvent::Message(message) => self.on_message(*message).await,
            SessionEvent::Presence(update) => self.on_presence(update),
            SessionEvent::RosterPush {
                contact,
                removed,
                version,
            } => self.on_roster_push(contact, removed, version),
            SessionEvent::Delivery { key, state } => self.on_delivery(&key, state),
            SessionEvent::Blocklist(push) => self.on_blocklist_push(push),
            SessionEvent::OmemoDeviceList {
                from,
                namespace,
                list,
            } => {
                let ns = crate::omemo_wire::ns_in(namespace);
                self.omemo_list_pushed(&from, ns, list);
            }
            SessionEvent::Rejected { .. } => {}
            SessionEvent::RoomPresence(presence) => self.on_room_presence(*presence),
            SessionEvent::RoomError(error) => self.on_room_error(error),
            SessionEvent::RoomMessage(message) => self.on_room_message(*message),
            SessionEvent::Bookmarks(changes) => self.on_bookmark_changes(changes),
            // Invitations are parsed by the session layer; the account
            // does not act on them yet (issue 14), visibly in the log (by
            // kind, never content).
            SessionEvent::RoomInvitation(_) | SessionEvent::RoomInvitationDeclined(_) => {
                tracing::debug!("a room invitation arrived: not acted on yet");
            }
            _ => {}
        }
        false
    }
}
