// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! The user's side of OMEMO trust: listing devices with fingerprints,
//! verifying, distrusting, and `xmpp:` verification URIs.

use std::collections::BTreeMap;

use sotto_omemo::trust::{Fingerprint, TrustLevel, VerificationUri};
use sotto_omemo::{DeviceAddress, IdentityKey, Namespace};

use super::{Lookup, NAMESPACES, Query};
use crate::account::Account;
use crate::api::{Event, OmemoTrust};
use crate::convert;

impl Account {
    /// `get_omemo_fingerprints`: asks for what is missing, or answers.
    pub(crate) fn omemo_ask_fingerprints(&mut self, jid: Option<String>) {
        if self.omemo_fingerprints(jid.as_deref(), true) {
            let request = self.answering.take();
            self.omemo.queries.push((Query::Fingerprints(jid), request));
        }
    }

    /// Answers `get_omemo_fingerprints`; true when it waits for device
    /// lists or keys (`refresh` asks the server for today's lists first).
    pub(crate) fn omemo_fingerprints(&mut self, jid: Option<&str>, refresh: bool) -> bool {
        if self.omemo_setting_up() {
            return true;
        }
        let Some(own) = self.own_bare() else {
            return false;
        };
        let target = match jid {
            Some(jid) => match convert::parse_contact_jid(jid) {
                Ok(jid) => jid,
                Err(reason) => {
                    self.fail(reason);
                    return false;
                }
            },
            None => own.clone(),
        };
        let device = match self.omemo_device() {
            Ok(device) => device,
            Err(reason) => {
                self.fail(reason);
                return false;
            }
        };
        let own_identity = device.identity.public(Namespace::Legacy);
        let own_address = DeviceAddress::new(own.to_string(), device.device_id);
        let own_info = self.device_info(
            &own_address,
            &NAMESPACES,
            Some(&own_identity),
            TrustLevel::Verified,
            None,
        );
        let own_uri = own_identity
            .fingerprint()
            .map(|fp| {
                VerificationUri {
                    jid: own.to_string(),
                    devices: vec![(device.device_id, fp)],
                }
                .to_string()
            })
            .unwrap_or_default();
        // Every device, with the namespaces it speaks, fetched afresh: the
        // user looking at fingerprints wants today's list.
        if refresh {
            self.omemo.fetched.remove(target.as_str());
        }
        let listed = match self.omemo_devices(&target) {
            Lookup::Ready(listed) => listed,
            Lookup::Waiting => return true,
        };
        let mut namespaces: BTreeMap<u32, Vec<Namespace>> = BTreeMap::new();
        for (address, _) in listed {
            namespaces.entry(address.device_id).or_default();
        }
        for ns in NAMESPACES {
            for entry in self
                .omemo
                .store
                .device_list(ns, target.as_str())
                .unwrap_or_default()
            {
                namespaces.entry(entry.device_id).or_default().push(ns);
            }
        }
        // Every key is asked for at once; the answer waits for all.
        let mut looked_up = Vec::new();
        let mut waiting = false;
        for (device_id, spoken) in namespaces {
            if target == own && device_id == device.device_id {
                continue;
            }
            let address = DeviceAddress::new(target.to_string(), device_id);
            let Some(ns) = spoken.first().copied() else {
                continue;
            };
            match self.omemo_identity(ns, &address) {
                Lookup::Ready(found) => looked_up.push((address, ns, spoken, found)),
                Lookup::Waiting => waiting = true,
            }
        }
        if waiting {
            return true;
        }
        let mut devices = Vec::new();
        for (address, ns, spoken, found) in looked_up {
            devices.push(match found {
                Ok((identity, _)) => {
                    let trust = self.omemo_trust(&address, ns, &identity);
                    self.device_info(&address, &spoken, Some(&identity), trust, None)
                }
                Err(problem) => self.device_info(
                    &address,
                    &spoken,
                    None,
                    TrustLevel::Undecided,
                    Some(problem),
                ),
            });
        }
        self.emit(Event::OmemoFingerprints {
            account: self.jid.clone(),
            own: own_info,
            own_uri,
            jid: target.to_string(),
            devices,
            request: None,
        });
        if target != own {
            self.emit_automatic(target.as_str());
        }
        false
    }

    /// Answers `set_omemo_trust`.
    pub(crate) fn omemo_set_trust(&mut self, jid: &str, fingerprint: &str, trust: OmemoTrust) {
        let jid = match convert::parse_contact_jid(jid) {
            Ok(jid) => jid,
            Err(reason) => return self.fail(reason),
        };
        let fingerprint = match Fingerprint::parse(fingerprint) {
            Ok(fp) => fp,
            Err(e) => return self.fail(e.to_string()),
        };
        self.omemo_record_trust(jid.as_str(), &fingerprint, trust.into());
        self.omemo_ask_fingerprints(Some(jid.to_string()));
    }

    /// `verify_omemo_uri`: asks for what is missing, or answers.
    pub(crate) fn omemo_ask_verify_uri(&mut self, uri: String) {
        if self.omemo_verify_uri(&uri) {
            let request = self.answering.take();
            self.omemo.queries.push((Query::VerifyUri(uri), request));
        }
    }

    /// Answers `verify_omemo_uri`: verifies each device the URI names whose
    /// key matches; reports the ones that do not. True when it waits for
    /// device lists or keys (nothing is recorded before they are all here).
    pub(crate) fn omemo_verify_uri(&mut self, uri: &str) -> bool {
        if self.omemo_setting_up() {
            return true;
        }
        let parsed = match VerificationUri::parse(uri) {
            Ok(parsed) => parsed,
            Err(e) => {
                self.fail(e.to_string());
                return false;
            }
        };
        if parsed.devices.is_empty() {
            self.fail("the URI names no OMEMO device (no omemo-sid-… parameter)");
            return false;
        }
        let jid = match convert::parse_contact_jid(&parsed.jid) {
            Ok(jid) => jid,
            Err(reason) => {
                self.fail(reason);
                return false;
            }
        };
        let devices = match self.omemo_devices(&jid) {
            Lookup::Ready(devices) => devices,
            Lookup::Waiting => return true,
        };
        let mut looked_up = Vec::new();
        let mut waiting = false;
        for (device_id, fingerprint) in &parsed.devices {
            let address = DeviceAddress::new(jid.to_string(), *device_id);
            let ns = devices
                .iter()
                .find(|(a, _)| a.device_id == *device_id)
                .map_or(Namespace::Legacy, |(_, ns)| *ns);
            match self.omemo_identity(ns, &address) {
                Lookup::Ready(found) => looked_up.push((*device_id, fingerprint, found)),
                Lookup::Waiting => waiting = true,
            }
        }
        if waiting {
            return true;
        }
        for (device_id, fingerprint, found) in looked_up {
            match found {
                Ok((identity, _)) if key_matches(&identity, fingerprint) => {
                    self.omemo_record_trust(jid.as_str(), fingerprint, TrustLevel::Verified);
                }
                Ok(_) => self.fail(format!(
                    "the fingerprint for {jid} device {device_id} does not match its key: \
                     not verified (the URI may be old, or someone is interfering)"
                )),
                // The key is not known here yet: record the decision for
                // when it shows up.
                Err(_) => {
                    self.omemo_record_trust(jid.as_str(), fingerprint, TrustLevel::Verified);
                }
            }
        }
        self.omemo_ask_fingerprints(Some(jid.to_string()));
        false
    }

    fn omemo_record_trust(&mut self, jid: &str, fingerprint: &Fingerprint, level: TrustLevel) {
        if let Err(e) = self.omemo.store.set_trust(jid, fingerprint.bytes(), level) {
            self.fail(format!("saving an OMEMO trust decision: {e}"));
        }
    }
}

fn key_matches(identity: &IdentityKey, fingerprint: &Fingerprint) -> bool {
    identity
        .curve25519()
        .is_ok_and(|key| &key == fingerprint.bytes())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn keys_match_their_fingerprints_in_both_forms() {
        let pair = sotto_omemo::IdentityKeyPair::generate(&mut rand::rng());
        let legacy = pair.public(Namespace::Legacy);
        let v2 = pair.public(Namespace::Omemo2);
        let fp = legacy.fingerprint().unwrap();
        assert!(key_matches(&legacy, &fp));
        assert!(
            key_matches(&v2, &fp),
            "OMEMO 2 keys have the same fingerprint"
        );
        let other =
            sotto_omemo::IdentityKeyPair::generate(&mut rand::rng()).public(Namespace::Legacy);
        assert!(!key_matches(&other, &fp));
    }
}
