// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! Personal eventing (XEP-0163): the few XEP-0060 requests a client makes
//! of its own and its contacts' PEP services, and the notifications they send.

use xmpp_parsers::jid::BareJid;
use xmpp_parsers::minidom::Element;
use xmpp_parsers::minidom::rxml::xml_ncname;
use xmpp_parsers::ns;
use xmpp_parsers::stanza_error::StanzaError;

mod publish;
mod refusal;

pub use publish::{Field, NodeConfig, PlanStep, PublishOutcome, PublishPlan, PublishRequest};
pub use refusal::{Refusal, refusal};

const DATA_FORMS: &str = "jabber:x:data";
const PUBLISH_OPTIONS: &str = "http://jabber.org/protocol/pubsub#publish-options";
const PUBLISH_FEATURE: &str = "http://jabber.org/protocol/pubsub#publish";

/// Who may read a node (`pubsub#access_model`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AccessModel {
    /// Anyone: what OMEMO keys need, so non-contacts can start sessions.
    Open,
    /// Contacts subscribed to our presence (Prosody's default for PEP).
    Presence,
    /// Only JIDs on the node's whitelist.
    Whitelist,
}

impl AccessModel {
    /// The form value.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Presence => "presence",
            Self::Whitelist => "whitelist",
        }
    }
}

/// One item of a node: its id and payload.
#[derive(Clone, Debug, PartialEq)]
pub struct Item {
    /// The item id.
    pub id: Option<String>,
    /// The payload element.
    pub payload: Option<Element>,
}

/// A notification about one node (`<event><items node=…>`).
#[derive(Clone, Debug, PartialEq)]
pub struct Notification {
    /// The node.
    pub node: String,
    /// Published items (retractions are not reported).
    pub items: Vec<Item>,
}

/// A pubsub element that does not have the expected shape.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("malformed pubsub {0}")]
pub struct MalformedPubsub(pub &'static str);

fn form(fields: &[(&str, &str)], form_type: &str) -> Element {
    let field = |var: &str, value: &str, hidden: bool| {
        let mut builder =
            Element::builder("field", DATA_FORMS).attr(xml_ncname!("var").into(), var);
        if hidden {
            builder = builder.attr(xml_ncname!("type").into(), "hidden");
        }
        builder
            .append(
                Element::builder("value", DATA_FORMS)
                    .append(value.to_owned())
                    .build(),
            )
            .build()
    };
    Element::builder("x", DATA_FORMS)
        .attr(xml_ncname!("type").into(), "submit")
        .append(field("FORM_TYPE", form_type, true))
        .append_all(fields.iter().map(|(var, value)| field(var, value, false)))
        .build()
}

fn pubsub(xmlns: &str, children: impl IntoIterator<Item = Element>) -> Element {
    Element::builder("pubsub", xmlns)
        .append_all(children)
        .build()
}

/// `<pubsub><items node=…/></pubsub>`: fetch a node's items (or one item).
pub fn items_request(node: &str, item_id: Option<&str>) -> Element {
    let mut items = Element::builder("items", ns::PUBSUB).attr(xml_ncname!("node").into(), node);
    if let Some(id) = item_id {
        items = items.append(
            Element::builder("item", ns::PUBSUB)
                .attr(xml_ncname!("id").into(), id)
                .build(),
        );
    }
    pubsub(ns::PUBSUB, [items.build()])
}

/// Publishes `payload` as item `item_id` of `node`, with publish-options
/// (`pubsub#…` field, value) that the node's configuration must match; no
/// options, no `<publish-options/>` element.
pub fn publish(node: &str, item_id: &str, payload: Element, options: &[(&str, &str)]) -> Element {
    let publish = Element::builder("publish", ns::PUBSUB)
        .attr(xml_ncname!("node").into(), node)
        .append(
            Element::builder("item", ns::PUBSUB)
                .attr(xml_ncname!("id").into(), item_id)
                .append(payload)
                .build(),
        )
        .build();
    if options.is_empty() {
        return pubsub(ns::PUBSUB, [publish]);
    }
    let options = Element::builder("publish-options", ns::PUBSUB)
        .append(form(options, PUBLISH_OPTIONS))
        .build();
    pubsub(ns::PUBSUB, [publish, options])
}

/// Creates `node` with this configuration (XEP-0060 §8.1.3, owner only).
pub fn create(node: &str, fields: &[(&str, &str)]) -> Element {
    let create = Element::builder("create", ns::PUBSUB)
        .attr(xml_ncname!("node").into(), node)
        .build();
    let configure = Element::builder("configure", ns::PUBSUB)
        .append(form(fields, ns::PUBSUB_CONFIGURE))
        .build();
    pubsub(ns::PUBSUB, [create, configure])
}

/// Changes fields of a node's configuration (owner only); fields not
/// named keep their values.
pub fn configure(node: &str, fields: &[(&str, &str)]) -> Element {
    let configure = Element::builder("configure", ns::PUBSUB_OWNER)
        .attr(xml_ncname!("node").into(), node)
        .append(form(fields, ns::PUBSUB_CONFIGURE))
        .build();
    pubsub(ns::PUBSUB_OWNER, [configure])
}

/// Subscribes `jid` to `node` (needed for notifications from a PEP
/// service whose owner has not subscribed to our presence).
pub fn subscribe(node: &str, jid: &BareJid) -> Element {
    let subscribe = Element::builder("subscribe", ns::PUBSUB)
        .attr(xml_ncname!("node").into(), node)
        .attr(xml_ncname!("jid").into(), jid.to_string())
        .build();
    pubsub(ns::PUBSUB, [subscribe])
}

fn items_of(container: &Element, xmlns: &str) -> Vec<Item> {
    container
        .children()
        .filter(|c| c.is("item", xmlns))
        .map(|item| Item {
            id: item.attr("id").map(str::to_owned),
            payload: item.children().next().cloned(),
        })
        .collect()
}

/// The items of `node` in an items result. An empty result is no items.
pub fn parse_items(answer: Option<Element>, node: &str) -> Result<Vec<Item>, MalformedPubsub> {
    let Some(answer) = answer else {
        return Ok(Vec::new());
    };
    if !answer.is("pubsub", ns::PUBSUB) {
        return Err(MalformedPubsub("items result"));
    }
    match answer.get_child("items", ns::PUBSUB) {
        None => Ok(Vec::new()),
        Some(items) if items.attr("node") == Some(node) => Ok(items_of(items, ns::PUBSUB)),
        Some(_) => Err(MalformedPubsub("items result for another node")),
    }
}

/// The `<items>` notification in a message's payloads, if it carries one.
pub fn notification(payloads: &[Element]) -> Option<Result<Notification, MalformedPubsub>> {
    let event = payloads.iter().find(|p| p.is("event", ns::PUBSUB_EVENT))?;
    // Purge, delete, configuration and subscription events name their node
    // too; they carry no items and are reported as such.
    let Some(child) = event.children().next() else {
        return Some(Err(MalformedPubsub("empty notification")));
    };
    Some(match child.attr("node") {
        Some(node) => Ok(Notification {
            node: node.to_owned(),
            items: if child.is("items", ns::PUBSUB_EVENT) {
                items_of(child, ns::PUBSUB_EVENT)
            } else {
                Vec::new()
            },
        }),
        None => Err(MalformedPubsub("notification without node")),
    })
}

/// Whether a publish failed because the node's configuration does not
/// match the publish-options (XEP-0060 §7.1.5: `conflict` with
/// `<precondition-not-met/>`).
pub fn is_precondition_not_met(error: &StanzaError) -> bool {
    refusal(error) == Refusal::PreconditionNotMet
}

/// What the account's server offers for PEP, from disco#info.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PepSupport {
    /// The account is a PEP service (`pubsub/pep` identity, or
    /// `pubsub#publish` among its features).
    pub pep: bool,
    /// Publish-options are advertised: on the account's bare JID
    /// (Prosody) or on the server domain (ejabberd).
    pub publish_options: bool,
}

/// The one place that decides from disco whether the account has PEP:
/// `account` is the disco#info of the account's bare JID, `domain` that of
/// its server (asked only when the account's answer lacks publish-options).
pub fn support(
    account: &xmpp_parsers::disco::DiscoInfoResult,
    domain: Option<&xmpp_parsers::disco::DiscoInfoResult>,
) -> PepSupport {
    let pep = account
        .identities
        .iter()
        .any(|i| i.category == "pubsub" && i.type_ == "pep")
        || account.features.contains(PUBLISH_FEATURE);
    let publish_options = account.features.contains(PUBLISH_OPTIONS)
        || domain.is_some_and(|d| d.features.contains(PUBLISH_OPTIONS));
    PepSupport {
        pep,
        publish_options,
    }
}

/// Picks the item a single-item node is about: the one named `id` when
/// present, else the first with a payload.
pub fn pick<'a>(items: &'a [Item], id: &str) -> Option<&'a Element> {
    items
        .iter()
        .find(|i| i.id.as_deref() == Some(id) && i.payload.is_some())
        .or_else(|| items.iter().find(|i| i.payload.is_some()))
        .and_then(|i| i.payload.as_ref())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(xml: &str) -> Element {
        xml.parse().expect("test XML")
    }

    #[test]
    fn publish_carries_the_options_form() {
        let payload = Element::builder("list", "eu.siacs.conversations.axolotl").build();
        let element = publish(
            "eu.siacs.conversations.axolotl.devicelist",
            "current",
            payload,
            &[("pubsub#access_model", "open")],
        );
        let xml = String::from(&element).replace('\'', "\"");
        assert!(xml.contains("publish-options"), "{xml}");
        assert!(xml.contains("pubsub#publish-options"), "{xml}");
        assert!(xml.contains("<value>open</value>"), "{xml}");
        assert!(xml.contains("id=\"current\""), "{xml}");
    }

    #[test]
    fn items_results_and_notifications_parse() {
        let answer = parse(
            "<pubsub xmlns='http://jabber.org/protocol/pubsub'><items node='n'>\
             <item id='current'><list xmlns='eu.siacs.conversations.axolotl'/></item>\
             </items></pubsub>",
        );
        let items = parse_items(Some(answer.clone()), "n").expect("items");
        assert_eq!(items.len(), 1);
        assert!(pick(&items, "current").is_some());
        assert!(parse_items(Some(answer), "other").is_err());
        assert_eq!(parse_items(None, "n"), Ok(vec![]));

        let event = parse(
            "<event xmlns='http://jabber.org/protocol/pubsub#event'><items node='n'>\
             <item id='x'><devices xmlns='urn:xmpp:omemo:2'/></item></items></event>",
        );
        let parsed = notification(&[event]).expect("an event").expect("valid");
        assert_eq!(parsed.node, "n");
        assert_eq!(parsed.items.len(), 1);
        assert!(notification(&[]).is_none());
    }

    #[test]
    fn disco_decides_pep_support_and_where_publish_options_are_announced() {
        let info = |xml: &str| {
            xmpp_parsers::disco::DiscoInfoResult::try_from(parse(xml)).expect("disco#info")
        };
        // Prosody: identity and publish-options on the account.
        let prosody = info(
            "<query xmlns='http://jabber.org/protocol/disco#info'>\
             <identity category='pubsub' type='pep'/><identity category='account' type='registered'/>\
             <feature var='http://jabber.org/protocol/pubsub#publish-options'/></query>",
        );
        assert_eq!(
            support(&prosody, None),
            PepSupport {
                pep: true,
                publish_options: true
            }
        );
        // ejabberd: publish-options only on the domain.
        let account = info(
            "<query xmlns='http://jabber.org/protocol/disco#info'>\
             <identity category='account' type='registered'/>\
             <feature var='http://jabber.org/protocol/pubsub#publish'/></query>",
        );
        let domain = info(
            "<query xmlns='http://jabber.org/protocol/disco#info'>\
             <identity category='server' type='im'/>\
             <feature var='http://jabber.org/protocol/pubsub#publish-options'/></query>",
        );
        assert_eq!(
            support(&account, Some(&domain)),
            PepSupport {
                pep: true,
                publish_options: true
            }
        );
        assert!(!support(&account, None).publish_options);
        // A server without PEP.
        let bare = info(
            "<query xmlns='http://jabber.org/protocol/disco#info'>\
             <identity category='account' type='registered'/></query>",
        );
        assert!(!support(&bare, Some(&domain)).pep);
    }

    #[test]
    fn bare_publish_and_create_with_configuration() {
        let payload = Element::builder("bundles", "urn:xmpp:omemo:2").build();
        let xml = String::from(&publish("n", "1", payload, &[]));
        assert!(!xml.contains("publish-options"), "{xml}");
        let xml = String::from(&create("n", &[("pubsub#max_items", "max")])).replace('\'', "\"");
        assert!(xml.contains("<create node=\"n\"/>"), "{xml}");
        assert!(xml.contains("pubsub#node_config"), "{xml}");
        assert!(xml.contains("<value>max</value>"), "{xml}");
    }

    #[test]
    fn precondition_not_met_is_recognised() {
        let error: StanzaError = parse(
            "<error xmlns='jabber:client' type='cancel'>\
             <conflict xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>\
             <precondition-not-met xmlns='http://jabber.org/protocol/pubsub#errors'/></error>",
        )
        .try_into()
        .expect("stanza error");
        assert!(is_precondition_not_met(&error));
        let error: StanzaError = parse(
            "<error xmlns='jabber:client' type='auth'>\
             <forbidden xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error>",
        )
        .try_into()
        .expect("stanza error");
        assert!(!is_precondition_not_met(&error));
    }
}
