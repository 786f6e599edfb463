// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! Human and JSON renderings of what the store holds.
//!
//! Everything here is pure (records in, text out) so it is tested without a
//! profile. Text that came from the network (message bodies, roster names)
//! goes through [`sanitize`] first: a message must not be able to move the
//! cursor, recolour the terminal or reorder a line with bidi controls.

use std::fmt::Write as _;

use serde::Serialize;
use sotto_store::{
    AccountSettings, Direction, MessageRecord, MessageState, RosterItem, Subscription,
};

pub mod omemo;

/// Width of `YYYY-MM-DD HH:MM  `, the indent of a message's continuation lines.
const TIME_COLUMN: usize = 18;

/// Writes to stdout. A closed pipe (`sotto history … | head`) is not an error.
pub fn emit(text: &str) -> anyhow::Result<()> {
    use std::io::Write as _;
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(anyhow::anyhow!("writing to stdout: {e}"))
        }
        _ => Ok(()),
    }
}

/// Pretty JSON with a trailing newline, for `--json`.
pub fn json<T: Serialize + ?Sized>(value: &T) -> anyhow::Result<String> {
    let mut out = serde_json::to_string_pretty(value)?;
    out.push('\n');
    Ok(out)
}

/// `account list`.
pub fn accounts(accounts: &[AccountSettings]) -> String {
    if accounts.is_empty() {
        return "no accounts; add one with `sotto account add JID`\n".into();
    }
    let mut out = String::new();
    for a in accounts {
        let server = match (&a.host, a.port) {
            (Some(host), Some(port)) => format!("{host}:{port}"),
            (Some(host), None) => host.clone(),
            (None, Some(port)) => format!("(SRV lookup):{port}"),
            (None, None) => "(SRV lookup)".into(),
        };
        let _ = write!(
            out,
            "{}  {}  {}  {}",
            sanitize(&a.jid),
            if a.enabled { "enabled" } else { "disabled" },
            sanitize(&server),
            if a.direct_tls {
                "direct TLS"
            } else {
                "STARTTLS"
            },
        );
        if let Some(pin) = &a.pinned_cert_sha256 {
            let _ = write!(out, "  pinned {}", sanitize(pin));
        }
        if a.tor {
            out.push_str("  tor");
        }
        if let Some(proxy) = &a.proxy {
            let _ = write!(out, "  proxy {}", sanitize(proxy));
        }
        out.push('\n');
    }
    out
}

/// One account's roster, for `roster --json`.
#[derive(Debug, Serialize)]
pub struct AccountRoster {
    /// Bare JID of the account.
    pub account: String,
    /// Its contacts, ordered by JID.
    pub items: Vec<RosterItem>,
}

/// `roster`: each account, then its contacts indented.
pub fn rosters(rosters: &[AccountRoster]) -> String {
    let mut out = String::new();
    for r in rosters {
        let _ = writeln!(out, "{}:", sanitize(&r.account));
        if r.items.is_empty() {
            out.push_str("  (no contacts)\n");
        }
        for item in &r.items {
            out.push_str("  ");
            match &item.name {
                Some(name) if !name.is_empty() => {
                    let _ = write!(out, "{} <{}>", sanitize(name), sanitize(&item.jid));
                }
                _ => out.push_str(&sanitize(&item.jid)),
            }
            let _ = write!(out, "  {}", subscription(item.subscription));
            if item.ask_subscribe {
                out.push_str(" (request pending)");
            }
            if !item.groups.is_empty() {
                let groups: Vec<String> = item.groups.iter().map(|g| sanitize(g)).collect();
                let _ = write!(out, "  [{}]", groups.join(", "));
            }
            out.push('\n');
        }
    }
    out
}

fn subscription(s: Subscription) -> &'static str {
    match s {
        Subscription::None => "none",
        Subscription::To => "to",
        Subscription::From => "from",
        Subscription::Both => "both",
    }
}

/// `history`: `2026-11-22 21:05  me: text ✓` / `… bob@example.org: text`.
pub fn history(messages: &[MessageRecord]) -> String {
    if messages.is_empty() {
        return "no messages\n".into();
    }
    let mut out = String::new();
    for m in messages {
        message_line(&mut out, m, None);
    }
    out
}

/// `search`: like history, with `[account / peer]` before each message.
pub fn search(results: &[MessageRecord]) -> String {
    if results.is_empty() {
        return "no matches\n".into();
    }
    let mut out = String::new();
    for m in results {
        let context = format!("[{} / {}]  ", sanitize(&m.account), sanitize(&m.peer));
        message_line(&mut out, m, Some(&context));
    }
    out
}

fn message_line(out: &mut String, m: &MessageRecord, context: Option<&str>) {
    let who = match m.direction {
        Direction::Outgoing => "me".to_owned(),
        Direction::Incoming => sanitize(&m.peer),
    };
    let _ = write!(
        out,
        "{}  {}{}: ",
        format_time(m.timestamp_ms),
        context.unwrap_or(""),
        who
    );
    let body = sanitize(&m.body);
    let mut lines = body.split('\n');
    out.push_str(lines.next().unwrap_or(""));
    for line in lines {
        out.push('\n');
        out.push_str(&" ".repeat(TIME_COLUMN));
        out.push_str(line);
    }
    if m.direction == Direction::Outgoing {
        out.push_str(state_mark(m.state));
    }
    out.push('\n');
}

/// The mark after an outgoing message (documented in docs/cli.md).
pub fn state_mark(state: MessageState) -> &'static str {
    match state {
        MessageState::Queued => "  [queued]",
        MessageState::Sent => "  [sent]",
        MessageState::Acked => "  ✓",
        MessageState::Delivered => "  ✓✓",
        MessageState::Failed => "  [failed]",
        MessageState::Received => "",
    }
}

/// Escapes characters that would act on the terminal instead of being
/// shown: C0/C1 controls (escape sequences, carriage returns), bidi
/// overrides and isolates, and line/paragraph separators, in the visible
/// `\u{..}` form. Newlines and tabs stay. (The rules live in the core's
/// [`sotto_core::terminal_safe`], shared with every front end.)
pub fn sanitize(text: &str) -> String {
    sotto_core::terminal_safe(text).into_owned()
}

/// The line `sotto` prints for a failed command. Errors carry text servers
/// and peers chose (refusal texts, file names, reasons), so it is cleaned
/// like everything else from the network.
pub fn error_line(err: &anyhow::Error) -> String {
    sanitize(&format!("sotto: {err:#}"))
}

/// `YYYY-MM-DD HH:MM` in UTC for a Unix time in milliseconds.
///
/// UTC because the workspace has no time-zone database dependency, and a
/// wrong local time is worse than a labelled UTC one (docs/cli.md says so).
pub fn format_time(timestamp_ms: i64) -> String {
    let secs = timestamp_ms.div_euclid(1000);
    let days = secs.div_euclid(86_400);
    let of_day = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}",
        of_day / 3600,
        (of_day % 3600) / 60
    )
}

/// Days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's
/// `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if m <= 2 { y + 1 } else { y };
    // Both are in range by construction (1..=31, 1..=12).
    (
        y,
        u32::try_from(m).unwrap_or(1),
        u32::try_from(d).unwrap_or(1),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use sotto_store::Encryption;

    fn msg(direction: Direction, state: MessageState, body: &str) -> MessageRecord {
        MessageRecord {
            id: 1,
            account: "alice@example.org".into(),
            peer: "bob@example.org".into(),
            direction,
            body: body.into(),
            // 2026-11-22 21:05:42 UTC
            timestamp_ms: 1_795_381_542_000,
            message_id: None,
            origin_id: None,
            stanza_id: None,
            state,
            encryption: Encryption::Plain,
            sender_device: None,
            room: None,
        }
    }

    #[test]
    fn times_are_utc_minutes() {
        assert_eq!(format_time(0), "1970-01-01 00:00");
        assert_eq!(format_time(1_795_381_542_000), "2026-11-22 21:05");
        assert_eq!(format_time(951_782_400_000), "2000-02-29 00:00");
        assert_eq!(format_time(-60_000), "1969-12-31 23:59");
    }

    #[test]
    fn history_lines_with_marks() {
        let text = history(&[
            msg(Direction::Incoming, MessageState::Received, "hi"),
            msg(Direction::Outgoing, MessageState::Acked, "hello\nthere"),
            msg(Direction::Outgoing, MessageState::Delivered, "ok"),
            msg(Direction::Outgoing, MessageState::Failed, "lost"),
            msg(Direction::Outgoing, MessageState::Queued, "later"),
        ]);
        assert_eq!(
            text,
            "2026-11-22 21:05  bob@example.org: hi\n\
             2026-11-22 21:05  me: hello\n                  there  ✓\n\
             2026-11-22 21:05  me: ok  ✓✓\n\
             2026-11-22 21:05  me: lost  [failed]\n\
             2026-11-22 21:05  me: later  [queued]\n"
        );
        assert_eq!(history(&[]), "no messages\n");
    }

    #[test]
    fn search_names_account_and_peer() {
        let text = search(&[msg(Direction::Outgoing, MessageState::Sent, "x")]);
        assert_eq!(
            text,
            "2026-11-22 21:05  [alice@example.org / bob@example.org]  me: x  [sent]\n"
        );
        assert_eq!(search(&[]), "no matches\n");
    }

    #[test]
    fn a_failed_commands_line_cannot_drive_the_terminal() {
        let err = anyhow::anyhow!("upload refused: HTTP 403 \u{1b}]52;c;aGk=\u{7}")
            .context("sending photo.jpg\u{202e}gpj.exe");
        let line = error_line(&err);
        assert!(!line.contains(['\u{1b}', '\u{7}', '\u{202e}']), "{line:?}");
        assert!(
            line.starts_with("sotto: sending photo.jpg\\u{202e}gpj.exe: "),
            "{line}"
        );
    }

    #[test]
    fn bodies_cannot_drive_the_terminal() {
        let evil = "a\u{1b}[2Jb\rc\u{202E}d\u{9b}e\tf\u{2028}g";
        assert_eq!(
            sanitize(evil),
            "a\\u{1b}[2Jb\\u{d}c\\u{202e}d\\u{9b}e\tf\\u{2028}g"
        );
        let text = history(&[msg(Direction::Incoming, MessageState::Received, evil)]);
        assert!(!text.contains('\u{1b}') && !text.contains('\r'), "{text:?}");
    }

    #[test]
    fn account_and_roster_text() {
        let mut a = AccountSettings {
            jid: "alice@example.org".into(),
            resource: "sotto".into(),
            host: Some("127.0.0.1".into()),
            port: Some(5223),
            direct_tls: true,
            pinned_cert_sha256: Some("ab".repeat(32)),
            enabled: true,
            tor: false,
            proxy: None,
        };
        assert_eq!(
            accounts(std::slice::from_ref(&a)),
            format!(
                "alice@example.org  enabled  127.0.0.1:5223  direct TLS  pinned {}\n",
                "ab".repeat(32)
            )
        );
        a.host = None;
        a.port = None;
        a.direct_tls = false;
        a.pinned_cert_sha256 = None;
        a.enabled = false;
        assert_eq!(
            accounts(std::slice::from_ref(&a)),
            "alice@example.org  disabled  (SRV lookup)  STARTTLS\n"
        );
        a.tor = true;
        assert_eq!(
            accounts(std::slice::from_ref(&a)),
            "alice@example.org  disabled  (SRV lookup)  STARTTLS  tor\n"
        );
        a.tor = false;
        a.proxy = Some("socks5://127.0.0.1:9050".into());
        assert_eq!(
            accounts(&[a]),
            "alice@example.org  disabled  (SRV lookup)  STARTTLS  proxy socks5://127.0.0.1:9050\n"
        );
        assert!(accounts(&[]).contains("sotto account add"));

        let r = AccountRoster {
            account: "alice@example.org".into(),
            items: vec![
                RosterItem {
                    jid: "bob@example.org".into(),
                    name: Some("Bob".into()),
                    subscription: Subscription::Both,
                    ask_subscribe: false,
                    groups: vec!["Friends".into(), "Work".into()],
                },
                RosterItem {
                    jid: "carol@example.org".into(),
                    name: None,
                    subscription: Subscription::None,
                    ask_subscribe: true,
                    groups: vec![],
                },
            ],
        };
        assert_eq!(
            rosters(&[r]),
            "alice@example.org:\n  Bob <bob@example.org>  both  [Friends, Work]\n  \
             carol@example.org  none (request pending)\n"
        );
    }

    #[test]
    fn json_is_the_serde_form() {
        let v: serde_json::Value = serde_json::from_str(
            &json(&[msg(Direction::Outgoing, MessageState::Acked, "x")]).expect("json"),
        )
        .expect("parse");
        assert_eq!(v[0]["direction"], "outgoing");
        assert_eq!(v[0]["state"], "acked");
        assert_eq!(v[0]["body"], "x");
    }
}
