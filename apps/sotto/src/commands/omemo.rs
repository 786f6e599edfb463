// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! `sotto fingerprints`, `trust`, `distrust` and `verify`: OMEMO devices
//! and the user's decisions about their keys.
//!
//! Each goes online first, so the core fetches current device lists and
//! keys (and has published ours) before it answers.

use sotto_core::Command;
use sotto_core::api::OmemoTrust;

use super::{choose_account, online_then};
use crate::cli::{OmemoTrustArgs, WaitArgs};
use crate::exit::{Code, Failure, fail};
use crate::output::{self, emit, omemo as render};
use crate::profile::Profile;
use crate::session::Core;
use crate::wait::{OmemoAnswer, OmemoWaiter};

/// Goes online with `account`, sends `command`, and waits for the core's
/// `omemo_fingerprints` answer (about `jid` when given).
fn ask(
    profile: &Profile,
    account: Option<&str>,
    wait: WaitArgs,
    jid: Option<&str>,
    command: impl FnOnce(String) -> Command,
) -> anyhow::Result<(String, OmemoAnswer)> {
    let store = profile.open()?;
    let account = choose_account(&store, account)?;
    let command = command(account.clone());
    let outcome = online_then(
        profile,
        store,
        &account,
        wait,
        "",
        async |core: &mut Core| {
            core.send(command)?;
            let mut waiter = OmemoWaiter::new(&account, jid);
            let answer = core.wait_for(wait.duration(), &mut waiter).await?;
            Ok(answer.map_err(|e| Failure {
                code: match e {
                    crate::wait::OmemoError::TimedOut { .. } => Code::Network,
                    crate::wait::OmemoError::Failed(_) => Code::Other,
                },
                message: e.message(&account),
            }))
        },
    );
    match outcome? {
        Ok(answer) => Ok((account, answer)),
        Err(failure) => Err(failure.into()),
    }
}

/// What the core reported as failed meanwhile, as an error (exit 1).
fn failures(account: &str, answer: &OmemoAnswer) -> anyhow::Result<()> {
    if answer.failures.is_empty() {
        return Ok(());
    }
    Err(fail(
        Code::Other,
        format!("{account}: {}", answer.failures.join("; ")),
    ))
}

/// `sotto fingerprints [JID]`.
pub fn fingerprints(
    profile: &Profile,
    jid: Option<&str>,
    account: Option<&str>,
    json: bool,
    wait: WaitArgs,
) -> anyhow::Result<()> {
    let target = jid.map(str::to_owned);
    let (account, answer) = ask(profile, account, wait, jid, |account| {
        Command::GetOmemoFingerprints {
            account,
            jid: target,
        }
    })?;
    if json {
        emit(&output::json(&serde_json::json!({
            "account": account,
            "own": answer.own,
            "own_uri": answer.own_uri,
            "jid": answer.jid,
            "devices": answer.devices,
        }))?)?;
    } else {
        emit(&render::fingerprints(&account, &answer))?;
    }
    failures(&account, &answer)
}

/// `sotto trust` (`verified`) and `sotto distrust` (`distrusted`).
pub fn trust(profile: &Profile, args: OmemoTrustArgs, trust: OmemoTrust) -> anyhow::Result<()> {
    let fingerprint = args.fingerprint().map_err(|e| fail(Code::Usage, e))?;
    let jid = args.jid.clone();
    let hex = fingerprint.clone();
    let (account, answer) = ask(
        profile,
        args.account.as_deref(),
        args.wait,
        Some(&args.jid),
        |account| Command::SetOmemoTrust {
            account,
            jid,
            fingerprint: hex,
            trust,
        },
    )?;
    let Some(device) = render::find(&answer, &fingerprint) else {
        failures(&account, &answer)?;
        return Err(fail(
            Code::Other,
            format!(
                "no known OMEMO device of {} has the key {}; the decision is recorded and \
                 applies if such a device appears. Compare with `sotto fingerprints {}`.",
                args.jid,
                render::grouped(&fingerprint),
                args.jid
            ),
        ));
    };
    emit(&render::device_state(device))?;
    failures(&account, &answer)?;
    if device.trust != trust {
        return Err(fail(
            Code::Other,
            format!(
                "{account}: the device is {} rather than {}",
                render::trust_word(device.trust),
                render::trust_word(trust)
            ),
        ));
    }
    Ok(())
}

/// `sotto verify URI`.
pub fn verify(
    profile: &Profile,
    uri: &str,
    account: Option<&str>,
    wait: WaitArgs,
) -> anyhow::Result<()> {
    let ids = crate::cli::omemo_uri_device_ids(uri);
    let (account, answer) = ask(profile, account, wait, None, |account| {
        Command::VerifyOmemoUri {
            account,
            uri: uri.to_owned(),
        }
    })?;
    let mut out = String::new();
    for device in answer
        .devices
        .iter()
        .chain(std::iter::once(&answer.own))
        .filter(|d| ids.contains(&d.device_id) && d.jid.eq_ignore_ascii_case(&answer.jid))
    {
        out.push_str(&render::device_state(device));
    }
    if out.is_empty() && answer.failures.is_empty() {
        out = format!(
            "none of the devices the URI names is known yet for {}; the keys are recorded as \
             verified for when they appear\n",
            output::sanitize(&answer.jid)
        );
    }
    emit(&out)?;
    failures(&account, &answer)
}
