// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! `sotto tor on|off|status`: the "Tor for everything" switch. Like
//! `account enable`, it only changes the profile; the next command that goes
//! online uses the new route for every account.

use sotto_store::SettingsStore as _;

use crate::cli::TorAction;
use crate::output::emit;
use crate::profile::Profile;

/// Runs `sotto tor …`.
pub fn run(profile: &Profile, action: TorAction, json: bool) -> anyhow::Result<()> {
    let store = profile.open()?;
    let enabled = match action {
        TorAction::On | TorAction::Off => {
            let on = action == TorAction::On;
            store
                .set_setting(
                    sotto_core::TOR_EVERYWHERE,
                    if on { "true" } else { "false" },
                )
                .map_err(|e| anyhow::anyhow!("saving the Tor setting: {e}"))?;
            on
        }
        TorAction::Status => matches!(
            store.setting(sotto_core::TOR_EVERYWHERE),
            Ok(Some(value)) if value == "true"
        ),
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
