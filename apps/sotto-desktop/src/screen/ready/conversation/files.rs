// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! Files in a conversation: sending one (`send_file`, with the
//! conversation's encryption), saving one that was received (`save_file`),
//! and the OS dialogs that choose them.

use std::path::{Path, PathBuf};

use sotto_core::Command;

use super::Conversation;
use crate::core_link::Core;

impl Conversation {
    /// The body of a loaded message.
    pub fn message_body(&self, id: i64) -> Option<&str> {
        self.timeline
            .messages()
            .iter()
            .find(|m| m.id == id)
            .map(|m| m.body.as_str())
    }

    /// Saves the file of message `id` (a file link) to `path` under the
    /// transfer id `transfer`.
    pub fn save_file(&self, core: &Core, id: i64, path: &Path, transfer: String) {
        if let Some(url) = self.message_body(id) {
            core.send(Command::SaveFile {
                account: self.account.clone(),
                peer: self.peer.clone(),
                url: url.trim().to_owned(),
                path: path.to_string_lossy().into_owned(),
                id: transfer,
            });
        }
    }

    /// Sends the file at `path` under the transfer id `id`, encrypted as
    /// this conversation's messages are.
    pub fn send_file(&self, core: &Core, path: &Path, id: String) {
        core.send(Command::SendFile {
            account: self.account.clone(),
            to: self.peer.clone(),
            path: path.to_string_lossy().into_owned(),
            id,
            encryption: self.security.choice.encryption(),
        });
    }
}

/// Asks the OS for a file to send (XDG Desktop Portal on Linux, the native
/// dialog on macOS and Windows).
pub(super) async fn pick_file() -> Option<PathBuf> {
    rfd::AsyncFileDialog::new()
        .set_title("Send a file")
        .pick_file()
        .await
        .map(|file| file.path().to_path_buf())
}

/// Asks the OS where to save a received file, suggesting its name.
pub(super) async fn save_to(name: String) -> Option<PathBuf> {
    rfd::AsyncFileDialog::new()
        .set_title("Save the file")
        .set_file_name(name)
        .save_file()
        .await
        .map(|file| file.path().to_path_buf())
}
