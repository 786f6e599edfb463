// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! One conversation: header (with the encryption lock), message list and
//! composer.
//!
//! It opens at the newest message (`open_conversation`), shows only a window
//! of the loaded messages (see [`timeline`]), and pages older history from
//! the core (`load_older`) when the user scrolls to the top. The list is
//! anchored at its bottom, so what the user reads stays put while older
//! messages are added above it.
//!
//! Opened with unread messages, it draws a "New messages" line above the
//! first of them; opened on a search result, it pages back until that
//! message is loaded (see [`seek`]) and shows it highlighted.

mod composer;
pub mod encryption;
mod files;
pub mod omemo;
mod omemo_view;
pub mod otr;
mod otr_view;
mod paging;
mod render;
pub mod seek;
pub mod timeline;

use iced::widget::operation;
use iced::widget::scrollable::Viewport;
use iced::widget::text_editor;
use iced::{Element, Task};
use sotto_core::{Availability, ChatState, Command, Event, OtrSessionState};
use sotto_store::{Direction, MessageRecord};

use super::e2e::Keys;
use super::transfers::Transfer;
use crate::clock::Clock;
use crate::core_link::Core;
pub use composer::binding as composer_binding;
use encryption::{Choice, Security};
pub use render::{NEW_MESSAGES, RENAME, day_label, encryption_marker};
use seek::{Seek, Target};
use timeline::Timeline;

/// How many messages to ask for when opening and per older page.
pub const PAGE: usize = 50;
/// Most messages asked for when opening, however many are unread.
pub const MAX_OPEN: usize = 500;
/// The message list's widget id.
pub const LIST: &str = "conversation-list";
/// The composer's widget id.
pub const COMPOSER: &str = "conversation-composer";

/// What the conversation knows about the other party, from the roster.
#[derive(Debug, Clone, Default)]
pub struct Peer {
    /// Name from the roster.
    pub name: Option<String>,
    /// Best presence among their resources.
    pub presence: Option<Availability>,
    /// Whether they are in the roster.
    pub in_roster: bool,
    /// Whether the account is online (roster edits need it).
    pub account_online: bool,
    /// Whether the account's server blocks them.
    pub blocked: bool,
}

/// How a conversation is opened.
#[derive(Debug, Clone, Default)]
pub struct Opening {
    /// The last OTR state the app saw for this contact (client and state).
    pub otr: Option<(String, OtrSessionState)>,
    /// The encryption the user chose for this conversation.
    pub choice: Choice,
    /// How many messages are unread: the "New messages" line goes above
    /// the first of them.
    pub unread: usize,
    /// A message to jump to (a search result).
    pub target: Option<Target>,
}

/// A conversation's state.
#[derive(Debug)]
pub struct Conversation {
    account: String,
    peer: String,
    timeline: Timeline,
    loaded: bool,
    has_more: bool,
    loading_older: bool,
    composer: text_editor::Content,
    composing: bool,
    their_state: Option<ChatState>,
    renaming: Option<String>,
    confirm_remove: bool,
    /// The lock, OTR and OMEMO.
    security: Security,
    /// Unread when opened, until the snapshot places the line.
    unread: usize,
    /// The "New messages" line goes above this message.
    marker: Option<i64>,
    /// Looking for a message to jump to.
    seek: Option<Seek>,
    /// The message jumped to, highlighted.
    focus: Option<i64>,
    /// Why a jump did not work.
    notice: Option<&'static str>,
    /// Outgoing messages the core holds (still queued), with its reason:
    /// each is shown with that reason and a "Send unencrypted" button.
    held: std::collections::HashMap<i64, String>,
}

/// What the user does in a conversation.
#[derive(Debug, Clone)]
pub enum Message {
    /// The composer was edited.
    Edit(text_editor::Action),
    /// Enter in the composer, or the Send button.
    Send,
    /// The message list scrolled.
    Scrolled(Viewport),
    /// Ask for an older page.
    LoadOlder,
    /// Stop waiting for an older page (and stop looking for a message).
    CancelOlder,
    /// Hide the notice about a failed jump.
    DismissNotice,
    /// Put a failed message back in the queue.
    Retry(i64),
    /// The user's explicit choice: send a held message without encryption.
    SendUnencrypted(i64),
    /// Show the newest messages.
    JumpToNewest,
    /// Start renaming the contact.
    Rename,
    /// The new name was edited.
    RenameInput(String),
    /// Save the new name.
    RenameSave,
    /// Stop renaming.
    RenameCancel,
    /// Ask to remove the contact.
    Remove,
    /// Confirm removing the contact.
    RemoveConfirm,
    /// Do not remove the contact.
    RemoveCancel,
    /// Block (true) or unblock (false) them.
    Block(bool),
    /// The lock, OTR's verification and SMP, OMEMO's notices and keys.
    Security(encryption::Message),
    /// "Attach": open the file dialog.
    Attach,
    /// The file dialog closed: the file to send, if one was chosen
    /// (sent by the unlocked app, which names the transfer).
    Picked(Option<std::path::PathBuf>),
    /// Cancel or dismiss a file being sent (handled by the unlocked app).
    Transfer(super::transfers::Message),
    /// "Save…" on a message that is a file link: ask where.
    Save(i64),
    /// The save dialog closed: where to save that message's file, if
    /// anywhere (handled by the unlocked app).
    SaveTo(i64, Option<std::path::PathBuf>),
}

impl Conversation {
    /// Opens the conversation with `peer` and asks the core for its newest
    /// messages: a page, or enough to reach the first unread one.
    pub fn open(core: &Core, account: String, peer: String, opening: Opening) -> Self {
        core.send(Command::OpenConversation {
            account: account.clone(),
            peer: peer.clone(),
            limit: (opening.unread + 10).clamp(PAGE, MAX_OPEN),
        });
        core.send(Command::SendChatState {
            account: account.clone(),
            to: peer.clone(),
            state: ChatState::Active,
        });
        Self {
            account,
            peer,
            timeline: Timeline::default(),
            loaded: false,
            has_more: false,
            loading_older: false,
            composer: text_editor::Content::new(),
            composing: false,
            their_state: None,
            renaming: None,
            confirm_remove: false,
            security: Security::new(opening.otr, opening.choice),
            unread: opening.unread,
            marker: None,
            seek: opening.target.map(Seek::new),
            focus: None,
            notice: None,
            held: std::collections::HashMap::new(),
        }
    }

    /// The account and peer.
    pub fn key(&self) -> (&str, &str) {
        (&self.account, &self.peer)
    }

    /// The loaded messages (for tests and the unread logic).
    pub fn timeline(&self) -> &Timeline {
        &self.timeline
    }

    /// OTR's state in this conversation.
    pub fn otr(&self) -> &otr::Otr {
        &self.security.otr
    }

    /// OMEMO's notices and dialog in this conversation.
    pub fn omemo(&self) -> &omemo::Omemo {
        &self.security.omemo
    }

    /// The encryption messages are sent with.
    pub fn choice(&self) -> Choice {
        self.security.choice
    }

    /// Whether an older page has been asked for and not arrived.
    pub fn loading_older(&self) -> bool {
        self.loading_older
    }

    /// The message the "New messages" line is drawn above.
    pub fn new_messages_marker(&self) -> Option<i64> {
        self.marker
    }

    /// The message jumped to.
    pub fn focused_message(&self) -> Option<i64> {
        self.focus
    }

    /// The jump in progress, if any.
    pub fn seeking(&self) -> Option<&Seek> {
        self.seek.as_ref()
    }

    /// Why the last jump did not work.
    pub fn notice(&self) -> Option<&'static str> {
        self.notice
    }

    /// Tells the peer we left (called when another conversation opens).
    pub fn leave(&self, core: &Core) {
        core.send(Command::SendChatState {
            account: self.account.clone(),
            to: self.peer.clone(),
            state: ChatState::Inactive,
        });
    }

    fn concerns(&self, account: &str, peer: &str) -> bool {
        self.account == account && self.peer == peer
    }

    /// Applies a core event that may concern this conversation.
    pub fn on_event(&mut self, event: &Event, core: &Core) -> Task<Message> {
        match event {
            Event::ConversationSnapshot {
                account,
                peer,
                messages,
                has_more,
                ..
            } if self.concerns(account, peer) => {
                self.timeline.reset(messages.clone());
                self.has_more = *has_more;
                self.loaded = true;
                self.loading_older = false;
                self.marker = self
                    .timeline
                    .nth_newest_incoming(std::mem::take(&mut self.unread));
                if self.seek.is_some() {
                    return Task::batch([operation::snap_to_end(LIST), self.continue_seek(core)]);
                }
                operation::snap_to_end(LIST)
            }
            Event::HistoryPage {
                account,
                peer,
                messages,
                has_more,
                ..
            } if self.concerns(account, peer) => {
                if !self.loading_older {
                    // Cancelled: the user no longer waits for it.
                    return Task::none();
                }
                self.loading_older = false;
                self.has_more = *has_more;
                let _ = self.timeline.prepend_page(messages.clone());
                self.continue_seek(core)
            }
            Event::MessageAdded {
                account, message, ..
            } if self.concerns(account, &message.peer) => {
                if message.direction == Direction::Incoming {
                    self.their_state = None;
                }
                self.timeline.insert(message.clone());
                Task::none()
            }
            Event::MessageStateChanged {
                account,
                peer,
                id,
                state,
            } if self.concerns(account, peer) => {
                self.timeline.set_state(*id, *state);
                if *state != sotto_store::MessageState::Queued {
                    self.held.remove(id);
                }
                Task::none()
            }
            Event::MessageHeld {
                account,
                peer,
                id,
                reason,
            } if self.concerns(account, peer) => {
                self.held.insert(*id, reason.clone());
                Task::none()
            }
            Event::ChatState {
                account,
                from,
                state,
            } if self.concerns(account, from) => {
                self.their_state = Some(*state);
                Task::none()
            }
            _ => {
                self.security.on_event(&self.account, &self.peer, event);
                Task::none()
            }
        }
    }

    /// Handles a message.
    pub fn update(&mut self, message: Message, core: &Core) -> Task<Message> {
        match message {
            Message::Edit(action) => {
                let edit = action.is_edit();
                self.composer.perform(action);
                if edit {
                    self.typing_changed(core);
                }
                Task::none()
            }
            Message::Send => {
                let text = self.composer.text();
                let body = text.trim_end_matches(['\n', '\r']).to_owned();
                if body.trim().is_empty() {
                    return Task::none();
                }
                core.send(Command::SendMessage {
                    account: self.account.clone(),
                    to: self.peer.clone(),
                    body,
                    encryption: self.security.choice.encryption(),
                });
                self.composer = text_editor::Content::new();
                self.composing = false;
                // Answering means the new messages have been read.
                self.marker = None;
                self.focus = None;
                self.timeline.jump_to_newest();
                operation::snap_to_end(LIST)
            }
            Message::Scrolled(viewport) => self.on_scroll(&viewport, core),
            Message::LoadOlder => {
                self.load_older(core);
                Task::none()
            }
            Message::CancelOlder => {
                self.loading_older = false;
                self.seek = None;
                Task::none()
            }
            Message::DismissNotice => {
                self.notice = None;
                Task::none()
            }
            Message::Retry(id) => {
                core.send(Command::RetryMessage {
                    account: self.account.clone(),
                    id,
                    encryption: None,
                });
                Task::none()
            }
            Message::SendUnencrypted(id) => {
                self.held.remove(&id);
                core.send(Command::RetryMessage {
                    account: self.account.clone(),
                    id,
                    encryption: Some(sotto_core::Encryption::Plain),
                });
                Task::none()
            }
            Message::JumpToNewest => {
                self.focus = None;
                self.timeline.jump_to_newest();
                operation::snap_to_end(LIST)
            }
            Message::Rename => {
                self.renaming = Some(String::new());
                operation::focus(render::RENAME)
            }
            Message::RenameInput(name) => {
                self.renaming = Some(name);
                Task::none()
            }
            Message::RenameSave => {
                if let Some(name) = self.renaming.take() {
                    let name = name.trim().to_owned();
                    core.send(Command::RenameContact {
                        account: self.account.clone(),
                        jid: self.peer.clone(),
                        name: (!name.is_empty()).then_some(name),
                    });
                }
                Task::none()
            }
            Message::RenameCancel => {
                self.renaming = None;
                Task::none()
            }
            Message::Remove => {
                self.confirm_remove = true;
                Task::none()
            }
            Message::RemoveConfirm => {
                self.confirm_remove = false;
                core.send(Command::RemoveContact {
                    account: self.account.clone(),
                    jid: self.peer.clone(),
                });
                Task::none()
            }
            Message::RemoveCancel => {
                self.confirm_remove = false;
                Task::none()
            }
            Message::Block(blocked) => {
                core.send(Command::SetBlocked {
                    account: self.account.clone(),
                    jid: self.peer.clone(),
                    blocked,
                });
                Task::none()
            }
            Message::Security(m) => {
                self.security.update(m, core, &self.account, &self.peer);
                Task::none()
            }
            Message::Attach => Task::perform(files::pick_file(), Message::Picked),
            Message::Save(id) => {
                let name = self
                    .message_body(id)
                    .and_then(sotto_core::file_link)
                    .map(|link| link.name)
                    .unwrap_or_default();
                Task::perform(files::save_to(name), move |path| Message::SaveTo(id, path))
            }
            Message::Picked(_) | Message::Transfer(_) | Message::SaveTo(..) => Task::none(),
        }
    }

    /// Sends `composing` when typing starts and `active` when the composer
    /// is emptied again.
    fn typing_changed(&mut self, core: &Core) {
        let typing = !self.composer.is_empty() && !self.composer.text().trim().is_empty();
        if typing != self.composing {
            self.composing = typing;
            core.send(Command::SendChatState {
                account: self.account.clone(),
                to: self.peer.clone(),
                state: if typing {
                    ChatState::Composing
                } else {
                    ChatState::Active
                },
            });
        }
    }

    /// The conversation, with the OMEMO `keys` the app knows, the files
    /// being sent to this contact, and times read from `clock`.
    pub fn view<'a>(
        &'a self,
        peer: Peer,
        keys: Keys<'a>,
        transfers: &[&'a Transfer],
        clock: &Clock,
    ) -> Element<'a, Message> {
        render::view(self, peer, keys, transfers, clock)
    }
}

/// Whether a message is worth a notification: incoming and recent (archive
/// catch-up after a login also announces old messages).
pub fn is_fresh_incoming(message: &MessageRecord, now_ms: i64) -> bool {
    message.direction == Direction::Incoming && now_ms - message.timestamp_ms < 120_000
}

/// The day separator's label for a time: "Today", "Yesterday" or the date.
pub fn day_label_of(ms: i64, clock: &Clock) -> String {
    clock
        .local(ms)
        .map(|t| day_label(t.date_naive(), clock.today()))
        .unwrap_or_default()
}
