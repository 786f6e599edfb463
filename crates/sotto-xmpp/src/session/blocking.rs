// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! Blocking (XEP-0191): the server drops what a blocked JID sends us and
//! hides our presence from it. The list lives on the server; every session
//! of the account is told of changes by pushes.

use xmpp_parsers::blocking::{Block, BlocklistRequest, BlocklistResult, Unblock};
use xmpp_parsers::jid::{BareJid, Jid};
use xmpp_parsers::minidom::Element;

use super::{IqPayloadKind, SessionHandle};
use crate::error::IqError;

/// A change of the block list pushed by the server (made by this or
/// another session of the account).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BlocklistPush {
    /// These JIDs are now blocked.
    Blocked(Vec<BareJid>),
    /// These JIDs are no longer blocked.
    Unblocked(Vec<BareJid>),
    /// The whole list was cleared.
    UnblockedAll,
}

/// Reads a block-list push (`<block/>` or `<unblock/>` in an IQ set).
/// `None` when the payload is not one. Entries with a resource are kept as
/// their bare JID: Sotto blocks accounts, not single clients.
pub fn parse_push(payload: &Element) -> Option<Result<BlocklistPush, String>> {
    if payload.is("block", xmpp_parsers::ns::BLOCKING) {
        Some(
            Block::try_from(payload.clone())
                .map(|b| BlocklistPush::Blocked(bare(b.items)))
                .map_err(|e| e.to_string()),
        )
    } else if payload.is("unblock", xmpp_parsers::ns::BLOCKING) {
        Some(
            Unblock::try_from(payload.clone())
                .map(|u| {
                    if u.items.is_empty() {
                        BlocklistPush::UnblockedAll
                    } else {
                        BlocklistPush::Unblocked(bare(u.items))
                    }
                })
                .map_err(|e| e.to_string()),
        )
    } else {
        None
    }
}

fn bare(items: Vec<Jid>) -> Vec<BareJid> {
    let mut out: Vec<BareJid> = items.into_iter().map(|j| j.to_bare()).collect();
    out.sort_unstable_by(|a, b| a.as_str().cmp(b.as_str()));
    out.dedup();
    out
}

impl SessionHandle {
    /// Fetches the account's block list.
    pub async fn blocklist(&self) -> Result<Vec<BareJid>, IqError> {
        let what = "fetching the block list";
        let answer = self
            .request(None, IqPayloadKind::Get(BlocklistRequest.into()), what)
            .await?;
        let element = answer.ok_or(IqError::Malformed {
            what,
            detail: "empty answer".into(),
        })?;
        let list = BlocklistResult::try_from(element).map_err(|e| IqError::Malformed {
            what,
            detail: e.to_string(),
        })?;
        Ok(bare(list.items))
    }

    /// Blocks `jid` (the server confirms with a push to every session).
    pub async fn block(&self, jid: BareJid) -> Result<(), IqError> {
        let payload = Block {
            items: vec![Jid::from(jid)],
        };
        self.request(
            None,
            IqPayloadKind::Set(payload.into()),
            "blocking a contact",
        )
        .await
        .map(drop)
    }

    /// Unblocks `jid`.
    pub async fn unblock(&self, jid: BareJid) -> Result<(), IqError> {
        let payload = Unblock {
            items: vec![Jid::from(jid)],
        };
        self.request(
            None,
            IqPayloadKind::Set(payload.into()),
            "unblocking a contact",
        )
        .await
        .map(drop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn element(xml: &str) -> Element {
        xml.parse().expect("xml")
    }

    #[test]
    fn pushes_parse() {
        let block = element(
            "<block xmlns='urn:xmpp:blocking'><item jid='b@x/r'/><item jid='a@x'/><item jid='b@x'/></block>",
        );
        assert_eq!(
            parse_push(&block),
            Some(Ok(BlocklistPush::Blocked(vec![
                BareJid::new("a@x").expect("jid"),
                BareJid::new("b@x").expect("jid"),
            ])))
        );
        let all = element("<unblock xmlns='urn:xmpp:blocking'/>");
        assert_eq!(parse_push(&all), Some(Ok(BlocklistPush::UnblockedAll)));
        let one = element("<unblock xmlns='urn:xmpp:blocking'><item jid='a@x'/></unblock>");
        assert_eq!(
            parse_push(&one),
            Some(Ok(BlocklistPush::Unblocked(vec![
                BareJid::new("a@x").expect("jid")
            ])))
        );
    }

    #[test]
    fn malformed_and_foreign_payloads() {
        let bad = element("<block xmlns='urn:xmpp:blocking'><item jid='@@'/></block>");
        assert!(matches!(parse_push(&bad), Some(Err(_))));
        let missing = element("<block xmlns='urn:xmpp:blocking'><item/></block>");
        assert!(matches!(parse_push(&missing), Some(Err(_))));
        let other = element("<query xmlns='jabber:iq:roster'/>");
        assert_eq!(parse_push(&other), None);
    }
}
