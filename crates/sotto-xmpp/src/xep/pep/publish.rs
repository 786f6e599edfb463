// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! Publishing an item into a node that must be configured a certain way,
//! on servers that differ in what they accept, as a state machine without
//! I/O: the session sends each request it names and feeds the answer back.
//!
//! The chain: publish with publish-options; when the node contradicts them
//! (`precondition-not-met`) or the server does not take an option
//! (ejabberd: anything but the access model), configure the node as its
//! owner (creating it with that configuration if it does not exist yet),
//! then publish with the options the server takes, or with none.

use super::{AccessModel, Refusal};

/// A `pubsub#…` field and its value.
pub type Field = (&'static str, &'static str);

/// How a node must be configured.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NodeConfig {
    /// Who may read it.
    pub access: AccessModel,
    /// `pubsub#max_items`, for nodes that hold one item per device (the
    /// OMEMO 2 bundles node); `None` keeps the server's default.
    pub max_items: Option<&'static str>,
    /// Ask for `pubsub#persist_items=true` (XEP-0402 bookmarks must
    /// survive a server restart); false leaves the server's default.
    pub persist_items: bool,
    /// Ask for `pubsub#notify_retract=true`: ejabberd's PEP nodes default
    /// to false, so our other clients would never hear of a removed
    /// bookmark.
    pub notify_retract: bool,
}

impl NodeConfig {
    /// Open to anyone, the server's default number of items.
    pub const OPEN: Self = Self {
        access: AccessModel::Open,
        max_items: None,
        persist_items: false,
        notify_retract: false,
    };

    /// Open to anyone, as many items as the server allows.
    pub const OPEN_MANY_ITEMS: Self = Self {
        access: AccessModel::Open,
        max_items: Some("max"),
        persist_items: false,
        notify_retract: false,
    };

    /// What XEP-0402 asks of the bookmarks node: readable by the owner
    /// only, every item kept, and kept across restarts.
    pub const BOOKMARKS: Self = Self {
        access: AccessModel::Whitelist,
        max_items: Some("max"),
        persist_items: true,
        notify_retract: true,
    };

    /// The configuration form's fields.
    pub fn fields(&self) -> Vec<Field> {
        let mut fields = vec![("pubsub#access_model", self.access.as_str())];
        if let Some(max) = self.max_items {
            fields.push(("pubsub#max_items", max));
        }
        if self.persist_items {
            fields.push(("pubsub#persist_items", "true"));
        }
        if self.notify_retract {
            fields.push(("pubsub#notify_retract", "true"));
        }
        fields
    }
}

/// How a publish went.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PublishOutcome {
    /// Published at once with all publish-options (the node was new or
    /// already configured as asked).
    Published,
    /// The node's configuration contradicted the publish-options
    /// (`precondition-not-met`): it was reconfigured and the item
    /// published again with all of them.
    Reconfigured,
    /// The server does not take all these publish-options (ejabberd takes
    /// only the access model): the node was configured, or created, by its
    /// owner and the item published with the options the server takes, or
    /// with none.
    ConfiguredFirst,
}

/// A request the plan wants sent to our own PEP service.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PublishRequest {
    /// Publish the item with these publish-options (none: no form).
    Publish(Vec<Field>),
    /// Change the node's configuration (`pubsub#owner`).
    Configure(Vec<Field>),
    /// Create the node with this configuration.
    Create(Vec<Field>),
}

impl PublishRequest {
    /// What this request is doing, for error messages.
    pub fn doing(&self) -> &'static str {
        match self {
            Self::Publish(_) => "publishing",
            Self::Configure(_) => "configuring the node",
            Self::Create(_) => "creating the node",
        }
    }
}

/// What comes after an answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PlanStep {
    /// Send this request and feed its answer to [`PublishPlan::answer`].
    Send(PublishRequest),
    /// The item is published.
    Done(PublishOutcome),
    /// The last request's refusal ends the attempt: report it.
    Failed(Refusal),
}

/// Which publish-options go with the publish.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Options {
    /// Every field of the configuration.
    All,
    /// Only the access model, which every server with publish-options takes.
    AccessOnly,
    /// None: the node was configured by its owner instead.
    Without,
}

/// The publish fallback for one item.
#[derive(Clone, Debug)]
pub struct PublishPlan {
    config: NodeConfig,
    options: Options,
    last: PublishRequest,
    configured: bool,
    created: bool,
    /// Configured because the node contradicted the options, not because
    /// the server refused one.
    reconfigured_only: bool,
    /// The server refused an option other than the access model.
    refused_options: bool,
    requests: u8,
}

/// More requests than the chain ever needs: a server that keeps answering
/// the same way must not make us loop.
const MAX_REQUESTS: u8 = 6;

impl PublishPlan {
    /// The plan for a node that must look like `config`, and its first
    /// request. Without `publish_options` (the server does not advertise
    /// them) the node is configured first and published into without them;
    /// with `access_only` (the server is known to take only the access
    /// model, see [`PublishPlan::refused_options`]) it is configured first
    /// and published into with the access model.
    pub fn new(
        config: NodeConfig,
        publish_options: bool,
        access_only: bool,
    ) -> (Self, PublishRequest) {
        let options = match (publish_options, access_only && config.fields().len() > 1) {
            (false, _) => Options::Without,
            (true, true) => Options::AccessOnly,
            (true, false) => Options::All,
        };
        let first = match options {
            Options::All => PublishRequest::Publish(config.fields()),
            Options::AccessOnly | Options::Without => PublishRequest::Configure(config.fields()),
        };
        let plan = Self {
            config,
            options,
            last: first.clone(),
            configured: false,
            created: false,
            reconfigured_only: false,
            refused_options: false,
            requests: 1,
        };
        (plan, first)
    }

    /// Whether the server refused an option other than the access model:
    /// the next plans for this server may start with `access_only`.
    pub fn refused_options(&self) -> bool {
        self.refused_options
    }

    /// The request whose answer is awaited.
    pub fn last(&self) -> &PublishRequest {
        &self.last
    }

    fn options(&self) -> Vec<Field> {
        match self.options {
            Options::All => self.config.fields(),
            Options::AccessOnly => vec![("pubsub#access_model", self.config.access.as_str())],
            Options::Without => Vec::new(),
        }
    }

    /// Fewer options; false when there were none left to drop.
    fn fewer_options(&mut self) -> bool {
        let only_access = self.config.fields().len() <= 1;
        self.options = match self.options {
            Options::All if !only_access => Options::AccessOnly,
            Options::All | Options::AccessOnly => Options::Without,
            Options::Without => return false,
        };
        true
    }

    fn send(&mut self, request: PublishRequest) -> PlanStep {
        if self.requests >= MAX_REQUESTS {
            return PlanStep::Failed(Refusal::Other);
        }
        self.requests += 1;
        self.last = request.clone();
        PlanStep::Send(request)
    }

    fn publish(&mut self) -> PlanStep {
        let options = self.options();
        self.send(PublishRequest::Publish(options))
    }

    fn configure(&mut self) -> PlanStep {
        let fields = self.config.fields();
        self.send(PublishRequest::Configure(fields))
    }

    /// Feeds the answer to the last request.
    pub fn answer(&mut self, answer: Result<(), Refusal>) -> PlanStep {
        match (self.last.clone(), answer) {
            (PublishRequest::Publish(_), Ok(())) => PlanStep::Done(if !self.configured {
                PublishOutcome::Published
            } else if self.reconfigured_only && self.options == Options::All {
                PublishOutcome::Reconfigured
            } else {
                PublishOutcome::ConfiguredFirst
            }),
            (PublishRequest::Publish(_), Err(Refusal::PreconditionNotMet)) if !self.configured => {
                self.reconfigured_only = true;
                self.configure()
            }
            (PublishRequest::Publish(_), Err(Refusal::UnsupportedOption)) if !self.configured => {
                self.refused_options |= self.options == Options::All;
                self.fewer_options();
                self.configure()
            }
            // Configured, and the server still does not take the options
            // as they are (it may have kept a field it does not know):
            // the configuration is in place, so fewer options do.
            (
                PublishRequest::Publish(_),
                Err(refusal @ (Refusal::PreconditionNotMet | Refusal::UnsupportedOption)),
            ) => {
                self.reconfigured_only = false;
                if self.fewer_options() {
                    self.publish()
                } else {
                    PlanStep::Failed(refusal)
                }
            }
            (PublishRequest::Publish(_), Err(Refusal::NoSuchNode)) if !self.created => {
                self.send(PublishRequest::Create(self.config.fields()))
            }
            (PublishRequest::Configure(_), Ok(())) | (PublishRequest::Create(_), Ok(())) => {
                self.configured = true;
                if matches!(self.last, PublishRequest::Create(_)) {
                    self.created = true;
                }
                self.publish()
            }
            (PublishRequest::Configure(_), Err(Refusal::NoSuchNode)) if !self.created => {
                self.send(PublishRequest::Create(self.config.fields()))
            }
            (_, Err(refusal)) => PlanStep::Failed(refusal),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ACCESS: Field = ("pubsub#access_model", "open");
    const MAX: Field = ("pubsub#max_items", "max");

    /// Runs a plan against a scripted server; returns the requests and the end.
    fn run(
        config: NodeConfig,
        publish_options: bool,
        server: impl FnMut(&PublishRequest) -> Result<(), Refusal>,
    ) -> (Vec<PublishRequest>, PlanStep) {
        let (sent, end, _) = run_plan(config, publish_options, false, server);
        (sent, end)
    }

    /// [`run`] with `access_only`; also returns `refused_options`.
    fn run_plan(
        config: NodeConfig,
        publish_options: bool,
        access_only: bool,
        mut server: impl FnMut(&PublishRequest) -> Result<(), Refusal>,
    ) -> (Vec<PublishRequest>, PlanStep, bool) {
        let (mut plan, mut request) = PublishPlan::new(config, publish_options, access_only);
        let mut sent = Vec::new();
        loop {
            sent.push(request.clone());
            match plan.answer(server(&request)) {
                PlanStep::Send(next) => request = next,
                end => return (sent, end, plan.refused_options()),
            }
        }
    }

    #[test]
    fn a_server_that_takes_the_options_gets_one_publish() {
        let (sent, end) = run(NodeConfig::OPEN_MANY_ITEMS, true, |_| Ok(()));
        assert_eq!(sent, vec![PublishRequest::Publish(vec![ACCESS, MAX])]);
        assert_eq!(end, PlanStep::Done(PublishOutcome::Published));
    }

    #[test]
    fn precondition_not_met_reconfigures_and_publishes_with_the_same_options() {
        let mut first = true;
        let (sent, end) = run(NodeConfig::OPEN, true, |r| match r {
            PublishRequest::Publish(_) if std::mem::take(&mut first) => {
                Err(Refusal::PreconditionNotMet)
            }
            _ => Ok(()),
        });
        assert_eq!(
            sent,
            vec![
                PublishRequest::Publish(vec![ACCESS]),
                PublishRequest::Configure(vec![ACCESS]),
                PublishRequest::Publish(vec![ACCESS]),
            ]
        );
        assert_eq!(end, PlanStep::Done(PublishOutcome::Reconfigured));
    }

    /// ejabberd 23.01: only the access model as publish-option; the node
    /// must be created or configured with max_items by its owner.
    fn ejabberd(exists: bool) -> impl FnMut(&PublishRequest) -> Result<(), Refusal> {
        let mut exists = exists;
        move |request| match request {
            PublishRequest::Publish(options) if options.iter().any(|(f, _)| *f != ACCESS.0) => {
                Err(Refusal::UnsupportedOption)
            }
            PublishRequest::Publish(_) => {
                exists = true;
                Ok(())
            }
            PublishRequest::Configure(_) if !exists => Err(Refusal::NoSuchNode),
            PublishRequest::Configure(_) => Ok(()),
            PublishRequest::Create(_) => {
                exists = true;
                Ok(())
            }
        }
    }

    #[test]
    fn an_option_the_server_does_not_take_goes_into_the_node_configuration() {
        let (sent, end) = run(NodeConfig::OPEN_MANY_ITEMS, true, ejabberd(false));
        assert_eq!(
            sent,
            vec![
                PublishRequest::Publish(vec![ACCESS, MAX]),
                PublishRequest::Configure(vec![ACCESS, MAX]),
                PublishRequest::Create(vec![ACCESS, MAX]),
                PublishRequest::Publish(vec![ACCESS]),
            ]
        );
        assert_eq!(end, PlanStep::Done(PublishOutcome::ConfiguredFirst));

        let (sent, end) = run(NodeConfig::OPEN_MANY_ITEMS, true, ejabberd(true));
        assert_eq!(
            sent,
            vec![
                PublishRequest::Publish(vec![ACCESS, MAX]),
                PublishRequest::Configure(vec![ACCESS, MAX]),
                PublishRequest::Publish(vec![ACCESS]),
            ]
        );
        assert_eq!(end, PlanStep::Done(PublishOutcome::ConfiguredFirst));

        // Once known, the refused publish is skipped; only nodes that need
        // more than the access model are concerned.
        let (sent, end, refused) =
            run_plan(NodeConfig::OPEN_MANY_ITEMS, true, false, ejabberd(true));
        assert!(refused);
        assert_eq!(end, PlanStep::Done(PublishOutcome::ConfiguredFirst));
        assert_eq!(sent.len(), 3);
        let (sent, end, _) = run_plan(NodeConfig::OPEN_MANY_ITEMS, true, true, ejabberd(true));
        assert_eq!(
            sent,
            vec![
                PublishRequest::Configure(vec![ACCESS, MAX]),
                PublishRequest::Publish(vec![ACCESS]),
            ]
        );
        assert_eq!(end, PlanStep::Done(PublishOutcome::ConfiguredFirst));
        let (sent, _, refused) = run_plan(NodeConfig::OPEN, true, true, ejabberd(true));
        assert_eq!(sent, vec![PublishRequest::Publish(vec![ACCESS])]);
        assert!(!refused);
        // Prosody takes them all: nothing is remembered.
        let (_, _, refused) = run_plan(NodeConfig::OPEN_MANY_ITEMS, true, false, |_| Ok(()));
        assert!(!refused);

        // Nodes that need only the access model publish at once.
        let (sent, end) = run(NodeConfig::OPEN, true, ejabberd(false));
        assert_eq!(sent, vec![PublishRequest::Publish(vec![ACCESS])]);
        assert_eq!(end, PlanStep::Done(PublishOutcome::Published));
    }

    #[test]
    fn the_bookmarks_node_asks_for_whitelist_all_items_persistence_and_retractions() {
        let fields = NodeConfig::BOOKMARKS.fields();
        assert_eq!(
            fields,
            vec![
                ("pubsub#access_model", "whitelist"),
                MAX,
                ("pubsub#persist_items", "true"),
                ("pubsub#notify_retract", "true"),
            ]
        );
        // On ejabberd everything but the access model goes into the
        // node's configuration, and the publish keeps the access model.
        let (sent, end) = run(NodeConfig::BOOKMARKS, true, |request| match request {
            PublishRequest::Publish(options) if options.len() > 1 => {
                Err(Refusal::UnsupportedOption)
            }
            _ => Ok(()),
        });
        assert_eq!(
            sent,
            vec![
                PublishRequest::Publish(fields.clone()),
                PublishRequest::Configure(fields),
                PublishRequest::Publish(vec![("pubsub#access_model", "whitelist")]),
            ]
        );
        assert_eq!(end, PlanStep::Done(PublishOutcome::ConfiguredFirst));
    }

    #[test]
    fn a_server_without_publish_options_gets_a_configured_node_and_a_bare_publish() {
        let mut exists = false;
        let (sent, end) = run(NodeConfig::OPEN_MANY_ITEMS, false, |r| match r {
            PublishRequest::Publish(options) if !options.is_empty() => {
                Err(Refusal::UnsupportedOption)
            }
            PublishRequest::Configure(_) if !exists => Err(Refusal::NoSuchNode),
            _ => {
                exists = true;
                Ok(())
            }
        });
        assert_eq!(
            sent,
            vec![
                PublishRequest::Configure(vec![ACCESS, MAX]),
                PublishRequest::Create(vec![ACCESS, MAX]),
                PublishRequest::Publish(vec![]),
            ]
        );
        assert_eq!(end, PlanStep::Done(PublishOutcome::ConfiguredFirst));

        // Refusing even the access model after configuring: publish bare.
        let (sent, end) = run(NodeConfig::OPEN, true, |r| match r {
            PublishRequest::Publish(options) if !options.is_empty() => {
                Err(Refusal::UnsupportedOption)
            }
            _ => Ok(()),
        });
        assert_eq!(
            sent,
            vec![
                PublishRequest::Publish(vec![ACCESS]),
                PublishRequest::Configure(vec![ACCESS]),
                PublishRequest::Publish(vec![]),
            ]
        );
        assert_eq!(end, PlanStep::Done(PublishOutcome::ConfiguredFirst));
    }

    #[test]
    fn refusals_that_configuring_cannot_help_end_the_attempt() {
        for refusal in [Refusal::NoPep, Refusal::ContactsOnly, Refusal::Other] {
            let (sent, end) = run(NodeConfig::OPEN_MANY_ITEMS, true, |_| Err(refusal));
            assert_eq!(sent.len(), 1, "{refusal:?}");
            assert_eq!(end, PlanStep::Failed(refusal));
        }
        // The owner may not configure: that refusal is what is reported.
        let (sent, end) = run(NodeConfig::OPEN, true, |r| match r {
            PublishRequest::Publish(_) => Err(Refusal::PreconditionNotMet),
            _ => Err(Refusal::ContactsOnly),
        });
        assert_eq!(sent.len(), 2);
        assert_eq!(end, PlanStep::Failed(Refusal::ContactsOnly));
        // A server that keeps refusing the options after configuring ends
        // with its refusal once no options are left.
        let (sent, end) = run(NodeConfig::OPEN_MANY_ITEMS, true, |r| match r {
            PublishRequest::Publish(_) => Err(Refusal::UnsupportedOption),
            _ => Ok(()),
        });
        assert_eq!(sent.len(), 4);
        assert_eq!(end, PlanStep::Failed(Refusal::UnsupportedOption));
        assert!(matches!(sent.last(), Some(PublishRequest::Publish(o)) if o.is_empty()));
        // Never a loop, whatever the server says.
        let (sent, _) = run(NodeConfig::OPEN_MANY_ITEMS, true, |r| match r {
            PublishRequest::Publish(_) => Err(Refusal::NoSuchNode),
            PublishRequest::Configure(_) => Err(Refusal::NoSuchNode),
            PublishRequest::Create(_) => Ok(()),
        });
        assert!(sent.len() <= usize::from(MAX_REQUESTS), "{sent:?}");
    }
}
