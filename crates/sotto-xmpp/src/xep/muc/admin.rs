// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! Owner and moderator requests (XEP-0045 §8–10): room configuration,
//! affiliation lists, kick/ban/membership/voice, destroy; and the
//! XEP-0410 self-ping that tells whether we are still in a room.

use xmpp_parsers::data_forms::{DataForm, DataFormType, Field};
use xmpp_parsers::jid::{BareJid, Jid};
use xmpp_parsers::minidom::Element;
use xmpp_parsers::minidom::rxml::xml_ncname;
use xmpp_parsers::stanza_error::{DefinedCondition, StanzaError};

use super::{Affiliation, NS_MUC_ADMIN, NS_MUC_OWNER, Role};

/// FORM_TYPE of the room configuration form.
pub const ROOM_CONFIG: &str = "http://jabber.org/protocol/muc#roomconfig";

/// Asks for the room's configuration form (owner only).
pub fn config_form_request() -> Element {
    Element::builder("query", NS_MUC_OWNER).build()
}

/// Accepts the default configuration of a room we just created (the
/// "instant room" of XEP-0045 §10.1.2): an empty submitted form.
pub fn instant_room() -> Element {
    let form = DataForm::new(DataFormType::Submit, ROOM_CONFIG, vec![]);
    Element::builder("query", NS_MUC_OWNER)
        .append(Element::from(form))
        .build()
}

/// What a "private group" is, as Conversations creates one: members only,
/// real JIDs visible to everyone (so OMEMO can encrypt for members),
/// persistent, hidden, archived. Both spellings of the archive switch are
/// named: Prosody's `muc#roomconfig_enablearchiving`, ejabberd's `mam`.
pub const PRIVATE_GROUP: &[(&str, &str)] = &[
    ("muc#roomconfig_persistentroom", "1"),
    ("muc#roomconfig_membersonly", "1"),
    ("muc#roomconfig_whois", "anyone"),
    ("muc#roomconfig_publicroom", "0"),
    ("muc#roomconfig_changesubject", "0"),
    ("muc#roomconfig_enablearchiving", "1"),
    ("mam", "1"),
    ("muc#roomconfig_allowinvites", "0"),
];

/// Reads the configuration form out of the owner's answer.
pub fn parse_config_form(answer: Option<Element>) -> Result<DataForm, &'static str> {
    let query = answer.ok_or("empty configuration answer")?;
    if !query.is("query", NS_MUC_OWNER) {
        return Err("not a muc#owner answer");
    }
    let x = query
        .get_child("x", "jabber:x:data")
        .ok_or("no configuration form")?;
    DataForm::try_from(x.clone()).map_err(|_| "malformed configuration form")
}

/// Submits `wanted` values for the fields the room's form offers; fields
/// the room does not offer are left out (servers differ in names, and
/// some refuse fields they do not know).
pub fn submit_config(offered: &DataForm, wanted: &[(&str, &str)]) -> Element {
    let fields = wanted
        .iter()
        .filter(|(var, _)| offered.fields.iter().any(|f| f.var.as_deref() == Some(var)))
        .map(|(var, value)| {
            let mut field = Field::new(var, xmpp_parsers::data_forms::FieldType::TextSingle);
            field.type_ = offered
                .fields
                .iter()
                .find(|f| f.var.as_deref() == Some(var))
                .map(|f| f.type_.clone())
                .unwrap_or(xmpp_parsers::data_forms::FieldType::TextSingle);
            field.values = vec![(*value).to_owned()];
            field
        })
        .collect();
    let form = DataForm::new(DataFormType::Submit, ROOM_CONFIG, fields);
    Element::builder("query", NS_MUC_OWNER)
        .append(Element::from(form))
        .build()
}

/// Which of `wanted` the form does not offer (for the caller to report).
pub fn missing_fields<'a>(offered: &DataForm, wanted: &[(&'a str, &str)]) -> Vec<&'a str> {
    wanted
        .iter()
        .filter(|(var, _)| !offered.fields.iter().any(|f| f.var.as_deref() == Some(var)))
        .map(|(var, _)| *var)
        .collect()
}

/// Destroys the room (owner only, XEP-0045 §10.9).
pub fn destroy(reason: Option<&str>) -> Element {
    let mut destroy = Element::builder("destroy", NS_MUC_OWNER);
    if let Some(reason) = reason {
        destroy = destroy.append(
            Element::builder("reason", NS_MUC_OWNER)
                .append(reason.to_owned())
                .build(),
        );
    }
    Element::builder("query", NS_MUC_OWNER)
        .append(destroy.build())
        .build()
}

fn admin_query(item: Element) -> Element {
    Element::builder("query", NS_MUC_ADMIN).append(item).build()
}

fn item(reason: Option<&str>) -> xmpp_parsers::minidom::ElementBuilder {
    let mut item = Element::builder("item", NS_MUC_ADMIN);
    if let Some(reason) = reason {
        item = item.append(
            Element::builder("reason", NS_MUC_ADMIN)
                .append(reason.to_owned())
                .build(),
        );
    }
    item
}

/// Asks for everyone with `affiliation` (members for OMEMO, owners, admins, outcasts).
pub fn affiliation_list_request(affiliation: Affiliation) -> Element {
    admin_query(
        item(None)
            .attr(xml_ncname!("affiliation").into(), affiliation.as_str())
            .build(),
    )
}

/// Gives `jid` an affiliation: membership (`Member`), a ban (`Outcast`),
/// or takes it away (`None`).
pub fn set_affiliation(jid: &BareJid, affiliation: Affiliation, reason: Option<&str>) -> Element {
    admin_query(
        item(reason)
            .attr(xml_ncname!("affiliation").into(), affiliation.as_str())
            .attr(xml_ncname!("jid").into(), jid.to_string())
            .build(),
    )
}

/// Gives the occupant `nick` a role: kick (`None`), voice
/// (`Participant`), revoke voice (`Visitor`), moderator.
pub fn set_role(nick: &str, role: Role, reason: Option<&str>) -> Element {
    admin_query(
        item(reason)
            .attr(xml_ncname!("nick").into(), nick)
            .attr(xml_ncname!("role").into(), role.as_str())
            .build(),
    )
}

/// One entry of an affiliation list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Affiliated {
    /// The JID (bare for accounts; a domain for server-wide bans).
    pub jid: BareJid,
    /// Its affiliation.
    pub affiliation: Affiliation,
    /// The nick reserved for it, if any.
    pub nick: Option<String>,
}

/// Reads an affiliation list answer; items that do not parse are skipped
/// (counted in the second value).
pub fn parse_affiliation_list(
    answer: Option<Element>,
) -> Result<(Vec<Affiliated>, usize), &'static str> {
    let Some(query) = answer else {
        return Ok((Vec::new(), 0));
    };
    if !query.is("query", NS_MUC_ADMIN) {
        return Err("not a muc#admin answer");
    }
    let mut list = Vec::new();
    let mut skipped = 0;
    for item in query.children().filter(|c| c.is("item", NS_MUC_ADMIN)) {
        let parsed = item
            .attr("jid")
            .and_then(|j| j.parse::<Jid>().ok())
            .zip(item.attr("affiliation").and_then(Affiliation::parse));
        match parsed {
            Some((jid, affiliation)) => list.push(Affiliated {
                jid: jid.to_bare(),
                affiliation,
                nick: item.attr("nick").map(str::to_owned),
            }),
            None => skipped += 1,
        }
    }
    Ok((list, skipped))
}

/// What a self-ping (XEP-0410) says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SelfPing {
    /// Still joined (an answer, or an error only a joined occupant gets).
    Joined,
    /// The room does not know us any more: rejoin.
    NotJoined,
    /// No conclusion (the room's server is unreachable, or slow): try later.
    Unknown,
}

/// The ping sent to our own occupant JID.
pub fn self_ping_request() -> Element {
    Element::builder("ping", "urn:xmpp:ping").build()
}

/// Interprets the answer to a self-ping (XEP-0410 §3.2).
pub fn self_ping_result(answer: Result<(), &StanzaError>) -> SelfPing {
    let Err(error) = answer else {
        return SelfPing::Joined;
    };
    match error.defined_condition {
        // Our own client answered (through the room): we are in.
        DefinedCondition::ServiceUnavailable | DefinedCondition::FeatureNotImplemented => {
            SelfPing::Joined
        }
        DefinedCondition::ItemNotFound => {
            // The room answered that the nick is gone, or that a ping to
            // an occupant is not allowed for a non-occupant.
            SelfPing::NotJoined
        }
        DefinedCondition::RemoteServerNotFound | DefinedCondition::RemoteServerTimeout => {
            SelfPing::Unknown
        }
        _ => SelfPing::NotJoined,
    }
}
