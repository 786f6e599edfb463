// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! What front ends ask of the core.

use serde::{Deserialize, Serialize};

use super::{
    Availability, ChatState, Encryption, OmemoTrust, OmemoTrustMode, ProfileProtection, Secret,
    ServerOptions,
};

/// A command with the caller's own id for it. `command_failed` and the
/// first event the command causes (`message_added` for `send_message`,
/// `transfer` for `send_file`, `omemo_fingerprints`, `history_page`, …)
/// carry the id back as their `request`, so a front end never has to
/// recognise its answer by content. On the wire the id is one more field
/// of the command's object: `{"type": "send_message", …, "request": "r1"}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Request {
    /// The caller's id (any string), echoed in the answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request: Option<String>,
    /// The command.
    #[serde(flatten)]
    pub command: Command,
}

impl Request {
    /// `command` with the id `request`.
    pub fn new(request: impl Into<String>, command: Command) -> Self {
        Self {
            request: Some(request.into()),
            command,
        }
    }
}

impl From<Command> for Request {
    fn from(command: Command) -> Self {
        Self {
            request: None,
            command,
        }
    }
}

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
    /// Changes how an account connects (host, port, TLS, Tor or proxy,
    /// pinned certificate) and, optionally, the password stored for it. A
    /// running account reconnects. Answers: `account_changed`.
    EditAccount {
        /// Bare JID of the account.
        account: String,
        /// The connection options, all of them (what is left out is
        /// cleared; a pinned certificate is kept only if given again).
        server: ServerOptions,
        /// The password to log in with from now on (after it was changed
        /// elsewhere; `change_password` changes it on the server). Absent:
        /// unchanged.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        password: Option<Secret>,
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
        /// contact is encrypted, else OMEMO when the contact has OMEMO
        /// devices, none otherwise. `otr` when no session is encrypted yet
        /// starts one and holds the message back until it is; `otr` and
        /// `omemo` are never sent in plaintext.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        encryption: Option<Encryption>,
    },
    /// Sends a file (HTTP File Upload, XEP-0363): uploads it to the
    /// server's upload service, then sends its link as a message. With
    /// OMEMO or OTR the file is encrypted first (AES-256-GCM) and the link
    /// is an `aesgcm://` one (XEP-0454) inside the encrypted message; the
    /// server stores only ciphertext. Progress: `transfer` events under
    /// `id`. Needs the account online.
    SendFile {
        /// Bare JID of the account.
        account: String,
        /// Recipient (bare JID).
        to: String,
        /// The file to send.
        path: String,
        /// The front end's name for this transfer (for progress and cancel).
        id: String,
        /// End-to-end encryption, as for `send_message`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        encryption: Option<Encryption>,
    },
    /// Saves a file someone sent (a message that is an `https://` or
    /// `aesgcm://` link) to `path`: downloads it through the account's own
    /// route and, for `aesgcm://`, decrypts and authenticates it. Progress:
    /// `transfer` events under `id` with `download` set.
    SaveFile {
        /// Bare JID of the account.
        account: String,
        /// The contact who sent it (for the front end's grouping).
        peer: String,
        /// The link.
        url: String,
        /// Where to write the file.
        path: String,
        /// The front end's name for this transfer.
        id: String,
    },
    /// Stops a running upload (nothing is sent) or download (nothing is
    /// written). Answered by a `transfer` event with state `cancelled`.
    CancelTransfer {
        /// Bare JID of the account.
        account: String,
        /// The transfer's id, as given to `send_file`.
        id: String,
    },
    /// Sends a failed or held message again. With `encryption`, sends it
    /// with that instead of the encryption it was queued with: the user's
    /// explicit choice, the only way a held message goes out unencrypted.
    RetryMessage {
        /// Bare JID of the account.
        account: String,
        /// Local message id.
        id: i64,
        /// The encryption to use from now on; `None` keeps the message's own.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        encryption: Option<Encryption>,
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
    /// Joins a group chat (XEP-0045) and keeps it: it is joined again on
    /// every new connection until left. Answered by `room_joined`, or by
    /// `room_error` in plain words (a taken nickname is told, never retried
    /// under another name). Messages in rooms are not end-to-end encrypted
    /// yet; front ends say so where they are written.
    JoinRoom {
        /// Bare JID of the account.
        account: String,
        /// The room's bare JID (`room@conference.example.org`).
        room: String,
        /// Our nickname there; the account's user name when absent.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        nick: Option<String>,
        /// The room's password, for rooms that have one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        password: Option<Secret>,
    },
    /// Leaves a room and stops joining it; its history stays.
    LeaveRoom {
        /// Bare JID of the account.
        account: String,
        /// The room's bare JID.
        room: String,
    },
    /// Writes to a room (sent once the room has let us in; stored as
    /// queued until then). Answered by `message_added`; the room's echo
    /// marks it delivered.
    SendRoomMessage {
        /// Bare JID of the account.
        account: String,
        /// The room's bare JID.
        room: String,
        /// Text.
        body: String,
    },
    /// Blocks or unblocks a JID (XEP-0191): the server drops what a blocked
    /// JID sends and hides our presence from it. Answered by
    /// [`Event::Blocklist`](crate::Event::Blocklist) once the server confirms.
    SetBlocked {
        /// Bare JID of the account.
        account: String,
        /// The contact's (or stranger's) bare JID.
        jid: String,
        /// Block (true) or unblock (false).
        blocked: bool,
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
    /// Asks for OMEMO devices and fingerprints (answered by
    /// `omemo_fingerprints`): ours, and those of `jid` (the account's own
    /// other devices when absent). Fetches device lists and keys when online.
    GetOmemoFingerprints {
        /// Bare JID of the account.
        account: String,
        /// The contact (bare JID).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        jid: Option<String>,
    },
    /// Records the user's decision about a device key of `jid` (ours
    /// included): `verified` after comparing fingerprints, `distrusted` to
    /// never encrypt to it again.
    SetOmemoTrust {
        /// Bare JID of the account.
        account: String,
        /// Whose key (bare JID).
        jid: String,
        /// The fingerprint (64 hex digits; spaces allowed).
        fingerprint: String,
        /// The decision.
        trust: OmemoTrust,
    },
    /// Verifies the devices an `xmpp:` URI names
    /// (`xmpp:jid?omemo-sid-<id>=<fingerprint>`, as in the QR codes of
    /// Conversations and Dino).
    VerifyOmemoUri {
        /// Bare JID of the account.
        account: String,
        /// The URI.
        uri: String,
    },
    /// Sets how new OMEMO devices of contacts are treated (all accounts).
    SetOmemoTrustMode {
        /// The mode.
        mode: OmemoTrustMode,
    },
    /// Routes every account through the built-in Tor ("Tor for everything").
    SetTorEverywhere {
        /// On or off.
        enabled: bool,
    },
    /// Re-encrypts the profile under a new passphrase, or moves its key into
    /// or out of the OS keyring. `current` must be how the profile is
    /// protected now (checked before anything changes). Answered by
    /// `profile_protection_changed` or `profile_protection_unchanged`.
    ChangeProfileProtection {
        /// The protection now: the current passphrase, or the keyring.
        current: ProfileProtection,
        /// The protection wanted.
        new: ProfileProtection,
    },
    /// Asks for the Tor state (answered by `tor_status` and `tor_everywhere`).
    GetTorStatus,
    /// Lists the accounts.
    ListAccounts,
    /// Goes offline everywhere and stops the core.
    Shutdown,
}
