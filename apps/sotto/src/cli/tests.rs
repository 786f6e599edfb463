// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

use super::*;
use clap::CommandFactory;
use clap::error::ErrorKind;

fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
    Cli::try_parse_from(std::iter::once("sotto").chain(args.iter().copied()))
}

const FP: &str = "AB:CD:EF:01:23:45:67:89:ab:cd:ef:01:23:45:67:89:ab:cd:ef:01:23:45:67:89:ab:cd:ef:01:23:45:67:89";

#[test]
fn clap_definition_is_consistent() {
    Cli::command().debug_assert();
}

#[test]
fn account_add_with_every_option() {
    let cli = parse(&[
        "--profile",
        "/tmp/p",
        "account",
        "add",
        "alice@example.org",
        "--password-env",
        "PW",
        "--host",
        "127.0.0.1",
        "--port",
        "5223",
        "--direct-tls",
        "--pin-cert",
        FP,
        "--register",
        "--timeout",
        "3",
    ])
    .expect("parses");
    assert_eq!(cli.global.profile.as_deref(), Some("/tmp/p".as_ref()));
    assert_eq!(cli.global.passphrase_env, "SOTTO_PASSPHRASE");
    let Command::Account(AccountCommand::Add {
        jid,
        password_env,
        host,
        port,
        direct_tls,
        pin_cert,
        register,
        wait,
        tor,
        proxy,
    }) = cli.command
    else {
        panic!("wrong command {:?}", cli.command);
    };
    assert_eq!(jid, "alice@example.org");
    assert_eq!(password_env.as_deref(), Some("PW"));
    assert_eq!(host.as_deref(), Some("127.0.0.1"));
    assert_eq!(port, Some(5223));
    assert!(direct_tls && register);
    assert!(!tor && proxy.is_none());
    assert_eq!(
        pin_cert.as_deref(),
        Some(&*FP.replace(':', "").to_lowercase())
    );
    assert_eq!(wait.timeout, 3);
}

#[test]
fn defaults() {
    let cli = parse(&["send", "bob@example.org", "hello there"]).expect("parses");
    let Command::Send {
        to,
        text,
        encryption,
        account,
        wait,
    } = cli.command
    else {
        panic!("wrong command");
    };
    assert_eq!(
        (to.as_str(), text.as_str()),
        ("bob@example.org", "hello there")
    );
    assert_eq!(encryption, None, "absent: the core chooses");
    assert_eq!(account, None);
    assert_eq!(wait.timeout, 30);
    assert!(!cli.global.keyring);

    let cli = parse(&["history", "bob@example.org"]).expect("parses");
    assert!(matches!(
        cli.command,
        Command::History {
            limit: 50,
            json: false,
            ..
        }
    ));
}

#[test]
fn global_options_go_anywhere() {
    let cli = parse(&["account", "list", "--json", "--keyring", "-vv"]).expect("parses");
    assert!(cli.global.keyring);
    assert_eq!(cli.global.verbose, 2);
    assert!(matches!(
        cli.command,
        Command::Account(AccountCommand::List { json: true })
    ));
    let cli = parse(&["--passphrase-env", "MY_PW", "search", "x", "--limit", "5"]).expect("parses");
    assert_eq!(cli.global.passphrase_env, "MY_PW");
    assert!(matches!(cli.command, Command::Search { limit: 5, .. }));
}

#[test]
fn usage_errors() {
    let kind = |args: &[&str]| parse(args).err().map(|e| e.kind());
    assert_eq!(
        kind(&[]),
        Some(ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand)
    );
    assert_eq!(
        kind(&["account", "add", "example.org"]),
        Some(ErrorKind::ValueValidation)
    );
    assert_eq!(
        kind(&["send", "bob@example.org/phone", "hi"]),
        Some(ErrorKind::ValueValidation)
    );
    assert_eq!(
        kind(&["account", "pin", "a@b.c", "abcd"]),
        Some(ErrorKind::ValueValidation)
    );
    assert_eq!(
        kind(&["send", "bob@example.org"]),
        Some(ErrorKind::MissingRequiredArgument)
    );
    assert_eq!(
        kind(&["send", "b@c.d", "x", "--timeout", "0"]),
        Some(ErrorKind::ValueValidation)
    );
    assert_eq!(
        kind(&["roster", "--bogus"]),
        Some(ErrorKind::UnknownArgument)
    );
    // clap's own exit code for usage errors is 2, which docs/cli.md promises.
    assert_eq!(
        parse(&["account", "nope"])
            .map(|_| ())
            .expect_err("unknown subcommand")
            .exit_code(),
        2
    );
}

#[test]
fn jid_and_fingerprint_parsers() {
    assert_eq!(parse_bare_jid(" a@b.org ").as_deref(), Ok("a@b.org"));
    assert!(parse_bare_jid("@b.org").is_err());
    assert!(parse_bare_jid("a@").is_err());
    assert!(parse_bare_jid("a@b@c").is_err());
    assert!(parse_bare_jid("a b@c.org").is_err());
    let hex = "0123456789abcdef".repeat(4);
    assert_eq!(parse_sha256(&hex.to_uppercase()), Ok(hex.clone()));
    assert!(parse_sha256(&hex[..62]).is_err());
    assert!(parse_sha256(&format!("{}zz", &hex[..62])).is_err());
}

#[test]
fn tor_and_proxy_options() {
    let parse = |args: &[&str]| Cli::try_parse_from(args.iter().copied());
    let cli = parse(&["sotto", "account", "add", "a@b.c", "--tor"]).expect("parses");
    assert!(matches!(
        cli.command,
        Command::Account(AccountCommand::Add { tor: true, .. })
    ));
    let cli = parse(&[
        "sotto",
        "account",
        "add",
        "a@b.c",
        "--proxy",
        "socks5://127.0.0.1:9050",
    ])
    .expect("parses");
    assert!(matches!(
        cli.command,
        Command::Account(AccountCommand::Add {
            proxy: Some(_),
            tor: false,
            ..
        })
    ));
    let both = parse(&[
        "sotto",
        "account",
        "add",
        "a@b.c",
        "--tor",
        "--proxy",
        "socks5://h:1",
    ]);
    assert_eq!(both.map(|_| ()).map_err(|e| e.exit_code()), Err(2));
    for good in [
        "socks5://localhost:1080",
        "socks5h://[::1]:9050/",
        "socks5://10.0.0.1:65535",
    ] {
        assert_eq!(parse_proxy(good).as_deref(), Ok(good));
    }
    for bad in [
        "http://h:1",
        "127.0.0.1:9050",
        "socks5://h",
        "socks5://:1",
        "socks5://h:notaport",
        "socks5://h:0",
        "socks5://h:70000",
        "socks5://::1:9050",
        "socks5://[nope]:9050",
        "socks5://user:secret@h:1",
        "socks5://h:1/path",
        "socks5://h :1",
    ] {
        let result = parse(&["sotto", "account", "add", "a@b.c", "--proxy", bad]);
        assert_eq!(
            result.map(|_| ()).map_err(|e| e.exit_code()),
            Err(2),
            "{bad}"
        );
    }
    for (arg, action) in [
        ("on", TorAction::On),
        ("off", TorAction::Off),
        ("status", TorAction::Status),
    ] {
        let cli = parse(&["sotto", "tor", arg]).expect("parses");
        assert!(matches!(cli.command, Command::Tor { action: a, .. } if a == action));
    }
    assert!(parse(&["sotto", "tor", "maybe"]).is_err());
    assert!(parse(&["sotto", "tor"]).is_err());
    let cli = parse(&["sotto", "tor", "status", "--json"]).expect("parses");
    assert!(matches!(
        cli.command,
        Command::Tor {
            action: TorAction::Status,
            json: true
        }
    ));
    let err = parse(&[
        "sotto",
        "account",
        "add",
        "a@b.c",
        "--proxy",
        "socks5://u:pw@h:1",
    ])
    .map(|_| ())
    .expect_err("credentials are refused");
    assert!(err.to_string().contains("credentials"), "{err}");
    let cli = parse(&["sotto", "--tor-network", "/tmp/net.json", "run"]).expect("parses");
    assert_eq!(
        cli.global.tor_network.as_deref(),
        Some("/tmp/net.json".as_ref())
    );
}

#[test]
fn otr_commands_parse() {
    let cli = parse(&["send", "--encryption", "otr", "bob@example.org", "hi"]).expect("parses");
    assert!(matches!(
        cli.command,
        Command::Send {
            encryption: Some(crate::cli::EncryptionArg::Otr),
            ..
        }
    ));
    let cli = parse(&[
        "otr",
        "smp",
        "bob@example.org",
        "s3cret",
        "--question",
        "Where?",
    ])
    .expect("parses");
    let Command::Otr(crate::cli::OtrCommand::Smp {
        jid,
        secret,
        question,
        ..
    }) = cli.command
    else {
        panic!("wrong command");
    };
    assert_eq!(
        (jid.as_str(), secret.as_str(), question.as_deref()),
        ("bob@example.org", "s3cret", Some("Where?"))
    );
    assert!(parse(&["otr", "import", "/home/u/.purple"]).is_ok());
    assert!(parse(&["otr", "fingerprint", "--json"]).is_ok());
    assert!(parse(&["send", "--encryption", "rot13", "bob@example.org", "hi"]).is_err());
}

const OMEMO_FP: &str = "0a1b2c3d 4e5f6071 8293a4b5 c6d7e8f9 0a1b2c3d 4e5f6071 8293a4b5 c6d7e8f9";

#[test]
fn send_encryption_choices() {
    for (arg, expected) in [
        ("omemo", EncryptionArg::Omemo),
        ("otr", EncryptionArg::Otr),
        ("none", EncryptionArg::None),
    ] {
        let cli = parse(&["send", "b@c.d", "hi", "--encryption", arg]).expect("parses");
        assert!(
            matches!(cli.command, Command::Send { encryption: Some(e), .. } if e == expected),
            "{arg}"
        );
    }
    assert_eq!(
        parse(&["send", "b@c.d", "hi", "--encryption"])
            .map(|_| ())
            .map_err(|e| e.exit_code()),
        Err(2)
    );
}

#[test]
fn fingerprints_parses() {
    let cli = parse(&["fingerprints"]).expect("parses");
    assert!(matches!(
        cli.command,
        Command::Fingerprints {
            jid: None,
            account: None,
            json: false,
            ..
        }
    ));
    let cli = parse(&[
        "fingerprints",
        "bob@example.org",
        "--account",
        "alice@example.org",
        "--json",
        "--timeout",
        "5",
    ])
    .expect("parses");
    let Command::Fingerprints {
        jid,
        account,
        json,
        wait,
    } = cli.command
    else {
        panic!("wrong command {:?}", cli.command);
    };
    assert_eq!(jid.as_deref(), Some("bob@example.org"));
    assert_eq!(account.as_deref(), Some("alice@example.org"));
    assert!(json);
    assert_eq!(wait.timeout, 5);
    assert!(parse(&["fingerprints", "bob@example.org/phone"]).is_err());
}

#[test]
fn trust_and_distrust_take_the_fingerprint_quoted_or_in_groups() {
    let hex = OMEMO_FP.replace(' ', "");
    let quoted = parse(&["trust", "bob@example.org", OMEMO_FP]).expect("parses");
    let Command::Trust(args) = quoted.command else {
        panic!("wrong command");
    };
    assert_eq!(args.jid, "bob@example.org");
    assert_eq!(args.fingerprint(), Ok(hex.clone()));

    let mut grouped = vec!["distrust", "bob@example.org"];
    grouped.extend(OMEMO_FP.split(' '));
    grouped.extend(["--account", "alice@example.org"]);
    let cli = parse(&grouped).expect("parses");
    let Command::Distrust(args) = cli.command else {
        panic!("wrong command");
    };
    assert_eq!(args.fingerprint(), Ok(hex.clone()));
    assert_eq!(args.account.as_deref(), Some("alice@example.org"));

    // Malformed fingerprints parse as arguments but are refused before
    // anything is opened (exit 2, see commands/omemo.rs).
    let cli = parse(&["trust", "bob@example.org", "0a1b2c3d", "nothex"]).expect("parses");
    let Command::Trust(args) = cli.command else {
        panic!("wrong command");
    };
    let err = args.fingerprint().expect_err("malformed");
    assert!(err.contains("64 hex digits"), "{err}");
    assert_eq!(
        parse(&["trust", "bob@example.org"])
            .map(|_| ())
            .map_err(|e| e.kind()),
        Err(ErrorKind::MissingRequiredArgument)
    );
}

#[test]
fn omemo_fingerprint_parser() {
    let hex = OMEMO_FP.replace(' ', "");
    assert_eq!(parse_omemo_fingerprint(OMEMO_FP), Ok(hex.clone()));
    assert_eq!(
        parse_omemo_fingerprint(&hex.to_uppercase()),
        Ok(hex.clone())
    );
    assert_eq!(
        parse_omemo_fingerprint(&format!("05{hex}")),
        Ok(hex.clone())
    );
    assert_eq!(
        parse_omemo_fingerprint(&OMEMO_FP.replace(' ', ":")),
        Ok(hex.clone())
    );
    assert!(parse_omemo_fingerprint(&hex[..62]).is_err());
    assert!(parse_omemo_fingerprint(&format!("{hex}00")).is_err());
    assert!(parse_omemo_fingerprint(&format!("{}zz", &hex[..62])).is_err());
    assert!(parse_omemo_fingerprint("").is_err());
}

#[test]
fn verify_takes_an_omemo_uri() {
    let hex = OMEMO_FP.replace(' ', "");
    let uri = format!("xmpp:bob@example.org?omemo-sid-1234={hex};omemo-sid-99={hex}");
    let cli = parse(&["verify", &uri, "--account", "alice@example.org"]).expect("parses");
    assert!(matches!(&cli.command, Command::Verify { uri: u, .. } if *u == uri));
    assert_eq!(omemo_uri_device_ids(&uri), vec![1234, 99]);
    for bad in [
        format!("https://bob@example.org?omemo-sid-1={hex}"),
        "xmpp:bob@example.org".to_owned(),
        "xmpp:bob@example.org?message".to_owned(),
        format!("xmpp:?omemo-sid-1={hex}"),
        format!("xmpp:bob@example.org?omemo-sid-x={hex}"),
        "xmpp:bob@example.org?omemo-sid-1=abcd".to_owned(),
    ] {
        assert!(parse_omemo_uri(&bad).is_err(), "{bad}");
        assert_eq!(
            parse(&["verify", &bad])
                .map(|_| ())
                .map_err(|e| e.exit_code()),
            Err(2),
            "{bad}"
        );
    }
}
