// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! Room stanzas as Prosody 0.12 and ejabberd 23.01 send them (XEP-0045
//! examples where the servers agree), and the hostile cases of issue 14 §5.

use xmpp_parsers::mam;
use xmpp_parsers::message::Message;
use xmpp_parsers::minidom::Element;
use xmpp_parsers::presence::Presence;
use xmpp_parsers::stanza_error::{DefinedCondition, ErrorType, StanzaError};

use super::admin::{self, SelfPing};
use super::message::{self as room, InvitationKind, InvitationNews};
use super::*;
use crate::xep::message::Rejected;

fn el(xml: &str) -> Element {
    xml.parse().expect("test XML")
}

fn presence(xml: &str) -> Presence {
    Presence::try_from(el(xml)).expect("presence")
}

fn message(xml: &str) -> Message {
    Message::try_from(el(xml)).expect("message")
}

fn room_jid() -> BareJid {
    "room@conference.localhost".parse().expect("jid")
}

#[test]
fn self_presence_of_a_created_non_anonymous_room() {
    let p = presence(
        "<presence xmlns='jabber:client' from='room@conference.localhost/alice' to='alice@localhost/raw'>\
         <occupant-id xmlns='urn:xmpp:occupant-id:0' id='oid-1'/>\
         <x xmlns='http://jabber.org/protocol/muc#user'>\
         <item affiliation='owner' role='moderator' jid='alice@localhost/raw'/>\
         <status code='110'/><status code='201'/><status code='100'/><status code='999'/>\
         <status code='x'/></x></presence>",
    );
    let parsed = room_presence(&p).expect("a room presence").expect("valid");
    assert_eq!(parsed.room, room_jid());
    assert_eq!(parsed.nick, "alice");
    assert!(parsed.available && parsed.is_self());
    assert_eq!(parsed.role, Role::Moderator);
    assert_eq!(parsed.affiliation, Affiliation::Owner);
    assert_eq!(
        parsed.real_jid.map(|j| j.to_string()).as_deref(),
        Some("alice@localhost/raw")
    );
    assert_eq!(parsed.occupant_id.as_deref(), Some("oid-1"));
    assert!(parsed.status.has(Status::Created));
    assert!(parsed.status.has(Status::NonAnonymous));
    assert!(parsed.status.has(Status::Other(999)));
    assert_eq!(
        parsed.status.iter().count(),
        4,
        "a non-number code is skipped"
    );
}

#[test]
fn kicks_bans_nick_changes_and_removals_are_typed() {
    let kicked = presence(
        "<presence xmlns='jabber:client' type='unavailable' from='room@conference.localhost/bob'>\
         <x xmlns='http://jabber.org/protocol/muc#user'>\
         <item affiliation='member' role='none'><actor nick='alice'/><reason>spam\u{202e}</reason></item>\
         <status code='110'/><status code='307'/></x></presence>",
    );
    let parsed = room_presence(&kicked).expect("room").expect("valid");
    assert!(!parsed.available);
    assert!(parsed.status.has(Status::Kicked) && parsed.is_self());
    assert_eq!(parsed.role, Role::None);
    // Peer text is kept as sent; display code makes it safe.
    assert_eq!(parsed.reason.as_deref(), Some("spam\u{202e}"));

    let renamed = presence(
        "<presence xmlns='jabber:client' type='unavailable' from='room@conference.localhost/bob'>\
         <x xmlns='http://jabber.org/protocol/muc#user'>\
         <item affiliation='none' role='participant' nick='robert'/><status code='303'/></x></presence>",
    );
    let parsed = room_presence(&renamed).expect("room").expect("valid");
    assert_eq!(parsed.new_nick.as_deref(), Some("robert"));

    for (code, status) in [
        (301, Status::Banned),
        (321, Status::RemovedAffiliation),
        (322, Status::RemovedMembersOnly),
        (332, Status::RemovedShutdown),
        (333, Status::RemovedError),
        (170, Status::Logged),
        (210, Status::NickAssigned),
    ] {
        let p = presence(&format!(
            "<presence xmlns='jabber:client' type='unavailable' from='room@conference.localhost/c'>\
             <x xmlns='http://jabber.org/protocol/muc#user'><item affiliation='none' role='none'/>\
             <status code='{code}'/></x></presence>"
        ));
        let parsed = room_presence(&p).expect("room").expect("valid");
        assert!(parsed.status.has(status), "{code}");
    }
}

#[test]
fn room_presences_without_an_occupant_or_item_are_refused_and_contacts_pass_through() {
    let bare = presence(
        "<presence xmlns='jabber:client' from='room@conference.localhost'>\
         <x xmlns='http://jabber.org/protocol/muc#user'><item affiliation='none' role='none'/>\
         <status code='110'/></x></presence>",
    );
    assert_eq!(room_presence(&bare), Some(Err(BadRoomPresence::NoOccupant)));
    let no_item = presence(
        "<presence xmlns='jabber:client' from='room@conference.localhost/x'>\
         <x xmlns='http://jabber.org/protocol/muc#user'/></presence>",
    );
    assert_eq!(
        room_presence(&no_item),
        Some(Err(BadRoomPresence::MalformedItem))
    );
    let bad_role = presence(
        "<presence xmlns='jabber:client' from='room@conference.localhost/x'>\
         <x xmlns='http://jabber.org/protocol/muc#user'><item affiliation='none' role='king'/></x></presence>",
    );
    assert_eq!(
        room_presence(&bad_role),
        Some(Err(BadRoomPresence::MalformedItem))
    );
    let contact = presence("<presence xmlns='jabber:client' from='bob@localhost/phone'/>");
    assert_eq!(room_presence(&contact), None);
}

#[test]
fn join_errors_are_typed() {
    for (condition, kind, expected) in [
        ("conflict", "cancel", JoinError::NickConflict),
        ("not-authorized", "auth", JoinError::PasswordRequired),
        ("forbidden", "auth", JoinError::Banned),
        ("registration-required", "auth", JoinError::MembersOnly),
        ("service-unavailable", "wait", JoinError::Full),
        ("not-allowed", "cancel", JoinError::CreationRefused),
    ] {
        // Prosody answers without the muc element, ejabberd echoes it.
        let p = presence(&format!(
            "<presence xmlns='jabber:client' type='error' from='room@conference.localhost/alice'>\
             <x xmlns='http://jabber.org/protocol/muc'/>\
             <error type='{kind}'><{condition} xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error>\
             </presence>"
        ));
        let error = room_error(&p).expect("an error");
        assert_eq!(error.room, room_jid());
        assert_eq!(error.nick.as_deref(), Some("alice"));
        assert_eq!(error.error, expected, "{condition}");
        assert_eq!(room_presence(&p), None);
    }
}

#[test]
fn join_leave_and_nick_change_presences() {
    let join = join(&room_jid(), "alice", Some("s3cret"), JoinHistory::None).expect("join");
    let xml = String::from(&Element::from(join)).replace('\'', "\"");
    assert!(
        xml.contains("to=\"room@conference.localhost/alice\""),
        "{xml}"
    );
    assert!(xml.contains("<password>s3cret</password>"), "{xml}");
    assert!(xml.contains("maxstanzas=\"0\""), "{xml}");
    let default = super::join(&room_jid(), "alice", None, JoinHistory::RoomDefault).expect("join");
    let xml = String::from(&Element::from(default));
    assert!(
        !xml.contains("history") && !xml.contains("password"),
        "{xml}"
    );
    assert!(super::join(&room_jid(), "", None, JoinHistory::None).is_err());
    let occupant = room_jid().with_resource_str("alice").expect("jid");
    let leave = String::from(&Element::from(leave(occupant, None)));
    assert!(leave.contains("unavailable"), "{leave}");
    let renamed = change_nick(&room_jid(), "alicia").expect("nick");
    assert_eq!(
        renamed.to.map(|j| j.to_string()).as_deref(),
        Some("room@conference.localhost/alicia")
    );
}

#[test]
fn groupchat_messages_keep_only_the_rooms_stanza_id() {
    let m = message(
        "<message xmlns='jabber:client' type='groupchat' id='m1' from='room@conference.localhost/bob'>\
         <body>hi</body><origin-id xmlns='urn:xmpp:sid:0' id='o1'/>\
         <stanza-id xmlns='urn:xmpp:sid:0' by='bob@localhost' id='forged'/>\
         <stanza-id xmlns='urn:xmpp:sid:0' by='room@conference.localhost' id='room-1'/>\
         <occupant-id xmlns='urn:xmpp:occupant-id:0' id='oid-b'/>\
         <delay xmlns='urn:xmpp:delay' stamp='2026-12-01T10:00:00Z'/></message>",
    );
    let parsed = room::parse_groupchat(m).expect("room message");
    assert_eq!(parsed.room, room_jid());
    assert_eq!(parsed.nick.as_deref(), Some("bob"));
    assert_eq!(parsed.body.as_deref(), Some("hi"));
    assert_eq!(parsed.stanza_id.as_deref(), Some("room-1"));
    assert_eq!(parsed.origin_id.as_deref(), Some("o1"));
    assert_eq!(parsed.occupant_id.as_deref(), Some("oid-b"));
    assert_eq!(parsed.sent_at_ms, Some(1_796_119_200_000));
    assert!(!format!("{parsed:?}").contains("hi\""));

    let only_forged = message(
        "<message xmlns='jabber:client' type='groupchat' from='room@conference.localhost/bob'>\
         <body>x</body><stanza-id xmlns='urn:xmpp:sid:0' by='room@conference.localhost/bob' id='f'/></message>",
    );
    assert_eq!(
        room::parse_groupchat(only_forged)
            .expect("parsed")
            .stanza_id,
        None
    );

    let subject = message(
        "<message xmlns='jabber:client' type='groupchat' from='room@conference.localhost'>\
         <subject>Topic</subject></message>",
    );
    let parsed = room::parse_groupchat(subject).expect("subject");
    assert_eq!(parsed.nick, None);
    assert_eq!(parsed.subject.as_deref(), Some("Topic"));
    assert_eq!(parsed.body, None);
}

#[test]
fn room_archive_results_must_come_from_the_room_about_the_room() {
    let result = |from: &str| {
        mam::Result_::try_from(el(&format!(
            "<result xmlns='urn:xmpp:mam:2' id='arch-1'>\
             <forwarded xmlns='urn:xmpp:forward:0'><delay xmlns='urn:xmpp:delay' stamp='2026-12-01T10:00:00Z'/>\
             <message xmlns='jabber:client' type='groupchat' from='{from}'><body>old</body></message>\
             </forwarded></result>"
        )))
        .expect("result")
    };
    let room_jid = room_jid();
    let from_room: Jid = "room@conference.localhost".parse().expect("jid");
    let parsed = room::parse_room_archived(
        &room_jid,
        Some(&from_room),
        result("room@conference.localhost/bob"),
    )
    .expect("archived");
    assert_eq!(parsed.stanza_id.as_deref(), Some("arch-1"));
    assert!(parsed.archived);
    // Delivered by someone else, or about another room: refused.
    let stranger: Jid = "eve@localhost".parse().expect("jid");
    assert!(matches!(
        room::parse_room_archived(
            &room_jid,
            Some(&stranger),
            result("room@conference.localhost/bob")
        ),
        Err(Rejected::ForeignArchive(_))
    ));
    assert!(matches!(
        room::parse_room_archived(&room_jid, None, result("room@conference.localhost/bob")),
        Err(Rejected::ForeignArchive(_))
    ));
    assert!(matches!(
        room::parse_room_archived(
            &room_jid,
            Some(&from_room),
            result("other@conference.localhost/bob")
        ),
        Err(Rejected::ForeignArchive(_))
    ));
}

#[test]
fn private_messages_are_told_apart_from_chats_and_from_the_room_itself() {
    let pm = message(
        "<message xmlns='jabber:client' type='chat' from='room@conference.localhost/bob'>\
         <body>psst</body><x xmlns='http://jabber.org/protocol/muc#user'/></message>",
    );
    assert!(room::is_private_message(&pm));
    let own: BareJid = "alice@localhost".parse().expect("jid");
    assert!(
        crate::xep::message::parse(&own, pm)
            .expect("parsed")
            .muc_private
    );
    let chat = message(
        "<message xmlns='jabber:client' type='chat' from='bob@localhost/phone'><body>hi</body></message>",
    );
    assert!(!room::is_private_message(&chat));
    assert!(
        !crate::xep::message::parse(&own, chat)
            .expect("parsed")
            .muc_private
    );
    // "A PM claiming to be from the room itself" is not a PM.
    let from_room = message(
        "<message xmlns='jabber:client' type='chat' from='room@conference.localhost'>\
         <body>x</body><x xmlns='http://jabber.org/protocol/muc#user'/></message>",
    );
    assert!(!room::is_private_message(&from_room));
}

#[test]
fn mediated_and_direct_invitations_and_declines() {
    let mediated = message(
        "<message xmlns='jabber:client' from='room@conference.localhost' to='bob@localhost'>\
         <x xmlns='http://jabber.org/protocol/muc#user'>\
         <invite from='alice@localhost/raw'><reason>join us</reason></invite>\
         <password>pw</password></x></message>",
    );
    let Some(Ok(InvitationNews::Invited(invite))) = room::invitation(&mediated) else {
        panic!("a mediated invitation");
    };
    assert_eq!(invite.room, room_jid());
    assert_eq!(invite.kind, InvitationKind::Mediated);
    assert_eq!(invite.reason.as_deref(), Some("join us"));
    assert_eq!(invite.password.as_deref(), Some("pw"));
    assert!(!format!("{invite:?}").contains("pw\""));

    // Prosody adds a jabber:x:conference element to mediated invitations
    // (its COMPAT hook): still mediated, from the room.
    let prosody = message(
        "<message xmlns='jabber:client' from='room@conference.localhost' to='bob@localhost'>\
         <x xmlns='http://jabber.org/protocol/muc#user'><invite from='alice@localhost/raw'>\
         <reason>r</reason></invite></x>\
         <x xmlns='jabber:x:conference' jid='room@conference.localhost'>r</x>\
         <body>alice@localhost/raw invited you to the room room@conference.localhost (r)</body></message>",
    );
    let Some(Ok(InvitationNews::Invited(invite))) = room::invitation(&prosody) else {
        panic!("Prosody's mediated invitation");
    };
    assert_eq!(invite.kind, InvitationKind::Mediated);
    assert_eq!(
        invite.inviter.map(|j| j.to_string()).as_deref(),
        Some("alice@localhost/raw")
    );

    let direct = message(
        "<message xmlns='jabber:client' from='alice@localhost/raw'>\
         <x xmlns='jabber:x:conference' jid='room@conference.localhost' reason='hey'/></message>",
    );
    let Some(Ok(InvitationNews::Invited(invite))) = room::invitation(&direct) else {
        panic!("a direct invitation");
    };
    assert_eq!(invite.kind, InvitationKind::Direct);
    assert_eq!(invite.room, room_jid());

    let forged = message(
        "<message xmlns='jabber:client' from='room@conference.localhost/eve'>\
         <x xmlns='http://jabber.org/protocol/muc#user'><invite from='alice@localhost'/></x></message>",
    );
    assert!(matches!(room::invitation(&forged), Some(Err(_))));

    let declined = message(
        "<message xmlns='jabber:client' from='room@conference.localhost'>\
         <x xmlns='http://jabber.org/protocol/muc#user'><decline from='bob@localhost'/></x></message>",
    );
    assert!(matches!(
        room::invitation(&declined),
        Some(Ok(InvitationNews::Declined(_)))
    ));
    let plain =
        message("<message xmlns='jabber:client' from='bob@localhost'><body>x</body></message>");
    assert_eq!(room::invitation(&plain), None);

    let bob: BareJid = "bob@localhost".parse().expect("jid");
    let xml = String::from(&Element::from(room::invite_mediated(
        &room_jid(),
        &bob,
        Some("r"),
    )));
    assert!(
        xml.contains("invite") && xml.contains("bob@localhost"),
        "{xml}"
    );
    let xml = String::from(&Element::from(room::invite_direct(
        Jid::from(bob.clone()),
        &room_jid(),
        None,
        None,
    )));
    assert!(xml.contains("jabber:x:conference"), "{xml}");
    let inviter: Jid = "alice@localhost".parse().expect("jid");
    let xml = String::from(&Element::from(room::decline(&room_jid(), &inviter, None)));
    assert!(xml.contains("decline"), "{xml}");
}

#[test]
fn configuration_submits_only_offered_fields() {
    let answer = el("<query xmlns='http://jabber.org/protocol/muc#owner'>\
         <x xmlns='jabber:x:data' type='form'>\
         <field var='FORM_TYPE' type='hidden'><value>http://jabber.org/protocol/muc#roomconfig</value></field>\
         <field var='muc#roomconfig_membersonly' type='boolean'><value>0</value></field>\
         <field var='muc#roomconfig_whois' type='list-single'><value>moderators</value>\
         <option><value>moderators</value></option><option><value>anyone</value></option></field>\
         <field var='muc#roomconfig_persistentroom' type='boolean'/>\
         </x></query>");
    let form = admin::parse_config_form(Some(answer)).expect("form");
    let missing = admin::missing_fields(&form, admin::PRIVATE_GROUP);
    assert!(missing.contains(&"mam") && !missing.contains(&"muc#roomconfig_whois"));
    let xml = String::from(&admin::submit_config(&form, admin::PRIVATE_GROUP)).replace('\'', "\"");
    assert!(xml.contains("type=\"submit\""), "{xml}");
    assert!(xml.contains("muc#roomconfig_membersonly"), "{xml}");
    assert!(xml.contains("<value>anyone</value>"), "{xml}");
    assert!(!xml.contains("var=\"mam\""), "{xml}");
    assert!(admin::parse_config_form(None).is_err());
    let instant = String::from(&admin::instant_room());
    assert!(instant.contains("submit"), "{instant}");
}

#[test]
fn affiliation_lists_and_moderation_requests() {
    let answer = el("<query xmlns='http://jabber.org/protocol/muc#admin'>\
         <item affiliation='member' jid='bob@localhost' nick='bob'/>\
         <item affiliation='member' jid='carol@localhost/res'/>\
         <item affiliation='member'/><item affiliation='emperor' jid='x@localhost'/></query>");
    let (list, skipped) = admin::parse_affiliation_list(Some(answer)).expect("list");
    assert_eq!(list.len(), 2);
    assert_eq!(skipped, 2);
    assert_eq!(list[1].jid.to_string(), "carol@localhost");
    assert_eq!(list[0].nick.as_deref(), Some("bob"));

    let request = String::from(&admin::affiliation_list_request(Affiliation::Member));
    assert!(
        request.contains("affiliation") && request.contains("member"),
        "{request}"
    );
    let bob: BareJid = "bob@localhost".parse().expect("jid");
    let ban = String::from(&admin::set_affiliation(
        &bob,
        Affiliation::Outcast,
        Some("bye"),
    ));
    assert!(
        ban.contains("outcast") && ban.contains("<reason>bye</reason>"),
        "{ban}"
    );
    let kick = String::from(&admin::set_role("bob", Role::None, None));
    assert!(kick.contains("role") && kick.contains("none"), "{kick}");
    let destroy = String::from(&admin::destroy(Some("done")));
    assert!(
        destroy.contains("destroy") && destroy.contains("muc#owner"),
        "{destroy}"
    );
    let subject = String::from(&Element::from(room::subject(&room_jid(), "New")));
    assert!(subject.contains("<subject>New</subject>"), "{subject}");
}

#[test]
fn self_ping_answers_per_xep_0410() {
    let error = |condition| StanzaError::new(ErrorType::Cancel, condition, "en", "");
    assert_eq!(admin::self_ping_result(Ok(())), SelfPing::Joined);
    for (condition, expected) in [
        (DefinedCondition::ServiceUnavailable, SelfPing::Joined),
        (DefinedCondition::FeatureNotImplemented, SelfPing::Joined),
        (DefinedCondition::NotAcceptable, SelfPing::NotJoined),
        (DefinedCondition::ItemNotFound, SelfPing::NotJoined),
        (DefinedCondition::RemoteServerTimeout, SelfPing::Unknown),
        (DefinedCondition::RemoteServerNotFound, SelfPing::Unknown),
    ] {
        assert_eq!(
            admin::self_ping_result(Err(&error(condition.clone()))),
            expected,
            "{condition:?}"
        );
    }
}
