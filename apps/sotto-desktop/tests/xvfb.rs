// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! The real `sotto-desktop` binary in a real X window (Xvfb), driven as a
//! person drives it: xdotool types the passphrase, opens the conversation
//! and sends a message; a headless Sotto core on the other side of a real
//! Prosody receives it and answers. The answer must be in the app's
//! profile once the window is closed, and a screenshot of the conversation
//! is saved as `test-artifacts/xvfb/conversation.png` under the target dir.
//!
//! Needs the Debian packages prosody, xvfb, xdotool, x11-apps (xwd) and
//! netpbm (`tests/run.sh` installs them).

#![allow(clippy::unwrap_used)]

#[path = "xvfb/x11.rs"]
mod x11;

use std::path::Path;
use std::time::{Duration, Instant};

use sotto_core::{Availability, Command, Event};
use sotto_store::{
    Direction, MessageState, MessageStore as _, Password, ProfileKey, SettingsStore as _, SqlStore,
    Subscription,
};
use sotto_tests::profile::{PASSPHRASE, Profile, prosody_with};

use x11::{Xvfb, poll};

const PASSWORD: &str = "pw-of-the-xvfb-test";
const KNOCK: &str = "Are you there, Alice?";
const MESSAGE: &str = "Hello Bob, typed in a real window";
const REPLY: &str = "Hi Alice, loud and clear";
/// Generous: a loaded two-core machine, a debug build, SQLCipher's key
/// derivation and a TLS login stand between a keystroke and its effect.
const WAIT: Duration = Duration::from_secs(60);

/// Alice and Bob subscribe to each other through their headless cores.
async fn befriend(alice: &mut Profile, bob: &mut Profile, alice_jid: &str, bob_jid: &str) {
    alice.send(Command::AddContact {
        account: alice_jid.into(),
        jid: bob_jid.into(),
        name: Some("Bob".into()),
        groups: Vec::new(),
    });
    let from_alice = alice_jid.to_owned();
    bob.expect(
        "Alice's subscription request",
        |e| matches!(e, Event::SubscriptionRequest { from, .. } if *from == from_alice),
    )
    .await;
    bob.send(Command::AnswerSubscription {
        account: bob_jid.into(),
        jid: alice_jid.into(),
        approve: true,
    });
    let from_bob = bob_jid.to_owned();
    alice
        .expect(
            "Bob's subscription request",
            |e| matches!(e, Event::SubscriptionRequest { from, .. } if *from == from_bob),
        )
        .await;
    alice.send(Command::AnswerSubscription {
        account: alice_jid.into(),
        jid: bob_jid.into(),
        approve: true,
    });
    for (profile, contact) in [(alice, bob_jid), (bob, alice_jid)] {
        let contact = contact.to_owned();
        profile
            .expect("mutual subscription", |e| {
                matches!(e, Event::RosterItemChanged { item, .. }
                    if item.jid == contact && item.subscription == Subscription::Both)
            })
            .await;
    }
}

/// Waits until the app's log shows its first drawn frame (the start-up
/// milestone of `sotto_desktop::startup`), so keystrokes are not typed
/// into a window that cannot take them yet.
fn wait_first_frame(app: &mut x11::App) {
    let log = app.log.clone();
    poll("the app's first frame", WAIT, || {
        app.assert_running();
        std::fs::read_to_string(&log)
            .unwrap_or_default()
            .contains("first frame")
            .then_some(())
    });
}

/// Clicks Bob's line, the only one in the contact list (about y = 160 with
/// the default fonts, under the tabs, the filter and "+ Add contact").
/// Fonts and layout move it, so heights below the add button are tried,
/// likeliest first: only the list's group header and empty space are
/// there otherwise, where a click does nothing. Opening the conversation
/// clears its unread count in the window title, which tells when the
/// click landed.
fn open_conversation(xvfb: &Xvfb, window: &str, artifacts: &Path) {
    for y in [165, 155, 175, 185, 150, 195, 205, 215] {
        xvfb.xdo(&[
            "mousemove",
            "--window",
            window,
            "150",
            &y.to_string(),
            "click",
            "1",
        ]);
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if xvfb.title(window) == "Sotto" {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
    let png = artifacts.join("failed-to-open.png");
    xvfb.screenshot(window, &png);
    panic!(
        "clicking the contact list did not open Bob's conversation (title {:?}); see {}",
        xvfb.title(window),
        png.display()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_real_app_in_an_x_window_chats_with_a_headless_core() {
    let started = Instant::now();
    let artifacts = x11::artifact_dir().join("xvfb");
    std::fs::create_dir_all(&artifacts).unwrap();
    let server = prosody_with(&[("alice", PASSWORD), ("bob", PASSWORD)]);
    let (alice_jid, bob_jid) = (server.jid("alice"), server.jid("bob"));

    // Alice's profile, prepared headless: her account (pinned to the
    // server's certificate) and Bob as a mutual contact. Bob stays online.
    let mut alice = Profile::new("alice-desktop");
    let mut bob = Profile::new("bob");
    alice.login(&server, "alice", PASSWORD).await;
    bob.login(&server, "bob", PASSWORD).await;
    befriend(&mut alice, &mut bob, &alice_jid, &bob_jid).await;
    let profile_root = alice.shutdown().await;
    let profile = profile_root.join("profile");
    bob.forget();
    let prepared = started.elapsed();

    let xvfb = Xvfb::start();
    let mut app = x11::App::start(&xvfb, &profile, artifacts.join("sotto-desktop.log"));
    let window = poll("the Sotto window", WAIT, || {
        app.assert_running();
        let found = xvfb
            .xdotool(&["search", "--onlyvisible", "--name", "^Sotto$"])
            .ok()?;
        found.lines().next().map(str::to_owned)
    });
    wait_first_frame(&mut app);
    let launched = started.elapsed();

    // Unlock with the passphrase: the core starts and logs Alice in.
    xvfb.xdo(&["windowfocus", "--sync", &window]);
    xvfb.xdo(&["type", "--delay", "30", PASSPHRASE]);
    xvfb.xdo(&["key", "Return"]);
    let alice_online = alice_jid.clone();
    bob.expect("Alice online from the app", |e| {
        matches!(e, Event::Presence { from, availability, .. }
            if from.starts_with(&format!("{alice_online}/"))
                && *availability != Availability::Unavailable)
    })
    .await;
    app.assert_running();

    // Bob knocks: the title counts the unread message, proof that the
    // unlocked app is up and following the core.
    bob.send_message(&bob_jid, &alice_jid, KNOCK);
    poll("the unread count in the title", WAIT, || {
        app.assert_running();
        (xvfb.title(&window) == "(1) Sotto").then_some(())
    });

    // Alice opens the conversation and answers; Enter sends.
    open_conversation(&xvfb, &window, &artifacts);
    xvfb.xdo(&["type", "--delay", "30", MESSAGE]);
    xvfb.xdo(&["key", "Return"]);
    let got = bob.expect_message(MESSAGE).await;
    assert_eq!(got.body, MESSAGE);
    assert_eq!(got.direction, Direction::Incoming);
    assert_eq!(got.peer, alice_jid);

    // Bob replies; his core hears Alice's receipt once her app's core has
    // stored the reply.
    bob.send_message(&bob_jid, &alice_jid, REPLY);
    let reply = bob.expect_message(REPLY).await;
    let reply_id = reply.id;
    bob.expect("Alice's receipt for the reply", |e| {
        matches!(e, Event::MessageStateChanged { id, state: MessageState::Delivered, .. }
            if *id == reply_id)
    })
    .await;
    // Read in the open, focused conversation: nothing unread.
    assert_eq!(xvfb.title(&window), "Sotto");
    // A moment for the reply to be drawn; the picture is for people, the
    // assertions above and below are on the app's state.
    std::thread::sleep(Duration::from_secs(1));
    let png = artifacts.join("conversation.png");
    let (width, height) = xvfb.screenshot(&window, &png);
    assert!(width >= 640 && height >= 420, "{width}x{height}");

    // Close the window as a window manager would: the app logs out,
    // saves its state and exits.
    xvfb.close_window(&window);
    let status = app.wait_exit(WAIT);
    assert!(status.success(), "sotto-desktop exited with {status}");
    check_profile(&profile, &alice_jid, &bob_jid);
    bob.shutdown().await;
    eprintln!(
        "xvfb test: profiles ready in {prepared:.1?}, window up at {launched:.1?}, \
         done in {:.1?}; screenshot {}",
        started.elapsed(),
        png.display()
    );
}

/// The closed app left the whole exchange in Alice's encrypted profile, and
/// remembered the open conversation.
fn check_profile(dir: &Path, alice_jid: &str, bob_jid: &str) {
    let key = ProfileKey::Passphrase(Password::new(PASSPHRASE.into()));
    let store = SqlStore::open(dir, &key).unwrap();
    let history: Vec<_> = store
        .history(alice_jid, bob_jid, None, 10)
        .unwrap()
        .into_iter()
        .map(|m| (m.direction, m.body, m.state))
        .collect();
    assert_eq!(
        history
            .iter()
            .map(|(d, b, _)| (*d, b.as_str()))
            .collect::<Vec<_>>(),
        [
            (Direction::Incoming, KNOCK),
            (Direction::Outgoing, MESSAGE),
            (Direction::Incoming, REPLY),
        ]
    );
    assert_eq!(history[1].2, MessageState::Delivered, "Bob's receipt");
    let last: (String, String) =
        serde_json::from_str(&store.setting("gui.last_conversation").unwrap().unwrap()).unwrap();
    assert_eq!(last, (alice_jid.to_owned(), bob_jid.to_owned()));
}
