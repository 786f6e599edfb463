// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! Encrypted media (XEP-0454, as Conversations, Dino, Gajim and Monal do
//! it): the file is encrypted with AES-256-GCM under a fresh key and
//! 12-byte IV, the 16-byte tag appended; the link is the `https://` one
//! with the scheme `aesgcm://` and the fragment hex(IV) ‖ hex(key). The link
//! travels only inside the end-to-end encrypted message.

use aes_gcm::aead::consts::U16;
use aes_gcm::aead::{Aead as _, KeyInit as _};
use aes_gcm::{Aes256Gcm, Nonce};
use rand::RngCore as _;
use sotto_xmpp::xep::aesgcm;
use zeroize::Zeroizing;

/// Bytes the GCM tag adds to the file.
pub(crate) const TAG_LEN: u64 = 16;

/// The key and IV of one encrypted file.
pub(crate) struct MediaKey {
    key: Zeroizing<[u8; 32]>,
    iv: [u8; 12],
}

impl std::fmt::Debug for MediaKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MediaKey(<redacted>)")
    }
}

/// Encrypts `plain` under a fresh key; returns ciphertext ‖ tag.
pub(crate) fn encrypt(plain: Vec<u8>) -> Result<(Vec<u8>, MediaKey), String> {
    let plain = Zeroizing::new(plain);
    let mut key = Zeroizing::new([0u8; 32]);
    let mut iv = [0u8; 12];
    let mut rng = rand::rng();
    rng.fill_bytes(key.as_mut_slice());
    rng.fill_bytes(&mut iv);
    let cipher = Aes256Gcm::new_from_slice(key.as_slice())
        .map_err(|_| "encrypting the file: bad key length".to_owned())?;
    let data = cipher
        .encrypt(Nonce::from_slice(&iv), plain.as_slice())
        .map_err(|_| "encrypting the file failed".to_owned())?;
    Ok((data, MediaKey { key, iv }))
}

/// Decrypts and authenticates a downloaded file given the fragment of its
/// `aesgcm://` link (read by [`aesgcm::FileKey::from_fragment`]).
pub(crate) fn decrypt(data: &[u8], fragment: &str) -> Result<Zeroizing<Vec<u8>>, String> {
    let file_key = aesgcm::FileKey::from_fragment(fragment).map_err(|e| e.to_string())?;
    let wrong = || "the file does not decrypt: the link's key is wrong or the file was altered";
    let key = file_key.key.as_slice();
    let plain = if file_key.iv.len() == 16 {
        Aes256Gcm16::new_from_slice(key)
            .map_err(|_| wrong())?
            .decrypt(aes_gcm::Nonce::<U16>::from_slice(&file_key.iv), data)
    } else {
        Aes256Gcm::new_from_slice(key)
            .map_err(|_| wrong())?
            .decrypt(Nonce::from_slice(&file_key.iv), data)
    };
    plain.map(Zeroizing::new).map_err(|_| wrong().to_owned())
}

/// AES-256-GCM with the 16-byte IV of older senders.
type Aes256Gcm16 = aes_gcm::AesGcm<aes_gcm::aes::Aes256, U16>;

/// A file link from a message (parsing lives in sotto-xmpp: links arrive
/// from anyone, and are fuzzed there).
pub(crate) use aesgcm::Link;

/// The `aesgcm://` link of an uploaded encrypted file.
pub(crate) fn aesgcm_link(get_url: &str, https: bool, key: &MediaKey) -> Result<String, String> {
    aesgcm::link(get_url, https, &key.iv, &key.key).map_err(|e| e.to_string())
}

/// A random name with the extension of `name`.
pub(crate) fn random_name(name: &str) -> String {
    let stem = uuid::Uuid::new_v4().simple().to_string();
    match extension(name) {
        Some(ext) => format!("{stem}.{ext}"),
        None => stem,
    }
}

fn extension(name: &str) -> Option<String> {
    let (_, ext) = name.rsplit_once('.')?;
    (!ext.is_empty() && ext.len() <= 8 && ext.chars().all(|c| c.is_ascii_alphanumeric()))
        .then(|| ext.to_ascii_lowercase())
}

/// The content type announced for a file, from its extension.
pub(crate) fn content_type(name: &str) -> &'static str {
    match extension(name).as_deref() {
        Some("jpg" | "jpeg") => "image/jpeg",
        Some("png") => "image/png",
        Some("gif") => "image/gif",
        Some("webp") => "image/webp",
        Some("heic") => "image/heic",
        Some("svg") => "image/svg+xml",
        Some("mp4" | "m4v") => "video/mp4",
        Some("webm") => "video/webm",
        Some("mp3") => "audio/mpeg",
        Some("m4a") => "audio/mp4",
        Some("ogg" | "oga" | "opus") => "audio/ogg",
        Some("pdf") => "application/pdf",
        Some("txt") => "text/plain",
        Some("zip") => "application/zip",
        _ => "application/octet-stream",
    }
}

/// A size for people: "1.5 MB".
pub(crate) fn size_text(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["bytes", "KB", "MB", "GB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1000.0 && unit < UNITS.len() - 1 {
        value /= 1000.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} bytes")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn encrypt_link_and_decrypt_round_trip() {
        let (data, key) = encrypt(b"hello file".to_vec()).unwrap();
        assert_eq!(data.len() as u64, 10 + TAG_LEN);
        let link = aesgcm_link("https://up.example.org/s/abc.jpg", true, &key).unwrap();
        let (base, fragment) = link.split_once('#').unwrap();
        assert_eq!(base, "aesgcm://up.example.org/s/abc.jpg");
        assert_eq!(fragment.len(), 88);
        assert_eq!(&fragment[..24], hex::encode(key.iv));
        assert_eq!(decrypt(&data, fragment).unwrap().as_slice(), b"hello file");
        let mut altered = data.clone();
        altered[0] ^= 1;
        assert!(decrypt(&altered, fragment).unwrap_err().contains("altered"));
        assert!(
            decrypt(&data, &fragment[..80])
                .unwrap_err()
                .contains("80 hex digits")
        );
        assert!(
            decrypt(&data, &"zz".repeat(44))
                .unwrap_err()
                .contains("not hex")
        );
        let parsed = Link::parse(&link).unwrap();
        assert_eq!(
            parsed.fragment.as_deref().map(String::as_str),
            Some(fragment)
        );
        assert!(aesgcm_link("http://up.example.org/x", false, &key).is_err());
        assert_eq!(format!("{key:?}"), "MediaKey(<redacted>)");
    }

    #[test]
    fn message_bodies_that_are_file_links() {
        let link = crate::file_link(&format!(
            "aesgcm://up.example.org/s/b%C3%A9ach.jpg#{}",
            "a".repeat(88)
        ));
        assert_eq!(
            link,
            Some(crate::FileLink {
                name: "béach.jpg".into(),
                encrypted: true
            })
        );
        assert_eq!(
            crate::file_link(" https://up.example.org/s/report.pdf\n"),
            Some(crate::FileLink {
                name: "report.pdf".into(),
                encrypted: false
            })
        );
        for not in [
            "see https://up.example.org/s/report.pdf",
            "https://example.org/",
            "hello",
            "aesgcm://up.example.org/s/x.jpg",
        ] {
            assert_eq!(crate::file_link(not), None, "{not}");
        }
    }

    /// Older Conversations versions used a 16-byte IV (96 hex digits).
    #[test]
    fn sixteen_byte_ivs_of_older_senders_decrypt() {
        let key = [7u8; 32];
        let iv = [9u8; 16];
        let data = Aes256Gcm16::new_from_slice(&key)
            .unwrap()
            .encrypt(aes_gcm::Nonce::<U16>::from_slice(&iv), b"old".as_slice())
            .unwrap();
        let fragment = format!("{}{}", hex::encode(iv), hex::encode(key));
        assert_eq!(decrypt(&data, &fragment).unwrap().as_slice(), b"old");
    }

    #[test]
    fn names_types_and_sizes() {
        assert!(random_name("Holiday Photo.JPG").ends_with(".jpg"));
        assert_eq!(random_name("Makefile").len(), 32);
        assert!(!random_name("a.tar.gz").contains("tar"));
        assert_eq!(content_type("x.PNG"), "image/png");
        assert_eq!(content_type("x"), "application/octet-stream");
        assert_eq!(size_text(999), "999 bytes");
        assert_eq!(size_text(1_500_000), "1.5 MB");
    }
}
