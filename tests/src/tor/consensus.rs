// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! Fetching the consensus from an authority's DirPort and deciding whether
//! the network is usable.

use std::io::{Read as _, Write as _};
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::time::Duration;

use base64::Engine as _;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};

use super::RelayInfo;

const TIMEOUT: Duration = Duration::from_secs(5);

/// The full ("ns") consensus, with every router's flags.
const NS: &str = "/tor/status-vote/current/consensus";
/// The microdescriptor consensus, the one clients (C tor and arti) use.
const MICRODESC: &str = "/tor/status-vote/current/consensus-microdesc";

/// One router entry of a consensus.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Router {
    pub nickname: String,
    /// Uppercase hex RSA identity fingerprint.
    pub rsa_fingerprint: String,
    pub or_port: u16,
    pub flags: Vec<String>,
}

impl Router {
    pub(super) fn has(&self, flag: &str) -> bool {
        self.flags.iter().any(|f| f == flag)
    }
}

/// Why one of `servers` does not yet serve both consensus flavours as usable
/// for a network of `routers` (see [`not_ready`]), or `None` if all do.
pub(super) fn not_served_by(
    servers: &[RelayInfo],
    routers: &[RelayInfo],
    hsdir: bool,
) -> Option<String> {
    let expected: Vec<String> = routers.iter().map(|r| r.rsa_fingerprint.clone()).collect();
    let exits: Vec<String> = routers
        .iter()
        .filter(|r| r.is_exit)
        .map(|r| r.rsa_fingerprint.clone())
        .collect();
    servers.iter().find_map(|server| {
        [NS, MICRODESC]
            .iter()
            .find_map(|path| match fetch(server.dir_port, path) {
                Ok(Some(text)) => not_ready(&parse(&text), &expected, &exits, hsdir)
                    .map(|why| format!("{}{path}: {why}", server.nickname)),
                Ok(None) => Some(format!("{} has no {path} yet", server.nickname)),
                Err(e) => Some(format!("fetching {path} from {}: {e}", server.nickname)),
            })
    })
}

/// Whether the DirPort serves any microdescriptor consensus at all.
pub(super) fn published(dir_port: u16) -> bool {
    matches!(fetch(dir_port, MICRODESC), Ok(Some(_)))
}

/// `GET path` over plain HTTP/1.0 from 127.0.0.1:`dir_port`. `Ok(None)` for
/// a non-200 answer (404 before the first consensus exists).
fn fetch(dir_port: u16, path: &str) -> std::io::Result<Option<String>> {
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, dir_port));
    let mut tcp = TcpStream::connect_timeout(&addr, TIMEOUT)?;
    tcp.set_read_timeout(Some(TIMEOUT))?;
    tcp.set_write_timeout(Some(TIMEOUT))?;
    // No Accept-Encoding: tor then answers uncompressed.
    write!(tcp, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")?;
    let mut reply = Vec::new();
    tcp.read_to_end(&mut reply)?;
    let reply = String::from_utf8_lossy(&reply);
    let Some((head, body)) = reply.split_once("\r\n\r\n") else {
        return Ok(None);
    };
    let ok = head
        .lines()
        .next()
        .is_some_and(|status| status.split_whitespace().nth(1) == Some("200"));
    Ok(ok.then(|| body.to_owned()))
}

/// The routers of a consensus (either flavour). Malformed entries are skipped.
fn parse(text: &str) -> Vec<Router> {
    let engine = GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
    );
    let mut routers = Vec::new();
    let mut current: Option<Router> = None;
    for line in text.lines() {
        let mut words = line.split_whitespace();
        match words.next() {
            Some("r") => {
                routers.extend(current.take());
                let fields: Vec<&str> = words.collect();
                // ns:        nick id digest date time ip orport dirport
                // microdesc: nick id date time ip orport dirport
                if fields.len() < 7 {
                    continue;
                }
                let Ok(id) = engine.decode(fields[1]) else {
                    continue;
                };
                let Ok(or_port) = fields[fields.len() - 2].parse() else {
                    continue;
                };
                current = Some(Router {
                    nickname: fields[0].to_owned(),
                    rsa_fingerprint: hex::encode_upper(id),
                    or_port,
                    flags: Vec::new(),
                });
            }
            Some("s") => {
                if let Some(router) = current.as_mut() {
                    router.flags = words.map(str::to_owned).collect();
                }
            }
            Some("directory-footer") => break,
            _ => {}
        }
    }
    routers.extend(current);
    routers
}

/// Why a consensus is not yet good enough, or `None` if it is: every router in
/// `expected` (RSA fingerprints) is listed as Running and Valid, at least one
/// of `exits` has the Exit flag, and at least one router has Guard (and
/// HSDir, if `hsdir`).
pub(super) fn not_ready(
    routers: &[Router],
    expected: &[String],
    exits: &[String],
    hsdir: bool,
) -> Option<String> {
    let usable = |fp: &String| {
        routers
            .iter()
            .find(|r| &r.rsa_fingerprint == fp && r.has("Running") && r.has("Valid"))
    };
    let missing = expected.iter().filter(|fp| usable(fp).is_none()).count();
    if missing > 0 {
        return Some(format!(
            "{missing} of {} routers not Running+Valid",
            expected.len()
        ));
    }
    if !exits.iter().filter_map(usable).any(|r| r.has("Exit")) {
        return Some("no exit has the Exit flag".into());
    }
    if !routers.iter().any(|r| r.has("Guard")) {
        return Some("no router has the Guard flag".into());
    }
    if hsdir && routers.iter().filter(|r| r.has("HSDir")).count() < expected.len() {
        return Some("not every router has the HSDir flag".into());
    }
    None
}

#[cfg(test)]
mod tests {
    use super::{not_ready, parse};

    const NS: &str = "network-status-version 3\n\
        r auth0 vCXOVLg3H1Lg9qooU7x6/EhxKbM 4LWk2W5LI4ozR1Ys8zV1lJ6j8Mk 2026-11-22 22:40:00 127.0.0.1 17000 17001\n\
        s Authority Guard HSDir Running Valid\n\
        r exit0 AAAAAAAAAAAAAAAAAAAAAAAAAAA 4LWk2W5LI4ozR1Ys8zV1lJ6j8Mk 2026-11-22 22:40:00 127.0.0.1 17002 17003\n\
        s Exit Running Valid\n\
        w Bandwidth=0\n\
        directory-footer\n\
        r ignored AAAAAAAAAAAAAAAAAAAAAAAAAAA 2026-11-22 22:40:00 127.0.0.1 1 0\n";

    #[test]
    fn parses_router_entries_until_the_footer() {
        let routers = parse(NS);
        assert_eq!(routers.len(), 2);
        assert_eq!(routers[0].nickname, "auth0");
        assert_eq!(
            routers[0].rsa_fingerprint,
            "BC25CE54B8371F52E0F6AA2853BC7AFC487129B3"
        );
        assert_eq!(routers[0].or_port, 17000);
        assert!(routers[0].has("Guard"));
        assert_eq!(routers[1].rsa_fingerprint, "0".repeat(40));
        assert!(routers[1].has("Exit"));
    }

    #[test]
    fn readiness_needs_every_router_an_exit_and_a_guard() {
        let routers = parse(NS);
        let auth = "BC25CE54B8371F52E0F6AA2853BC7AFC487129B3".to_owned();
        let both = [auth.clone(), "0".repeat(40)];
        assert_eq!(not_ready(&routers, &both, &both[1..], false), None);
        // The only "exit" lacks the Exit flag.
        assert!(not_ready(&routers, &both, &both[..1], false).is_some());
        // A router missing from the consensus.
        let unknown = [auth, "1".repeat(40)];
        assert!(not_ready(&routers, &unknown, &both[1..], false).is_some());
        // Not every router has HSDir.
        assert!(not_ready(&routers, &both, &both[1..], true).is_some());
    }
}
