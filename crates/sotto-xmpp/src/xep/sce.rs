// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! XEP-0420 Stanza Content Encryption envelopes: what an OMEMO 2 payload
//! holds instead of a bare body. Built and read here, the one place that
//! knows their shape.

use xmpp_parsers::minidom::Element;

/// The SCE namespace.
pub const NS: &str = "urn:xmpp:sce:1";
const CLIENT: &str = "jabber:client";

/// The parts of an envelope Sotto uses.
#[derive(Clone, PartialEq, Eq)]
pub struct Envelope {
    /// The `<body/>` in `<content/>`, if any.
    pub body: Option<String>,
    /// The `<from jid/>` affix: who encrypted it.
    pub from: Option<String>,
    /// The `<to jid/>` affix.
    pub to: Option<String>,
}

impl std::fmt::Debug for Envelope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the body.
        f.debug_struct("Envelope")
            .field("has_body", &self.body.is_some())
            .field("from", &self.from)
            .field("to", &self.to)
            .finish()
    }
}

/// Why an envelope was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum EnvelopeError {
    /// Not UTF-8 or not XML.
    #[error("the decrypted OMEMO 2 payload is not an XML envelope")]
    NotXml,
    /// XML, but not `<envelope xmlns='urn:xmpp:sce:1'>` with `<content/>`.
    #[error("the decrypted OMEMO 2 payload is not an SCE envelope ({0})")]
    NotEnvelope(&'static str),
    /// Nested deeper than any envelope needs (refused before parsing: a
    /// deep tree overflows the stack when built or dropped).
    #[error("the decrypted OMEMO 2 payload nests deeper than {0} levels")]
    TooDeep(usize),
}

/// The deepest an envelope may nest: `<envelope><content><body>` is three,
/// and the payloads SCE carries are shallow.
const MAX_DEPTH: usize = 64;

/// Parses a decrypted envelope.
pub fn parse(bytes: &[u8]) -> Result<Envelope, EnvelopeError> {
    crate::depth::check(bytes, MAX_DEPTH).map_err(|e| EnvelopeError::TooDeep(e.0))?;
    let text = std::str::from_utf8(bytes).map_err(|_| EnvelopeError::NotXml)?;
    let root: Element = text.parse().map_err(|_| EnvelopeError::NotXml)?;
    if !root.is("envelope", NS) {
        return Err(EnvelopeError::NotEnvelope("wrong root element"));
    }
    let content = root
        .get_child("content", NS)
        .ok_or(EnvelopeError::NotEnvelope("no <content/>"))?;
    let body = content
        .children()
        .find(|c| c.name() == "body" && (c.ns() == CLIENT || c.ns() == NS))
        .map(Element::text);
    let affix = |name: &str| {
        root.get_child(name, NS)
            .and_then(|e| e.attr("jid"))
            .map(str::to_owned)
    };
    Ok(Envelope {
        body,
        from: affix("from"),
        to: affix("to"),
    })
}

/// Builds `<envelope xmlns='urn:xmpp:sce:1'>` with a `<body/>` in
/// `<content/>`, random-length `<rpad/>`, `<time/>`, `<to/>` and `<from/>`.
/// `stamp` is an XEP-0082 date-time.
pub fn envelope<R: rand::CryptoRng + ?Sized>(
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
        "<envelope xmlns='{NS}'><content><body xmlns='{CLIENT}'>{}</body></content>\
         <rpad>{rpad}</rpad><time stamp='{}'/><to jid='{}'/><from jid='{}'/></envelope>",
        escape(body),
        escape(stamp),
        escape(to),
        escape(from)
    )
}

/// Escapes text for XML character data and attribute values.
fn escape(s: &str) -> String {
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
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn an_envelope_built_here_reads_back_with_padding_that_varies() {
        let mut rng = rand::rng();
        let body = "<b>&'\" ]]> and text";
        let built = envelope(
            body,
            "a@example.org/phone",
            "b@example.org",
            "2026-12-02T13:00:00Z",
            &mut rng,
        );
        assert!(built.contains("&lt;b&gt;&amp;&apos;&quot;"), "{built}");
        let read = parse(built.as_bytes()).unwrap();
        assert_eq!(read.body.as_deref(), Some(body));
        assert_eq!(read.from.as_deref(), Some("a@example.org/phone"));
        assert_eq!(read.to.as_deref(), Some("b@example.org"));
        let lengths: std::collections::BTreeSet<usize> = (0..20)
            .map(|_| envelope("x", "a", "b", "t", &mut rng).len())
            .collect();
        assert!(lengths.len() > 10, "rpad varies the length");
    }

    #[test]
    fn reads_body_and_affixes() {
        let xml = "<envelope xmlns='urn:xmpp:sce:1'><content><body xmlns='jabber:client'>\
                   a &amp; &lt;b&gt;</body></content><rpad>xyz</rpad>\
                   <time stamp='2026-12-02T13:00:00Z'/><to jid='b@example.org'/>\
                   <from jid='a@example.org/phone'/></envelope>";
        let e = parse(xml.as_bytes()).unwrap();
        assert_eq!(e.body.as_deref(), Some("a & <b>"));
        assert_eq!(e.from.as_deref(), Some("a@example.org/phone"));
        assert_eq!(e.to.as_deref(), Some("b@example.org"));
        assert!(!format!("{e:?}").contains("<b>"), "no body in Debug");
    }

    #[test]
    fn refuses_what_is_not_an_envelope() {
        assert_eq!(parse(b"\xff\xfe"), Err(EnvelopeError::NotXml));
        assert_eq!(parse(b"<envelope"), Err(EnvelopeError::NotXml));
        assert!(matches!(
            parse(b"<envelope xmlns='urn:xmpp:other'/>"),
            Err(EnvelopeError::NotEnvelope(_))
        ));
        assert!(matches!(
            parse(b"<envelope xmlns='urn:xmpp:sce:1'/>"),
            Err(EnvelopeError::NotEnvelope(_))
        ));
        let empty = parse(b"<envelope xmlns='urn:xmpp:sce:1'><content/></envelope>").unwrap();
        assert_eq!(empty.body, None);
    }

    /// 100,000 nested elements in a decrypted payload, parsed on a thread
    /// with the default 2 MiB stack: refused, not a stack overflow that
    /// aborts the process (building and dropping such a tree recurses).
    #[test]
    fn a_deeply_nested_envelope_is_refused_without_overflowing_the_stack() {
        let depth = 100_000;
        let xml = format!(
            "<envelope xmlns='urn:xmpp:sce:1'><content>{}{}</content></envelope>",
            "<a>".repeat(depth),
            "</a>".repeat(depth)
        );
        let result = std::thread::Builder::new()
            .stack_size(2 << 20)
            .spawn(move || parse(xml.as_bytes()))
            .unwrap()
            .join()
            .unwrap();
        assert_eq!(result, Err(EnvelopeError::TooDeep(64)));
        let shallow = format!(
            "<envelope xmlns='urn:xmpp:sce:1'><content>{}{}</content></envelope>",
            "<a>".repeat(62),
            "</a>".repeat(62)
        );
        assert!(parse(shallow.as_bytes()).is_ok(), "64 levels are fine");
    }
}
