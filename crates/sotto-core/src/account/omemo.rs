// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! OMEMO in an account: our device and its published keys, contacts'
//! device lists and keys, and the trust decisions about them.
//!
//! Rules kept here:
//! - we publish the same device id and identity in both namespaces, and
//!   choose per recipient device: OMEMO 2 where the device announces it,
//!   legacy otherwise;
//! - the engine never writes: ratchet state is saved by this module, in the
//!   same transaction as the message it belongs to;
//! - a message chosen to go with OMEMO is never sent in plaintext.

use std::collections::{BTreeSet, HashMap, HashSet, VecDeque};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use sotto_omemo::device;
use sotto_omemo::store::{DeviceEntry, OwnDevice};
use sotto_omemo::trust::{Fingerprint, TrustLevel};
use sotto_omemo::{DeviceAddress, IdentityKey, Namespace};
use sotto_store::{AccountOmemoStore, MessageRecord};
use sotto_xmpp::BareJid;
use sotto_xmpp::xep::omemo as wire;

use super::Account;
use crate::api::{Event, OmemoDevice, OmemoTrust, OmemoTrustMode};
use crate::omemo_wire::{NAMESPACES, bundle_in, bundle_out, ns_name, ns_out};

mod receive;
mod send;
mod trust;

/// The settings key of the trust mode.
pub(crate) const TRUST_MODE_SETTING: &str = "omemo.trust_mode";
/// A signed prekey is replaced after a week…
const SPK_PERIOD: u64 = 7 * 24 * 3600;
/// …and the previous one kept a month for messages still on their way.
const SPK_GRACE: u64 = 30 * 24 * 3600;
/// How long after a contact started a session we wait for the user to
/// answer before completing it with an empty message.
pub(crate) const KEY_TRANSPORT_DELAY: Duration = Duration::from_secs(10);

/// The most devices of one contact that are used (per namespace).
pub(crate) const MAX_CONTACT_DEVICES: usize = 64;

/// OMEMO state of one account kept in memory (everything else is stored).
pub(crate) struct OmemoState {
    store: Box<dyn AccountOmemoStore>,
    device: Option<OwnDevice>,
    /// Queued messages waiting for their hand-over, which needs requests.
    pub(crate) outbox: VecDeque<MessageRecord>,
    /// Devices that started a session with us: an empty message is owed to
    /// them at the instant given unless we write to them first.
    owed: HashMap<(Namespace, DeviceAddress), Instant>,
    /// Devices whose session was rebuilt on this stream (once each).
    repaired: HashSet<(Namespace, DeviceAddress)>,
    /// JIDs whose device lists were fetched on this stream.
    fetched: HashSet<String>,
    /// Why OMEMO could not be set up, as last told to the user (told once).
    unavailable: Option<String>,
    /// The last messages read from the archive or as carbons (sender and
    /// message id): the live copy of one of them fails as a duplicate,
    /// and is answered with its receipt instead of a warning.
    pub(crate) read_elsewhere: VecDeque<(String, String)>,
}

/// How many [`OmemoState::read_elsewhere`] entries are kept.
pub(crate) const READ_ELSEWHERE: usize = 256;

impl std::fmt::Debug for OmemoState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OmemoState")
            .field("device", &self.device.as_ref().map(|d| d.device_id))
            .field("outbox", &self.outbox.len())
            .field("owed", &self.owed.len())
            .finish_non_exhaustive()
    }
}

impl OmemoState {
    pub(crate) fn new(store: Box<dyn AccountOmemoStore>) -> Self {
        Self {
            store,
            device: None,
            outbox: VecDeque::new(),
            owed: HashMap::new(),
            repaired: HashSet::new(),
            fetched: HashSet::new(),
            unavailable: None,
            read_elsewhere: VecDeque::new(),
        }
    }

    /// When the next owed key transport is due.
    pub(crate) fn next_due(&self) -> Option<Instant> {
        self.owed.values().min().copied()
    }
}

/// Seconds since the epoch, the engine's clock.
pub(crate) fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
}

fn fingerprint_of(identity: &IdentityKey) -> Option<Fingerprint> {
    identity.fingerprint().ok()
}

/// Why a bundle could not be used, in plain words.
pub(crate) fn bundle_problem(error: &sotto_xmpp::PepError) -> String {
    match error {
        sotto_xmpp::PepError::BundleForbidden { .. } => {
            "bundle not readable (the contact's server only shares keys with contacts)".to_owned()
        }
        sotto_xmpp::PepError::BundleNotFound { .. } => {
            "the device published no keys (it may no longer exist)".to_owned()
        }
        other => other.to_string(),
    }
}

/// Why a message to a contact whose conversation is bound to OMEMO waits.
pub(crate) fn empty_list_reason(peer: &str) -> String {
    format!(
        "{peer}'s OMEMO device list is now empty: their server may have lost it, \
         or someone is interfering. The message waits until a device of theirs \
         appears; it is sent unencrypted only if you choose that for it."
    )
}

/// The notice for an account whose server has no PEP.
fn no_pep() -> String {
    "this server does not support PEP (personal eventing): OMEMO is unavailable on this account"
        .to_owned()
}

/// Why setting up OMEMO on our own account failed, in plain words.
fn setup_problem(error: &sotto_xmpp::PepError) -> String {
    match error {
        sotto_xmpp::PepError::NoPep(_) => no_pep(),
        other => format!("OMEMO could not be set up: {other}"),
    }
}

impl Account {
    pub(crate) fn trust_mode(&self) -> OmemoTrustMode {
        OmemoTrustMode::parse(
            self.store
                .setting(TRUST_MODE_SETTING)
                .ok()
                .flatten()
                .as_deref(),
        )
    }

    /// Our device, created (with its keys) on first use.
    pub(crate) fn omemo_device(&mut self) -> Result<OwnDevice, String> {
        if let Some(device) = &self.omemo.device {
            return Ok(device.clone());
        }
        let device =
            device::load_or_create(self.omemo.store.as_mut(), now_secs(), &mut rand::rng())
                .map_err(|e| format!("creating this device's OMEMO keys: {e}"))?;
        self.omemo.device = Some(device.clone());
        Ok(device)
    }

    /// On a new stream: announce our device in both namespaces and publish
    /// our keys (rotating the signed prekey when due). A failure here is
    /// told once as `omemo_unavailable` and never stops messaging.
    pub(crate) async fn omemo_fresh_session(&mut self) {
        self.omemo.repaired.clear();
        self.held.clear();
        self.omemo.fetched.clear();
        let device = match self.omemo_device() {
            Ok(device) => device,
            Err(reason) => return self.omemo_unavailable(reason),
        };
        if let Err(e) = device::rotate_signed_prekey(
            self.omemo.store.as_mut(),
            now_secs(),
            SPK_PERIOD,
            SPK_GRACE,
            &mut rand::rng(),
        ) {
            tracing::warn!(error = %e, "could not rotate the OMEMO signed prekey");
        }
        let Some(own) = self.own_bare() else { return };
        // Only use PEP once disco says the account has it. A failed disco
        // is no verdict: the requests below then tell.
        let support = match &self.session {
            Some(session) => session.pep_support().await,
            None => return,
        };
        if let Ok(support) = support
            && !support.pep
        {
            return self.omemo_unavailable(no_pep());
        }
        for ns in NAMESPACES {
            let fetched = match &self.session {
                Some(session) => session.fetch_device_list(&own, ns_out(ns)).await,
                None => return,
            };
            match fetched {
                Ok(list) => {
                    if !self.omemo_list_seen(&own, ns, list).await {
                        return;
                    }
                }
                // Without our list, publishing one could drop our other
                // devices from it: stop here.
                Err(e) => return self.omemo_setup_failed(&e),
            }
        }
        self.omemo.fetched.insert(own.to_string());
        if self.omemo_publish_bundles().await {
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
    }

    /// A PEP request of the set-up failed: told, unless the stream was
    /// lost (the next stream sets up again).
    fn omemo_setup_failed(&mut self, error: &sotto_xmpp::PepError) {
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

    /// Publishes our bundle in both namespaces; true when both went out.
    pub(crate) async fn omemo_publish_bundles(&mut self) -> bool {
        let Ok(device) = self.omemo_device() else {
            return false;
        };
        let mut all = true;
        let mut failure = None;
        for ns in NAMESPACES {
            let bundle = match device::own_bundle(self.omemo.store.as_ref(), ns) {
                Ok(bundle) => bundle_out(&bundle),
                Err(e) => {
                    self.omemo_unavailable(format!("building this device's OMEMO keys: {e}"));
                    return false;
                }
            };
            let Some(session) = &self.session else {
                return false;
            };
            let published = session
                .publish_bundle(device.device_id, &bundle, ns_out(ns))
                .await;
            // Both namespaces are tried: a server may take one and not the other.
            match published {
                Ok(outcome) => {
                    tracing::debug!(?outcome, ns = ns_name(ns), "OMEMO bundle published")
                }
                Err(e) => {
                    all = false;
                    failure.get_or_insert(e);
                }
            }
        }
        if let Some(e) = failure {
            self.omemo_setup_failed(&e);
        }
        all
    }

    /// A device list arrived (fetched, or pushed by PEP): store it, and put
    /// our device back in our own list if it is missing. False when that
    /// publish failed (already told).
    pub(crate) async fn omemo_list_seen(
        &mut self,
        jid: &BareJid,
        ns: Namespace,
        list: wire::DeviceList,
    ) -> bool {
        let key = jid.to_string();
        let mut list = list;
        if list.devices.len() > MAX_CONTACT_DEVICES && Some(jid) != self.own_bare().as_ref() {
            // Each device costs a bundle fetch and a key per message: a
            // list of thousands is an attack or a bug, not a person.
            tracing::warn!(
                devices = list.devices.len(),
                "OMEMO device list too long: only the first {MAX_CONTACT_DEVICES} are used"
            );
            list.devices.truncate(MAX_CONTACT_DEVICES);
        }
        let known = self.omemo.store.device_list(ns, &key).unwrap_or_default();
        let known_active: BTreeSet<u32> = known
            .iter()
            .filter(|e| e.active)
            .map(|e| e.device_id)
            .collect();
        let mut entries: Vec<DeviceEntry> = list
            .devices
            .iter()
            .map(|d| DeviceEntry {
                device_id: d.id,
                active: true,
                label: d.label.clone(),
            })
            .collect();
        // Devices that left the list are remembered (their messages still
        // read, "ever had OMEMO" stays true), but only so many: a list that
        // changes on every publish must not grow the store without end.
        let mut kept = 0;
        for old in known {
            if !list.contains(old.device_id) && kept < MAX_CONTACT_DEVICES {
                kept += 1;
                entries.push(DeviceEntry {
                    active: false,
                    ..old
                });
            }
        }
        entries.sort_by_key(|e| e.device_id);
        if let Err(e) = self.omemo.store.save_device_list(ns, &key, &entries) {
            tracing::warn!(error = %e, "could not store an OMEMO device list");
        }
        self.omemo_list_changed(jid, ns, &known_active, &list);
        if Some(jid) != self.own_bare().as_ref() {
            return true;
        }
        let Ok(device) = self.omemo_device() else {
            return false;
        };
        if list.contains(device.device_id) {
            return true;
        }
        let mut ours = list;
        ours.devices.push(wire::Device {
            id: device.device_id,
            label: (ns == Namespace::Omemo2).then(|| "Sotto".to_owned()),
        });
        let Some(session) = &self.session else {
            return false;
        };
        match session.publish_device_list(&ours, ns_out(ns)).await {
            Ok(_) => true,
            Err(e) => {
                self.omemo_setup_failed(&e);
                false
            }
        }
    }

    /// Tells the front ends about a device list that differs from the one
    /// stored, and what "Automatic" now means for that contact; releases the
    /// messages held for them once they list a device again.
    fn omemo_list_changed(
        &mut self,
        jid: &BareJid,
        ns: Namespace,
        before: &BTreeSet<u32>,
        list: &wire::DeviceList,
    ) {
        let now: BTreeSet<u32> = list.devices.iter().map(|d| d.id).collect();
        if &now == before {
            return;
        }
        tracing::info!(
            ns = ns_name(ns),
            devices = now.len(),
            removed = before.difference(&now).count(),
            "OMEMO device list changed"
        );
        self.emit(Event::OmemoDeviceList {
            account: self.jid.clone(),
            jid: jid.to_string(),
            active: now.iter().copied().collect(),
            removed: before.difference(&now).copied().collect(),
        });
        if Some(jid) == self.own_bare().as_ref() {
            return;
        }
        if !now.is_empty() {
            self.release_held(jid.as_str());
        }
        self.emit_automatic(jid.as_str());
    }

    /// Whether `peer` ever listed an OMEMO device (in either namespace,
    /// in a list stored now or before).
    pub(crate) fn omemo_ever_listed(&self, peer: &str) -> bool {
        NAMESPACES.iter().any(|ns| {
            self.omemo
                .store
                .device_list(*ns, peer)
                .is_ok_and(|l| !l.is_empty())
        })
    }

    /// Tells the front ends what "Automatic" uses for `peer` now, from what
    /// is known without a request.
    pub(crate) fn emit_automatic(&mut self, peer: &str) {
        let active = NAMESPACES.iter().any(|ns| {
            self.omemo
                .store
                .device_list(*ns, peer)
                .is_ok_and(|l| l.iter().any(|e| e.active))
        });
        let (automatic, blocked) = if self.otr_in_use(peer) {
            (sotto_store::Encryption::Otr, None)
        } else if active {
            (sotto_store::Encryption::Omemo, None)
        } else {
            match self.sticky_encryption(peer, None) {
                Some(sotto_store::Encryption::Omemo) => (
                    sotto_store::Encryption::Omemo,
                    Some(empty_list_reason(peer)),
                ),
                Some(other) => (other, None),
                None => (sotto_store::Encryption::Plain, None),
            }
        };
        self.emit(Event::ConversationEncryption {
            account: self.jid.clone(),
            peer: peer.to_owned(),
            automatic: crate::convert::encryption_out(automatic),
            blocked,
        });
    }

    /// The devices of `jid` that are in a current device list, with the
    /// namespace to use for each (OMEMO 2 where announced). Fetched from the
    /// server once per stream when online; the stored lists otherwise.
    pub(crate) async fn omemo_devices(&mut self, jid: &BareJid) -> Vec<(DeviceAddress, Namespace)> {
        let key = jid.to_string();
        if self.online && !self.omemo.fetched.contains(&key) {
            for ns in NAMESPACES {
                let fetched = match &self.session {
                    Some(session) => session.fetch_device_list(jid, ns_out(ns)).await,
                    None => break,
                };
                match fetched {
                    Ok(list) => {
                        self.omemo_list_seen(jid, ns, list).await;
                    }
                    Err(e) => tracing::info!(error = %e, "no OMEMO device list"),
                }
            }
            self.omemo.fetched.insert(key.clone());
        }
        let mut chosen: Vec<(DeviceAddress, Namespace)> = Vec::new();
        let mut seen = BTreeSet::new();
        for ns in NAMESPACES {
            for entry in self.omemo.store.device_list(ns, &key).unwrap_or_default() {
                if entry.active && seen.insert(entry.device_id) {
                    chosen.push((DeviceAddress::new(key.clone(), entry.device_id), ns));
                }
            }
        }
        chosen
    }

    /// The identity key of a device: from our session with it, or from its
    /// bundle (fetched and checked; returned to start a session with).
    pub(crate) async fn omemo_identity(
        &mut self,
        ns: Namespace,
        address: &DeviceAddress,
    ) -> Result<(IdentityKey, Option<sotto_omemo::Bundle>), String> {
        if let Ok(Some(session)) = self.omemo.store.load_session(ns, address) {
            return Ok((session.remote_identity(), None));
        }
        let jid: BareJid = address
            .jid
            .parse()
            .map_err(|_| format!("{} is not a valid JID", address.jid))?;
        let fetched = match (&self.session, self.online) {
            (Some(session), true) => {
                session
                    .fetch_bundle(&jid, address.device_id, ns_out(ns))
                    .await
            }
            _ => return Err("offline: its keys cannot be fetched now".to_owned()),
        };
        let bundle = fetched.map_err(|e| bundle_problem(&e))?;
        let bundle = bundle_in(&bundle, ns, address.device_id)
            .map_err(|e| format!("its published keys are invalid ({e})"))?;
        Ok((bundle.identity, Some(bundle)))
    }

    /// The trust in a device key, deciding (and announcing) it the first
    /// time the key is seen.
    pub(crate) fn omemo_trust(
        &mut self,
        address: &DeviceAddress,
        ns: Namespace,
        identity: &IdentityKey,
    ) -> TrustLevel {
        let Ok(key) = identity.curve25519() else {
            return TrustLevel::Undecided;
        };
        let first = matches!(self.omemo.store.trust(&address.jid, &key), Ok(None));
        let mode = self.trust_mode().into();
        let level = sotto_omemo::trust::decide(self.omemo.store.as_mut(), mode, &address.jid, &key)
            .unwrap_or(TrustLevel::Undecided);
        if first {
            let device = self.device_info(address, &[ns], Some(identity), level, None);
            self.emit(Event::OmemoDevice {
                account: self.jid.clone(),
                device,
            });
        }
        level
    }

    pub(crate) fn device_info(
        &self,
        address: &DeviceAddress,
        namespaces: &[Namespace],
        identity: Option<&IdentityKey>,
        trust: TrustLevel,
        problem: Option<String>,
    ) -> OmemoDevice {
        let active = namespaces.iter().any(|ns| {
            self.omemo
                .store
                .device_list(*ns, &address.jid)
                .is_ok_and(|l| {
                    l.iter()
                        .any(|e| e.device_id == address.device_id && e.active)
                })
        });
        OmemoDevice {
            jid: address.jid.clone(),
            device_id: address.device_id,
            fingerprint: identity
                .and_then(fingerprint_of)
                .map(|f| f.to_string())
                .unwrap_or_default(),
            trust: OmemoTrust::from(trust),
            active,
            namespaces: namespaces
                .iter()
                .map(|ns| ns_name(*ns).to_owned())
                .collect(),
            problem,
        }
    }

    /// Replenishes one-time prekeys after one was used, and republishes.
    pub(crate) async fn omemo_prekey_used(&mut self) {
        let replenished = device::replenish_prekeys(self.omemo.store.as_mut(), &mut rand::rng());
        match replenished {
            Ok(_) if self.online => {
                self.omemo_publish_bundles().await;
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "could not replenish OMEMO prekeys"),
        }
    }
}
