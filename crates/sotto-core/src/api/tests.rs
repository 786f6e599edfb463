// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

use super::*;

#[test]
fn commands_round_trip_as_json() {
    let cmd = Command::SendMessage {
        account: "a@example.org".into(),
        to: "b@example.org".into(),
        body: "hi".into(),
        encryption: None,
    };
    let json = serde_json::to_string(&cmd).expect("serialize");
    assert_eq!(
        json,
        r#"{"type":"send_message","account":"a@example.org","to":"b@example.org","body":"hi"}"#
    );
    let back: Command = serde_json::from_str(&json).expect("parse");
    assert_eq!(back, cmd);
}

#[test]
fn add_account_defaults_and_secret_debug() {
    let cmd: Command = serde_json::from_str(
        r#"{"type":"add_account","jid":"a@example.org","password":"hunter2"}"#,
    )
    .expect("parse");
    let dbg = format!("{cmd:?}");
    assert!(!dbg.contains("hunter2"), "{dbg}");
    match cmd {
        Command::AddAccount {
            password,
            server,
            register,
            ..
        } => {
            assert_eq!(password.expose(), "hunter2");
            assert_eq!(server, ServerOptions::default());
            assert!(!register);
        }
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn events_are_tagged() {
    let ev = Event::Connection {
        account: "a@example.org".into(),
        state: ConnectionState::Offline {
            reason: "connection refused".into(),
            retry_in_ms: Some(2000),
        },
    };
    let json = serde_json::to_value(&ev).expect("serialize");
    assert_eq!(json["type"], "connection");
    assert_eq!(json["state"]["state"], "offline");
    assert_eq!(json["state"]["retry_in_ms"], 2000);
}

#[test]
fn unknown_command_is_an_error_not_a_panic() {
    assert!(serde_json::from_str::<Command>(r#"{"type":"launch_rockets"}"#).is_err());
    assert!(serde_json::from_str::<Command>("not json").is_err());
}
