// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! Our own PEP service: whether the server has one, and publishing into
//! nodes that must be configured a certain way, with the fallbacks servers
//! need (see [`crate::xep::pep::PublishPlan`]).

use xmpp_parsers::jid::{BareJid, Jid};
use xmpp_parsers::minidom::Element;
use xmpp_parsers::stanza_error::StanzaError;

use super::{IqPayloadKind, SessionHandle};
use crate::error::{IqError, PepError};
use crate::xep::pep::{
    self, AccessModel, NodeConfig, PepSupport, PlanStep, PublishOutcome, PublishPlan,
    PublishRequest, Refusal,
};

/// Server texts are shown to people: cleaned and kept short.
fn text_of(error: &StanzaError) -> Option<String> {
    error
        .texts
        .values()
        .next()
        .map(|t| crate::text::untrusted_text(t))
}

/// The error for a refused request of ours about `owner`'s PEP service,
/// by what the refusal means.
pub(crate) fn refused(doing: String, owner: &BareJid, error: &StanzaError) -> PepError {
    let condition = crate::error::condition_name(&error.defined_condition);
    let text = text_of(error);
    match pep::refusal(error) {
        Refusal::NoPep => PepError::NoPep(owner.clone()),
        Refusal::UnsupportedOption | Refusal::PreconditionNotMet => PepError::SettingsRefused {
            doing,
            condition,
            text,
        },
        _ => PepError::Refused {
            doing,
            condition,
            text,
        },
    }
}

pub(crate) fn lost(doing: String, source: IqError) -> PepError {
    PepError::Request { doing, source }
}

impl SessionHandle {
    /// Whether the account's server offers PEP, and publish-options (asked
    /// once per session handle; a failed disco is not remembered).
    ///
    /// `Err` when disco itself failed: callers then try PEP anyway and read
    /// the errors.
    pub async fn pep_support(&self) -> Result<PepSupport, IqError> {
        if let Some(known) = self.pep_known() {
            return Ok(known);
        }
        let account = self.disco_info(Jid::from(self.own.clone())).await?;
        let mut support = pep::support(&account, None);
        if support.pep && !support.publish_options {
            let domain = Jid::from(self.own.domain().to_owned());
            match self.disco_info(domain).await {
                Ok(domain) => support = pep::support(&account, Some(&domain)),
                Err(e) => tracing::info!(error = %e, "no disco#info of the server domain"),
            }
        }
        self.remember_pep_support(support);
        Ok(support)
    }

    /// Keeps what discovery found (service discovery after login tells it
    /// once for the whole session).
    pub(super) fn remember_pep_support(&self, support: PepSupport) {
        if let Ok(mut known) = self.pep.lock() {
            *known = Some(support);
        }
    }

    fn pep_known(&self) -> Option<PepSupport> {
        self.pep.lock().ok().and_then(|known| *known)
    }

    /// Sets the access model (and other `pubsub#…` fields) of one of our
    /// own PEP nodes.
    pub async fn configure_pep_node(
        &self,
        node: &str,
        access: AccessModel,
        extra: &[(&str, &str)],
    ) -> Result<(), PepError> {
        let doing = || format!("configuring our PEP node {node}");
        let mut fields = vec![("pubsub#access_model", access.as_str())];
        fields.extend_from_slice(extra);
        let answer = self
            .request_outcome(
                None,
                IqPayloadKind::Set(pep::configure(node, &fields)),
                "configuring a PEP node",
            )
            .await
            .map_err(|e| lost(doing(), e))?;
        answer
            .map(drop)
            .map_err(|e| refused(doing(), &self.own, &e))
    }

    /// Publishes `payload` as item `item_id` of our node `node`, which must
    /// be configured as `config`: with publish-options where the server
    /// takes them, by configuring (or creating) the node as its owner where
    /// it does not. `doing` names the publish in errors.
    pub async fn publish_configured(
        &self,
        node: &str,
        item_id: &str,
        payload: Element,
        config: NodeConfig,
        doing: String,
    ) -> Result<PublishOutcome, PepError> {
        // Without disco, assume publish-options: the errors say the rest.
        let publish_options = match self.pep_support().await {
            Ok(support) if !support.pep => return Err(PepError::NoPep(self.own.clone())),
            Ok(support) => support.publish_options,
            Err(_) => true,
        };
        let access_only = self
            .pep_access_only
            .load(std::sync::atomic::Ordering::Relaxed);
        let (mut plan, mut request) = PublishPlan::new(config, publish_options, access_only);
        loop {
            let element = match &request {
                PublishRequest::Publish(options) => {
                    pep::publish(node, item_id, payload.clone(), options)
                }
                PublishRequest::Configure(fields) => pep::configure(node, fields),
                PublishRequest::Create(fields) => pep::create(node, fields),
            };
            let answer = self
                .request_outcome(None, IqPayloadKind::Set(element), "publishing OMEMO keys")
                .await
                .map_err(|e| lost(doing.clone(), e))?;
            let step = match &answer {
                Ok(_) => plan.answer(Ok(())),
                Err(error) => plan.answer(Err(pep::refusal(error))),
            };
            match step {
                PlanStep::Send(next) => {
                    tracing::info!(
                        node,
                        then = next.doing(),
                        "PEP node not as wanted after {}",
                        request.doing()
                    );
                    request = next;
                }
                PlanStep::Done(outcome) => {
                    if plan.refused_options() {
                        // ejabberd: remember, and skip the refused publish next time.
                        self.pep_access_only
                            .store(true, std::sync::atomic::Ordering::Relaxed);
                    }
                    return Ok(outcome);
                }
                PlanStep::Failed(_) => {
                    let doing = match plan.last() {
                        PublishRequest::Publish(_) => doing,
                        other => format!("{doing} ({} {node})", other.doing()),
                    };
                    return Err(match answer {
                        Err(error) => refused(doing, &self.own, &error),
                        Ok(_) => PepError::Malformed {
                            doing,
                            detail: "the server kept refusing every way to publish".into(),
                        },
                    });
                }
            }
        }
    }
}
