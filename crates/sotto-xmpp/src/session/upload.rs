// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! HTTP File Upload (XEP-0363): finding the server's upload service and
//! asking it for a slot. The PUT itself is [`crate::http::put`].

use xmpp_parsers::disco::{DiscoInfoQuery, DiscoInfoResult, DiscoItemsQuery, DiscoItemsResult};
use xmpp_parsers::http_upload::{Header, SlotRequest, SlotResult};
use xmpp_parsers::jid::Jid;
use xmpp_parsers::minidom::Element;
use xmpp_parsers::ns;

use super::{IqPayloadKind, SessionHandle};
use crate::error::IqError;

/// The server's upload service.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UploadService {
    /// Its JID (often `upload.<domain>`).
    pub jid: Jid,
    /// The largest file it takes, if it says.
    pub max_size: Option<u64>,
}

/// A slot: where to PUT the file and where it can be fetched afterwards.
#[derive(Clone, PartialEq, Eq)]
pub struct Slot {
    /// The URL to PUT to.
    pub put_url: String,
    /// Headers to send with the PUT (authorization, cookies, expiry).
    pub put_headers: Vec<(String, String)>,
    /// The URL the recipients fetch.
    pub get_url: String,
}

impl std::fmt::Debug for Slot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The URLs and the authorization are capabilities: not for logs.
        f.debug_struct("Slot")
            .field("headers", &self.put_headers.len())
            .finish_non_exhaustive()
    }
}

/// Whether a disco#info answer is an upload service, and its size limit.
pub fn upload_service_of(jid: Jid, info: &DiscoInfoResult) -> Option<UploadService> {
    if !info.features.contains(ns::HTTP_UPLOAD) {
        return None;
    }
    let max_size = info
        .extensions
        .iter()
        .filter(|form| form.form_type() == Some(ns::HTTP_UPLOAD))
        .flat_map(|form| form.fields.iter())
        .find(|field| field.var.as_deref() == Some("max-file-size"))
        .and_then(|field| field.values.first())
        .and_then(|value| value.trim().parse::<u64>().ok());
    Some(UploadService { jid, max_size })
}

/// How long a service the server lists may take to describe itself. They
/// are the server's own components and answer in milliseconds; a listed
/// remote service that is down must not hold the login for a full IQ timeout.
const LISTED_SERVICE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

fn parse<T: TryFrom<Element>>(answer: Option<Element>, what: &'static str) -> Result<T, IqError>
where
    T::Error: std::fmt::Display,
{
    let element = answer.ok_or(IqError::Malformed {
        what,
        detail: "empty answer".into(),
    })?;
    T::try_from(element).map_err(|e| IqError::Malformed {
        what,
        detail: e.to_string(),
    })
}

impl SessionHandle {
    /// The disco#info of `jid` (also used for our PEP service).
    pub(super) async fn disco_info(&self, jid: Jid) -> Result<DiscoInfoResult, IqError> {
        self.disco_info_within(jid, super::IQ_TIMEOUT).await
    }

    /// `disco#info` of `jid`, waiting at most `timeout` for the answer.
    pub(super) async fn disco_info_within(
        &self,
        jid: Jid,
        timeout: std::time::Duration,
    ) -> Result<DiscoInfoResult, IqError> {
        let what = "asking a service what it offers";
        let answer = self
            .request_within(
                Some(jid),
                IqPayloadKind::Get(DiscoInfoQuery { node: None }.into()),
                what,
                timeout,
            )
            .await?
            .map_err(|error| super::refused(what, &error))?;
        parse(answer, what)
    }

    /// Finds the upload service: the account's server itself, or one of
    /// the services it lists. `None` when it has none.
    pub async fn upload_service(&self) -> Result<Option<UploadService>, IqError> {
        let domain = Jid::from(self.own.domain().to_owned());
        if let Some(service) =
            upload_service_of(domain.clone(), &self.disco_info(domain.clone()).await?)
        {
            return Ok(Some(service));
        }
        self.listed_upload_service().await
    }

    /// Finds the upload service among the services the server lists.
    pub(super) async fn listed_upload_service(&self) -> Result<Option<UploadService>, IqError> {
        let domain = Jid::from(self.own.domain().to_owned());
        let what = "listing the server's services";
        let answer = self
            .request(
                Some(domain),
                IqPayloadKind::Get(
                    DiscoItemsQuery {
                        node: None,
                        rsm: None,
                    }
                    .into(),
                ),
                what,
            )
            .await?;
        let items: DiscoItemsResult = parse(answer, what)?;
        // All listed services are asked at once: one silent service must
        // not hold the answer for the time of an IQ timeout per item.
        let services: Vec<Jid> = items
            .items
            .into_iter()
            .filter(|i| i.node.is_none())
            .map(|i| i.jid)
            .collect();
        let answers = futures::future::join_all(
            services
                .iter()
                .map(|jid| self.disco_info_within(jid.clone(), LISTED_SERVICE_TIMEOUT)),
        )
        .await;
        for (jid, answer) in services.into_iter().zip(answers) {
            match answer {
                Ok(info) => {
                    if let Some(service) = upload_service_of(jid, &info) {
                        return Ok(Some(service));
                    }
                }
                // A service that does not answer is not the upload service.
                Err(e) => tracing::debug!(error = %e, "a listed service did not describe itself"),
            }
        }
        Ok(None)
    }

    /// Asks `service` for a slot for a file of `size` bytes.
    pub async fn upload_slot(
        &self,
        service: &UploadService,
        filename: &str,
        size: u64,
        content_type: &str,
    ) -> Result<Slot, IqError> {
        let what = "asking the server for an upload slot";
        let request = SlotRequest {
            filename: filename.to_owned(),
            size,
            content_type: Some(content_type.to_owned()),
        };
        let answer = self
            .request(
                Some(service.jid.clone()),
                IqPayloadKind::Get(request.into()),
                what,
            )
            .await?;
        let slot: SlotResult = parse(answer, what)?;
        Ok(Slot {
            put_url: slot.put.url,
            put_headers: slot
                .put
                .headers
                .into_iter()
                .map(|Header { name, value }| (name.as_str().to_owned(), value))
                .collect(),
            get_url: slot.get.url,
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn prosodys_upload_service_and_limit_are_recognised() {
        let info: Element = "<query xmlns='http://jabber.org/protocol/disco#info'>\
            <identity category='store' type='file' name='HTTP File Upload'/>\
            <feature var='urn:xmpp:http:upload:0'/>\
            <x xmlns='jabber:x:data' type='result'>\
            <field var='FORM_TYPE' type='hidden'><value>urn:xmpp:http:upload:0</value></field>\
            <field var='max-file-size'><value>1048576</value></field></x></query>"
            .parse()
            .unwrap();
        let info = DiscoInfoResult::try_from(info).unwrap();
        let jid = Jid::new("upload.localhost").unwrap();
        assert_eq!(
            upload_service_of(jid.clone(), &info),
            Some(UploadService {
                jid,
                max_size: Some(1_048_576)
            })
        );
        let plain: Element = "<query xmlns='http://jabber.org/protocol/disco#info'>\
            <identity category='server' type='im'/><feature var='jabber:iq:version'/></query>"
            .parse()
            .unwrap();
        let plain = DiscoInfoResult::try_from(plain).unwrap();
        assert_eq!(
            upload_service_of(Jid::new("localhost").unwrap(), &plain),
            None
        );
    }

    #[test]
    fn a_slot_answer_in_prosodys_order_parses() {
        let slot: Element = "<slot xmlns='urn:xmpp:http:upload:0'>\
            <get url='https://127.0.0.1:5281/file_share/abc/f.txt'/>\
            <put url='https://127.0.0.1:5281/file_share/abc/f.txt'>\
            <header name='Authorization'>Bearer xyz</header></put></slot>"
            .parse()
            .unwrap();
        let slot: SlotResult = parse(Some(slot), "testing").unwrap();
        assert_eq!(slot.put.headers.len(), 1);
        assert_eq!(slot.get.url, "https://127.0.0.1:5281/file_share/abc/f.txt");
        assert!(matches!(
            parse::<SlotResult>(None, "testing"),
            Err(IqError::Malformed { .. })
        ));
    }
}
