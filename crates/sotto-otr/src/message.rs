// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! What kind of OTR message a body is: fragment, encoded message, error,
//! query, or plaintext (perhaps whitespace-tagged); and the building of
//! queries and tags.

pub(crate) mod encoded;

use crate::Error;

/// Protocol versions offered by a query or a whitespace tag.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Offered {
    pub(crate) v2: bool,
    pub(crate) v3: bool,
}

const TAG_BASE: &str = "\x20\x09\x20\x20\x09\x09\x09\x09\x20\x09\x20\x09\x20\x09\x20\x20";
const TAG_V1: &str = "\x20\x09\x20\x09\x20\x20\x09\x20";
const TAG_V2: &str = "\x20\x20\x09\x09\x20\x20\x09\x20";
const TAG_V3: &str = "\x20\x20\x09\x09\x20\x20\x09\x09";

/// The human text that follows our query, for clients without OTR.
const QUERY_TEXT: &str = "\nI would like to start an Off-the-Record private conversation, \
    but your client does not support it. See https://otr.cypherpunks.ca/ for more information.";

/// A body, classified.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Incoming {
    /// `?OTR|...` or `?OTR,...`: one piece of a fragmented message.
    Fragment(String),
    /// `?OTR:...`: the decoded bytes.
    Encoded(Vec<u8>),
    /// `?OTR Error:` and the text after it.
    Error(String),
    /// `?OTRv..?` / `?OTR?...`.
    Query(Offered),
    /// Anything else; `tag` is set when a whitespace tag was found (and removed).
    Plain { text: String, tag: Option<Offered> },
}

/// Classifies a received body.
pub(crate) fn classify(body: &str) -> Result<Incoming, Error> {
    if let Some(i) = body.find("?OTR|").or_else(|| body.find("?OTR,")) {
        return Ok(Incoming::Fragment(body[i..].to_owned()));
    }
    if let Some(i) = body.find("?OTR:") {
        return crate::wire::dearmour(&body[i + 5..]).map(Incoming::Encoded);
    }
    if let Some(i) = body.find("?OTR Error:") {
        let text = body[i + "?OTR Error:".len()..].trim().to_owned();
        return Ok(Incoming::Error(text));
    }
    if let Some(offered) = parse_query(body) {
        return Ok(Incoming::Query(offered));
    }
    Ok(strip_tag(body))
}

fn parse_query(body: &str) -> Option<Offered> {
    let i = body.find("?OTR")?;
    let rest = &body[i + 4..];
    let mut offered = Offered::default();
    let versions = if let Some(r) = rest.strip_prefix('?') {
        // "?OTR?" is v1, possibly followed by "v2?".
        match r.strip_prefix('v') {
            Some(v) => v,
            None => return Some(offered),
        }
    } else {
        rest.strip_prefix('v')?
    };
    let end = versions.find('?')?;
    for c in versions[..end].chars() {
        match c {
            '2' => offered.v2 = true,
            '3' => offered.v3 = true,
            _ => {}
        }
    }
    Some(offered)
}

fn strip_tag(body: &str) -> Incoming {
    let Some(i) = body.find(TAG_BASE) else {
        return Incoming::Plain {
            text: body.to_owned(),
            tag: None,
        };
    };
    let mut offered = Offered::default();
    let mut j = i + TAG_BASE.len();
    loop {
        let rest = &body[j..];
        if rest.starts_with(TAG_V2) {
            offered.v2 = true;
        } else if rest.starts_with(TAG_V3) {
            offered.v3 = true;
        } else if !rest.starts_with(TAG_V1) {
            break;
        }
        j += 8;
    }
    let mut text = body[..i].to_owned();
    text.push_str(&body[j..]);
    Incoming::Plain {
        text,
        tag: Some(offered),
    }
}

/// Our query message for the versions we speak.
pub(crate) fn query(v2: bool, v3: bool) -> String {
    let mut q = String::from("?OTRv");
    if v2 {
        q.push('2');
    }
    if v3 {
        q.push('3');
    }
    q.push('?');
    q.push_str(QUERY_TEXT);
    q
}

/// `text` with our whitespace tag appended.
pub(crate) fn tagged(text: &str, v2: bool, v3: bool) -> String {
    let mut s = String::with_capacity(text.len() + 32);
    s.push_str(text);
    s.push_str(TAG_BASE);
    if v2 {
        s.push_str(TAG_V2);
    }
    if v3 {
        s.push_str(TAG_V3);
    }
    s
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn q(s: &str) -> Option<Offered> {
        match classify(s).unwrap() {
            Incoming::Query(o) => Some(o),
            _ => None,
        }
    }

    #[test]
    fn queries() {
        assert_eq!(q("?OTRv23?"), Some(Offered { v2: true, v3: true }));
        assert_eq!(
            q("?OTRv2?"),
            Some(Offered {
                v2: true,
                v3: false
            })
        );
        assert_eq!(
            q("?OTR?v2?"),
            Some(Offered {
                v2: true,
                v3: false
            })
        );
        assert_eq!(q("?OTR?"), Some(Offered::default()));
        assert_eq!(
            q("?OTRv3? hello"),
            Some(Offered {
                v2: false,
                v3: true
            })
        );
        assert_eq!(q("?OTRv234?\nblah"), Some(Offered { v2: true, v3: true }));
        assert_eq!(q("hello ?OTR"), None);
        assert_eq!(q(&query(true, true)), Some(Offered { v2: true, v3: true }));
    }

    #[test]
    fn whitespace_tags() {
        let t = tagged("hi there", true, true);
        assert_eq!(
            classify(&t).unwrap(),
            Incoming::Plain {
                text: "hi there".into(),
                tag: Some(Offered { v2: true, v3: true })
            }
        );
        let t = tagged("", true, false);
        assert_eq!(
            classify(&t).unwrap(),
            Incoming::Plain {
                text: String::new(),
                tag: Some(Offered {
                    v2: true,
                    v3: false
                })
            }
        );
        assert_eq!(
            classify("plain").unwrap(),
            Incoming::Plain {
                text: "plain".into(),
                tag: None
            }
        );
    }

    #[test]
    fn errors_and_fragments() {
        assert_eq!(
            classify("?OTR Error: You sent junk").unwrap(),
            Incoming::Error("You sent junk".into())
        );
        assert!(matches!(
            classify("?OTR,1,2,abc,").unwrap(),
            Incoming::Fragment(_)
        ));
        assert_eq!(classify("?OTR:!!!."), Err(Error::Base64));
    }
}
