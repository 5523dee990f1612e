//! Envelopes through chatd's whole receive path (chat_e2e::Engine for
//! "bob", with "alice" pinned and one session key of hers installed, all
//! fixed test keys): parsing, signature checks, RSA unwrapping, replay
//! windows, AES-GCM and payload decoding. Nothing a peer sends may panic or
//! be reported as a store error.
//!
//! The first byte picks the mode: even, the rest is an envelope object as
//! it arrives in `deliver`; odd, the rest is a plaintext that is sealed
//! under alice's installed key first, so payload decoding is reached
//! through the real decrypt path.

#![no_main]

mod common;

use std::sync::{Arc, LazyLock};

use chat_e2e::session::{Route, SecretKey, seal_msg};
use chat_e2e::{Engine, Envelope, IdentityKey, MemoryStore, ReceivingKey, ReceivingKeyStore};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

const KEY_ID: &str = "40b04b0f-fd8e-45d9-9949-93a07bab65c9";

struct Fixture {
    bob: Arc<IdentityKey>,
    alice_pem: String,
    alice_fingerprint: String,
    session_key: [u8; 32],
}

static FIXTURE: LazyLock<Fixture> = LazyLock::new(|| {
    let bob = IdentityKey::from_pem(&common::field(&["keys", "bob", "private_pkcs8_pem"]))
        .expect("bob's key");
    let alice =
        chat_e2e::PublicIdentity::from_pem(&common::field(&["keys", "alice", "public_pem"]))
            .expect("alice's key");
    let mut session_key = [0u8; 32];
    let hex_key = common::field(&["session", "session_key_hex"]);
    for (i, b) in session_key.iter_mut().enumerate() {
        *b = u8::from_str_radix(&hex_key[2 * i..2 * i + 2], 16).expect("hex");
    }
    Fixture {
        bob: Arc::new(bob),
        alice_pem: alice.pem().to_string(),
        alice_fingerprint: alice.fingerprint().to_string(),
        session_key,
    }
});

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let f = &*FIXTURE;
    let engine = Engine::new("bob", f.bob.clone());
    let mut store = MemoryStore::new();
    engine
        .observe_key(&mut store, "alice", &f.alice_pem, 0)
        .expect("pin alice");
    store
        .put_receiving_key(&ReceivingKey {
            peer: "alice".into(),
            key_id: KEY_ID.into(),
            key: SecretKey::from_bytes(f.session_key),
            sender_fingerprint: f.alice_fingerprint.clone(),
            created_ms: 0,
            window: Default::default(),
        })
        .expect("install key");
    let envelope = if mode % 2 == 0 {
        match serde_json::from_slice::<Value>(rest) {
            Ok(Value::Object(map)) => map,
            _ => return,
        }
    } else {
        let key = SecretKey::from_bytes(f.session_key);
        let route = Route {
            from: "alice",
            to: "bob",
        };
        let msg = seal_msg(&key, route, KEY_ID, u64::from(mode), rest).expect("seal");
        Envelope::Msg(msg).to_json()
    };
    engine
        .receive_blocking(&mut store, "alice", &envelope, 1)
        .expect("a peer's envelope never causes a store error");
});
