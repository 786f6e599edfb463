// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

#![allow(clippy::unwrap_used)]

use super::*;

#[test]
fn fingerprint_groups_and_parses() {
    let mut key = [0u8; 32];
    for (i, b) in key.iter_mut().enumerate() {
        *b = i as u8 * 7;
    }
    let fp = Fingerprint::of_curve25519(&key);
    let shown = fp.to_string();
    assert_eq!(shown.split(' ').count(), 8);
    assert!(shown.split(' ').all(|g| g.len() == 8));
    assert_eq!(Fingerprint::parse(&shown).unwrap(), fp);
    assert_eq!(
        Fingerprint::parse(&format!("05{}", fp.to_hex())).unwrap(),
        fp
    );
    assert!(Fingerprint::parse("abc").is_err());
    assert!(Fingerprint::parse(&"zz".repeat(32)).is_err());
}

#[test]
fn uri_round_trip_and_foreign_parameters() {
    let a = Fingerprint::of_curve25519(&[0xab; 32]);
    let b = Fingerprint::of_curve25519(&[0x01; 32]);
    let uri = VerificationUri {
        jid: "juliet@capulet.example".into(),
        devices: vec![(1234, a), (99, b)],
    };
    let text = uri.to_string();
    assert_eq!(
        text,
        format!(
            "xmpp:juliet@capulet.example?omemo-sid-1234={};omemo-sid-99={}",
            a.to_hex(),
            b.to_hex()
        )
    );
    assert_eq!(VerificationUri::parse(&text).unwrap(), uri);
    let other = VerificationUri::parse(&format!(
        "xmpp:juliet@capulet.example?message;body=hi;omemo-sid-7={}",
        a.to_hex()
    ))
    .unwrap();
    assert_eq!(other.devices, vec![(7, a)]);
    assert!(VerificationUri::parse("https://example.org").is_err());
    assert!(VerificationUri::parse("xmpp:a@b?omemo-sid-x=00").is_err());
}

#[test]
fn btbv_until_first_verification() {
    use TrustLevel::*;
    assert_eq!(initial_trust(TrustMode::Btbv, &[]), Blind);
    assert_eq!(initial_trust(TrustMode::Btbv, &[Blind, Distrusted]), Blind);
    assert_eq!(
        initial_trust(TrustMode::Btbv, &[Blind, Verified]),
        Undecided
    );
    assert_eq!(initial_trust(TrustMode::Manual, &[]), Undecided);
    assert!(Blind.may_encrypt() && Verified.may_encrypt());
    assert!(!Undecided.may_encrypt() && !Distrusted.may_encrypt());
    for l in [Undecided, Blind, Verified, Distrusted] {
        assert_eq!(TrustLevel::parse(l.as_str()), Some(l));
    }
}

#[test]
fn decide_records_btbv_and_stops_after_verification() {
    use crate::store::{MemoryStore, TrustStore};
    use TrustLevel::*;
    let mut store = MemoryStore::new();
    let jid = "frank@example.org";
    assert_eq!(
        decide(&mut store, TrustMode::Btbv, jid, &[1; 32]).unwrap(),
        Blind
    );
    assert_eq!(
        decide(&mut store, TrustMode::Btbv, jid, &[2; 32]).unwrap(),
        Blind
    );
    store.set_trust(jid, &[2; 32], Verified).unwrap();
    assert_eq!(
        decide(&mut store, TrustMode::Btbv, jid, &[3; 32]).unwrap(),
        Undecided
    );
    // Earlier decisions stand.
    assert_eq!(
        decide(&mut store, TrustMode::Btbv, jid, &[1; 32]).unwrap(),
        Blind
    );
    store.set_trust(jid, &[1; 32], Distrusted).unwrap();
    assert_eq!(
        decide(&mut store, TrustMode::Btbv, jid, &[1; 32]).unwrap(),
        Distrusted
    );
    // Manual mode, another contact.
    assert_eq!(
        decide(&mut store, TrustMode::Manual, "g@example.org", &[1; 32]).unwrap(),
        Undecided
    );
}
