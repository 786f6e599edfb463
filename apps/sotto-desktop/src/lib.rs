// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! Sotto's desktop front end: an iced GUI on the core's command/event
//! channel.
//!
//! The app talks to the core only through [`core_link`]: an iced
//! subscription over the core's event stream whose first item hands over
//! the command sender. The GUI keeps its own copies of accounts, rosters and
//! conversations, built from the core's snapshots and changes; it never
//! reaches into the core's state, and no iced type crosses into a core
//! crate. Each screen has its own `Message`, `update` and `view`.
//!
//! It must never log a passphrase, password or message text, nor write
//! anything about contacts or messages outside the encrypted profile.

// Tests may unwrap: a panic is how they fail.
#![cfg_attr(test, allow(clippy::unwrap_used))]

pub mod app;
pub mod clock;
pub mod core_link;
pub mod notify;
pub mod prefs;
pub mod profile;
pub mod screen;
pub mod startup;
pub mod widgets;

pub use app::{App, Message, Screen};
