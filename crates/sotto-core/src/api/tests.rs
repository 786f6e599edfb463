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

#[test]
fn a_request_is_a_command_with_one_more_field() {
    let json =
        r#"{"type":"add_account","jid":"a@example.org","password":"hunter2","request":"r1"}"#;
    let request: Request = serde_json::from_str(json).expect("parse");
    assert_eq!(request.request.as_deref(), Some("r1"));
    let Command::AddAccount { password, .. } = &request.command else {
        panic!("{request:?}");
    };
    assert_eq!(password.expose(), "hunter2");
    // Redacted in Debug, with the id shown.
    let shown = format!("{request:?}");
    assert!(
        !shown.contains("hunter2") && shown.contains("r1"),
        "{shown}"
    );
    // Without an id it is a plain command, and writes back the same.
    let plain: Request = serde_json::from_str(r#"{"type":"list_accounts"}"#).expect("parse");
    assert_eq!(plain, Request::from(Command::ListAccounts));
    assert_eq!(
        serde_json::to_string(&plain).expect("write"),
        r#"{"type":"list_accounts"}"#
    );
    // A bad command is still an error, and never echoes a password.
    let error = serde_json::from_str::<Request>(
        r#"{"type":"add_account","jid":"a@b.c","password":"hunter2","register":"x","request":"r2"}"#,
    )
    .expect_err("register is no string");
    assert!(!error.to_string().contains("hunter2"), "{error}");
}

#[test]
fn answering_events_carry_the_request_and_others_do_not() {
    let mut added = Event::CommandFailed {
        account: None,
        reason: "x".into(),
        request: None,
    };
    assert_eq!(added.answer("r1".into()), Ok(()));
    assert_eq!(added.request(), Some("r1"));
    let json = serde_json::to_value(&added).expect("serialize");
    assert_eq!(json["request"], "r1");
    let mut state = Event::Stopped;
    assert_eq!(state.answer("r2".into()), Err("r2".to_owned()));
    assert_eq!(state.request(), None);
}
