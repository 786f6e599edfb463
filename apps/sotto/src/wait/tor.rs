// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! Waiting on the built-in Tor: the progress lines shown while it
//! bootstraps and why it is not ready when an account's wait ends; and the
//! confirmation of the "Tor for everything" switch.

use sotto_core::Event;

use super::{Step, Waiter};
use crate::output::sanitize;

/// Follows `tor_status` events (and account-less failures, which is how the
/// core reports a failed bootstrap).
#[derive(Debug, Clone, Default)]
pub struct TorWatch {
    last: Option<Status>,
    failure: Option<String>,
    shown_percent: Option<u8>,
    line: Option<String>,
}

#[derive(Debug, Clone)]
struct Status {
    ready: bool,
    text: String,
}

impl TorWatch {
    /// Feeds one core event.
    pub fn on_event(&mut self, event: &Event) {
        match event {
            Event::TorStatus {
                percent,
                ready,
                summary,
                blocked,
            } => {
                let text = describe(*percent, summary, blocked.as_deref());
                // Arti reports often at the same percentage; one line each.
                if self.shown_percent != Some(*percent) {
                    self.shown_percent = Some(*percent);
                    self.line = Some(format!("Tor: {text}"));
                }
                self.last = Some(Status {
                    ready: *ready,
                    text,
                });
            }
            Event::CommandFailed {
                account: None,
                reason,
                ..
            } => self.failure = Some(sanitize(reason)),
            _ => {}
        }
    }

    /// A progress line not shown yet.
    pub fn take_line(&mut self) -> Option<String> {
        self.line.take()
    }

    /// Whether Tor said it can carry traffic.
    pub fn ready(&self) -> bool {
        self.last.as_ref().is_some_and(|s| s.ready)
    }

    /// Why Tor is not ready: its last status and failure, else `fallback`
    /// (the account's last offline reason).
    pub fn reason(&self, fallback: Option<&str>) -> String {
        match (&self.last, &self.failure) {
            (Some(status), Some(failure)) => format!("{}; {failure}", status.text),
            (Some(status), None) => status.text.clone(),
            (None, Some(failure)) => failure.clone(),
            (None, None) => fallback.map_or_else(|| "it reported no progress".to_owned(), sanitize),
        }
    }
}

/// `45% connecting successfully; fetching a consensus`. Arti's summary
/// already starts with the percentage (`45%: …`, `Stuck at 45%: …`), so
/// that prefix is dropped to say it once.
fn describe(percent: u8, summary: &str, blocked: Option<&str>) -> String {
    let text = match blocked {
        Some(why) => format!("{percent}% blocked: {why}"),
        None => {
            let rest = summary
                .strip_prefix(&format!("{percent}%: "))
                .unwrap_or(summary);
            format!("{percent}% {rest}")
        }
    };
    sanitize(&text)
}

/// Waits for the core to confirm the "Tor for everything" switch.
#[derive(Debug, Clone)]
pub struct TorSwitchWaiter {
    enabled: bool,
    last_failure: Option<String>,
}

impl TorSwitchWaiter {
    /// Waits for `tor_everywhere` with this value.
    pub fn new(enabled: bool) -> Self {
        Self {
            enabled,
            last_failure: None,
        }
    }
}

impl Waiter for TorSwitchWaiter {
    type Output = ();
    /// Why it was not confirmed.
    type Error = String;

    fn on_event(&mut self, event: &Event) -> Step<(), String> {
        match event {
            Event::TorEverywhere { enabled } if *enabled == self.enabled => Step::Done(Ok(())),
            // Saving the setting failed, or something unrelated did (a Tor
            // bootstrap): the confirmation may still follow, so wait a moment.
            Event::CommandFailed {
                account: None,
                reason,
                ..
            } => {
                self.last_failure = Some(reason.clone());
                Step::Settling
            }
            _ => Step::Pending,
        }
    }

    fn give_up(&self, after_secs: u64) -> String {
        match &self.last_failure {
            Some(reason) => format!("the core did not confirm the switch: {reason}"),
            None => format!("the core did not confirm the switch within {after_secs} s"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(percent: u8, ready: bool, summary: &str, blocked: Option<&str>) -> Event {
        Event::TorStatus {
            percent,
            ready,
            summary: summary.into(),
            blocked: blocked.map(str::to_owned),
        }
    }

    #[test]
    fn one_line_per_percentage() {
        let mut w = TorWatch::default();
        assert_eq!(w.take_line(), None);
        w.on_event(&status(0, false, "0%: not connected; nothing", None));
        assert_eq!(
            w.take_line().as_deref(),
            Some("Tor: 0% not connected; nothing")
        );
        w.on_event(&status(0, false, "0%: still nothing", None));
        assert_eq!(w.take_line(), None);
        w.on_event(&status(45, false, "45%: fetching a consensus", None));
        w.on_event(&status(
            45,
            false,
            "Stuck at 45%: no route",
            Some("no route"),
        ));
        assert_eq!(
            w.take_line().as_deref(),
            Some("Tor: 45% fetching a consensus")
        );
        assert_eq!(w.take_line(), None);
        assert!(!w.ready());
        assert_eq!(w.reason(Some("ignored")), "45% blocked: no route");
        w.on_event(&status(100, true, "100%: done", None));
        assert!(w.ready());
        assert_eq!(w.take_line().as_deref(), Some("Tor: 100% done"));
    }

    #[test]
    fn reason_without_progress() {
        let mut w = TorWatch::default();
        assert_eq!(w.reason(None), "it reported no progress");
        assert_eq!(
            w.reason(Some("starting Tor: bad\x1b[2J")),
            "starting Tor: bad\\u{1b}[2J"
        );
        w.on_event(&Event::CommandFailed {
            account: None,
            reason: "connecting to the Tor network: timed out".into(),
            request: None,
        });
        assert_eq!(w.reason(None), "connecting to the Tor network: timed out");
        // A failure about some account is not Tor's.
        w.on_event(&Event::CommandFailed {
            account: Some("a@b.c".into()),
            reason: "other".into(),
            request: None,
        });
        w.on_event(&status(10, false, "10%: handshaking", None));
        assert_eq!(
            w.reason(None),
            "10% handshaking; connecting to the Tor network: timed out"
        );
    }

    #[test]
    fn switch_is_confirmed_by_the_matching_event() {
        let mut w = TorSwitchWaiter::new(true);
        assert_eq!(
            w.on_event(&Event::TorEverywhere { enabled: false }),
            Step::Pending
        );
        assert_eq!(
            w.on_event(&Event::TorEverywhere { enabled: true }),
            Step::Done(Ok(()))
        );
        let mut w = TorSwitchWaiter::new(false);
        assert!(w.give_up(10).contains("within 10 s"));
        let failed = Event::CommandFailed {
            account: None,
            reason: "saving the Tor setting: disk full".into(),
            request: None,
        };
        assert_eq!(w.on_event(&failed), Step::Settling);
        assert!(w.give_up(10).contains("disk full"));
    }
}
