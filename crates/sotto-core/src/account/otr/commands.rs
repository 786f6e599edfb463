// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! OTR commands from front ends: start, end, SMP, fingerprints, trust,
//! Pidgin import.

use std::sync::Arc;

use sotto_otr::{Action, Policy};
use sotto_store::{OtrFingerprint, OtrIdentity, OtrTrust, normalize_fingerprint};
use xmpp_parsers::jid::Jid;

use super::{OtrSessions, bare_of, now, now_ms};
use crate::account::Account;
use crate::api::otr::human_fingerprint;
use crate::api::{Event, OtrContactFingerprint, SmpProgress};

impl Account {
    /// Asks the contact (every client of it) to start OTR.
    pub(crate) async fn otr_start(&mut self, jid: &str) {
        // Normalised as incoming stanzas name it, so replies find the
        // conversation.
        let target = match jid.parse::<Jid>() {
            Ok(parsed) if parsed.node().is_some() => parsed.to_string(),
            _ => return self.fail(format!("{jid:?} is not a contact's JID")),
        };
        let identity = match self.otr_identity().await {
            Ok(identity) => identity,
            Err(reason) => return self.fail(reason),
        };
        if self.live().is_none() {
            return;
        }
        let actions = self.conversation(&identity, &target).start();
        if !target.contains('/') {
            // The query went to the bare JID: whichever client answers gets
            // its own conversation.
            self.otr.conversations.remove(&target);
            self.otr.touched.remove(&target);
            self.otr.asked.insert(target.clone());
        }
        for action in actions {
            if let Action::SendWire(body) = action {
                self.send_otr_body(&target, &body);
            }
        }
    }

    pub(crate) fn otr_end(&mut self, jid: &str) {
        let Some(full) = self.otr_client(jid) else {
            return self.fail(format!("no OTR session with {jid}"));
        };
        let result = match self.otr.conversations.get_mut(&full) {
            Some(conversation) => conversation.end(now()),
            None => return self.fail(format!("no OTR session with {jid}")),
        };
        self.otr.asked.remove(&bare_of(&full));
        match result {
            Ok(actions) => self.otr_actions(&full, actions, None),
            Err(e) => self.fail(format!("ending the OTR session with {full}: {e}")),
        }
    }

    pub(crate) fn otr_smp(
        &mut self,
        jid: &str,
        secret: &str,
        question: Option<&str>,
        respond: bool,
    ) {
        let Some(full) = self.otr_client(jid) else {
            return self.fail(format!("no OTR session with {jid}: start one first"));
        };
        let Some(conversation) = self.otr.conversations.get_mut(&full) else {
            return self.fail(format!("no OTR session with {jid}: start one first"));
        };
        let mut rng = rand::rng();
        let result = if respond {
            conversation.smp_respond(secret.as_bytes(), now(), &mut rng)
        } else {
            conversation.smp_start(secret.as_bytes(), question, now(), &mut rng)
        };
        match result {
            Ok(actions) => {
                if !respond {
                    self.emit(Event::OtrSmp {
                        account: self.jid.clone(),
                        jid: full.clone(),
                        progress: SmpProgress::InProgress { percent: 20 },
                    });
                }
                self.otr_actions(&full, actions, None);
            }
            Err(e) => self.fail(format!("verifying {full} with SMP: {e}")),
        }
    }

    pub(crate) fn otr_smp_abort(&mut self, jid: &str) {
        let Some(full) = self.otr_client(jid) else {
            return self.fail(format!("no OTR session with {jid}"));
        };
        let Some(conversation) = self.otr.conversations.get_mut(&full) else {
            return self.fail(format!("no OTR session with {jid}"));
        };
        match conversation.smp_abort(now()) {
            Ok(actions) => {
                self.otr_actions(&full, actions, None);
                self.emit(Event::OtrSmp {
                    account: self.jid.clone(),
                    jid: full,
                    progress: SmpProgress::Aborted,
                });
            }
            Err(e) => self.fail(format!("aborting SMP with {full}: {e}")),
        }
    }

    pub(crate) async fn otr_fingerprints(&mut self) {
        let identity = match self.otr_identity().await {
            Ok(identity) => identity,
            Err(reason) => return self.fail(reason),
        };
        let contacts = match self.store.all_otr_fingerprints(&self.jid) {
            Ok(list) => list
                .into_iter()
                .map(|f| OtrContactFingerprint {
                    contact: f.contact,
                    fingerprint: human_fingerprint(&f.fingerprint),
                    trust: f.trust,
                })
                .collect(),
            Err(e) => return self.fail(format!("reading OTR fingerprints: {e}")),
        };
        self.emit(Event::OtrFingerprints {
            account: self.jid.clone(),
            own: human_fingerprint(&identity.fingerprint().to_hex()),
            contacts,
            request: None,
        });
    }

    pub(crate) fn otr_set_trust(&mut self, contact: &str, fingerprint: &str, verified: bool) {
        let Some(hex) = normalize_fingerprint(fingerprint) else {
            return self.fail(format!(
                "{fingerprint:?} is not an OTR fingerprint (40 hex digits)"
            ));
        };
        let contact = bare_of(contact);
        let record = OtrFingerprint {
            contact: contact.clone(),
            fingerprint: hex,
            trust: if verified {
                OtrTrust::Fingerprint
            } else {
                OtrTrust::Unverified
            },
            first_seen_ms: now_ms(),
        };
        if let Err(e) = self.store.put_otr_fingerprint(&self.jid, &record) {
            return self.fail(format!("storing the OTR trust decision: {e}"));
        }
        // Show the new trust on the contact's live sessions.
        let clients: Vec<String> = self
            .otr
            .conversations
            .keys()
            .filter(|full| bare_of(full) == contact)
            .cloned()
            .collect();
        for full in clients {
            self.report_state(&full, false);
        }
        self.otr_key_confirmed(&contact);
    }

    /// Imports the key (and known fingerprints) of a Pidgin/libotr profile.
    pub(crate) fn otr_import(&mut self, dir: &str) {
        match self.try_import(std::path::Path::new(dir)) {
            Ok((fingerprint, contacts)) => self.emit(Event::OtrImported {
                account: self.jid.clone(),
                fingerprint,
                contacts,
            }),
            Err(reason) => self.fail(reason),
        }
    }

    fn try_import(&mut self, dir: &std::path::Path) -> Result<(String, usize), String> {
        let read = |name: &str| std::fs::read_to_string(dir.join(name));
        // Not `read_to_string`: libgcrypt sometimes writes a key number as a
        // quoted string of raw bytes, so real key files are not always UTF-8.
        let keys = std::fs::read(dir.join("otr.private_key"))
            .map_err(|e| format!("reading {}: {e}", dir.join("otr.private_key").display()))?;
        let keys = sotto_otr::parse_private_keys(&keys)
            .map_err(|e| format!("reading the Pidgin OTR key file: {e}"))?;
        let key = keys
            .iter()
            .find(|k| k.bare_account() == self.jid && k.protocol == "prpl-jabber")
            .or_else(|| keys.iter().find(|k| k.bare_account() == self.jid))
            .ok_or_else(|| {
                format!(
                    "the Pidgin OTR key file has no key for {} (it has {} key(s))",
                    self.jid,
                    keys.len()
                )
            })?;
        let tag = match self.store.otr_identity(&self.jid) {
            Ok(Some(existing)) => existing.instance_tag,
            _ => sotto_otr::InstanceTag::generate(&mut rand::rng()).get(),
        };
        let instance_tag = sotto_otr::InstanceTag::new(tag)
            .map_err(|e| format!("the OTR instance tag is unusable: {e}"))?;
        self.store
            .set_otr_identity(
                &self.jid,
                &OtrIdentity {
                    private_key: key.key.to_bytes(),
                    instance_tag: tag,
                },
            )
            .map_err(|e| format!("storing the imported OTR key: {e}"))?;
        // Sessions made with the old key end with it.
        self.otr = OtrSessions::default();
        self.otr.identity = Some(Arc::new(sotto_otr::Account::new(
            key.key.clone(),
            instance_tag,
            Policy::Opportunistic,
        )));
        let mut imported = 0;
        if let Ok(text) = read("otr.fingerprints") {
            let known = sotto_otr::parse_fingerprints(&text)
                .map_err(|e| format!("reading the Pidgin OTR fingerprints: {e}"))?;
            for entry in known.iter().filter(|f| bare_of(&f.account) == self.jid) {
                let trust = if entry.trust.is_verified() {
                    OtrTrust::Fingerprint
                } else {
                    OtrTrust::Unverified
                };
                let record = OtrFingerprint {
                    contact: bare_of(&entry.username),
                    fingerprint: entry.fingerprint.to_hex(),
                    trust,
                    first_seen_ms: now_ms(),
                };
                self.store
                    .put_otr_fingerprint(&self.jid, &record)
                    .map_err(|e| format!("storing an imported OTR fingerprint: {e}"))?;
                imported += 1;
            }
        }
        Ok((human_fingerprint(&key.key.fingerprint().to_hex()), imported))
    }
}
