// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! Opening an authenticated stream: transport, TLS (STARTTLS or direct),
//! SASL. Resource binding and stream management are left to
//! `tokio_xmpp::stanzastream`, which takes the stream from here.

use std::borrow::Cow;
use std::time::Duration;

use futures::{SinkExt, StreamExt};
use tokio::io::BufStream;
use tokio_xmpp::xmlstream::{
    FallibleStreamElement, PendingFeaturesRecv, ReadError, StreamHeader, Timeouts, XmlStream,
    XmppStreamElement, initiate_stream,
};
use xmpp_parsers::stream_features::StreamFeatures;
use xmpp_parsers::{ns, starttls};

use crate::depth::DepthGuard;
use crate::error::ConnectError;
use crate::sasl;
use crate::tls;
use crate::transport::BoxedStream;
use crate::{SessionConfig, Target};

/// An authenticated stream, ready for resource binding.
pub(crate) type AuthenticatedStream = tokio_xmpp::stanzastream::XmppStream;

type Negotiating<Io> = XmlStream<BufStream<Io>, XmppStreamElement>;

/// How long one connection attempt (up to a stream ready for binding) may take.
const ATTEMPT_TIMEOUT: Duration = Duration::new(45, 0);

fn header(domain: &str) -> StreamHeader<'_> {
    StreamHeader {
        to: Some(Cow::Borrowed(domain)),
        from: None,
        id: None,
    }
}

/// Liveness of the stream: after `read_timeout` of silence the stream asks
/// the server for an ack (XEP-0198 `<r/>`, or a whitespace ping), and a
/// server that stays silent for `response_timeout` more is taken for gone,
/// so the session reconnects (and resumes). A stream can die without any
/// TCP error: a NAT that dropped its mapping, or a server-side session that
/// stopped answering (one test run against Prosody 0.12 saw a stream resume
/// after a cut mid-burst and then nothing acknowledged for 90 s; the server
/// side of that is not understood). The only sign is silence, and two
/// minutes of it left queued messages waiting far too long.
fn timeouts() -> Timeouts {
    Timeouts {
        read_timeout: Duration::new(40, 0),
        response_timeout: Duration::new(20, 0),
    }
}

/// The encrypted stream as the XML parser reads it: through a
/// [`DepthGuard`], because the parser would build (and drop) any depth the
/// server, or a peer whose stanza it relays, sends, recursing once per
/// level until the stack overflows: about 3,200 nested elements in one
/// stanza (3,400 in a release build; some 24 KB) abort the process on a
/// 2 MiB stack.
pub(crate) fn guarded<Io>(io: Io) -> BufStream<DepthGuard<Io>>
where
    Io: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    BufStream::new(DepthGuard::new(io, crate::depth::MAX_STREAM_DEPTH))
}

/// An encrypted stream whose features have been received.
pub(crate) struct SecureStream {
    pub(crate) stream: Negotiating<DepthGuard<tokio_rustls::client::TlsStream<BoxedStream>>>,
    pub(crate) features: StreamFeatures,
    pub(crate) channel_binding: Option<Vec<u8>>,
}

/// Connects and establishes TLS (never continuing without it).
pub(crate) async fn secure(config: &SessionConfig) -> Result<SecureStream, ConnectError> {
    let target: &Target = &config.target;
    let raw = config.transport.connect(target).await?;
    let tls = if target.direct_tls {
        tls::handshake(
            raw,
            &target.domain,
            config.pinned_cert,
            Some(b"xmpp-client"),
        )
        .await?
    } else {
        let pending = initiate_stream(
            // Before TLS anyone on the path can answer: guarded too.
            guarded(raw),
            ns::JABBER_CLIENT,
            header(&target.domain),
            timeouts(),
        )
        .await
        .map_err(|e| ConnectError::Network(format!("opening the XML stream: {e}")))?;
        let (features, stream) =
            recv_features::<_, XmppStreamElement>(pending, "reading stream features").await?;
        if !features.can_starttls() {
            return Err(ConnectError::NoTls);
        }
        let raw = starttls(stream).await?;
        tls::handshake(raw, &target.domain, config.pinned_cert, None).await?
    };
    let channel_binding = tls::channel_binding(&tls);
    let pending = initiate_stream(
        guarded(tls),
        ns::JABBER_CLIENT,
        header(&target.domain),
        timeouts(),
    )
    .await
    .map_err(|e| ConnectError::Network(format!("opening the encrypted XML stream: {e}")))?;
    let (features, stream) = recv_features(pending, "reading stream features after TLS").await?;
    Ok(SecureStream {
        stream,
        features,
        channel_binding,
    })
}

/// Connects, secures and authenticates: the stream is ready for binding.
pub(crate) async fn login(
    config: &SessionConfig,
) -> Result<(StreamFeatures, AuthenticatedStream, &'static str), ConnectError> {
    tokio::time::timeout(ATTEMPT_TIMEOUT, async {
        let secure = secure(config).await?;
        let facts = sasl::BindingFacts::new(&secure.features, secure.channel_binding.is_some());
        let (stream, mechanism) = sasl::authenticate(
            secure.stream,
            &secure.features.sasl_mechanisms,
            facts,
            (
                config.jid.node().map(|n| n.as_str()).unwrap_or_default(),
                config.password.expose(),
            ),
            secure.channel_binding,
            config.scram_only,
        )
        .await?;
        let pending = stream
            .send_header(header(&config.target.domain))
            .await
            .map_err(|e| {
                ConnectError::Network(format!("restarting the stream after login: {e}"))
            })?;
        let (features, stream) =
            recv_features::<_, FallibleStreamElement>(pending, "reading features after login")
                .await?;
        Ok((features, stream.box_stream(), mechanism))
    })
    .await
    .map_err(|_| ConnectError::Network("the server did not answer in time".into()))?
}

async fn recv_features<Io, T>(
    pending: PendingFeaturesRecv<Io>,
    doing: &'static str,
) -> Result<(StreamFeatures, XmlStream<Io, T>), ConnectError>
where
    Io: tokio::io::AsyncBufRead + tokio::io::AsyncWrite + Unpin,
    T: xso::FromXml,
{
    pending
        .recv_features::<T>()
        .await
        .map_err(|e| ConnectError::protocol(doing, e))
}

async fn starttls(
    mut stream: Negotiating<DepthGuard<BoxedStream>>,
) -> Result<BoxedStream, ConnectError> {
    stream
        .send(&XmppStreamElement::Starttls(starttls::Nonza::Request(
            starttls::Request,
        )))
        .await
        .map_err(|e| ConnectError::Network(format!("requesting STARTTLS: {e}")))?;
    match next_element(&mut stream, "negotiating STARTTLS").await? {
        XmppStreamElement::Starttls(starttls::Nonza::Proceed(_)) => {}
        XmppStreamElement::Starttls(starttls::Nonza::Failure(_)) => {
            return Err(ConnectError::NoTls);
        }
        other => {
            return Err(ConnectError::protocol(
                "negotiating STARTTLS",
                format!("unexpected element {}", element_kind(&other)),
            ));
        }
    }
    Ok(stream.into_inner().into_inner().into_inner())
}

/// Reads the next stream element, skipping soft timeouts.
pub(crate) async fn next_element<Io>(
    stream: &mut XmlStream<Io, XmppStreamElement>,
    doing: &'static str,
) -> Result<XmppStreamElement, ConnectError>
where
    Io: tokio::io::AsyncBufRead + tokio::io::AsyncWrite + Unpin,
{
    loop {
        match stream.next().await {
            Some(Ok(element)) => return Ok(element),
            Some(Err(ReadError::SoftTimeout)) => continue,
            Some(Err(ReadError::HardError(e))) => {
                return Err(ConnectError::Network(format!("{doing}: {e}")));
            }
            Some(Err(ReadError::ParseError(e))) => {
                return Err(ConnectError::protocol(doing, e));
            }
            Some(Err(ReadError::StreamFooterReceived)) | None => {
                return Err(ConnectError::Network(format!(
                    "{doing}: the server closed the stream"
                )));
            }
        }
    }
}

/// A short name for an element, for errors (never its content).
pub(crate) fn element_kind(element: &XmppStreamElement) -> &'static str {
    match element {
        XmppStreamElement::Stanza(_) => "stanza",
        XmppStreamElement::Sasl(_) => "SASL element",
        XmppStreamElement::Starttls(_) => "STARTTLS element",
        XmppStreamElement::ComponentHandshake(_) => "component handshake",
        XmppStreamElement::StreamError(_) => "stream error",
        XmppStreamElement::SM(_) => "stream management element",
    }
}
