// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! File links from message bodies: `aesgcm://` (XEP-0454) and `https://`,
//! the URL parser under them, and the key in the fragment; a link that
//! reads must write back to itself.

#![no_main]

use sotto_xmpp::xep::aesgcm::{FileKey, Link, link};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let Ok(parsed) = Link::parse(&text) else {
        return;
    };
    let _ = parsed.url.file_name();
    let Some(fragment) = parsed.fragment.as_deref() else {
        return;
    };
    let Ok(key) = FileKey::from_fragment(fragment) else {
        return;
    };
    if let Ok(iv) = <[u8; 12]>::try_from(key.iv.as_slice()) {
        let https = format!("https://{}", &text.trim()["aesgcm://".len()..]);
        let again = link(&https, true, &iv, &key.key);
        let lower = |s: &str| s.to_ascii_lowercase();
        assert!(again.is_ok_and(|a| lower(&a) == lower(text.trim())));
    }
});
