// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! What the account's server supports, found by service discovery before
//! any optional feature is used.
//!
//! Servers advertise in two places: the server's domain (carbons, blocking,
//! and on ejabberd publish-options) and the account's bare JID (PEP, MAM,
//! and on Prosody publish-options). Both are asked, at once, after each
//! fresh login, and a feature counts as present when either lists it.

use xmpp_parsers::disco::DiscoInfoResult;
use xmpp_parsers::jid::Jid;
use xmpp_parsers::ns;

use super::SessionHandle;
use super::upload::{UploadService, upload_service_of};
use crate::error::IqError;

/// Older MAM namespaces some servers still list alone.
const MAM_OLDER: &[&str] = &["urn:xmpp:mam:1", "urn:xmpp:mam:0"];

/// The optional features of the account's server that Sotto uses.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ServerFeatures {
    /// Personal eventing (XEP-0163): OMEMO keys can be published and read.
    pub pep: bool,
    /// Publish-options (XEP-0060 §7.1.5) on PEP.
    pub publish_options: bool,
    /// The account's message archive (XEP-0313, `urn:xmpp:mam:2`).
    pub mam: bool,
    /// Message carbons (XEP-0280).
    pub carbons: bool,
    /// Blocking command (XEP-0191).
    pub blocking: bool,
    /// The HTTP upload service (XEP-0363), when there is one.
    pub upload: Option<UploadService>,
    /// Whether the search for the upload service got answers (when it did
    /// not, `upload` says nothing and the search is made again on use).
    pub upload_checked: bool,
}

impl ServerFeatures {
    /// Reads the features off the disco#info of the server's domain and of
    /// the account's bare JID.
    pub fn from_disco(domain: &DiscoInfoResult, account: &DiscoInfoResult) -> Self {
        let has =
            |feature: &str| domain.features.contains(feature) || account.features.contains(feature);
        let pep = crate::xep::pep::support(account, Some(domain));
        Self {
            pep: pep.pep,
            publish_options: pep.publish_options,
            mam: has(ns::MAM),
            carbons: has(ns::CARBONS),
            blocking: has(ns::BLOCKING),
            upload: None,
            upload_checked: false,
        }
    }

    /// Whether the server only knows an archive namespace older than
    /// `urn:xmpp:mam:2` (which Sotto does not speak).
    pub fn only_older_mam(domain: &DiscoInfoResult, account: &DiscoInfoResult) -> bool {
        let lists = |info: &DiscoInfoResult| {
            info.features
                .iter()
                .any(|f| MAM_OLDER.contains(&f.as_str()))
        };
        lists(domain) || lists(account)
    }
}

impl SessionHandle {
    /// Discovers what the server supports: disco#info of the domain and of
    /// our bare JID (both at once), then the upload service.
    pub async fn discover(&self) -> Result<ServerFeatures, IqError> {
        let domain = Jid::from(self.own.domain().to_owned());
        let (on_domain, on_account) = futures::join!(
            self.disco_info(domain.clone()),
            self.disco_info(Jid::from(self.own.clone())),
        );
        let on_domain = on_domain?;
        // A server that will not describe the account (no PEP or MAM
        // module) may refuse the query: that is "nothing there".
        let on_account = match on_account {
            Ok(info) => info,
            Err(IqError::Refused { .. }) => DiscoInfoResult {
                node: None,
                identities: vec![],
                features: Default::default(),
                extensions: vec![],
            },
            Err(e) => return Err(e),
        };
        let mut features = ServerFeatures::from_disco(&on_domain, &on_account);
        self.remember_pep_support(crate::xep::pep::PepSupport {
            pep: features.pep,
            publish_options: features.publish_options,
        });
        if ServerFeatures::only_older_mam(&on_domain, &on_account) && !features.mam {
            tracing::info!("the server's archive speaks only an older MAM version");
        }
        let upload = match upload_service_of(domain, &on_domain) {
            Some(service) => Ok(Some(service)),
            None => self.listed_upload_service().await,
        };
        match upload {
            Ok(upload) => {
                features.upload = upload;
                features.upload_checked = true;
            }
            // The rest of what was found stands; uploads look again on use.
            Err(e) => tracing::info!(error = %e, "the server's services could not be listed"),
        }
        Ok(features)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use xmpp_parsers::minidom::Element;

    const PUBLISH_OPTIONS: &str = "http://jabber.org/protocol/pubsub#publish-options";

    fn info(xml: &str) -> DiscoInfoResult {
        let element: Element =
            format!("<query xmlns='http://jabber.org/protocol/disco#info'>{xml}</query>")
                .parse()
                .expect("valid XML");
        DiscoInfoResult::try_from(element).expect("valid disco#info")
    }

    fn feature(var: &str) -> String {
        format!("<feature var='{var}'/>")
    }

    #[test]
    fn prosody_lists_pep_and_mam_on_the_account() {
        let domain = info(&format!(
            "<identity category='server' type='im'/>{}{}",
            feature(ns::CARBONS),
            feature(ns::BLOCKING)
        ));
        let account = info(&format!(
            "<identity category='pubsub' type='pep'/><identity category='account' type='registered'/>{}{}",
            feature(ns::MAM),
            feature(PUBLISH_OPTIONS)
        ));
        let f = ServerFeatures::from_disco(&domain, &account);
        assert!(
            f.pep && f.publish_options && f.mam && f.carbons && f.blocking,
            "{f:?}"
        );
    }

    #[test]
    fn ejabberd_lists_publish_options_on_the_domain() {
        let domain = info(&format!(
            "<identity category='server' type='im'/>{}{}{}",
            feature(PUBLISH_OPTIONS),
            feature(ns::CARBONS),
            feature(ns::MAM)
        ));
        let account = info(
            "<identity category='pubsub' type='pep'/><identity category='account' type='registered'/>",
        );
        let f = ServerFeatures::from_disco(&domain, &account);
        assert!(f.pep && f.publish_options && f.mam && f.carbons, "{f:?}");
        assert!(!f.blocking);
    }

    #[test]
    fn a_minimal_server_has_nothing() {
        let domain = info("<identity category='server' type='im'/>");
        let account = info(&feature("urn:xmpp:mam:0"));
        let f = ServerFeatures::from_disco(&domain, &account);
        assert_eq!(f, ServerFeatures::default());
        assert!(ServerFeatures::only_older_mam(&domain, &account));
    }
}
