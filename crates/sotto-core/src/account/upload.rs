// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! Sending files: HTTP File Upload (XEP-0363), encrypted for OMEMO and OTR
//! conversations (XEP-0454).
//!
//! The account task decides the encryption, reads and encrypts the file and
//! asks the server for a slot; the PUT runs in a task of its own so the
//! account keeps working (and the user can cancel it), reporting progress
//! straight to the front end. When it is done the task tells the account,
//! which sends the link as an ordinary message through the outbox, with the
//! encryption decided at the start.
//!
//! Encrypted uploads are stored under a random name with the file's
//! extension: the name is visible to the server, the content is not.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use sotto_store::Encryption;
use sotto_xmpp::http::{self, UploadUrl};
use sotto_xmpp::{BareJid, CertFingerprint, Transport};
use tokio::sync::mpsc;
use tokio::task::AbortHandle;

use super::Account;
use crate::api::{Event, TransferState};
use crate::convert;

mod download;
mod media;

/// The largest file Sotto sends: it is read into memory (and encrypted
/// there) before the upload.
pub(crate) const MAX_FILE: u64 = 512 * 1024 * 1024;

/// A transfer that ended, reported to the account task. Its `Debug` leaves
/// out the link (an `aesgcm://` link holds the file's key) and the path.
pub(crate) struct Finished {
    id: String,
    peer: String,
    name: String,
    /// An upload's message (the link), with its encryption; `None` for a
    /// download, or an upload that failed before it had a link.
    message: Option<(String, Encryption)>,
    /// A download's file.
    saved: Option<String>,
    /// A download (else an upload).
    download: bool,
    result: Result<(), String>,
}

impl std::fmt::Debug for Finished {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Finished")
            .field("id", &self.id)
            .field("download", &self.download)
            .field("ok", &self.result.is_ok())
            .finish_non_exhaustive()
    }
}

/// A running upload.
#[derive(Debug)]
struct Running {
    task: AbortHandle,
    peer: String,
    name: String,
    download: bool,
}

/// The account's running uploads and its upload service.
#[derive(Debug)]
pub(crate) struct Uploads {
    running: HashMap<String, Running>,
    /// The server's upload service once looked up this session (`Some(None)`:
    /// it has none).
    service: Option<Option<sotto_xmpp::session::UploadService>>,
    finished: mpsc::UnboundedSender<Finished>,
    /// The route uploads take (the session's), once known.
    pub(crate) transport: Option<Arc<dyn Transport>>,
    /// The links of files uploaded without end-to-end encryption this run,
    /// newest last: their messages carry out-of-band data (XEP-0066).
    plain_links: std::collections::VecDeque<String>,
}

impl Uploads {
    pub(crate) fn new(finished: mpsc::UnboundedSender<Finished>) -> Self {
        Self {
            running: HashMap::new(),
            service: None,
            finished,
            transport: None,
            plain_links: std::collections::VecDeque::new(),
        }
    }

    /// Whether `body` is the link of a file this account uploaded without
    /// end-to-end encryption (kept for the last 64 such uploads).
    pub(crate) fn is_uploaded_link(&self, body: &str) -> bool {
        self.plain_links.iter().any(|l| l == body)
    }

    /// A new session may have another upload service.
    pub(crate) fn forget_service(&mut self) {
        self.service = None;
    }

    /// The upload service service discovery found (`None`: there is none).
    pub(crate) fn set_service(&mut self, service: Option<sotto_xmpp::session::UploadService>) {
        self.service = Some(service);
    }
}

impl Drop for Uploads {
    fn drop(&mut self) {
        for (_, upload) in self.running.drain() {
            upload.task.abort();
        }
    }
}

/// What `send_file` needs once the encryption is known.
struct Prepared {
    peer: BareJid,
    name: String,
    encryption: Encryption,
    content_type: &'static str,
}

impl Account {
    fn transfer(&self, id: &str, peer: &str, name: &str, state: TransferState) {
        self.emit(transfer_event(&self.jid, id, peer, name, false, state));
    }

    /// `send_file`: starts the upload, or reports why not. When this runs,
    /// what "Automatic" means is known (the command waited for the device
    /// lists it needs, see `Account::waits_for_devices`).
    pub(crate) async fn send_file(
        &mut self,
        to: &str,
        path: &str,
        id: String,
        choice: Option<crate::api::Encryption>,
    ) {
        let name = Path::new(path)
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| path.to_owned());
        if self.uploads.running.contains_key(&id) {
            return self.fail(format!("a transfer named {id:?} is already running"));
        }
        let peer = match convert::parse_contact_jid(to) {
            Ok(peer) => peer,
            Err(reason) => return self.transfer(&id, to, &name, failed(reason)),
        };
        self.transfer(&id, peer.as_str(), &name, TransferState::Preparing);
        let encryption = match self.choose_encryption(&peer, choice).await {
            Ok(encryption) => encryption,
            Err(reason) => return self.transfer(&id, peer.as_str(), &name, failed(reason)),
        };
        let prepared = Prepared {
            content_type: media::content_type(&name),
            peer: peer.clone(),
            name: name.clone(),
            encryption,
        };
        if let Err(reason) = self.start_upload(path, &id, prepared) {
            self.transfer(&id, peer.as_str(), &name, failed(reason));
        }
    }

    /// Starts the upload task: everything that waits (reading the file,
    /// the upload service, the slot, the PUT) happens there, never on the
    /// account task.
    fn start_upload(&mut self, path: &str, id: &str, file: Prepared) -> Result<(), String> {
        if !self.online {
            return Err(format!(
                "{} is offline; files are sent only while it is online",
                self.jid
            ));
        }
        let session = self
            .session
            .as_ref()
            .ok_or("the session has ended")?
            .handle();
        let transport = self
            .uploads
            .transport
            .clone()
            .ok_or("the account has no route to the network")?;
        let finished = Finished {
            id: id.to_owned(),
            peer: file.peer.to_string(),
            name: file.name.clone(),
            message: None,
            saved: None,
            download: false,
            result: Ok(()),
        };
        let job = Job {
            session,
            service: self.uploads.service.clone(),
            path: path.to_owned(),
            transport,
            pin: self.pinned_certificate(),
        };
        let peer = file.peer.to_string();
        let name = file.name.clone();
        let task = tokio::spawn(prepare_and_upload(
            job,
            file,
            self.events.clone(),
            self.jid.clone(),
            finished,
            self.uploads.finished.clone(),
        ));
        self.uploads.running.insert(
            id.to_owned(),
            Running {
                task: task.abort_handle(),
                peer,
                name,
                download: false,
            },
        );
        Ok(())
    }

    /// The certificate pinned for the account, for the server's own names
    /// only (its domain and the host it connects to): an upload or
    /// download host anyone else chose must pass the system's roots.
    fn pinned_certificate(&self) -> Option<http::Pin> {
        let settings = &self.record.settings;
        let fingerprint = settings
            .pinned_cert_sha256
            .as_deref()
            .and_then(CertFingerprint::parse)?;
        let domain = self
            .jid
            .parse::<BareJid>()
            .ok()
            .map(|jid| jid.domain().to_string());
        Some(http::Pin::new(
            fingerprint,
            domain.into_iter().chain(settings.host.clone()),
        ))
    }

    /// `cancel_transfer`.
    pub(crate) fn cancel_transfer(&mut self, id: &str) {
        match self.uploads.running.remove(id) {
            Some(running) => {
                running.task.abort();
                self.emit(transfer_event(
                    &self.jid,
                    id,
                    &running.peer,
                    &running.name,
                    running.download,
                    TransferState::Cancelled,
                ));
            }
            None => self.fail(format!("no transfer {id:?} is running")),
        }
    }

    /// A transfer ended: send an upload's link, or report why not.
    pub(crate) async fn upload_finished(&mut self, done: Finished) {
        if self.uploads.running.remove(&done.id).is_none() {
            // Cancelled after the last byte moved: nothing is sent.
            return;
        }
        let download = done.download;
        let state = match (done.result, done.message, done.saved) {
            (Err(reason), _, _) => failed(reason),
            (Ok(()), Some((body, encryption)), _) => {
                if encryption == Encryption::Plain {
                    if self.uploads.plain_links.len() == 64 {
                        self.uploads.plain_links.pop_front();
                    }
                    self.uploads.plain_links.push_back(body.clone());
                }
                // The link goes exactly as the file went.
                match self.queue_message(&done.peer, body, Some(encryption)).await {
                    Ok(()) => TransferState::Sent,
                    Err(reason) => failed(format!(
                        "the file was uploaded, but its link was not sent: {reason}"
                    )),
                }
            }
            (Ok(()), None, saved) => TransferState::Saved {
                path: saved.unwrap_or_default(),
            },
        };
        self.emit(transfer_event(
            &self.jid, &done.id, &done.peer, &done.name, download, state,
        ));
    }
}

/// A message body's file link (see [`crate::file_link`]).
pub(crate) fn file_link(body: &str) -> Option<crate::FileLink> {
    let link = media::Link::parse(body).ok()?;
    let name = link.url.file_name();
    (!name.is_empty()).then(|| crate::FileLink {
        name,
        encrypted: link.fragment.is_some(),
    })
}

fn transfer_event(
    account: &str,
    id: &str,
    peer: &str,
    name: &str,
    download: bool,
    state: TransferState,
) -> Event {
    Event::Transfer {
        account: account.to_owned(),
        id: id.to_owned(),
        peer: peer.to_owned(),
        name: name.to_owned(),
        download,
        state,
        request: None,
    }
}

fn failed(reason: impl Into<String>) -> TransferState {
    TransferState::Failed {
        reason: reason.into(),
    }
}

/// Reports a running transfer's bytes to the front end, each time the
/// whole percentage changes (or, with no known total, once).
struct Progress {
    events: mpsc::UnboundedSender<Event>,
    account: String,
    id: String,
    peer: String,
    name: String,
    download: bool,
    last: Option<Option<u64>>,
}

impl Progress {
    fn new(
        events: mpsc::UnboundedSender<Event>,
        account: String,
        transfer: &Finished,
        download: bool,
    ) -> Self {
        Self {
            events,
            account,
            id: transfer.id.clone(),
            peer: transfer.peer.clone(),
            name: transfer.name.clone(),
            download,
            last: None,
        }
    }

    fn report(&mut self, sent: u64, total: Option<u64>) {
        let percent = total.and_then(|t| (sent * 100).checked_div(t));
        if self.last != Some(percent) {
            self.last = Some(percent);
            let _ = self.events.send(transfer_event(
                &self.account,
                &self.id,
                &self.peer,
                &self.name,
                self.download,
                TransferState::Uploading {
                    sent,
                    total: total.unwrap_or(0),
                },
            ));
        }
    }
}

/// What the upload task needs besides the file's description.
struct Job {
    session: sotto_xmpp::SessionHandle,
    /// The upload service if already looked up on this stream.
    service: Option<Option<sotto_xmpp::session::UploadService>>,
    path: String,
    transport: Arc<dyn Transport>,
    pin: Option<http::Pin>,
}

/// Reads the file, encrypts it when its message will be, asks the server
/// for a slot, and uploads; every failure is reported as the transfer's.
async fn prepare_and_upload(
    job: Job,
    file: Prepared,
    events: mpsc::UnboundedSender<Event>,
    account: String,
    mut finished: Finished,
    report: mpsc::UnboundedSender<Finished>,
) {
    match prepare(&job, &file).await {
        Ok((upload_job, body)) => {
            finished.message = Some((body, file.encryption));
            upload(upload_job, events, account, finished, report).await;
        }
        Err(reason) => {
            finished.result = Err(reason);
            let _ = report.send(finished);
        }
    }
}

/// The upload's data and slot, and the message body that links to it.
async fn prepare(job: &Job, file: &Prepared) -> Result<(Upload, String), String> {
    let name = &file.name;
    let size = match tokio::fs::metadata(&job.path).await {
        Ok(meta) if meta.is_file() => meta.len(),
        Ok(_) => return Err(format!("{name} is not a file")),
        Err(e) => return Err(format!("cannot read {name}: {e}")),
    };
    let encrypted = file.encryption != Encryption::Plain;
    let upload_size = size + if encrypted { media::TAG_LEN } else { 0 };
    let service = match job.service.clone() {
        Some(known) => known,
        None => job
            .session
            .upload_service()
            .await
            .map_err(|e| e.to_string())?,
    };
    let service = service.ok_or_else(|| {
        "the server offers no file upload (XEP-0363), so files cannot be sent from this \
         account"
            .to_owned()
    })?;
    let limit = service.max_size.unwrap_or(MAX_FILE).min(MAX_FILE);
    if upload_size > limit {
        return Err(format!(
            "{name} is {}; the server takes files up to {}",
            media::size_text(upload_size),
            media::size_text(limit)
        ));
    }
    let plain = tokio::fs::read(&job.path)
        .await
        .map_err(|e| format!("cannot read {name}: {e}"))?;
    if plain.len() as u64 != size {
        return Err(format!("{name} changed while it was being read; try again"));
    }
    let (data, key, remote_name) = if encrypted {
        // Up to 512 MiB of AES-GCM: off the runtime's threads.
        let (data, key) = tokio::task::spawn_blocking(move || media::encrypt(plain))
            .await
            .map_err(|e| format!("encrypting {name}: {e}"))??;
        (data, Some(key), media::random_name(name))
    } else {
        (plain, None, name.replace('/', "_"))
    };
    let slot = job
        .session
        .upload_slot(&service, &remote_name, data.len() as u64, file.content_type)
        .await
        .map_err(|e| e.to_string())?;
    let put_url = UploadUrl::parse(&slot.put_url).map_err(|e| e.to_string())?;
    // The link must be one the recipients can fetch safely; for an
    // encrypted file XEP-0454 allows only https.
    let get_url = UploadUrl::parse(&slot.get_url).map_err(|e| e.to_string())?;
    let body = match &key {
        Some(key) => media::aesgcm_link(&slot.get_url, get_url.is_https(), key)?,
        None => slot.get_url.clone(),
    };
    Ok((
        Upload {
            transport: job.transport.clone(),
            pin: job.pin.clone(),
            put_url,
            headers: slot.put_headers,
            content_type: file.content_type,
            data,
        },
        body,
    ))
}

/// What the upload task sends.
struct Upload {
    transport: Arc<dyn Transport>,
    pin: Option<http::Pin>,
    put_url: UploadUrl,
    headers: Vec<(String, String)>,
    content_type: &'static str,
    data: Vec<u8>,
}

/// The upload task: PUTs the data, reporting progress whenever the
/// percentage changes, then tells the account.
async fn upload(
    job: Upload,
    events: mpsc::UnboundedSender<Event>,
    account: String,
    mut finished: Finished,
    report: mpsc::UnboundedSender<Finished>,
) {
    let total = job.data.len() as u64;
    let mut reporter = Progress::new(events, account, &finished, false);
    let mut progress = |sent: u64| reporter.report(sent, Some(total));
    let result = http::put(
        job.transport.as_ref(),
        job.pin.as_ref(),
        &job.put_url,
        &job.headers,
        job.content_type,
        &job.data,
        &mut progress,
    )
    .await;
    finished.result = result.map_err(|e| e.to_string());
    let _ = report.send(finished);
}
