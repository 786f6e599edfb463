// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! `sotto otr …`: OTR fingerprints, Pidgin import, and one-shot sessions.
//!
//! OTR sessions live only as long as the process that made them (OTR keeps
//! no session state on disk, by design). `otr start` and `otr smp` go online,
//! make a session, report, and end it before exiting; `sotto run` keeps
//! sessions for as long as it runs.

use std::time::Duration;

use sotto_core::{Command, Event, OtrSessionState, SmpProgress};

use super::{block_on, choose_account, goes_through_tor};
use crate::cli::{OtrCommand, WaitArgs};
use crate::exit::{Code, fail};
use crate::output::emit;
use crate::profile::Profile;
use crate::session::Core;
use crate::wait::{ConnectWaiter, Step, Waiter};

/// How long store-only answers (fingerprints, import) may take: creating
/// the first OTR key takes a moment.
const LOCAL_TIMEOUT: Duration = Duration::from_secs(120);

/// A waiter from a closure: `Some(result)` ends the wait.
struct Until<F> {
    what: &'static str,
    check: F,
}

impl<T, F: FnMut(&Event) -> Option<Result<T, String>>> Waiter for Until<F> {
    type Output = T;
    type Error = String;

    fn on_event(&mut self, event: &Event) -> Step<T, String> {
        match (self.check)(event) {
            Some(result) => Step::Done(result),
            None => Step::Pending,
        }
    }

    fn give_up(&self, after_secs: u64) -> String {
        format!("no {} within {after_secs} s", self.what)
    }
}

fn until<T, F: FnMut(&Event) -> Option<Result<T, String>>>(
    what: &'static str,
    check: F,
) -> Until<F> {
    Until { what, check }
}

/// A failure the core reported for this account.
fn failed(event: &Event, account: &str) -> Option<String> {
    match event {
        Event::CommandFailed {
            account: Some(a),
            reason,
            ..
        } if a == account => Some(reason.clone()),
        _ => None,
    }
}

/// Runs `sotto otr …`.
pub fn run(profile: &Profile, command: OtrCommand) -> anyhow::Result<()> {
    match command {
        OtrCommand::Fingerprint { account, json } => fingerprint(profile, account.as_deref(), json),
        OtrCommand::Import { dir, account } => import(profile, &dir, account.as_deref()),
        OtrCommand::Start { jid, account, wait } => {
            session(profile, &jid, account.as_deref(), wait, None)
        }
        OtrCommand::Smp {
            jid,
            secret,
            question,
            account,
            wait,
        } => session(
            profile,
            &jid,
            account.as_deref(),
            wait,
            Some((secret, question)),
        ),
        OtrCommand::End { jid, .. } => Err(fail(
            Code::Usage,
            format!(
                "there is no OTR session with {jid} to end: OTR sessions live only as long as \
                 the process that made them (`otr start`, `otr smp` and `send --encryption otr` \
                 end theirs before exiting; in `sotto run`, send {{\"type\": \"otr_end\", …}})"
            ),
        )),
    }
}

/// Runs the core on the profile without waiting for any connection, for
/// commands the account task answers from the store.
fn local<T>(
    profile: &Profile,
    account: &str,
    command: Command,
    waiter: &mut impl Waiter<Output = T, Error = String>,
) -> anyhow::Result<T> {
    let store = profile.open()?;
    let result = block_on(async {
        let mut core = Core::start(store, profile.core_options());
        let result = match core.send(command) {
            Ok(()) => core.wait_for(LOCAL_TIMEOUT, waiter).await,
            Err(e) => Err(e),
        };
        core.shutdown().await;
        result
    })?;
    result.map_err(|reason| fail(Code::Other, format!("{account}: {reason}")))
}

fn fingerprint(profile: &Profile, account: Option<&str>, json: bool) -> anyhow::Result<()> {
    let account = choose_account(&profile.open()?, account)?;
    let acc = account.clone();
    let mut waiter = until("OTR fingerprint", move |event| match event {
        Event::OtrFingerprints {
            account: a,
            own,
            contacts,
            ..
        } if *a == acc => Some(Ok((own.clone(), contacts.clone()))),
        other => failed(other, &acc).map(Err),
    });
    let (own, contacts) = local(
        profile,
        &account,
        Command::GetOtrFingerprints {
            account: account.clone(),
        },
        &mut waiter,
    )?;
    if json {
        return emit(&format!(
            "{}\n",
            serde_json::json!({ "account": account, "own": own, "contacts": contacts })
        ));
    }
    let mut out = format!("{account}: {own}\n");
    for c in contacts {
        let trust = serde_json::to_value(c.trust)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        out.push_str(&format!("  {} {} ({trust})\n", c.contact, c.fingerprint));
    }
    emit(&out)
}

fn import(profile: &Profile, dir: &std::path::Path, account: Option<&str>) -> anyhow::Result<()> {
    let account = choose_account(&profile.open()?, account)?;
    let acc = account.clone();
    let mut waiter = until("OTR import", move |event| match event {
        Event::OtrImported {
            account: a,
            fingerprint,
            contacts,
        } if *a == acc => Some(Ok((fingerprint.clone(), *contacts))),
        other => failed(other, &acc).map(Err),
    });
    let (fingerprint, contacts) = local(
        profile,
        &account,
        Command::ImportOtr {
            account: account.clone(),
            dir: dir.display().to_string(),
        },
        &mut waiter,
    )?;
    emit(&format!(
        "imported the OTR key {fingerprint} for {account}, with {contacts} contact fingerprint(s)\n"
    ))
}

/// Goes online, makes an OTR session with `jid`, optionally verifies it by
/// SMP, and ends it.
fn session(
    profile: &Profile,
    jid: &str,
    account: Option<&str>,
    wait: WaitArgs,
    smp: Option<(String, Option<String>)>,
) -> anyhow::Result<()> {
    let store = profile.open()?;
    let account = choose_account(&store, account)?;
    let via_tor = goes_through_tor(&store, &account)?;
    let contact = jid.split('/').next().unwrap_or(jid).to_owned();
    let outcome: anyhow::Result<Result<String, String>> = block_on(async {
        let mut core = Core::start(store, profile.core_options());
        let result = async {
            if let Err(e) = core
                .wait_for(
                    wait.duration(),
                    &mut ConnectWaiter::new(&account).through_tor(via_tor),
                )
                .await?
            {
                return Err(e.into_failure(&account, "No OTR session was made.").into());
            }
            core.send(Command::OtrStart {
                account: account.clone(),
                jid: jid.to_owned(),
            })?;
            let (acc, contact2) = (account.clone(), contact.clone());
            let mut encrypted = until("encrypted OTR session", move |event| match event {
                Event::OtrState {
                    account: a,
                    jid: full,
                    state:
                        OtrSessionState::Encrypted {
                            fingerprint, trust, ..
                        },
                } if *a == acc && full.split('/').next() == Some(contact2.as_str()) => {
                    Some(Ok((full.clone(), fingerprint.clone(), *trust)))
                }
                other => failed(other, &acc).map(Err),
            });
            let (full, fingerprint, trust) =
                match core.wait_for(wait.duration(), &mut encrypted).await? {
                    Ok(found) => found,
                    Err(reason) => return Ok(Err(reason)),
                };
            let mut report = format!(
                "OTR session with {full} is encrypted; their fingerprint is {fingerprint} ({})\n",
                if trust.is_verified() {
                    "verified"
                } else {
                    "not verified"
                }
            );
            if let Some((secret, question)) = smp {
                core.send(Command::OtrSmp {
                    account: account.clone(),
                    jid: full.clone(),
                    secret: sotto_core::Secret::new(secret),
                    question,
                })?;
                let acc = account.clone();
                let mut verdict = until("SMP result", move |event| match event {
                    Event::OtrSmp {
                        account: a,
                        progress,
                        ..
                    } if *a == acc => match progress {
                        SmpProgress::Succeeded => Some(Ok(true)),
                        SmpProgress::Failed => Some(Ok(false)),
                        SmpProgress::Aborted => Some(Err("the SMP exchange was aborted".into())),
                        _ => None,
                    },
                    other => failed(other, &acc).map(Err),
                });
                match core.wait_for(wait.duration(), &mut verdict).await? {
                    Ok(true) => report.push_str(&format!(
                        "SMP succeeded: {full} knows the secret; their key is now verified\n"
                    )),
                    Ok(false) => {
                        return Ok(Err(format!(
                            "SMP failed: {full} answered with a different secret; their key \
                             stays unverified"
                        )));
                    }
                    Err(reason) => return Ok(Err(reason)),
                }
            }
            core.send(Command::OtrEnd {
                account: account.clone(),
                jid: full,
            })?;
            // Let the session end reach the server before going offline.
            tokio::time::sleep(Duration::from_millis(300)).await;
            Ok(Ok(report))
        }
        .await;
        core.shutdown().await;
        result
    });
    match outcome? {
        Ok(report) => emit(&report),
        Err(reason) => Err(fail(Code::Other, reason)),
    }
}
