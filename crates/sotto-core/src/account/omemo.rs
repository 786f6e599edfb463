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
use sotto_store::AccountOmemoStore;
use sotto_xmpp::BareJid;
use sotto_xmpp::xep::omemo as wire;

use super::Account;
use super::pending::{self, Ask};
use crate::api::{Event, OmemoDevice, OmemoTrust, OmemoTrustMode};
use crate::omemo_wire::{NAMESPACES, bundle_in, ns_name};

mod receive;
mod send;
mod server;
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

/// How long a fetched bundle (or the reason there is none) is used before
/// it is asked for again.
const BUNDLE_TTL: Duration = Duration::from_secs(60);
/// Above this many remembered bundles, the expired ones are dropped.
const BUNDLES_KEPT: usize = 256;

/// Something known now, or asked for (the work is done again when the
/// answer arrives).
#[derive(Debug)]
pub(crate) enum Lookup<T> {
    Ready(T),
    Waiting,
}

/// A question of the user that waits for device lists or keys.
#[derive(Debug)]
pub(crate) enum Query {
    /// `get_omemo_fingerprints` (and the answer to a trust change).
    Fingerprints(Option<String>),
    /// `verify_omemo_uri`.
    VerifyUri(String),
}

/// OMEMO state of one account kept in memory (everything else is stored).
pub(crate) struct OmemoState {
    store: Box<dyn AccountOmemoStore>,
    device: Option<OwnDevice>,
    /// Devices that started a session with us: an empty message is owed to
    /// them at the instant given unless we write to them first.
    owed: HashMap<(Namespace, DeviceAddress), Instant>,
    /// Devices whose session was rebuilt on this stream (once each).
    repaired: HashSet<(Namespace, DeviceAddress)>,
    /// JIDs whose device lists were fetched on this stream.
    fetched: HashSet<String>,
    /// Bundles fetched on this stream (or why not), for the work that
    /// waited for them; used for [`BUNDLE_TTL`] at most.
    bundles: HashMap<(Namespace, DeviceAddress), (Instant, Result<wire::Bundle, String>)>,
    /// Empty messages waiting for a bundle: true for a session repair.
    transports: HashMap<(Namespace, DeviceAddress), bool>,
    /// Questions of the user waiting for device lists or keys, with the
    /// request id each answers.
    queries: Vec<(Query, Option<String>)>,
    /// The stream whose OMEMO set-up has ended (keys published, or the
    /// reason they cannot be told): until then OMEMO messages and
    /// questions wait, so that what they rely on (our device in our list,
    /// our bundle) is in place first, as a contact will need it to answer.
    ready: Option<u64>,
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
            .field("owed", &self.owed.len())
            .finish_non_exhaustive()
    }
}

impl OmemoState {
    pub(crate) fn new(store: Box<dyn AccountOmemoStore>) -> Self {
        Self {
            store,
            device: None,
            owed: HashMap::new(),
            repaired: HashSet::new(),
            fetched: HashSet::new(),
            bundles: HashMap::new(),
            transports: HashMap::new(),
            queries: Vec::new(),
            ready: None,
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

    /// A device list arrived (fetched, or pushed by PEP): store it; for our
    /// own list that lacks this device, the list to publish with it back in.
    pub(crate) fn omemo_list_seen(
        &mut self,
        jid: &BareJid,
        ns: Namespace,
        list: wire::DeviceList,
    ) -> Option<pending::Publication> {
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
            return None;
        }
        let device = self.omemo_device().ok()?;
        if list.contains(device.device_id) {
            return None;
        }
        let mut ours = list;
        ours.devices.push(wire::Device {
            id: device.device_id,
            label: (ns == Namespace::Omemo2).then(|| "Sotto".to_owned()),
        });
        Some(pending::Publication::DeviceList(ns, ours))
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

    /// Whether OMEMO work waits for this stream's set-up to end.
    pub(crate) fn omemo_setting_up(&self) -> bool {
        self.online && self.omemo.ready != Some(self.stream)
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
            automatic,
            blocked,
        });
    }

    /// The devices of `jid` that are in a current device list, with the
    /// namespace to use for each (OMEMO 2 where announced). Fetched from the
    /// server once per stream when online (`Waiting` until then); the
    /// stored lists otherwise.
    pub(crate) fn omemo_devices(
        &mut self,
        jid: &BareJid,
    ) -> Lookup<Vec<(DeviceAddress, Namespace)>> {
        let key = jid.to_string();
        if self.online
            && !self.omemo.fetched.contains(&key)
            && let Some(session) = &self.session
        {
            let request = pending::device_lists(session.handle(), self.stream, jid.clone());
            self.pending.start_once(Ask::DeviceLists(key), request);
            return Lookup::Waiting;
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
        Lookup::Ready(chosen)
    }

    /// The identity key of a device: from our session with it, or from its
    /// bundle (fetched and checked; returned to start a session with).
    /// `Waiting` while the bundle is being fetched.
    pub(crate) fn omemo_identity(
        &mut self,
        ns: Namespace,
        address: &DeviceAddress,
    ) -> Lookup<Result<(IdentityKey, Option<sotto_omemo::Bundle>), String>> {
        if let Ok(Some(session)) = self.omemo.store.load_session(ns, address) {
            return Lookup::Ready(Ok((session.remote_identity(), None)));
        }
        let key = (ns, address.clone());
        if let Some((at, fetched)) = self.omemo.bundles.get(&key)
            && at.elapsed() < BUNDLE_TTL
        {
            return Lookup::Ready(match fetched {
                Ok(bundle) => bundle_in(bundle, ns, address.device_id)
                    .map(|bundle| (bundle.identity, Some(bundle)))
                    .map_err(|e| format!("its published keys are invalid ({e})")),
                Err(problem) => Err(problem.clone()),
            });
        }
        let Ok(jid) = address.jid.parse::<BareJid>() else {
            return Lookup::Ready(Err(format!("{} is not a valid JID", address.jid)));
        };
        match (&self.session, self.online) {
            (Some(session), true) => {
                let request =
                    pending::bundle(session.handle(), self.stream, ns, address.clone(), jid);
                self.pending
                    .start_once(Ask::Bundle(ns, address.clone()), request);
                Lookup::Waiting
            }
            _ => Lookup::Ready(Err("offline: its keys cannot be fetched now".to_owned())),
        }
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
    pub(crate) fn omemo_prekey_used(&mut self) {
        let replenished = device::replenish_prekeys(self.omemo.store.as_mut(), &mut rand::rng());
        match replenished {
            Ok(_) if self.online => {
                if let Some(bundles) = self.omemo_bundles() {
                    self.omemo_publish(bundles, false);
                }
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "could not replenish OMEMO prekeys"),
        }
    }
}
