// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

#![allow(clippy::unwrap_used)]

use super::*;

/// Written by libotr 4.1.1 (`otrl_privkey_generate`) for two accounts; the
/// fingerprints below are what `otrl_privkey_fingerprint` printed for them.
const PRIVATE_KEYS: &str = include_str!("testdata/otr.private_key");

#[test]
fn libotr_private_key_file() {
    let keys = parse_private_keys(PRIVATE_KEYS).unwrap();
    assert_eq!(keys.len(), 2);
    assert_eq!(keys[0].account, "alice@example.org/Home");
    assert_eq!(keys[0].bare_account(), "alice@example.org");
    assert_eq!(keys[0].protocol, "prpl-jabber");
    assert_eq!(
        keys[0].key.fingerprint().to_string(),
        "B442E7CC DA13A357 A8F9E94E DEA6E720 19B9E83C"
    );
    assert_eq!(keys[1].account, "alice@work.example");
    assert_eq!(
        keys[1].key.fingerprint().to_string(),
        "85BE6310 BA6771E3 7EA5302A 7453189F BC731364"
    );
    // Imported keys survive our own storage format.
    let again = PrivateKey::from_bytes(&keys[1].key.to_bytes()).unwrap();
    assert_eq!(again.fingerprint(), keys[1].key.fingerprint());
}

#[test]
fn other_atom_forms() {
    // Canonical length-prefixed and base64 atoms name the same thing.
    let text = PRIVATE_KEYS
        .replacen(
            "(name \"alice@example.org/Home\")",
            "(4:name |YWxpY2VAZXhhbXBsZS5vcmc=|)",
            1,
        )
        .replacen("(protocol prpl-jabber)", "(protocol \"prpl-\\jabber\")", 1);
    let keys = parse_private_keys(&text).unwrap();
    assert_eq!(keys[0].account, "alice@example.org");
    assert_eq!(keys[0].protocol, "prpl-jabber");
}

#[test]
fn broken_private_key_files() {
    for (text, line) in [
        ("(privkeys (account (name \"a\")", 1),
        ("(privkeys)\n)", 2),
        ("(notkeys)", 1),
        ("(privkeys (account (name \"a\") (protocol p)))", 1),
        (
            "(privkeys\n (account (name \"a\") (protocol p) (private-key (dsa (p #0G#)))))",
            2,
        ),
    ] {
        match parse_private_keys(text) {
            Err(Error::Import { line: l, .. }) => assert_eq!(l, line, "{text}"),
            other => panic!("{text}: {other:?}"),
        }
    }
    // A key whose x does not match y.
    let bad = PRIVATE_KEYS.replacen("(x #00898D", "(x #00898E", 1);
    assert!(parse_private_keys(&bad).is_err());
    assert!(parse_private_keys("").unwrap().is_empty());
}

#[test]
fn fingerprints_file() {
    let text = "bob@example.org\talice@example.org/Home\tprpl-jabber\t\
        b442e7ccda13a357a8f9e94edea6e72019b9e83c\tverified\n\
        carol@example.net\talice@example.org/Home\tprpl-jabber\t\
        85be6310ba6771e37ea5302a7453189fbc731364\n\
        dave@example.net\talice@example.org/Home\tprpl-jabber\t\
        85be6310ba6771e37ea5302a7453189fbc731364\tsmp\r\n\n";
    let fps = parse_fingerprints(text).unwrap();
    assert_eq!(fps.len(), 3);
    assert_eq!(fps[0].username, "bob@example.org");
    assert_eq!(fps[0].account, "alice@example.org/Home");
    assert_eq!(fps[0].protocol, "prpl-jabber");
    assert_eq!(
        fps[0].fingerprint.to_string(),
        "B442E7CC DA13A357 A8F9E94E DEA6E720 19B9E83C"
    );
    assert_eq!(fps[0].trust, Trust::VerifiedFingerprint);
    assert_eq!(fps[1].trust, Trust::Unverified);
    assert_eq!(fps[2].trust, Trust::VerifiedSmp);
    assert!(matches!(
        parse_fingerprints("a\tb\tc\n"),
        Err(Error::Import { line: 1, .. })
    ));
    assert!(matches!(
        parse_fingerprints("ok\tb\tc\tb442e7ccda13a357a8f9e94edea6e72019b9e83c\nx\ty\tz\tnothex\n"),
        Err(Error::Import { line: 2, .. })
    ));
}

/// libgcrypt writes an atom whose bytes are all "printable" (which includes
/// 0xa1..0xff) as a quoted string with escapes: such a file is not UTF-8.
#[test]
fn quoted_binary_atoms_and_escapes() {
    let x_hex = "00898DF429F891F26BBD71421472377FDFBCC301CF";
    let x: Vec<u8> = (0..x_hex.len() / 2)
        .map(|i| u8::from_str_radix(&x_hex[2 * i..2 * i + 2], 16).unwrap())
        .collect();
    let mut quoted = b"\"".to_vec();
    for (i, &b) in x.iter().enumerate() {
        match b {
            b'"' | b'\\' => quoted.extend_from_slice(&[b'\\', b]),
            b'\n' => quoted.extend_from_slice(b"\\n"),
            0x00..0x20 | 0x7f..=0xa0 if i % 2 == 0 => {
                quoted.extend_from_slice(format!("\\x{b:02x}").as_bytes())
            }
            0x00..0x20 | 0x7f..=0xa0 => quoted.extend_from_slice(format!("\\{b:03o}").as_bytes()),
            _ => quoted.push(b),
        }
        if i == 10 {
            // A line continuation inside the string.
            quoted.extend_from_slice(b"\\\n");
        }
    }
    quoted.push(b'"');
    let needle = format!("#{x_hex}#");
    let at = PRIVATE_KEYS.find(&needle).unwrap();
    let mut data = PRIVATE_KEYS.as_bytes()[..at].to_vec();
    data.extend_from_slice(&quoted);
    data.extend_from_slice(&PRIVATE_KEYS.as_bytes()[at + needle.len()..]);
    assert!(std::str::from_utf8(&data).is_err());
    let keys = parse_private_keys(&data).unwrap();
    assert_eq!(
        keys[0].key.fingerprint().to_string(),
        "B442E7CC DA13A357 A8F9E94E DEA6E720 19B9E83C"
    );
    assert!(parse_private_keys(b"(privkeys (account (name \"\\x4\")))").is_err());
}

/// A real case of the above: libotr 4.1.1 wrote this key with x as a quoted
/// string of raw bytes (2 keys in 400 come out so); libotr read it back and
/// printed the fingerprint below.
#[test]
fn libotr_key_with_quoted_x() {
    let data = include_bytes!("testdata/otr.private_key.quoted");
    assert!(data.iter().any(|&b| b >= 0x80), "raw bytes, not UTF-8 text");
    let keys = parse_private_keys(data).unwrap();
    assert_eq!(keys[0].account, "a97@x/y");
    assert_eq!(keys[0].protocol, "xmpp");
    assert_eq!(
        keys[0].key.fingerprint().to_string(),
        "C3B265E2 26AB25C3 FC2D554F 703449A1 459F7BD2"
    );
}
