// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! The OMEMO PEP requests of a session: device lists and bundles in both
//! namespaces, published so that non-contacts can read them.

use xmpp_parsers::jid::{BareJid, Jid};

use super::pep::{lost, refused};
use super::{IqPayloadKind, SessionHandle};
use crate::error::PepError;
use crate::xep::omemo::{Bundle, DeviceList, Namespace};
use crate::xep::pep::{self, NodeConfig, PublishOutcome, Refusal};

fn malformed(doing: String, detail: impl std::fmt::Display) -> PepError {
    PepError::Malformed {
        doing,
        detail: detail.to_string(),
    }
}

impl SessionHandle {
    /// Fetches `jid`'s device list. A node that does not exist
    /// (`item-not-found`) is an empty list.
    pub async fn fetch_device_list(
        &self,
        jid: &BareJid,
        namespace: Namespace,
    ) -> Result<DeviceList, PepError> {
        let doing = || {
            format!(
                "fetching the {} device list of {jid}",
                namespace.display_name()
            )
        };
        let node = namespace.device_list_node();
        let answer = self
            .request_outcome(
                Some(Jid::from(jid.clone())),
                IqPayloadKind::Get(pep::items_request(node, None)),
                "fetching an OMEMO device list",
            )
            .await
            .map_err(|e| lost(doing(), e))?;
        match answer {
            Ok(answer) => {
                let items = pep::parse_items(answer, node).map_err(|e| malformed(doing(), e))?;
                match pep::pick(&items, DeviceList::ITEM_ID) {
                    Some(payload) => {
                        DeviceList::parse(payload, namespace).map_err(|e| malformed(doing(), e))
                    }
                    None => Ok(DeviceList::default()),
                }
            }
            Err(error) => match pep::refusal(&error) {
                Refusal::NoSuchNode => Ok(DeviceList::default()),
                Refusal::ContactsOnly => Err(PepError::DeviceListForbidden(jid.clone())),
                _ => Err(refused(doing(), jid, &error)),
            },
        }
    }

    /// Fetches the bundle of `jid`'s device `device_id`.
    ///
    /// `forbidden` (the node is not open to non-contacts) and a missing
    /// bundle are errors of their own, for the user to read.
    pub async fn fetch_bundle(
        &self,
        jid: &BareJid,
        device_id: u32,
        namespace: Namespace,
    ) -> Result<Bundle, PepError> {
        let doing = || {
            format!(
                "fetching the {} bundle of {jid} device {device_id}",
                namespace.display_name()
            )
        };
        let node = namespace.bundle_node(device_id);
        let item_id = namespace.bundle_item_id(device_id);
        // Legacy bundles live alone in their node, under whatever item id
        // the client chose; OMEMO 2 bundles share one node, by device id.
        let wanted = match namespace {
            Namespace::Legacy => None,
            Namespace::V2 => Some(item_id.as_str()),
        };
        let answer = self
            .request_outcome(
                Some(Jid::from(jid.clone())),
                IqPayloadKind::Get(pep::items_request(&node, wanted)),
                "fetching an OMEMO bundle",
            )
            .await
            .map_err(|e| lost(doing(), e))?;
        let not_found = || PepError::BundleNotFound {
            jid: jid.clone(),
            device_id,
        };
        let items = match answer {
            Ok(answer) => pep::parse_items(answer, &node).map_err(|e| malformed(doing(), e))?,
            Err(error) => {
                return Err(match pep::refusal(&error) {
                    Refusal::NoSuchNode => not_found(),
                    Refusal::ContactsOnly => PepError::BundleForbidden {
                        jid: jid.clone(),
                        device_id,
                    },
                    _ => refused(doing(), jid, &error),
                });
            }
        };
        let payload = match namespace {
            Namespace::Legacy => pep::pick(&items, &item_id),
            Namespace::V2 => items
                .iter()
                .find(|i| i.id.as_deref() == Some(item_id.as_str()))
                .and_then(|i| i.payload.as_ref()),
        };
        let payload = payload.ok_or_else(not_found)?;
        Bundle::parse(payload, namespace).map_err(|e| malformed(doing(), e))
    }

    /// Publishes our device list, readable by anyone.
    pub async fn publish_device_list(
        &self,
        list: &DeviceList,
        namespace: Namespace,
    ) -> Result<PublishOutcome, PepError> {
        self.publish_configured(
            namespace.device_list_node(),
            DeviceList::ITEM_ID,
            list.to_element(namespace),
            NodeConfig::OPEN,
            format!("publishing our {} device list", namespace.display_name()),
        )
        .await
    }

    /// Publishes the bundle of our device `device_id`, readable by anyone.
    pub async fn publish_bundle(
        &self,
        device_id: u32,
        bundle: &Bundle,
        namespace: Namespace,
    ) -> Result<PublishOutcome, PepError> {
        // OMEMO 2 keeps every device's bundle in one node: it must hold
        // more than the default single item (ejabberd keeps one).
        let config = match namespace {
            Namespace::Legacy => NodeConfig::OPEN,
            Namespace::V2 => NodeConfig::OPEN_MANY_ITEMS,
        };
        self.publish_configured(
            &namespace.bundle_node(device_id),
            &namespace.bundle_item_id(device_id),
            bundle.to_element(namespace),
            config,
            format!(
                "publishing the {} bundle of our device {device_id}",
                namespace.display_name()
            ),
        )
        .await
    }

    /// Subscribes to `jid`'s device list, for notifications from a
    /// non-contact (Prosody only follows the caps `+notify` of entities
    /// subscribed to the owner's presence).
    pub async fn subscribe_device_list(
        &self,
        jid: &BareJid,
        namespace: Namespace,
    ) -> Result<(), PepError> {
        let doing = || {
            format!(
                "subscribing to the {} device list of {jid}",
                namespace.display_name()
            )
        };
        let answer = self
            .request_outcome(
                Some(Jid::from(jid.clone())),
                IqPayloadKind::Set(pep::subscribe(namespace.device_list_node(), self.own_jid())),
                "subscribing to an OMEMO device list",
            )
            .await
            .map_err(|e| lost(doing(), e))?;
        match answer {
            Ok(_) => Ok(()),
            Err(error) if pep::refusal(&error) == Refusal::ContactsOnly => {
                Err(PepError::DeviceListForbidden(jid.clone()))
            }
            Err(error) => Err(refused(doing(), jid, &error)),
        }
    }
}
