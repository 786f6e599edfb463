// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! TLS with system roots and explicit certificate pinning.
//!
//! Without a pin, the server's certificate must validate against the
//! system's roots for the account's domain. A certificate that does not is
//! refused, and the refusal carries its SHA-256 fingerprint so the user can
//! decide to pin it. With a pin, exactly that certificate is accepted and any
//! other is refused, even one the system would trust: a pin is the user's
//! explicit decision and a silent change would defeat it.

use std::sync::{Arc, Mutex, OnceLock};

use sha2::{Digest, Sha256};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;
use tokio_rustls::rustls::client::WebPkiServerVerifier;
use tokio_rustls::rustls::client::danger::{
    HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier,
};
use tokio_rustls::rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use tokio_rustls::rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use tokio_rustls::rustls::{
    self, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme,
};

use crate::error::ConnectError;

/// A SHA-256 certificate fingerprint.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct CertFingerprint(pub [u8; 32]);

impl CertFingerprint {
    /// Fingerprint of a DER certificate.
    pub fn of_der(der: &[u8]) -> Self {
        Self(Sha256::digest(der).into())
    }

    /// Parses 64 hex digits, with or without `:` separators, any case.
    pub fn parse(text: &str) -> Option<Self> {
        let cleaned: String = text.chars().filter(|c| !matches!(c, ':' | ' ')).collect();
        let bytes = hex::decode(cleaned).ok()?;
        Some(Self(bytes.try_into().ok()?))
    }

    /// Lowercase hex.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }
}

impl std::fmt::Debug for CertFingerprint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "CertFingerprint({})", self.to_hex())
    }
}

impl std::fmt::Display for CertFingerprint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.to_hex())
    }
}

/// The process-wide rustls provider (ring). Installed once as the default
/// so that any other rustls user in the process agrees with us.
pub fn crypto_provider() -> Arc<CryptoProvider> {
    static PROVIDER: OnceLock<Arc<CryptoProvider>> = OnceLock::new();
    PROVIDER
        .get_or_init(|| {
            let provider = rustls::crypto::ring::default_provider();
            // Err only means another provider was installed first; ours is
            // still used explicitly for every connection we make.
            let _ = provider.clone().install_default();
            Arc::new(provider)
        })
        .clone()
}

fn system_roots() -> Arc<RootCertStore> {
    static ROOTS: OnceLock<Arc<RootCertStore>> = OnceLock::new();
    ROOTS
        .get_or_init(|| {
            let mut roots = RootCertStore::empty();
            let loaded = rustls_native_certs::load_native_certs();
            for error in &loaded.errors {
                tracing::warn!(%error, "could not load some system root certificates");
            }
            let (added, ignored) = roots.add_parsable_certificates(loaded.certs);
            tracing::debug!(added, ignored, "loaded system root certificates");
            Arc::new(roots)
        })
        .clone()
}

/// What the verifier saw during one handshake.
#[derive(Debug, Default)]
struct Observation {
    presented: Option<CertFingerprint>,
    refusal: Option<String>,
}

#[derive(Debug)]
struct SottoVerifier {
    system: Option<Arc<WebPkiServerVerifier>>,
    pin: Option<CertFingerprint>,
    /// The pin replaces the system's roots (XMPP); else it is accepted
    /// besides them (an upload host may be another server).
    pin_only: bool,
    algorithms: WebPkiSupportedAlgorithms,
    seen: Arc<Mutex<Observation>>,
}

impl SottoVerifier {
    fn note(&self, presented: CertFingerprint, refusal: Option<String>) {
        if let Ok(mut seen) = self.seen.lock() {
            seen.presented = Some(presented);
            seen.refusal = refusal;
        }
    }
}

impl ServerCertVerifier for SottoVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let presented = CertFingerprint::of_der(end_entity);
        if self.pin == Some(presented) {
            self.note(presented, None);
            return Ok(ServerCertVerified::assertion());
        }
        if self.pin.is_some() && self.pin_only {
            self.note(
                presented,
                Some("certificate differs from the pinned one".into()),
            );
            return Err(rustls::Error::InvalidCertificate(
                rustls::CertificateError::ApplicationVerificationFailure,
            ));
        }
        let result = match &self.system {
            Some(system) => system.verify_server_cert(
                end_entity,
                intermediates,
                server_name,
                ocsp_response,
                now,
            ),
            None => Err(rustls::Error::InvalidCertificate(
                rustls::CertificateError::UnknownIssuer,
            )),
        };
        self.note(presented, result.as_ref().err().map(describe_tls_error));
        result
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

fn describe_tls_error(error: &rustls::Error) -> String {
    match error {
        rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer) => {
            "the certificate is not signed by an authority this system trusts (self-signed?)".into()
        }
        rustls::Error::InvalidCertificate(rustls::CertificateError::Expired) => {
            "the certificate has expired".into()
        }
        rustls::Error::InvalidCertificate(rustls::CertificateError::NotValidForName)
        | rustls::Error::InvalidCertificate(rustls::CertificateError::NotValidForNameContext {
            ..
        }) => "the certificate is for a different server name".into(),
        other => format!("the certificate was refused: {other}"),
    }
}

/// Establishes TLS over `io` for `domain`, applying system validation or the pin.
pub(crate) async fn handshake<IO>(
    io: IO,
    domain: &str,
    pin: Option<CertFingerprint>,
    alpn: Option<&[u8]>,
) -> Result<TlsStream<IO>, ConnectError>
where
    IO: AsyncRead + AsyncWrite + Unpin,
{
    handshake_with(io, domain, pin, true, alpn).await
}

/// Establishes TLS over `io` for `domain`, accepting a certificate the
/// system trusts or the pinned one. For HTTP: `pin` must be the account's
/// only when `domain` is one of the XMPP server's own names, which
/// [`crate::http::Pin`] decides.
pub(crate) async fn handshake_pin_or_system<IO>(
    io: IO,
    domain: &str,
    pin: Option<CertFingerprint>,
    alpn: Option<&[u8]>,
) -> Result<TlsStream<IO>, ConnectError>
where
    IO: AsyncRead + AsyncWrite + Unpin,
{
    handshake_with(io, domain, pin, false, alpn).await
}

async fn handshake_with<IO>(
    io: IO,
    domain: &str,
    pin: Option<CertFingerprint>,
    pin_only: bool,
    alpn: Option<&[u8]>,
) -> Result<TlsStream<IO>, ConnectError>
where
    IO: AsyncRead + AsyncWrite + Unpin,
{
    let provider = crypto_provider();
    let roots = system_roots();
    let system = if roots.is_empty() {
        None
    } else {
        WebPkiServerVerifier::builder_with_provider(roots, provider.clone())
            .build()
            .ok()
    };
    let seen = Arc::new(Mutex::new(Observation::default()));
    let verifier = Arc::new(SottoVerifier {
        system,
        pin,
        pin_only,
        algorithms: provider.signature_verification_algorithms,
        seen: seen.clone(),
    });
    let mut config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| ConnectError::Tls(format!("configuring TLS: {e}")))?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    if let Some(alpn) = alpn {
        config.alpn_protocols = vec![alpn.to_vec()];
    }
    let name = ServerName::try_from(domain.to_owned()).map_err(|_| {
        ConnectError::InvalidServerName(format!("{domain:?} is not a valid server name"))
    })?;
    match TlsConnector::from(Arc::new(config)).connect(name, io).await {
        Ok(stream) => Ok(stream),
        Err(io_error) => {
            let observation = seen.lock().map(|o| (o.presented, o.refusal.clone()));
            match (observation, pin.filter(|_| pin_only)) {
                (Ok((Some(presented), Some(_))), Some(pinned)) if presented != pinned => {
                    Err(ConnectError::CertificateChanged { pinned, presented })
                }
                (Ok((Some(presented), Some(reason))), None) => {
                    Err(ConnectError::CertificateUntrusted { presented, reason })
                }
                _ => Err(ConnectError::Tls(format!(
                    "TLS handshake failed: {io_error}"
                ))),
            }
        }
    }
}

/// RFC 9266 `tls-exporter` channel binding data, when TLS 1.3 is in use.
pub(crate) fn channel_binding<IO>(stream: &TlsStream<IO>) -> Option<Vec<u8>> {
    let (_, connection) = stream.get_ref();
    if connection.protocol_version() != Some(rustls::ProtocolVersion::TLSv1_3) {
        return None;
    }
    connection
        .export_keying_material(vec![0u8; 32], b"EXPORTER-Channel-Binding", None)
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprint_parsing_accepts_common_forms() {
        let hex = "ab".repeat(32);
        let colon = vec!["AB"; 32].join(":");
        assert_eq!(CertFingerprint::parse(&hex), CertFingerprint::parse(&colon));
        assert!(CertFingerprint::parse(&hex).is_some());
        assert!(CertFingerprint::parse("abcd").is_none());
        assert!(CertFingerprint::parse(&"zz".repeat(32)).is_none());
        assert_eq!(
            CertFingerprint::parse(&hex).map(|f| f.to_hex()),
            Some(hex.clone())
        );
    }
}
