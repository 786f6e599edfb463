// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! OTR in a conversation: the lock, start/end, the verification dialog,
//! SMP both ways, the key-changed and unreadable banners, and the lock
//! marker on encrypted messages — driven by fabricated core events, with
//! the exact commands asserted.

use sotto_core::{
    Command, Event, OtrContactFingerprint, OtrSessionState, OtrTrust, Secret, SmpProgress,
};
use sotto_desktop::screen::ready::conversation::COMPOSER;
use sotto_desktop::screen::ready::conversation::otr::{SMP_ANSWER, SMP_QUESTION, SMP_SECRET};
use sotto_store::{Direction, Encryption, MessageRecord, MessageState};

use crate::contacts::with_roster;
use crate::support::Harness;

const ME: &str = "alice@example.org";
const BOB: &str = "bob@example.org";
const LAPTOP: &str = "bob@example.org/laptop";
const BOB_FP: &str = "3F8A2B10 C0FFEE00 12345678 9ABCDEF0 DEADBEEF";
const OWN_FP: &str = "0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d";

fn record(id: i64, body: &str, encryption: Encryption) -> MessageRecord {
    MessageRecord {
        id,
        account: ME.into(),
        peer: BOB.into(),
        direction: Direction::Incoming,
        body: body.into(),
        timestamp_ms: 1_795_381_500_000 + id * 60_000,
        message_id: None,
        origin_id: None,
        stanza_id: None,
        state: MessageState::Received,
        encryption,
        sender_device: None,
        room: None,
    }
}

fn encrypted(trust: OtrTrust, key_changed: bool) -> Event {
    Event::OtrState {
        account: ME.into(),
        jid: LAPTOP.into(),
        state: OtrSessionState::Encrypted {
            fingerprint: BOB_FP.into(),
            trust,
            version: 3,
            key_changed,
        },
    }
}

fn smp(progress: SmpProgress) -> Event {
    Event::OtrSmp {
        account: ME.into(),
        jid: LAPTOP.into(),
        progress,
    }
}

/// Bob's conversation, open and loaded.
fn bob() -> Harness {
    let mut h = with_roster();
    h.click("Bob Builder");
    h.events([Event::ConversationSnapshot {
        account: ME.into(),
        peer: BOB.into(),
        messages: vec![record(1, "hello", Encryption::Plain)],
        has_more: false,
        request: None,
    }]);
    h.commands.drain();
    h
}

#[test]
fn lock_follows_the_state_and_starts_and_ends_otr() {
    let mut h = bob();
    assert!(h.shows("Not encrypted"));
    h.click("Not encrypted");
    h.click("Start OTR");
    assert_eq!(
        h.commands.drain(),
        vec![Command::OtrStart {
            account: ME.into(),
            jid: BOB.into()
        }]
    );
    // Another contact's session changes nothing here.
    h.events([Event::OtrState {
        account: ME.into(),
        jid: "carol@example.net/pc".into(),
        state: OtrSessionState::Finished,
    }]);
    assert!(h.shows("Not encrypted"));
    h.events([encrypted(OtrTrust::Unverified, false)]);
    assert!(h.shows("OTR · unverified"));
    assert!(!h.shows("Not encrypted"));
    h.click("OTR · unverified");
    h.click("End OTR");
    assert_eq!(
        h.commands.drain(),
        vec![Command::OtrEnd {
            account: ME.into(),
            jid: LAPTOP.into()
        }]
    );
    h.events([Event::OtrState {
        account: ME.into(),
        jid: LAPTOP.into(),
        state: OtrSessionState::Finished,
    }]);
    assert!(h.shows("OTR ended by contact"));
    h.events([Event::OtrState {
        account: ME.into(),
        jid: LAPTOP.into(),
        state: OtrSessionState::Plaintext,
    }]);
    assert!(h.shows("Not encrypted"));
}

#[test]
fn the_lock_is_remembered_for_a_conversation_opened_later() {
    let mut h = with_roster();
    h.events([encrypted(OtrTrust::Smp, false)]);
    h.click("Bob Builder");
    assert!(h.shows("OTR · verified"));
}

#[test]
fn a_changed_key_is_a_warning() {
    let mut h = bob();
    h.events([encrypted(OtrTrust::Unverified, true)]);
    assert!(h.shows("Bob Builder's OTR key changed — verify it before trusting this conversation"));
    h.events([encrypted(OtrTrust::Unverified, false)]);
    assert!(
        !h.shows("Bob Builder's OTR key changed — verify it before trusting this conversation")
    );
}

#[test]
fn dialog_shows_fingerprints_and_marks_verified() {
    let mut h = bob();
    h.events([encrypted(OtrTrust::Unverified, false)]);
    h.click("OTR · unverified");
    h.click("Verify contact…");
    assert_eq!(
        h.commands.drain(),
        vec![Command::GetOtrFingerprints { account: ME.into() }]
    );
    h.events([Event::OtrFingerprints {
        account: ME.into(),
        own: OWN_FP.into(),
        contacts: vec![OtrContactFingerprint {
            contact: BOB.into(),
            fingerprint: BOB_FP.into(),
            trust: OtrTrust::Unverified,
        }],
        request: None,
    }]);
    assert!(h.shows("0A1B2C3D 4E5F6071 8293A4B5 C6D7E8F9 0A1B2C3D"));
    assert!(h.shows(BOB_FP));
    assert!(h.shows("You have not verified this key yet."));
    h.click("Mark as verified");
    assert_eq!(
        h.commands.drain(),
        vec![
            Command::SetOtrTrust {
                account: ME.into(),
                contact: BOB.into(),
                fingerprint: BOB_FP.into(),
                verified: true,
            },
            Command::GetOtrFingerprints { account: ME.into() }
        ]
    );
    assert!(h.shows("OTR · verified"));
    h.click("Close");
    assert!(!h.ready.conversation().unwrap().otr().dialog_open());
}

#[test]
fn smp_sends_question_and_secret_and_success_verifies() {
    let mut h = bob();
    h.events([encrypted(OtrTrust::Unverified, false)]);
    h.click("OTR · unverified");
    h.click("Verify contact…");
    h.commands.drain();
    h.type_into(SMP_QUESTION, "Our first cat?");
    h.type_into(SMP_SECRET, "Tiddles");
    h.click("Verify by secret");
    assert_eq!(
        h.commands.drain(),
        vec![Command::OtrSmp {
            account: ME.into(),
            jid: LAPTOP.into(),
            secret: Secret::new("Tiddles"),
            question: Some("Our first cat?".into()),
        }]
    );
    assert!(h.shows("Verifying Bob Builder… 0%"));
    h.events([smp(SmpProgress::InProgress { percent: 60 })]);
    assert!(h.shows("Verifying Bob Builder… 60%"));
    h.events([smp(SmpProgress::Succeeded)]);
    assert!(h.shows("OTR · verified"));
    assert!(
        h.shows("Verified: Bob Builder knew the secret. Their OTR key is now marked as verified.")
    );
    h.click("OK");
    assert!(h.ready.conversation().unwrap().otr().smp().is_none());
}

#[test]
fn a_request_shows_the_question_and_is_answered_or_declined() {
    let mut h = bob();
    h.events([
        encrypted(OtrTrust::Unverified, false),
        smp(SmpProgress::Requested {
            question: Some("Our first cat?".into()),
        }),
    ]);
    assert!(h.shows("Bob Builder wants to verify you and asks: Our first cat?"));
    h.type_into(SMP_ANSWER, "Tiddles");
    h.click("Answer");
    assert_eq!(
        h.commands.drain(),
        vec![Command::OtrSmpRespond {
            account: ME.into(),
            jid: LAPTOP.into(),
            secret: Secret::new("Tiddles"),
        }]
    );
    h.events([smp(SmpProgress::Failed)]);
    assert!(h.shows(
        "Verification failed: the secrets did not match. Bob Builder may not be who they claim to be."
    ));
    assert!(h.shows("OTR · unverified"));
    h.events([smp(SmpProgress::Requested { question: None })]);
    h.click("Decline");
    assert_eq!(
        h.commands.drain(),
        vec![Command::OtrSmpAbort {
            account: ME.into(),
            jid: LAPTOP.into(),
        }]
    );
    assert!(h.shows("Verification was stopped before it finished."));
}

#[test]
fn unreadable_messages_and_encrypted_ones_are_shown() {
    let mut h = bob();
    h.events([
        Event::OtrUnreadable {
            account: ME.into(),
            jid: LAPTOP.into(),
            reason: "the session it belongs to is gone".into(),
        },
        Event::MessageAdded {
            account: ME.into(),
            message: record(2, "secret hello", Encryption::Otr),
            request: None,
        },
    ]);
    assert!(h.shows(
        "A message from Bob Builder could not be decrypted: the session it belongs to is gone"
    ));
    assert!(h.shows("secret hello"));
    assert!(h.shows("Encrypted · OTR"));
    h.click("Dismiss");
    assert!(!h.shows(
        "A message from Bob Builder could not be decrypted: the session it belongs to is gone"
    ));
    // Sending stays automatic: the core picks OTR while the session is
    // encrypted.
    h.events([encrypted(OtrTrust::Unverified, false)]);
    h.type_into(COMPOSER, "Hi");
    h.commands.drain();
    h.click("Send");
    assert_eq!(
        h.commands.drain(),
        vec![Command::SendMessage {
            account: ME.into(),
            to: BOB.into(),
            body: "Hi".into(),
            encryption: None,
        }]
    );
}
