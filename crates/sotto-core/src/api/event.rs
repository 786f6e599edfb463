// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! What the core tells front ends.

use serde::{Deserialize, Serialize};
use sotto_store::{AccountSettings, MessageRecord, MessageState, RosterItem};

use super::{
    Availability, ChatState, ConnectionState, Encryption, MissingFeature, OmemoDevice,
    OmemoTrustMode, OtrContactFingerprint, OtrSessionState, RoomOccupant, SmpProgress,
};

/// What the core tells front ends. Every account-related event names its account.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Event {
    /// The accounts of the profile (answer to `list_accounts`, and at start).
    AccountsSnapshot {
        /// All accounts.
        accounts: Vec<AccountSettings>,
    },
    /// An account was added or its settings changed.
    AccountChanged {
        /// Its settings now.
        settings: AccountSettings,
    },
    /// An account was removed.
    AccountRemoved {
        /// Bare JID.
        account: String,
    },
    /// The account was created on the server (in-band registration).
    AccountRegistered {
        /// Bare JID.
        account: String,
    },
    /// The password was changed on the server and in the profile.
    PasswordChanged {
        /// Bare JID.
        account: String,
        /// The `request` of the command this answers, when it gave one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        request: Option<String>,
    },
    /// Connection state changed.
    Connection {
        /// Bare JID.
        account: String,
        /// The new state.
        state: ConnectionState,
    },
    /// The server's certificate is not trusted by the system; the user may
    /// pin it with `pin_certificate` after checking the fingerprint.
    CertificateUntrusted {
        /// Bare JID.
        account: String,
        /// SHA-256 of the certificate, hex.
        sha256: String,
        /// Why it was refused.
        reason: String,
    },
    /// The server presented a different certificate than the pinned one.
    CertificateChanged {
        /// Bare JID.
        account: String,
        /// The pinned fingerprint.
        pinned_sha256: String,
        /// What the server presented.
        presented_sha256: String,
    },
    /// The server refused the credentials; the account stays offline.
    AuthenticationFailed {
        /// Bare JID.
        account: String,
        /// Why.
        reason: String,
    },
    /// The server refused the channel binding of the login, not the
    /// password; the account stays offline (see `docs/protocols.md`).
    ChannelBindingRejected {
        /// Bare JID.
        account: String,
        /// The mechanism and the server's words.
        reason: String,
    },
    /// What the account's server lacks, found by service discovery after
    /// each fresh login. An empty list: everything Sotto uses is there.
    ServerFeatures {
        /// Bare JID.
        account: String,
        /// Missing features, each with what it means for the user.
        missing: Vec<MissingFeature>,
    },
    /// The whole roster of an account.
    RosterSnapshot {
        /// Bare JID.
        account: String,
        /// Contacts.
        items: Vec<RosterItem>,
    },
    /// A contact was added or changed.
    RosterItemChanged {
        /// Bare JID.
        account: String,
        /// The contact now.
        item: RosterItem,
    },
    /// A contact was removed.
    RosterItemRemoved {
        /// Bare JID.
        account: String,
        /// Contact's bare JID.
        jid: String,
    },
    /// A contact's resource changed presence.
    Presence {
        /// Bare JID.
        account: String,
        /// Full JID of the contact's resource.
        from: String,
        /// Availability.
        availability: Availability,
        /// Status text.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        status: Option<String>,
    },
    /// The account's block list: after each fresh login and after every
    /// change (made here or by another client of the account).
    Blocklist {
        /// Bare JID.
        account: String,
        /// Blocked bare JIDs, sorted.
        blocked: Vec<String>,
    },
    /// Someone asks to see our presence; answer with `answer_subscription`.
    SubscriptionRequest {
        /// Bare JID.
        account: String,
        /// Who asks.
        from: String,
    },
    /// The newest messages of a conversation.
    ConversationSnapshot {
        /// Bare JID.
        account: String,
        /// The other party.
        peer: String,
        /// Messages, oldest first.
        messages: Vec<MessageRecord>,
        /// Whether older messages exist (locally or on the server).
        has_more: bool,
        /// The `request` of the command this answers, when it gave one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        request: Option<String>,
    },
    /// Older messages of a conversation (answer to `load_older`).
    HistoryPage {
        /// Bare JID.
        account: String,
        /// The other party.
        peer: String,
        /// Messages, oldest first.
        messages: Vec<MessageRecord>,
        /// Whether even older messages may exist.
        has_more: bool,
        /// The `request` of the command this answers, when it gave one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        request: Option<String>,
    },
    /// A message was stored (incoming, outgoing, carbon or archive).
    MessageAdded {
        /// Bare JID.
        account: String,
        /// The stored message.
        message: MessageRecord,
        /// The `request` of the command this answers, when it gave one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        request: Option<String>,
    },
    /// A message's delivery state changed.
    MessageStateChanged {
        /// Bare JID.
        account: String,
        /// The other party.
        peer: String,
        /// Local message id.
        id: i64,
        /// The new state.
        state: MessageState,
    },
    /// An outgoing message is held (still `queued`): sending it as chosen
    /// would lower its protection, e.g. "Automatic" to a contact whose OMEMO
    /// device list is now empty. It goes out by itself once it can go as
    /// chosen; only `retry_message` with an explicit encryption sends it
    /// otherwise.
    MessageHeld {
        /// Bare JID.
        account: String,
        /// The other party.
        peer: String,
        /// Local message id.
        id: i64,
        /// Why, in plain words.
        reason: String,
    },
    /// What a message to `peer` sent on "Automatic" goes with now. Sent when
    /// the contact's OMEMO devices were listed or changed: the front end's
    /// lock shows this, never a guess of its own.
    ConversationEncryption {
        /// Bare JID.
        account: String,
        /// The other party.
        peer: String,
        /// The encryption "Automatic" uses now.
        automatic: Encryption,
        /// Set when that encryption cannot be used right now (messages wait):
        /// why, in plain words.
        blocked: Option<String>,
    },
    /// A contact's OMEMO device list changed (pushed or fetched).
    OmemoDeviceList {
        /// Bare JID.
        account: String,
        /// Whose list (bare JID; the account itself for our own).
        jid: String,
        /// The device ids in the list now.
        active: Vec<u32>,
        /// Device ids that were in the list before and are gone.
        removed: Vec<u32>,
    },
    /// A contact's chat state.
    ChatState {
        /// Bare JID.
        account: String,
        /// Contact's bare JID.
        from: String,
        /// State.
        state: ChatState,
    },
    /// A room let us in; `occupants` are those present (us included).
    RoomJoined {
        /// Bare JID.
        account: String,
        /// The room's bare JID.
        room: String,
        /// Our nickname there.
        nick: String,
        /// Who is there.
        occupants: Vec<RoomOccupant>,
    },
    /// Someone came into a room, changed, or left it.
    RoomOccupantChanged {
        /// Bare JID.
        account: String,
        /// The room's bare JID.
        room: String,
        /// The occupant as now known.
        occupant: RoomOccupant,
        /// False when they left.
        present: bool,
    },
    /// We are out of a room: left, kicked, banned, or the room was closed.
    RoomLeft {
        /// Bare JID.
        account: String,
        /// The room's bare JID.
        room: String,
        /// Why, in plain words.
        reason: String,
    },
    /// A room refused us (or a nickname), in plain words. With
    /// `nickname_taken` the user chooses another nickname; nothing is
    /// retried on their behalf.
    RoomError {
        /// Bare JID.
        account: String,
        /// The room's bare JID.
        room: String,
        /// What went wrong.
        reason: String,
        /// The nickname is someone else's.
        nickname_taken: bool,
    },
    /// A room's subject, as set now or on joining (`None`: none).
    RoomSubject {
        /// Bare JID.
        account: String,
        /// The room's bare JID.
        room: String,
        /// The subject (peer text, like a body).
        subject: Option<String>,
    },
    /// Archive catch-up finished for an account.
    ArchiveSynced {
        /// Bare JID.
        account: String,
        /// Messages newly stored.
        new_messages: usize,
    },
    /// Search results, newest first.
    SearchResults {
        /// The query.
        text: String,
        /// Matching messages.
        results: Vec<MessageRecord>,
        /// The `request` of the command this answers, when it gave one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        request: Option<String>,
    },
    /// Progress of the built-in Tor.
    TorStatus {
        /// 0–100.
        percent: u8,
        /// Usable for traffic.
        ready: bool,
        /// What Tor is doing.
        summary: String,
        /// Why progress is blocked, if it is.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        blocked: Option<String>,
    },
    /// Whether every account goes through Tor.
    TorEverywhere {
        /// On or off.
        enabled: bool,
    },
    /// The OTR state of a conversation with one of a contact's clients.
    OtrState {
        /// Bare JID.
        account: String,
        /// The contact's full JID (OTR runs per client).
        jid: String,
        /// The state.
        state: OtrSessionState,
    },
    /// A step of an SMP verification.
    OtrSmp {
        /// Bare JID.
        account: String,
        /// The contact's full JID.
        jid: String,
        /// What happened.
        progress: SmpProgress,
    },
    /// An OTR message from a contact could not be read. Nothing was stored;
    /// the contact's client was told (as OTR clients do).
    OtrUnreadable {
        /// Bare JID.
        account: String,
        /// The contact's full JID.
        jid: String,
        /// Why, in words a person can act on.
        reason: String,
    },
    /// The account's OTR fingerprint and the known fingerprints of contacts.
    OtrFingerprints {
        /// Bare JID.
        account: String,
        /// Our own fingerprint, in libotr's form (five groups of eight hex).
        own: String,
        /// Contacts' fingerprints with trust.
        contacts: Vec<OtrContactFingerprint>,
        /// The `request` of the command this answers, when it gave one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        request: Option<String>,
    },
    /// An OTR identity was imported.
    OtrImported {
        /// Bare JID.
        account: String,
        /// The imported key's fingerprint, in libotr's form.
        fingerprint: String,
        /// How many contact fingerprints were imported.
        contacts: usize,
    },
    /// This device's OMEMO keys are published (after each new stream):
    /// contacts can now write to it.
    OmemoReady {
        /// Bare JID.
        account: String,
        /// Our device id.
        device_id: u32,
        /// Our fingerprint (eight groups of eight hex digits).
        fingerprint: String,
    },
    /// OMEMO could not be set up for this account: the server has no PEP,
    /// or refused to publish this device's keys. Sent once (again only
    /// after an `omemo_ready` or for another reason). Messaging goes on:
    /// unencrypted messages are sent, and a message that is to go with
    /// OMEMO is still never sent in plaintext.
    OmemoUnavailable {
        /// Bare JID.
        account: String,
        /// What is wrong, in plain words.
        reason: String,
    },
    /// OMEMO devices: our own, and those of `jid`.
    OmemoFingerprints {
        /// Bare JID.
        account: String,
        /// This device.
        own: OmemoDevice,
        /// Our `xmpp:` verification URI (for a QR code).
        own_uri: String,
        /// Whose devices follow (the account itself for our other devices).
        jid: String,
        /// Their devices.
        devices: Vec<OmemoDevice>,
        /// The `request` of the command this answers, when it gave one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        request: Option<String>,
    },
    /// A device key was seen for the first time (or its trust changed).
    /// `trust` says whether messages are encrypted to it; `undecided` asks
    /// the user to decide.
    OmemoDevice {
        /// Bare JID.
        account: String,
        /// The device.
        device: OmemoDevice,
    },
    /// An OMEMO message could not be decrypted.
    OmemoUnreadable {
        /// Bare JID.
        account: String,
        /// The conversation (bare JID).
        peer: String,
        /// The sender's device id.
        device_id: u32,
        /// Why, in words a person can act on.
        reason: String,
    },
    /// A broken OMEMO session with a device was replaced by a new one (an
    /// empty message was sent to build it). Messages sent before may be lost.
    OmemoSessionRepaired {
        /// Bare JID.
        account: String,
        /// Whose device (bare JID).
        jid: String,
        /// The device.
        device_id: u32,
    },
    /// A device of the recipient (or of ours) was left out of an OMEMO
    /// message, and why.
    OmemoDeviceSkipped {
        /// Bare JID.
        account: String,
        /// Whose device (bare JID).
        jid: String,
        /// The device.
        device_id: u32,
        /// Why, in plain words.
        reason: String,
    },
    /// How new OMEMO devices of contacts are treated: at start (right
    /// after the first `accounts_snapshot`) and after `set_omemo_trust_mode`.
    OmemoTrustMode {
        /// The mode.
        mode: OmemoTrustMode,
    },
    /// How a file transfer (`send_file`) stands.
    Transfer {
        /// Bare JID of the account.
        account: String,
        /// The transfer's id, as given to `send_file`.
        id: String,
        /// The recipient.
        peer: String,
        /// The file's name.
        name: String,
        /// A download (`save_file`) rather than an upload.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        download: bool,
        /// Where it stands.
        state: TransferState,
        /// The `request` of the command this answers, when it gave one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        request: Option<String>,
    },
    /// `change_profile_protection` succeeded: the profile now opens only
    /// with the new passphrase, or with the key in the OS keyring.
    ProfileProtectionChanged {
        /// The key is now in the OS keyring.
        keyring: bool,
        /// Something to tell the user although it worked.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        warning: Option<String>,
    },
    /// `change_profile_protection` changed nothing.
    ProfileProtectionUnchanged {
        /// Why, in words for the user.
        reason: String,
    },
    /// A command could not be carried out.
    CommandFailed {
        /// The account concerned, if any.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        account: Option<String>,
        /// What was being done and why it failed.
        reason: String,
        /// The `request` of the command this answers, when it gave one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        request: Option<String>,
    },
    /// The core has stopped (after `shutdown`).
    Stopped,
}

/// Where a file transfer stands.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum TransferState {
    /// Reading (and encrypting) the file, asking the server for a slot.
    Preparing,
    /// Uploading or downloading: `sent` of `total` bytes.
    Uploading {
        /// Bytes moved so far.
        sent: u64,
        /// Bytes to move (with encryption: the file plus 16); 0 when a
        /// download's size is not known in advance.
        total: u64,
    },
    /// Uploaded; its link went out as a message (a `message_added`).
    Sent,
    /// Downloaded (and decrypted) and written to `path`.
    Saved {
        /// Where the file is now.
        path: String,
    },
    /// Nothing was sent.
    Failed {
        /// Why, in words for the user.
        reason: String,
    },
    /// Stopped by `cancel_transfer`; nothing was sent.
    Cancelled,
}

/// Matches the events that answer commands (those with a `request`),
/// binding it: the one list of them, for reading and for setting it.
macro_rules! with_request {
    ($event:expr, $request:ident => $answers:expr, _ => $other:expr) => {
        match $event {
            Event::PasswordChanged { $request, .. }
            | Event::ConversationSnapshot { $request, .. }
            | Event::HistoryPage { $request, .. }
            | Event::MessageAdded { $request, .. }
            | Event::SearchResults { $request, .. }
            | Event::OtrFingerprints { $request, .. }
            | Event::OmemoFingerprints { $request, .. }
            | Event::Transfer { $request, .. }
            | Event::CommandFailed { $request, .. } => $answers,
            _ => $other,
        }
    };
}

impl Event {
    /// The `request` of the command this event answers, if any.
    #[must_use]
    pub fn request(&self) -> Option<&str> {
        with_request!(self, request => request.as_deref(), _ => None)
    }

    /// Marks this event as the answer to the command `id` when it is of a
    /// kind that answers commands; gives `id` back otherwise.
    pub(crate) fn answer(&mut self, id: String) -> Result<(), String> {
        with_request!(self, request => {
            *request = Some(id);
            Ok(())
        }, _ => Err(id))
    }
}
