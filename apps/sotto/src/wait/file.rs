// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! Waiting for a file transfer: `send-file` until the link's message is
//! acknowledged by the server, `save` until the file is written.

use sotto_core::{Event, TransferState};
use sotto_store::{Direction, MessageState};

use super::{Step, Waiter};

/// How a file transfer ended well.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileDone {
    /// Uploaded, and its link's message reached the server (or the peer).
    Sent(MessageState),
    /// Saved to this path.
    Saved(String),
}

/// How it ended badly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileError {
    /// The core reported the transfer failed (or cancelled).
    Failed(String),
    /// The link was uploaded, but its message failed.
    LinkFailed,
    /// The core refused a command.
    CommandFailed(String),
    /// Gave up waiting.
    TimedOut {
        /// How far it got.
        last: String,
        /// How long we waited, in seconds.
        after_secs: u64,
    },
}

/// Follows the transfer `id` of `account` (and, for an upload to `to`, the
/// message carrying its link).
#[derive(Debug, Clone)]
pub struct FileWaiter {
    account: String,
    id: String,
    /// The recipient of an upload; `None` for a download.
    to: Option<String>,
    /// The link's message: local id and last state.
    link: Option<(i64, MessageState)>,
    uploaded: bool,
    /// The last tenth of progress shown.
    shown: Option<u64>,
    last: String,
    notes: Vec<String>,
}

impl FileWaiter {
    /// Follows an upload to `to`.
    pub fn upload(account: &str, id: &str, to: &str) -> Self {
        Self::new(account, id, Some(to.to_owned()))
    }

    /// Follows a download.
    pub fn download(account: &str, id: &str) -> Self {
        Self::new(account, id, None)
    }

    fn new(account: &str, id: &str, to: Option<String>) -> Self {
        Self {
            account: account.to_owned(),
            id: id.to_owned(),
            to,
            link: None,
            uploaded: false,
            shown: None,
            last: "not started".into(),
            notes: Vec::new(),
        }
    }

    fn link_state(&mut self, state: MessageState) -> Step<FileDone, FileError> {
        if let Some(link) = &mut self.link {
            link.1 = state;
        }
        match state {
            MessageState::Failed => Step::Done(Err(FileError::LinkFailed)),
            MessageState::Acked | MessageState::Delivered if self.uploaded => {
                Step::Done(Ok(FileDone::Sent(state)))
            }
            _ => Step::Pending,
        }
    }
}

impl Waiter for FileWaiter {
    type Output = FileDone;
    type Error = FileError;

    fn on_event(&mut self, event: &Event) -> Step<FileDone, FileError> {
        match event {
            Event::OmemoUnavailable { account, reason }
                if account.eq_ignore_ascii_case(&self.account) =>
            {
                self.notes
                    .push(super::omemo_unavailable_note(account, reason));
                Step::Pending
            }
            Event::Transfer {
                account,
                id,
                name,
                state,
                ..
            } if *id == self.id && account.eq_ignore_ascii_case(&self.account) => match state {
                TransferState::Preparing => {
                    self.last = "preparing".into();
                    Step::Pending
                }
                TransferState::Uploading { sent, total } => {
                    let verb = if self.to.is_some() {
                        "uploading"
                    } else {
                        "saving"
                    };
                    self.last = format!("{verb}, {sent} bytes done");
                    let tenth = (sent * 10).checked_div(*total);
                    if tenth.is_some() && tenth != self.shown {
                        self.shown = tenth;
                        self.notes.push(format!(
                            "{verb} {}: {} %",
                            crate::output::sanitize(name),
                            tenth.unwrap_or(0) * 10
                        ));
                    }
                    Step::Pending
                }
                TransferState::Sent => {
                    self.uploaded = true;
                    self.last = "uploaded; the link is being sent".into();
                    match self.link {
                        Some((_, state)) => self.link_state(state),
                        None => Step::Pending,
                    }
                }
                TransferState::Saved { path } => Step::Done(Ok(FileDone::Saved(path.clone()))),
                TransferState::Failed { reason } => {
                    Step::Done(Err(FileError::Failed(reason.clone())))
                }
                TransferState::Cancelled => Step::Done(Err(FileError::Failed("cancelled".into()))),
                _ => Step::Pending,
            },
            Event::MessageAdded {
                account, message, ..
            } if self.link.is_none()
                && account.eq_ignore_ascii_case(&self.account)
                && message.direction == Direction::Outgoing
                && self
                    .to
                    .as_deref()
                    .is_some_and(|to| message.peer.eq_ignore_ascii_case(to))
                && sotto_core::file_link(&message.body).is_some() =>
            {
                self.link = Some((message.id, message.state));
                self.link_state(message.state)
            }
            Event::MessageStateChanged {
                account, id, state, ..
            } if self.link.is_some_and(|(link, _)| link == *id)
                && account.eq_ignore_ascii_case(&self.account) =>
            {
                self.link_state(*state)
            }
            Event::CommandFailed {
                account: Some(account),
                reason,
                ..
            } if account.eq_ignore_ascii_case(&self.account) && self.link.is_none() => {
                Step::Done(Err(FileError::CommandFailed(reason.clone())))
            }
            _ => Step::Pending,
        }
    }

    fn give_up(&self, after_secs: u64) -> FileError {
        FileError::TimedOut {
            last: self.last.clone(),
            after_secs,
        }
    }

    fn progress(&mut self) -> Option<String> {
        (!self.notes.is_empty()).then(|| std::mem::take(&mut self.notes).join("\n"))
    }
}

#[cfg(test)]
mod tests {
    use sotto_store::{Encryption, MessageRecord};

    use super::*;

    const ME: &str = "alice@example.org";
    const BOB: &str = "bob@example.org";

    fn transfer(state: TransferState) -> Event {
        Event::Transfer {
            account: ME.into(),
            id: "f1".into(),
            peer: BOB.into(),
            name: "a.jpg".into(),
            download: false,
            state,
            request: None,
        }
    }

    fn link_added(state: MessageState) -> Event {
        Event::MessageAdded {
            account: ME.into(),
            message: MessageRecord {
                id: 9,
                account: ME.into(),
                peer: BOB.into(),
                direction: Direction::Outgoing,
                body: format!("aesgcm://up.example.org/x/a.jpg#{}", "0".repeat(88)),
                timestamp_ms: 0,
                message_id: None,
                origin_id: None,
                stanza_id: None,
                state,
                encryption: Encryption::Omemo,
                sender_device: None,
                room: None,
            },
            request: None,
        }
    }

    #[test]
    fn an_upload_ends_when_its_links_message_is_acknowledged() {
        let mut w = FileWaiter::upload(ME, "f1", BOB);
        assert_eq!(
            w.on_event(&transfer(TransferState::Preparing)),
            Step::Pending
        );
        for sent in [0, 50, 100] {
            let _ = w.on_event(&transfer(TransferState::Uploading { sent, total: 100 }));
        }
        assert_eq!(
            w.progress().as_deref(),
            Some("uploading a.jpg: 0 %\nuploading a.jpg: 50 %\nuploading a.jpg: 100 %")
        );
        assert_eq!(w.on_event(&link_added(MessageState::Queued)), Step::Pending);
        assert_eq!(w.on_event(&transfer(TransferState::Sent)), Step::Pending);
        let acked = Event::MessageStateChanged {
            account: ME.into(),
            peer: BOB.into(),
            id: 9,
            state: MessageState::Acked,
        };
        assert_eq!(
            w.on_event(&acked),
            Step::Done(Ok(FileDone::Sent(MessageState::Acked)))
        );
    }

    #[test]
    fn failures_and_saves_end_the_wait() {
        let mut w = FileWaiter::upload(ME, "f1", BOB);
        assert_eq!(
            w.on_event(&transfer(TransferState::Failed {
                reason: "too big".into()
            })),
            Step::Done(Err(FileError::Failed("too big".into())))
        );
        let mut w = FileWaiter::download(ME, "f1");
        assert_eq!(
            w.on_event(&transfer(TransferState::Saved {
                path: "/tmp/a.jpg".into()
            })),
            Step::Done(Ok(FileDone::Saved("/tmp/a.jpg".into())))
        );
        let other = Event::Transfer {
            account: ME.into(),
            id: "f2".into(),
            peer: BOB.into(),
            name: "b".into(),
            download: true,
            state: TransferState::Cancelled,
            request: None,
        };
        assert_eq!(w.on_event(&other), Step::Pending, "another transfer");
        assert!(matches!(
            w.give_up(30),
            FileError::TimedOut { after_secs: 30, .. }
        ));
    }
}
