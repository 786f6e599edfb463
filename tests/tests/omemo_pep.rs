// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! The OMEMO PEP layer against a real Prosody 0.12 and ejabberd 23.01: device lists and
//! bundles in both namespaces, published open to non-contacts, fetched by
//! a stranger, followed through notifications, and the two failure paths
//! servers really produce (`precondition-not-met`, `forbidden`).

#![allow(clippy::unwrap_used)]

use std::time::Duration;

use sotto_tests::profile::{raw_session, raw_session_with_events};
use sotto_tests::{ServerKind, TestServer, XmppServer};
use sotto_xmpp::session::PublishOutcome;
use sotto_xmpp::xep::omemo::{Bundle, Device, DeviceList, Namespace};
use sotto_xmpp::xep::pep::AccessModel;
use sotto_xmpp::xep::presence;
use sotto_xmpp::{BareJid, PepError, SessionEvent};
use tokio::sync::mpsc::UnboundedReceiver;
use xmpp_parsers::presence::Type;

const WAIT: Duration = Duration::from_secs(20);

fn jid(s: &str) -> BareJid {
    s.parse().unwrap()
}

/// A bundle with recognisable bytes (the engine's keys are not needed here).
fn bundle(seed: u8, namespace: Namespace) -> Bundle {
    let key = |tag: u8| {
        let mut key = vec![seed ^ tag; 32];
        if namespace == Namespace::Legacy {
            key.insert(0, 0x05);
        }
        key
    };
    Bundle {
        signed_prekey_id: u32::from(seed) + 1,
        signed_prekey: key(1),
        signature: vec![seed; 64],
        identity_key: key(2),
        prekeys: (1..=5).map(|id| (id, key(10 + id as u8))).collect(),
    }
}

fn list(ids: &[u32], namespace: Namespace) -> DeviceList {
    DeviceList {
        devices: ids
            .iter()
            .map(|&id| Device {
                id,
                // Labels exist only in OMEMO 2.
                label: (namespace == Namespace::V2).then(|| format!("device {id}")),
            })
            .collect(),
    }
}

/// How publishing a bundle goes: ejabberd takes only the access model as a
/// publish-option, so the OMEMO 2 bundles node (`max_items=max`) is
/// configured by its owner first, every time.
fn bundle_outcome(
    kind: ServerKind,
    namespace: Namespace,
    otherwise: PublishOutcome,
) -> PublishOutcome {
    match (kind, namespace) {
        (ServerKind::Ejabberd, Namespace::V2) => PublishOutcome::ConfiguredFirst,
        _ => otherwise,
    }
}

/// Waits for a device-list notification from `from` in `namespace` equal to `expected`.
async fn expect_list(
    events: &mut UnboundedReceiver<SessionEvent>,
    from: &BareJid,
    namespace: Namespace,
    expected: &DeviceList,
) {
    expect_lists(events, from, &[(namespace, expected.clone())]).await;
}

/// Waits for all these notifications from `from`, in any order (the
/// server does not order notifications of different nodes).
async fn expect_lists(
    events: &mut UnboundedReceiver<SessionEvent>,
    from: &BareJid,
    expected: &[(Namespace, DeviceList)],
) {
    let mut missing = expected.to_vec();
    let deadline = tokio::time::Instant::now() + WAIT;
    let mut seen = Vec::new();
    while !missing.is_empty() {
        match tokio::time::timeout_at(deadline, events.recv()).await {
            Ok(Some(SessionEvent::OmemoDeviceList {
                from: f,
                namespace,
                list,
            })) if f == *from => {
                match missing
                    .iter()
                    .position(|(n, l)| *n == namespace && *l == list)
                {
                    Some(i) => drop(missing.remove(i)),
                    None => seen.push(format!("{namespace:?} {list:?}")),
                }
            }
            Ok(Some(event)) => seen.push(format!("{event:?}")),
            Ok(None) => panic!("session ended"),
            Err(_) => panic!("no device lists {missing:?} from {from}; saw {seen:#?}"),
        }
    }
}

/// No device-list notification arrives for `quiet`.
async fn expect_no_list(events: &mut UnboundedReceiver<SessionEvent>, quiet: Duration) {
    let deadline = tokio::time::Instant::now() + quiet;
    while let Ok(Some(event)) = tokio::time::timeout_at(deadline, events.recv()).await {
        assert!(
            !matches!(event, SessionEvent::OmemoDeviceList { .. }),
            "unexpected {event:?}"
        );
    }
}

/// `asker` subscribes to `owner`'s presence; `owner` approves.
async fn subscribe(
    asker: &sotto_xmpp::Session,
    owner_events: &mut UnboundedReceiver<SessionEvent>,
    owner: &sotto_xmpp::Session,
    asker_jid: &BareJid,
    owner_jid: &BareJid,
) {
    asker.send_presence(presence::subscription(owner_jid.clone(), Type::Subscribe));
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        match tokio::time::timeout_at(deadline, owner_events.recv()).await {
            Ok(Some(SessionEvent::Presence(presence::PresenceUpdate::SubscriptionRequest {
                from,
            }))) if from == *asker_jid => break,
            Ok(Some(_)) => {}
            other => panic!("no subscription request from {asker_jid}: {other:?}"),
        }
    }
    owner.send_presence(presence::subscription(asker_jid.clone(), Type::Subscribed));
}

sotto_tests::on_servers! { [Prosody, Ejabberd]
    async fn a_stranger_reads_exactly_what_was_published_in_both_namespaces(server: TestServer) {
        server.register_all(&[("alice", "alice-pw"), ("bob", "bob-pw")]);
        let alice = raw_session(&server, "alice", "alice-pw").await;
        let bob = raw_session(&server, "bob", "bob-pw").await;
        let alice_jid = jid(&server.jid("alice"));
        let missing_is_forbidden = server.kind() != ServerKind::Ejabberd;

        for namespace in Namespace::ALL {
            // Nothing published yet: for the owner the node does not exist
            // (item-not-found), which reads as an empty list.
            assert_eq!(
                alice
                    .fetch_device_list(&alice_jid, namespace)
                    .await
                    .unwrap(),
                DeviceList::default()
            );
            assert!(matches!(
                alice.fetch_bundle(&alice_jid, 1001, namespace).await,
                Err(PepError::BundleNotFound {
                    device_id: 1001,
                    ..
                })
            ));
            // On Prosody a stranger cannot tell a missing node from a closed
            // one: it checks access (default `presence`) before existence.
            // ejabberd answers `item-not-found` to anyone.
            if missing_is_forbidden {
                assert!(matches!(
                    bob.fetch_device_list(&alice_jid, namespace).await,
                    Err(PepError::DeviceListForbidden(_))
                ));
                assert!(matches!(
                    bob.fetch_bundle(&alice_jid, 1001, namespace).await,
                    Err(PepError::BundleForbidden {
                        device_id: 1001,
                        ..
                    })
                ));
            } else {
                assert_eq!(
                    bob.fetch_device_list(&alice_jid, namespace).await.unwrap(),
                    DeviceList::default()
                );
                assert!(matches!(
                    bob.fetch_bundle(&alice_jid, 1001, namespace).await,
                    Err(PepError::BundleNotFound {
                        device_id: 1001,
                        ..
                    })
                ));
            }

            // First publish creates the nodes with the publish-options' access model.
            let devices = list(&[1001, 2002], namespace);
            let first = bundle(1, namespace);
            let second = bundle(2, namespace);
            assert_eq!(
                alice
                    .publish_device_list(&devices, namespace)
                    .await
                    .unwrap(),
                sotto_xmpp::session::PublishOutcome::Published
            );
            for (id, bundle) in [(1001, &first), (2002, &second)] {
                assert_eq!(
                    alice.publish_bundle(id, bundle, namespace).await.unwrap(),
                    bundle_outcome(server.kind(), namespace, PublishOutcome::Published)
                );
            }

            // Bob is no contact of alice's, yet reads it all, unchanged.
            assert_eq!(
                bob.fetch_device_list(&alice_jid, namespace).await.unwrap(),
                devices
            );
            // Both bundles survive: in OMEMO 2 they share one node, which
            // therefore must hold more than one item.
            assert_eq!(
                bob.fetch_bundle(&alice_jid, 1001, namespace).await.unwrap(),
                first
            );
            assert_eq!(
                bob.fetch_bundle(&alice_jid, 2002, namespace).await.unwrap(),
                second
            );
            // A device without bundle: in OMEMO 2 a missing item of the open
            // node; in the legacy namespace a missing node, which a stranger
            // is told is forbidden on Prosody (see above).
            let missing = bob.fetch_bundle(&alice_jid, 3003, namespace).await;
            match namespace {
                Namespace::V2 | Namespace::Legacy if !missing_is_forbidden => assert!(
                    matches!(
                        missing,
                        Err(PepError::BundleNotFound {
                            device_id: 3003,
                            ..
                        })
                    ),
                    "{missing:?}"
                ),
                Namespace::V2 => assert!(
                    matches!(
                        missing,
                        Err(PepError::BundleNotFound {
                            device_id: 3003,
                            ..
                        })
                    ),
                    "{missing:?}"
                ),
                Namespace::Legacy => assert!(
                    matches!(
                        missing,
                        Err(PepError::BundleForbidden {
                            device_id: 3003,
                            ..
                        })
                    ),
                    "{missing:?}"
                ),
            }

            // Publishing again on the now-open node needs no reconfiguration.
            let fresh = bundle(3, namespace);
            assert_eq!(
                alice.publish_bundle(1001, &fresh, namespace).await.unwrap(),
                bundle_outcome(server.kind(), namespace, PublishOutcome::Published)
            );
            assert_eq!(
                bob.fetch_bundle(&alice_jid, 1001, namespace).await.unwrap(),
                fresh
            );
            assert_eq!(
                bob.fetch_bundle(&alice_jid, 2002, namespace).await.unwrap(),
                second
            );
        }
        // The two namespaces do not see each other's lists.
        assert_eq!(
            bob.fetch_device_list(&alice_jid, Namespace::Legacy)
                .await
                .unwrap()
                .devices[0]
                .label,
            None
        );
    }

    async fn closed_nodes_are_forbidden_to_strangers_and_reopened_on_precondition_not_met(server: TestServer) {
        server.register_all(&[("alice", "alice-pw"), ("bob", "bob-pw")]);
        let alice = raw_session(&server, "alice", "alice-pw").await;
        let bob = raw_session(&server, "bob", "bob-pw").await;
        let alice_jid = jid(&server.jid("alice"));

        for namespace in Namespace::ALL {
            let keys = bundle(7, namespace);
            alice.publish_bundle(42, &keys, namespace).await.unwrap();
            alice
                .publish_device_list(&list(&[42], namespace), namespace)
                .await
                .unwrap();

            // As a client that never asked for open access leaves them:
            // the PEP default of Prosody and ejabberd, `presence`.
            alice
                .configure_pep_node(&namespace.bundle_node(42), AccessModel::Presence, &[])
                .await
                .unwrap();
            alice
                .configure_pep_node(namespace.device_list_node(), AccessModel::Presence, &[])
                .await
                .unwrap();
            let error = bob
                .fetch_bundle(&alice_jid, 42, namespace)
                .await
                .unwrap_err();
            assert!(
                matches!(error, PepError::BundleForbidden { device_id: 42, .. }),
                "{error:?}"
            );
            assert!(
                error.to_string().contains(
                    "bundle not readable: the contact's server only shares keys with contacts"
                ),
                "{error}"
            );
            assert!(matches!(
                bob.fetch_device_list(&alice_jid, namespace).await,
                Err(PepError::DeviceListForbidden(_))
            ));
            // The owner still reads its own node.
            assert_eq!(
                alice.fetch_bundle(&alice_jid, 42, namespace).await.unwrap(),
                keys
            );

            // Publishing with access_model=open now fails its precondition; the
            // session reconfigures the node and publishes again.
            let renewed = bundle(8, namespace);
            assert_eq!(
                alice.publish_bundle(42, &renewed, namespace).await.unwrap(),
                bundle_outcome(server.kind(), namespace, PublishOutcome::Reconfigured)
            );
            assert_eq!(
                alice
                    .publish_device_list(&list(&[42, 43], namespace), namespace)
                    .await
                    .unwrap(),
                sotto_xmpp::session::PublishOutcome::Reconfigured
            );
            assert_eq!(
                bob.fetch_bundle(&alice_jid, 42, namespace).await.unwrap(),
                renewed
            );
            assert_eq!(
                bob.fetch_device_list(&alice_jid, namespace).await.unwrap(),
                list(&[42, 43], namespace)
            );
        }
    }

    async fn device_list_updates_reach_subscribed_strangers_and_contacts_with_caps(server: TestServer) {
        server.register_all(&[
            ("alice", "alice-pw"),
            ("bob", "bob-pw"),
            ("carol", "carol-pw"),
        ]);
        let (alice, mut alice_events) = raw_session_with_events(&server, "alice", "alice-pw").await;
        let (bob, mut bob_events) = raw_session_with_events(&server, "bob", "bob-pw").await;
        let (carol, mut carol_events) = raw_session_with_events(&server, "carol", "carol-pw").await;
        let alice_jid = jid(&server.jid("alice"));
        let carol_jid = jid(&server.jid("carol"));

        for namespace in Namespace::ALL {
            alice
                .publish_device_list(&list(&[1], namespace), namespace)
                .await
                .unwrap();
        }
        // Notifications go to bare JIDs: a resource gets them only once it is
        // available (headlines to a bare JID are not stored offline).
        alice.send_presence(presence::own(None, None, false));
        bob.send_presence(presence::own(None, None, false));

        // Bob, a stranger, announces +notify in his caps, even in presence sent
        // straight to alice: Prosody and ejabberd ignore caps of anyone not
        // subscribed to alice's presence, so nothing comes.
        let mut directed = presence::own(None, None, false);
        directed.to = Some(alice_jid.clone().into());
        bob.send_presence(directed);
        alice
            .publish_device_list(&list(&[1, 2], Namespace::Legacy), Namespace::Legacy)
            .await
            .unwrap();
        expect_no_list(&mut bob_events, Duration::from_secs(2)).await;

        // An explicit subscription works for strangers (the nodes are open).
        // Prosody sends the current item at once; ejabberd 23.01 does not
        // (XEP-0060 leaves sending the last item on subscription to the
        // node's `send_last_published_item`), so there only updates come.
        for namespace in Namespace::ALL {
            bob.subscribe_device_list(&alice_jid, namespace)
                .await
                .unwrap();
        }
        if server.kind() == ServerKind::Ejabberd {
            expect_no_list(&mut bob_events, Duration::from_secs(2)).await;
        } else {
            expect_lists(
                &mut bob_events,
                &alice_jid,
                &[
                    (Namespace::Legacy, list(&[1, 2], Namespace::Legacy)),
                    (Namespace::V2, list(&[1], Namespace::V2)),
                ],
            )
            .await;
        }
        for namespace in Namespace::ALL {
            let update = list(&[1, 2, 3], namespace);
            alice.publish_device_list(&update, namespace).await.unwrap();
            expect_list(&mut bob_events, &alice_jid, namespace, &update).await;
        }

        // Carol and alice become contacts both ways (as people do). Carol's
        // presence with caps then reaches alice's server, which asks carol's
        // client for its disco#info, sees the +notify features and sends the
        // current lists, then every update. (One way is not enough: carol's
        // presence goes only to those subscribed to *her*.)
        carol.send_presence(presence::own(None, None, false));
        subscribe(&carol, &mut alice_events, &alice, &carol_jid, &alice_jid).await;
        subscribe(&alice, &mut carol_events, &carol, &alice_jid, &carol_jid).await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        carol.send_presence(presence::own(None, None, false));
        let current: Vec<_> = Namespace::ALL
            .into_iter()
            .map(|namespace| (namespace, list(&[1, 2, 3], namespace)))
            .collect();
        if server.kind() == ServerKind::Ejabberd {
            // ejabberd 23.01 sends no last item on presence either: what a
            // contact whose caps say +notify gets is every later update.
            for namespace in Namespace::ALL {
                let update = list(&[1, 2, 3, 4], namespace);
                alice.publish_device_list(&update, namespace).await.unwrap();
                expect_list(&mut carol_events, &alice_jid, namespace, &update).await;
            }
        } else {
            expect_lists(&mut carol_events, &alice_jid, &current).await;
        }

        // A device list "notification" sent by another client is a forgery: it
        // comes from a full JID, never from the PEP service of an account.
        let event: xmpp_parsers::minidom::Element = format!(
            "<event xmlns='http://jabber.org/protocol/pubsub#event'>\
             <items node='{}'><item id='current'>\
             <list xmlns='eu.siacs.conversations.axolotl'><device id='666'/></list>\
             </item></items></event>",
            Namespace::Legacy.device_list_node()
        )
        .parse()
        .unwrap();
        let mut forged = xmpp_parsers::message::Message::headline(Some(xmpp_parsers::jid::Jid::from(
            carol_jid.clone(),
        )));
        forged.payloads.push(event);
        bob.send(forged);
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            match tokio::time::timeout_at(deadline, carol_events.recv()).await {
                Ok(Some(SessionEvent::Rejected { reason })) => {
                    assert!(
                        reason.contains("PEP notification from a full JID"),
                        "{reason}"
                    );
                    break;
                }
                Ok(Some(SessionEvent::OmemoDeviceList { from, list, .. })) => {
                    assert!(!list.contains(666), "forged list from {from} accepted")
                }
                Ok(Some(_)) => {}
                other => panic!("forged notification not rejected: {other:?}"),
            }
        }

        for namespace in Namespace::ALL {
            let update = list(&[3, 4], namespace);
            alice.publish_device_list(&update, namespace).await.unwrap();
            expect_list(&mut carol_events, &alice_jid, namespace, &update).await;
            expect_list(&mut bob_events, &alice_jid, namespace, &update).await;
        }
    }
}

sotto_tests::on_servers! { [Prosody, Ejabberd]
async fn an_omemo2_bundles_node_left_at_one_item_is_reconfigured_for_every_device(prosody: TestServer) {
    prosody.register_all(&[("alice", "alice-pw"), ("bob", "bob-pw")]);
    let alice = raw_session(&prosody, "alice", "alice-pw").await;
    let bob = raw_session(&prosody, "bob", "bob-pw").await;
    let alice_jid = jid(&prosody.jid("alice"));
    let namespace = Namespace::V2;

    // Prosody takes pubsub#max_items as a publish-option; ejabberd does
    // not (resource-constraint), so the node is created with it instead.
    let (fresh, contradicted) = match prosody.kind() {
        ServerKind::Ejabberd => (PublishOutcome::ConfiguredFirst, PublishOutcome::ConfiguredFirst),
        _ => (PublishOutcome::Published, PublishOutcome::Reconfigured),
    };
    let first = bundle(1, namespace);
    assert_eq!(alice.publish_bundle(1001, &first, namespace).await.unwrap(), fresh);
    // As another client (or ejabberd's default) leaves it: one item.
    alice
        .configure_pep_node(
            &namespace.bundle_node(1001),
            AccessModel::Open,
            &[("pubsub#max_items", "1")],
        )
        .await
        .unwrap();
    let second = bundle(2, namespace);
    assert_eq!(
        alice
            .publish_bundle(2002, &second, namespace)
            .await
            .unwrap(),
        contradicted
    );
    // The node holds one item per device again from here on.
    alice.publish_bundle(1001, &first, namespace).await.unwrap();
    assert_eq!(
        bob.fetch_bundle(&alice_jid, 1001, namespace).await.unwrap(),
        first
    );
    assert_eq!(
        bob.fetch_bundle(&alice_jid, 2002, namespace).await.unwrap(),
        second
    );
}
}
