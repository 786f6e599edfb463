// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! Paging through history: the bounded window slides as the user scrolls,
//! and older pages are asked of the core at the very top.

use iced::Task;
use iced::widget::operation::{self, AbsoluteOffset};
use iced::widget::scrollable::Viewport;
use sotto_core::Command;

use super::{Conversation, LIST, Message, PAGE};
use crate::core_link::Core;

/// Distance in pixels from an edge of the list that slides the window.
const EDGE: f32 = 400.0;

impl Conversation {
    /// Asks the core for the page before the oldest loaded message, unless
    /// one is on its way or there is nothing older.
    pub(super) fn load_older(&mut self, core: &Core) {
        if !self.has_more || self.loading_older {
            return;
        }
        self.ask_older(core, PAGE);
    }

    /// Asks the core for `limit` messages before the oldest loaded one.
    pub(super) fn ask_older(&mut self, core: &Core, limit: usize) {
        if let Some(before) = self.timeline.oldest_id() {
            self.loading_older = true;
            core.send(Command::LoadOlder {
                account: self.account.clone(),
                peer: self.peer.clone(),
                before,
                limit,
            });
        }
    }

    /// Slides the window near the edges, or asks for older history at the
    /// very top. The list is anchored at the bottom, so the offset counts
    /// from the bottom; after a slide it is corrected by the estimated
    /// height of the messages added or removed below.
    pub(super) fn on_scroll(&mut self, viewport: &Viewport, core: &Core) -> Task<Message> {
        let content = viewport.content_bounds().height;
        let visible = viewport.bounds().height;
        let from_bottom = viewport.absolute_offset().y;
        let from_top = (content - visible).max(0.0) - from_bottom;
        let shown = self.timeline.window().len().max(1) as f32;
        let per_message = content / shown;
        let change = if from_top < EDGE && !self.timeline.at_oldest() {
            self.timeline.slide_up()
        } else if from_top < EDGE {
            self.load_older(core);
            0
        } else if from_bottom < EDGE && !self.timeline.at_newest() {
            self.timeline.slide_down()
        } else {
            0
        };
        if change == 0 {
            return Task::none();
        }
        let y = (from_bottom + change as f32 * per_message).max(0.0);
        operation::scroll_to(
            LIST,
            AbsoluteOffset {
                x: None,
                y: Some(y),
            },
        )
    }
}
