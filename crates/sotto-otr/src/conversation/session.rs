// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! One OTR session: with one remote v3 instance, or the v2 session.

use std::time::SystemTime;

use crate::ake::Ake;
use crate::data::DataKeys;
use crate::smp::Smp;
use crate::{Error, Fingerprint, PublicKey, State};

/// The message state of a session.
#[derive(Debug, Default)]
pub(super) enum Msg {
    #[default]
    Plaintext,
    Encrypted(Box<DataKeys>),
    Finished,
}

impl Msg {
    pub(super) fn state(&self) -> State {
        match self {
            Msg::Plaintext => State::Plaintext,
            Msg::Encrypted(_) => State::Encrypted,
            Msg::Finished => State::Finished,
        }
    }
}

#[derive(Debug, Default)]
pub(super) struct Session {
    pub(super) ake: Ake,
    pub(super) msg: Msg,
    pub(super) smp: Smp,
    /// The peer's long-term key from the last completed AKE.
    pub(super) their_key: Option<PublicKey>,
    pub(super) ssid: [u8; 8],
    /// Protocol version of the encrypted session.
    pub(super) version: u16,
    pub(super) last_sent: Option<SystemTime>,
    /// When the peer last sent this session an AKE or data message (which
    /// session to drop first when a peer opens too many).
    pub(super) last_active: Option<SystemTime>,
}

impl Session {
    pub(super) fn their_fingerprint(&self) -> Result<Fingerprint, Error> {
        self.their_key
            .as_ref()
            .map(PublicKey::fingerprint)
            .ok_or(Error::NotEncrypted {
                what: "reading the peer's fingerprint",
            })
    }
}
