// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! SASL authentication with our own mechanism and channel-binding choice.
//!
//! Mechanisms, best first: SCRAM-SHA-256(-PLUS), SCRAM-SHA-1(-PLUS), PLAIN.
//! This only ever runs over an established TLS stream, so PLAIN never travels
//! unencrypted. The server's final SCRAM message is verified, so a server
//! that does not know the password cannot pretend it does.
//!
//! Channel binding (the rule, written down in `docs/protocols.md`): the only
//! binding Sotto can compute is `tls-exporter` (RFC 9266), on TLS 1.3.
//! A `-PLUS` mechanism is used only when the server *says* which binding
//! types it supports (XEP-0440) and `tls-exporter` is one of them. Without
//! that list the type behind `-PLUS` is unknown: older servers (ejabberd
//! 23.01, Prosody 0.12) bind `tls-unique` only, which TLS 1.3 does not
//! define, so guessing fails the login. Then, and when the list lacks
//! `tls-exporter`, Sotto logs in with plain SCRAM and the GS2 flag `n`.
//! When we could bind but the server offers no `-PLUS` mechanism at all the
//! flag is `y`, which lets a server that does bind detect a stripped offer.
//! A binding the server advertised and then rejected is reported as such
//! (never as a wrong password) and never retried without binding: that
//! retry is exactly the downgrade an interceptor would want.

use std::collections::BTreeSet;
use std::str::FromStr;

use futures::SinkExt;
use sasl::client::Mechanism;
use sasl::client::mechanisms::{Plain, Scram};
use sasl::common::ChannelBinding;
use sasl::common::scram::{Sha1, Sha256};
use tokio_xmpp::xmlstream::{InitiatingStream, XmlStream, XmppStreamElement};
use xmpp_parsers::sasl::{Auth, Mechanism as WireMechanism, Nonza, Response};
use xmpp_parsers::sasl_cb::Type as CbType;
use xmpp_parsers::stream_features::StreamFeatures;

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

/// What the server told us about channel binding, and what we can do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct BindingFacts {
    /// We hold `tls-exporter` data (TLS 1.3).
    pub(crate) have_exporter: bool,
    /// The server's XEP-0440 list: `None` when it sent none, else whether
    /// `tls-exporter` is on it.
    pub(crate) advertised_exporter: Option<bool>,
}

impl BindingFacts {
    /// Reads the facts off the stream features after TLS.
    pub(crate) fn new(features: &StreamFeatures, have_exporter: bool) -> Self {
        Self {
            have_exporter,
            advertised_exporter: features
                .sasl_cb
                .as_ref()
                .map(|cb| cb.types.contains(&CbType::TlsExporter)),
        }
    }
}

/// How channel binding is used in one login (the GS2 header's flag).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Binding {
    /// `p=tls-exporter`: the login is bound to this TLS connection.
    Exporter,
    /// `y`: we could bind but the server seems not to support it.
    ClientOnly,
    /// `n`: no binding (none we can compute, or none the server shares).
    None,
}

/// The mechanism and binding of one login.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Plan {
    pub(crate) mechanism: &'static str,
    pub(crate) binding: Binding,
}

/// The most PBKDF2 iterations a server may ask of us. Servers use 4,096 to
/// about 600,000; a hostile one could ask for billions (minutes of CPU
/// before the login even fails).
pub(crate) const MAX_SCRAM_ITERATIONS: u64 = 1_000_000;

/// Picks the mechanism and binding, or `None` when nothing acceptable is
/// offered. The rule is in the module documentation. With `scram_only`
/// (the account has logged in with SCRAM before) PLAIN is never chosen:
/// a server that suddenly offers only PLAIN is a downgrade.
pub(crate) fn plan(
    offered: &BTreeSet<String>,
    facts: BindingFacts,
    scram_only: bool,
) -> Option<Plan> {
    let server_binds = offered.iter().any(|m| m.ends_with("-PLUS"));
    let bind = facts.have_exporter && facts.advertised_exporter == Some(true);
    let mechanism = PREFERENCE
        .iter()
        .copied()
        .filter(|m| bind || !m.ends_with("-PLUS"))
        .filter(|m| !scram_only || m.starts_with("SCRAM-"))
        .find(|m| offered.contains(*m))?;
    let binding = if mechanism.ends_with("-PLUS") {
        Binding::Exporter
    } else if mechanism == "PLAIN" {
        // PLAIN has no GS2 header of its own to carry a flag.
        Binding::None
    } else if facts.have_exporter && !server_binds {
        Binding::ClientOnly
    } else {
        Binding::None
    };
    Some(Plan { mechanism, binding })
}

fn build(
    plan: Plan,
    username: &str,
    password: &str,
    exporter: Option<Vec<u8>>,
) -> Result<Box<dyn Mechanism + Send>, ConnectError> {
    let cb = match (plan.binding, exporter) {
        (Binding::Exporter, Some(data)) => ChannelBinding::TlsExporter(data),
        (Binding::Exporter, None) => {
            return Err(ConnectError::protocol(
                "preparing the login",
                "channel binding chosen without binding data",
            ));
        }
        (Binding::ClientOnly, _) => ChannelBinding::Unsupported,
        (Binding::None, _) => ChannelBinding::None,
    };
    let fail = |e: String| ConnectError::protocol("preparing the login", e);
    let mechanism: Box<dyn Mechanism + Send> = match plan.mechanism {
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

/// Turns a SASL `<failure/>` into the error the user sees. A failure whose
/// text names channel binding is not reported as wrong credentials: the
/// password may well be right. (A bound login refused without such words is
/// most likely a wrong password: SCRAM checks the binding and the password
/// in one proof, and servers say which one failed when it is the binding.)
fn failure_error(plan: Plan, condition: String, text: Option<String>) -> ConnectError {
    let detail = match text {
        Some(text) => format!("{condition}: {}", crate::text::untrusted_text(&text)),
        None => condition,
    };
    let names_binding = {
        let lower = detail.to_ascii_lowercase();
        lower.contains("channel binding") || lower.contains("channel-binding")
    };
    if names_binding {
        ConnectError::ChannelBindingRejected {
            mechanism: plan.mechanism.to_owned(),
            detail,
        }
    } else {
        ConnectError::AuthenticationFailed(detail)
    }
}

/// The iteration count of a SCRAM server-first-message, refused above
/// [`MAX_SCRAM_ITERATIONS`] before any hashing.
fn check_iterations(challenge: &[u8]) -> Result<(), ConnectError> {
    let text = String::from_utf8_lossy(challenge);
    let Some(count) = text.split(',').find_map(|part| part.strip_prefix("i=")) else {
        // Not a server-first-message: the mechanism judges it.
        return Ok(());
    };
    match count.parse::<u64>() {
        Ok(n) if n <= MAX_SCRAM_ITERATIONS => Ok(()),
        _ => Err(ConnectError::protocol(
            "logging in",
            format!(
                "the server asks for {} password-hashing iterations (Sotto allows at most \
                 {MAX_SCRAM_ITERATIONS})",
                count
                    .chars()
                    .filter(char::is_ascii_graphic)
                    .take(24)
                    .collect::<String>()
            ),
        )),
    }
}

/// Authenticates over an encrypted stream; returns it ready for the restart,
/// with the mechanism that worked.
pub(crate) async fn authenticate<Io>(
    mut stream: XmlStream<Io, XmppStreamElement>,
    offered: &BTreeSet<String>,
    facts: BindingFacts,
    credentials: (&str, &str),
    exporter: Option<Vec<u8>>,
    scram_only: bool,
) -> Result<(InitiatingStream<Io>, &'static str), ConnectError>
where
    Io: tokio::io::AsyncBufRead + tokio::io::AsyncWrite + Unpin,
{
    let (username, password) = credentials;
    let offered_list =
        || crate::text::untrusted_text(&offered.iter().cloned().collect::<Vec<_>>().join(", "));
    let plan = match plan(offered, facts, scram_only) {
        Some(plan) => plan,
        None if scram_only && plan(offered, facts, false).is_some() => {
            return Err(ConnectError::DowngradeRefused(offered_list()));
        }
        None => return Err(ConnectError::NoAcceptableMechanism(offered_list())),
    };
    tracing::debug!(mechanism = plan.mechanism, binding = ?plan.binding, "authenticating");
    let mut mechanism = build(plan, username, password, exporter)?;
    let wire = WireMechanism::from_str(plan.mechanism)
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
                if plan.mechanism.starts_with("SCRAM-") {
                    check_iterations(&challenge.data)?;
                }
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
                return Ok((stream.initiate_reset(), plan.mechanism));
            }
            XmppStreamElement::Sasl(Nonza::Failure(failure)) => {
                let text = failure.texts.values().next().cloned();
                let condition = crate::error::condition_name(&failure.defined_condition);
                return Err(failure_error(plan, condition, text));
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

    /// TLS 1.3 and the server's XEP-0440 list: `None` (no list), or whether
    /// `tls-exporter` is on it.
    fn tls13(advertised_exporter: Option<bool>) -> BindingFacts {
        BindingFacts {
            have_exporter: true,
            advertised_exporter,
        }
    }

    const TLS12: BindingFacts = BindingFacts {
        have_exporter: false,
        advertised_exporter: None,
    };

    fn plan_of(offered: &[&str], facts: BindingFacts) -> Option<(&'static str, Binding)> {
        plan(&set(offered), facts, false).map(|p| (p.mechanism, p.binding))
    }

    #[test]
    fn binds_only_when_the_server_lists_tls_exporter() {
        let all = &PREFERENCE[..];
        assert_eq!(
            plan_of(all, tls13(Some(true))),
            Some(("SCRAM-SHA-256-PLUS", Binding::Exporter))
        );
        // A list without tls-exporter: the server binds, but not in a way
        // we can; "y" would make it fail us, so "n".
        assert_eq!(
            plan_of(all, tls13(Some(false))),
            Some(("SCRAM-SHA-256", Binding::None))
        );
        assert_eq!(plan_of(all, TLS12), Some(("SCRAM-SHA-256", Binding::None)));
    }

    #[test]
    fn ejabberd_23_plus_without_a_list_is_not_guessed() {
        // ejabberd 23.01: -PLUS means tls-unique, which TLS 1.3 lacks.
        let offered = &["PLAIN", "SCRAM-SHA-1-PLUS", "SCRAM-SHA-1"];
        assert_eq!(
            plan_of(offered, tls13(None)),
            Some(("SCRAM-SHA-1", Binding::None))
        );
        assert_eq!(
            plan_of(offered, TLS12),
            Some(("SCRAM-SHA-1", Binding::None))
        );
    }

    #[test]
    fn no_plus_offered_on_tls13_says_y() {
        // Prosody 0.12 on TLS 1.3: no -PLUS; a stripped offer is detectable.
        let offered = &["PLAIN", "SCRAM-SHA-1", "SCRAM-SHA-256"];
        assert_eq!(
            plan_of(offered, tls13(None)),
            Some(("SCRAM-SHA-256", Binding::ClientOnly))
        );
        assert_eq!(
            plan_of(offered, tls13(Some(true))),
            Some(("SCRAM-SHA-256", Binding::ClientOnly))
        );
        assert_eq!(
            plan_of(offered, TLS12),
            Some(("SCRAM-SHA-256", Binding::None))
        );
    }

    #[test]
    fn plain_only_as_last_resort_and_unknown_refused() {
        assert_eq!(plan_of(&["PLAIN"], TLS12), Some(("PLAIN", Binding::None)));
        assert_eq!(
            plan_of(&["PLAIN"], tls13(Some(true))),
            Some(("PLAIN", Binding::None))
        );
        assert_eq!(
            plan_of(&["DIGEST-MD5", "X-OAUTH2"], tls13(Some(true))),
            None
        );
        assert_eq!(plan_of(&["SCRAM-SHA-256-PLUS"], TLS12), None);
        assert_eq!(plan_of(&["SCRAM-SHA-1-PLUS"], tls13(None)), None);
    }

    #[test]
    fn the_xep_0440_list_is_read_from_stream_features() {
        let features: StreamFeatures =
            "<stream:features xmlns:stream='http://etherx.jabber.org/streams'>\
             <mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>\
             <mechanism>SCRAM-SHA-256-PLUS</mechanism></mechanisms>\
             <sasl-channel-binding xmlns='urn:xmpp:sasl-cb:0'>\
             <channel-binding type='tls-server-end-point'/>\
             <channel-binding type='tls-exporter'/></sasl-channel-binding>\
             </stream:features>"
                .parse::<xmpp_parsers::minidom::Element>()
                .ok()
                .and_then(|e| StreamFeatures::try_from(e).ok())
                .expect("valid features");
        assert_eq!(BindingFacts::new(&features, true), tls13(Some(true)));
        let bare = StreamFeatures::default();
        assert_eq!(BindingFacts::new(&bare, false), TLS12);
    }

    #[test]
    fn binding_failures_are_not_reported_as_wrong_passwords() {
        let bound = Plan {
            mechanism: "SCRAM-SHA-256-PLUS",
            binding: Binding::Exporter,
        };
        let unbound = Plan {
            mechanism: "SCRAM-SHA-1",
            binding: Binding::None,
        };
        let e = failure_error(
            bound,
            "not-authorized".into(),
            Some("Channel-binding data mismatch".into()),
        );
        assert!(
            matches!(e, ConnectError::ChannelBindingRejected { .. }),
            "{e}"
        );
        let e = failure_error(bound, "not-authorized".into(), None);
        assert!(matches!(e, ConnectError::AuthenticationFailed(_)), "{e}");
        // ejabberd 23.01's words for a binding it cannot check.
        let e = failure_error(
            unbound,
            "not-authorized".into(),
            Some("Invalid channel binding".into()),
        );
        assert!(
            matches!(e, ConnectError::ChannelBindingRejected { .. }),
            "{e}"
        );
        let e = failure_error(unbound, "not-authorized".into(), None);
        assert!(matches!(e, ConnectError::AuthenticationFailed(_)), "{e}");
        assert!(!e.is_transient());
    }

    #[test]
    fn after_a_scram_login_plain_is_never_chosen() {
        let plain_only = set(&["PLAIN"]);
        assert_eq!(
            plan(&plain_only, TLS12, false).map(|p| p.mechanism),
            Some("PLAIN")
        );
        assert_eq!(plan(&plain_only, TLS12, true), None);
        let both = set(&["PLAIN", "SCRAM-SHA-1"]);
        assert_eq!(
            plan(&both, TLS12, true).map(|p| p.mechanism),
            Some("SCRAM-SHA-1")
        );
        let e = ConnectError::DowngradeRefused("PLAIN".into());
        assert!(!e.is_transient());
        assert!(e.to_string().contains("SCRAM before"), "{e}");
    }

    #[test]
    fn scram_iteration_counts_are_capped_before_hashing() {
        let first = |i: &str| format!("r=abc,s=QSXCR+Q6sek8bf92,i={i}").into_bytes();
        assert!(check_iterations(&first("4096")).is_ok());
        assert!(check_iterations(&first("1000000")).is_ok());
        for hostile in [
            "1000001",
            "4294967295",
            "99999999999999999999999",
            "-1",
            "x",
        ] {
            let result = check_iterations(&first(hostile));
            assert!(
                matches!(&result, Err(e) if e.to_string().contains("iterations")),
                "{hostile}: {result:?}"
            );
        }
        // A challenge that is no server-first-message is left to SCRAM.
        assert!(check_iterations(b"v=rmF9pqV8S7suAoZWja4dJRkFsKQ=").is_ok());
    }

    #[test]
    fn a_failure_text_reaches_the_error_without_terminal_controls() {
        let plan = Plan {
            mechanism: "SCRAM-SHA-1",
            binding: Binding::None,
        };
        let hostile = format!("\u{1b}[2J\u{202e}wrong{}", "x".repeat(5000));
        let e = failure_error(plan, "not-authorized".into(), Some(hostile)).to_string();
        assert!(!e.contains('\u{1b}') && !e.contains('\u{202e}'), "{e:?}");
        assert!(
            e.contains("not-authorized: \\u{1b}[2J\\u{202e}wrong"),
            "{e}"
        );
        assert!(e.len() < 400, "the text is capped: {} bytes", e.len());
    }
}
