// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! SASL authentication with our own mechanism choice.
//!
//! Preference: SCRAM-SHA-256-PLUS, SCRAM-SHA-1-PLUS (when TLS 1.3 gives us
//! `tls-exporter` channel binding data), then SCRAM-SHA-256, SCRAM-SHA-1,
//! and PLAIN last. This function only ever runs over an established TLS
//! stream, so PLAIN never travels unencrypted. When we could bind the channel
//! but the server offers no `-PLUS` mechanism we say so in the GS2 header
//! (`y,,`), which lets a server that does support binding detect a stripped
//! offer. The server's final SCRAM message is verified, so a server that
//! does not know the password cannot pretend it does.

use std::collections::BTreeSet;
use std::str::FromStr;

use futures::SinkExt;
use sasl::client::Mechanism;
use sasl::client::mechanisms::{Plain, Scram};
use sasl::common::ChannelBinding;
use sasl::common::scram::{Sha1, Sha256};
use tokio_xmpp::xmlstream::{InitiatingStream, XmlStream, XmppStreamElement};
use xmpp_parsers::sasl::{Auth, Mechanism as WireMechanism, Nonza, Response};

use crate::error::ConnectError;
use crate::login::{element_kind, next_element};

/// The mechanisms we use, best first.
const PREFERENCE: [&str; 5] = [
    "SCRAM-SHA-256-PLUS",
    "SCRAM-SHA-1-PLUS",
    "SCRAM-SHA-256",
    "SCRAM-SHA-1",
    "PLAIN",
];

/// Picks the mechanism to use, or `None` when nothing acceptable is offered.
pub(crate) fn choose(offered: &BTreeSet<String>, have_binding: bool) -> Option<&'static str> {
    PREFERENCE
        .iter()
        .copied()
        .filter(|m| have_binding || !m.ends_with("-PLUS"))
        .find(|m| offered.contains(*m))
}

fn build(
    name: &str,
    username: &str,
    password: &str,
    binding: Option<Vec<u8>>,
) -> Result<Box<dyn Mechanism + Send>, ConnectError> {
    let plus = name.ends_with("-PLUS");
    let cb = match (plus, binding) {
        (true, Some(data)) => ChannelBinding::TlsExporter(data),
        (false, Some(_)) => ChannelBinding::Unsupported,
        (_, None) => ChannelBinding::None,
    };
    let fail = |e: String| ConnectError::protocol("preparing the login", e);
    let mechanism: Box<dyn Mechanism + Send> = match name {
        "SCRAM-SHA-256-PLUS" | "SCRAM-SHA-256" => Box::new(
            Scram::<Sha256>::new(username, password.to_owned(), cb)
                .map_err(|e| fail(format!("{e:?}")))?,
        ),
        "SCRAM-SHA-1-PLUS" | "SCRAM-SHA-1" => Box::new(
            Scram::<Sha1>::new(username, password.to_owned(), cb)
                .map_err(|e| fail(format!("{e:?}")))?,
        ),
        _ => Box::new(Plain::new(username, password)),
    };
    Ok(mechanism)
}

/// Authenticates over an encrypted stream; returns it ready for the restart.
pub(crate) async fn authenticate<Io>(
    mut stream: XmlStream<Io, XmppStreamElement>,
    offered: &BTreeSet<String>,
    username: &str,
    password: &str,
    binding: Option<Vec<u8>>,
) -> Result<InitiatingStream<Io>, ConnectError>
where
    Io: tokio::io::AsyncBufRead + tokio::io::AsyncWrite + Unpin,
{
    let name = choose(offered, binding.is_some()).ok_or_else(|| {
        ConnectError::NoAcceptableMechanism(offered.iter().cloned().collect::<Vec<_>>().join(", "))
    })?;
    tracing::debug!(mechanism = name, "authenticating");
    let mut mechanism = build(name, username, password, binding)?;
    let wire = WireMechanism::from_str(name)
        .map_err(|e| ConnectError::protocol("choosing the login mechanism", e))?;
    send(
        &mut stream,
        XmppStreamElement::Sasl(Nonza::Auth(Auth {
            mechanism: wire,
            data: mechanism.initial(),
        })),
    )
    .await?;
    loop {
        match next_element(&mut stream, "logging in").await? {
            XmppStreamElement::Sasl(Nonza::Challenge(challenge)) => {
                let response = mechanism.response(&challenge.data).map_err(|e| {
                    ConnectError::AuthenticationFailed(format!("invalid server challenge: {e:?}"))
                })?;
                send(
                    &mut stream,
                    XmppStreamElement::Sasl(Nonza::Response(Response { data: response })),
                )
                .await?;
            }
            XmppStreamElement::Sasl(Nonza::Success(success)) => {
                mechanism.success(&success.data).map_err(|e| {
                    ConnectError::AuthenticationFailed(format!(
                        "the server could not prove it knows the password ({e:?})"
                    ))
                })?;
                return Ok(stream.initiate_reset());
            }
            XmppStreamElement::Sasl(Nonza::Failure(failure)) => {
                let text = failure.texts.values().next().cloned();
                let condition = crate::error::condition_name(&failure.defined_condition);
                return Err(ConnectError::AuthenticationFailed(match text {
                    Some(text) => format!("{condition}: {text}"),
                    None => condition,
                }));
            }
            XmppStreamElement::Sasl(_) => {}
            other => {
                return Err(ConnectError::protocol(
                    "logging in",
                    format!("unexpected {}", element_kind(&other)),
                ));
            }
        }
    }
}

async fn send<Io>(
    stream: &mut XmlStream<Io, XmppStreamElement>,
    element: XmppStreamElement,
) -> Result<(), ConnectError>
where
    Io: tokio::io::AsyncBufRead + tokio::io::AsyncWrite + Unpin,
{
    stream
        .send(&element)
        .await
        .map_err(|e| ConnectError::Network(format!("sending login data: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(items: &[&str]) -> BTreeSet<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn prefers_channel_binding_and_sha256() {
        let all = set(&PREFERENCE);
        assert_eq!(choose(&all, true), Some("SCRAM-SHA-256-PLUS"));
        assert_eq!(choose(&all, false), Some("SCRAM-SHA-256"));
        assert_eq!(
            choose(&set(&["PLAIN", "SCRAM-SHA-1"]), true),
            Some("SCRAM-SHA-1")
        );
        assert_eq!(
            choose(&set(&["SCRAM-SHA-1-PLUS", "SCRAM-SHA-1"]), true),
            Some("SCRAM-SHA-1-PLUS")
        );
    }

    #[test]
    fn plain_only_as_last_resort_and_unknown_refused() {
        assert_eq!(choose(&set(&["PLAIN"]), false), Some("PLAIN"));
        assert_eq!(choose(&set(&["DIGEST-MD5", "X-OAUTH2"]), true), None);
        assert_eq!(choose(&set(&["SCRAM-SHA-256-PLUS"]), false), None);
    }
}
