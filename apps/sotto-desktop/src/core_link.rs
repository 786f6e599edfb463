// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! The one link between the GUI and the core: an iced subscription over the
//! core's event stream.
//!
//! The stream starts the core on the unlocked store; its first item hands
//! the app a [`Core`] (the command sender), every later one is an event.
//! Nothing else is shared: the GUI never reads the core's state, it keeps
//! its own copy built from snapshots and changes.

use std::hash::{Hash, Hasher};
use std::sync::{Arc, Mutex, PoisonError};

use futures::Stream;
use sotto_core::{Command, CoreOptions, Event, Request};
use sotto_store::SqlStore;
use tokio::sync::mpsc;

/// Where commands go. Cheap to clone; sending never blocks.
#[derive(Debug, Clone)]
pub struct Core {
    commands: mpsc::UnboundedSender<Request>,
}

impl Core {
    /// Wraps a command sender (the subscription's, or a test's).
    pub fn new(commands: mpsc::UnboundedSender<Request>) -> Self {
        Self { commands }
    }

    /// Sends a command. A stopped core is logged, not fatal: the app learns
    /// of it from the closed event stream.
    pub fn send(&self, command: Command) {
        if self.commands.send(command.into()).is_err() {
            tracing::warn!("a command was dropped: the core has stopped");
        }
    }
}

/// What the link yields.
#[derive(Debug, Clone)]
pub enum CoreMessage {
    /// The core is running; send commands here.
    Connected(Core),
    /// An event from the core.
    Event(Box<Event>),
    /// The core's event stream ended.
    Closed,
}

/// The identity of one run of the core: the store it runs on, handed over
/// once. Hashes by a number so the subscription stays the same while the
/// app is unlocked.
#[derive(Debug, Clone)]
pub struct Link {
    id: u64,
    store: Arc<Mutex<Option<SqlStore>>>,
    options: CoreOptions,
}

impl Link {
    /// A link that will start the core on `store` once subscribed.
    pub fn new(id: u64, store: SqlStore, options: CoreOptions) -> Self {
        Self {
            id,
            store: Arc::new(Mutex::new(Some(store))),
            options,
        }
    }
}

impl Hash for Link {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.id.hash(state);
    }
}

/// The subscription's stream: starts the core, then forwards its events.
pub fn connect(link: &Link) -> impl Stream<Item = CoreMessage> + use<> {
    let store = link
        .store
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .take();
    let options = link.options.clone();
    futures::stream::unfold(Stage::Start(store, options), |stage| async move {
        match stage {
            Stage::Start(None, _) => None,
            Stage::Start(Some(store), options) => {
                let handle = sotto_core::start_with_options(Arc::new(store), options);
                let core = Core::new(handle.commands.clone());
                Some((CoreMessage::Connected(core), Stage::Running(handle)))
            }
            Stage::Running(mut handle) => match handle.events.recv().await {
                Some(event) => Some((CoreMessage::Event(Box::new(event)), Stage::Running(handle))),
                None => Some((CoreMessage::Closed, Stage::Done)),
            },
            Stage::Done => None,
        }
    })
}

enum Stage {
    Start(Option<SqlStore>, CoreOptions),
    Running(sotto_core::CoreHandle),
    Done,
}
