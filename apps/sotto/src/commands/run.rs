// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! `sotto run`: the core's Command/Event boundary as JSON lines, for
//! scripts, bots and other front ends. One `Command` per stdin line, one
//! `Event` per stdout line, flushed as it happens.

use sotto_core::{Command, Event, Request};
use sotto_store::SqlStore;
use tokio::io::{AsyncBufReadExt as _, AsyncWrite, AsyncWriteExt as _, BufReader};

use super::block_on;
use crate::profile::Profile;
use crate::session::{Core, Next};

/// Stays online until stdin ends, `shutdown` arrives or Ctrl-C; then shuts
/// the core down, writes the remaining events up to `stopped`, exits 0.
pub fn run(profile: &Profile) -> anyhow::Result<()> {
    let store = profile.open()?;
    block_on(bridge(store, profile.core_options()))
}

async fn bridge(store: SqlStore, options: sotto_core::CoreOptions) -> anyhow::Result<()> {
    let mut core = Core::start(store, options);
    let mut stdin = BufReader::new(tokio::io::stdin()).lines();
    let mut stdout = tokio::io::stdout();
    let mut line_no: u64 = 0;
    let mut stdin_open = true;
    let mut shutting_down = false;
    let mut stdout_error = None;

    loop {
        tokio::select! {
            next = core.next(None) => match next {
                Next::Event(event) => {
                    let stopped = matches!(*event, Event::Stopped);
                    if stdout_error.is_none()
                        && let Err(e) = write_event(&mut stdout, &event).await
                    {
                        // Nobody reads us any more: stop, quietly.
                        stdout_error = Some(e);
                        shutting_down |= core.send(Command::Shutdown).is_ok();
                    }
                    if stopped {
                        break;
                    }
                }
                Next::Interrupted if !shutting_down => {
                    tracing::info!("interrupted; shutting down");
                    shutting_down = true;
                    core.send(Command::Shutdown)?;
                }
                Next::Interrupted => {
                    return Err(crate::exit::fail(crate::exit::Code::Interrupted, "interrupted twice; not waiting for the core"));
                }
                Next::Closed => anyhow::bail!("the core stopped without saying so"),
                Next::Deadline => {}
            },
            line = stdin.next_line(), if stdin_open => {
                let line = match line {
                    Ok(line) => line,
                    Err(e) => {
                        tracing::warn!("reading stdin: {e}; treating it as closed");
                        None
                    }
                };
                let Some(line) = line else {
                    stdin_open = false;
                    if !shutting_down {
                        shutting_down = true;
                        core.send(Command::Shutdown)?;
                    }
                    continue;
                };
                line_no += 1;
                match Line::parse(&line, line_no, shutting_down) {
                    Line::Blank => {}
                    Line::Command(request) => {
                        shutting_down |= matches!(request.command, Command::Shutdown);
                        core.send_request(request)?;
                    }
                    Line::Invalid(reason) => {
                        let event = Event::CommandFailed { account: None, reason, request: None };
                        if stdout_error.is_none()
                            && let Err(e) = write_event(&mut stdout, &event).await
                        {
                            stdout_error = Some(e);
                            shutting_down |= core.send(Command::Shutdown).is_ok();
                        }
                    }
                }
            }
        }
    }
    core.join().await;
    match stdout_error {
        Some(e) => Err(anyhow::anyhow!("writing events to stdout: {e}")),
        None => Ok(()),
    }
}

/// What one stdin line asks for.
#[derive(Debug, PartialEq, Eq)]
pub enum Line {
    /// A blank line: nothing.
    Blank,
    /// A command for the core, with the caller's `request` id if given.
    Command(Request),
    /// Not a command; answered with a `command_failed` event with this reason.
    Invalid(String),
}

impl Line {
    /// Reads line number `line_no`. Once shutting down, commands are refused.
    pub fn parse(line: &str, line_no: u64, shutting_down: bool) -> Self {
        if line.trim().is_empty() {
            return Self::Blank;
        }
        if shutting_down {
            return Self::Invalid(format!("ignored line {line_no}: the core is shutting down"));
        }
        match serde_json::from_str::<Request>(line) {
            Ok(command) => {
                // Never the line itself: add_account carries a password.
                tracing::debug!(line = line_no, "command read");
                Self::Command(command)
            }
            // serde_json's message names the position and the expected
            // shape, not the line's content.
            Err(e) => Self::Invalid(format!("could not read the command on line {line_no}: {e}")),
        }
    }
}

async fn write_event(out: &mut (impl AsyncWrite + Unpin), event: &Event) -> std::io::Result<()> {
    let mut line = serde_json::to_vec(event).map_err(std::io::Error::other)?;
    line.push(b'\n');
    out.write_all(&line).await?;
    out.flush().await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn invalid(line: &str, line_no: u64) -> String {
        match Line::parse(line, line_no, false) {
            Line::Invalid(reason) => reason,
            other => panic!("accepted {line:?} as {other:?}"),
        }
    }

    #[test]
    fn lines_become_commands_or_failures() {
        assert_eq!(Line::parse("   ", 1, false), Line::Blank);
        assert_eq!(
            Line::parse(r#"{"type":"list_accounts"}"#, 2, false),
            Line::Command(Command::ListAccounts.into())
        );
        assert_eq!(
            Line::parse(r#"{"type":"list_accounts","request":"r-7"}"#, 2, false),
            Line::Command(Request::new("r-7", Command::ListAccounts))
        );
        let reason = invalid("{nope", 3);
        assert!(
            reason.starts_with("could not read the command on line 3: "),
            "{reason}"
        );
        assert!(invalid(r#"{"type":"launch_rockets"}"#, 4).contains("line 4"));
        assert!(matches!(
            Line::parse(r#"{"type":"list_accounts"}"#, 5, true),
            Line::Invalid(_)
        ));
    }

    #[test]
    fn failures_never_echo_the_password() {
        let line = r#"{"type":"add_account","jid":"a@b.c","password":"hunter2","register":"x"}"#;
        let reason = invalid(line, 1);
        assert!(!reason.contains("hunter2"), "{reason}");
    }

    #[tokio::test]
    async fn events_are_single_json_lines() {
        let mut out = Vec::new();
        write_event(&mut out, &Event::Stopped).await.expect("write");
        write_event(
            &mut out,
            &Event::CommandFailed {
                account: None,
                reason: "multi\nline".into(),
                request: None,
            },
        )
        .await
        .expect("write");
        let text = String::from_utf8(out).expect("utf8");
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines,
            [
                r#"{"type":"stopped"}"#,
                r#"{"type":"command_failed","reason":"multi\nline"}"#
            ]
        );
    }
}
