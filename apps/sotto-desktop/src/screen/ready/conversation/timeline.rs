// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! The messages of one conversation and the window of them that is shown.
//!
//! Every loaded message is kept here, ordered by (timestamp, local id), but
//! only a window of at most [`WINDOW`] of them is put in the widget tree, so
//! layout and drawing cost the same with 100 or 100,000 messages loaded.
//! Scrolling near an edge of the window slides it by [`STEP`] messages; at
//! the oldest loaded message the conversation asks the core for an older
//! page. Changes are applied idempotently by local id, as the core's rules
//! require.

use std::ops::Range;

use sotto_store::{Direction, MessageRecord, MessageState};

/// Most messages in the widget tree at once.
pub const WINDOW: usize = 120;
/// How far the window slides when the user scrolls near one of its edges.
pub const STEP: usize = 40;
/// How many newer messages stay below a message jumped to.
pub const AROUND: usize = 3;

/// The loaded messages and the shown window.
#[derive(Debug, Default)]
pub struct Timeline {
    messages: Vec<MessageRecord>,
    /// The shown messages: `messages[start..end]`.
    start: usize,
    end: usize,
}

/// How the window moved, in messages added (positive) or removed (negative)
/// below the part the user is looking at. The conversation turns it into a
/// scroll correction, because the list is anchored at its bottom.
pub type BelowChange = isize;

impl Timeline {
    /// All loaded messages, oldest first.
    pub fn messages(&self) -> &[MessageRecord] {
        &self.messages
    }

    /// The shown messages, oldest first.
    pub fn window(&self) -> &[MessageRecord] {
        &self.messages[self.start..self.end]
    }

    /// The shown range of indices.
    pub fn range(&self) -> Range<usize> {
        self.start..self.end
    }

    /// Whether the window ends at the newest loaded message.
    pub fn at_newest(&self) -> bool {
        self.end == self.messages.len()
    }

    /// Whether the window starts at the oldest loaded message.
    pub fn at_oldest(&self) -> bool {
        self.start == 0
    }

    /// The local id of the oldest loaded message.
    pub fn oldest_id(&self) -> Option<i64> {
        self.messages.first().map(|m| m.id)
    }

    /// Replaces everything with a snapshot and shows its newest messages.
    pub fn reset(&mut self, mut messages: Vec<MessageRecord>) {
        messages.sort_by_key(|m| (m.timestamp_ms, m.id));
        messages.dedup_by_key(|m| m.id);
        self.messages = messages;
        self.end = self.messages.len();
        self.start = self.end.saturating_sub(WINDOW);
    }

    /// Adds one message, unless it is already loaded; returns whether it was
    /// new. A message that lands inside or right after the window (the live
    /// end) becomes visible; the window then drops its oldest if too long.
    pub fn insert(&mut self, message: MessageRecord) -> bool {
        if self.messages.iter().rev().any(|m| m.id == message.id) {
            return false;
        }
        let key = (message.timestamp_ms, message.id);
        let at = self
            .messages
            .partition_point(|m| (m.timestamp_ms, m.id) < key);
        let live = self.at_newest();
        self.messages.insert(at, message);
        if at < self.start || (at == self.start && self.start > 0) {
            self.start += 1;
            self.end += 1;
        } else if at <= self.end && (at < self.end || live) {
            self.end += 1;
            if self.end - self.start > WINDOW {
                self.start = self.end - WINDOW;
            }
        }
        true
    }

    /// Adds an older page (answer to `load_older`) and moves the window up
    /// to show it, dropping messages at the bottom when the window is full.
    /// Returns the change below the viewport.
    pub fn prepend_page(&mut self, page: Vec<MessageRecord>) -> BelowChange {
        let mut before_window = 0;
        for message in page {
            if self.messages.iter().any(|m| m.id == message.id) {
                continue;
            }
            let key = (message.timestamp_ms, message.id);
            let at = self
                .messages
                .partition_point(|m| (m.timestamp_ms, m.id) < key);
            self.messages.insert(at, message);
            if at <= self.start {
                before_window += 1;
                self.start += 1;
                self.end += 1;
            } else if at < self.end {
                self.end += 1;
            }
        }
        if before_window == 0 {
            return 0;
        }
        let start = self.start - before_window;
        let end = self.end.min(start + WINDOW);
        let removed = self.end - end;
        self.start = start;
        self.end = end;
        -(removed as isize)
    }

    /// Sets the state of a loaded message; false when it is not loaded.
    pub fn set_state(&mut self, id: i64, state: MessageState) -> bool {
        match self.messages.iter_mut().rev().find(|m| m.id == id) {
            Some(m) => {
                m.state = state;
                true
            }
            None => false,
        }
    }

    /// Shows [`STEP`] older loaded messages, dropping as many at the bottom
    /// when the window is full. Returns the change below the viewport.
    pub fn slide_up(&mut self) -> BelowChange {
        if self.start == 0 {
            return 0;
        }
        let start = self.start.saturating_sub(STEP);
        let end = self.end.min(start + WINDOW);
        let removed = self.end - end;
        self.start = start;
        self.end = end;
        -(removed as isize)
    }

    /// Shows [`STEP`] newer loaded messages, dropping as many at the top
    /// when the window is full. Returns the change below the viewport.
    pub fn slide_down(&mut self) -> BelowChange {
        if self.at_newest() {
            return 0;
        }
        let end = (self.end + STEP).min(self.messages.len());
        let added = end - self.end;
        self.end = end;
        self.start = self.start.max(end.saturating_sub(WINDOW));
        added as isize
    }

    /// Jumps to the newest messages.
    pub fn jump_to_newest(&mut self) {
        self.end = self.messages.len();
        self.start = self.end.saturating_sub(WINDOW);
    }

    /// Whether the message with this local id is loaded.
    pub fn contains(&self, id: i64) -> bool {
        self.messages.iter().rev().any(|m| m.id == id)
    }

    /// Moves the window so that it ends [`AROUND`] messages after the one
    /// with this id: with the list snapped to its end, that message is on
    /// screen with a little context below it. False when it is not loaded.
    pub fn show_around(&mut self, id: i64) -> bool {
        let Some(at) = self.messages.iter().position(|m| m.id == id) else {
            return false;
        };
        self.end = (at + 1 + AROUND).min(self.messages.len());
        self.start = self.end.saturating_sub(WINDOW);
        true
    }

    /// The local id of the `n`-th newest incoming message (1 is the newest),
    /// where the "New messages" line goes when `n` messages are unread. With
    /// fewer incoming messages loaded, the oldest loaded incoming one.
    pub fn nth_newest_incoming(&self, n: usize) -> Option<i64> {
        if n == 0 {
            return None;
        }
        let incoming = self
            .messages
            .iter()
            .rev()
            .filter(|m| m.direction == Direction::Incoming);
        incoming.take(n).last().map(|m| m.id)
    }
}

#[cfg(test)]
mod tests {
    use sotto_store::Encryption;

    use super::*;

    fn msg(id: i64, ts: i64) -> MessageRecord {
        MessageRecord {
            id,
            account: "a@example.org".into(),
            peer: "b@example.org".into(),
            direction: if id % 2 == 0 {
                Direction::Incoming
            } else {
                Direction::Outgoing
            },
            body: format!("message {id}"),
            timestamp_ms: ts,
            message_id: None,
            origin_id: None,
            stanza_id: None,
            state: MessageState::Received,
            encryption: Encryption::Plain,
            sender_device: None,
            room: None,
        }
    }

    fn many(range: Range<i64>) -> Vec<MessageRecord> {
        range.map(|i| msg(i, i * 1000)).collect()
    }

    #[test]
    fn snapshot_shows_the_newest_window() {
        let mut t = Timeline::default();
        t.reset(many(0..500));
        assert_eq!(t.window().len(), WINDOW);
        assert_eq!(t.window().last().map(|m| m.id), Some(499));
        assert!(t.at_newest());
        assert!(!t.at_oldest());
    }

    #[test]
    fn live_messages_append_and_keep_the_window_bounded() {
        let mut t = Timeline::default();
        t.reset(many(0..WINDOW as i64));
        assert!(t.insert(msg(1000, 1_000_000)));
        assert!(!t.insert(msg(1000, 1_000_000)), "duplicates are ignored");
        assert_eq!(t.window().len(), WINDOW);
        assert_eq!(t.window().last().map(|m| m.id), Some(1000));
    }

    #[test]
    fn late_history_is_placed_by_time() {
        let mut t = Timeline::default();
        t.reset(many(10..20));
        t.insert(msg(99, 14_500));
        let ids: Vec<i64> = t.messages().iter().map(|m| m.id).collect();
        assert_eq!(ids, vec![10, 11, 12, 13, 14, 99, 15, 16, 17, 18, 19]);
        assert_eq!(t.window().len(), 11);
    }

    #[test]
    fn a_message_after_a_scrolled_back_window_stays_hidden() {
        let mut t = Timeline::default();
        t.reset(many(0..400));
        t.slide_up();
        let range = t.range();
        t.insert(msg(401, 401_000));
        assert_eq!(t.range(), range);
        assert!(!t.at_newest());
        t.jump_to_newest();
        assert_eq!(t.window().last().map(|m| m.id), Some(401));
    }

    #[test]
    fn sliding_and_paging_keep_the_window_bounded() {
        let mut t = Timeline::default();
        t.reset(many(100_000..100_200));
        assert_eq!(t.slide_up(), -(STEP as isize));
        while !t.at_oldest() {
            t.slide_up();
            assert!(t.window().len() <= WINDOW);
        }
        // An older page from the core: shown, window still bounded.
        let change = t.prepend_page(many(99_950..100_000));
        assert!(change <= 0);
        assert!(t.window().len() <= WINDOW);
        assert_eq!(t.oldest_id(), Some(99_950));
        assert_eq!(t.messages().len(), 250);
        // A page of what we already hold changes nothing.
        assert_eq!(t.prepend_page(many(99_950..99_960)), 0);
        while !t.at_newest() {
            assert!(t.slide_down() > 0);
            assert!(t.window().len() <= WINDOW);
        }
        assert_eq!(t.window().last().map(|m| m.id), Some(100_199));
    }

    #[test]
    fn showing_around_a_message_puts_it_near_the_window_end() {
        let mut t = Timeline::default();
        t.reset(many(0..1_000));
        assert!(t.show_around(500));
        assert_eq!(t.window().len(), WINDOW);
        assert_eq!(t.window().last().map(|m| m.id), Some(500 + AROUND as i64));
        assert!(!t.at_newest());
        assert!(t.show_around(998));
        assert!(t.at_newest(), "near the end, the window ends at the newest");
        assert!(t.show_around(2));
        assert!(t.at_oldest());
        assert!(t.window().iter().any(|m| m.id == 2));
        assert!(!t.show_around(5_000));
        assert!(t.contains(7) && !t.contains(5_000));
    }

    #[test]
    fn the_nth_newest_incoming_message() {
        // Even ids are incoming (see `msg`).
        let mut t = Timeline::default();
        t.reset(many(0..10));
        assert_eq!(t.nth_newest_incoming(0), None);
        assert_eq!(t.nth_newest_incoming(1), Some(8));
        assert_eq!(t.nth_newest_incoming(3), Some(4));
        assert_eq!(t.nth_newest_incoming(99), Some(0), "capped at the oldest");
        t.reset(Vec::new());
        assert_eq!(t.nth_newest_incoming(2), None);
    }

    #[test]
    fn state_changes_apply_only_to_loaded_messages() {
        let mut t = Timeline::default();
        t.reset(many(0..3));
        assert!(t.set_state(1, MessageState::Delivered));
        assert_eq!(t.messages()[1].state, MessageState::Delivered);
        assert!(!t.set_state(42, MessageState::Failed));
    }
}
