// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! `aesgcm://` links (XEP-0454, as Conversations, Dino, Gajim and Monal
//! write them): the `https://` download link with the scheme `aesgcm://` and
//! the fragment hex(IV) ‖ hex(key). Only reading and writing the links lives
//! here, as pure functions, because links arrive in messages from anyone;
//! the AES-256-GCM work stays with the caller.

use zeroize::Zeroizing;

use crate::http::UploadUrl;

/// The scheme of an encrypted file link.
pub const SCHEME: &str = "aesgcm://";

/// Why a link was refused. Messages never contain the key.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LinkError {
    /// Neither `https://` nor `aesgcm://`.
    #[error("this is not a file link (https:// or aesgcm://)")]
    NotALink,
    /// An `aesgcm://` link without the `#` fragment.
    #[error("the aesgcm link has no key")]
    NoKey,
    /// The download address itself is unusable.
    #[error(transparent)]
    Url(crate::http::HttpError),
    /// The fragment is not hexadecimal.
    #[error("the link's key is not hex")]
    KeyNotHex,
    /// The fragment decodes to neither 44 nor 48 bytes (given in hex digits).
    #[error("the link's key has {0} hex digits, not 88")]
    KeyLength(usize),
    /// XEP-0454 allows only https downloads for encrypted files.
    #[error(
        "the server's download address is not https, so an encrypted file cannot be shared through it"
    )]
    NotHttps,
}

/// A file link from a message: where to fetch it and, for `aesgcm://`, the
/// fragment holding its IV and key.
pub struct Link {
    /// The https URL to fetch.
    pub url: UploadUrl,
    /// hex(IV) ‖ hex(key), for an encrypted file.
    pub fragment: Option<Zeroizing<String>>,
}

impl std::fmt::Debug for Link {
    // The fragment is the file's key, the path a capability: neither is shown.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Link")
            .field("host", &self.url.host())
            .field("encrypted", &self.fragment.is_some())
            .finish()
    }
}

impl Link {
    /// Reads an `aesgcm://` or `https://` link (surrounding whitespace is
    /// ignored; plain `http://` only where [`UploadUrl::parse`] allows it).
    pub fn parse(link: &str) -> Result<Self, LinkError> {
        let link = link.trim();
        if let Some(rest) = link.strip_prefix(SCHEME) {
            let (location, fragment) = rest.split_once('#').ok_or(LinkError::NoKey)?;
            let url = UploadUrl::parse(&format!("https://{location}")).map_err(LinkError::Url)?;
            return Ok(Self {
                url,
                fragment: Some(Zeroizing::new(fragment.to_owned())),
            });
        }
        if link.starts_with("https://") || link.starts_with("http://") {
            let url = UploadUrl::parse(link).map_err(LinkError::Url)?;
            return Ok(Self {
                url,
                fragment: None,
            });
        }
        Err(LinkError::NotALink)
    }
}

/// The IV and key a link's fragment carries.
pub struct FileKey {
    /// 12 bytes, or 16 from older Conversations versions.
    pub iv: Vec<u8>,
    /// The AES-256 key.
    pub key: Zeroizing<[u8; 32]>,
}

impl std::fmt::Debug for FileKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "FileKey({}-byte IV, <redacted>)", self.iv.len())
    }
}

impl FileKey {
    /// Reads a fragment: 88 hex digits (12-byte IV, then the key), or 96
    /// (the 16-byte IV older Conversations versions sent).
    pub fn from_fragment(fragment: &str) -> Result<Self, LinkError> {
        let bytes = Zeroizing::new(hex::decode(fragment).map_err(|_| LinkError::KeyNotHex)?);
        let iv_len = match bytes.len() {
            44 => 12,
            48 => 16,
            n => return Err(LinkError::KeyLength(n * 2)),
        };
        let (iv, key) = bytes.split_at(iv_len);
        let mut out = Zeroizing::new([0u8; 32]);
        out.copy_from_slice(key);
        Ok(Self {
            iv: iv.to_vec(),
            key: out,
        })
    }
}

/// The `aesgcm://` link of an uploaded encrypted file at `get_url` (which
/// must be https: `https` says whether it parsed as such); any fragment of
/// `get_url` is replaced by the key's.
pub fn link(
    get_url: &str,
    https: bool,
    iv: &[u8; 12],
    key: &[u8; 32],
) -> Result<String, LinkError> {
    let rest = get_url
        .strip_prefix("https://")
        .filter(|_| https)
        .ok_or(LinkError::NotHttps)?;
    let rest = rest.split('#').next().unwrap_or(rest);
    let mut out = Zeroizing::new(String::with_capacity(get_url.len() + 100));
    out.push_str(SCHEME);
    out.push_str(rest);
    out.push('#');
    out.push_str(&hex::encode(iv));
    out.push_str(&Zeroizing::new(hex::encode(key)));
    Ok(out.to_string())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    const IV: [u8; 12] = [3; 12];
    const KEY: [u8; 32] = [7; 32];

    #[test]
    fn links_write_and_read_back() {
        let text = link("https://up.example.org/s/abc.jpg#old", true, &IV, &KEY).unwrap();
        let (base, fragment) = text.split_once('#').unwrap();
        assert_eq!(base, "aesgcm://up.example.org/s/abc.jpg");
        assert_eq!(fragment.len(), 88);
        assert_eq!(&fragment[..24], hex::encode(IV));
        let parsed = Link::parse(&format!(" {text}\n")).unwrap();
        assert_eq!(parsed.url.host(), "up.example.org");
        assert_eq!(parsed.url.file_name(), "abc.jpg");
        assert_eq!(
            parsed.fragment.as_deref().map(String::as_str),
            Some(fragment)
        );
        let key = FileKey::from_fragment(fragment).unwrap();
        assert_eq!((key.iv.as_slice(), *key.key), (IV.as_slice(), KEY));
        assert_eq!(format!("{key:?}"), "FileKey(12-byte IV, <redacted>)");
        assert!(!format!("{parsed:?}").contains(fragment));
        assert!(
            Link::parse("https://up.example.org/x.txt")
                .unwrap()
                .fragment
                .is_none()
        );
    }

    #[test]
    fn bad_links_and_keys_are_refused() {
        for bad in [
            "aesgcm://up.example.org/x",
            "ftp://x/y",
            "hello",
            "http://x.org/f",
            "aesgcm://#00",
        ] {
            assert!(Link::parse(bad).is_err(), "{bad}");
        }
        assert!(matches!(
            link("http://up.example.org/x", false, &IV, &KEY),
            Err(LinkError::NotHttps)
        ));
        assert!(matches!(
            link("https://up.example.org/x", false, &IV, &KEY),
            Err(LinkError::NotHttps)
        ));
        let short = FileKey::from_fragment(&"ab".repeat(40)).unwrap_err();
        assert!(short.to_string().contains("80 hex digits"), "{short}");
        let not_hex = FileKey::from_fragment(&"zz".repeat(44)).unwrap_err();
        assert!(not_hex.to_string().contains("not hex"), "{not_hex}");
        // Odd lengths and multi-byte characters are refused, never split.
        assert!(FileKey::from_fragment(&"a".repeat(87)).is_err());
        assert!(FileKey::from_fragment(&"é".repeat(44)).is_err());
    }

    /// Older Conversations versions used a 16-byte IV (96 hex digits).
    #[test]
    fn sixteen_byte_ivs_of_older_senders_read() {
        let fragment = format!("{}{}", hex::encode([9u8; 16]), hex::encode(KEY));
        let key = FileKey::from_fragment(&fragment).unwrap();
        assert_eq!(key.iv, [9u8; 16]);
        assert_eq!(*key.key, KEY);
    }
}
