// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! OMEMO in the GUI: the lock's encryption choice and what it sends, the
//! notices about unreadable messages, skipped devices and renewed sessions,
//! the fingerprint dialog with its trust decisions and verification link,
//! and the trust mode setting — driven by fabricated core events, with the
//! exact commands asserted; and the trust mode against the real core.

use iced_test::Simulator;
use iced_test::selector::{Candidate, Target};
use sotto_core::{Command, Encryption, Event, OmemoDevice, OmemoTrust, OmemoTrustMode};
use sotto_desktop::App;
use sotto_desktop::prefs::Prefs;
use sotto_desktop::screen::ready::conversation::COMPOSER;
use sotto_desktop::screen::ready::conversation::omemo::URI_FIELD;
use sotto_desktop::screen::ready::{Message, Pane};

use crate::contacts::with_roster;
use crate::conversation::{BOB, ME};
use crate::real_core::{clicked, close, pump, unlock};
use crate::support::Harness;

pub const OWN_ID: u32 = 1_234_567;
pub const OWN_FP: &str = "0a1b2c3d 4e5f6071 8293a4b5 c6d7e8f9 0a1b2c3d 4e5f6071 8293a4b5 c6d7e8f9";
pub const OWN_URI: &str = "xmpp:alice@example.org?omemo-sid-1234567=0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9";
pub const PHONE_FP: &str =
    "3f8a2b10 c0ffee00 12345678 9abcdef0 deadbeef 01234567 89abcdef 0a1b2c3d";
pub const LAPTOP_FP: &str =
    "9c0d1e2f 3a4b5c6d 7e8f9a0b 1c2d3e4f 5a6b7c8d 9e0f1a2b 3c4d5e6f 7a8b9c0d";
const BOB_URI: &str = "xmpp:bob@example.org?omemo-sid-987654321=3f8a2b10c0ffee00123456789abcdef0deadbeef0123456789abcdef0a1b2c3d";

pub fn device(jid: &str, id: u32, fingerprint: &str, trust: OmemoTrust) -> OmemoDevice {
    OmemoDevice {
        jid: jid.into(),
        device_id: id,
        fingerprint: fingerprint.into(),
        trust,
        active: true,
        namespaces: vec!["omemo2".into()],
        problem: None,
    }
}

/// The core's answer to `get_omemo_fingerprints` for `jid`.
pub fn fingerprints(jid: &str, devices: Vec<OmemoDevice>) -> Event {
    Event::OmemoFingerprints {
        account: ME.into(),
        own: device(ME, OWN_ID, OWN_FP, OmemoTrust::Verified),
        own_uri: OWN_URI.into(),
        jid: jid.into(),
        devices,
        request: None,
    }
}

/// Bob's devices: a phone trusted blindly, a laptop waiting for a
/// decision, and an old tablet whose keys are gone.
pub fn bobs_devices(phone: OmemoTrust) -> Vec<OmemoDevice> {
    vec![
        device(BOB, 987_654_321, PHONE_FP, phone),
        device(BOB, 424_242, LAPTOP_FP, OmemoTrust::Undecided),
        OmemoDevice {
            active: false,
            problem: Some("the device published no keys (it may no longer exist)".into()),
            ..device(BOB, 55, "", OmemoTrust::Undecided)
        },
    ]
}

/// Bob's conversation, open and loaded, with nothing sent yet.
pub fn bob() -> Harness {
    let mut h = with_roster();
    h.click("Bob Builder");
    assert!(
        h.commands.drain().contains(&Command::GetOmemoFingerprints {
            account: ME.into(),
            jid: Some(BOB.into()),
        }),
        "opening asks for the contact's devices"
    );
    h.events([Event::ConversationSnapshot {
        account: ME.into(),
        peer: BOB.into(),
        messages: vec![],
        has_more: false,
        request: None,
    }]);
    h
}

fn send(h: &mut Harness, body: &str) -> Vec<Command> {
    h.type_into(COMPOSER, body);
    h.commands.drain();
    h.click("Send");
    h.commands.drain()
}

fn sent(body: &str, encryption: Option<Encryption>) -> Vec<Command> {
    vec![Command::SendMessage {
        account: ME.into(),
        to: BOB.into(),
        body: body.into(),
        encryption,
    }]
}

/// Clicks the `n`th (from 0) text showing `label`: for rows of equal
/// buttons.
fn click_nth(h: &mut Harness, label: &'static str, n: usize) {
    let messages: Vec<Message> = {
        let mut ui = Simulator::new(h.ready.view(&h.prefs));
        let mut seen = 0;
        ui.click(move |candidate: Candidate<'_>| match candidate {
            Candidate::Text { content, .. } if content == label => {
                seen += 1;
                (seen == n + 1).then(|| Target::from(candidate))
            }
            _ => None,
        })
        .unwrap_or_else(|e| panic!("cannot click {label:?} #{n}: {e}"));
        ui.into_messages().collect()
    };
    assert!(!messages.is_empty(), "clicking {label:?} #{n} did nothing");
    for m in messages {
        h.update(m);
    }
}

#[test]
fn the_lock_shows_and_switches_the_encryption() {
    let mut h = bob();
    // Nothing known yet: no OTR session, no OMEMO devices listed.
    assert!(h.shows("Not encrypted"));
    h.events([fingerprints(BOB, bobs_devices(OmemoTrust::Blind))]);
    assert!(h.shows("OMEMO · unverified"), "automatic picks OMEMO");
    assert_eq!(send(&mut h, "auto"), sent("auto", None));

    h.click("OMEMO · unverified");
    assert!(h.shows("Encrypt with"));
    h.click("OTR");
    assert!(h.shows("OTR · not started"));
    assert_eq!(send(&mut h, "otr"), sent("otr", Some(Encryption::Otr)));

    h.click("OTR · not started");
    h.click("No encryption");
    assert!(h.shows("Not encrypted"));
    assert_eq!(
        send(&mut h, "plain"),
        sent("plain", Some(Encryption::Plain))
    );

    // The choice is remembered for the conversation.
    h.click("Dave");
    h.click("Bob Builder");
    assert!(h.shows("Not encrypted"));
    assert_eq!(
        send(&mut h, "again"),
        sent("again", Some(Encryption::Plain))
    );

    h.click("Not encrypted");
    h.click("OMEMO");
    assert!(h.shows("OMEMO · unverified"));
    assert_eq!(
        send(&mut h, "omemo"),
        sent("omemo", Some(Encryption::Omemo))
    );
    h.click("OMEMO · unverified");
    h.click("Automatic");
    assert_eq!(send(&mut h, "back"), sent("back", None));
}

#[test]
fn the_lock_follows_trust_and_devices() {
    let mut h = bob();
    // Bob's only device is undecided: OMEMO, but nobody to write to.
    h.events([fingerprints(
        BOB,
        vec![device(BOB, 424_242, LAPTOP_FP, OmemoTrust::Undecided)],
    )]);
    assert!(h.shows("OMEMO · no trusted device"));
    h.events([fingerprints(BOB, bobs_devices(OmemoTrust::Verified))]);
    assert!(h.shows("OMEMO · verified"));
    // A device seen for the first time asks for a decision.
    h.events([Event::OmemoDevice {
        account: ME.into(),
        device: device(BOB, 777, LAPTOP_FP, OmemoTrust::Undecided),
    }]);
    let notice = "Bob Builder has a new device (777) you have not decided about: \
                  messages are not encrypted to it yet.";
    assert!(h.shows(notice));
    h.click("Review…");
    assert!(h.ready.conversation().unwrap().omemo().dialog_open());
    // Deciding about it (the core's answer) takes the notice away.
    let mut decided = bobs_devices(OmemoTrust::Verified);
    decided.push(device(BOB, 777, LAPTOP_FP, OmemoTrust::Distrusted));
    h.events([fingerprints(BOB, decided)]);
    assert!(!h.shows(notice));
}

#[test]
fn notices_say_why_and_are_dismissed() {
    let mut h = bob();
    h.events([
        Event::OmemoUnreadable {
            account: ME.into(),
            peer: BOB.into(),
            device_id: 987_654_321,
            reason: "message corrupted".into(),
        },
        Event::OmemoDeviceSkipped {
            account: ME.into(),
            jid: BOB.into(),
            device_id: 424_242,
            reason: "not trusted yet: verify its fingerprint or trust it to write to it".into(),
        },
        Event::OmemoSessionRepaired {
            account: ME.into(),
            jid: BOB.into(),
            device_id: 987_654_321,
        },
        // About another contact: not shown here.
        Event::OmemoUnreadable {
            account: ME.into(),
            peer: "carol@example.net".into(),
            device_id: 5,
            reason: "replayed: this message was already decrypted once".into(),
        },
    ]);
    let unreadable =
        "A message from Bob Builder's device 987654321 could not be decrypted: message corrupted";
    let skipped = "Bob Builder's device 424242 did not get your message: \
                   not trusted yet: verify its fingerprint or trust it to write to it";
    let repaired = "The encrypted session with Bob Builder's device 987654321 was broken and \
                    has been renewed. Messages it sent before may be lost: ask Bob Builder to \
                    send again if something is missing.";
    assert!(h.shows(unreadable));
    assert!(h.shows(skipped));
    assert!(h.shows(repaired));
    assert!(!h.shows("replayed: this message was already decrypted once"));
    assert_eq!(h.ready.conversation().unwrap().omemo().notices().len(), 3);
    h.click("Dismiss");
    assert!(!h.shows(unreadable));
    assert!(h.shows(skipped));
    h.click("Dismiss");
    h.click("Dismiss");
    assert!(h.ready.conversation().unwrap().omemo().notices().is_empty());
    assert!(!h.shows(repaired));
}

#[test]
fn the_dialog_lists_devices_and_sends_trust_decisions() {
    let mut h = bob();
    h.click("Not encrypted");
    h.click("Fingerprints…");
    assert_eq!(
        h.commands.drain(),
        vec![
            Command::GetOmemoFingerprints {
                account: ME.into(),
                jid: Some(BOB.into()),
            },
            Command::GetOmemoFingerprints {
                account: ME.into(),
                jid: None,
            },
        ]
    );
    assert!(h.shows("OMEMO keys · Bob Builder"));
    assert!(h.shows("Loading…"));
    h.events([
        fingerprints(BOB, bobs_devices(OmemoTrust::Blind)),
        fingerprints(
            ME,
            vec![device(ME, 31_337, LAPTOP_FP, OmemoTrust::Verified)],
        ),
    ]);
    assert!(h.shows("This device (1234567)"));
    assert!(h.shows(OWN_FP));
    assert!(h.shows("Let Bob Builder scan this code with their OMEMO app to verify this device."));
    assert!(h.shows("Device 987654321"));
    assert!(h.shows(PHONE_FP));
    assert!(h.shows("Trusted (not verified)"));
    assert!(h.shows("Device 424242"));
    assert!(h.shows("Undecided"));
    assert!(h.shows("Device 55"));
    assert!(h.shows("· no longer in use"));
    assert!(h.shows("the device published no keys (it may no longer exist)"));
    assert!(h.shows("Your other devices"));
    assert!(h.shows("Device 31337"));
    assert!(h.shows("Verified"));

    // The phone: verify. The laptop (second "Distrust"): distrust.
    click_nth(&mut h, "Verify", 0);
    assert_eq!(
        h.commands.drain(),
        vec![Command::SetOmemoTrust {
            account: ME.into(),
            jid: BOB.into(),
            fingerprint: PHONE_FP.into(),
            trust: OmemoTrust::Verified,
        }]
    );
    click_nth(&mut h, "Distrust", 1);
    assert_eq!(
        h.commands.drain(),
        vec![Command::SetOmemoTrust {
            account: ME.into(),
            jid: BOB.into(),
            fingerprint: LAPTOP_FP.into(),
            trust: OmemoTrust::Distrusted,
        }]
    );
    click_nth(&mut h, "Trust", 0);
    assert_eq!(
        h.commands.drain(),
        vec![Command::SetOmemoTrust {
            account: ME.into(),
            jid: BOB.into(),
            fingerprint: LAPTOP_FP.into(),
            trust: OmemoTrust::Blind,
        }]
    );
    // The core confirms with the new states.
    let mut now = bobs_devices(OmemoTrust::Verified);
    now[1].trust = OmemoTrust::Distrusted;
    h.events([fingerprints(BOB, now)]);
    assert!(h.shows("Not trusted"));
    assert!(!h.shows("Trusted (not verified)"));
    h.click("Close");
    assert!(!h.ready.conversation().unwrap().omemo().dialog_open());
    assert!(h.shows("OMEMO · verified"));
}

#[test]
fn a_pasted_link_is_verified_and_a_refusal_shown() {
    let mut h = bob();
    h.click("Not encrypted");
    h.click("Fingerprints…");
    h.events([fingerprints(BOB, bobs_devices(OmemoTrust::Blind))]);
    h.commands.drain();
    h.type_into(URI_FIELD, BOB_URI);
    h.click("Verify link");
    assert_eq!(
        h.commands.drain(),
        vec![Command::VerifyOmemoUri {
            account: ME.into(),
            uri: BOB_URI.into(),
        }]
    );
    let refused = "the key of device 987654321 does not match the link";
    h.events([Event::CommandFailed {
        account: Some(ME.into()),
        reason: refused.into(),
        request: None,
    }]);
    assert!(h.shows(refused));
    h.events([fingerprints(BOB, bobs_devices(OmemoTrust::Verified))]);
    assert!(!h.shows(refused));
    // The field was emptied; something that is not a link is not sent.
    h.type_into(URI_FIELD, "hello");
    let mut ui = Simulator::new(h.ready.view(&h.prefs));
    ui.click("Verify link").unwrap();
    assert!(ui.into_messages().next().is_none(), "a non-link was sent");
}

#[test]
fn the_trust_mode_setting_reflects_the_core() {
    let mut h = Harness::new();
    h.update(Message::Show(Pane::Settings));
    assert!(h.shows("New OMEMO devices"));
    assert!(h.shows("Waiting for the current setting…"));
    h.events([Event::OmemoTrustMode {
        mode: OmemoTrustMode::Btbv,
    }]);
    assert!(h.shows(
        "A contact's new devices are trusted until you verify one of their devices; \
         after that, new devices wait for your decision (as Conversations does)."
    ));
    h.click("Ask me about every new device");
    assert_eq!(
        h.commands.drain(),
        vec![Command::SetOmemoTrustMode {
            mode: OmemoTrustMode::Manual
        }]
    );
    // Shown only once the core confirms it.
    assert_eq!(h.ready.e2e().trust_mode(), Some(OmemoTrustMode::Btbv));
    h.events([Event::OmemoTrustMode {
        mode: OmemoTrustMode::Manual,
    }]);
    assert!(h.shows(
        "Messages are encrypted only to devices you have trusted or verified. \
         Each new device waits for your decision."
    ));
    h.click("Trust new devices until I verify one");
    assert_eq!(
        h.commands.drain(),
        vec![Command::SetOmemoTrustMode {
            mode: OmemoTrustMode::Btbv
        }]
    );
}

/// The real core announces its trust mode at start, takes the setting's
/// change and still has it after a restart.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_trust_mode_is_the_cores_and_survives_a_restart() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("profile");
    let mode = |a: &App| a.ready().and_then(|r| r.e2e().trust_mode());

    let (mut app, _) = App::new(dir.clone(), Prefs::default());
    let mut link = unlock(&mut app, "correct horse battery", true).await;
    pump(&mut app, &mut link, "the trust mode", |a| mode(a).is_some()).await;
    assert_eq!(mode(&app), Some(OmemoTrustMode::Btbv));
    let _ = app.update(sotto_desktop::Message::Ready(Message::Show(Pane::Settings)));
    clicked(&mut app, "Ask me about every new device").await;
    pump(&mut app, &mut link, "the new trust mode", |a| {
        mode(a) == Some(OmemoTrustMode::Manual)
    })
    .await;
    close(&mut app, &mut link).await;

    let (mut app, _) = App::new(dir.clone(), Prefs::load(&dir));
    let mut link = unlock(&mut app, "correct horse battery", false).await;
    pump(&mut app, &mut link, "the trust mode", |a| mode(a).is_some()).await;
    assert_eq!(mode(&app), Some(OmemoTrustMode::Manual));
    close(&mut app, &mut link).await;
}

/// Each encrypted message says which of the contact's keys sent it and how
/// far that key is trusted; a device the app has not listed is named by id.
#[test]
fn encrypted_messages_show_the_sending_key_and_its_trust() {
    use sotto_store::{Direction, Encryption as Stored, MessageState};

    let mut h = bob();
    h.events([fingerprints(BOB, bobs_devices(OmemoTrust::Verified))]);
    let from = |id: i64, device: u32, body: &str| {
        let mut m =
            crate::conversation::record(id, Direction::Incoming, body, MessageState::Received);
        m.peer = BOB.into();
        m.encryption = Stored::Omemo;
        m.sender_device = Some(device);
        m
    };
    h.events([Event::ConversationSnapshot {
        account: ME.into(),
        peer: BOB.into(),
        messages: vec![
            from(1, 987_654_321, "from the phone"),
            from(2, 424_242, "from the laptop"),
            from(3, 77, "from a device nobody listed"),
        ],
        has_more: false,
        request: None,
    }]);
    let phone_key = format!("key {}", PHONE_FP.split(' ').next().unwrap());
    let laptop_key = format!("key {}", LAPTOP_FP.split(' ').next().unwrap());
    assert!(h.shows(&phone_key));
    assert!(h.shows("Verified"));
    assert!(h.shows(&laptop_key));
    assert!(h.shows("device 77"));

    // Distrusting the phone shows on its messages at once.
    h.events([fingerprints(BOB, bobs_devices(OmemoTrust::Distrusted))]);
    assert!(h.shows("Not trusted"));
}
