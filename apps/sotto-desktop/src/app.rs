// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! The application: `Locked → Loading → Ready`, the subscriptions (the core
//! link, window and keyboard events), the title, theme and scale, and a
//! clean shutdown when the window is closed.

use std::path::PathBuf;
use std::time::Duration;

use iced::keyboard::{self, Key};
use iced::widget::{center, column, text};
use iced::{Element, Size, Subscription, Task, Theme, event, window};
use sotto_core::{Command, CoreOptions, Event};

use crate::core_link::{self, CoreMessage, Link};
use crate::prefs::Prefs;
use crate::profile::{self, Opened};
use crate::screen::ready::{self, Ready};
use crate::screen::unlock::{self, Unlock};
use crate::startup::Startup;

/// How long closing waits for the core to log out cleanly.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(8);

/// The top-level screens.
#[derive(Debug)]
pub enum Screen {
    /// No profile open: create or unlock one.
    Locked(Unlock),
    /// The profile is open; the core is starting.
    Loading(Box<Opened>),
    /// The core is running.
    Ready(Box<Ready>),
}

/// The application state.
#[derive(Debug)]
pub struct App {
    dir: PathBuf,
    prefs: Prefs,
    screen: Screen,
    link: Option<Link>,
    runs: u64,
    closing: bool,
    window_size: Size,
    startup: Startup,
}

/// Everything that happens.
#[derive(Debug, Clone)]
pub enum Message {
    /// On the unlock screen.
    Unlock(unlock::Message),
    /// From the core link.
    Core(CoreMessage),
    /// In the unlocked app.
    Ready(ready::Message),
    /// A window event.
    Window(window::Id, window::Event),
    /// Ctrl+K.
    FocusSearch,
    /// Tab / Shift+Tab: move the keyboard focus.
    FocusNext(bool),
    /// The core did not stop in time; quit anyway.
    ForceExit,
    /// A frame was drawn (watched only while a start-up milestone is due:
    /// see [`crate::startup`]).
    Frame,
}

impl App {
    /// The app on the profile in `dir`, with its preferences.
    pub fn new(dir: PathBuf, prefs: Prefs) -> (Self, Task<Message>) {
        let unlock = Unlock::new(dir.clone(), prefs.keyring);
        let size = Size::new(prefs.window_width, prefs.window_height);
        (
            Self {
                dir,
                prefs,
                screen: Screen::Locked(unlock),
                link: None,
                runs: 0,
                closing: false,
                window_size: size,
                startup: Startup::new(),
            },
            Unlock::focus(),
        )
    }

    /// The current screen.
    pub fn screen(&self) -> &Screen {
        &self.screen
    }

    /// The preferences.
    pub fn prefs(&self) -> &Prefs {
        &self.prefs
    }

    /// The link to the core once the profile is unlocked: the app's
    /// subscription runs [`core_link::connect`] on it.
    pub fn link(&self) -> Option<&Link> {
        self.link.as_ref()
    }

    /// The unlocked app, if it is.
    pub fn ready(&self) -> Option<&Ready> {
        match &self.screen {
            Screen::Ready(r) => Some(r),
            _ => None,
        }
    }

    /// Handles a message.
    pub fn update(&mut self, message: Message) -> Task<Message> {
        match message {
            Message::Unlock(m) => {
                let Screen::Locked(unlock) = &mut self.screen else {
                    return Task::none();
                };
                match unlock.update(m) {
                    unlock::Action::None => Task::none(),
                    unlock::Action::Run(task) => task.map(Message::Unlock),
                    unlock::Action::Unlocked { opened, keyring } => {
                        self.prefs.keyring = keyring;
                        self.prefs.save(&self.dir);
                        self.runs += 1;
                        self.link = Some(Link::new(
                            self.runs,
                            opened.store.clone(),
                            CoreOptions {
                                profile_dir: Some(opened.dir.clone()),
                                tor_network: None,
                            },
                        ));
                        self.screen = Screen::Loading(opened);
                        Task::none()
                    }
                }
            }
            Message::Core(m) => self.on_core(m),
            Message::Ready(m) => match &mut self.screen {
                Screen::Ready(ready) => ready.update(m, &mut self.prefs).map(Message::Ready),
                _ => Task::none(),
            },
            Message::FocusSearch => match &mut self.screen {
                Screen::Ready(ready) => ready
                    .update(ready::Message::FocusSearch, &mut self.prefs)
                    .map(Message::Ready),
                _ => Task::none(),
            },
            Message::FocusNext(true) => iced::widget::operation::focus_next(),
            Message::FocusNext(false) => iced::widget::operation::focus_previous(),
            Message::Window(_, event) => self.on_window(event),
            Message::ForceExit => {
                tracing::warn!("the core did not stop in time; quitting anyway");
                self.finish()
            }
            Message::Frame => {
                self.startup.on_frame();
                Task::none()
            }
        }
    }

    fn on_core(&mut self, message: CoreMessage) -> Task<Message> {
        match message {
            CoreMessage::Connected(core) => {
                let screen = std::mem::replace(
                    &mut self.screen,
                    Screen::Locked(Unlock::new(self.dir.clone(), false)),
                );
                match screen {
                    Screen::Loading(opened) => {
                        let opened = *opened;
                        // The stored choice wins; a value only desktop.json
                        // had (older versions) is moved into the store at quit.
                        if let Some(choice) = opened.default_encryption {
                            self.prefs.default_encryption = choice;
                        }
                        self.screen = Screen::Ready(Box::new(Ready::new(
                            core,
                            opened.store,
                            opened.last_conversation,
                        )));
                    }
                    other => self.screen = other,
                }
                Task::none()
            }
            CoreMessage::Event(event) => {
                self.startup.on_event(&event);
                if matches!(*event, Event::Stopped) && self.closing {
                    return self.finish();
                }
                match &mut self.screen {
                    Screen::Ready(ready) => {
                        let task = ready.on_event(&event, &mut self.prefs);
                        if matches!(*event, Event::ProfileProtectionChanged { .. }) {
                            // The unlock screen must offer the right way in
                            // even if the app does not close cleanly.
                            self.prefs.save(&self.dir);
                        }
                        task.map(Message::Ready)
                    }
                    _ => Task::none(),
                }
            }
            CoreMessage::Closed => {
                if self.closing {
                    return self.finish();
                }
                tracing::error!("the core stopped unexpectedly");
                Task::none()
            }
        }
    }

    fn on_window(&mut self, event: window::Event) -> Task<Message> {
        match event {
            window::Event::Resized(size) => self.window_size = size,
            window::Event::Focused => {
                if let Screen::Ready(ready) = &mut self.screen {
                    ready.set_focused(true);
                }
            }
            window::Event::Unfocused => {
                if let Screen::Ready(ready) = &mut self.screen {
                    ready.set_focused(false);
                }
            }
            window::Event::CloseRequested => return self.close(),
            window::Event::FileDropped(path) => {
                // A file dropped on the window goes to the open conversation,
                // as if picked with "Attach".
                if let Screen::Ready(ready) = &mut self.screen
                    && ready.pane() == ready::Pane::Chat
                    && ready.conversation().is_some()
                {
                    let picked = ready::Message::Conversation(
                        ready::conversation::Message::Picked(Some(path)),
                    );
                    return ready.update(picked, &mut self.prefs).map(Message::Ready);
                }
            }
            _ => {}
        }
        Task::none()
    }

    /// Closing: ask the core to log out cleanly, then quit when it has
    /// stopped (or after a grace period).
    fn close(&mut self) -> Task<Message> {
        if self.closing {
            return Task::none();
        }
        self.closing = true;
        match &self.screen {
            Screen::Ready(ready) => {
                ready.core().send(Command::Shutdown);
                Task::perform(tokio::time::sleep(SHUTDOWN_GRACE), |()| Message::ForceExit)
            }
            _ => self.finish(),
        }
    }

    /// Saves what is restored next time, then quits.
    fn finish(&mut self) -> Task<Message> {
        self.prefs.window_width = self.window_size.width;
        self.prefs.window_height = self.window_size.height;
        self.prefs.save(&self.dir);
        if let Screen::Ready(ready) = &self.screen {
            profile::save_last_conversation(ready.store(), ready.open_key().as_ref());
            profile::save_default_encryption(ready.store(), self.prefs.default_encryption);
        }
        iced::exit()
    }

    /// The window title, with the number of unread messages.
    pub fn title(&self) -> String {
        match self.ready().map(Ready::unread_total) {
            Some(n) if n > 0 => format!("({n}) Sotto"),
            _ => "Sotto".to_owned(),
        }
    }

    /// The theme; `None` follows the system.
    pub fn theme(&self) -> Option<Theme> {
        self.prefs.theme.theme()
    }

    /// The UI scale (the text size setting).
    pub fn scale_factor(&self) -> f32 {
        self.prefs.text_size.scale()
    }

    /// The core link (while unlocked), window events and Ctrl+K; drawn
    /// frames while a start-up milestone is due.
    pub fn subscription(&self) -> Subscription<Message> {
        let mut subs = vec![event::listen_with(on_runtime_event)];
        if self.startup.waiting() {
            subs.push(window::frames().map(|_| Message::Frame));
        }
        if let Some(link) = &self.link {
            subs.push(Subscription::run_with(link.clone(), core_link::connect).map(Message::Core));
        }
        Subscription::batch(subs)
    }

    /// The current screen.
    pub fn view(&self) -> Element<'_, Message> {
        match &self.screen {
            Screen::Locked(unlock) => unlock.view().map(Message::Unlock),
            Screen::Loading(opened) => center(
                column![
                    text(if opened.created {
                        "Profile created. Starting…"
                    } else {
                        "Starting…"
                    })
                    .size(18)
                ]
                .spacing(8),
            )
            .into(),
            Screen::Ready(ready) => ready.view(&self.prefs).map(Message::Ready),
        }
    }
}

/// Maps runtime events to messages: window events and Ctrl+K.
pub fn on_runtime_event(
    event: iced::Event,
    status: event::Status,
    id: window::Id,
) -> Option<Message> {
    match event {
        iced::Event::Window(
            e @ (window::Event::Resized(_)
            | window::Event::Focused
            | window::Event::Unfocused
            | window::Event::CloseRequested
            | window::Event::FileDropped(_)),
        ) => Some(Message::Window(id, e)),
        iced::Event::Keyboard(keyboard::Event::KeyPressed { key, modifiers, .. })
            if modifiers.command() && key.as_ref() == Key::Character("k") =>
        {
            Some(Message::FocusSearch)
        }
        iced::Event::Keyboard(keyboard::Event::KeyPressed {
            key: Key::Named(keyboard::key::Named::Tab),
            modifiers,
            ..
        }) if status == event::Status::Ignored => Some(Message::FocusNext(!modifiers.shift())),
        _ => None,
    }
}

/// Runs the app: the window, restored to its last size.
pub fn run(dir: PathBuf) -> iced::Result {
    let prefs = Prefs::load(&dir);
    let size = Size::new(prefs.window_width, prefs.window_height);
    iced::application(
        move || App::new(dir.clone(), prefs.clone()),
        App::update,
        App::view,
    )
    .title(App::title)
    .theme(App::theme)
    .scale_factor(App::scale_factor)
    .subscription(App::subscription)
    .window(window::Settings {
        size,
        min_size: Some(Size::new(
            crate::prefs::MIN_WINDOW.0,
            crate::prefs::MIN_WINDOW.1,
        )),
        exit_on_close_request: false,
        ..window::Settings::default()
    })
    .run()
}

/// The profile directory when none is given.
pub fn default_dir() -> Option<PathBuf> {
    profile::default_dir()
}
