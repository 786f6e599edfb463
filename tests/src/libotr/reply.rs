// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! The peer's side of the line protocol: encoding requests, parsing report
//! lines. The protocol itself is described at the top of
//! `tests/libotr-peer/peer.c`.

use anyhow::{Context as _, anyhow, bail};

use super::PeerEvent;

/// Hex of `text` for a request field; `-` is the empty text.
pub(super) fn encode(text: &str) -> anyhow::Result<String> {
    if text.contains('\0') {
        bail!("libotr takes C strings: the text must not contain NUL");
    }
    Ok(if text.is_empty() {
        "-".to_owned()
    } else {
        hex::encode(text)
    })
}

pub(super) fn decode(field: &str) -> anyhow::Result<String> {
    let bytes =
        hex::decode(field).with_context(|| format!("bad hex from the peer: {field:.40}"))?;
    String::from_utf8(bytes).context("the peer reported text that is not UTF-8")
}

/// `ABCD…` (40 hex digits) → libotr's human form, five groups of eight
/// uppercase hex digits separated by spaces.
#[must_use]
pub fn human_fingerprint(hex40: &str) -> String {
    let upper: Vec<char> = hex40
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| c.to_ascii_uppercase())
        .collect();
    upper
        .chunks(8)
        .map(|group| group.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join(" ")
}

/// A fingerprint in any spacing or case → the 40 hex digits the peer takes.
pub(super) fn compact_fingerprint(fingerprint: &str) -> anyhow::Result<String> {
    let compact: String = fingerprint.split_whitespace().collect();
    if compact.len() != 40 || !compact.chars().all(|c| c.is_ascii_hexdigit()) {
        bail!("{fingerprint:?} is not an OTR fingerprint (40 hex digits)");
    }
    Ok(compact)
}

/// Everything the peer reported before its `ok`.
#[derive(Debug, Default)]
pub(super) struct Reply {
    /// `(recipient, message)` in the order libotr produced them.
    pub wires: Vec<(String, String)>,
    pub plaintext: Option<String>,
    pub events: Vec<PeerEvent>,
    /// Answer lines (`state …`, `fingerprint …`, `known …`) split on spaces.
    pub answers: Vec<Vec<String>>,
}

impl Reply {
    pub fn parse(lines: &[String]) -> anyhow::Result<Self> {
        let mut reply = Self::default();
        for line in lines {
            reply
                .add(line)
                .with_context(|| format!("parsing the peer's line {line:.80?}"))?;
        }
        Ok(reply)
    }

    fn add(&mut self, line: &str) -> anyhow::Result<()> {
        let fields: Vec<&str> = line.split(' ').collect();
        match fields.as_slice() {
            ["wire", to, message] => self.wires.push(((*to).to_owned(), decode(message)?)),
            ["plaintext", text] => {
                if self.plaintext.is_some() {
                    bail!("two plaintexts for one message");
                }
                self.plaintext = Some(decode(text)?);
            }
            ["event", rest @ ..] => self.events.push(parse_event(rest)?),
            _ => self
                .answers
                .push(fields.iter().map(|f| (*f).to_owned()).collect()),
        }
        Ok(())
    }

    /// The one answer line starting with `keyword`, without the keyword.
    pub fn answer(&self, keyword: &str) -> anyhow::Result<&[String]> {
        let mut found = self.answers.iter().filter(|a| a[0] == keyword);
        let first = found
            .next()
            .ok_or_else(|| anyhow!("the peer did not answer with {keyword:?}"))?;
        if found.next().is_some() {
            bail!("the peer answered {keyword:?} twice");
        }
        Ok(&first[1..])
    }
}

fn parse_event(fields: &[&str]) -> anyhow::Result<PeerEvent> {
    Ok(match fields {
        ["gone-secure"] => PeerEvent::GoneSecure,
        ["gone-insecure"] => PeerEvent::GoneInsecure,
        ["still-secure"] => PeerEvent::StillSecure,
        ["smp-ask"] => PeerEvent::SmpAskForSecret { question: None },
        ["smp-ask", question] => PeerEvent::SmpAskForSecret {
            question: Some(decode(question)?),
        },
        ["smp-in-progress"] => PeerEvent::SmpInProgress,
        ["smp-success"] => PeerEvent::SmpSucceeded,
        ["smp-failure"] => PeerEvent::SmpFailed,
        ["smp-abort"] => PeerEvent::SmpAborted,
        ["smp-cheated"] => PeerEvent::SmpCheated,
        ["smp-error"] => PeerEvent::SmpError,
        ["new-fingerprint", _user, fingerprint] => {
            PeerEvent::NewFingerprint(human_fingerprint(fingerprint))
        }
        ["msg", kind] => PeerEvent::MessageEvent {
            kind: (*kind).to_owned(),
            text: None,
        },
        ["msg", kind, text] => PeerEvent::MessageEvent {
            kind: (*kind).to_owned(),
            text: Some(decode(text)?),
        },
        ["tlv", kind] => PeerEvent::Tlv(kind.parse().context("TLV type")?),
        _ => PeerEvent::Other(fields.join(" ")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_take_libotrs_human_form() {
        let hex = "b89e2f319c42ed44a2fc936d5ebe552886ea26e7";
        assert_eq!(
            human_fingerprint(hex),
            "B89E2F31 9C42ED44 A2FC936D 5EBE5528 86EA26E7"
        );
        assert_eq!(
            compact_fingerprint(&human_fingerprint(hex)).ok().as_deref(),
            Some("B89E2F319C42ED44A2FC936D5EBE552886EA26E7")
        );
        assert!(compact_fingerprint("B89E2F31").is_err());
        assert!(compact_fingerprint(&"Z".repeat(40)).is_err());
    }

    #[test]
    fn replies_parse_in_order() {
        let lines: Vec<String> = [
            "event new-fingerprint bob@x b89e2f319c42ed44a2fc936d5ebe552886ea26e7",
            "event gone-secure",
            "wire bob@x 3f4f54523a",
            "event smp-ask 57686f3f",
            "event msg OTRL_MSGEVENT_RCVDMSG_GENERAL_ERR 6f6f7073",
            "event tlv 1",
            "plaintext 68690a",
            "state encrypted 3",
        ]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
        let reply = Reply::parse(&lines).unwrap_or_else(|e| panic!("{e:#}"));
        assert_eq!(reply.wires, [("bob@x".to_owned(), "?OTR:".to_owned())]);
        assert_eq!(reply.plaintext.as_deref(), Some("hi\n"));
        assert_eq!(
            reply.events,
            [
                PeerEvent::NewFingerprint("B89E2F31 9C42ED44 A2FC936D 5EBE5528 86EA26E7".into()),
                PeerEvent::GoneSecure,
                PeerEvent::SmpAskForSecret {
                    question: Some("Who?".into())
                },
                PeerEvent::MessageEvent {
                    kind: "OTRL_MSGEVENT_RCVDMSG_GENERAL_ERR".into(),
                    text: Some("oops".into())
                },
                PeerEvent::Tlv(1),
            ]
        );
        assert_eq!(
            reply.answer("state").ok(),
            Some(&["encrypted".to_owned(), "3".to_owned()][..])
        );
        assert!(reply.answer("fingerprint").is_err());
    }

    #[test]
    fn empty_text_is_a_dash() {
        assert_eq!(encode("").ok().as_deref(), Some("-"));
        assert_eq!(encode("a b").ok().as_deref(), Some("612062"));
        assert!(encode("a\0b").is_err());
    }
}
