// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! The command line, as clap types. Values that can be checked without the
//! profile (JIDs, fingerprints) are checked here, so a typo is a usage error
//! (exit 2) before anything is opened.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

mod parse;
pub use parse::{
    omemo_uri_device_ids, parse_bare_jid, parse_omemo_fingerprint, parse_omemo_uri, parse_proxy,
    parse_sha256,
};

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
        /// End-to-end encryption: `omemo`, `otr` (makes an OTR session
        /// first) or `none`; `omemo` and `otr` never send in plaintext.
        /// Default: OMEMO when the contact has OMEMO devices or the
        /// conversation already uses OMEMO, else none.
        #[arg(long, value_enum)]
        encryption: Option<EncryptionArg>,
        /// Send from this account (needed when the profile has several).
        #[arg(long, value_name = "JID", value_parser = parse_bare_jid)]
        account: Option<String>,
        #[command(flatten)]
        wait: WaitArgs,
    },

    /// Go online, upload a file (XEP-0363) and send its link; encrypted
    /// (an aesgcm:// link) when the message would be.
    SendFile {
        /// Recipient (bare JID).
        #[arg(value_parser = parse_bare_jid)]
        to: String,
        /// The file.
        path: PathBuf,
        /// End-to-end encryption, as for `send`.
        #[arg(long, value_enum)]
        encryption: Option<EncryptionArg>,
        /// Send from this account (needed when the profile has several).
        #[arg(long, value_name = "JID", value_parser = parse_bare_jid)]
        account: Option<String>,
        #[command(flatten)]
        wait: WaitArgs,
    },

    /// Save a file someone sent: its https:// or aesgcm:// link (as
    /// `history` shows it) to PATH, decrypted.
    Save {
        /// The link.
        url: String,
        /// Where to write the file.
        path: PathBuf,
        /// Fetch through this account's route (needed when the profile has
        /// several).
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

    /// Go online and show this device's OMEMO fingerprint and the devices
    /// of a contact (or, without JID, the account's other devices).
    Fingerprints {
        /// The contact (bare JID) [default: the account itself].
        #[arg(value_parser = parse_bare_jid)]
        jid: Option<String>,
        /// Which account (needed when the profile has several).
        #[arg(long, value_name = "JID", value_parser = parse_bare_jid)]
        account: Option<String>,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        wait: WaitArgs,
    },

    /// Mark an OMEMO device key verified, after comparing its fingerprint
    /// with the contact over another channel.
    Trust(OmemoTrustArgs),

    /// Never encrypt to an OMEMO device key again (and flag its messages).
    Distrust(OmemoTrustArgs),

    /// Verify the OMEMO devices an `xmpp:` URI names (the text of a
    /// Conversations or Dino QR code).
    Verify {
        /// The URI: xmpp:user@example.org?omemo-sid-<id>=<64 hex digits>.
        #[arg(value_parser = parse_omemo_uri)]
        uri: String,
        /// Which account (needed when the profile has several).
        #[arg(long, value_name = "JID", value_parser = parse_bare_jid)]
        account: Option<String>,
        #[command(flatten)]
        wait: WaitArgs,
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

    /// Change how the profile is protected: a new passphrase, or the key
    /// in the OS keyring.
    #[command(subcommand)]
    Profile(ProfileCommand),

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

/// `sotto trust` and `sotto distrust`.
#[derive(Debug, Args)]
pub struct OmemoTrustArgs {
    /// Whose key (bare JID; the account's own for its other devices).
    #[arg(value_parser = parse_bare_jid)]
    pub jid: String,
    /// The key's fingerprint: 64 hex digits, quoted or as eight separate
    /// groups, as `sotto fingerprints` prints it.
    #[arg(required = true, num_args = 1.., value_name = "FINGERPRINT")]
    pub fingerprint: Vec<String>,
    /// Which account (needed when the profile has several).
    #[arg(long, value_name = "JID", value_parser = parse_bare_jid)]
    pub account: Option<String>,
    #[command(flatten)]
    pub wait: WaitArgs,
}

impl OmemoTrustArgs {
    /// The fingerprint as 64 lower-case hex digits, or why it is not one.
    pub fn fingerprint(&self) -> Result<String, String> {
        parse_omemo_fingerprint(&self.fingerprint.join(" "))
    }
}

/// `--encryption` of `sotto send`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum EncryptionArg {
    /// OMEMO, to every trusted device of the contact and our other devices.
    Omemo,
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

/// `sotto profile …`. The profile is unlocked as usual first (passphrase,
/// or `--keyring`); that proves the current protection.
#[derive(Debug, Subcommand)]
pub enum ProfileCommand {
    /// Re-encrypt the profile under a new passphrase (also to stop using
    /// the OS keyring: then unlock with `--keyring`).
    Passphrase {
        /// Read the new passphrase from this environment variable instead
        /// of prompting twice.
        #[arg(long, value_name = "VAR")]
        new_passphrase_env: Option<String>,
    },
    /// Keep a random profile key in the OS keyring instead of a passphrase;
    /// unlock with `--keyring` from then on.
    Keyring,
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

#[cfg(test)]
mod tests;
