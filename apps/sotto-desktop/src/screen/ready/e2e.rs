// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! What the app remembers about end-to-end encryption between openings of
//! a conversation: the last OTR state per contact, the OMEMO keys the core
//! described (this device with its verification URI and QR code, and the
//! devices of each contact), the encryption the user chose per
//! conversation, and the OMEMO trust mode.
//!
//! All of it is the GUI's own copy, built from the core's events; nothing
//! here is saved. The QR code is built once per URI, not on every frame.

use std::collections::{HashMap, HashSet};

use iced::widget::qr_code;
use sotto_core::{Event, OmemoDevice, OmemoTrustMode, OtrSessionState};

use super::conversation::encryption::Choice;
use super::conversation::otr;

/// An account and a contact (both bare JIDs).
type Key = (String, String);

/// This device's OMEMO key, as the core last described it.
#[derive(Debug)]
pub struct Own {
    /// Our device id.
    pub device_id: u32,
    /// Our fingerprint (eight groups of eight hex digits).
    pub fingerprint: String,
    /// Our `xmpp:` verification URI, once the core has given it.
    pub uri: Option<String>,
    /// The URI as a QR code (absent when it does not fit one).
    pub qr: Option<qr_code::Data>,
}

impl Own {
    fn set_uri(&mut self, uri: &str) {
        if self.uri.as_deref() != Some(uri) {
            self.qr = qr_code::Data::new(uri.as_bytes()).ok();
            self.uri = Some(uri.to_owned());
        }
    }
}

/// What the app knows of one account's OMEMO keys.
#[derive(Debug, Default)]
struct AccountKeys {
    own: Option<Own>,
    /// Devices per bare JID; the account's own JID holds our other devices.
    devices: HashMap<String, Vec<OmemoDevice>>,
}

/// The OMEMO keys one conversation shows.
#[derive(Debug, Clone, Copy, Default)]
pub struct Keys<'a> {
    /// This device.
    pub own: Option<&'a Own>,
    /// Our other devices, once listed.
    pub own_others: Option<&'a [OmemoDevice]>,
    /// The contact's devices, once listed.
    pub contact: Option<&'a [OmemoDevice]>,
}

/// End-to-end encryption state kept across conversations.
#[derive(Debug, Default)]
pub struct E2e {
    /// The last OTR state per conversation (client and state), so a
    /// conversation opened later shows its lock right.
    otr: HashMap<Key, (String, OtrSessionState)>,
    omemo: HashMap<String, AccountKeys>,
    /// The encryption chosen per conversation (absent: automatic).
    choices: HashMap<Key, Choice>,
    /// Conversations whose OMEMO devices were asked for in this run.
    asked: HashSet<Key>,
    trust_mode: Option<OmemoTrustMode>,
}

/// Puts `device` in `list` in place of the one with its id.
pub fn upsert(list: &mut Vec<OmemoDevice>, device: &OmemoDevice) {
    match list.iter_mut().find(|d| d.device_id == device.device_id) {
        Some(known) => *known = device.clone(),
        None => list.push(device.clone()),
    }
}

impl E2e {
    /// Applies a core event about encryption.
    pub fn on_event(&mut self, event: &Event) {
        match event {
            Event::OtrState {
                account,
                jid,
                state,
            } => {
                let peer = otr::bare(jid).to_owned();
                self.otr
                    .insert((account.clone(), peer), (jid.clone(), state.clone()));
            }
            Event::OmemoReady {
                account,
                device_id,
                fingerprint,
            } => {
                let keys = self.omemo.entry(account.clone()).or_default();
                match &mut keys.own {
                    Some(own) if own.device_id == *device_id => {
                        own.fingerprint.clone_from(fingerprint);
                    }
                    _ => {
                        keys.own = Some(Own {
                            device_id: *device_id,
                            fingerprint: fingerprint.clone(),
                            uri: None,
                            qr: None,
                        });
                    }
                }
            }
            Event::OmemoFingerprints {
                account,
                own,
                own_uri,
                jid,
                devices,
                ..
            } => {
                let keys = self.omemo.entry(account.clone()).or_default();
                let mine = keys.own.get_or_insert_with(|| Own {
                    device_id: own.device_id,
                    fingerprint: String::new(),
                    uri: None,
                    qr: None,
                });
                if mine.device_id != own.device_id {
                    mine.uri = None;
                    mine.qr = None;
                }
                mine.device_id = own.device_id;
                mine.fingerprint.clone_from(&own.fingerprint);
                mine.set_uri(own_uri);
                keys.devices.insert(jid.clone(), devices.clone());
            }
            Event::OmemoDevice { account, device } => {
                let keys = self.omemo.entry(account.clone()).or_default();
                upsert(keys.devices.entry(device.jid.clone()).or_default(), device);
            }
            Event::OmemoTrustMode { mode } => self.trust_mode = Some(*mode),
            Event::AccountRemoved { account } => {
                self.otr.retain(|(a, _), _| a != account);
                self.choices.retain(|(a, _), _| a != account);
                self.asked.retain(|(a, _)| a != account);
                self.omemo.remove(account);
            }
            _ => {}
        }
    }

    /// The last OTR state seen for a conversation.
    pub fn otr(&self, account: &str, peer: &str) -> Option<(String, OtrSessionState)> {
        self.otr.get(&key(account, peer)).cloned()
    }

    /// The encryption chosen for a conversation, else `default` (the
    /// settings' default encryption).
    pub fn choice(&self, account: &str, peer: &str, default: Choice) -> Choice {
        self.choices
            .get(&key(account, peer))
            .copied()
            .unwrap_or(default)
    }

    /// Remembers the encryption chosen for a conversation.
    pub fn set_choice(&mut self, account: &str, peer: &str, choice: Choice, default: Choice) {
        if choice == default {
            self.choices.remove(&key(account, peer));
        } else {
            self.choices.insert(key(account, peer), choice);
        }
    }

    /// Whether the contact's OMEMO devices are still to be asked for in
    /// this run (true once per conversation).
    pub fn first_look(&mut self, account: &str, peer: &str) -> bool {
        self.asked.insert(key(account, peer))
    }

    /// The OMEMO keys a conversation shows.
    pub fn keys(&self, account: &str, peer: &str) -> Keys<'_> {
        let Some(keys) = self.omemo.get(account) else {
            return Keys::default();
        };
        Keys {
            own: keys.own.as_ref(),
            own_others: keys.devices.get(account).map(Vec::as_slice),
            contact: keys.devices.get(peer).map(Vec::as_slice),
        }
    }

    /// The OMEMO trust mode, once the core has said it.
    pub fn trust_mode(&self) -> Option<OmemoTrustMode> {
        self.trust_mode
    }
}

fn key(account: &str, peer: &str) -> Key {
    (account.to_owned(), peer.to_owned())
}

#[cfg(test)]
mod tests {
    use sotto_core::OmemoTrust;

    use super::*;

    fn device(id: u32, trust: OmemoTrust) -> OmemoDevice {
        OmemoDevice {
            jid: "bob@example.org".into(),
            device_id: id,
            fingerprint: "3f8a2b10 c0ffee00 12345678 9abcdef0 deadbeef 01234567 89abcdef 0a1b2c3d"
                .into(),
            trust,
            active: true,
            namespaces: vec!["omemo2".into()],
            problem: None,
        }
    }

    #[test]
    fn devices_are_replaced_by_id_and_the_qr_code_follows_the_uri() {
        let mut e2e = E2e::default();
        let own = OmemoDevice {
            jid: "alice@example.org".into(),
            ..device(7, OmemoTrust::Verified)
        };
        e2e.on_event(&Event::OmemoFingerprints {
            account: "alice@example.org".into(),
            own,
            own_uri: "xmpp:alice@example.org?omemo-sid-7=3f8a2b10".into(),
            jid: "bob@example.org".into(),
            devices: vec![device(1, OmemoTrust::Blind)],
            request: None,
        });
        e2e.on_event(&Event::OmemoDevice {
            account: "alice@example.org".into(),
            device: device(1, OmemoTrust::Verified),
        });
        e2e.on_event(&Event::OmemoDevice {
            account: "alice@example.org".into(),
            device: device(2, OmemoTrust::Undecided),
        });
        let keys = e2e.keys("alice@example.org", "bob@example.org");
        let contact = keys.contact.unwrap_or_default();
        assert_eq!(contact.len(), 2);
        assert_eq!(contact[0].trust, OmemoTrust::Verified);
        let own = keys.own.map(|o| (o.device_id, o.qr.is_some()));
        assert_eq!(own, Some((7, true)));
        assert!(keys.own_others.is_none());
        assert!(e2e.first_look("alice@example.org", "bob@example.org"));
        assert!(!e2e.first_look("alice@example.org", "bob@example.org"));
        e2e.on_event(&Event::AccountRemoved {
            account: "alice@example.org".into(),
        });
        assert!(
            e2e.keys("alice@example.org", "bob@example.org")
                .own
                .is_none()
        );
    }
}
