// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! Saving a file someone sent: fetched through the account's own route
//! (Tor or proxy included), decrypted and authenticated for `aesgcm://`
//! links, written next to its destination and renamed into place only when
//! complete, so a failed or cancelled download leaves no half file.

use std::path::{Path, PathBuf};

use sotto_xmpp::CertFingerprint;
use sotto_xmpp::http;
use tokio::sync::mpsc;

use super::media::{self, Link};
use super::{Finished, MAX_FILE, Running, failed, transfer_event};
use crate::account::Account;
use crate::api::{Event, TransferState};

impl Account {
    /// `save_file`: starts the download, or reports why not.
    pub(crate) fn save_file(&mut self, peer: &str, url: &str, path: &str, id: String) {
        if self.uploads.running.contains_key(&id) {
            return self.fail(format!("a transfer named {id:?} is already running"));
        }
        let name = Path::new(path)
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| path.to_owned());
        let report = |state| transfer_event(&self.jid, &id, peer, &name, true, state);
        let link = match Link::parse(url) {
            Ok(link) => link,
            Err(reason) => return self.emit(report(failed(reason))),
        };
        let Some(transport) = self.uploads.transport.clone() else {
            return self.emit(report(failed("the account has no route to the network")));
        };
        self.emit(report(TransferState::Preparing));
        let pin = self.pinned_certificate();
        let finished = Finished {
            id: id.clone(),
            peer: peer.to_owned(),
            name: name.clone(),
            message: None,
            saved: Some(path.to_owned()),
            result: Ok(()),
        };
        let task = tokio::spawn(download(
            link,
            transport,
            pin,
            PathBuf::from(path),
            self.events.clone(),
            self.jid.clone(),
            finished,
            self.uploads.finished.clone(),
        ));
        self.uploads.running.insert(
            id,
            Running {
                task: task.abort_handle(),
                peer: peer.to_owned(),
                name,
                download: true,
            },
        );
    }
}

#[allow(clippy::too_many_arguments)]
async fn download(
    link: Link,
    transport: std::sync::Arc<dyn sotto_xmpp::Transport>,
    pin: Option<CertFingerprint>,
    path: PathBuf,
    events: mpsc::UnboundedSender<Event>,
    account: String,
    mut finished: Finished,
    report: mpsc::UnboundedSender<Finished>,
) {
    let mut last_percent = None;
    let mut progress = |got: u64, total: Option<u64>| {
        let percent = total.and_then(|t| (got * 100).checked_div(t));
        if last_percent != Some(percent) {
            last_percent = Some(percent);
            let _ = events.send(transfer_event(
                &account,
                &finished.id,
                &finished.peer,
                &finished.name,
                true,
                TransferState::Uploading {
                    sent: got,
                    total: total.unwrap_or(0),
                },
            ));
        }
    };
    let limit = MAX_FILE + media::TAG_LEN;
    let result = match http::get(transport.as_ref(), pin, &link.url, limit, &mut progress).await {
        Ok(data) => write(&link, data, &path).await,
        Err(e) => Err(e.to_string()),
    };
    finished.result = result;
    let _ = report.send(finished);
}

/// Decrypts `data` if the link says so and writes it to `path` by way of a
/// temporary file beside it.
async fn write(link: &Link, data: Vec<u8>, path: &Path) -> Result<(), String> {
    let plain = match &link.fragment {
        Some(fragment) => media::decrypt(&data, fragment)?,
        None => zeroize::Zeroizing::new(data),
    };
    let mut partial = path.as_os_str().to_owned();
    partial.push(".part");
    let partial = PathBuf::from(partial);
    let shown = path.display();
    if let Err(e) = tokio::fs::write(&partial, plain.as_slice()).await {
        let _ = tokio::fs::remove_file(&partial).await;
        return Err(format!("cannot write {shown}: {e}"));
    }
    tokio::fs::rename(&partial, path)
        .await
        .map_err(|e| format!("cannot write {shown}: {e}"))
}
