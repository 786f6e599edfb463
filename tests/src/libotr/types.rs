// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! What the libotr peer is configured with and reports.

/// The OTR versions a peer allows (libotr's `OTRL_POLICY_ALLOW_V*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Versions {
    /// Only v2, like old libotr clients that send `?OTRv2?`.
    V2,
    /// Only v3 (instance tags).
    V3,
    /// v2 and v3, libotr's default; v3 wins when both sides have it.
    Both,
}

impl Versions {
    pub(super) fn keyword(self) -> &'static str {
        match self {
            Self::V2 => "v2",
            Self::V3 => "v3",
            Self::Both => "both",
        }
    }
}

/// libotr's message state for a peer (`OTRL_MSGSTATE_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MsgState {
    Plaintext,
    Encrypted,
    /// The other side ended the session; libotr refuses to send until the
    /// user ends it too.
    Finished,
}

/// The state of the most secure session with a peer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PeerState {
    pub msgstate: MsgState,
    /// The protocol version in use: 2 or 3, 0 when not encrypted.
    pub version: u32,
}

/// A libotr callback that fired while handling a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PeerEvent {
    /// `gone_secure`: an AKE completed and a new session started.
    GoneSecure,
    /// `gone_insecure` (libotr 4.1.1 never calls it; here for completeness).
    GoneInsecure,
    /// `still_secure`: an AKE refreshed the session with the same keys.
    StillSecure,
    /// The other side started SMP (`OTRL_SMPEVENT_ASK_FOR_SECRET`, or
    /// `…_ASK_FOR_ANSWER` with its question): answer with
    /// [`LibotrPeer::smp_respond`].
    SmpAskForSecret {
        question: Option<String>,
    },
    SmpInProgress,
    SmpSucceeded,
    SmpFailed,
    /// The other side aborted SMP (TLV 6).
    SmpAborted,
    /// `OTRL_SMPEVENT_CHEATED`: a proof failed. The peer then aborts SMP, as
    /// Pidgin does, and the abort message is in `to_send`.
    SmpCheated,
    /// `OTRL_SMPEVENT_ERROR`: an SMP message out of order. The peer aborts
    /// SMP, as Pidgin does.
    SmpError,
    /// A fingerprint not seen before for this peer (libotr's human form).
    NewFingerprint(String),
    /// `handle_msg_event`: `kind` is libotr's name (`OTRL_MSGEVENT_…`), `text`
    /// the message libotr passed (an OTR error's text, an unencrypted
    /// message) or, for setup errors, libgcrypt's error text.
    MessageEvent {
        kind: String,
        text: Option<String>,
    },
    /// A TLV arrived in a data message (1: the other side ended the session,
    /// 2–7: SMP). libotr handles them itself; this says they came.
    Tlv(u16),
    /// A report line this driver does not know.
    Other(String),
}

/// What libotr made of one received message.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Received {
    /// What the user sees: the decrypted text, a plaintext message without its
    /// whitespace tag, or `None` for protocol messages (AKE, fragments before
    /// the last, heartbeats, SMP, query messages).
    pub plaintext: Option<String>,
    /// Messages to deliver back to the sender, in order (AKE replies, SMP
    /// replies, resent messages, OTR error messages, heartbeats).
    pub to_send: Vec<String>,
    pub events: Vec<PeerEvent>,
}

impl Received {
    /// Whether `event` was reported.
    #[must_use]
    pub fn has(&self, event: &PeerEvent) -> bool {
        self.events.contains(event)
    }

    /// The `OTRL_MSGEVENT_*` names reported, in order.
    #[must_use]
    pub fn message_events(&self) -> Vec<&str> {
        self.events
            .iter()
            .filter_map(|e| match e {
                PeerEvent::MessageEvent { kind, .. } => Some(kind.as_str()),
                _ => None,
            })
            .collect()
    }
}
