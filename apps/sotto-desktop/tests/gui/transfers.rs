// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! Sending a file from a conversation: the chosen file becomes a
//! `send_file` with the conversation's encryption; progress, cancel and a
//! failure show above the composer, and stay with their conversation when
//! the user looks elsewhere.

use sotto_core::api::Encryption;
use sotto_core::{Command, Event, TransferState};
use sotto_desktop::screen::ready::{Message, conversation};
use sotto_store::{Direction, MessageState};

use crate::contacts::with_roster;
use crate::conversation::{BOB, ME, open_bob, record};

fn transfer(state: TransferState) -> Event {
    Event::Transfer {
        account: ME.into(),
        id: "file-1".into(),
        peer: BOB.into(),
        name: "beach.jpg".into(),
        download: false,
        state,
        request: None,
    }
}

#[test]
fn a_picked_file_is_sent_with_progress_cancel_and_failure() {
    let mut h = with_roster();
    open_bob(&mut h);
    assert!(h.shows("Attach"));
    h.click("Attach");
    // The OS dialog runs as a task; its answer comes back as `Picked`.
    h.update(Message::Conversation(conversation::Message::Picked(None)));
    assert!(h.commands.drain().is_empty(), "no file, nothing sent");

    // The lock is on OMEMO: the file goes encrypted.
    h.update(Message::Conversation(conversation::Message::Security(
        conversation::encryption::Message::Choose(conversation::encryption::Choice::Omemo),
    )));
    h.commands.drain();
    h.update(Message::Conversation(conversation::Message::Picked(Some(
        "/home/alice/beach.jpg".into(),
    ))));
    assert_eq!(
        h.commands.drain(),
        vec![Command::SendFile {
            account: ME.into(),
            to: BOB.into(),
            path: "/home/alice/beach.jpg".into(),
            id: "file-1".into(),
            encryption: Some(Encryption::Omemo),
        }]
    );

    h.events([transfer(TransferState::Preparing)]);
    assert!(h.shows("Preparing beach.jpg…"));
    h.events([transfer(TransferState::Uploading {
        sent: 150_008,
        total: 300_016,
    })]);
    assert!(h.shows("Sending beach.jpg — 50 %"));

    // Still there after a look at another pane.
    h.update(Message::Show(sotto_desktop::screen::ready::Pane::Settings));
    h.update(Message::Show(sotto_desktop::screen::ready::Pane::Chat));
    assert!(h.shows("Sending beach.jpg — 50 %"));

    h.click("Cancel");
    assert_eq!(
        h.commands.drain(),
        vec![Command::CancelTransfer {
            account: ME.into(),
            id: "file-1".into(),
        }]
    );
    h.events([transfer(TransferState::Cancelled)]);
    assert!(!h.shows("Sending beach.jpg — 50 %"));

    h.events([transfer(TransferState::Failed {
        reason: "the server offers no file upload (XEP-0363)".into(),
    })]);
    assert!(h.shows("Could not send beach.jpg: the server offers no file upload (XEP-0363)"));
    h.click("Dismiss");
    assert!(h.ready.transfers().of(ME, BOB).is_empty());

    h.events([transfer(TransferState::Uploading { sent: 1, total: 2 })]);
    h.events([transfer(TransferState::Sent)]);
    assert!(
        h.ready.transfers().of(ME, BOB).is_empty(),
        "a sent file's link is in the timeline; the row goes"
    );
}

#[test]
fn a_received_file_link_shows_as_a_file_and_is_saved() {
    let mut h = with_roster();
    open_bob(&mut h);
    let link = format!(
        "aesgcm://up.example.org/share/x/b%C3%A9ach.jpg#{}",
        "0a".repeat(44)
    );
    let mut message = record(7, Direction::Incoming, &link, MessageState::Received);
    message.encryption = sotto_store::Encryption::Omemo;
    h.events([Event::ConversationSnapshot {
        account: ME.into(),
        peer: BOB.into(),
        messages: vec![message],
        has_more: false,
        request: None,
    }]);
    assert!(h.shows("File: béach.jpg"));
    assert!(h.shows("Encrypted file"));
    assert!(!h.shows(&link), "the link (and its key) is not shown");

    h.click("Save…");
    h.update(Message::Conversation(conversation::Message::SaveTo(
        7,
        Some("/home/alice/Downloads/béach.jpg".into()),
    )));
    assert_eq!(
        h.commands.drain(),
        vec![Command::SaveFile {
            account: ME.into(),
            peer: BOB.into(),
            url: link.clone(),
            path: "/home/alice/Downloads/béach.jpg".into(),
            id: "file-1".into(),
        }]
    );
    let saving = |state| Event::Transfer {
        account: ME.into(),
        id: "file-1".into(),
        peer: BOB.into(),
        name: "béach.jpg".into(),
        download: true,
        state,
        request: None,
    };
    h.events([saving(TransferState::Uploading {
        sent: 500,
        total: 1000,
    })]);
    assert!(h.shows("Saving béach.jpg — 50 %"));
    h.events([saving(TransferState::Saved {
        path: "/home/alice/Downloads/béach.jpg".into(),
    })]);
    assert!(h.shows("Saved béach.jpg to /home/alice/Downloads/béach.jpg"));
    h.click("Dismiss");
    assert!(h.ready.transfers().of(ME, BOB).is_empty());
}
