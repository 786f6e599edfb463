// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! Saving a file someone sent: fetched through the account's own route
//! (Tor or proxy included), decrypted and authenticated for `aesgcm://`
//! links, written next to its destination and renamed into place only when
//! complete, so a failed or cancelled download leaves no half file (a
//! cancel that lands while the file is being written removes it).

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use sotto_xmpp::http;
use tokio::sync::mpsc;
use zeroize::Zeroizing;

use super::media::{self, Link};
use super::{Finished, MAX_FILE, Progress, Running, failed, transfer_event};
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
            Err(reason) => return self.emit(report(failed(reason.to_string()))),
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
            download: true,
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
    transport: Arc<dyn sotto_xmpp::Transport>,
    pin: Option<http::Pin>,
    path: PathBuf,
    events: mpsc::UnboundedSender<Event>,
    account: String,
    mut finished: Finished,
    report: mpsc::UnboundedSender<Finished>,
) {
    let mut reporter = Progress::new(events, account, &finished, true);
    let mut progress = |got: u64, total: Option<u64>| reporter.report(got, total);
    // Dropped with the task when the download is cancelled.
    let cancelled = Cancelled::default();
    let limit = MAX_FILE + media::TAG_LEN;
    let result = match http::get(
        transport.as_ref(),
        pin.as_ref(),
        &link.url,
        limit,
        &mut progress,
    )
    .await
    {
        Ok(data) => write(&link, data, &path, cancelled.flag()).await,
        Err(e) => Err(e.to_string()),
    };
    finished.result = result;
    let _ = report.send(finished);
}

/// Raised when the download task is dropped (cancelled): a write still
/// running on its blocking thread then removes its partial file instead of
/// renaming it into place.
#[derive(Default)]
struct Cancelled(Arc<AtomicBool>);

impl Cancelled {
    fn flag(&self) -> Arc<AtomicBool> {
        Arc::clone(&self.0)
    }
}

impl Drop for Cancelled {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

/// Decrypts `data` if the link says so and writes it to `path` by way of a
/// temporary file beside it.
async fn write(
    link: &Link,
    data: Vec<u8>,
    path: &Path,
    cancelled: Arc<AtomicBool>,
) -> Result<(), String> {
    let plain = match &link.fragment {
        Some(fragment) => media::decrypt(&data, fragment)?,
        None => Zeroizing::new(data),
    };
    let path = path.to_path_buf();
    tokio::task::spawn_blocking(move || write_whole(&plain, &path, &cancelled))
        .await
        .map_err(|e| format!("writing the file stopped: {e}"))?
}

/// Writes `<path>.part` and renames it to `path`, unless `cancelled` is
/// raised by then: the partial file is removed instead.
fn write_whole(plain: &[u8], path: &Path, cancelled: &AtomicBool) -> Result<(), String> {
    let mut partial = path.as_os_str().to_owned();
    partial.push(".part");
    let partial = PathBuf::from(partial);
    let shown = path.display();
    let written = create_partial(&partial).and_then(|mut file| {
        file.write_all(plain)?;
        file.sync_all()
    });
    if let Err(e) = written {
        // Only a file we created is removed; an `AlreadyExists` left the
        // name to whoever owns it.
        if e.kind() != std::io::ErrorKind::AlreadyExists {
            let _ = std::fs::remove_file(&partial);
        }
        return Err(format!("cannot write {shown}: {e}"));
    }
    if cancelled.load(Ordering::SeqCst) {
        let _ = std::fs::remove_file(&partial);
        return Err("cancelled".into());
    }
    std::fs::rename(&partial, path).map_err(|e| format!("cannot write {shown}: {e}"))
}

/// Creates the partial file, never through anything planted at its name:
/// `create_new` (O_EXCL) fails on any existing entry and never follows a
/// final symlink, so a link to the user's other files cannot be written
/// through. A regular file left there by a crash is removed and the
/// creation tried once more; anything else (a symlink, a directory) is
/// refused and left alone. Owner-only on Unix: a received file is private.
fn create_partial(partial: &Path) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    match options.open(partial) {
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            // symlink_metadata describes the entry itself, never a target.
            if std::fs::symlink_metadata(partial)?.file_type().is_file() {
                std::fs::remove_file(partial)?;
                options.open(partial)
            } else {
                Err(std::io::Error::new(
                    std::io::ErrorKind::AlreadyExists,
                    format!("{} exists and is not a regular file", partial.display()),
                ))
            }
        }
        other => other,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn a_whole_file_is_renamed_into_place_and_a_cancelled_one_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("photo.jpg");
        write_whole(b"pixels", &path, &AtomicBool::new(false)).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"pixels");
        assert!(!dir.path().join("photo.jpg.part").exists());

        let other = dir.path().join("cancelled.jpg");
        let err = write_whole(b"pixels", &other, &AtomicBool::new(true)).unwrap_err();
        assert_eq!(err, "cancelled");
        assert!(!other.exists());
        assert!(!dir.path().join("cancelled.jpg.part").exists());

        let nowhere = dir.path().join("missing dir").join("x.jpg");
        let err = write_whole(b"pixels", &nowhere, &AtomicBool::new(false)).unwrap_err();
        assert!(err.starts_with("cannot write "), "{err}");
    }

    #[cfg(unix)]
    #[test]
    fn a_symlink_planted_at_the_partial_name_is_never_followed() {
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("victim");
        std::fs::write(&victim, b"precious").unwrap();
        let path = dir.path().join("photo.jpg");
        std::os::unix::fs::symlink(&victim, dir.path().join("photo.jpg.part")).unwrap();

        let err = write_whole(b"pixels", &path, &AtomicBool::new(false)).unwrap_err();
        assert!(err.starts_with("cannot write "), "{err}");
        assert_eq!(std::fs::read(&victim).unwrap(), b"precious");
        assert!(!path.exists());
        let link = std::fs::symlink_metadata(dir.path().join("photo.jpg.part")).unwrap();
        assert!(
            link.file_type().is_symlink(),
            "someone else's link is left alone"
        );
    }

    #[test]
    fn a_stale_partial_file_from_a_crash_is_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("photo.jpg");
        std::fs::write(dir.path().join("photo.jpg.part"), b"half a fi").unwrap();
        write_whole(b"pixels", &path, &AtomicBool::new(false)).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"pixels");
        assert!(!dir.path().join("photo.jpg.part").exists());
    }

    #[cfg(unix)]
    #[test]
    fn the_saved_file_is_readable_by_its_owner_only() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("photo.jpg");
        write_whole(b"pixels", &path, &AtomicBool::new(false)).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "{mode:o}");
    }

    #[test]
    fn dropping_the_guard_raises_the_flag() {
        let guard = Cancelled::default();
        let flag = guard.flag();
        assert!(!flag.load(Ordering::SeqCst));
        drop(guard);
        assert!(flag.load(Ordering::SeqCst));
    }
}
