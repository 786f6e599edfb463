// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! Keeps `docs/core-api.md` honest: every ```json block in it must parse as
//! a `Command` or an `Event` without unknown fields, and every variant of
//! both enums (and every connection state) must have an example.

#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;

use serde_json::Value;
use sotto_core::{Command, Event};

const DOC: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/core-api.md");
/// Where the enums are declared (`api.rs` and its modules).
const API_SOURCES: &[&str] = &[
    concat!(env!("CARGO_MANIFEST_DIR"), "/src/api.rs"),
    concat!(env!("CARGO_MANIFEST_DIR"), "/src/api/command.rs"),
    concat!(env!("CARGO_MANIFEST_DIR"), "/src/api/connection.rs"),
    concat!(env!("CARGO_MANIFEST_DIR"), "/src/api/event.rs"),
];

/// Every `Command` variant of the API, as its `"type"` tag.
const COMMANDS: &[&str] = &[
    "add_account",
    "edit_account",
    "remove_account",
    "set_account_enabled",
    "pin_certificate",
    "change_password",
    "send_message",
    "send_file",
    "cancel_transfer",
    "save_file",
    "retry_message",
    "send_chat_state",
    "set_presence",
    "add_contact",
    "remove_contact",
    "rename_contact",
    "answer_subscription",
    "set_blocked",
    "get_roster",
    "open_conversation",
    "load_older",
    "search",
    "otr_start",
    "otr_end",
    "otr_smp",
    "otr_smp_respond",
    "otr_smp_abort",
    "get_otr_fingerprints",
    "set_otr_trust",
    "import_otr",
    "get_omemo_fingerprints",
    "set_omemo_trust",
    "verify_omemo_uri",
    "join_room",
    "leave_room",
    "send_room_message",
    "set_omemo_trust_mode",
    "change_profile_protection",
    "set_tor_everywhere",
    "get_tor_status",
    "list_accounts",
    "shutdown",
];

/// Every `Event` variant of the API, as its `"type"` tag.
const EVENTS: &[&str] = &[
    "accounts_snapshot",
    "account_changed",
    "account_removed",
    "account_registered",
    "password_changed",
    "connection",
    "certificate_untrusted",
    "certificate_changed",
    "authentication_failed",
    "channel_binding_rejected",
    "server_features",
    "roster_snapshot",
    "roster_item_changed",
    "roster_item_removed",
    "presence",
    "subscription_request",
    "blocklist",
    "conversation_snapshot",
    "history_page",
    "message_added",
    "message_state_changed",
    "message_held",
    "conversation_encryption",
    "omemo_device_list",
    "chat_state",
    "archive_synced",
    "room_joined",
    "room_occupant_changed",
    "room_left",
    "room_error",
    "room_subject",
    "search_results",
    "tor_status",
    "tor_everywhere",
    "otr_state",
    "otr_smp",
    "otr_unreadable",
    "otr_fingerprints",
    "otr_imported",
    "omemo_ready",
    "omemo_unavailable",
    "omemo_fingerprints",
    "omemo_device",
    "omemo_unreadable",
    "omemo_session_repaired",
    "omemo_device_skipped",
    "omemo_trust_mode",
    "transfer",
    "profile_protection_changed",
    "profile_protection_unchanged",
    "command_failed",
    "stopped",
];

/// Every `ConnectionState`, as its `"state"` tag.
const CONNECTION_STATES: &[&str] = &["disabled", "connecting", "online", "offline"];

/// The bodies of the ```json fences of a Markdown text.
fn json_blocks(markdown: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in markdown.lines() {
        let fence = line.trim_start();
        match &mut current {
            None if fence.starts_with("```json") => current = Some(String::new()),
            Some(_) if fence.starts_with("```") => blocks.extend(current.take()),
            Some(block) => {
                block.push_str(line);
                block.push('\n');
            }
            None => {}
        }
    }
    assert!(current.is_none(), "an unterminated ```json block");
    blocks
}

/// `FooBar` → `foo_bar`, as `#[serde(rename_all = "snake_case")]` does.
fn snake_case(name: &str) -> String {
    let mut out = String::new();
    for (i, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// The variant names of `pub enum {name}` in `source`, read from the lines
/// one level inside the enum that start a variant.
fn variants_in_source(source: &str, name: &str) -> BTreeSet<String> {
    let opening = format!("pub enum {name} {{");
    let mut lines = source.lines().skip_while(|l| l.trim() != opening).skip(1);
    let mut found = BTreeSet::new();
    for line in lines.by_ref() {
        if line == "}" {
            break;
        }
        let Some(rest) = line.strip_prefix("    ") else {
            continue;
        };
        if rest.starts_with(char::is_whitespace) || !rest.starts_with(char::is_uppercase) {
            continue;
        }
        let ident: String = rest
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect();
        found.insert(snake_case(&ident));
    }
    assert!(
        !found.is_empty(),
        "no variants of {name} found in the API sources"
    );
    found
}

/// Asserts that everything written in the example is also in what the parsed
/// value serializes to: catches misspelled or stale field names, which serde
/// would otherwise ignore silently.
fn assert_subset(example: &Value, parsed: &Value, path: &str, block: &str) {
    match (example, parsed) {
        (Value::Object(example), Value::Object(parsed)) => {
            for (key, value) in example {
                let Some(other) = parsed.get(key) else {
                    panic!("unknown field {path}.{key} in:\n{block}");
                };
                assert_subset(value, other, &format!("{path}.{key}"), block);
            }
        }
        (Value::Array(example), Value::Array(parsed)) => {
            assert_eq!(example.len(), parsed.len(), "{path} in:\n{block}");
            for (i, (a, b)) in example.iter().zip(parsed).enumerate() {
                assert_subset(a, b, &format!("{path}[{i}]"), block);
            }
        }
        (example, parsed) => assert_eq!(example, parsed, "{path} in:\n{block}"),
    }
}

#[test]
fn every_json_example_parses_and_every_variant_is_documented() {
    let markdown = std::fs::read_to_string(DOC).unwrap();
    let blocks = json_blocks(&markdown);
    assert!(!blocks.is_empty(), "no ```json blocks in {DOC}");

    let mut commands = BTreeSet::new();
    let mut events = BTreeSet::new();
    let mut states = BTreeSet::new();
    for block in &blocks {
        let example: Value =
            serde_json::from_str(block).unwrap_or_else(|e| panic!("not JSON ({e}):\n{block}"));
        let tag = example["type"].as_str().unwrap_or_default().to_owned();
        let reparsed = if let Ok(command) = serde_json::from_value::<Command>(example.clone()) {
            commands.insert(tag);
            serde_json::to_value(&command).unwrap()
        } else if let Ok(event) = serde_json::from_value::<Event>(example.clone()) {
            if let Event::Connection { state, .. } = &event {
                let json = serde_json::to_value(state).unwrap();
                states.insert(json["state"].as_str().unwrap().to_owned());
            }
            events.insert(tag);
            serde_json::to_value(&event).unwrap()
        } else {
            let as_command = serde_json::from_value::<Command>(example.clone()).unwrap_err();
            let as_event = serde_json::from_value::<Event>(example.clone()).unwrap_err();
            panic!("neither a Command ({as_command}) nor an Event ({as_event}):\n{block}");
        };
        assert_subset(&example, &reparsed, "$", block);
    }

    let expected = |list: &[&str]| list.iter().map(|s| s.to_string()).collect::<BTreeSet<_>>();
    let missing = |expected: &BTreeSet<String>, seen: &BTreeSet<String>| {
        expected.difference(seen).cloned().collect::<Vec<_>>()
    };
    assert_eq!(
        missing(&expected(COMMANDS), &commands),
        Vec::<String>::new(),
        "commands without an example in docs/core-api.md"
    );
    assert_eq!(
        missing(&expected(EVENTS), &events),
        Vec::<String>::new(),
        "events without an example in docs/core-api.md"
    );
    assert_eq!(
        missing(&expected(CONNECTION_STATES), &states),
        Vec::<String>::new(),
        "connection states without an example in docs/core-api.md"
    );
}

#[test]
fn the_variant_lists_match_api_rs() {
    // When a variant is added to the API, this fails until the lists above
    // (and so docs/core-api.md) are brought up to date.
    let source: String = API_SOURCES
        .iter()
        .map(|path| std::fs::read_to_string(path).unwrap())
        .collect::<Vec<_>>()
        .join("\n");
    let expected = |list: &[&str]| list.iter().map(|s| s.to_string()).collect::<BTreeSet<_>>();
    assert_eq!(variants_in_source(&source, "Command"), expected(COMMANDS));
    assert_eq!(variants_in_source(&source, "Event"), expected(EVENTS));
    assert_eq!(
        variants_in_source(&source, "ConnectionState"),
        expected(CONNECTION_STATES)
    );
}

#[test]
fn the_block_extractor_finds_only_json_fences() {
    let text =
        "a\n```json\n{\"type\":\"stopped\"}\n```\n```\nnot json\n```\n  ```json\n{}\n  ```\n";
    assert_eq!(
        json_blocks(text),
        vec!["{\"type\":\"stopped\"}\n".to_string(), "{}\n".to_string()]
    );
    assert_eq!(snake_case("SetAccountEnabled"), "set_account_enabled");
}
