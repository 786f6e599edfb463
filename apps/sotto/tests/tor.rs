// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! Sotto over a real (private) Tor network on loopback, run once for every
//! scenario: two profiles chat through the built-in Tor (Arti); a profile
//! reaches Prosody as a `.onion` service; a profile uses a C tor client's
//! SOCKS5 port; and the CLI, traced with strace, opens no connection except
//! to the network's relays, reads no resolver configuration, and stays
//! offline instead of connecting directly once Tor is gone.

#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Command as Process, Output, Stdio};

use sotto_core::{
    Command, CustomAuthority, CustomFallback, CustomNetwork, Event, Secret, ServerOptions,
};
use sotto_store::{Direction, MessageState};
use sotto_tests::profile::Profile;
use sotto_tests::tor::{TorNetwork, TorOptions};
use sotto_tests::{Prosody, TestDir};

const PASSPHRASE: &str = "tor suite passphrase";

fn custom_network(network: &TorNetwork) -> CustomNetwork {
    CustomNetwork {
        authorities: network
            .authorities()
            .into_iter()
            .map(|a| CustomAuthority {
                v3ident: a.v3ident,
                dir_addr: ([127, 0, 0, 1], a.dir_port).into(),
            })
            .collect(),
        fallbacks: network
            .relays()
            .into_iter()
            .map(|r| CustomFallback {
                rsa_identity: r.rsa_fingerprint,
                ed_identity: r.ed25519_identity,
                orports: vec![([127, 0, 0, 1], r.or_port).into()],
            })
            .collect(),
        loopback: true,
    }
}

fn server(prosody: &Prosody, host: &str, tor: bool, proxy: Option<String>) -> ServerOptions {
    ServerOptions {
        host: Some(host.into()),
        port: Some(prosody.c2s_port()),
        pinned_cert_sha256: Some(prosody.cert_sha256()),
        tor,
        proxy,
        ..ServerOptions::default()
    }
}

async fn add(
    profile: &mut Profile,
    prosody: &Prosody,
    user: &str,
    server: ServerOptions,
) -> String {
    profile.send(Command::AddAccount {
        jid: prosody.jid(user),
        password: Secret::new(format!("{user}-pw")),
        server,
        register: false,
    });
    let jid = profile.online(&prosody.jid(user)).await;
    // As `Profile::login` does: once the device's OMEMO keys are
    // published, whether a contact "has OMEMO" no longer depends on timing.
    let account = prosody.jid(user);
    let ready = profile
        .expect(
            "OMEMO ready",
            |e| matches!(e, Event::OmemoReady { account: a, .. } if *a == account),
        )
        .await;
    profile.seen.insert(0, ready);
    jid
}

async fn chat(from: &mut Profile, to: &mut Profile, from_jid: &str, to_jid: &str, body: &str) {
    from.send_message(from_jid, to_jid, body);
    let sent = from.expect_message(body).await;
    let got = to.expect_message(body).await;
    assert_eq!(got.direction, Direction::Incoming);
    let id = sent.id;
    from.expect("receipt", move |e| {
        matches!(e, Event::MessageStateChanged { id: i, state: MessageState::Delivered, .. } if *i == id)
    })
    .await;
}

/// Runs the CLI under strace; returns its output and the trace.
fn traced_cli(dir: &Path, trace: &Path, args: &[&str]) -> (Output, String) {
    let out = Process::new("strace")
        .args(["-f", "-qq", "-e", "trace=connect,openat", "-o"])
        .arg(trace)
        .arg(env!("CARGO_BIN_EXE_sotto"))
        .arg("--profile")
        .arg(dir)
        .args(args)
        .env("SOTTO_PASSPHRASE", PASSPHRASE)
        .env("ACCOUNT_PASSWORD", "erin-pw")
        .env("FRANK_PASSWORD", "frank-pw")
        .env_remove("RUST_LOG")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    eprintln!(
        "$ sotto {}\n[exit {:?}]\n{}{}",
        args.join(" "),
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out, std::fs::read_to_string(trace).unwrap())
}

/// Every network connection and name lookup in an strace log, except
/// connections to one of `allowed` ports on 127.0.0.1.
///
/// A host name lookup through glibc either asks nscd or reads `/etc/hosts`,
/// `/etc/resolv.conf` (and `/etc/host.conf`, `/etc/gai.conf`) and sends to
/// port 53. nscd is not running on the test machines, so every connect to its
/// socket must fail (ENOENT) — such connects come from user/group lookups
/// (Arti checks the ownership of its state directory), and a host lookup
/// would then have to read the files, which is what is checked here.
fn leaks(trace: &str, allowed: &BTreeSet<u16>) -> Vec<String> {
    let mut found = Vec::new();
    for line in trace.lines() {
        if line.contains("connect(") {
            if line.contains("AF_INET6") {
                found.push(line.to_owned());
            } else if line.contains("AF_INET") {
                let port = line
                    .split("htons(")
                    .nth(1)
                    .and_then(|rest| rest.split(')').next())
                    .and_then(|p| p.parse::<u16>().ok());
                let local = line.contains("inet_addr(\"127.0.0.1\")");
                if !local || !port.is_some_and(|p| allowed.contains(&p)) {
                    found.push(line.to_owned());
                }
            } else if line.contains("nscd") && !line.contains("ENOENT") {
                found.push(format!(
                    "{line}   <- nscd answered: cannot rule out a lookup"
                ));
            }
        }
        if line.contains("openat(")
            && [
                "/etc/resolv.conf",
                "/etc/hosts",
                "/etc/host.conf",
                "/etc/gai.conf",
            ]
            .iter()
            .any(|f| line.contains(&format!("\"{f}\"")))
        {
            found.push(line.to_owned());
        }
        if line.contains("htons(53)") {
            found.push(line.to_owned());
        }
    }
    found
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tor_suite() {
    // RUST_LOG=sotto_core=debug,sotto_xmpp=debug shows where time goes.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_test_writer()
        .try_init();
    let mut network = tokio::task::spawn_blocking(|| {
        TorNetwork::start(TorOptions {
            relays: 6,
            onion_ready: true,
        })
    })
    .await
    .unwrap()
    .unwrap();
    let prosody = Prosody::start().unwrap();
    for user in ["alice", "bob", "carol", "dave", "erin", "frank"] {
        prosody.register(user, &format!("{user}-pw")).unwrap();
    }
    let custom = custom_network(&network);

    // 1. Two profiles chat through the built-in Tor, with visible progress.
    let mut alice = Profile::with_tor_network("tor-alice", Some(custom.clone()));
    let mut bob = Profile::with_tor_network("tor-bob", Some(custom.clone()));
    add(
        &mut alice,
        &prosody,
        "alice",
        server(&prosody, "127.0.0.1", true, None),
    )
    .await;
    add(
        &mut bob,
        &prosody,
        "bob",
        server(&prosody, "127.0.0.1", true, None),
    )
    .await;
    alice
        .expect("Tor progress", |e| {
            matches!(e, Event::TorStatus { ready: true, .. })
        })
        .await;
    chat(
        &mut alice,
        &mut bob,
        "alice@localhost",
        "bob@localhost",
        "hello through tor",
    )
    .await;
    chat(
        &mut bob,
        &mut alice,
        "bob@localhost",
        "alice@localhost",
        "and back through tor",
    )
    .await;

    // 2. Prosody as a .onion service.
    let onion = {
        let port = prosody.c2s_port();
        tokio::task::block_in_place(|| network.add_onion_service(port)).unwrap()
    };
    assert!(onion.ends_with(".onion"), "{onion}");
    let mut carol = Profile::with_tor_network("tor-carol", Some(custom.clone()));
    add(
        &mut carol,
        &prosody,
        "carol",
        server(&prosody, &onion, true, None),
    )
    .await;
    chat(
        &mut carol,
        &mut alice,
        "carol@localhost",
        "alice@localhost",
        "hello from an onion",
    )
    .await;

    // 3. SOCKS5 through a C tor client on the same network.
    let client = tokio::task::block_in_place(|| network.start_client()).unwrap();
    let mut dave = Profile::new("tor-dave");
    let proxy = format!("socks5://127.0.0.1:{}", client.socks_port);
    add(
        &mut dave,
        &prosody,
        "dave",
        server(&prosody, "127.0.0.1", false, Some(proxy)),
    )
    .await;
    chat(
        &mut dave,
        &mut bob,
        "dave@localhost",
        "bob@localhost",
        "hello via socks5",
    )
    .await;

    for profile in [alice, bob, carol, dave] {
        profile.shutdown().await;
    }

    // 4. The CLI with Tor required: only relays are contacted, no DNS.
    let scratch = TestDir::new("tor-leak").unwrap();
    let net_file = scratch.join("network.json");
    std::fs::write(&net_file, serde_json::to_vec(&custom).unwrap()).unwrap();
    let net_arg = net_file.to_str().unwrap().to_owned();
    let erin_dir = scratch.join("profile");
    let port = prosody.c2s_port().to_string();
    let pin = prosody.cert_sha256();
    let mut allowed: BTreeSet<u16> = network.or_ports().into_iter().collect();
    // Relays and onion hosts only; never Prosody itself.
    allowed.remove(&prosody.c2s_port());
    let (out, trace) = tokio::task::block_in_place(|| {
        traced_cli(
            &erin_dir,
            &scratch.join("online.trace"),
            &[
                "--tor-network",
                &net_arg,
                "account",
                "add",
                "erin@localhost",
                "--tor",
                "--host",
                "127.0.0.1",
                "--port",
                &port,
                "--pin-cert",
                &pin,
                "--password-env",
                "ACCOUNT_PASSWORD",
                "--timeout",
                "90",
            ],
        )
    });
    assert_eq!(out.status.code(), Some(0), "erin logs in through Tor");
    let found = leaks(&trace, &allowed);
    assert!(
        found.is_empty(),
        "connections outside Tor or resolver use:\n{}",
        found.join("\n")
    );
    assert!(
        trace
            .lines()
            .any(|l| l.contains("connect(") && l.contains("AF_INET")),
        "the trace saw the relay connections at all"
    );

    // A file goes up through Tor too: the upload's HTTPS connection is one
    // more stream over the relays, never a direct connection to Prosody.
    let file = scratch.join("tor-file.txt");
    std::fs::write(&file, "TorFileCanary uploaded through tor").unwrap();
    let (out, trace) = tokio::task::block_in_place(|| {
        traced_cli(
            &erin_dir,
            &scratch.join("upload.trace"),
            &[
                "--tor-network",
                &net_arg,
                "send-file",
                "alice@localhost",
                file.to_str().unwrap(),
                "--encryption",
                "none",
                "--timeout",
                "90",
            ],
        )
    });
    assert_eq!(out.status.code(), Some(0), "erin sends a file through Tor");
    let found = leaks(&trace, &allowed);
    assert!(
        found.is_empty(),
        "the upload left Tor:\n{}",
        found.join("\n")
    );
    assert!(
        !sotto_tests::scan_for_plaintext(
            &prosody.data_dir(),
            &[b"TorFileCanary uploaded through tor"]
        )
        .is_empty(),
        "the file reached the server"
    );

    // The detector does see a direct connection: the same login without Tor.
    let (out, trace) = tokio::task::block_in_place(|| {
        traced_cli(
            &scratch.join("direct-profile"),
            &scratch.join("direct.trace"),
            &[
                "account",
                "add",
                "frank@localhost",
                "--host",
                "127.0.0.1",
                "--port",
                &port,
                "--pin-cert",
                &pin,
                "--password-env",
                "FRANK_PASSWORD",
                "--timeout",
                "30",
            ],
        )
    });
    assert_eq!(out.status.code(), Some(0));
    assert!(
        leaks(&trace, &allowed)
            .iter()
            .any(|l| l.contains(&format!("htons({port})"))),
        "the leak check must flag a direct connection"
    );

    // 5. Tor gone: the account stays offline and nothing goes out directly.
    drop(client);
    drop(network);
    let (out, trace) = tokio::task::block_in_place(|| {
        traced_cli(
            &erin_dir,
            &scratch.join("offline.trace"),
            &[
                "--tor-network",
                &net_arg,
                "send",
                "alice@localhost",
                "must not leak",
                "--timeout",
                "15",
            ],
        )
    });
    assert_eq!(out.status.code(), Some(6), "stays offline without Tor");
    let direct: Vec<_> = trace
        .lines()
        .filter(|l| l.contains("connect(") && l.contains(&format!("htons({port})")))
        .collect();
    assert!(
        direct.is_empty(),
        "connected to the server directly:\n{}",
        direct.join("\n")
    );
    let found = leaks(&trace, &allowed);
    assert!(found.is_empty(), "{}", found.join("\n"));
}
