// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! Tests of the test harness itself: the real Prosody it starts, the cut proxy
//! and the plaintext scanner. Each test starts its own server.

use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use sha2::{Digest as _, Sha256};
use sotto_tests::{
    CutProxy, Ejabberd, EjabberdOptions, Prosody, ServerKind, TestDir, TestServer, XmppServer,
    scan_for_plaintext,
};
use tokio::io::{AsyncRead, AsyncReadExt as _, AsyncWrite, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::timeout;
use tokio_rustls::TlsConnector;
use tokio_rustls::rustls::client::danger::{
    HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier,
};
use tokio_rustls::rustls::crypto::{self, CryptoProvider};
use tokio_rustls::rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use tokio_rustls::rustls::{self, ClientConfig, DigitallySignedStruct, SignatureScheme};

type TestResult = anyhow::Result<()>;

const IO_TIMEOUT: Duration = Duration::from_secs(10);

fn stream_header(domain: &str) -> String {
    format!(
        "<?xml version='1.0'?><stream:stream to='{domain}' version='1.0' \
         xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>"
    )
}

/// Reads until `buf` contains one of `marks`; returns everything read.
async fn read_until(io: &mut (impl AsyncRead + Unpin), marks: &[&str]) -> anyhow::Result<String> {
    let mut text = String::new();
    let mut buf = [0u8; 4096];
    while !marks.iter().any(|m| text.contains(m)) {
        let n = timeout(IO_TIMEOUT, io.read(&mut buf)).await??;
        anyhow::ensure!(n > 0, "connection closed; got so far: {text}");
        text.push_str(&String::from_utf8_lossy(&buf[..n]));
    }
    Ok(text)
}

/// Accepts exactly the certificate whose DER SHA-256 is `pin`, as the client will.
#[derive(Debug)]
struct Pinned {
    pin: String,
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for Pinned {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if hex::encode(Sha256::digest(end_entity)) == self.pin {
            Ok(ServerCertVerified::assertion())
        } else {
            Err(rustls::Error::General(
                "certificate does not match the pin".into(),
            ))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

async fn tls_connect(
    port: u16,
    pin: &str,
    name: ServerName<'static>,
) -> anyhow::Result<tokio_rustls::client::TlsStream<TcpStream>> {
    let provider = Arc::new(crypto::ring::default_provider());
    let config = ClientConfig::builder_with_provider(Arc::clone(&provider))
        .with_safe_default_protocol_versions()?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(Pinned {
            pin: pin.to_owned(),
            provider,
        }))
        .with_no_client_auth();
    let tcp = TcpStream::connect(("127.0.0.1", port)).await?;
    Ok(timeout(
        IO_TIMEOUT,
        TlsConnector::from(Arc::new(config)).connect(name, tcp),
    )
    .await??)
}

/// Logs in with SASL PLAIN over direct TLS; `Ok(false)` on `<failure/>`.
async fn login(server: &impl XmppServer, user: &str, password: &str) -> anyhow::Result<bool> {
    let name = ServerName::try_from(server.domain().to_owned())?;
    let mut tls = tls_connect(server.direct_tls_port(), &server.cert_sha256(), name).await?;
    tls.write_all(stream_header(server.domain()).as_bytes())
        .await?;
    let features = read_until(&mut tls, &["</stream:features>"]).await?;
    anyhow::ensure!(
        features.contains("<mechanism>PLAIN</mechanism>"),
        "no PLAIN: {features}"
    );
    let token = base64::engine::general_purpose::STANDARD.encode(format!("\0{user}\0{password}"));
    let auth =
        format!("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>{token}</auth>");
    tls.write_all(auth.as_bytes()).await?;
    let reply = read_until(&mut tls, &["<success", "<failure"]).await?;
    Ok(reply.contains("<success"))
}

/// ejabberd's upload service as the harness configures it: a slot for a
/// user, then PUT and GET over HTTPS with the test certificate (curl).
/// SCRAM-SHA-1-PLUS is hidden so the bare session can log in today (see
/// `login_without_scram_plus_on_ejabberd` in `login.rs`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ejabberd_upload_service_takes_and_serves_a_file() -> TestResult {
    let server = Ejabberd::start_with(
        EjabberdOptions::default().disable_sasl_mechanisms(["SCRAM-SHA-1-PLUS"]),
    )?;
    server.register("alice", "alice-pw")?;
    let session = sotto_tests::profile::raw_session(&server, "alice", "alice-pw").await;
    let service = session
        .upload_service()
        .await?
        .ok_or_else(|| anyhow::anyhow!("ejabberd announces no upload service"))?;
    let slot = session
        .upload_slot(&service, "note.txt", 11, "text/plain")
        .await?;
    let prefix = server.upload_url_prefix();
    assert!(slot.put_url.starts_with(&prefix), "{}", slot.put_url);
    assert!(slot.get_url.starts_with(&prefix), "{}", slot.get_url);
    let dir = TestDir::new("ejabberd-upload")?;
    std::fs::write(dir.join("note.txt"), b"hello world")?;
    let mut put = std::process::Command::new("curl");
    put.args(["-sS", "--fail", "-X", "PUT", "--cacert"])
        .arg(server.cert_path())
        .arg("--data-binary")
        .arg(format!("@{}", dir.join("note.txt").display()));
    for (name, value) in &slot.put_headers {
        put.arg("-H").arg(format!("{name}: {value}"));
    }
    assert!(put.arg(&slot.put_url).status()?.success(), "curl PUT");
    let got = std::process::Command::new("curl")
        .args(["-sS", "--fail", "--cacert"])
        .arg(server.cert_path())
        .arg(&slot.get_url)
        .output()?;
    assert!(got.status.success(), "curl GET");
    assert_eq!(got.stdout, b"hello world");
    Ok(())
}

/// A target that echoes every byte back.
async fn echo_server() -> anyhow::Result<u16> {
    let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
    let port = listener.local_addr()?.port();
    tokio::spawn(async move {
        while let Ok((mut conn, _)) = listener.accept().await {
            tokio::spawn(async move {
                let (mut r, mut w) = conn.split();
                let _ = tokio::io::copy(&mut r, &mut w).await;
            });
        }
    });
    Ok(port)
}

async fn echo_roundtrip(io: &mut (impl AsyncRead + AsyncWrite + Unpin), msg: &str) -> TestResult {
    io.write_all(msg.as_bytes()).await?;
    let got = read_until(io, &[msg]).await?;
    assert_eq!(got, msg);
    Ok(())
}

/// True if the peer closed or reset the connection within the timeout.
async fn is_closed(io: &mut (impl AsyncRead + Unpin)) -> bool {
    let mut buf = [0u8; 64];
    matches!(
        timeout(IO_TIMEOUT, io.read(&mut buf)).await,
        Ok(Ok(0) | Err(_))
    )
}

#[tokio::test]
async fn cut_proxy_forwards_cuts_and_blocks() -> TestResult {
    let proxy = CutProxy::start(echo_server().await?).await?;
    let mut a = TcpStream::connect(("127.0.0.1", proxy.port())).await?;
    let mut b = TcpStream::connect(("127.0.0.1", proxy.port())).await?;
    echo_roundtrip(&mut a, "hello").await?;
    echo_roundtrip(&mut b, "world").await?;
    assert_eq!((proxy.accepted(), proxy.live()), (2, 2));

    proxy.cut_all();
    assert!(is_closed(&mut a).await, "a survived the cut");
    assert!(is_closed(&mut b).await, "b survived the cut");

    let mut c = TcpStream::connect(("127.0.0.1", proxy.port())).await?;
    echo_roundtrip(&mut c, "after the cut").await?;
    assert_eq!(proxy.accepted(), 3);
    assert_eq!(proxy.live(), 1);

    proxy.set_blocked(true);
    let mut d = TcpStream::connect(("127.0.0.1", proxy.port())).await?;
    assert!(is_closed(&mut d).await, "a blocked connection stayed open");
    assert_eq!(proxy.refused(), 1);
    echo_roundtrip(&mut c, "live connections survive blocking").await?;
    proxy.set_blocked(false);
    let mut e = TcpStream::connect(("127.0.0.1", proxy.port())).await?;
    echo_roundtrip(&mut e, "unblocked").await?;
    assert_eq!(proxy.accepted(), 4);
    Ok(())
}

#[tokio::test]
async fn cut_proxy_stall_holds_bytes_back() -> TestResult {
    let proxy = CutProxy::start(echo_server().await?).await?;
    let mut a = TcpStream::connect(("127.0.0.1", proxy.port())).await?;
    echo_roundtrip(&mut a, "before").await?;
    proxy.set_stalled(true);
    a.write_all(b"held").await?;
    let mut buf = [0u8; 16];
    assert!(
        timeout(Duration::from_millis(300), a.read(&mut buf))
            .await
            .is_err()
    );
    proxy.set_stalled(false);
    assert_eq!(read_until(&mut a, &["held"]).await?, "held");
    Ok(())
}

#[tokio::test]
async fn cut_proxy_in_front_of_prosody() -> TestResult {
    let server = Prosody::start()?;
    let proxy = CutProxy::start(server.c2s_port()).await?;
    let mut tcp = TcpStream::connect(("127.0.0.1", proxy.port())).await?;
    tcp.write_all(stream_header(server.domain()).as_bytes())
        .await?;
    read_until(&mut tcp, &["</stream:features>"]).await?;
    proxy.cut_all();
    assert!(is_closed(&mut tcp).await);
    Ok(())
}

#[test]
fn scan_for_plaintext_finds_planted_needles_only() -> TestResult {
    let dir = TestDir::new("scan")?;
    std::fs::create_dir_all(dir.join("a/b"))?;
    std::fs::write(
        dir.join("a/b/planted.db"),
        b"\0\x01header secret-body trailer\xff",
    )?;
    std::fs::write(dir.join("a/clean.db"), b"nothing to see")?;
    std::fs::write(dir.join("top"), b"alice@localhost")?;
    let found = scan_for_plaintext(dir.path(), &[b"secret-body", b"alice@localhost", b"absent"]);
    assert_eq!(
        found,
        vec![(dir.join("a/b/planted.db"), 0), (dir.join("top"), 1)]
    );
    assert!(scan_for_plaintext(dir.path(), &[b"absent"]).is_empty());
    Ok(())
}

sotto_tests::on_servers! { [Prosody, Ejabberd, MinimalProsody]
    async fn c2s_port_offers_required_starttls(kind: ServerKind) -> TestResult {
        let server = TestServer::start(kind)?;
        let mut tcp = TcpStream::connect(("127.0.0.1", server.c2s_port())).await?;
        tcp.write_all(stream_header(server.domain()).as_bytes())
            .await?;
        let reply = read_until(&mut tcp, &["</stream:features>"]).await?;
        assert!(reply.contains("<stream:stream"), "{reply}");
        assert!(
            reply.contains("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/>"),
            "{reply}"
        );
        assert!(
            !reply.contains("<mechanisms"),
            "no SASL before TLS: {reply}"
        );
        Ok(())
    }

    async fn direct_tls_port_presents_the_pinned_certificate(kind: ServerKind) -> TestResult {
        let server = TestServer::start(kind)?;
        let pin = server.cert_sha256();
        assert_eq!(pin.len(), 64);
        assert_eq!(pin, pin.to_lowercase());
        // With SNI (a host name) and without (an IP address): same certificate.
        for name in [
            ServerName::try_from("localhost")?,
            ServerName::IpAddress(std::net::Ipv4Addr::LOCALHOST.into()),
        ] {
            let tls = tls_connect(server.direct_tls_port(), &pin, name).await?;
            let (_, conn) = tls.get_ref();
            let presented = conn
                .peer_certificates()
                .and_then(|c| c.first())
                .map(|c| c.to_vec());
            let presented = presented.ok_or_else(|| anyhow::anyhow!("no peer certificate"))?;
            assert_eq!(hex::encode(Sha256::digest(&presented)), pin);
        }
        let wrong = "00".repeat(32);
        let name = ServerName::try_from("localhost")?;
        assert!(
            tls_connect(server.direct_tls_port(), &wrong, name)
                .await
                .is_err()
        );
        Ok(())
    }

    async fn register_creates_a_user_exactly_once(kind: ServerKind) -> TestResult {
        let server = TestServer::start(kind)?;
        server.register("alice", "correct horse")?;
        assert!(login(&server, "alice", "correct horse").await?);
        assert!(!login(&server, "alice", "wrong").await?);
        assert!(!login(&server, "bob", "correct horse").await?);
        let again = server.register("alice", "other");
        assert!(again.is_err(), "registering alice twice succeeded");
        assert!(
            login(&server, "alice", "correct horse").await?,
            "the second register changed alice"
        );
        assert!(server.register("a@b", "x").is_err());
        assert!(server.register("carol", "two\nlines").is_err());
        Ok(())
    }

    async fn restart_keeps_ports_certificate_and_users(kind: ServerKind) -> TestResult {
        let mut server = TestServer::start(kind)?;
        server.register("alice", "pw")?;
        let (c2s, direct, pin) = (
            server.c2s_port(),
            server.direct_tls_port(),
            server.cert_sha256(),
        );
        let first_pid = server.pid();
        server.restart()?;
        assert_ne!(server.pid(), first_pid);
        assert_eq!((server.c2s_port(), server.direct_tls_port()), (c2s, direct));
        assert_eq!(server.cert_sha256(), pin);
        assert!(login(&server, "alice", "pw").await?);
        assert!(server.register("alice", "pw").is_err());
        Ok(())
    }

    async fn stop_closes_the_ports(kind: ServerKind) -> TestResult {
        let mut server = TestServer::start(kind)?;
        server.stop()?;
        assert_eq!(server.pid(), None);
        assert!(
            TcpStream::connect(("127.0.0.1", server.c2s_port()))
                .await
                .is_err()
        );
        let clean_stop = match kind {
            ServerKind::Ejabberd => "is stopped in the node",
            ServerKind::Prosody | ServerKind::MinimalProsody => "Shutdown complete",
        };
        assert!(
            server.log_tail(5).contains(clean_stop),
            "{}",
            server.log_tail(5)
        );
        server.stop()?; // idempotent
        Ok(())
    }
}
