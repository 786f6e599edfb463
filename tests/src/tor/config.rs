// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! torrc rendering for every kind of node in the test network.

use std::fmt::Write as _;
use std::path::Path;

use super::AuthorityInfo;

/// What a tor instance is in the network.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Authority,
    /// A non-exit relay (guard/middle).
    Relay,
    Exit,
    /// A client with a SOCKS port.
    Client {
        socks_port: u16,
    },
    /// A client hosting one v3 onion service on `port` → 127.0.0.1:`port`.
    Onion {
        port: u16,
    },
}

/// The voting schedule, shared by every authority.
#[derive(Debug, Clone, Copy)]
pub(super) struct Timing {
    /// Seconds; must divide 24 hours.
    pub voting_interval: u32,
    /// The `hsdir_interval` consensus parameter in minutes (time-period length
    /// for onion services), when onion services are wanted.
    pub hsdir_interval: Option<u32>,
}

/// Everything one torrc depends on.
#[derive(Debug)]
pub(super) struct Torrc<'a> {
    pub data_dir: &'a Path,
    pub nickname: &'a str,
    pub kind: Kind,
    pub or_port: u16,
    pub dir_port: u16,
    pub authorities: &'a [AuthorityInfo],
    pub timing: Timing,
    /// RSA fingerprints of the exits: only they get the Exit flag.
    pub exit_fingerprints: &'a [String],
}

/// The text of the torrc. Nothing is inherited: the caller passes an empty
/// `--defaults-torrc`, so `/etc/tor` is never read.
pub(super) fn render(t: &Torrc<'_>) -> String {
    let dir = t.data_dir.display();
    let mut s = String::new();
    // `writeln!` into a String cannot fail.
    let mut line = |text: String| {
        let _ = writeln!(s, "{text}");
    };
    line(format!(
        "# {} ({:?}), written by sotto-tests",
        t.nickname, t.kind
    ));
    line("TestingTorNetwork 1".into());
    line("AssumeReachable 1".into());
    line(format!("DataDirectory {dir}"));
    line(format!("Nickname {}", t.nickname));
    line("RunAsDaemon 0".into());
    line("ShutdownWaitLength 0".into());
    line(format!("Log notice file {dir}/notice.log"));
    if matches!(t.kind, Kind::Onion { .. }) {
        // The descriptor upload is only logged at info level.
        line(format!("Log info file {dir}/info.log"));
    }
    line("SafeLogging 0".into());
    line("ProtocolWarnings 1".into());
    line("DisableDebuggerAttachment 0".into());
    line(format!("ContactInfo {}@sotto-tests.invalid", t.nickname));
    for a in t.authorities {
        line(format!(
            "DirAuthority {} orport={} no-v2 v3ident={} 127.0.0.1:{} {}",
            a.nickname, a.or_port, a.v3ident, a.dir_port, a.rsa_fingerprint
        ));
    }
    match t.kind {
        Kind::Client { socks_port } => {
            line(format!("SocksPort 127.0.0.1:{socks_port}"));
        }
        Kind::Onion { port } => {
            line("SocksPort 0".into());
            line(format!("HiddenServiceDir {dir}/hs"));
            line(format!("HiddenServicePort {port} 127.0.0.1:{port}"));
        }
        Kind::Authority | Kind::Relay | Kind::Exit => router(t, &mut line),
    }
    s
}

fn router(t: &Torrc<'_>, line: &mut impl FnMut(String)) {
    line("SocksPort 0".into());
    line("Address 127.0.0.1".into());
    line(format!("ORPort 127.0.0.1:{}", t.or_port));
    line(format!("DirPort 127.0.0.1:{}", t.dir_port));
    line("PublishServerDescriptor 1".into());
    if t.kind == Kind::Exit {
        line("ExitRelay 1".into());
        line("ExitPolicyRejectPrivate 0".into());
        line("ExitPolicy accept 127.0.0.0/8:*".into());
        // Clients (C tor and arti alike) pick exits by the microdescriptor's
        // port summary, which only counts `accept *:…` entries: without this
        // line the exit is summarized as "reject 1-65535" and never chosen.
        line("ExitPolicy accept *:*".into());
        // …and this keeps the exit on loopback anyway: a socket bound to
        // 127.0.0.1 cannot connect anywhere else (EINVAL).
        line("OutboundBindAddressExit 127.0.0.1".into());
        // An exit that has not yet fetched the newest consensus would refuse
        // streams arriving from a middle it does not know yet.
        line("RefuseUnknownExits 0".into());
    } else {
        line("ExitRelay 0".into());
        line("ExitPolicy reject *:*".into());
    }
    if t.kind == Kind::Authority {
        authority(t, line);
    }
}

fn authority(t: &Torrc<'_>, line: &mut impl FnMut(String)) {
    let interval = t.timing.voting_interval;
    // Vote + distribution delays must stay below half the interval: without a
    // consensus, tor votes every interval / 2.
    let delay = (interval / 5).max(2);
    line("AuthoritativeDirectory 1".into());
    line("V3AuthoritativeDirectory 1".into());
    line(format!("V3AuthVotingInterval {interval}"));
    line(format!("V3AuthVoteDelay {delay}"));
    line(format!("V3AuthDistDelay {delay}"));
    line(format!("TestingV3AuthInitialVotingInterval {interval}"));
    line(format!("TestingV3AuthInitialVoteDelay {delay}"));
    line(format!("TestingV3AuthInitialDistDelay {delay}"));
    line("TestingV3AuthVotingStartOffset 0".into());
    // A consensus outlives a missed vote or two on a loaded machine.
    line("V3AuthNIntervalsValid 3".into());
    // Only our exits get the Exit flag (`*` would flag the middles too).
    if !t.exit_fingerprints.is_empty() {
        line(format!(
            "TestingDirAuthVoteExit {}",
            t.exit_fingerprints
                .iter()
                .map(|f| format!("${f}"))
                .collect::<Vec<_>>()
                .join(",")
        ));
    }
    line("TestingDirAuthVoteGuard *".into());
    line("TestingDirAuthVoteHSDir *".into());
    line("TestingMinExitFlagThreshold 0".into());
    if let Some(minutes) = t.timing.hsdir_interval {
        line(format!("ConsensusParams hsdir_interval={minutes}"));
    }
}
