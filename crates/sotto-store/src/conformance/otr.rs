// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! Conformance cases for [`crate::OtrStore`].

use zeroize::Zeroizing;

use super::{ALICE, BOB, CAROL, account};
use crate::{OtrFingerprint, OtrIdentity, OtrTrust, Store, StoreError};

fn fp(contact: &str, hex_digit: char, trust: OtrTrust, first_seen_ms: i64) -> OtrFingerprint {
    OtrFingerprint {
        contact: contact.to_owned(),
        fingerprint: hex_digit.to_string().repeat(40),
        trust,
        first_seen_ms,
    }
}

pub fn otr_identity_round_trip<S: Store>(store: &S) {
    assert_eq!(store.otr_identity(ALICE).unwrap(), None);
    let id = OtrIdentity {
        private_key: Zeroizing::new((0u8..=255).collect()),
        instance_tag: 0xffff_fff0,
    };
    assert!(matches!(
        store.set_otr_identity(ALICE, &id),
        Err(StoreError::NotFound(_))
    ));
    store.upsert_account(&account(ALICE)).unwrap();
    store.set_otr_identity(ALICE, &id).unwrap();
    assert_eq!(store.otr_identity(ALICE).unwrap(), Some(id.clone()));
    let replaced = OtrIdentity {
        private_key: Zeroizing::new(vec![7; 3]),
        instance_tag: 0x100,
    };
    store.set_otr_identity(ALICE, &replaced).unwrap();
    assert_eq!(store.otr_identity(ALICE).unwrap(), Some(replaced));
    // Updating the account keeps the identity; removing it removes it.
    store.upsert_account(&account(ALICE)).unwrap();
    assert!(store.otr_identity(ALICE).unwrap().is_some());
    store.remove_account(ALICE).unwrap();
    assert_eq!(store.otr_identity(ALICE).unwrap(), None);
}

pub fn otr_fingerprints_trust_and_order<S: Store>(store: &S) {
    store.upsert_account(&account(ALICE)).unwrap();
    store.upsert_account(&account(BOB)).unwrap();
    store
        .put_otr_fingerprint(ALICE, &fp(CAROL, 'b', OtrTrust::Unverified, 20))
        .unwrap();
    store
        .put_otr_fingerprint(ALICE, &fp(CAROL, 'a', OtrTrust::Unverified, 30))
        .unwrap();
    store
        .put_otr_fingerprint(ALICE, &fp(BOB, 'c', OtrTrust::Smp, 40))
        .unwrap();
    // A new trust decision keeps the first-seen time.
    store
        .put_otr_fingerprint(ALICE, &fp(CAROL, 'b', OtrTrust::Fingerprint, 99))
        .unwrap();
    assert_eq!(
        store.otr_fingerprints(ALICE, CAROL).unwrap(),
        vec![
            fp(CAROL, 'b', OtrTrust::Fingerprint, 20),
            fp(CAROL, 'a', OtrTrust::Unverified, 30)
        ]
    );
    assert_eq!(
        store.all_otr_fingerprints(ALICE).unwrap(),
        vec![
            fp(BOB, 'c', OtrTrust::Smp, 40),
            fp(CAROL, 'b', OtrTrust::Fingerprint, 20),
            fp(CAROL, 'a', OtrTrust::Unverified, 30)
        ]
    );
    // Per account.
    assert!(store.all_otr_fingerprints(BOB).unwrap().is_empty());
    // Only normalized fingerprints are accepted, only for stored accounts.
    let mut spaced = fp(CAROL, 'd', OtrTrust::Unverified, 1);
    spaced.fingerprint = "DDDDDDDD DDDDDDDD DDDDDDDD DDDDDDDD DDDDDDDD".into();
    assert!(matches!(
        store.put_otr_fingerprint(ALICE, &spaced),
        Err(StoreError::InvalidInput(_))
    ));
    assert!(matches!(
        store.put_otr_fingerprint(CAROL, &fp(BOB, 'e', OtrTrust::Unverified, 1)),
        Err(StoreError::NotFound(_))
    ));
    store.remove_account(ALICE).unwrap();
    assert!(store.all_otr_fingerprints(ALICE).unwrap().is_empty());
}
