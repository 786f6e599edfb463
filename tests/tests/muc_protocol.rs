// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! The XMPP layer of group chats over a real Prosody and ejabberd, with raw
//! sessions (no core): creating a private group (members-only,
//! non-anonymous, persistent), joining it from two accounts, a nick
//! conflict refused as such, groupchat messages both ways with our own
//! reflection carrying the room's stanza-id and our origin-id, the room's
//! archive read back from the room, a subject change, self-ping before and
//! after a kick seen by the kicked occupant as 307, a direct invitation, a
//! ban on the outcast list, and an XEP-0402 bookmark published by one session of an account and
//! announced to its other session.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::Duration;

use sotto_tests::ServerKind;
use sotto_tests::XmppServer;
use sotto_tests::profile::{raw_session_with_events, server_with};
use sotto_xmpp::xep::bookmarks::{Bookmark, BookmarkChange};
use sotto_xmpp::xep::mam::Page;
use sotto_xmpp::xep::muc::admin::{PRIVATE_GROUP, SelfPing};
use sotto_xmpp::xep::muc::message::{InvitationKind, RoomMessage, groupchat, invite_direct};
use sotto_xmpp::xep::muc::{self, Affiliation, JoinError, JoinHistory, Role, RoomPresence, Status};
use sotto_xmpp::xep::presence;
use sotto_xmpp::{BareJid, Jid, Session, SessionEvent};
use tokio::sync::mpsc::UnboundedReceiver;

type Events = UnboundedReceiver<SessionEvent>;

/// Waits (bounded) for the first event `pick` maps to something.
async fn wait_for<T>(
    events: &mut Events,
    what: &str,
    mut pick: impl FnMut(SessionEvent) -> Option<T>,
) -> T {
    let found = tokio::time::timeout(Duration::from_secs(20), async {
        loop {
            let event = events.recv().await.expect("session alive");
            if let Some(found) = pick(event) {
                return found;
            }
        }
    })
    .await;
    found.unwrap_or_else(|_| panic!("timed out waiting for {what}"))
}

async fn self_presence(events: &mut Events, room: &BareJid) -> RoomPresence {
    wait_for(events, "our self-presence", |e| match e {
        SessionEvent::RoomPresence(p) if p.room == *room && p.is_self() => Some(*p),
        _ => None,
    })
    .await
}

async fn room_message(events: &mut Events, room: &BareJid, body: &str) -> RoomMessage {
    wait_for(events, body, |e| match e {
        SessionEvent::RoomMessage(m) if m.room == *room && m.body.as_deref() == Some(body) => {
            Some(*m)
        }
        _ => None,
    })
    .await
}

/// A second session of an account, with its own resource.
async fn session_as(
    server: &(impl XmppServer + ?Sized),
    user: &str,
    password: &str,
    resource: &str,
) -> (Session, Events) {
    use sotto_xmpp::{CertFingerprint, DirectTransport, SessionConfig, Target};
    let (session, mut events) = Session::start(SessionConfig {
        jid: server.jid(user).parse().unwrap(),
        resource: resource.into(),
        password: sotto_xmpp::Password::new(password),
        target: Target {
            domain: server.domain().into(),
            host: Some("127.0.0.1".into()),
            port: Some(server.c2s_port()),
            direct_tls: false,
        },
        pinned_cert: CertFingerprint::parse(&server.cert_sha256()),
        transport: Arc::new(DirectTransport),
        scram_only: false,
    })
    .unwrap();
    wait_for(&mut events, "online", |e| match e {
        SessionEvent::Online { .. } => Some(()),
        SessionEvent::Stopped { error } => panic!("{user}/{resource}: {error}"),
        _ => None,
    })
    .await;
    (session, events)
}

sotto_tests::on_servers! { [Prosody, Ejabberd]
    async fn private_group_join_messages_archive_kick_and_bookmarks(kind: ServerKind) {
        let server = server_with(kind, &[("alice", "alice-pw"), ("bob", "bob-pw")]);
        let room: BareJid = format!("private@{}", server.muc_domain()).parse().unwrap();
        let (alice, mut alice_events) = raw_session_with_events(&server, "alice", "alice-pw").await;
        let (laptop, mut laptop_events) = session_as(&server, "alice", "alice-pw", "laptop").await;
        let (bob, mut bob_events) = raw_session_with_events(&server, "bob", "bob-pw").await;
        // Caps with bookmarks+notify, so the server tells the other session.
        for session in [&alice, &laptop, &bob] {
            session.send_presence(presence::own(None, None, false));
        }

        // Create the room: the first self-presence says 110 and 201.
        alice.send(muc::join(&room, "alice", None, JoinHistory::None).unwrap());
        let own = self_presence(&mut alice_events, &room).await;
        assert!(own.status.has(Status::Created), "{kind:?}: {:?}", own.status);
        assert_eq!(own.affiliation, Affiliation::Owner);
        let missing = alice.configure_room(&room, PRIVATE_GROUP).await.unwrap();
        eprintln!("{kind:?}: private-group fields the room does not offer: {missing:?}");
        assert!(!missing.contains(&"muc#roomconfig_membersonly"), "{missing:?}");
        assert!(!missing.contains(&"muc#roomconfig_whois"), "{missing:?}");
        let bob_jid: BareJid = server.jid("bob").parse().unwrap();
        alice
            .set_room_affiliation(&room, &bob_jid, Affiliation::Member, None)
            .await
            .unwrap();
        let members = alice.room_affiliations(&room, Affiliation::Member).await.unwrap();
        assert!(members.iter().any(|m| m.jid == bob_jid), "{members:?}");

        // A taken nick is refused as a conflict.
        bob.send(muc::join(&room, "alice", None, JoinHistory::None).unwrap());
        let refused = wait_for(&mut bob_events, "nick conflict", |e| match e {
            SessionEvent::RoomError(error) if error.room == room => Some(error),
            _ => None,
        })
        .await;
        assert_eq!(refused.error, JoinError::NickConflict, "{kind:?}");

        // Bob joins; the room is non-anonymous, so he sees Alice's real JID.
        bob.send(muc::join(&room, "bob", None, JoinHistory::None).unwrap());
        let bob_self = wait_for(&mut bob_events, "bob's self-presence", |e| match e {
            SessionEvent::RoomPresence(p) if p.room == room && p.is_self() => Some(*p),
            _ => None,
        })
        .await;
        eprintln!("{kind:?}: status codes on joining a private group: {:?}", bob_self.status);
        assert_eq!(bob_self.affiliation, Affiliation::Member);
        assert!(bob_self.real_jid.is_some(), "non-anonymous: our own real JID shown");

        // Messages both ways; our reflection carries the room's stanza-id.
        alice.send(groupchat(&room, "origin-a1", "hello room"));
        let reflected = room_message(&mut alice_events, &room, "hello room").await;
        assert_eq!(reflected.nick.as_deref(), Some("alice"));
        assert_eq!(reflected.origin_id.as_deref(), Some("origin-a1"));
        let stanza_id = reflected.stanza_id.clone().expect("the room's stanza-id");
        eprintln!("{kind:?}: occupant-id on room messages: {:?}", reflected.occupant_id);
        if matches!(kind, ServerKind::Prosody) {
            // Prosody 0.12's muc_occupant_id is on by default.
            assert!(reflected.occupant_id.is_some());
            assert!(bob_self.occupant_id.is_some());
        }
        let at_bob = room_message(&mut bob_events, &room, "hello room").await;
        assert_eq!(at_bob.stanza_id.as_deref(), Some(stanza_id.as_str()));
        bob.send(groupchat(&room, "origin-b1", "hello alice"));
        let from_bob = room_message(&mut alice_events, &room, "hello alice").await;
        assert_eq!(from_bob.nick.as_deref(), Some("bob"));

        // A subject change reaches the other occupant from Alice's nick.
        alice.send(sotto_xmpp::xep::muc::message::subject(&room, "Plans"));
        let subject = wait_for(&mut bob_events, "the subject", |e| match e {
            SessionEvent::RoomMessage(m) if m.room == room && m.subject.is_some() => Some(*m),
            _ => None,
        })
        .await;
        assert_eq!(subject.subject.as_deref(), Some("Plans"));
        assert_eq!(subject.nick.as_deref(), Some("alice"));

        // The room's archive, read from the room.
        let page = bob.room_archive_page(&room, &Page::Latest, 20).await.unwrap();
        assert_eq!(page.rejected, 0);
        let bodies: Vec<_> = page.messages.iter().filter_map(|m| m.body.clone()).collect();
        assert_eq!(bodies, ["hello room", "hello alice"], "{kind:?}");
        assert_eq!(page.messages[0].stanza_id.as_deref(), Some(stanza_id.as_str()));
        assert!(page.messages.iter().all(|m| m.archived && m.room == room));

        // Self-ping says we are in.
        let occupant = room.with_resource_str("bob").unwrap();
        assert_eq!(bob.self_ping(&occupant).await, SelfPing::Joined, "{kind:?}");

        // A kick: Bob is told with 307.
        alice.set_room_role(&room, "bob", Role::None, Some("test")).await.unwrap();
        let kicked = self_presence(&mut bob_events, &room).await;
        assert!(!kicked.available);
        assert!(kicked.status.has(Status::Kicked), "{kind:?}: {:?}", kicked.status);
        assert_eq!(bob.self_ping(&occupant).await, SelfPing::NotJoined, "{kind:?}");

        // A direct invitation (XEP-0249). Mediated ones are unit-tested
        // only: Prosody answered ours with an error (see docs/protocols.md).
        alice.send(invite_direct(Jid::from(bob_jid.clone()), &room, None, None));
        let invitation = wait_for(&mut bob_events, "a direct invitation", |e| match e {
            SessionEvent::RoomInvitation(i) => Some(*i),
            _ => None,
        })
        .await;
        assert_eq!(invitation.kind, InvitationKind::Direct);

        // A ban: Bob is on the outcast list.
        alice
            .set_room_affiliation(&room, &bob_jid, Affiliation::Outcast, None)
            .await
            .unwrap();
        let outcasts = alice.room_affiliations(&room, Affiliation::Outcast).await.unwrap();
        assert!(outcasts.iter().any(|o| o.jid == bob_jid), "{outcasts:?}");
        if matches!(kind, ServerKind::Prosody) {
            // Prosody checks membership before bans: an outcast joining a
            // members-only room is told `registration-required`. (ejabberd
            // 23.01 sent no error presence within 20 s in our runs.)
            bob.send(muc::join(&room, "bob", None, JoinHistory::None).unwrap());
            let refused = wait_for(&mut bob_events, "the ban", |e| match e {
                SessionEvent::RoomError(error) if error.room == room => Some(error),
                _ => None,
            })
            .await;
            assert_eq!(refused.error, JoinError::MembersOnly);
        }

        // Bookmarks: published by one session, announced to the other.
        let bookmark = Bookmark {
            room: room.clone(),
            name: Some("Private".into()),
            autojoin: true,
            nick: Some("alice".into()),
            password: None,
            extensions: Vec::new(),
        };
        let outcome = alice.publish_bookmark(&bookmark).await.unwrap();
        eprintln!("{kind:?}: bookmark publish outcome {outcome:?}");
        let changes = wait_for(&mut laptop_events, "bookmark notification", |e| match e {
            SessionEvent::Bookmarks(changes) => Some(changes),
            _ => None,
        })
        .await;
        assert_eq!(changes, [BookmarkChange::Set(bookmark.clone())]);
        assert_eq!(laptop.bookmarks().await.unwrap(), std::slice::from_ref(&bookmark));
        assert_eq!(laptop.legacy_bookmarks().await.unwrap(), []);
        alice.retract_bookmark(&room).await.unwrap();
        if matches!(kind, ServerKind::Prosody) {
            let changes = wait_for(&mut laptop_events, "bookmark retraction", |e| match e {
                SessionEvent::Bookmarks(changes) => Some(changes),
                _ => None,
            })
            .await;
            assert_eq!(changes, [BookmarkChange::Retracted(room.clone())]);
        }
        // ejabberd 23.01 delivers no retraction notification to our other
        // resource, even with `notify='true'` and the node configured with
        // `pubsub#notify_retract=true` (seen here): the retraction itself
        // works, so a client must re-read the node at login.
        assert!(laptop.bookmarks().await.unwrap().is_empty());

        alice.destroy_room(&room, None).await.unwrap();
    }
}
