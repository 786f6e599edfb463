// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! The one boundary between the core and every front end.
//!
//! Front ends send [`Command`]s and receive [`Event`]s over tokio channels.
//! Both are plain serde types; their JSON form (`{"type": "send_message", …}`)
//! is what `sotto run` reads and writes line by line. `docs/core-api.md`
//! documents each with an example.
//!
//! Lists cross the boundary as a snapshot followed by changes: the roster as
//! [`Event::RosterSnapshot`] then [`Event::RosterItemChanged`] /
//! [`Event::RosterItemRemoved`]; a conversation as
//! [`Event::ConversationSnapshot`] then [`Event::MessageAdded`] /
//! [`Event::MessageStateChanged`].

use serde::{Deserialize, Serialize};
use sotto_store::{AccountSettings, MessageRecord, MessageState, RosterItem};
pub(crate) mod otr;
mod values;

pub use otr::{Encryption, OtrContactFingerprint, OtrSessionState, SmpProgress};
pub use sotto_store::OtrTrust;
pub use values::{Availability, ChatState, Secret, ServerOptions};

/// What a front end asks the core to do.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Command {
    /// Adds an account to the profile (and creates it on the server by
    /// in-band registration when `register` is set). It goes online at once.
    AddAccount {
        /// Bare JID.
        jid: String,
        /// Password.
        password: Secret,
        /// Connection options.
        #[serde(default)]
        server: ServerOptions,
        /// Create the account on the server first (XEP-0077).
        #[serde(default)]
        register: bool,
    },
    /// Removes an account and everything stored for it.
    RemoveAccount {
        /// Bare JID of the account.
        account: String,
    },
    /// Enables (goes online) or disables (goes offline) an account.
    SetAccountEnabled {
        /// Bare JID of the account.
        account: String,
        /// Whether it should be online.
        enabled: bool,
    },
    /// Trusts this certificate fingerprint for the account and reconnects.
    PinCertificate {
        /// Bare JID of the account.
        account: String,
        /// SHA-256 of the certificate, hex.
        sha256: String,
    },
    /// Changes the account's password on the server, then in the profile.
    ChangePassword {
        /// Bare JID of the account.
        account: String,
        /// The new password.
        new_password: Secret,
    },
    /// Sends a chat message. Queued when offline, sent once after reconnect.
    SendMessage {
        /// Bare JID of the account.
        account: String,
        /// Recipient (bare JID).
        to: String,
        /// Text.
        body: String,
        /// End-to-end encryption. Absent: OTR while an OTR session with the
        /// contact is encrypted, none otherwise. `otr` when no session is
        /// encrypted yet starts one and holds the message back until it is;
        /// it is never sent in plaintext.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        encryption: Option<Encryption>,
    },
    /// Sends a failed message again.
    RetryMessage {
        /// Bare JID of the account.
        account: String,
        /// Local message id.
        id: i64,
    },
    /// Sends a chat state notification.
    SendChatState {
        /// Bare JID of the account.
        account: String,
        /// Recipient (bare JID).
        to: String,
        /// State.
        state: ChatState,
    },
    /// Sets our presence.
    SetPresence {
        /// Bare JID of the account.
        account: String,
        /// Availability.
        availability: Availability,
        /// Status text.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        status: Option<String>,
    },
    /// Adds a contact to the roster and asks for their presence.
    AddContact {
        /// Bare JID of the account.
        account: String,
        /// Contact's bare JID.
        jid: String,
        /// Display name.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        name: Option<String>,
        /// Roster groups.
        #[serde(default)]
        groups: Vec<String>,
    },
    /// Removes a contact from the roster (and cancels subscriptions).
    RemoveContact {
        /// Bare JID of the account.
        account: String,
        /// Contact's bare JID.
        jid: String,
    },
    /// Renames a contact.
    RenameContact {
        /// Bare JID of the account.
        account: String,
        /// Contact's bare JID.
        jid: String,
        /// New name (None clears it).
        name: Option<String>,
    },
    /// Answers a subscription request.
    AnswerSubscription {
        /// Bare JID of the account.
        account: String,
        /// Who asked.
        jid: String,
        /// Approve (share our presence) or deny.
        approve: bool,
    },
    /// Asks for the roster snapshot of an account.
    GetRoster {
        /// Bare JID of the account.
        account: String,
    },
    /// Opens a conversation: a snapshot of its newest messages.
    OpenConversation {
        /// Bare JID of the account.
        account: String,
        /// The other party (bare JID).
        peer: String,
        /// How many messages.
        limit: usize,
    },
    /// Pages older history (from the store, then from the server archive).
    LoadOlder {
        /// Bare JID of the account.
        account: String,
        /// The other party (bare JID).
        peer: String,
        /// Local id of the oldest message the front end has.
        before: i64,
        /// How many messages.
        limit: usize,
    },
    /// Full-text search across all conversations.
    Search {
        /// Words to find.
        text: String,
        /// Maximum results.
        limit: usize,
    },
    /// Starts (or refreshes) an OTR session with a contact: with a full JID,
    /// that client; with a bare JID, whichever of the contact's clients
    /// answers. Progress arrives as `otr_state`.
    OtrStart {
        /// Bare JID of the account.
        account: String,
        /// The contact, bare or full JID.
        jid: String,
    },
    /// Ends the OTR session with a contact (tells the contact's client).
    OtrEnd {
        /// Bare JID of the account.
        account: String,
        /// The contact, bare or full JID.
        jid: String,
    },
    /// Starts the Socialist Millionaires' Protocol: verifies the contact by a
    /// secret both know, optionally asking `question`. Needs an encrypted
    /// session; the outcome arrives as `otr_smp`.
    OtrSmp {
        /// Bare JID of the account.
        account: String,
        /// The contact, bare or full JID.
        jid: String,
        /// The shared secret.
        secret: Secret,
        /// A question only the contact can answer, shown to them.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        question: Option<String>,
    },
    /// Answers the contact's SMP request (`otr_smp` with step `requested`).
    OtrSmpRespond {
        /// Bare JID of the account.
        account: String,
        /// The contact, bare or full JID.
        jid: String,
        /// The shared secret.
        secret: Secret,
    },
    /// Aborts a running SMP exchange.
    OtrSmpAbort {
        /// Bare JID of the account.
        account: String,
        /// The contact, bare or full JID.
        jid: String,
    },
    /// Asks for the account's own OTR fingerprint and the known ones of its
    /// contacts (answered by `otr_fingerprints`). Creates the account's OTR
    /// key on first use.
    GetOtrFingerprints {
        /// Bare JID of the account.
        account: String,
    },
    /// Records the user's decision about a contact's OTR fingerprint (after
    /// comparing it over another channel).
    SetOtrTrust {
        /// Bare JID of the account.
        account: String,
        /// The contact's bare JID.
        contact: String,
        /// The fingerprint (40 hex digits, spaces allowed).
        fingerprint: String,
        /// Verified or not.
        verified: bool,
    },
    /// Imports an OTR identity from a Pidgin/libotr directory
    /// (`otr.private_key`, and `otr.fingerprints` if present), so contacts
    /// who verified it keep recognising it. Replaces the account's OTR key.
    ImportOtr {
        /// Bare JID of the account.
        account: String,
        /// The directory (e.g. `~/.purple`).
        dir: String,
    },
    /// Routes every account through the built-in Tor ("Tor for everything").
    SetTorEverywhere {
        /// On or off.
        enabled: bool,
    },
    /// Asks for the Tor state (answered by `tor_status` and `tor_everywhere`).
    GetTorStatus,
    /// Lists the accounts.
    ListAccounts,
    /// Goes offline everywhere and stops the core.
    Shutdown,
}

/// Connection state of one account.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum ConnectionState {
    /// Disabled by the user.
    Disabled,
    /// Trying to connect.
    Connecting,
    /// Online with this full JID.
    Online {
        /// Bound full JID.
        jid: String,
        /// Whether the previous session was resumed (XEP-0198).
        resumed: bool,
    },
    /// Offline; retrying after `retry_in_ms` unless that is absent, in which
    /// case the user must act (see `reason`).
    Offline {
        /// Why, in words a person understands.
        reason: String,
        /// Next attempt in this many milliseconds.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        retry_in_ms: Option<u64>,
    },
}

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
    },
    /// A message was stored (incoming, outgoing, carbon or archive).
    MessageAdded {
        /// Bare JID.
        account: String,
        /// The stored message.
        message: MessageRecord,
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
    /// A contact's chat state.
    ChatState {
        /// Bare JID.
        account: String,
        /// Contact's bare JID.
        from: String,
        /// State.
        state: ChatState,
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
    /// A command could not be carried out.
    CommandFailed {
        /// The account concerned, if any.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        account: Option<String>,
        /// What was being done and why it failed.
        reason: String,
    },
    /// The core has stopped (after `shutdown`).
    Stopped,
}

#[cfg(test)]
mod tests;
