// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! Headless GUI tests with `iced_test`'s Simulator: each screen's flows
//! (type, click, expect text, state and the commands sent), driven with
//! fabricated core events, and one flow against the real core; snapshot
//! tests of the main screens (see `gui/snapshots.rs` for updating them).
//!
//! Run with `ICED_TEST_BACKEND=tiny-skia` (the software renderer; no GPU or
//! display needed).

#![allow(clippy::unwrap_used)]

// One test binary (one link) for every screen; its modules live in gui/.

#[path = "gui/support.rs"]
mod support;

#[path = "gui/accounts.rs"]
mod accounts;
#[path = "gui/contacts.rs"]
mod contacts;
#[path = "gui/conversation.rs"]
mod conversation;
#[path = "gui/omemo.rs"]
mod omemo;
#[path = "gui/otr.rs"]
mod otr;
#[path = "gui/prosody.rs"]
mod prosody;
#[path = "gui/real_core.rs"]
mod real_core;
#[path = "gui/search.rs"]
mod search;
#[path = "gui/settings.rs"]
mod settings;
#[path = "gui/snapshots.rs"]
mod snapshots;
#[path = "gui/transfers.rs"]
mod transfers;
#[path = "gui/unlock.rs"]
mod unlock;
#[path = "gui/unread.rs"]
mod unread;
