// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! XEP-0420 Stanza Content Encryption envelopes for OMEMO 2: what goes
//! through the payload encryption instead of a bare body.
//!
//! Only building is done here (it needs no parser). Reading an envelope, and
//! checking its `<from/>` against the sender, belongs to the XMPP layer,
//! which has an XML parser.

use rand_core::CryptoRng;

/// Builds `<envelope xmlns='urn:xmpp:sce:1'>` with a `<body/>` in
/// `<content/>`, random-length `<rpad/>`, `<time/>`, `<to/>` and `<from/>`.
/// `stamp` is an XEP-0082 date-time.
pub fn envelope<R: CryptoRng + ?Sized>(
    body: &str,
    from: &str,
    to: &str,
    stamp: &str,
    rng: &mut R,
) -> String {
    // 0..=200 random characters hide the body length (XEP-0420 §4).
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let len = rng.next_u32() % 201;
    let rpad: String = (0..len)
        .map(|_| char::from(ALPHABET[(rng.next_u32() % ALPHABET.len() as u32) as usize]))
        .collect();
    format!(
        "<envelope xmlns='urn:xmpp:sce:1'><content><body xmlns='jabber:client'>{}</body></content>\
         <rpad>{rpad}</rpad><time stamp='{}'/><to jid='{}'/><from jid='{}'/></envelope>",
        escape(body),
        escape(stamp),
        escape(to),
        escape(from)
    )
}

/// Escapes text for XML character data and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\'' => out.push_str("&apos;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use rand_chacha::ChaCha20Rng;
    use rand_core::SeedableRng;

    use super::*;

    #[test]
    fn envelope_escapes_and_pads() {
        let mut rng = ChaCha20Rng::seed_from_u64(3);
        let e = envelope(
            "<b>&'\"",
            "a@example.org",
            "b@example.org",
            "2026-12-02T13:00:00Z",
            &mut rng,
        );
        assert!(
            e.starts_with("<envelope xmlns='urn:xmpp:sce:1'><content><body xmlns='jabber:client'>")
        );
        assert!(e.contains("&lt;b&gt;&amp;&apos;&quot;</body>"));
        assert!(e.contains("<to jid='b@example.org'/><from jid='a@example.org'/></envelope>"));
        assert!(e.contains("<time stamp='2026-12-02T13:00:00Z'/>"));
        let lengths: std::collections::BTreeSet<usize> = (0..20)
            .map(|_| envelope("x", "a", "b", "t", &mut rng).len())
            .collect();
        assert!(lengths.len() > 10, "rpad varies the length");
    }
}
