// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! What a refused PEP request means. Servers disagree on the error for the
//! same situation, so the stanza error is read for its meaning once, here.

use xmpp_parsers::minidom::Element;
use xmpp_parsers::ns;
use xmpp_parsers::stanza_error::{DefinedCondition, StanzaError};

/// The meaning of a PEP error answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// The node (or item) does not exist: `item-not-found`.
    NoSuchNode,
    /// The server offers no PEP to this account: `feature-not-implemented`
    /// or `service-unavailable` (jabberd2, minimal servers), or pubsub's
    /// `<unsupported/>` for a feature other than publish-options.
    NoPep,
    /// The node's configuration contradicts the publish-options
    /// (XEP-0060 §7.1.5: `conflict` + `<precondition-not-met/>`).
    PreconditionNotMet,
    /// The server does not take one of the publish-options or
    /// configuration fields: ejabberd answers `resource-constraint`
    /// "Unknown field…" for anything but `pubsub#access_model` and
    /// `pubsub#persist_items`; others `not-acceptable` or `bad-request`
    /// naming the field, `<invalid-options/>`, or `<unsupported
    /// feature='publish-options'/>`.
    UnsupportedOption,
    /// Only contacts (or a whitelist) may read: Prosody says `forbidden`,
    /// ejabberd `not-authorized` + `<presence-subscription-required/>`.
    ContactsOnly,
    /// Anything else: see the condition.
    Other,
}

fn pubsub_error(error: &StanzaError) -> Option<&Element> {
    error.other.as_ref().filter(|e| e.ns() == ns::PUBSUB_ERRORS)
}

fn mentions_an_option(error: &StanzaError) -> bool {
    error.texts.values().any(|text| {
        let text = text.to_ascii_lowercase();
        text.contains("field") || text.contains("option") || text.contains("pubsub#")
    })
}

/// Reads a PEP error answer for its meaning.
pub fn refusal(error: &StanzaError) -> Refusal {
    let specific = pubsub_error(error);
    let specific_is = |name: &str| specific.is_some_and(|e| e.name() == name);
    if specific_is("precondition-not-met") {
        return Refusal::PreconditionNotMet;
    }
    if specific_is("invalid-options") {
        return Refusal::UnsupportedOption;
    }
    if specific_is("unsupported") {
        let feature = specific.and_then(|e| e.attr("feature"));
        return match feature {
            Some("publish-options") | Some("config-node") => Refusal::UnsupportedOption,
            _ => Refusal::NoPep,
        };
    }
    if specific_is("presence-subscription-required")
        || specific_is("not-in-roster-group")
        || specific_is("closed-node")
    {
        return Refusal::ContactsOnly;
    }
    match error.defined_condition {
        DefinedCondition::ItemNotFound => Refusal::NoSuchNode,
        DefinedCondition::FeatureNotImplemented | DefinedCondition::ServiceUnavailable => {
            Refusal::NoPep
        }
        DefinedCondition::Forbidden | DefinedCondition::NotAuthorized => Refusal::ContactsOnly,
        DefinedCondition::Conflict if error.texts.values().any(|t| t.contains("precondition")) => {
            Refusal::PreconditionNotMet
        }
        DefinedCondition::ResourceConstraint
        | DefinedCondition::NotAcceptable
        | DefinedCondition::BadRequest
            if mentions_an_option(error) =>
        {
            Refusal::UnsupportedOption
        }
        _ => Refusal::Other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(xml: &str) -> StanzaError {
        let element: Element = xml.parse().expect("test XML");
        StanzaError::try_from(element).expect("a stanza error")
    }

    fn with(kind: &str, condition: &str, extra: &str) -> StanzaError {
        error(&format!(
            "<error xmlns='jabber:client' type='{kind}'>\
             <{condition} xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>{extra}</error>"
        ))
    }

    const PUBSUB_ERRORS: &str = "http://jabber.org/protocol/pubsub#errors";

    #[test]
    fn what_real_servers_answer_means_what_it_should() {
        // ejabberd 23.01, publish-options with pubsub#max_items.
        let unknown_field = with(
            "wait",
            "resource-constraint",
            "<text xmlns='urn:ietf:params:xml:ns:xmpp-stanzas' xml:lang='en'>\
             Unknown field: pubsub#max_items</text>",
        );
        assert_eq!(refusal(&unknown_field), Refusal::UnsupportedOption);
        // A real lack of resources is not about options.
        assert_eq!(
            refusal(&with("wait", "resource-constraint", "")),
            Refusal::Other
        );
        // Prosody and ejabberd, options contradicting the node.
        let precondition = with(
            "cancel",
            "conflict",
            &format!("<precondition-not-met xmlns='{PUBSUB_ERRORS}'/>"),
        );
        assert_eq!(refusal(&precondition), Refusal::PreconditionNotMet);
        // ejabberd to a non-contact; Prosody to a non-contact.
        let ejabberd_closed = with(
            "auth",
            "not-authorized",
            &format!("<presence-subscription-required xmlns='{PUBSUB_ERRORS}'/>"),
        );
        assert_eq!(refusal(&ejabberd_closed), Refusal::ContactsOnly);
        assert_eq!(
            refusal(&with("auth", "forbidden", "")),
            Refusal::ContactsOnly
        );
        assert_eq!(
            refusal(&with("cancel", "item-not-found", "")),
            Refusal::NoSuchNode
        );
        // Servers without PEP.
        assert_eq!(
            refusal(&with("cancel", "feature-not-implemented", "")),
            Refusal::NoPep
        );
        assert_eq!(
            refusal(&with("cancel", "service-unavailable", "")),
            Refusal::NoPep
        );
        // No publish-options at all is not "no PEP".
        let no_options = with(
            "cancel",
            "feature-not-implemented",
            &format!("<unsupported xmlns='{PUBSUB_ERRORS}' feature='publish-options'/>"),
        );
        assert_eq!(refusal(&no_options), Refusal::UnsupportedOption);
        let no_publish = with(
            "cancel",
            "feature-not-implemented",
            &format!("<unsupported xmlns='{PUBSUB_ERRORS}' feature='publish'/>"),
        );
        assert_eq!(refusal(&no_publish), Refusal::NoPep);
        let not_acceptable = with(
            "modify",
            "not-acceptable",
            "<text xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'>unsupported option</text>",
        );
        assert_eq!(refusal(&not_acceptable), Refusal::UnsupportedOption);
        assert_eq!(
            refusal(&with(
                "modify",
                "bad-request",
                &format!("<invalid-options xmlns='{PUBSUB_ERRORS}'/>")
            )),
            Refusal::UnsupportedOption
        );
        assert_eq!(refusal(&with("cancel", "not-allowed", "")), Refusal::Other);
    }
}
