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
        .replacen("(name \"alice@example.org/Home\")", "(4:name |YWxpY2VAZXhhbXBsZS5vcmc=|)", 1)
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
        ("(privkeys\n (account (name \"a\") (protocol p) (private-key (dsa (p #0G#)))))", 2),
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
