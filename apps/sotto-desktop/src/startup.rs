// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! Start-up milestones, for measuring how fast the app comes up.
//!
//! Two frames are logged at `info` level under this module's target
//! (`RUST_LOG=sotto_desktop::startup=info`): the first frame the window
//! draws (the unlock screen), and the first frame drawn once the contact
//! list is loaded after unlocking (the accounts and the roster of each).
//! The launch benchmark (`benches/launch.rs`) waits for these lines. They
//! carry no user data: only the milestone, the time since the app was
//! created and the number of accounts.
//!
//! Frames are watched only while a milestone is due: watching them makes
//! the runtime draw continuously (that is how iced drives animations).

use std::collections::HashSet;
use std::time::Instant;

use sotto_core::Event;

/// What the app has reached so far.
#[derive(Debug)]
pub struct Startup {
    created: Instant,
    first_frame: bool,
    /// The accounts of the first accounts snapshot.
    accounts: Option<HashSet<String>>,
    /// The accounts whose roster snapshot has arrived.
    rosters: HashSet<String>,
    contacts_frame: bool,
}

impl Default for Startup {
    fn default() -> Self {
        Self::new()
    }
}

impl Startup {
    /// Nothing reached yet; times count from now.
    pub fn new() -> Self {
        Self {
            created: Instant::now(),
            first_frame: false,
            accounts: None,
            rosters: HashSet::new(),
            contacts_frame: false,
        }
    }

    /// Follows the core's events until the contact list is loaded.
    pub fn on_event(&mut self, event: &Event) {
        if self.contacts_frame {
            return;
        }
        match event {
            Event::AccountsSnapshot { accounts } if self.accounts.is_none() => {
                self.accounts = Some(accounts.iter().map(|a| a.jid.clone()).collect());
            }
            Event::RosterSnapshot { account, .. } => {
                self.rosters.insert(account.clone());
            }
            _ => {}
        }
    }

    fn contacts_loaded(&self) -> bool {
        self.accounts
            .as_ref()
            .is_some_and(|accounts| accounts.iter().all(|a| self.rosters.contains(a)))
    }

    /// Whether the next frame drawn is a milestone (so frames must be
    /// watched).
    pub fn waiting(&self) -> bool {
        !self.first_frame || (self.contacts_loaded() && !self.contacts_frame)
    }

    /// A frame was drawn: logs the milestone it reaches, if any.
    pub fn on_frame(&mut self) {
        let elapsed_ms = self.created.elapsed().as_millis();
        if !self.first_frame {
            self.first_frame = true;
            tracing::info!(elapsed_ms, "first frame");
        } else if self.contacts_loaded() && !self.contacts_frame {
            self.contacts_frame = true;
            let accounts = self.accounts.as_ref().map_or(0, HashSet::len);
            tracing::info!(elapsed_ms, accounts, "contact list frame");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sotto_store::AccountSettings;

    #[test]
    fn frames_are_watched_only_while_a_milestone_is_due() {
        let mut s = Startup::new();
        assert!(s.waiting(), "the first frame is due");
        s.on_frame();
        assert!(!s.waiting(), "locked: nothing due while the user types");
        let settings = AccountSettings {
            jid: "a@example.org".into(),
            resource: "sotto".into(),
            host: None,
            port: None,
            direct_tls: false,
            pinned_cert_sha256: None,
            enabled: true,
            tor: false,
            proxy: None,
        };
        s.on_event(&Event::AccountsSnapshot {
            accounts: vec![settings],
        });
        assert!(!s.waiting(), "the roster has not arrived yet");
        s.on_event(&Event::RosterSnapshot {
            account: "a@example.org".into(),
            items: Vec::new(),
        });
        assert!(s.waiting(), "the contact list frame is due");
        s.on_frame();
        assert!(!s.waiting());
    }
}
