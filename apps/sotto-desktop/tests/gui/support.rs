// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! Helpers: typing into and clicking a view, running tasks, a fake core
//! end that records commands, and a ready app on a throw-away profile.

use futures::StreamExt as _;
use iced::widget::Id;
use iced::{Element, Task};
use iced_test::Simulator;
use sotto_core::{Command, Event};
use sotto_desktop::clock::Clock;
use sotto_desktop::core_link::Core;
use sotto_desktop::prefs::Prefs;
use sotto_desktop::screen::ready::{self, Ready};
use sotto_store::{Password, ProfileKey, SqlStore};
use tokio::sync::mpsc;

/// "Now" in every test: Wednesday, 2 December 2026, 23:30 UTC.
pub const NOW_MS: i64 = 1_796_254_200_000;

/// The clock every test reads: stopped at [`NOW_MS`], in UTC.
pub fn clock() -> Clock {
    Clock::fixed(NOW_MS, 0).unwrap()
}

/// Whether the view shows this exact text.
pub fn shows<M>(view: Element<'_, M>, text: &str) -> bool {
    let mut ui = Simulator::new(view);
    ui.find(text).is_ok()
}

/// Clicks the widget showing `text` (or with this id) and returns the
/// messages it produced.
pub fn click<M>(view: Element<'_, M>, text: &str) -> Vec<M> {
    let mut ui = Simulator::new(view);
    if ui.click(text).is_err() {
        ui.click(Id::new(leak(text)))
            .unwrap_or_else(|e| panic!("cannot click {text:?}: {e}"));
    }
    ui.into_messages().collect()
}

fn leak(s: &str) -> &'static str {
    Box::leak(s.to_owned().into_boxed_str())
}

/// Types `text` into the input with `id`, one character per rebuilt view
/// (inputs are controlled: the state holds the text), applying each message.
pub fn type_into<S, M>(
    state: &mut S,
    id: &'static str,
    text: &str,
    view: impl Fn(&S) -> Element<'_, M>,
    mut update: impl FnMut(&mut S, M),
) {
    for c in text.chars() {
        let messages: Vec<M> = {
            let mut ui = Simulator::new(view(state));
            ui.click(Id::new(id))
                .unwrap_or_else(|e| panic!("cannot click #{id}: {e}"));
            // A click lands mid-field; type at the end, as a person would.
            let _ = ui.tap_key(iced::keyboard::Key::Named(iced::keyboard::key::Named::End));
            let _ = ui.typewrite(&c.to_string());
            ui.into_messages().collect()
        };
        for m in messages {
            update(state, m);
        }
    }
}

/// Presses a key in the widget with `id` and returns the messages.
pub fn press<M>(view: Element<'_, M>, id: &'static str, key: iced::keyboard::Key) -> Vec<M> {
    let mut ui = Simulator::new(view);
    ui.click(Id::new(id))
        .unwrap_or_else(|e| panic!("cannot click #{id}: {e}"));
    let _ = ui.tap_key(key);
    ui.into_messages().collect()
}

/// Runs a task to its end and returns the messages it produced (widget
/// operations such as focus have no window to act on and are dropped).
pub async fn run<M: Send + 'static>(task: Task<M>) -> Vec<M> {
    let Some(stream) = iced_test::runtime::task::into_stream(task) else {
        return Vec::new();
    };
    stream
        .filter_map(|action| async move {
            match action {
                iced_test::runtime::Action::Output(m) => Some(m),
                _ => None,
            }
        })
        .collect()
        .await
}

/// The commands the GUI sent, as a fake core receives them.
pub struct Commands(pub mpsc::UnboundedReceiver<sotto_core::Request>);

impl Commands {
    /// Everything sent so far.
    pub fn drain(&mut self) -> Vec<Command> {
        let mut out = Vec::new();
        while let Ok(c) = self.0.try_recv() {
            out.push(c.command);
        }
        out
    }
}

/// An unlocked app on a throw-away profile with a fake core end.
pub struct Harness {
    pub ready: Ready,
    pub prefs: Prefs,
    pub commands: Commands,
    _dir: tempfile::TempDir,
}

impl Harness {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let key = ProfileKey::Passphrase(Password::new("test passphrase".into()));
        let store = SqlStore::create(&dir.path().join("p"), &key).unwrap();
        let (tx, rx) = mpsc::unbounded_channel();
        let mut ready = Ready::new(Core::new(tx), store, None);
        ready.set_clock(clock());
        Self {
            ready,
            prefs: Prefs::default(),
            commands: Commands(rx),
            _dir: dir,
        }
    }

    /// Feeds core events.
    pub fn events(&mut self, events: impl IntoIterator<Item = Event>) {
        for event in events {
            let _ = self.ready.on_event(&event, &mut self.prefs);
        }
    }

    pub fn update(&mut self, message: ready::Message) {
        let _ = self.ready.update(message, &mut self.prefs);
    }

    /// Applies a message and hands back the task it started.
    pub fn update_task(&mut self, message: ready::Message) -> Task<ready::Message> {
        self.ready.update(message, &mut self.prefs)
    }

    pub fn shows(&self, text: &str) -> bool {
        shows(self.ready.view(&self.prefs), text)
    }

    /// Clicks and applies the resulting messages.
    pub fn click(&mut self, text: &str) {
        let messages = click(self.ready.view(&self.prefs), text);
        assert!(!messages.is_empty(), "clicking {text:?} did nothing");
        for m in messages {
            self.update(m);
        }
    }

    pub fn type_into(&mut self, id: &'static str, text: &str) {
        type_into(self, id, text, |h| h.ready.view(&h.prefs), Harness::update);
    }
}
