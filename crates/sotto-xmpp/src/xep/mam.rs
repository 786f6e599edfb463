// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! Message archive queries (XEP-0313).

use xmpp_parsers::data_forms::{DataForm, DataFormType, Field};
use xmpp_parsers::jid::BareJid;
use xmpp_parsers::mam::{Query, QueryId};
use xmpp_parsers::ns;
use xmpp_parsers::rsm::SetQuery;

/// Which page of the archive to fetch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Page {
    /// Messages after this archive id, oldest first (catch-up).
    After(String),
    /// The newest messages (first login, nothing stored yet).
    Latest,
    /// Messages before this archive id (scrolling back).
    Before(String),
}

/// One page of results.
#[derive(Clone, Debug, Default)]
pub struct ArchivePage {
    /// Messages in archive order (oldest first).
    pub messages: Vec<super::message::IncomingMessage>,
    /// Results the session refused (forged or malformed), counted only.
    pub rejected: usize,
    /// Archive id of the first result.
    pub first: Option<String>,
    /// Archive id of the last result.
    pub last: Option<String>,
    /// Whether the server says this is the end.
    pub complete: bool,
}

/// Builds a query; `with` restricts it to one conversation.
pub fn query(query_id: &str, page: &Page, with: Option<&BareJid>, max: usize) -> Query {
    let mut fields = Vec::new();
    if let Some(with) = with {
        fields.push(Field::text_single("with", &with.to_string()));
    }
    let form = DataForm::new(DataFormType::Submit, ns::MAM, fields);
    let set = match page {
        Page::After(id) => SetQuery {
            max: Some(max),
            after: Some(id.clone()),
            before: None,
            index: None,
        },
        Page::Latest => SetQuery {
            max: Some(max),
            after: None,
            before: Some(String::new()),
            index: None,
        },
        Page::Before(id) => SetQuery {
            max: Some(max),
            after: None,
            before: Some(id.clone()),
            index: None,
        },
    };
    Query {
        queryid: Some(QueryId(query_id.to_owned())),
        node: None,
        form: Some(form),
        set: Some(set),
        flip_page: false,
    }
}
