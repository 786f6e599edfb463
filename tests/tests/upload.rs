// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! Sending files over a real Prosody and ejabberd with their HTTP File Upload
//! services (Prosody's mod_http_file_share, ejabberd's mod_http_upload, both
//! over HTTPS): a plain file whose link anyone with it can fetch, an OMEMO file that the server only ever holds encrypted
//! and that an independent AES-GCM implementation (Python's `cryptography`)
//! decrypts from the `aesgcm://` link, saving both on the other side (a
//! forged key refused), progress, cancelling, and files that cannot go (too
//! large, missing) failing clearly without sending anything.

#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::Command as Process;

use rand::RngCore as _;
use sotto_core::api::Encryption;
use sotto_core::{Command, Event, TransferState};
use sotto_store::Direction;
use sotto_tests::omemo_peer::venv_python;
use sotto_tests::profile::{Profile, server_with};
use sotto_tests::{ServerKind, TestServer, XmppServer, scan_for_plaintext};

const ALICE: &str = "alice@localhost";
const BOB: &str = "bob@localhost";

fn random_file(dir: &Path, name: &str, len: usize) -> (PathBuf, Vec<u8>) {
    let mut data = vec![0u8; len];
    rand::rng().fill_bytes(&mut data);
    let path = dir.join(name);
    std::fs::write(&path, &data).unwrap();
    (path, data)
}

fn send_file(alice: &Profile, path: &Path, id: &str, encryption: Option<Encryption>) {
    alice.send(Command::SendFile {
        account: ALICE.into(),
        to: BOB.into(),
        path: path.to_string_lossy().into_owned(),
        id: id.into(),
        encryption,
    });
}

/// Waits for the transfer `id` to end; returns its end state and the
/// progress (sent, total) it reported on the way.
async fn transfer_end(alice: &mut Profile, id: &str) -> (TransferState, Vec<(u64, u64)>) {
    let mut progress = Vec::new();
    loop {
        let event = alice
            .expect(
                &format!("transfer {id}"),
                |e| matches!(e, Event::Transfer { id: i, .. } if i == id),
            )
            .await;
        let Event::Transfer { state, .. } = event else {
            unreachable!()
        };
        match state {
            TransferState::Preparing => {}
            TransferState::Uploading { sent, total } => progress.push((sent, total)),
            end => return (end, progress),
        }
    }
}

/// Waits for the next message bob receives; returns its body.
async fn bob_receives(bob: &mut Profile) -> String {
    match bob
        .expect("a message for bob", |e| {
            matches!(e, Event::MessageAdded { message, .. } if message.direction == Direction::Incoming)
        })
        .await
    {
        Event::MessageAdded { message, .. } => message.body,
        _ => unreachable!(),
    }
}

/// Fetches `url` with curl, trusting the test server's certificate.
fn download(server: &TestServer, url: &str, out: &Path) -> Vec<u8> {
    let status = Process::new("curl")
        .args(["-sS", "--fail", "--cacert"])
        .arg(server.cert_path())
        .arg("-o")
        .arg(out)
        .arg(url)
        .status()
        .expect("running curl (tests/run.sh installs it)");
    assert!(status.success(), "curl could not fetch the upload");
    std::fs::read(out).unwrap()
}

async fn save(
    bob: &mut Profile,
    url: &str,
    path: &Path,
    id: &str,
) -> (TransferState, Vec<(u64, u64)>) {
    bob.send(Command::SaveFile {
        account: BOB.into(),
        peer: ALICE.into(),
        url: url.into(),
        path: path.to_string_lossy().into_owned(),
        id: id.into(),
    });
    transfer_end(bob, id).await
}

sotto_tests::on_servers! { [Prosody, Ejabberd]
    async fn plain_and_omemo_files_arrive_and_the_server_never_sees_the_encrypted_one(kind: ServerKind) {
        let server = server_with(kind, &[("alice", "alice-pw"), ("bob", "bob-pw")]);
        let mut alice = Profile::new("alice");
        alice.login(&server, "alice", "alice-pw").await;
        let mut bob = Profile::new("bob");
        bob.login(&server, "bob", "bob-pw").await;
        let files = tempfile::tempdir().unwrap();

        // Plain: the link is the https one, and it serves the file as it is.
        let (report, report_bytes) = random_file(files.path(), "report 2026.pdf", 200_000);
        send_file(&alice, &report, "t-plain", Some(Encryption::Plain));
        let (end, progress) = transfer_end(&mut alice, "t-plain").await;
        assert_eq!(end, TransferState::Sent);
        assert_eq!(progress.first(), Some(&(0, 200_000)));
        assert_eq!(progress.last(), Some(&(200_000, 200_000)));
        assert!(progress.windows(2).all(|w| w[0].0 < w[1].0), "{progress:?}");
        let link = bob_receives(&mut bob).await;
        let prefix = server.upload_url_prefix();
        assert!(link.starts_with(&prefix), "{link}");
        let plain_path = link[prefix.len()..].to_owned();
        // It went out with out-of-band data (XEP-0066) for other clients: the
        // server's archive of the message holds the element.
        assert!(
            !scan_for_plaintext(&server.data_dir(), &[b"jabber:x:oob"]).is_empty(),
            "the plain file's message carries <x xmlns='jabber:x:oob'>"
        );
        // The URL is the server's choice: Prosody keeps the name (escaped),
        // ejabberd's mod_http_upload replaces the space with '_'.
        assert!(
            ["/report%202026.pdf", "/report 2026.pdf", "/report_2026.pdf"]
                .iter()
                .any(|end| link.ends_with(end)),
            "{link}"
        );
        assert_eq!(
            download(&server, &link, &files.path().join("plain.out")),
            report_bytes
        );

        // OMEMO (chosen automatically: bob has devices): the server gets
        // ciphertext under a random name; the link carries IV and key.
        let (photo, photo_bytes) = random_file(files.path(), "beach photo.jpg", 300_000);
        send_file(&alice, &photo, "t-omemo", None);
        let (end, progress) = transfer_end(&mut alice, "t-omemo").await;
        assert_eq!(end, TransferState::Sent);
        assert_eq!(progress.last(), Some(&(300_016, 300_016)), "the GCM tag");
        let link = bob_receives(&mut bob).await;
        let rest = link
            .strip_prefix(&prefix.replacen("https://", "aesgcm://", 1))
            .unwrap_or_else(|| panic!("not an aesgcm link: {link}"));
        let (path, fragment) = rest.split_once('#').unwrap();
        assert!(path.ends_with(".jpg") && !path.contains("beach"), "{path}");
        assert_eq!(fragment.len(), 88);
        let stored = download(
            &server,
            &format!("{prefix}{path}"),
            &files.path().join("omemo.out"),
        );
        assert_eq!(stored.len(), photo_bytes.len() + 16);
        assert!(
            !stored.windows(64).any(|w| w == &photo_bytes[1000..1064]),
            "the server serves plaintext"
        );
        // The scan finds the plain file, so it does look at the uploads.
        assert!(!scan_for_plaintext(&server.data_dir(), &[&report_bytes[5000..5064]]).is_empty());
        assert_eq!(
            scan_for_plaintext(&server.data_dir(), &[&photo_bytes[5000..5064]]),
            vec![],
            "the server stored plaintext"
        );

        // An implementation we did not write decrypts it from the link.
        let decrypted = files.path().join("omemo.plain");
        let script = "import sys\n\
            from cryptography.hazmat.primitives.ciphers.aead import AESGCM\n\
            frag = bytes.fromhex(sys.argv[1])\n\
            data = open(sys.argv[2], 'rb').read()\n\
            open(sys.argv[3], 'wb').write(AESGCM(frag[12:]).decrypt(frag[:12], data, None))\n";
        let status = Process::new(venv_python().unwrap())
            .args(["-c", script, fragment])
            .arg(files.path().join("omemo.out"))
            .arg(&decrypted)
            .status()
            .unwrap();
        assert!(status.success(), "python could not decrypt the file");
        assert_eq!(std::fs::read(&decrypted).unwrap(), photo_bytes);

        // Bob saves both files from their links.
        let saved = files.path().join("saved.jpg");
        let (end, progress) = save(&mut bob, &link, &saved, "s-omemo").await;
        assert_eq!(
            end,
            TransferState::Saved {
                path: saved.to_string_lossy().into_owned()
            }
        );
        assert_eq!(progress.last(), Some(&(300_016, 300_016)));
        assert_eq!(std::fs::read(&saved).unwrap(), photo_bytes);
        let saved_plain = files.path().join("saved.pdf");
        let plain_link = format!("{prefix}{plain_path}");
        let (end, _) = save(&mut bob, &plain_link, &saved_plain, "s-plain").await;
        assert!(matches!(end, TransferState::Saved { .. }), "{end:?}");
        assert_eq!(std::fs::read(&saved_plain).unwrap(), report_bytes);

        // A link whose key was altered: refused, and no file is left behind.
        let mut forged = link.clone();
        let last = forged.pop().unwrap();
        forged.push(if last == '0' { '1' } else { '0' });
        let target = files.path().join("forged.jpg");
        let (end, _) = save(&mut bob, &forged, &target, "s-forged").await;
        assert_eq!(
            end,
            TransferState::Failed {
                reason: "the file does not decrypt: the link's key is wrong or the file was altered"
                    .into()
            }
        );
        assert!(!target.exists());
        assert!(!files.path().join("forged.jpg.part").exists());
    }

    async fn cancelled_too_large_or_missing_files_send_nothing(kind: ServerKind) {
        let server = server_with(kind, &[("alice", "alice-pw"), ("bob", "bob-pw")]);
        let mut alice = Profile::new("alice");
        alice.login(&server, "alice", "alice-pw").await;
        let mut bob = Profile::new("bob");
        bob.login(&server, "bob", "bob-pw").await;
        let files = tempfile::tempdir().unwrap();

        let (big, _) = random_file(
            files.path(),
            "big.bin",
            usize::try_from(server.upload_limit()).unwrap() + 200_000,
        );
        send_file(&alice, &big, "t-big", Some(Encryption::Plain));
        let (end, progress) = transfer_end(&mut alice, "t-big").await;
        assert_eq!(
            end,
            TransferState::Failed {
                reason: "big.bin is 1.2 MB; the server takes files up to 1.0 MB".into()
            }
        );
        assert!(progress.is_empty(), "nothing was uploaded");

        send_file(
            &alice,
            &files.path().join("missing.bin"),
            "t-missing",
            Some(Encryption::Plain),
        );
        let (end, _) = transfer_end(&mut alice, "t-missing").await;
        assert!(
            matches!(&end, TransferState::Failed { reason } if reason.starts_with("cannot read missing.bin: ")),
            "{end:?}"
        );

        // Cancelled right after it starts: the account handles the cancel
        // before the upload's TLS handshake is through.
        let (file, _) = random_file(files.path(), "cancel.bin", 1_000_000);
        send_file(&alice, &file, "t-cancel", Some(Encryption::Plain));
        alice.send(Command::CancelTransfer {
            account: ALICE.into(),
            id: "t-cancel".into(),
        });
        let (end, _) = transfer_end(&mut alice, "t-cancel").await;
        assert_eq!(end, TransferState::Cancelled);
        alice.send(Command::CancelTransfer {
            account: ALICE.into(),
            id: "t-cancel".into(),
        });
        alice
            .expect("cancelling twice is refused", |e| {
                matches!(e, Event::CommandFailed { reason, .. } if reason == "no transfer \"t-cancel\" is running")
            })
            .await;

        // Nothing of the three reached bob: the next thing he gets is this.
        alice.send(Command::SendMessage {
            account: ALICE.into(),
            to: BOB.into(),
            body: "after the files".into(),
            encryption: Some(Encryption::Plain),
        });
        assert_eq!(bob_receives(&mut bob).await, "after the files");
    }

    /// Files encrypted by an implementation we did not write (Python's
    /// `cryptography`, as Conversations-style senders do it) and uploaded to a
    /// slot with curl: Sotto saves them from their `aesgcm://` links, with the
    /// 12-byte IV of today's clients and the 16-byte IV of older ones.
    async fn files_encrypted_elsewhere_are_saved_from_their_links(kind: ServerKind) {
        let server = server_with(kind, &[("alice", "alice-pw"), ("bob", "bob-pw")]);
        let mut bob = Profile::new("bob");
        bob.login(&server, "bob", "bob-pw").await;
        let uploader = sotto_tests::profile::raw_session(&server, "alice", "alice-pw").await;
        let service = uploader
            .upload_service()
            .await
            .unwrap()
            .expect("the server's upload service");
        let files = tempfile::tempdir().unwrap();

        for iv_len in [12usize, 16] {
            let (plain, plain_bytes) = random_file(files.path(), "original.bin", 50_000);
            let sealed = files.path().join(format!("sealed-{iv_len}.bin"));
            let script = "import os, sys\n\
                from cryptography.hazmat.primitives.ciphers.aead import AESGCM\n\
                iv, key = os.urandom(int(sys.argv[1])), AESGCM.generate_key(bit_length=256)\n\
                data = open(sys.argv[2], 'rb').read()\n\
                open(sys.argv[3], 'wb').write(AESGCM(key).encrypt(iv, data, None))\n\
                print((iv + key).hex())\n";
            let out = Process::new(venv_python().unwrap())
                .args(["-c", script, &iv_len.to_string()])
                .arg(&plain)
                .arg(&sealed)
                .output()
                .unwrap();
            assert!(out.status.success(), "python could not encrypt");
            let fragment = String::from_utf8(out.stdout).unwrap().trim().to_owned();
            assert_eq!(fragment.len(), (iv_len + 32) * 2);

            let slot = uploader
                .upload_slot(
                    &service,
                    &format!("photo{iv_len}.jpg"),
                    50_016,
                    "image/jpeg",
                )
                .await
                .unwrap();
            let mut put = Process::new("curl");
            put.args(["-sS", "--fail", "-X", "PUT", "--cacert"])
                .arg(server.cert_path())
                .arg("--data-binary")
                .arg(format!("@{}", sealed.display()));
            for (name, value) in &slot.put_headers {
                put.arg("-H").arg(format!("{name}: {value}"));
            }
            assert!(
                put.arg(&slot.put_url).status().unwrap().success(),
                "curl PUT"
            );

            let link = format!(
                "aesgcm://{}#{fragment}",
                slot.get_url.strip_prefix("https://").unwrap()
            );
            let saved = files.path().join(format!("saved-{iv_len}.jpg"));
            let (end, _) = save(&mut bob, &link, &saved, &format!("s-{iv_len}")).await;
            assert!(matches!(end, TransferState::Saved { .. }), "{end:?}");
            assert_eq!(std::fs::read(&saved).unwrap(), plain_bytes);
        }
    }
}
