// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! Off-the-Record Messaging, versions 3 and 2, interoperable with C libotr
//! 4.1.1 (Pidgin, Adium, ChatSecure), as an I/O-free engine.
//!
//! This crate turns message bodies into message bodies. It never touches a
//! socket, a clock, a random source of its own or a database: the caller
//! passes `now` and a cryptographic RNG, sends the strings it is handed, and
//! stores what must persist (the long-term key, our instance tag, trust
//! decisions). OTR sessions themselves are ephemeral and never stored. It
//! logs nothing; errors and `Debug` output never contain message text or key
//! material.
//!
//! # Driving it
//!
//! ```no_run
//! # use std::sync::Arc;
//! # use sotto_otr::*;
//! # fn demo(rng: &mut impl rand_core::CryptoRng, now: std::time::SystemTime) -> Result<(), Error> {
//! // Once per account: generate (or load with PrivateKey::from_bytes) and persist.
//! let key = PrivateKey::generate(rng);
//! let tag = InstanceTag::generate(rng);
//! let account = Arc::new(Account::new(key, tag, Policy::Opportunistic));
//!
//! // One Conversation per peer full JID.
//! let mut conv = Conversation::new(account.clone());
//! conv.set_max_fragment_size(Some(10_000));
//! for action in conv.start() {            // "?OTRv23?..." query
//!     handle(action);
//! }
//! // For every incoming body from that JID:
//! for action in conv.receive("?OTR:AAMC...", now, rng)? { handle(action) }
//! // For every outgoing body the user typed:
//! for action in conv.send("hello", now, rng)? { handle(action) }
//! # Ok(()) }
//! # fn handle(_: Action) {}
//! ```
//!
//! Each [`Action`] says what to do: send a body to the peer
//! ([`Action::SendWire`]), show a message ([`Action::Deliver`], with whether it
//! arrived encrypted), report a state change, an SMP step or an OTR error from
//! the peer. Errors ([`Error`]) never leave the conversation unusable; for an
//! unreadable encrypted message [`Error::reply_to_peer`] gives the OTR error
//! message libotr would send back.
//!
//! After every [`Action::StateChanged`] to [`State::Encrypted`], compare
//! [`Conversation::peer_fingerprint`] with the stored fingerprints
//! ([`check_fingerprint`]) and warn on a changed key. A successful SMP
//! ([`SmpEvent::Succeeded`]) may be stored as [`Trust::VerifiedSmp`].
//!
//! Existing Pidgin/libotr identities import with [`parse_private_keys`]
//! (`otr.private_key`; read it as bytes, libgcrypt sometimes writes raw
//! non-UTF-8 bytes into it) and [`parse_fingerprints`] (`otr.fingerprints`).
//!
//! # Interoperability notes
//!
//! - Tested against C libotr 4.1.1 (`tests/tests/otr_libotr.rs`): v3 and v2,
//!   either side starting, fragments, SMP, session end, imported keys.
//! - DSA signs the whole 32-byte AKE MAC reduced mod q, as libgcrypt does for
//!   libotr (not truncated to 20 bytes).
//! - Data-message counters may arrive out of order within a window of 64 per
//!   key pair (libotr requires strictly increasing counters; being lenient
//!   here loses nothing and still rejects replays).
//! - One session per remote v3 instance; outgoing messages go to the instance
//!   that most recently completed an AKE or sent us a data message.
//!
//! # Bounds against a hostile peer
//!
//! Anyone can send us OTR messages (and complete an AKE with a key of their
//! own), so every input is bounded before it costs much:
//! - DSA keys must have libotr's sizes, 1024-bit p and 160-bit q (keys
//!   of other sizes, from peers or imported, are refused); every exponent
//!   and group element is range-checked before any exponentiation.
//! - Per conversation: partial fragments use at most 1 MiB in all, from at
//!   most 4 senders, and are forgotten after 120 s without a piece; at most
//!   8 sessions (remote instances) are kept; the peer may start at most 8
//!   SMP exchanges per 10 minutes (later ones are aborted unread).
//! - Per data message: at most 32 TLVs are read and one TLV of each SMP kind
//!   handled (as libotr does).

mod account;
mod ake;
mod conversation;
mod crypto;
mod data;
mod error;
mod fragment;
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
mod group;
mod key;
mod limits;
mod message;
mod pidgin;
mod secret;
mod smp;
mod tlv;
mod trust;
mod wire;

#[cfg(test)]
mod testutil;

pub use account::{Account, InstanceTag, Policy, Versions};
pub use conversation::{Action, Conversation, Notice, State, Version};
pub use error::Error;
pub use key::{Fingerprint, PrivateKey, PublicKey};
pub use pidgin::{ImportedKey, KnownFingerprint, parse_fingerprints, parse_private_keys};
pub use smp::{SmpEvent, SmpState};
pub use trust::{FingerprintCheck, Trust, check_fingerprint};
