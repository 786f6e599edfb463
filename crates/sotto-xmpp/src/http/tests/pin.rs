// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! The account's pin vouches for the XMPP server's own names only: a
//! download URL a peer chose, served with the pinned (self-signed)
//! certificate, must fail as an untrusted certificate.

#![allow(clippy::unwrap_used)]

use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

use super::super::*;
use crate::error::ConnectError;
use crate::transport::{BoxFuture, BoxedStream};

/// Connects every target to one loopback port, remembering the host asked
/// for (as a proxy would resolve it).
#[derive(Debug)]
struct Loopback {
    port: u16,
    asked: Mutex<Vec<String>>,
}

impl Transport for Loopback {
    fn connect<'a>(
        &'a self,
        target: &'a Target,
    ) -> BoxFuture<'a, Result<BoxedStream, ConnectError>> {
        Box::pin(async move {
            if let Ok(mut asked) = self.asked.lock() {
                asked.extend(target.host.clone());
            }
            let tcp = tokio::net::TcpStream::connect(("127.0.0.1", self.port))
                .await
                .map_err(|e| ConnectError::Network(e.to_string()))?;
            Ok(Box::new(tcp) as BoxedStream)
        })
    }
}

/// A TLS server on 127.0.0.1 with a self-signed certificate that answers
/// every GET with "hello"; returns its port and the certificate's
/// fingerprint.
async fn pinned_server() -> (u16, CertFingerprint) {
    let made = rcgen::generate_simple_self_signed(vec!["chat.example".to_owned()]).unwrap();
    let der = made.cert.der().to_vec();
    let fingerprint = CertFingerprint::of_der(&der);
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(made.signing_key.serialize_der()));
    let config = ServerConfig::builder_with_provider(tls::crypto_provider())
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![CertificateDer::from(der)], key)
        .unwrap();
    let acceptor = TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let mut request = Vec::new();
                let mut buf = [0u8; 1024];
                while !request.ends_with(b"\r\n\r\n") {
                    match tls.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => request.extend_from_slice(&buf[..n]),
                    }
                }
                let _ = tls
                    .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello")
                    .await;
                let _ = tls.shutdown().await;
            });
        }
    });
    (port, fingerprint)
}

#[tokio::test]
async fn the_pin_is_honoured_for_the_servers_names_and_nowhere_else() {
    let (port, fingerprint) = pinned_server().await;
    let transport = Loopback {
        port,
        asked: Mutex::new(Vec::new()),
    };
    let pin = Pin::new(fingerprint, ["example.net", "Chat.Example."]);
    let url = |host: &str| UploadUrl::parse(&format!("https://{host}:{port}/f")).unwrap();

    for own in ["chat.example", "CHAT.example"] {
        let body = get(&transport, Some(&pin), &url(own), 100, &mut |_, _| {}).await;
        assert_eq!(body.unwrap(), b"hello", "{own}");
    }
    for foreign in ["evil.example", "upload.chat.example", "chat.example.evil"] {
        let err = get(&transport, Some(&pin), &url(foreign), 100, &mut |_, _| {})
            .await
            .unwrap_err();
        let text = err.to_string();
        assert!(
            matches!(err, HttpError::Connect { .. }),
            "{foreign}: {err:?}"
        );
        assert!(
            text.contains("certificate is not trusted"),
            "{foreign}: {text}"
        );
    }
    let err = get(&transport, None, &url("chat.example"), 100, &mut |_, _| {})
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("certificate is not trusted"),
        "{err}"
    );
    let asked = transport.asked.lock().unwrap().clone();
    assert_eq!(asked.len(), 6, "every request went through the transport");
}
