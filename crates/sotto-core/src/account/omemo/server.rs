// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! What OMEMO asks of the server and what the answers do: set-up on a new
//! stream (our lists, then our device and bundles published), publishing,
//! and the device lists and bundles fetched for the work that waits.

use std::time::Instant;

use sotto_omemo::device;
use sotto_omemo::{DeviceAddress, Namespace};
use sotto_xmpp::BareJid;
use sotto_xmpp::xep::omemo as wire;

use super::{
    BUNDLE_TTL, BUNDLES_KEPT, SPK_GRACE, SPK_PERIOD, bundle_problem, fingerprint_of, no_pep,
    now_secs, setup_problem,
};
use crate::account::Account;
use crate::account::pending::{self, Ask};
use crate::api::Event;
use crate::omemo_wire::{NAMESPACES, bundle_out};

impl Account {
    /// On a new stream: announce our device in both namespaces and publish
    /// our keys (rotating the signed prekey when due). A failure here is
    /// told once as `omemo_unavailable` and never stops messaging. The
    /// requests run on their own; [`Self::omemo_setup_answered`] goes on.
    pub(crate) fn omemo_fresh_session(&mut self) {
        self.omemo.repaired.clear();
        self.held.clear();
        self.omemo.fetched.clear();
        self.omemo.bundles.clear();
        if let Err(reason) = self.omemo_device() {
            return self.omemo_unavailable(reason);
        }
        if let Err(e) = device::rotate_signed_prekey(
            self.omemo.store.as_mut(),
            now_secs(),
            SPK_PERIOD,
            SPK_GRACE,
            &mut rand::rng(),
        ) {
            tracing::warn!(error = %e, "could not rotate the OMEMO signed prekey");
        }
        let (Some(own), Some(session)) = (self.own_bare(), &self.session) else {
            self.omemo.ready = Some(self.stream);
            return;
        };
        let request = pending::omemo_setup(session.handle(), self.stream, own);
        self.pending.start(request);
    }

    /// Set-up's answers: PEP support and our own device lists. Puts our
    /// device in the lists that lack it and publishes our bundles.
    pub(crate) fn omemo_setup_answered(
        &mut self,
        stream: u64,
        support: Result<sotto_xmpp::xep::pep::PepSupport, sotto_xmpp::IqError>,
        lists: Vec<(Namespace, Result<wire::DeviceList, sotto_xmpp::PepError>)>,
    ) {
        if stream != self.stream {
            return;
        }
        // Only use PEP once disco says the account has it. A failed disco
        // is no verdict: the requests tell.
        if let Ok(support) = support
            && !support.pep
        {
            return self.omemo_unavailable(no_pep());
        }
        let Some(own) = self.own_bare() else { return };
        let mut publications = Vec::new();
        let complete = lists.len() == NAMESPACES.len();
        for (ns, fetched) in lists {
            match fetched {
                Ok(list) => publications.extend(self.omemo_list_seen(&own, ns, list)),
                // Without our list, publishing one could drop our other
                // devices from it: stop here.
                Err(e) => return self.omemo_setup_failed(&e),
            }
        }
        if !complete {
            self.omemo.ready = Some(self.stream);
            return;
        }
        self.omemo.fetched.insert(own.to_string());
        match self.omemo_bundles() {
            Some(bundles) => publications.extend(bundles),
            None => return,
        }
        self.omemo_publish(publications, true);
        if self.session.is_none() {
            self.omemo.ready = Some(self.stream);
        }
    }

    /// Publishes (our device list, our bundles) without waiting; the answer
    /// is [`Self::omemo_published`].
    pub(crate) fn omemo_publish(&mut self, items: Vec<pending::Publication>, ready: bool) {
        if items.is_empty() {
            return;
        }
        if let Some(session) = &self.session {
            let request = pending::publish(session.handle(), items, ready);
            self.pending.start(request);
        }
    }

    /// Publications answered: told when one failed; OMEMO announced as
    /// ready when set-up's all went out.
    pub(crate) fn omemo_published(
        &mut self,
        ready: bool,
        results: Vec<Result<sotto_xmpp::session::PublishOutcome, sotto_xmpp::PepError>>,
    ) {
        let mut all = true;
        for result in results {
            match result {
                Ok(outcome) => tracing::debug!(?outcome, "OMEMO item published"),
                Err(e) => {
                    if all {
                        self.omemo_setup_failed(&e);
                    }
                    all = false;
                }
            }
        }
        if ready {
            self.omemo.ready = Some(self.stream);
        }
        if !(ready && all) {
            return;
        }
        let Ok(device) = self.omemo_device() else {
            return;
        };
        self.omemo.unavailable = None;
        let fingerprint = fingerprint_of(&device.identity.public(Namespace::Legacy))
            .map(|f| f.to_string())
            .unwrap_or_default();
        self.emit(Event::OmemoReady {
            account: self.jid.clone(),
            device_id: device.device_id,
            fingerprint,
        });
    }

    /// A PEP request of the set-up failed: told, unless the stream was
    /// lost (the next stream sets up again).
    pub(crate) fn omemo_setup_failed(&mut self, error: &sotto_xmpp::PepError) {
        if let sotto_xmpp::PepError::Request {
            source: sotto_xmpp::IqError::Disconnected(_),
            ..
        } = error
        {
            tracing::info!(error = %error, "OMEMO set-up interrupted");
            return;
        }
        self.omemo_unavailable(setup_problem(error));
    }

    /// Tells the user, once per reason, that OMEMO could not be set up.
    pub(crate) fn omemo_unavailable(&mut self, reason: String) {
        self.omemo.ready = Some(self.stream);
        tracing::warn!(reason = %reason, "OMEMO could not be set up");
        if self.omemo.unavailable.as_deref() == Some(reason.as_str()) {
            return;
        }
        self.omemo.unavailable = Some(reason.clone());
        self.emit(Event::OmemoUnavailable {
            account: self.jid.clone(),
            reason,
        });
    }

    /// Our bundle in both namespaces, to publish; `None` when it cannot be
    /// built (told).
    pub(crate) fn omemo_bundles(&mut self) -> Option<Vec<pending::Publication>> {
        let device = self.omemo_device().ok()?;
        let mut items = Vec::new();
        for ns in NAMESPACES {
            match device::own_bundle(self.omemo.store.as_ref(), ns) {
                Ok(bundle) => items.push(pending::Publication::Bundle(
                    ns,
                    device.device_id,
                    bundle_out(&bundle),
                )),
                Err(e) => {
                    self.omemo_unavailable(format!("building this device's OMEMO keys: {e}"));
                    return None;
                }
            }
        }
        Some(items)
    }

    /// A device list pushed by PEP (or fetched outside set-up): stored, and
    /// ours republished with this device if it went missing.
    pub(crate) fn omemo_list_pushed(
        &mut self,
        jid: &BareJid,
        ns: Namespace,
        list: wire::DeviceList,
    ) {
        if let Some(publication) = self.omemo_list_seen(jid, ns, list) {
            self.omemo_publish(vec![publication], false);
        }
    }

    /// Both device lists of `jid` answered.
    pub(crate) fn omemo_lists_answered(
        &mut self,
        stream: u64,
        jid: BareJid,
        lists: Vec<(Namespace, Result<wire::DeviceList, sotto_xmpp::PepError>)>,
    ) {
        self.pending.answered(&Ask::DeviceLists(jid.to_string()));
        if stream != self.stream {
            return;
        }
        for (ns, fetched) in lists {
            match fetched {
                Ok(list) => self.omemo_list_pushed(&jid, ns, list),
                Err(e) => tracing::info!(error = %e, "no OMEMO device list"),
            }
        }
        self.omemo.fetched.insert(jid.to_string());
    }

    /// A bundle answered: kept for the work waiting for it.
    pub(crate) fn omemo_bundle_answered(
        &mut self,
        stream: u64,
        ns: Namespace,
        address: DeviceAddress,
        result: Result<wire::Bundle, sotto_xmpp::PepError>,
    ) {
        self.pending.answered(&Ask::Bundle(ns, address.clone()));
        if stream != self.stream {
            return;
        }
        if self.omemo.bundles.len() >= BUNDLES_KEPT {
            self.omemo
                .bundles
                .retain(|_, (at, _)| at.elapsed() < BUNDLE_TTL);
        }
        let result = result.map_err(|e| bundle_problem(&e));
        self.omemo
            .bundles
            .insert((ns, address), (Instant::now(), result));
    }
}
