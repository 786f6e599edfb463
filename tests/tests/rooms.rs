// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! Group chats through the core, between two Sotto profiles, on both test
//! servers' MUC services: joining (a new room is opened to others), who is
//! there, messages both ways with our own confirmed by the room's echo, a
//! taken nickname told rather than retried, rooms joined again after a
//! restart with what was said meanwhile, and leaving.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use sotto_core::{Command, Event};
use sotto_store::{Direction, MessageState, MessageStore as _, RoomStore as _};
use sotto_tests::profile::{Profile, server_with};
use sotto_tests::{ServerKind, XmppServer};

const ALICE: &str = "alice@localhost";
const BOB: &str = "bob@localhost";

fn join(profile: &Profile, account: &str, room: &str, nick: &str) {
    profile.send(Command::JoinRoom {
        account: account.into(),
        room: room.into(),
        nick: Some(nick.into()),
        password: None,
    });
}

fn say(profile: &Profile, account: &str, room: &str, body: &str) {
    profile.send(Command::SendRoomMessage {
        account: account.into(),
        room: room.into(),
        body: body.into(),
    });
}

async fn joined(profile: &mut Profile, room: &str) -> Vec<sotto_core::RoomOccupant> {
    let event = profile
        .expect(
            "the room let us in",
            |e| matches!(e, Event::RoomJoined { room: r, .. } if r == room),
        )
        .await;
    let Event::RoomJoined { occupants, .. } = event else {
        unreachable!()
    };
    occupants
}

sotto_tests::on_servers! { [Prosody, Ejabberd]
    /// Alice opens a new room, Bob joins; each sees the other; messages go
    /// both ways, stored with their sender, and Alice's own message is
    /// marked delivered when the room echoes it (matched by origin-id).
    async fn two_profiles_talk_in_a_room(kind: ServerKind) {
        let server = server_with(kind, &[("alice", "alice-pw"), ("bob", "bob-pw")]);
        let room = format!("tea@{}", server.muc_domain());
        let mut alice = Profile::new("alice");
        let mut bob = Profile::new("bob");
        alice.login(&server, "alice", "alice-pw").await;
        bob.login(&server, "bob", "bob-pw").await;

        join(&alice, ALICE, &room, "Alice");
        let present = joined(&mut alice, &room).await;
        assert!(present.iter().any(|o| o.nick == "Alice" && o.is_self), "{present:?}");
        join(&bob, BOB, &room, "Bob");
        let present = joined(&mut bob, &room).await;
        let mut nicks: Vec<_> = present.iter().map(|o| o.nick.as_str()).collect();
        nicks.sort_unstable();
        assert_eq!(nicks, ["Alice", "Bob"], "{present:?}");
        alice
            .expect("Bob seen coming in", |e| {
                matches!(e, Event::RoomOccupantChanged { occupant, present: true, .. }
                    if occupant.nick == "Bob")
            })
            .await;

        say(&alice, ALICE, &room, "RoomCanary from Alice <&> 🍵");
        let got = bob.expect_message("RoomCanary from Alice <&> 🍵").await;
        assert_eq!(got.peer, room);
        assert_eq!(got.direction, Direction::Incoming);
        assert_eq!(got.room.as_ref().unwrap().nick, "Alice");
        alice
            .expect("Alice's message echoed by the room", |e| {
                matches!(e, Event::MessageStateChanged { peer, state: MessageState::Delivered, .. }
                    if *peer == room)
            })
            .await;

        say(&bob, BOB, &room, "RoomCanary Bob answers");
        let got = alice.expect_message("RoomCanary Bob answers").await;
        assert_eq!(got.room.as_ref().unwrap().nick, "Bob");

        let history = alice.store.history(ALICE, &room, None, 10).unwrap();
        let bodies: Vec<_> = history.iter().map(|m| (m.direction, m.body.as_str())).collect();
        assert_eq!(
            bodies,
            [
                (Direction::Outgoing, "RoomCanary from Alice <&> 🍵"),
                (Direction::Incoming, "RoomCanary Bob answers"),
            ],
            "each message once, the echo not stored again"
        );
        assert_eq!(history[0].state, MessageState::Delivered);

        // The room's conversation takes `send_message` too: a room message,
        // and an explicit choice of encryption is refused in words.
        alice.send(Command::SendMessage {
            account: ALICE.into(),
            to: room.clone(),
            body: "RoomCanary through send_message".into(),
            encryption: None,
        });
        let got = bob.expect_message("RoomCanary through send_message").await;
        assert_eq!(got.room.as_ref().unwrap().nick, "Alice");
        alice.forget();
        alice.send(Command::SendMessage {
            account: ALICE.into(),
            to: room.clone(),
            body: "never sent".into(),
            encryption: Some(sotto_core::Encryption::Omemo),
        });
        alice
            .expect("encryption refused", |e| {
                matches!(e, Event::CommandFailed { reason, .. } if reason.contains("cannot be end-to-end encrypted"))
            })
            .await;
        assert!(alice.store.history(ALICE, &room, None, 10).unwrap().iter().all(|m| m.body != "never sent"));
        alice.shutdown().await;
        bob.shutdown().await;
    }
}

sotto_tests::on_servers! { [Prosody, Ejabberd]
    /// A nickname someone in the room already has is told as such, and
    /// nothing is retried under another name.
    async fn a_taken_nickname_is_told_and_not_retried(kind: ServerKind) {
        let server = server_with(kind, &[("alice", "alice-pw"), ("bob", "bob-pw")]);
        let room = format!("busy@{}", server.muc_domain());
        let mut alice = Profile::new("alice");
        let mut bob = Profile::new("bob");
        alice.login(&server, "alice", "alice-pw").await;
        bob.login(&server, "bob", "bob-pw").await;
        join(&alice, ALICE, &room, "Sam");
        joined(&mut alice, &room).await;

        join(&bob, BOB, &room, "Sam");
        let told = bob
            .expect("the taken nickname told", |e| matches!(e, Event::RoomError { .. }))
            .await;
        let Event::RoomError { reason, nickname_taken, .. } = told else { unreachable!() };
        assert!(nickname_taken, "{reason}");
        assert!(reason.contains("Sam"), "{reason}");
        // A message to the room now is refused in words: Bob is not in it.
        bob.forget();
        say(&bob, BOB, &room, "not sent");
        bob.expect("the message refused", |e| {
            matches!(e, Event::CommandFailed { reason, .. } if reason.contains("join it first"))
        })
        .await;
        assert!(
            !bob.take_seen().iter().any(|e| matches!(e, Event::RoomJoined { .. })),
            "never joined under another name"
        );
        // With another nickname Bob gets in.
        join(&bob, BOB, &room, "Sam B");
        joined(&mut bob, &room).await;
        alice.shutdown().await;
        bob.shutdown().await;
    }
}

sotto_tests::on_servers! { [Prosody, Ejabberd]
    /// A room is joined again when the profile starts again, and what was
    /// said meanwhile arrives once; a room left is not joined again.
    async fn rooms_are_joined_again_after_a_restart_until_left(kind: ServerKind) {
        let server = server_with(kind, &[("alice", "alice-pw"), ("bob", "bob-pw")]);
        let room = format!("club@{}", server.muc_domain());
        let mut alice = Profile::new("alice");
        let mut bob = Profile::new("bob");
        alice.login(&server, "alice", "alice-pw").await;
        bob.login(&server, "bob", "bob-pw").await;
        join(&alice, ALICE, &room, "Alice");
        joined(&mut alice, &room).await;
        join(&bob, BOB, &room, "Bob");
        joined(&mut bob, &room).await;
        say(&bob, BOB, &room, "RoomCanary before");
        alice.expect_message("RoomCanary before").await;

        let dir = alice.shutdown().await;
        bob.expect("Alice gone", |e| {
            matches!(e, Event::RoomOccupantChanged { occupant, present: false, .. }
                if occupant.nick == "Alice")
        })
        .await;
        say(&bob, BOB, &room, "RoomCanary while you were away");
        bob.expect("sent", |e| {
            matches!(e, Event::MessageStateChanged { state: MessageState::Delivered, .. })
        })
        .await;

        let mut alice = Profile::reopen(dir);
        // Written at once, before the account is even online: queued for
        // the room, sent once it lets Alice in.
        say(&alice, ALICE, &room, "RoomCanary right after start");
        joined(&mut alice, &room).await;
        alice.expect_message("RoomCanary while you were away").await;
        bob.expect_message("RoomCanary right after start").await;
        let history = alice.store.history(ALICE, &room, None, 10).unwrap();
        // Sorted: Prosody stamps room history to the second, so within one
        // second the history copy may sort before a message received live.
        let mut bodies: Vec<_> = history.iter().map(|m| m.body.as_str()).collect();
        bodies.sort_unstable();
        assert_eq!(
            bodies,
            [
                "RoomCanary before",
                "RoomCanary right after start",
                "RoomCanary while you were away"
            ],
            "the room's history is not stored twice"
        );

        alice.send(Command::LeaveRoom {
            account: ALICE.into(),
            room: room.clone(),
        });
        alice
            .expect("left", |e| matches!(e, Event::RoomLeft { room: r, .. } if *r == room))
            .await;
        let kept = alice.store.room(ALICE, &room).unwrap().unwrap();
        assert!(!kept.settings.autojoin, "not joined again");
        let dir = alice.shutdown().await;
        let mut alice = Profile::reopen(dir);
        alice.online(ALICE).await;
        tokio::time::sleep(std::time::Duration::from_secs(2)).await;
        assert!(
            !alice.take_seen().iter().any(|e| matches!(e, Event::RoomJoined { .. })),
            "a room left stays left"
        );
        alice.shutdown().await;
        bob.shutdown().await;
    }
}

sotto_tests::on_servers! { [Prosody, Ejabberd]
    /// Removed from a room: a kick is told with the room's reason (the
    /// room is kept, joined again next time); a ban is told and the room is
    /// no longer joined by itself.
    async fn a_kick_and_a_ban_are_told_in_plain_words(kind: ServerKind) {
        use sotto_xmpp::xep::muc::{self, Affiliation, JoinHistory, Role};
        let server = server_with(kind, &[("carol", "carol-pw"), ("bob", "bob-pw")]);
        let room = format!("strict@{}", server.muc_domain());
        let room_jid: sotto_xmpp::BareJid = room.parse().unwrap();
        let (carol, mut carol_events) =
            sotto_tests::profile::raw_session_with_events(&server, "carol", "carol-pw").await;
        carol.send_presence(muc::join(&room_jid, "Carol", None, JoinHistory::None).unwrap());
        tokio::time::timeout(std::time::Duration::from_secs(20), async {
            while let Some(event) = carol_events.recv().await {
                if matches!(&event, sotto_xmpp::SessionEvent::RoomPresence(p) if p.is_self()) {
                    break;
                }
            }
        })
        .await
        .expect("Carol in her room");
        carol.create_instant_room(&room_jid).await.unwrap();
        tokio::spawn(async move { while carol_events.recv().await.is_some() {} });

        let mut bob = Profile::new("bob");
        bob.login(&server, "bob", "bob-pw").await;
        join(&bob, BOB, &room, "Bob");
        joined(&mut bob, &room).await;
        carol
            .set_room_role(&room_jid, "Bob", Role::None, Some("too loud"))
            .await
            .unwrap();
        let left = bob
            .expect("the kick told", |e| matches!(e, Event::RoomLeft { .. }))
            .await;
        let Event::RoomLeft { reason, .. } = left else { unreachable!() };
        assert!(reason.contains("removed") && reason.contains("too loud"), "{reason}");
        assert!(bob.store.room(BOB, &room).unwrap().unwrap().settings.autojoin, "kept");

        join(&bob, BOB, &room, "Bob");
        joined(&mut bob, &room).await;
        carol
            .set_room_affiliation(&room_jid, &BOB.parse().unwrap(), Affiliation::Outcast, None)
            .await
            .unwrap();
        let left = bob
            .expect("the ban told", |e| matches!(e, Event::RoomLeft { .. }))
            .await;
        let Event::RoomLeft { reason, .. } = left else { unreachable!() };
        assert!(reason.contains("banned"), "{reason}");
        assert!(!bob.store.room(BOB, &room).unwrap().unwrap().settings.autojoin, "not joined again");
        bob.shutdown().await;
        carol.close().await;
    }
}

sotto_tests::on_servers! { [Prosody, Ejabberd]
    /// Bookmarks (XEP-0402) are followed both ways: a room another of our
    /// clients bookmarks with autojoin is joined (at login and when pushed),
    /// unset autojoin leaves it, and a room joined here is bookmarked for
    /// the other clients.
    async fn bookmarks_are_followed_both_ways(kind: ServerKind) {
        use sotto_xmpp::xep::bookmarks::Bookmark;
        let server = server_with(kind, &[("alice", "alice-pw")]);
        let muc = server.muc_domain();
        let bookmark = |room: &str, autojoin: bool| Bookmark {
            room: format!("{room}@{muc}").parse().unwrap(),
            name: Some(format!("The {room} room")),
            autojoin,
            nick: Some("Ally".into()),
            password: None,
            extensions: Vec::new(),
        };
        let other = sotto_tests::profile::raw_session(&server, "alice", "alice-pw").await;
        other.publish_bookmark(&bookmark("early", true)).await.unwrap();

        let mut alice = Profile::new("alice");
        alice.login(&server, "alice", "alice-pw").await;
        let early = format!("early@{muc}");
        joined(&mut alice, &early).await;

        other.publish_bookmark(&bookmark("pushed", true)).await.unwrap();
        let pushed = format!("pushed@{muc}");
        let event = alice
            .expect("the pushed bookmark joined", |e| {
                matches!(e, Event::RoomJoined { room, .. } if *room == pushed)
            })
            .await;
        let Event::RoomJoined { nick, .. } = event else { unreachable!() };
        assert_eq!(nick, "Ally", "the bookmark's nickname");

        let mine = format!("mine@{muc}");
        join(&alice, ALICE, &mine, "Alice");
        joined(&mut alice, &mine).await;
        let mut seen = Vec::new();
        for _ in 0..50 {
            seen = other.bookmarks().await.unwrap();
            if seen.iter().any(|b| b.room.as_str() == mine) {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        let published = seen.iter().find(|b| b.room.as_str() == mine).expect("bookmarked");
        assert!(published.autojoin);
        assert_eq!(published.nick.as_deref(), Some("Alice"));

        other.publish_bookmark(&bookmark("early", false)).await.unwrap();
        let left = alice
            .expect("left with the bookmark", |e| {
                matches!(e, Event::RoomLeft { room, .. } if *room == early)
            })
            .await;
        let Event::RoomLeft { reason, .. } = left else { unreachable!() };
        assert!(reason.contains("another of your devices"), "{reason}");
        let kept = alice.store.room(ALICE, &early).unwrap().unwrap();
        assert!(kept.settings.bookmarked && !kept.settings.autojoin);
        assert_eq!(kept.settings.name.as_deref(), Some("The early room"));
        alice.shutdown().await;
        other.close().await;
    }
}

sotto_tests::on_servers! { [Prosody, Ejabberd]
    /// Someone writes OMEMO in a room: Sotto keeps a visible note (never
    /// drops it), and its own plaintext answer is refused in words instead
    /// of lowering the conversation's protection.
    async fn an_encrypted_room_is_never_answered_in_plaintext(kind: ServerKind) {
        use sotto_xmpp::xep::muc::{self, JoinHistory};
        use sotto_xmpp::xep::omemo::{Encrypted, KeyEntry, Namespace};
        let server = server_with(kind, &[("carol", "carol-pw"), ("bob", "bob-pw")]);
        let room = format!("secret@{}", server.muc_domain());
        let room_jid: sotto_xmpp::BareJid = room.parse().unwrap();
        let mut bob = Profile::new("bob");
        bob.login(&server, "bob", "bob-pw").await;
        join(&bob, BOB, &room, "Bob");
        joined(&mut bob, &room).await;
        let carol = sotto_tests::profile::raw_session(&server, "carol", "carol-pw").await;
        carol.send_presence(muc::join(&room_jid, "Carol", None, JoinHistory::None).unwrap());
        bob.expect("Carol in", |e| {
            matches!(e, Event::RoomOccupantChanged { occupant, present: true, .. }
                if occupant.nick == "Carol")
        })
        .await;

        let encrypted = Encrypted {
            namespace: Namespace::Legacy,
            sid: 4242,
            keys: vec![KeyEntry { jid: None, rid: 1, data: vec![7; 32], prekey: false }],
            iv: Some(vec![0; 12]),
            payload: Some(vec![1, 2, 3]),
        };
        let mut message = sotto_xmpp::xep::omemo::message(
            sotto_xmpp::Jid::from(room_jid.clone()),
            "enc-1",
            &[encrypted],
        )
        .unwrap();
        message.type_ = xmpp_parsers::message::MessageType::Groupchat;
        carol.send(message);
        let note = bob.expect_message(
            "[An OMEMO-encrypted group message: this version of Sotto cannot read encrypted group chats yet.]",
        )
        .await;
        assert_eq!(note.room.as_ref().unwrap().nick, "Carol");

        bob.forget();
        say(&bob, BOB, &room, "RoomCanary in the clear");
        bob.expect("the plaintext answer refused", |e| {
            matches!(e, Event::CommandFailed { reason, .. }
                if reason.contains("cannot encrypt group messages yet"))
        })
        .await;
        let history = bob.store.history(BOB, &room, None, 10).unwrap();
        assert!(history.iter().all(|m| m.body != "RoomCanary in the clear"), "not stored");
        bob.shutdown().await;
        carol.close().await;
    }
}
