// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! `sotto tor on|off|status`: the "Tor for everything" switch. `on` and
//! `off` go through the core (`set_tor_everywhere`), wait for its
//! confirmation and stop it at once, without waiting for any account to
//! connect; `status` only reads the profile.

use std::time::Duration;

use sotto_core::Command;
use sotto_store::{SettingsStore as _, SqlStore};

use super::{block_on, tor_everywhere};
use crate::cli::TorAction;
use crate::exit::{Code, fail};
use crate::output::emit;
use crate::profile::Profile;
use crate::session::Core;
use crate::wait::TorSwitchWaiter;

/// The core confirms the switch as soon as it has saved it.
const CONFIRM_TIMEOUT: Duration = Duration::from_secs(10);

/// Runs `sotto tor …`.
pub fn run(profile: &Profile, action: TorAction, json: bool) -> anyhow::Result<()> {
    let store = profile.open()?;
    let enabled = match action {
        TorAction::On => switch(profile, store, true)?,
        TorAction::Off => switch(profile, store, false)?,
        TorAction::Status => tor_everywhere(&store)?,
    };
    if json {
        return emit(&format!(
            "{}\n",
            serde_json::json!({ "tor_everywhere": enabled })
        ));
    }
    emit(if enabled {
        "Tor for everything: on (every account connects only through the built-in Tor)\n"
    } else {
        "Tor for everything: off (each account uses its own setting)\n"
    })
}

/// Switches through the core and returns the new state.
fn switch(profile: &Profile, store: SqlStore, enabled: bool) -> anyhow::Result<bool> {
    // The core brings every enabled account online as it starts, before it
    // reads any command. Saved first, the new route is the one they start
    // on: after `tor on` no account may take even one direct step.
    store
        .set_setting(
            sotto_core::TOR_EVERYWHERE,
            if enabled { "true" } else { "false" },
        )
        .map_err(|e| anyhow::anyhow!("saving the Tor setting: {e}"))?;
    let result = block_on(async {
        let mut core = Core::start(store, profile.core_options());
        let result = match core.send(Command::SetTorEverywhere { enabled }) {
            Ok(()) => {
                core.wait_for(CONFIRM_TIMEOUT, &mut TorSwitchWaiter::new(enabled))
                    .await
            }
            Err(e) => Err(e),
        };
        core.shutdown().await;
        result
    })?;
    result.map_err(|reason| {
        fail(
            Code::Other,
            format!(
                "switching Tor for everything {}: {reason} (the profile has the setting \
                 saved; the next command that goes online uses it)",
                on_off(enabled)
            ),
        )
    })?;
    Ok(enabled)
}

fn on_off(enabled: bool) -> &'static str {
    if enabled { "on" } else { "off" }
}
