// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! Sotto's core against an independent OMEMO client over a real server
//! (Prosody and ejabberd; the storage scan reads Prosody's files, so it runs
//! on Prosody only):
//! alice is Sotto (profiles driven through commands and events), bob is the
//! slixmpp + slixmpp-omemo peer (`tests/omemo-peer/xmpp_peer.py`). Cold
//! starts in both directions and both namespaces, two devices on each side
//! with carbons, a device removed from a published list and learned by PEP
//! notification, offline delivery both ways, and no plaintext on the server
//! or in the profile. Every check is on the exact text that arrived and,
//! on the peer's side, on the keys the stanza carried (whom Sotto encrypted
//! for, and whether with a key exchange).

#![allow(clippy::unwrap_used)]

#[path = "omemo_interop/support.rs"]
mod support;

use sotto_core::{Event, OmemoTrust};
use sotto_store::{Direction, Encryption as Stored, MessageStore};
use sotto_tests::profile::Profile;
use sotto_tests::scan_for_plaintext;
use sotto_tests::xmpp_peer::{Carbon, Ns, PeerEvent, PeerOptions, SendNs, SentKey, XmppPeer};
use sotto_tests::{ServerKind, TestDir, XmppServer};

use support::{
    ALICE, BOB, WAIT, befriend, fingerprints, omemo_ready, peer, peer_reads, prosody,
    same_fingerprint, sotto, sotto_reads, sotto_sends, until_bob_listed,
};

/// Each scenario on Prosody and on ejabberd: `name::prosody`, `name::ejabberd`.
macro_rules! on_both_servers {
    ($($name:ident),+ $(,)?) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn prosody() {
                    super::$name(super::ServerKind::Prosody).await;
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn ejabberd() {
                    super::$name(super::ServerKind::Ejabberd).await;
                }
            }
        )+
    };
}

on_both_servers!(
    sotto_writes_first_and_the_peer_answers,
    peer_writes_first_in_legacy,
    peer_writes_first_in_omemo2,
    every_device_reads_every_other_device,
    a_device_removed_from_the_list_is_no_longer_encrypted_for,
    sotto_writes_while_the_peer_is_offline,
    the_peer_writes_while_sotto_is_offline,
);

/// The fallback body of the peer's encrypted messages (`FALLBACK` in
/// `xmpp_peer.py`).
const PEER_FALLBACK: &str = "This message is OMEMO encrypted (Sotto test peer).";

/// Sotto, never in touch with bob, writes first with the default
/// encryption: OMEMO 2 (bob's device lists both namespaces), with a key
/// exchange; the peer completes the session; its reply shows as OMEMO; and
/// Sotto's next message no longer carries a key exchange.
async fn sotto_writes_first_and_the_peer_answers(kind: ServerKind) {
    let prosody = prosody(kind);
    let ((mut alice, alice_dev), (mut bob, bob_dev)) =
        tokio::join!(sotto(&prosody, "alice"), peer(&prosody, "b1"));

    let text = "InteropCanary Sotto first: grüße <&> 🦊";
    let sent = sotto_sends(&mut alice, text).await;
    assert_eq!(
        sent.encryption,
        Stored::Omemo,
        "default encryption for a contact with OMEMO devices"
    );
    let got = peer_reads(&mut bob, text).await;
    assert!(got.encrypted);
    assert_eq!(got.from, ALICE);
    assert_eq!(got.sender_device, Some(alice_dev));
    assert_eq!(got.ns, Some(Ns::Omemo2), "OMEMO 2 where announced");
    assert_eq!(got.devices(Ns::Omemo2, Some(BOB)), vec![bob_dev]);
    assert!(
        got.devices(Ns::Legacy, None).is_empty(),
        "no legacy element for a device that speaks OMEMO 2: {got:?}"
    );
    assert!(got.key_for(Ns::Omemo2, bob_dev).unwrap().key_exchange);
    let sce = got.sce.as_ref().unwrap();
    assert_eq!(sce["from"], ALICE);
    assert_eq!(sce["to"], BOB);

    // python-omemo completes the session it was offered at once.
    bob.wait_event(WAIT, "the peer's session completion", |e| {
        matches!(e, PeerEvent::SentEmpty { to, device_id, ns: Some(Ns::Omemo2) }
            if to == ALICE && *device_id == alice_dev)
    })
    .await
    .unwrap();
    // Sotto met the peer's device now: blindly trusted, same fingerprint
    // as python-omemo's.
    let bob_fp = bob.info.as_ref().unwrap().fingerprint_omemo2.clone();
    alice
        .expect("Bob's device announced", |e| {
            matches!(e, Event::OmemoDevice { device, .. }
                if device.jid == BOB && device.device_id == bob_dev
                    && device.trust == OmemoTrust::Blind
                    && same_fingerprint(&device.fingerprint, &bob_fp))
        })
        .await;

    // The peer answers as slixmpp-omemo would choose: OMEMO 2, in the
    // session Sotto started (no key exchange from the passive side).
    let reply = "InteropCanary the peer's reply";
    let sent = bob.send(ALICE, reply, SendNs::Auto).await.unwrap();
    assert_eq!(
        sent.keys,
        vec![SentKey {
            ns: Ns::Omemo2,
            jid: ALICE.into(),
            device_id: alice_dev,
            key_exchange: false,
        }]
    );
    let got = sotto_reads(&mut alice, reply).await;
    assert_eq!(got.encryption, Stored::Omemo);
    assert_eq!(got.direction, Direction::Incoming);
    assert_eq!(got.peer, BOB);

    let again = "InteropCanary Sotto again";
    sotto_sends(&mut alice, again).await;
    let got = peer_reads(&mut bob, again).await;
    assert_eq!(got.ns, Some(Ns::Omemo2));
    assert!(
        !got.key_for(Ns::Omemo2, bob_dev).unwrap().key_exchange,
        "the session is confirmed: {got:?}"
    );
    alice.shutdown().await;
    bob.quit().await;
}

/// The peer, never in touch with Sotto, writes first in `ns`; Sotto reads
/// it and answers with the default encryption (OMEMO 2: the device lists
/// it); the peer reads that; the peer's next message in `ns` carries no key
/// exchange (Sotto confirmed the session) and Sotto reads it too.
async fn peer_writes_first(kind: ServerKind, ns: Ns) {
    let prosody = prosody(kind);
    let ((mut alice, alice_dev), (mut bob, bob_dev)) =
        tokio::join!(sotto(&prosody, "alice"), peer(&prosody, "b1"));

    let text = format!("InteropCanary peer first in {ns:?}: grüße <&> 🦊");
    let sent = bob.send(ALICE, &text, ns).await.unwrap();
    assert_eq!(sent.namespaces, vec![ns]);
    assert_eq!(sent.devices(ns, ALICE), vec![alice_dev]);
    assert!(sent.keys.iter().all(|k| k.key_exchange), "{sent:?}");
    let got = sotto_reads(&mut alice, &text).await;
    assert_eq!(got.encryption, Stored::Omemo);
    assert_eq!(got.direction, Direction::Incoming);
    assert_eq!(got.peer, BOB);
    let bob_fp = bob.info.as_ref().unwrap().fingerprint_legacy.clone();
    alice
        .expect("Bob's device announced", |e| {
            matches!(e, Event::OmemoDevice { device, .. }
                if device.jid == BOB && device.device_id == bob_dev
                    && device.trust == OmemoTrust::Blind
                    && same_fingerprint(&device.fingerprint, &bob_fp))
        })
        .await;

    let reply = format!("InteropCanary Sotto answers {ns:?}");
    assert_eq!(
        sotto_sends(&mut alice, &reply).await.encryption,
        Stored::Omemo
    );
    let got = peer_reads(&mut bob, &reply).await;
    assert!(got.encrypted);
    assert_eq!(got.ns, Some(Ns::Omemo2), "{got:?}");
    assert_eq!(got.sender_device, Some(alice_dev));
    assert_eq!(got.devices(Ns::Omemo2, Some(BOB)), vec![bob_dev]);
    assert!(got.devices(Ns::Legacy, None).is_empty(), "{got:?}");
    // In OMEMO 2 Sotto answers in the session the peer started; a legacy
    // session does not serve OMEMO 2, so there Sotto starts one.
    assert_eq!(
        got.key_for(Ns::Omemo2, bob_dev).unwrap().key_exchange,
        ns == Ns::Legacy,
        "{got:?}"
    );
    if ns == Ns::Legacy {
        // Sotto did not write in the legacy session the peer started, so
        // it completes it with an empty message (after 10 s) — which
        // python-omemo decrypts.
        bob.wait_event(
            WAIT + std::time::Duration::from_secs(10),
            "Sotto's legacy session completion",
            |e| {
                matches!(e, PeerEvent::Empty { from, ns: Some(Ns::Legacy), sender_device: Some(d) }
                    if from == ALICE && *d == alice_dev)
            },
        )
        .await
        .unwrap();
    }

    let again = format!("InteropCanary peer again in {ns:?}");
    let sent = bob.send(ALICE, &again, ns).await.unwrap();
    assert_eq!(sent.devices(ns, ALICE), vec![alice_dev]);
    assert!(
        sent.keys.iter().all(|k| !k.key_exchange),
        "Sotto confirmed the peer's session: {sent:?}"
    );
    assert_eq!(
        sotto_reads(&mut alice, &again).await.encryption,
        Stored::Omemo
    );
    alice.shutdown().await;
    bob.quit().await;
}

async fn peer_writes_first_in_legacy(kind: ServerKind) {
    peer_writes_first(kind, Ns::Legacy).await;
}

async fn peer_writes_first_in_omemo2(kind: ServerKind) {
    peer_writes_first(kind, Ns::Omemo2).await;
}

/// Two Sotto profiles of alice and two peer devices of bob: what any one of
/// the four sends, the other three read — bob's devices directly, alice's
/// other device as a sent carbon and vice versa.
async fn every_device_reads_every_other_device(kind: ServerKind) {
    let prosody = prosody(kind);
    let ((mut phone, phone_id), (mut b1, b1_id)) =
        tokio::join!(sotto(&prosody, "alice-phone"), peer(&prosody, "b1"));
    let ((mut laptop, laptop_id), (mut b2, b2_id)) =
        tokio::join!(sotto(&prosody, "alice-laptop"), peer(&prosody, "b2"));
    let mut alice_devs = vec![phone_id, laptop_id];
    alice_devs.sort_unstable();
    let mut bob_devs = vec![b1_id, b2_id];
    bob_devs.sort_unstable();

    // Everyone knows every device before the first message.
    for (profile, other) in [(&mut phone, laptop_id), (&mut laptop, phone_id)] {
        let own = fingerprints(profile, None).await;
        assert!(
            own.iter().any(|d| d.device_id == other && d.active),
            "{own:?}"
        );
        let bobs = fingerprints(profile, Some(BOB)).await;
        let mut active: Vec<u32> = bobs
            .iter()
            .filter(|d| d.active)
            .map(|d| d.device_id)
            .collect();
        active.sort_unstable();
        assert_eq!(active, bob_devs, "{bobs:?}");
    }
    for peer in [&mut b1, &mut b2] {
        let both = (alice_devs.clone(), alice_devs.clone());
        assert_eq!(peer.refresh(ALICE).await.unwrap(), both);
        let both = (bob_devs.clone(), bob_devs.clone());
        assert_eq!(peer.refresh(BOB).await.unwrap(), both);
    }

    // Sotto's devices write: bob's two read, and alice's other device reads
    // the sent carbon.
    let bob_side = [&mut b1, &mut b2];
    sotto_device_writes(&mut phone, phone_id, &mut laptop, laptop_id, bob_side).await;
    let bob_side = [&mut b1, &mut b2];
    sotto_device_writes(&mut laptop, laptop_id, &mut phone, phone_id, bob_side).await;

    // Bob's devices write (the first as slixmpp-omemo would choose, the
    // second in legacy): alice's two read, and bob's other device reads the
    // sent carbon.
    let alice_side = [&mut phone, &mut laptop];
    peer_device_writes(&mut b1, &mut b2, SendNs::Auto, &alice_devs, alice_side).await;
    let alice_side = [&mut phone, &mut laptop];
    peer_device_writes(&mut b2, &mut b1, SendNs::Legacy, &alice_devs, alice_side).await;
    phone.shutdown().await;
    laptop.shutdown().await;
    b1.quit().await;
    b2.quit().await;
}

/// One of alice's Sotto devices writes to bob: both of bob's devices read it
/// (OMEMO 2, keys for both of them and for alice's other device), and the
/// other Sotto device reads the sent carbon.
async fn sotto_device_writes(
    sender: &mut Profile,
    sender_id: u32,
    other: &mut Profile,
    other_id: u32,
    bob_side: [&mut XmppPeer; 2],
) {
    let text = format!("InteropCanary from Sotto device {sender_id}");
    sotto_sends(sender, &text).await;
    let mut bob_devs = Vec::new();
    for peer in &bob_side {
        bob_devs.push(peer.device_id().unwrap());
    }
    bob_devs.sort_unstable();
    for peer in bob_side {
        let got = peer_reads(peer, &text).await;
        assert!(got.encrypted);
        assert_eq!(got.from, ALICE);
        assert_eq!(got.sender_device, Some(sender_id));
        assert_eq!(got.ns, Some(Ns::Omemo2));
        assert_ne!(got.carbon, Some(Carbon::Sent));
        assert_eq!(got.devices(Ns::Omemo2, Some(BOB)), bob_devs, "{got:?}");
        assert_eq!(got.devices(Ns::Omemo2, Some(ALICE)), vec![other_id]);
    }
    let copy = sotto_reads(other, &text).await;
    assert_eq!(copy.direction, Direction::Outgoing, "a sent carbon");
    assert_eq!(copy.peer, BOB);
    assert_eq!(copy.encryption, Stored::Omemo);
}

/// One of bob's peer devices writes to alice in `ns`: both Sotto devices
/// read it, and bob's other device reads the sent carbon.
async fn peer_device_writes(
    sender: &mut XmppPeer,
    other: &mut XmppPeer,
    ns: SendNs,
    alice_devs: &[u32],
    alice_side: [&mut Profile; 2],
) {
    let (sender_id, other_id) = (sender.device_id().unwrap(), other.device_id().unwrap());
    let wire_ns = if ns == SendNs::Legacy {
        Ns::Legacy
    } else {
        Ns::Omemo2
    };
    let text = format!("InteropCanary from peer device {sender_id}");
    let sent = sender.send(ALICE, &text, ns).await.unwrap();
    assert_eq!(sent.namespaces, vec![wire_ns]);
    assert_eq!(sent.devices(wire_ns, ALICE), alice_devs, "{sent:?}");
    assert_eq!(sent.devices(wire_ns, BOB), vec![other_id]);
    for profile in alice_side {
        let got = sotto_reads(profile, &text).await;
        assert_eq!(got.direction, Direction::Incoming);
        assert_eq!(got.peer, BOB);
        assert_eq!(got.encryption, Stored::Omemo);
    }
    let carbon = peer_reads(other, &text).await;
    assert_eq!(carbon.carbon, Some(Carbon::Sent));
    assert_eq!(carbon.sender_device, Some(sender_id));
    assert_eq!(carbon.ns, Some(wire_ns));
}

/// With a mutual presence subscription Sotto follows bob's device lists by
/// PEP notification: a new device appears in its store without Sotto
/// asking, a device removed from both lists is marked inactive, and Sotto
/// stops encrypting for it (the remaining device reads the next message,
/// whose keys name only itself).
async fn a_device_removed_from_the_list_is_no_longer_encrypted_for(kind: ServerKind) {
    let prosody = prosody(kind);
    let ((mut alice, alice_dev), (mut b1, b1_id)) =
        tokio::join!(sotto(&prosody, "alice"), peer(&prosody, "b1"));
    befriend(&mut alice).await;

    // A second device of bob's appears: Sotto learns of it by notification.
    let (mut b2, b2_id) = peer(&prosody, "b2").await;
    let mut both = vec![(b1_id, true), (b2_id, true)];
    both.sort_unstable();
    until_bob_listed(&alice, &both).await;

    let first = "InteropCanary to both of Bob's devices";
    sotto_sends(&mut alice, first).await;
    let mut bob_devs = vec![b1_id, b2_id];
    bob_devs.sort_unstable();
    for peer in [&mut b1, &mut b2] {
        let got = peer_reads(peer, first).await;
        assert_eq!(got.sender_device, Some(alice_dev));
        assert_eq!(got.devices(Ns::Omemo2, Some(BOB)), bob_devs, "{got:?}");
    }

    // The second device goes away for good and the first removes it from
    // both published lists (a running device would put itself back).
    b2.quit().await;
    for ns in [Ns::Legacy, Ns::Omemo2] {
        assert_eq!(b1.remove_device(b2_id, ns).await.unwrap(), vec![b1_id]);
    }
    let mut removed = vec![(b1_id, true), (b2_id, false)];
    removed.sort_unstable();
    until_bob_listed(&alice, &removed).await;

    let second = "InteropCanary to Bob's remaining device";
    sotto_sends(&mut alice, second).await;
    let got = peer_reads(&mut b1, second).await;
    assert_eq!(got.sender_device, Some(alice_dev));
    assert_eq!(got.devices(Ns::Omemo2, Some(BOB)), vec![b1_id], "{got:?}");
    assert!(got.devices(Ns::Legacy, None).is_empty(), "{got:?}");
    assert!(
        !alice.seen.iter().any(|e| matches!(e,
            Event::OmemoDeviceSkipped { device_id, .. } if *device_id == b2_id)),
        "a removed device is left out silently, not reported as skipped"
    );

    // The user sees it as inactive.
    let devices = fingerprints(&mut alice, Some(BOB)).await;
    let state: Vec<(u32, bool)> = {
        let mut s: Vec<_> = devices.iter().map(|d| (d.device_id, d.active)).collect();
        s.sort_unstable();
        s
    };
    assert_eq!(state, removed, "{devices:?}");
    alice.shutdown().await;
    b1.quit().await;
}

/// Sotto writes while the peer is offline (its device known from an earlier
/// login); the peer comes back as the same device and reads it from its
/// offline store, then answers.
async fn sotto_writes_while_the_peer_is_offline(kind: ServerKind) {
    let prosody = prosody(kind);
    let state = TestDir::new("bob-peer").unwrap();
    let options = || PeerOptions {
        state_dir: Some(state.path().to_path_buf()),
        blind_trust: false,
    };
    let jid = format!("{BOB}/b1");
    let mut bob = XmppPeer::start(&prosody, &jid, "bob-pw", options()).unwrap();
    let ((mut alice, alice_dev), info) = tokio::join!(sotto(&prosody, "alice"), bob.connect());
    let bob_dev = info.unwrap().device_id;
    bob.quit().await;

    let text = "InteropCanary written while you were away";
    let sent = sotto_sends(&mut alice, text).await;
    assert_eq!(sent.encryption, Stored::Omemo);

    let mut bob = XmppPeer::start(&prosody, &jid, "bob-pw", options()).unwrap();
    assert_eq!(
        bob.connect().await.unwrap().device_id,
        bob_dev,
        "the same device"
    );
    let got = peer_reads(&mut bob, text).await;
    assert!(got.encrypted);
    assert_eq!(got.ns, Some(Ns::Omemo2));
    assert_eq!(got.sender_device, Some(alice_dev));
    assert!(got.key_for(Ns::Omemo2, bob_dev).unwrap().key_exchange);

    let reply = "InteropCanary back now";
    bob.send(ALICE, reply, SendNs::Auto).await.unwrap();
    assert_eq!(
        sotto_reads(&mut alice, reply).await.encryption,
        Stored::Omemo
    );
    alice.shutdown().await;
    bob.quit().await;
}

/// The peer writes (legacy, as stock slixmpp-omemo does) to a Sotto device
/// that is offline — its keys fetched from the server alone; Sotto starts
/// again from its profile and reads both messages, each stored once although
/// the offline store and the archive both deliver them; it answers and the
/// peer reads that.
async fn the_peer_writes_while_sotto_is_offline(kind: ServerKind) {
    let prosody = prosody(kind);
    let (alice, alice_dev) = sotto(&prosody, "alice").await;
    let dir = alice.shutdown().await;

    let (mut bob, _) = peer(&prosody, "b1").await;
    let texts = [
        "InteropCanary while Sotto was off, one",
        "InteropCanary while Sotto was off, two",
    ];
    for text in texts {
        let sent = bob.send(ALICE, text, Ns::Legacy).await.unwrap();
        assert_eq!(sent.devices(Ns::Legacy, ALICE), vec![alice_dev]);
        assert!(sent.keys.iter().all(|k| k.key_exchange), "{sent:?}");
    }

    let mut alice = Profile::reopen(dir);
    alice.online(ALICE).await;
    assert_eq!(omemo_ready(&mut alice).await, alice_dev, "the same device");
    for text in texts {
        let got = sotto_reads(&mut alice, text).await;
        assert_eq!(got.encryption, Stored::Omemo);
        assert_eq!(got.direction, Direction::Incoming);
    }
    alice
        .expect("archive sync", |e| matches!(e, Event::ArchiveSynced { .. }))
        .await;
    let history = alice.store.history(ALICE, BOB, None, 100).unwrap();
    let bodies: Vec<&str> = history.iter().map(|m| m.body.as_str()).collect();
    assert_eq!(bodies, texts, "each message once, nothing unreadable");

    let reply = "InteropCanary Sotto is back";
    sotto_sends(&mut alice, reply).await;
    let got = peer_reads(&mut bob, reply).await;
    assert_eq!(got.sender_device, Some(alice_dev));
    alice.shutdown().await;
    bob.quit().await;
}

/// After a conversation in both directions and both namespaces, with one
/// message still waiting in the server's offline store, neither Prosody's
/// data (archive, offline store) nor Sotto's profile holds any of the texts
/// — while the scan does find the fallback bodies the stanzas were stored
/// with, so it looked at the stored messages.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_plaintext_on_the_server_or_in_the_profile() {
    const CANARY: &[u8] = b"PlaintextCanary";
    let prosody = prosody(ServerKind::Prosody);
    let ((mut alice, _), (mut bob, _)) =
        tokio::join!(sotto(&prosody, "alice"), peer(&prosody, "b1"));

    let first = "PlaintextCanary-1 from Sotto";
    sotto_sends(&mut alice, first).await;
    peer_reads(&mut bob, first).await;
    for (text, ns) in [
        ("PlaintextCanary-2 from the peer, legacy", Ns::Legacy),
        ("PlaintextCanary-3 from the peer, OMEMO 2", Ns::Omemo2),
    ] {
        bob.send(ALICE, text, ns).await.unwrap();
        sotto_reads(&mut alice, text).await;
    }
    bob.disconnect().await.unwrap();
    let waiting = "PlaintextCanary-4 waits on the server";
    sotto_sends(&mut alice, waiting).await;

    let server = prosody.data_dir();
    // Prosody's `internal` storage writes stanzas as Lua string literals,
    // escaping quotes: Sotto's fallback body ("... doesn't ...") is on disk
    // as `doesn\'t`. Its longest quote-free prefix is what the scan can find.
    let sotto_fallback = sotto_xmpp::xep::omemo::FALLBACK_BODY
        .split(['\'', '"'])
        .next()
        .unwrap_or_default();
    for (needle, what) in [
        (sotto_fallback.as_bytes(), "Sotto's fallback body"),
        (PEER_FALLBACK.as_bytes(), "the peer's fallback body"),
    ] {
        assert!(
            !scan_for_plaintext(&server, &[needle]).is_empty(),
            "the server stored no message with {what}: the scan would prove nothing"
        );
    }
    // The waiting message is in bob's offline store: that store was scanned too.
    let offline = server.join(prosody.domain()).join("offline");
    let offline = scan_for_plaintext(&offline, &[sotto_fallback.as_bytes()]);
    assert!(
        !offline.is_empty(),
        "no message waits in bob's offline store: {offline:?}"
    );
    let hits = scan_for_plaintext(&server, &[CANARY]);
    assert!(hits.is_empty(), "the server holds plaintext: {hits:?}");
    let hits = scan_for_plaintext(&alice.profile_dir(), &[CANARY]);
    assert!(hits.is_empty(), "Sotto's profile holds plaintext: {hits:?}");

    // The waiting message is still readable: it was stored encrypted.
    bob.connect().await.unwrap();
    peer_reads(&mut bob, waiting).await;
    let alice_dir = alice.shutdown().await;
    bob.quit().await;
    let profile = alice_dir.join("profile");
    for (dir, what) in [(server, "the server"), (profile, "Sotto's profile")] {
        let hits = scan_for_plaintext(&dir, &[CANARY]);
        assert!(
            hits.is_empty(),
            "{what} holds plaintext at the end: {hits:?}"
        );
    }
}
