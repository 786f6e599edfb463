// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! The encrypted local store of one Sotto profile.
//!
//! A profile is a directory holding one SQLCipher database, `sotto.db`, with
//! the profile's accounts (and their passwords), cached rosters, message
//! history (one-to-one and in rooms), outbox, MAM archive cursors, rooms with
//! their members, and settings. The API is synchronous
//! and every operation is small; the core calls it from async code.
//!
//! Storage sits behind narrow traits ([`AccountStore`], [`RosterStore`],
//! [`MessageStore`], [`SettingsStore`], [`OtrStore`], [`RoomStore`],
//! [`RoomMemberStore`], together [`Store`]) with two
//! implementations of identical semantics: [`SqlStore`] (the real one) and
//! [`MemoryStore`] (for tests of the layers above). One conformance suite,
//! run against both, pins those semantics down. OMEMO state is stored
//! through sotto-omemo's own store traits, per account
//! ([`SqlStore::omemo`] → [`OmemoAccountStore`]), and passes that crate's
//! conformance suite.
//!
//! What this crate must never do:
//! - write anything unencrypted to disk: no plaintext temp files, no
//!   plaintext copy of a message, password or key in any file of the profile;
//! - touch the profile's files before the key has been verified (a wrong
//!   passphrase leaves every byte as it was);
//! - log, `Debug`-print or put in an error message a key, passphrase,
//!   account password or message body;
//! - do networking or protocol work, or know about the GUI.

// Tests may unwrap: a panic is how they fail.
#![cfg_attr(test, allow(clippy::unwrap_used))]

mod dedup;
mod error;
pub mod keyring_key;
mod memory;
mod model;
mod otr;
mod protection;
mod room;
mod search;
mod secret;
mod sql;
mod traits;

#[cfg(any(test, feature = "testing"))]
#[doc(hidden)]
pub mod conformance;

pub use error::{Result, StoreError};
pub use memory::MemoryStore;
pub use model::{
    AccountRecord, AccountSettings, Direction, Encryption, Inserted, MessageRecord, MessageState,
    NewMessage, RosterItem, Subscription,
};
pub use otr::{OtrFingerprint, OtrIdentity, OtrTrust, normalize_fingerprint};
pub use protection::{ProfileKeyStore, Protection, ProtectionChanged};
pub use room::{
    Affiliation, RoomConfig, RoomMember, RoomMessageKind, RoomRecord, RoomSender, RoomSettings,
};
pub use secret::{Password, ProfileKey};
pub use sql::{OmemoAccountStore, SqlStore};
pub use traits::{
    AccountOmemoStore, AccountStore, MessageStore, OmemoStores, OtrStore, RoomMemberStore,
    RoomStore, RosterStore, SettingsStore, Store,
};
