// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! Proof of the slixmpp + slixmpp-omemo peer (`sotto_tests::xmpp_peer`)
//! against a real Prosody and ejabberd, peer to peer, before Sotto is put in front of it:
//! first contact both ways in each namespace between strangers (no roster
//! entries), two devices of one account reading the same message, a device
//! removed from the published list, and a distrusted sender reported as
//! undecryptable. Every check is on the exact text that arrived.

#![allow(clippy::unwrap_used)]

use std::time::Duration;

use sotto_tests::ServerKind;
use sotto_tests::profile::server_with;
use sotto_tests::xmpp_peer::{Carbon, Ns, PeerEvent, PeerTrust, SendNs, XmppPeer};

const ALICE: &str = "alice@localhost";
const BOB: &str = "bob@localhost";
const WAIT: Duration = Duration::from_secs(20);

/// Alice writes first to Bob (a stranger), Bob answers; both read the exact
/// text, in `ns`, from the right device; the key exchange is completed by
/// python-omemo's empty message.
async fn first_contact(kind: ServerKind, ns: Ns) {
    let server = server_with(kind, &[("alice", "alice-pw"), ("bob", "bob-pw")]);
    let mut alice = XmppPeer::connected(&server, &format!("{ALICE}/a1"), "alice-pw")
        .await
        .unwrap();
    let mut bob = XmppPeer::connected(&server, &format!("{BOB}/b1"), "bob-pw")
        .await
        .unwrap();
    let (a_dev, b_dev) = (alice.device_id().unwrap(), bob.device_id().unwrap());
    assert_ne!(a_dev, b_dev);

    let text = format!("first contact in {ns:?}: grüße <&> 🦊");
    let sent = alice.send(BOB, &text, ns).await.unwrap();
    assert_eq!(sent.namespaces, vec![ns]);
    assert_eq!(sent.devices(ns, BOB), vec![b_dev]);
    assert!(
        sent.keys.iter().all(|k| k.key_exchange),
        "a new session starts with a key exchange: {sent:?}"
    );
    let got = bob.wait_message(WAIT).await.unwrap();
    assert_eq!(got.text, text);
    assert!(got.encrypted);
    assert_eq!(got.ns, Some(ns));
    assert_eq!(got.from, ALICE);
    assert_eq!(got.sender_device, Some(a_dev));
    assert_eq!(got.carbon, None);
    if ns == Ns::Omemo2 {
        let sce = got.sce.as_ref().unwrap();
        assert_eq!(sce["from"], ALICE);
        assert_eq!(sce["to"], BOB);
    } else {
        assert!(got.sce.is_none());
    }
    // Bob's library completes the session with an empty message; Alice reads it.
    let completion = alice
        .wait_event(WAIT, "session completion", |e| {
            matches!(e, PeerEvent::Empty { .. })
        })
        .await
        .unwrap();
    assert!(
        matches!(completion, PeerEvent::Empty { ref from, ns: Some(n), sender_device: Some(d) }
            if from == BOB && n == ns && d == b_dev),
        "{completion:?}"
    );

    let reply = format!("reply in {ns:?}, same session");
    let sent = bob.send(ALICE, &reply, ns).await.unwrap();
    assert_eq!(sent.devices(ns, ALICE), vec![a_dev]);
    assert!(
        sent.keys.iter().all(|k| !k.key_exchange),
        "the passive side answers in the session it built: {sent:?}"
    );
    let got = alice.wait_message(WAIT).await.unwrap();
    assert_eq!(got.text, reply);
    assert_eq!(got.ns, Some(ns));
    assert_eq!(got.from, BOB);
    assert_eq!(got.sender_device, Some(b_dev));

    // A second message from Alice no longer carries a key exchange.
    let sent = alice.send(BOB, "and again", ns).await.unwrap();
    assert!(sent.keys.iter().all(|k| !k.key_exchange), "{sent:?}");
    assert_eq!(bob.wait_message(WAIT).await.unwrap().text, "and again");

    // Plain messages pass too, marked as such.
    alice.send_plain(BOB, "in the clear").await.unwrap();
    let got = bob.wait_message(WAIT).await.unwrap();
    assert_eq!(got.text, "in the clear");
    assert!(!got.encrypted);
    alice.quit().await;
    bob.quit().await;
}

sotto_tests::on_servers! { [Prosody, Ejabberd]
    async fn first_contact_both_ways_legacy(kind: ServerKind) {
        first_contact(kind, Ns::Legacy).await;
    }

    async fn first_contact_both_ways_omemo2(kind: ServerKind) {
        first_contact(kind, Ns::Omemo2).await;
    }

    /// Bob has two devices (two peers, two resources, two state directories):
    /// both read Alice's message in each namespace, and what one of them sends
    /// reaches the other as a decryptable carbon.
    async fn two_devices_of_one_account_both_read(kind: ServerKind) {
        let server = server_with(kind, &[("alice", "alice-pw"), ("bob", "bob-pw")]);
        let mut alice = XmppPeer::connected(&server, &format!("{ALICE}/a1"), "alice-pw")
            .await
            .unwrap();
        let mut bob1 = XmppPeer::connected(&server, &format!("{BOB}/b1"), "bob-pw")
            .await
            .unwrap();
        let mut bob2 = XmppPeer::connected(&server, &format!("{BOB}/b2"), "bob-pw")
            .await
            .unwrap();
        let (b1, b2) = (bob1.device_id().unwrap(), bob2.device_id().unwrap());
        assert_ne!(b1, b2);
        let mut both = vec![b1, b2];
        both.sort_unstable();
        for ns in [Ns::Legacy, Ns::Omemo2] {
            assert_eq!(
                alice.refresh(BOB).await.unwrap(),
                (both.clone(), both.clone())
            );
            let text = format!("to both of Bob's devices in {ns:?}");
            let sent = alice.send(BOB, &text, ns).await.unwrap();
            let mut got_keys = sent.devices(ns, BOB);
            got_keys.sort_unstable();
            assert_eq!(got_keys, both);
            for bob in [&mut bob1, &mut bob2] {
                let got = bob.wait_message(WAIT).await.unwrap();
                assert_eq!(got.text, text, "{bob:?}");
                assert_eq!(got.ns, Some(ns));
                assert_eq!(got.sender_device, Some(alice.device_id().unwrap()));
            }
        }

        // One stanza with both namespaces: each device decrypts one (OMEMO 2 wins).
        let sent = alice
            .send(BOB, "both elements", SendNs::Both)
            .await
            .unwrap();
        assert_eq!(sent.namespaces, vec![Ns::Legacy, Ns::Omemo2]);
        for bob in [&mut bob1, &mut bob2] {
            let got = bob.wait_message(WAIT).await.unwrap();
            assert_eq!(got.text, "both elements");
            assert_eq!(got.ns, Some(Ns::Omemo2));
        }

        // Bob's first device writes to Alice; his second reads the sent carbon,
        // which was encrypted for it as one of the account's other devices.
        let sent = bob1
            .send(ALICE, "from Bob's first device", Ns::Omemo2)
            .await
            .unwrap();
        assert_eq!(sent.devices(Ns::Omemo2, BOB), vec![b2]);
        let got = alice.wait_message(WAIT).await.unwrap();
        assert_eq!(got.text, "from Bob's first device");
        assert_eq!(got.sender_device, Some(b1));
        let carbon = bob2.wait_message(WAIT).await.unwrap();
        assert_eq!(carbon.text, "from Bob's first device");
        assert_eq!(carbon.carbon, Some(Carbon::Sent));
        assert_eq!(carbon.sender_device, Some(b1));
    }

    /// Bob's second device goes away and the first removes it from the
    /// published lists: Alice re-fetches them and encrypts for the first only.
    async fn removed_device_is_no_longer_encrypted_for(kind: ServerKind) {
        let server = server_with(kind, &[("alice", "alice-pw"), ("bob", "bob-pw")]);
        let mut alice = XmppPeer::connected(&server, &format!("{ALICE}/a1"), "alice-pw")
            .await
            .unwrap();
        let mut bob1 = XmppPeer::connected(&server, &format!("{BOB}/b1"), "bob-pw")
            .await
            .unwrap();
        let bob2 = XmppPeer::connected(&server, &format!("{BOB}/b2"), "bob-pw")
            .await
            .unwrap();
        let (b1, b2) = (bob1.device_id().unwrap(), bob2.device_id().unwrap());
        bob2.quit().await;
        for ns in [Ns::Legacy, Ns::Omemo2] {
            assert_eq!(bob1.remove_device(b2, ns).await.unwrap(), vec![b1]);
        }
        assert!(
            bob1.remove_device(b1, Ns::Legacy).await.is_err(),
            "refuses to remove itself"
        );
        assert_eq!(alice.refresh(BOB).await.unwrap(), (vec![b1], vec![b1]));
        assert_eq!(alice.devices(BOB, Ns::Legacy).await.unwrap(), vec![b1]);
        let sent = alice
            .send(BOB, "only to the first", Ns::Legacy)
            .await
            .unwrap();
        assert_eq!(sent.devices(Ns::Legacy, BOB), vec![b1]);
        assert_eq!(
            bob1.wait_message(WAIT).await.unwrap().text,
            "only to the first"
        );
    }

    /// A sender the receiver distrusts is reported as undecryptable, with
    /// python-omemo's reason, and nothing is shown as a message.
    async fn distrusted_sender_is_reported_undecryptable(kind: ServerKind) {
        let server = server_with(kind, &[("alice", "alice-pw"), ("bob", "bob-pw")]);
        let mut alice = XmppPeer::connected(&server, &format!("{ALICE}/a1"), "alice-pw")
            .await
            .unwrap();
        let mut bob = XmppPeer::connected(&server, &format!("{BOB}/b1"), "bob-pw")
            .await
            .unwrap();
        let a_dev = alice.device_id().unwrap();
        assert_eq!(
            bob.refresh(ALICE).await.unwrap(),
            (vec![a_dev], vec![a_dev])
        );
        bob.trust(ALICE, a_dev, PeerTrust::Distrusted)
            .await
            .unwrap();
        alice
            .send(BOB, "you will not read this", Ns::Legacy)
            .await
            .unwrap();
        let u = bob.wait_undecryptable(WAIT).await.unwrap();
        assert_eq!(u.from, ALICE);
        assert_eq!(u.ns, Some(Ns::Legacy));
        assert_eq!(u.error, "SenderDistrusted");
        assert!(u.has_payload);
        assert!(
            !bob.drain_events()
                .iter()
                .any(|e| matches!(e, PeerEvent::Message(_))),
            "nothing decrypted"
        );
    }
}
