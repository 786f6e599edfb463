// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! The account's side of its requests: each answer is routed to the part
//! that asked (its continuation), then whatever waited for an answer is
//! looked at again; a stopping account lets what is in flight finish.

use super::{Account, pending};

/// How long a stopping account lets its requests in flight finish.
const STOP_GRACE: std::time::Duration = std::time::Duration::from_secs(3);

impl Account {
    /// An answer to a request: the continuation of the work that asked,
    /// then whatever waited for an answer.
    pub(super) async fn on_reply(&mut self, reply: pending::Reply) {
        use pending::Reply;
        tracing::debug!(?reply, stream = self.stream, "answer");
        match reply {
            Reply::Discovered {
                stream,
                stream_management,
                result,
            } => self.discovered(stream, stream_management, result),
            Reply::Roster { stream, result } => self.roster_answered(stream, result),
            Reply::Carbons { stream, result } => self.carbons_answered(stream, result),
            Reply::Blocklist(result) => self.blocklist_answered(result),
            Reply::Bookmarks { stream, result } => self.bookmarks_answered(stream, result),
            Reply::CatchUp {
                stream,
                page,
                pages,
                total,
                result,
            } => self.catch_up_answered(stream, page, pages, total, result),
            Reply::Older {
                peer,
                stored,
                limit,
                result,
                request,
            } => self.answering(request, |a| a.older_answered(peer, stored, limit, result)),
            Reply::DeviceLists { stream, jid, lists } => {
                self.omemo_lists_answered(stream, jid, lists)
            }
            Reply::Bundle {
                stream,
                ns,
                address,
                result,
            } => self.omemo_bundle_answered(stream, ns, address, result),
            Reply::OmemoSetup {
                stream,
                support,
                lists,
            } => self.omemo_setup_answered(stream, support, lists),
            Reply::Published { ready, results } => self.omemo_published(ready, results),
            Reply::Done {
                what,
                result,
                request,
            } => self.answering(request, |a| a.command_answered(what, result)),
        }
        self.recover_storage();
        self.resume().await;
    }

    /// Before the stream closes: lets what is in flight finish (a bundle
    /// being published, a message waiting for keys), for a few seconds.
    pub(super) async fn finish_pending(&mut self) {
        if !self.online {
            return;
        }
        let deadline = tokio::time::Instant::now() + STOP_GRACE;
        while !self.pending.is_empty() {
            match tokio::time::timeout_at(deadline, self.pending.next()).await {
                Ok(Some(reply)) => self.on_reply(reply).await,
                Ok(None) | Err(_) => break,
            }
        }
    }

    /// After an answer: the work that waited for one, again.
    pub(super) async fn resume(&mut self) {
        let waiting: Vec<String> = self.parked.keys().cloned().collect();
        for peer in waiting {
            let Some(commands) = self.parked.remove(&peer) else {
                continue;
            };
            for command in commands {
                self.on_command(command).await;
            }
        }
        self.omemo_resume();
    }
}
