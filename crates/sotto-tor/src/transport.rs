// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! The XMPP transport over Arti streams.

use std::net::IpAddr;
use std::sync::Arc;

use arti_client::{StreamPrefs, TorAddr, TorClient};
use sotto_xmpp::ConnectError;
use sotto_xmpp::transport::{BoxFuture, BoxedStream, Target, Transport};
use tor_rtcompat::PreferredRuntime;

/// Opens XMPP connections through Tor, on one account's isolated circuits.
#[derive(Clone)]
pub struct TorTransport {
    client: Arc<TorClient<PreferredRuntime>>,
}

impl std::fmt::Debug for TorTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TorTransport")
    }
}

impl TorTransport {
    pub(crate) fn new(client: Arc<TorClient<PreferredRuntime>>) -> Self {
        Self { client }
    }
}

/// The address to ask the exit (or onion service) for: a host name as is
/// (resolved by the exit, never locally); an IP literal as an address.
pub(crate) fn tor_addr(host: &str, port: u16) -> Result<TorAddr, ConnectError> {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    let addr = match bare.parse::<IpAddr>() {
        Ok(ip) => TorAddr::dangerously_from((ip, port)),
        Err(_) => TorAddr::from((host, port)),
    };
    addr.map_err(|e| ConnectError::Network(format!("Tor cannot connect to {host}:{port}: {e}")))
}

impl Transport for TorTransport {
    fn connect<'a>(
        &'a self,
        target: &'a Target,
    ) -> BoxFuture<'a, Result<BoxedStream, ConnectError>> {
        Box::pin(async move {
            // SRV records cannot be resolved over Tor: the configured host or
            // the domain itself, on the configured or default port.
            let host = target.host.as_deref().unwrap_or(&target.domain);
            let addr = tor_addr(host, target.default_port())?;
            let mut prefs = StreamPrefs::new();
            prefs.connect_to_onion_services(arti_client::config::BoolOrAuto::Explicit(true));
            let stream = self
                .client
                .connect_with_prefs(addr, &prefs)
                .await
                .map_err(|e| ConnectError::Network(format!("through Tor: {e}")))?;
            Ok(Box::new(stream) as BoxedStream)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_stay_names_and_literals_are_addresses() {
        assert!(tor_addr("xmpp.example.org", 5222).is_ok());
        assert!(
            tor_addr(
                "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzab.onion",
                5222
            )
            .is_ok()
        );
        assert!(tor_addr("127.0.0.1", 5222).is_ok());
        assert!(tor_addr("[::1]", 5222).is_ok());
        assert!(tor_addr("not a host", 5222).is_err());
    }
}
