// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! The connection factory behind the stanza stream: log in, and on failure
//! retry with exponential backoff and jitter, or stop when only the user can
//! fix the problem (credentials, certificate decisions).

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use rand::Rng;
use tokio::sync::{mpsc, oneshot};
use tokio_xmpp::stanzastream::Connection;
use xmpp_parsers::jid::Jid;

use super::{SessionConfig, SessionEvent};
use crate::login;

/// Backoff schedule: 1 s doubling up to 60 s, each delay scaled by a random
/// factor in [0.5, 1.0] so that many clients do not reconnect in lockstep
/// after a server restart.
#[derive(Debug, Default)]
pub(crate) struct Backoff {
    attempts: AtomicU32,
    /// Logins that succeeded without the stream coming online since the last
    /// time it did (stream-management resumption failing in a loop).
    logins_without_online: AtomicU32,
    /// Raised when the stream must be rebuilt without its old state.
    pub(crate) rebuild: tokio::sync::Notify,
}

impl Backoff {
    const BASE_MS: u64 = 1_000;
    const MAX_MS: u64 = 60_000;

    pub(crate) fn next_delay(&self) -> Duration {
        let attempt = self.attempts.fetch_add(1, Ordering::Relaxed).min(16);
        let ceiling = Self::BASE_MS
            .saturating_mul(1u64 << attempt)
            .min(Self::MAX_MS);
        let factor: f64 = rand::rng().random_range(0.5..=1.0);
        Duration::from_millis((ceiling as f64 * factor) as u64)
    }

    pub(crate) fn reset(&self) {
        self.attempts.store(0, Ordering::Relaxed);
        self.logins_without_online.store(0, Ordering::Relaxed);
    }

    /// A failed login is not a stream that led nowhere after login.
    fn login_failed(&self) {
        let _ =
            self.logins_without_online
                .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1));
    }

    /// Counts a login attempt; true once too many logins in a row led nowhere.
    fn login_led_nowhere_too_often(&self) -> bool {
        self.logins_without_online.fetch_add(1, Ordering::Relaxed) >= LOGINS_BEFORE_REBUILD
    }
}

/// Successful logins without reaching "online" before the stream is rebuilt.
///
/// Prosody answers a failed resumption with `<failed/>` without the `h`
/// attribute, which tokio-xmpp 6 cannot parse: it then keeps the old stream
/// management state and tries to resume again, forever. Rebuilding the stream
/// drops that state; the core re-sends whatever was not acknowledged.
const LOGINS_BEFORE_REBUILD: u32 = 3;

/// Builds the reconnector closure handed to `StanzaStream::new`.
pub(crate) fn reconnector(
    config: Arc<SessionConfig>,
    identity: Jid,
    events: mpsc::UnboundedSender<SessionEvent>,
    backoff: Arc<Backoff>,
) -> Box<dyn FnMut(Option<String>, oneshot::Sender<Connection>) + Send + 'static> {
    Box::new(move |_preferred_location, mut slot| {
        let config = config.clone();
        let identity = identity.clone();
        let events = events.clone();
        let backoff = backoff.clone();
        tokio::spawn(async move {
            loop {
                if backoff.login_led_nowhere_too_often() {
                    tracing::warn!(
                        "the stream keeps failing after login; rebuilding it without its old state"
                    );
                    backoff.rebuild.notify_one();
                    slot.closed().await;
                    return;
                }
                let _ = events.send(SessionEvent::Connecting);
                let attempt = tokio::select! {
                    result = login::login(&config) => result,
                    _ = slot.closed() => return,
                };
                match attempt {
                    Ok((features, stream, mechanism)) => {
                        let _ = events.send(SessionEvent::LoggedIn {
                            mechanism: mechanism.to_owned(),
                        });
                        let connection = Connection {
                            stream,
                            features,
                            identity,
                        };
                        // An Err means the session was closed meanwhile.
                        let _ = slot.send(connection);
                        return;
                    }
                    Err(error) if error.is_transient() => {
                        backoff.login_failed();
                        let delay = backoff.next_delay();
                        tracing::info!(%error, ?delay, "connection attempt failed; retrying");
                        let _ = events.send(SessionEvent::RetryScheduled {
                            reason: error.to_string(),
                            retry_in: delay,
                        });
                        tokio::select! {
                            _ = tokio::time::sleep(delay) => {}
                            _ = slot.closed() => return,
                        }
                    }
                    Err(error) => {
                        tracing::warn!(%error, "connection refused; waiting for the user");
                        let _ = events.send(SessionEvent::Stopped { error });
                        // Keep the slot: dropping it would make the stream
                        // worker treat this as a crash. It is released when
                        // the session is closed.
                        slot.closed().await;
                        return;
                    }
                }
            }
        });
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_with_jitter_and_caps() {
        let backoff = Backoff::default();
        let first = backoff.next_delay();
        assert!(first >= Duration::from_millis(500) && first <= Duration::from_millis(1000));
        let second = backoff.next_delay();
        assert!(second >= Duration::from_millis(1000) && second <= Duration::from_millis(2000));
        for _ in 0..20 {
            assert!(backoff.next_delay() <= Duration::from_millis(Backoff::MAX_MS));
        }
        backoff.reset();
        assert!(backoff.next_delay() <= Duration::from_millis(1000));
    }
}
