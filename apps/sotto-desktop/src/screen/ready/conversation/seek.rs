// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! Jumping to one message (a search result) that may not be loaded yet.
//!
//! The core opens a conversation at its newest messages and pages older
//! history with `load_older`; it has no "open around this message" command.
//! So the conversation pages back, [`PAGE`] messages at a time, until the
//! message is loaded, and gives up after [`MAX_PAGES`] pages, when the core
//! says there is nothing older, or when history older than the message has
//! arrived without it (it was deleted).

use iced::Task;
use iced::widget::operation;

use super::timeline::Timeline;
use super::{Conversation, LIST, Message};
use crate::core_link::Core;

/// Messages per page while looking for a message.
pub const PAGE: usize = 200;
/// Most pages asked for before giving up (so at most 4,000 messages).
pub const MAX_PAGES: usize = 20;

/// The message to jump to: its local id and time (history is ordered by
/// time, then id).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Target {
    /// Local id.
    pub id: i64,
    /// Unix milliseconds.
    pub timestamp_ms: i64,
}

/// A search for a message in progress.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Seek {
    target: Target,
    pages: usize,
}

/// What to do next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// The message is loaded: show it.
    Found,
    /// Ask for an older page.
    More,
    /// Stop looking; the words say why.
    GiveUp(&'static str),
}

/// Shown when the history ended (or passed the message) without it.
pub const NOT_FOUND: &str = "That message is no longer in this conversation's history.";
/// Shown after [`MAX_PAGES`] pages.
pub const TOO_FAR: &str =
    "That message is too far back to jump to. Scroll up to load older messages.";

impl Seek {
    /// Starts looking for `target`.
    pub fn new(target: Target) -> Self {
        Self { target, pages: 0 }
    }

    /// The message looked for.
    pub fn target(&self) -> Target {
        self.target
    }

    /// Pages asked for so far.
    pub fn pages(&self) -> usize {
        self.pages
    }

    /// Decides, after a snapshot or page arrived, whether the message is
    /// there, another page is worth asking for (and counts it), or not.
    pub fn step(&mut self, timeline: &Timeline, has_more: bool) -> Step {
        if timeline.contains(self.target.id) {
            return Step::Found;
        }
        let passed = timeline
            .messages()
            .first()
            .is_some_and(|m| (m.timestamp_ms, m.id) < (self.target.timestamp_ms, self.target.id));
        if !has_more || passed {
            return Step::GiveUp(NOT_FOUND);
        }
        if self.pages >= MAX_PAGES {
            return Step::GiveUp(TOO_FAR);
        }
        self.pages += 1;
        Step::More
    }
}

impl Conversation {
    /// `n` messages arrived unseen while this conversation was open (the
    /// window was in the background): draw the line above the first of
    /// them, unless one is drawn already.
    pub fn mark_unread(&mut self, n: usize) {
        if self.marker.is_none() {
            self.marker = self.timeline.nth_newest_incoming(n);
        }
    }

    /// Jumps to a message of this conversation: at once when it is loaded,
    /// else after paging back to it.
    pub fn jump_to(&mut self, target: Target, core: &Core) -> Task<Message> {
        self.notice = None;
        self.seek = Some(Seek::new(target));
        if self.loaded {
            self.continue_seek(core)
        } else {
            Task::none()
        }
    }

    /// After a snapshot or a page: shows the message looked for, asks for
    /// the next page, or gives up.
    pub(super) fn continue_seek(&mut self, core: &Core) -> Task<Message> {
        let Some(seek) = &mut self.seek else {
            return Task::none();
        };
        match seek.step(&self.timeline, self.has_more) {
            Step::Found => {
                let id = seek.target().id;
                self.seek = None;
                self.timeline.show_around(id);
                self.focus = Some(id);
                operation::snap_to_end(LIST)
            }
            Step::More => {
                self.ask_older(core, PAGE);
                Task::none()
            }
            Step::GiveUp(why) => {
                self.seek = None;
                self.notice = Some(why);
                Task::none()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use sotto_store::{Direction, Encryption, MessageRecord, MessageState};

    use super::*;

    fn msg(id: i64) -> MessageRecord {
        MessageRecord {
            id,
            account: "a@example.org".into(),
            peer: "b@example.org".into(),
            direction: Direction::Incoming,
            body: format!("message {id}"),
            timestamp_ms: id * 1000,
            message_id: None,
            origin_id: None,
            stanza_id: None,
            state: MessageState::Received,
            encryption: Encryption::Plain,
            sender_device: None,
            room: None,
        }
    }

    fn timeline(ids: std::ops::Range<i64>) -> Timeline {
        let mut t = Timeline::default();
        t.reset(ids.map(msg).collect());
        t
    }

    fn target(id: i64) -> Target {
        Target {
            id,
            timestamp_ms: id * 1000,
        }
    }

    #[test]
    fn found_at_once_or_after_paging() {
        let mut seek = Seek::new(target(150));
        assert_eq!(seek.step(&timeline(100..200), true), Step::Found);
        let mut seek = Seek::new(target(50));
        assert_eq!(seek.step(&timeline(100..200), true), Step::More);
        assert_eq!(seek.pages(), 1);
        assert_eq!(seek.step(&timeline(0..200), false), Step::Found);
    }

    #[test]
    fn gives_up_at_the_end_past_the_message_or_after_the_limit() {
        let mut seek = Seek::new(target(50));
        assert_eq!(
            seek.step(&timeline(100..200), false),
            Step::GiveUp(NOT_FOUND)
        );
        // Deleted: older history arrived without it.
        let mut t = timeline(0..200);
        t.reset(
            t.messages()
                .iter()
                .filter(|m| m.id != 50)
                .cloned()
                .collect(),
        );
        assert_eq!(seek.step(&t, true), Step::GiveUp(NOT_FOUND));
        let mut seek = Seek::new(target(1));
        for _ in 0..MAX_PAGES {
            assert_eq!(seek.step(&timeline(100_000..100_010), true), Step::More);
        }
        assert_eq!(
            seek.step(&timeline(100_000..100_010), true),
            Step::GiveUp(TOO_FAR)
        );
    }
}
