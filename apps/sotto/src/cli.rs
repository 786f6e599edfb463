// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! The command line, as clap types. Values that can be checked without the
//! profile (JIDs, fingerprints) are checked here, so a typo is a usage error
//! (exit 2) before anything is opened.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// Sotto: a secure XMPP messenger, from the command line.
#[derive(Debug, Parser)]
#[command(name = "sotto", version, about, propagate_version = true)]
pub struct Cli {
    /// Options shared by every subcommand.
    #[command(flatten)]
    pub global: GlobalArgs,

    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Where the profile is and how to unlock it.
#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Profile directory [default: the user's data directory, e.g.
    /// ~/.local/share/sotto/default]
    #[arg(long, global = true, env = "SOTTO_PROFILE", value_name = "DIR")]
    pub profile: Option<PathBuf>,

    /// Read the profile passphrase from this environment variable (when it
    /// is set) instead of prompting.
    #[arg(
        long,
        global = true,
        value_name = "VAR",
        default_value = "SOTTO_PASSPHRASE"
    )]
    pub passphrase_env: String,

    /// Unlock the profile with a key kept in the OS keyring (created with
    /// the profile) instead of a passphrase.
    #[arg(long, global = true)]
    pub keyring: bool,

    /// Use the private Tor network described in this JSON file instead of
    /// the public Tor network (for tests; see docs/cli.md).
    #[arg(
        long,
        global = true,
        env = "SOTTO_TOR_NETWORK",
        value_name = "FILE",
        hide = true
    )]
    pub tor_network: Option<PathBuf>,

    /// Log more to stderr (-v info, -vv debug, -vvv trace); RUST_LOG also works.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Add, list, pin, re-password or remove accounts.
    #[command(subcommand)]
    Account(AccountCommand),

    /// Show the stored roster (contacts).
    Roster {
        /// Only this account.
        #[arg(long, value_name = "JID", value_parser = parse_bare_jid)]
        account: Option<String>,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },

    /// Go online, send one message and wait until the server has it.
    Send {
        /// Recipient (bare JID).
        #[arg(value_parser = parse_bare_jid)]
        to: String,
        /// The message text.
        text: String,
        /// End-to-end encryption: `otr` (makes an OTR session first and never
        /// sends in plaintext) or `none`.
        #[arg(long, value_enum, default_value_t = EncryptionArg::None)]
        encryption: EncryptionArg,
        /// Send from this account (needed when the profile has several).
        #[arg(long, value_name = "JID", value_parser = parse_bare_jid)]
        account: Option<String>,
        #[command(flatten)]
        wait: WaitArgs,
    },

    /// Show the stored conversation with a contact, oldest first.
    History {
        /// The other party (bare JID).
        #[arg(value_parser = parse_bare_jid)]
        peer: String,
        /// How many of the newest messages.
        #[arg(long, default_value_t = 50)]
        limit: usize,
        /// Which account (needed when the profile has several).
        #[arg(long, value_name = "JID", value_parser = parse_bare_jid)]
        account: Option<String>,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },

    /// Search all stored conversations.
    Search {
        /// Words to find.
        text: String,
        /// Maximum results.
        #[arg(long, default_value_t = 50)]
        limit: usize,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },

    /// Off-the-Record: fingerprints, Pidgin import, sessions and SMP.
    #[command(subcommand)]
    Otr(OtrCommand),

    /// Route every account through the built-in Tor, or stop doing so.
    Tor {
        /// `on`, `off`, or `status`.
        #[arg(value_enum)]
        action: TorAction,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },

    /// Stay online with every account; commands as JSON lines on stdin,
    /// events as JSON lines on stdout (see docs/cli.md).
    Run,
}

/// `sotto account …`
#[derive(Debug, Subcommand)]
pub enum AccountCommand {
    /// Add an account (creating the profile on first use) and bring it online.
    Add {
        /// The account's bare JID, e.g. alice@example.org.
        #[arg(value_parser = parse_bare_jid)]
        jid: String,
        /// Read the account password from this environment variable
        /// instead of prompting.
        #[arg(long, value_name = "VAR")]
        password_env: Option<String>,
        /// Connect to this host instead of looking up the domain's SRV records.
        #[arg(long)]
        host: Option<String>,
        /// Connect to this port [default: 5222, or 5223 with --direct-tls].
        #[arg(long)]
        port: Option<u16>,
        /// Use TLS from the first byte (XEP-0368) instead of STARTTLS.
        #[arg(long)]
        direct_tls: bool,
        /// Trust exactly this server certificate (SHA-256, hex; colons allowed).
        #[arg(long, value_name = "SHA256", value_parser = parse_sha256)]
        pin_cert: Option<String>,
        /// Create the account on the server first (in-band registration).
        #[arg(long)]
        register: bool,
        /// Connect only through the built-in Tor (never directly).
        #[arg(long, conflicts_with = "proxy")]
        tor: bool,
        /// Connect through this SOCKS5 proxy (socks5://HOST:PORT; the proxy
        /// resolves the server's name).
        #[arg(long, value_name = "URL", value_parser = parse_proxy)]
        proxy: Option<String>,
        #[command(flatten)]
        wait: WaitArgs,
    },

    /// Trust a server certificate for an account, then bring it online.
    Pin {
        /// The account's bare JID.
        #[arg(value_parser = parse_bare_jid)]
        jid: String,
        /// The certificate's SHA-256 fingerprint (hex; colons allowed).
        #[arg(value_parser = parse_sha256)]
        sha256: String,
        #[command(flatten)]
        wait: WaitArgs,
    },

    /// List the accounts of the profile.
    List {
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },

    /// Remove an account and everything stored for it from the profile.
    Remove {
        /// The account's bare JID.
        #[arg(value_parser = parse_bare_jid)]
        jid: String,
    },

    /// Let an account go online with `run`, `send` and the other commands.
    Enable {
        /// The account's bare JID.
        #[arg(value_parser = parse_bare_jid)]
        jid: String,
    },

    /// Keep an account offline (it stays in the profile).
    Disable {
        /// The account's bare JID.
        #[arg(value_parser = parse_bare_jid)]
        jid: String,
    },

    /// Change an account's password on the server and in the profile.
    Password {
        /// The account's bare JID.
        #[arg(value_parser = parse_bare_jid)]
        jid: String,
        /// Read the new password from this environment variable instead of
        /// prompting.
        #[arg(long, value_name = "VAR")]
        password_env: Option<String>,
        #[command(flatten)]
        wait: WaitArgs,
    },
}

/// `--encryption` of `sotto send`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum EncryptionArg {
    /// Off-the-Record.
    Otr,
    /// No end-to-end encryption.
    None,
}

/// `sotto otr …`
#[derive(Debug, Subcommand)]
pub enum OtrCommand {
    /// Show the account's OTR fingerprint and the known ones of contacts
    /// (creates the account's OTR key on first use).
    Fingerprint {
        /// Which account (needed when the profile has several).
        #[arg(long, value_name = "JID", value_parser = parse_bare_jid)]
        account: Option<String>,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Import the OTR key and known fingerprints of a Pidgin/libotr profile
    /// (the directory holding otr.private_key, e.g. ~/.purple).
    Import {
        /// The directory.
        dir: PathBuf,
        /// Which account (needed when the profile has several).
        #[arg(long, value_name = "JID", value_parser = parse_bare_jid)]
        account: Option<String>,
    },
    /// Go online, make an OTR session with a contact, show its fingerprint,
    /// and end the session.
    Start {
        /// The contact (bare JID, or full JID for one client).
        jid: String,
        /// Which account (needed when the profile has several).
        #[arg(long, value_name = "JID", value_parser = parse_bare_jid)]
        account: Option<String>,
        #[command(flatten)]
        wait: WaitArgs,
    },
    /// End an OTR session (only `sotto run` keeps sessions; see docs/cli.md).
    End {
        /// The contact.
        jid: String,
    },
    /// Verify a contact with a secret you both know (Socialist
    /// Millionaires' Protocol) over a fresh OTR session.
    Smp {
        /// The contact (bare JID, or full JID for one client).
        jid: String,
        /// The shared secret.
        secret: String,
        /// A question only the contact can answer, shown to them.
        #[arg(long)]
        question: Option<String>,
        /// Which account (needed when the profile has several).
        #[arg(long, value_name = "JID", value_parser = parse_bare_jid)]
        account: Option<String>,
        #[command(flatten)]
        wait: WaitArgs,
    },
}

/// `sotto tor …`
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum TorAction {
    /// Every account connects only through the built-in Tor.
    On,
    /// Each account uses its own setting.
    Off,
    /// Show whether Tor-for-everything is on.
    Status,
}

/// Accepts a SOCKS5 proxy URL, `socks5://HOST:PORT` (or `socks5h://`), as
/// the core will read it. Credentials in the URL are refused: the core sets
/// its own per account (a Tor SOCKS port isolates circuits by them), so a
/// user's would be dropped silently, and `account list` would print them.
pub fn parse_proxy(s: &str) -> Result<String, String> {
    let shape = || format!("`{s}` is not a SOCKS5 proxy URL like socks5://127.0.0.1:9050");
    let rest = s
        .strip_prefix("socks5://")
        .or_else(|| s.strip_prefix("socks5h://"))
        .ok_or_else(shape)?
        .trim_end_matches('/');
    if rest.contains('@') {
        return Err(
            "credentials in the proxy URL are not supported (sotto sets its own per account)"
                .into(),
        );
    }
    if rest
        .chars()
        .any(|c| matches!(c, '/' | '?' | '#') || c.is_whitespace() || c.is_control())
    {
        return Err(shape());
    }
    let (host, port) = rest.rsplit_once(':').ok_or_else(shape)?;
    let host_ok = match host.strip_prefix('[') {
        Some(v6) => v6
            .strip_suffix(']')
            .is_some_and(|a| a.parse::<std::net::Ipv6Addr>().is_ok()),
        None => !host.is_empty() && !host.contains([':', '[', ']']),
    };
    if !host_ok || !matches!(port.parse::<u16>(), Ok(p) if p != 0) {
        return Err(shape());
    }
    Ok(s.to_owned())
}

/// How long to wait for the network.
#[derive(Debug, Clone, Copy, Args)]
pub struct WaitArgs {
    /// Give up after this many seconds.
    #[arg(long, value_name = "SECS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub timeout: u64,
}

impl WaitArgs {
    /// The timeout as a duration.
    pub fn duration(self) -> std::time::Duration {
        std::time::Duration::from_secs(self.timeout)
    }
}

/// Accepts a bare JID with a local part (`user@domain`): accounts and chat
/// peers are always addressed that way here.
pub fn parse_bare_jid(s: &str) -> Result<String, String> {
    let s = s.trim();
    let Some((local, domain)) = s.split_once('@') else {
        return Err(format!("`{s}` is not a JID like user@example.org"));
    };
    if local.is_empty() || domain.is_empty() || domain.contains('@') {
        return Err(format!("`{s}` is not a JID like user@example.org"));
    }
    if domain.contains('/') {
        return Err(format!(
            "`{s}` has a resource; give the bare JID (without /resource)"
        ));
    }
    if s.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(format!("`{s}` contains spaces or control characters"));
    }
    Ok(s.to_owned())
}

/// Accepts a SHA-256 fingerprint as 64 hex digits, optionally separated by
/// colons or spaces as certificate viewers print them; returns lowercase hex.
pub fn parse_sha256(s: &str) -> Result<String, String> {
    let hex: String = s
        .chars()
        .filter(|c| !matches!(c, ':' | ' '))
        .map(|c| c.to_ascii_lowercase())
        .collect();
    if hex.len() != 64 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err("expected a SHA-256 fingerprint: 64 hex digits (colons allowed)".into());
    }
    Ok(hex)
}

#[cfg(test)]
mod tests;
