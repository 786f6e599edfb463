// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! Value parsers of the command line: each checks one kind of value
//! (JID, fingerprint, URL) so a typo is a usage error (exit 2).

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

/// Accepts an OMEMO fingerprint as `sotto fingerprints` (and Conversations,
/// Dino, Gajim) show it: 64 hex digits, in groups separated by spaces,
/// colons or dashes; a leading `05` key-type byte (66 digits) is dropped.
/// Returns the 64 digits in lower case, without separators.
pub fn parse_omemo_fingerprint(s: &str) -> Result<String, String> {
    let digits: String = s
        .chars()
        .filter(|c| !matches!(c, ' ' | ':' | '-' | '\t'))
        .map(|c| c.to_ascii_lowercase())
        .collect();
    let digits = match digits.len() {
        66 if digits.starts_with("05") => digits.get(2..).unwrap_or_default(),
        _ => digits.as_str(),
    };
    if digits.len() != 64 || !digits.chars().all(|c| c.is_ascii_hexdigit()) {
        let count = digits.chars().filter(char::is_ascii_alphanumeric).count();
        return Err(format!(
            "`{}` is not an OMEMO fingerprint: expected 64 hex digits (eight groups of \
             eight, as `sotto fingerprints` prints them), got {count} characters",
            s.trim()
        ));
    }
    Ok(digits.to_owned())
}

/// Accepts an OMEMO verification URI,
/// `xmpp:user@example.org?omemo-sid-<device id>=<64 hex digits>` (several
/// devices separated by `;`), as Conversations and Dino put in their QR
/// codes. Only its shape is checked here; the core checks the keys.
pub fn parse_omemo_uri(s: &str) -> Result<String, String> {
    let s = s.trim();
    let shape = || {
        format!(
            "`{s}` is not an OMEMO verification URI like \
             xmpp:user@example.org?omemo-sid-1234=<64 hex digits>"
        )
    };
    let rest = s.strip_prefix("xmpp:").ok_or_else(shape)?;
    let (jid, query) = rest.split_once('?').ok_or_else(shape)?;
    if jid.is_empty() || s.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(shape());
    }
    let mut devices = 0;
    for param in query.split(';') {
        let Some((key, value)) = param.split_once('=') else {
            continue;
        };
        let Some(id) = key.strip_prefix("omemo-sid-") else {
            continue;
        };
        if id.parse::<u32>().is_err() {
            return Err(format!("`{id}` in `{key}` is not a device id"));
        }
        parse_omemo_fingerprint(value)?;
        devices += 1;
    }
    if devices == 0 {
        return Err(format!(
            "`{s}` names no OMEMO device (no omemo-sid-<id>=<fingerprint> parameter)"
        ));
    }
    Ok(s.to_owned())
}

/// The device ids an OMEMO verification URI names (see [`parse_omemo_uri`]).
pub fn omemo_uri_device_ids(uri: &str) -> Vec<u32> {
    let query = uri.split_once('?').map_or("", |(_, q)| q);
    query
        .split(';')
        .filter_map(|param| param.split_once('='))
        .filter_map(|(key, _)| key.strip_prefix("omemo-sid-"))
        .filter_map(|id| id.parse().ok())
        .collect()
}
