// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! The private Tor test network carries a real SOCKS5 stream: C tor client →
//! guard → middle → exit → a TCP echo server on 127.0.0.1.

use std::io::{Read as _, Write as _};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::time::{Duration, Instant};

use sotto_tests::tor::{TorNetwork, TorOptions};

/// Accepts connections on 127.0.0.1 and echoes every byte back, on a thread
/// per connection, until the process ends.
fn echo_server() -> u16 {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("binding the echo server");
    let port = listener
        .local_addr()
        .expect("the echo server's address")
        .port();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            std::thread::spawn(move || {
                let mut reader = stream.try_clone().expect("cloning an echo stream");
                let mut writer = stream;
                let _ = std::io::copy(&mut reader, &mut writer);
            });
        }
    });
    port
}

/// A minimal SOCKS5 CONNECT (RFC 1928, no authentication, ATYP IPv4).
fn socks5_connect(socks_port: u16, target: Ipv4Addr, port: u16) -> TcpStream {
    let mut tcp =
        TcpStream::connect((Ipv4Addr::LOCALHOST, socks_port)).expect("connecting to SOCKS");
    tcp.set_read_timeout(Some(Duration::from_secs(60)))
        .expect("setting a read timeout");
    tcp.write_all(&[5, 1, 0]).expect("SOCKS greeting");
    let mut choice = [0u8; 2];
    tcp.read_exact(&mut choice).expect("SOCKS method choice");
    assert_eq!(choice, [5, 0], "the proxy wants no authentication");

    let mut request = vec![5, 1, 0, 1];
    request.extend_from_slice(&target.octets());
    request.extend_from_slice(&port.to_be_bytes());
    tcp.write_all(&request).expect("SOCKS CONNECT");
    // VER REP RSV ATYP, then an IPv4 (tor answers with ATYP 1) and a port.
    let mut reply = [0u8; 10];
    tcp.read_exact(&mut reply).expect("SOCKS reply");
    assert_eq!(reply[..2], [5, 0], "SOCKS CONNECT failed, reply {reply:?}");
    assert_eq!(reply[3], 1, "unexpected address type in the SOCKS reply");
    tcp
}

#[test]
fn socks5_stream_through_the_test_network_reaches_a_local_echo_server() {
    let started = Instant::now();
    let network = TorNetwork::start(TorOptions::default()).expect("starting the Tor network");
    let consensus = started.elapsed();

    let relays = network.relays();
    assert_eq!(relays.len(), 6, "3 authorities and 3 relays");
    assert_eq!(network.authorities().len(), 3);
    assert!(relays.iter().filter(|r| r.is_exit).count() >= 2);
    for relay in &relays {
        assert_eq!(relay.rsa_fingerprint.len(), 40, "{relay:?}");
        assert_eq!(relay.ed25519_identity.len(), 43, "{relay:?}");
    }
    assert_eq!(network.or_ports().len(), 12);

    let client = network.start_client().expect("starting a tor client");
    let bootstrap = started.elapsed() - consensus;
    assert!(!network.or_ports().contains(&client.socks_port));

    let echo_port = echo_server();
    let mut stream = socks5_connect(client.socks_port, Ipv4Addr::LOCALHOST, echo_port);
    let message = b"sotto over a private tor network";
    stream.write_all(message).expect("writing through Tor");
    let mut echoed = vec![0u8; message.len()];
    stream
        .read_exact(&mut echoed)
        .expect("reading the echo through Tor");
    assert_eq!(&echoed, message);

    eprintln!(
        "consensus after {consensus:.1?}, client bootstrapped {bootstrap:.1?} later, \
         stream done after {:.1?}",
        started.elapsed()
    );
}
