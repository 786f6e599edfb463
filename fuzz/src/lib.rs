// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! What the fuzz targets share: deterministic OTR and OMEMO peers that have
//! completed an honest key exchange, and the byte layout of the structured
//! inputs (so that `src/bin/seeds.rs` writes seeds the targets understand).
//!
//! Everything is seeded: a target run twice on one input does the same.

use std::sync::{Arc, OnceLock};
use std::time::{Duration, SystemTime};

use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use sotto_omemo::store::{MemoryStore, OwnDevice};
use sotto_omemo::{
    DeviceAddress, EncryptedMessage, KeyElement, Limits, Namespace, Recipient, Session, device,
};
use sotto_otr::{Account, Action, Conversation, InstanceTag, Policy, PrivateKey, State};

/// A fixed RNG for one purpose.
pub fn rng(seed: u64) -> ChaCha20Rng {
    ChaCha20Rng::seed_from_u64(seed)
}

/// The fixed "now" of every fixture and target.
pub fn now() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000)
}

// ---------------------------------------------------------------- OTR

/// The two OTR accounts (DSA key generation is slow: done once).
pub fn otr_accounts() -> &'static [Arc<Account>; 2] {
    static ACCOUNTS: OnceLock<[Arc<Account>; 2]> = OnceLock::new();
    ACCOUNTS.get_or_init(|| {
        let account = |seed| {
            let mut rng = rng(seed);
            let key = PrivateKey::generate(&mut rng);
            let tag = InstanceTag::generate(&mut rng);
            Arc::new(Account::new(key, tag, Policy::Opportunistic))
        };
        [account(1), account(2)]
    })
}

/// What Alice sent during the exchange, and Bob's side of it.
pub struct OtrPair {
    /// Alice (the account that started).
    pub alice: Conversation,
    /// Bob, who receives the fuzz input.
    pub bob: Conversation,
    /// Bob's RNG, continued by the target.
    pub bob_rng: ChaCha20Rng,
    /// Alice's RNG.
    pub alice_rng: ChaCha20Rng,
}

fn wire(actions: Vec<Action>) -> Vec<String> {
    actions
        .into_iter()
        .filter_map(|a| match a {
            Action::SendWire(s) => Some(s),
            _ => None,
        })
        .collect()
}

/// Two conversations that completed an honest AKE (v3), both encrypted.
/// `None` if the engine did not get there (a target then has nothing to do).
pub fn otr_pair() -> Option<OtrPair> {
    let [a, b] = otr_accounts();
    let mut pair = OtrPair {
        alice: Conversation::new(a.clone()),
        bob: Conversation::new(b.clone()),
        alice_rng: rng(11),
        bob_rng: rng(12),
    };
    let mut to_bob = wire(pair.alice.start());
    for _ in 0..8 {
        let mut to_alice = Vec::new();
        for m in to_bob.drain(..) {
            to_alice.extend(wire(pair.bob.receive(&m, now(), &mut pair.bob_rng).ok()?));
        }
        for m in to_alice {
            to_bob.extend(wire(
                pair.alice.receive(&m, now(), &mut pair.alice_rng).ok()?,
            ));
        }
        if pair.alice.state() == State::Encrypted && pair.bob.state() == State::Encrypted {
            return Some(pair);
        }
    }
    None
}

/// Splits a fuzz input into bodies: NUL never occurs in XML, so it is free
/// to separate them.
pub fn bodies(data: &[u8]) -> impl Iterator<Item = String> + '_ {
    data.split(|b| *b == 0)
        .map(|b| String::from_utf8_lossy(b).into_owned())
}

// ---------------------------------------------------------------- OMEMO

/// Bob's JID in the OMEMO fixture.
pub const BOB: &str = "bob@example.org";
/// Alice's JID in the OMEMO fixture.
pub const ALICE: &str = "alice@example.org";

/// Bob's device after a session with Alice in one namespace, and real
/// messages from Alice.
pub struct OmemoFixture {
    /// Bob's store (his prekeys).
    pub store: MemoryStore,
    /// Bob's device.
    pub device: OwnDevice,
    /// Bob's session with Alice per namespace (legacy, OMEMO 2).
    pub sessions: [Session; 2],
    /// Alice's first (key exchange) message per namespace.
    pub key_exchanges: [EncryptedMessage; 2],
    /// A later, ordinary message from Alice per namespace.
    pub messages: [EncryptedMessage; 2],
}

/// The namespace of index `i` in [`OmemoFixture`]'s arrays.
pub const NAMESPACES: [Namespace; 2] = [Namespace::Legacy, Namespace::Omemo2];

fn now_secs() -> u64 {
    now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

fn omemo_exchange(
    ns: Namespace,
    alice: &OwnDevice,
    bob_store: &MemoryStore,
    bob: &OwnDevice,
    rng: &mut ChaCha20Rng,
) -> sotto_omemo::Result<(Session, EncryptedMessage, EncryptedMessage)> {
    let plain: &[u8] = match ns {
        Namespace::Legacy => b"hello",
        Namespace::Omemo2 => b"<envelope xmlns='urn:xmpp:sce:1'><content><body xmlns='jabber:client'>hello</body></content><from jid='alice@example.org'/></envelope>",
    };
    let limits = Limits::default();
    let first = sotto_omemo::encrypt(
        ns,
        &alice.identity,
        alice.device_id,
        vec![Recipient {
            address: DeviceAddress::new(BOB, bob.device_id),
            session: None,
            bundle: Some(device::own_bundle(bob_store, ns)?),
        }],
        Some(plain),
        rng,
    )?;
    let alice_session = first.sessions.into_iter().next().map(|(_, s)| s);
    let bob_got = sotto_omemo::decrypt(
        &bob.identity,
        BOB,
        bob.device_id,
        &first.message,
        None,
        bob_store,
        now_secs(),
        &limits,
        rng,
    )?;
    // Bob answers, so that Alice's next message is an ordinary one.
    let answer = sotto_omemo::encrypt(
        ns,
        &bob.identity,
        bob.device_id,
        vec![Recipient {
            address: DeviceAddress::new(ALICE, alice.device_id),
            session: Some(bob_got.session.clone()),
            bundle: None,
        }],
        Some(plain),
        rng,
    )?;
    let bob_session = answer
        .sessions
        .into_iter()
        .next()
        .map(|(_, s)| s)
        .ok_or(sotto_omemo::Error::NoSession { device_id: 0 })?;
    let alice_got = sotto_omemo::decrypt(
        &alice.identity,
        ALICE,
        alice.device_id,
        &answer.message,
        alice_session.as_ref(),
        &MemoryStore::new(),
        now_secs(),
        &limits,
        rng,
    )?;
    let second = sotto_omemo::encrypt(
        ns,
        &alice.identity,
        alice.device_id,
        vec![Recipient {
            address: DeviceAddress::new(BOB, bob.device_id),
            session: Some(alice_got.session),
            bundle: None,
        }],
        Some(plain),
        rng,
    )?;
    Ok((bob_session, first.message, second.message))
}

/// The OMEMO fixture, built once (`None` if the engine refused; then the
/// target has nothing to do).
pub fn omemo() -> Option<&'static OmemoFixture> {
    static FIXTURE: OnceLock<Option<OmemoFixture>> = OnceLock::new();
    FIXTURE
        .get_or_init(|| {
            let mut rng = rng(21);
            let mut alice_store = MemoryStore::new();
            let mut store = MemoryStore::new();
            let alice = device::load_or_create(&mut alice_store, now_secs(), &mut rng).ok()?;
            let device = device::load_or_create(&mut store, now_secs(), &mut rng).ok()?;
            let (s0, k0, m0) =
                omemo_exchange(NAMESPACES[0], &alice, &store, &device, &mut rng).ok()?;
            let (s1, k1, m1) =
                omemo_exchange(NAMESPACES[1], &alice, &store, &device, &mut rng).ok()?;
            Some(OmemoFixture {
                store,
                device,
                sessions: [s0, s1],
                key_exchanges: [k0, k1],
                messages: [m0, m1],
            })
        })
        .as_ref()
}

/// Flags of the first byte of an `omemo_decrypt` input.
pub mod flags {
    /// OMEMO 2 (else legacy).
    pub const OMEMO2: u8 = 1;
    /// The key is a key exchange (`prekey`/`kex`).
    pub const KEY_EXCHANGE: u8 = 2;
    /// Bob passes his stored session with Alice.
    pub const WITH_SESSION: u8 = 4;
    /// The element has a payload (else it is key transport).
    pub const PAYLOAD: u8 = 8;
}

/// Encodes an `omemo_decrypt` input: flags, key length (u16 BE), key data,
/// then (legacy) a 12-byte IV, then the payload.
pub fn encode_omemo_input(
    flags: u8,
    key: &[u8],
    iv: Option<&[u8]>,
    payload: Option<&[u8]>,
) -> Vec<u8> {
    let mut out = vec![flags];
    let len = u16::try_from(key.len()).unwrap_or(u16::MAX);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(&key[..usize::from(len)]);
    if let Some(iv) = iv {
        out.extend_from_slice(iv);
    }
    if let Some(p) = payload {
        out.extend_from_slice(p);
    }
    out
}

/// Reads an `omemo_decrypt` input into Bob's received element, and whether
/// to pass his session. `None` for inputs too short to say.
pub fn decode_omemo_input(data: &[u8], bob_device: u32) -> Option<(EncryptedMessage, bool)> {
    let (&flags, rest) = data.split_first()?;
    let len = usize::from(u16::from_be_bytes([*rest.first()?, *rest.get(1)?]));
    let rest = &rest[2..];
    let key = rest.get(..len)?.to_vec();
    let mut rest = &rest[len..];
    let namespace = if flags & flags::OMEMO2 != 0 {
        Namespace::Omemo2
    } else {
        Namespace::Legacy
    };
    let iv = match namespace {
        Namespace::Legacy => {
            let iv = rest.get(..12)?.to_vec();
            rest = &rest[12..];
            Some(iv)
        }
        Namespace::Omemo2 => None,
    };
    let message = EncryptedMessage {
        namespace,
        sender_device_id: 7,
        iv,
        payload: (flags & flags::PAYLOAD != 0).then(|| rest.to_vec()),
        keys: vec![KeyElement {
            jid: BOB.to_owned(),
            device_id: bob_device,
            data: key,
            key_exchange: flags & flags::KEY_EXCHANGE != 0,
        }],
    };
    Some((message, flags & flags::WITH_SESSION != 0))
}

/// The `omemo_decrypt` input for a real message of the fixture.
pub fn omemo_input_of(message: &EncryptedMessage, with_session: bool) -> Option<Vec<u8>> {
    let key = message.keys.first()?;
    let mut f = 0;
    if message.namespace == Namespace::Omemo2 {
        f |= flags::OMEMO2;
    }
    if key.key_exchange {
        f |= flags::KEY_EXCHANGE;
    }
    if with_session {
        f |= flags::WITH_SESSION;
    }
    if message.payload.is_some() {
        f |= flags::PAYLOAD;
    }
    Some(encode_omemo_input(
        f,
        &key.data,
        message.iv.as_deref(),
        message.payload.as_deref(),
    ))
}
