// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! The GUI's copy of every account's roster and of contacts' presence,
//! built from snapshots and changes, and the grouping and sorting the
//! contact list shows.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use sotto_core::{Availability, Event};
use sotto_store::RosterItem;

use crate::widgets::presence_rank;

/// Where contacts without a roster group are listed.
pub const UNGROUPED: &str = "Contacts";

/// Rosters and presence of all accounts.
#[derive(Debug, Default)]
pub struct Rosters {
    items: BTreeMap<String, Vec<RosterItem>>,
    /// (account, contact bare JID) → resource → availability.
    presence: HashMap<(String, String), HashMap<String, Availability>>,
    /// Account → the bare JIDs its server blocks for it.
    blocked: HashMap<String, BTreeSet<String>>,
}

/// One contact as the list shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry<'a> {
    /// The account it belongs to.
    pub account: &'a str,
    /// The roster item.
    pub item: &'a RosterItem,
    /// Best presence among its resources.
    pub presence: Option<Availability>,
}

impl Entry<'_> {
    /// The name to show: the roster name, else the JID.
    pub fn display_name(&self) -> &str {
        self.item
            .name
            .as_deref()
            .filter(|n| !n.trim().is_empty())
            .unwrap_or(&self.item.jid)
    }
}

impl Rosters {
    /// Applies a core event; returns whether anything changed.
    pub fn on_event(&mut self, event: &Event) -> bool {
        match event {
            Event::RosterSnapshot { account, items } => {
                self.items.insert(account.clone(), items.clone());
                true
            }
            Event::Blocklist { account, blocked } => {
                self.blocked
                    .insert(account.clone(), blocked.iter().cloned().collect());
                true
            }
            Event::RosterItemChanged { account, item } => {
                let list = self.items.entry(account.clone()).or_default();
                match list.iter_mut().find(|i| i.jid == item.jid) {
                    Some(existing) => *existing = item.clone(),
                    None => {
                        let at = list.partition_point(|i| i.jid < item.jid);
                        list.insert(at, item.clone());
                    }
                }
                true
            }
            Event::RosterItemRemoved { account, jid } => {
                if let Some(list) = self.items.get_mut(account) {
                    list.retain(|i| &i.jid != jid);
                }
                true
            }
            Event::Presence {
                account,
                from,
                availability,
                ..
            } => {
                let (bare, resource) = match from.split_once('/') {
                    Some((bare, resource)) => (bare, resource),
                    None => (from.as_str(), ""),
                };
                let resources = self
                    .presence
                    .entry((account.clone(), bare.to_lowercase()))
                    .or_default();
                if *availability == Availability::Unavailable {
                    resources.remove(resource);
                } else {
                    resources.insert(resource.to_owned(), *availability);
                }
                true
            }
            Event::AccountRemoved { account } => {
                self.items.remove(account);
                self.presence.retain(|(a, _), _| a != account);
                self.blocked.remove(account);
                true
            }
            Event::Connection { account, state } => {
                // Offline: nobody's presence is known any more.
                if !matches!(state, sotto_core::ConnectionState::Online { .. }) {
                    self.presence.retain(|(a, _), _| a != account);
                }
                false
            }
            _ => false,
        }
    }

    /// The best presence of a contact.
    pub fn presence(&self, account: &str, jid: &str) -> Option<Availability> {
        self.presence
            .get(&(account.to_owned(), jid.to_lowercase()))
            .and_then(|resources| {
                resources
                    .values()
                    .copied()
                    .min_by_key(|a| presence_rank(Some(*a)))
            })
    }

    /// Whether the account's server blocks `jid` for it.
    pub fn is_blocked(&self, account: &str, jid: &str) -> bool {
        self.blocked
            .get(account)
            .is_some_and(|set| set.contains(&jid.to_lowercase()))
    }

    /// One roster item.
    pub fn item(&self, account: &str, jid: &str) -> Option<&RosterItem> {
        self.items.get(account)?.iter().find(|i| i.jid == jid)
    }

    /// Number of contacts across accounts.
    pub fn len(&self) -> usize {
        self.items.values().map(Vec::len).sum()
    }

    /// Whether no account has any contact.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The contacts matching `filter` (case-insensitive, in name or JID),
    /// grouped by roster group (groups sorted by name, ungrouped last) and
    /// sorted within each group by presence, then name. A contact in
    /// several groups is listed in each.
    pub fn grouped(&self, filter: &str) -> Vec<(String, Vec<Entry<'_>>)> {
        let filter = filter.trim().to_lowercase();
        let mut groups: BTreeMap<(bool, String), Vec<Entry<'_>>> = BTreeMap::new();
        for (account, items) in &self.items {
            for item in items {
                let entry = Entry {
                    account,
                    item,
                    presence: self.presence(account, &item.jid),
                };
                if !filter.is_empty()
                    && !entry.display_name().to_lowercase().contains(&filter)
                    && !item.jid.to_lowercase().contains(&filter)
                {
                    continue;
                }
                if item.groups.is_empty() {
                    groups
                        .entry((true, UNGROUPED.to_owned()))
                        .or_default()
                        .push(entry);
                } else {
                    for group in &item.groups {
                        groups
                            .entry((false, group.clone()))
                            .or_default()
                            .push(entry.clone());
                    }
                }
            }
        }
        groups
            .into_iter()
            .map(|((_, name), mut entries)| {
                entries.sort_by(|a, b| {
                    presence_rank(a.presence)
                        .cmp(&presence_rank(b.presence))
                        .then_with(|| {
                            a.display_name()
                                .to_lowercase()
                                .cmp(&b.display_name().to_lowercase())
                        })
                        .then_with(|| a.account.cmp(b.account))
                });
                (name, entries)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use sotto_store::Subscription;

    use super::*;

    fn item(jid: &str, name: Option<&str>, groups: &[&str]) -> RosterItem {
        RosterItem {
            jid: jid.into(),
            name: name.map(Into::into),
            subscription: Subscription::Both,
            ask_subscribe: false,
            groups: groups.iter().map(|g| (*g).to_owned()).collect(),
        }
    }

    fn presence(from: &str, availability: Availability) -> Event {
        Event::Presence {
            account: "a@x".into(),
            from: from.into(),
            availability,
            status: None,
        }
    }

    #[test]
    fn groups_sorted_by_presence_then_name() {
        let mut r = Rosters::default();
        r.on_event(&Event::RosterSnapshot {
            account: "a@x".into(),
            items: vec![
                item("ann@x", Some("Ann"), &["Friends"]),
                item("bob@x", Some("Bob"), &["Friends", "Work"]),
                item("cy@x", None, &[]),
                item("dee@x", Some("Dee"), &["Friends"]),
            ],
        });
        r.on_event(&presence("dee@x/phone", Availability::Available));
        r.on_event(&presence("bob@x/pc", Availability::Away));
        let groups = r.grouped("");
        let names: Vec<(String, Vec<&str>)> = groups
            .iter()
            .map(|(g, e)| (g.clone(), e.iter().map(Entry::display_name).collect()))
            .collect();
        assert_eq!(
            names,
            vec![
                ("Friends".into(), vec!["Dee", "Bob", "Ann"]),
                ("Work".into(), vec!["Bob"]),
                (UNGROUPED.into(), vec!["cy@x"]),
            ]
        );
        // The best resource counts; going offline on all resources clears it.
        r.on_event(&presence("bob@x/phone", Availability::Chat));
        assert_eq!(r.presence("a@x", "bob@x"), Some(Availability::Chat));
        r.on_event(&presence("bob@x/phone", Availability::Unavailable));
        r.on_event(&presence("bob@x/pc", Availability::Unavailable));
        assert_eq!(r.presence("a@x", "bob@x"), None);
        // Search by name or JID.
        let found: Vec<&str> = r
            .grouped("DE")
            .iter()
            .flat_map(|(_, e)| e.iter().map(|e| e.item.jid.as_str()))
            .collect();
        assert_eq!(found, vec!["dee@x"]);
        // Changes and removals.
        r.on_event(&Event::RosterItemChanged {
            account: "a@x".into(),
            item: item("ann@x", Some("Annie"), &[]),
        });
        r.on_event(&Event::RosterItemRemoved {
            account: "a@x".into(),
            jid: "cy@x".into(),
        });
        assert_eq!(
            r.item("a@x", "ann@x").and_then(|i| i.name.as_deref()),
            Some("Annie")
        );
        assert_eq!(r.len(), 3);
    }
}
