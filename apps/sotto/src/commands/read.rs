// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! `roster`, `history` and `search`: read the profile, print, done. They
//! never go online, so they work on a plane.

use sotto_store::{AccountStore as _, MessageStore as _, RosterStore as _};

use super::choose_account;
use crate::exit::{Code, fail};
use crate::output::{self, AccountRoster, emit};
use crate::profile::Profile;

/// `sotto roster [--account JID] [--json]`
pub fn roster(profile: &Profile, account: Option<&str>, json: bool) -> anyhow::Result<()> {
    let store = profile.open()?;
    let accounts = store
        .accounts()
        .map_err(|e| anyhow::anyhow!("reading the accounts: {e}"))?;
    let mut rosters = Vec::new();
    for a in accounts {
        let jid = a.settings.jid;
        if account.is_some_and(|wanted| !wanted.eq_ignore_ascii_case(&jid)) {
            continue;
        }
        let (_version, items) = store
            .roster(&jid)
            .map_err(|e| anyhow::anyhow!("reading the roster of {jid}: {e}"))?;
        rosters.push(AccountRoster {
            account: jid,
            items,
        });
    }
    if let (Some(wanted), true) = (account, rosters.is_empty()) {
        return Err(fail(
            Code::Usage,
            format!("no account {wanted} in this profile"),
        ));
    }
    if json {
        emit(&output::json(&rosters)?)
    } else if rosters.is_empty() {
        emit("no accounts; add one with `sotto account add JID`\n")
    } else {
        emit(&output::rosters(&rosters))
    }
}

/// `sotto history PEER [--limit N] [--account JID] [--json]`
pub fn history(
    profile: &Profile,
    peer: &str,
    limit: usize,
    account: Option<&str>,
    json: bool,
) -> anyhow::Result<()> {
    let store = profile.open()?;
    let messages = if account.is_none() && no_accounts(&store)? {
        // A profile without accounts has an empty history, not an error.
        Vec::new()
    } else {
        let account = choose_account(&store, account)?;
        store
            .history(&account, peer, None, limit)
            .map_err(|e| anyhow::anyhow!("reading the history with {peer}: {e}"))?
    };
    if json {
        emit(&output::json(&messages)?)
    } else {
        emit(&output::history(&messages))
    }
}

/// `sotto search TEXT [--limit N] [--json]`
pub fn search(profile: &Profile, text: &str, limit: usize, json: bool) -> anyhow::Result<()> {
    let store = profile.open()?;
    let results = store
        .search(text, limit)
        .map_err(|e| anyhow::anyhow!("searching the history: {e}"))?;
    if json {
        emit(&output::json(&results)?)
    } else {
        emit(&output::search(&results))
    }
}

fn no_accounts(store: &sotto_store::SqlStore) -> anyhow::Result<bool> {
    Ok(store
        .accounts()
        .map_err(|e| anyhow::anyhow!("reading the accounts: {e}"))?
        .is_empty())
}
