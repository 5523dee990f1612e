//! Shared by the integration tests: the checked-in vector files, real keys
//! loaded from them (no key generation), and a `Peer` that is one daemon's
//! engine and store.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::sync::Arc;

use chat_e2e::{Engine, Envelope, IdentityKey, MemoryStore, Payload, Received};
use serde_json::{Map, Value};

/// Start of the tests' clock: 2025-11-26, Unix ms.
pub const T0: i64 = 1_764_100_000_000;
/// One hour in ms.
pub const HOUR: i64 = 3_600_000;

pub fn repo_path(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(rel)
}

fn read_json(rel: &str) -> Value {
    let text = std::fs::read_to_string(repo_path(rel)).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// testdata/vectors/v1.json
pub fn v1() -> Value {
    read_json("testdata/vectors/v1.json")
}

/// testdata/e2e/vectors.json
pub fn e2e() -> Value {
    read_json("testdata/e2e/vectors.json")
}

/// testdata/groups/vectors.json
pub fn groups() -> Value {
    read_json("testdata/groups/vectors.json")
}

/// testdata/files/vectors.json
pub fn files() -> Value {
    read_json("testdata/files/vectors.json")
}

/// The files of testdata/files/vectors.json: byte i is i mod 251.
pub fn file_pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i % 251) as u8).collect()
}

/// testdata/groups/payloads.json
pub fn group_payloads() -> Value {
    read_json("testdata/groups/payloads.json")
}

/// What `me`, holding `held`, answers for the JSON `state`, as the vectors
/// spell it: "joined", "advanced", "removed", "duplicate" or the refusal's
/// security reason. The signer's key comes from `keys` (name -> public PEM).
pub fn group_outcome(keys: &Value, held: &Value, state: &Value, me: &str) -> String {
    use chat_e2e::PublicIdentity;
    use chat_e2e::group::{Accepted, SignedGroupState, accept};

    let held = (!held.is_null()).then(|| SignedGroupState::from_json(&obj(held)).unwrap());
    let result = SignedGroupState::from_json(&obj(state)).and_then(|st| {
        let signer = PublicIdentity::from_pem(s(&keys[st.state().signer()], "public_pem")).unwrap();
        accept(held.as_ref().map(|h| h.state()), &st, &signer, me)
    });
    match result {
        Ok(Accepted::Joined) => "joined".into(),
        Ok(Accepted::Advanced) => "advanced".into(),
        Ok(Accepted::Removed) => "removed".into(),
        Ok(Accepted::Duplicate) => "duplicate".into(),
        Err(e) => e.reason().unwrap_or("no reason").into(),
    }
}

/// A JSON object as the wire carries it.
pub fn obj(v: &Value) -> Map<String, Value> {
    v.as_object().cloned().expect("an object")
}

pub fn s<'a>(v: &'a Value, key: &str) -> &'a str {
    v[key]
        .as_str()
        .unwrap_or_else(|| panic!("no string `{key}`"))
}

/// alice and bob come from v1.json, carol from testdata/e2e/vectors.json.
pub fn identity(name: &str) -> Arc<IdentityKey> {
    let doc = if name == "carol" { e2e() } else { v1() };
    Arc::new(IdentityKey::from_pem(s(&doc["keys"][name], "private_pkcs8_pem")).unwrap())
}

/// One daemon: an engine and its store.
pub struct Peer {
    pub engine: Engine,
    pub store: MemoryStore,
}

impl Peer {
    pub fn new(name: &str, identity: Arc<IdentityKey>) -> Self {
        Self {
            engine: Engine::new(name, identity),
            store: MemoryStore::new(),
        }
    }

    pub fn name(&self) -> &str {
        self.engine.username()
    }

    /// Pins `other`'s current key, as after a `get_key`.
    pub fn pin(&mut self, other: &Peer) {
        let pem = other.engine.identity().public_pem().to_string();
        self.engine
            .observe_key(&mut self.store, other.name(), &pem, T0)
            .unwrap();
    }

    /// Encrypts a fresh text to `to`; returns the payload and the envelopes.
    pub fn send_text(
        &mut self,
        to: &str,
        text: &str,
        now: i64,
    ) -> (Payload, Vec<Map<String, Value>>) {
        let payload = Payload::text(text, now).unwrap();
        let envs = self.send(to, &payload, now);
        (payload, envs)
    }

    pub fn send(&mut self, to: &str, payload: &Payload, now: i64) -> Vec<Map<String, Value>> {
        self.engine
            .encrypt_blocking(&mut self.store, to, payload, now)
            .unwrap()
            .iter()
            .map(Envelope::to_json)
            .collect()
    }

    pub fn recv(&mut self, from: &str, env: &Map<String, Value>, now: i64) -> Received {
        self.engine
            .receive_blocking(&mut self.store, from, env, now)
            .unwrap()
    }

    /// Receives every envelope, returning the outcomes.
    pub fn recv_all(&mut self, from: &str, envs: &[Map<String, Value>], now: i64) -> Vec<Received> {
        envs.iter().map(|e| self.recv(from, e, now)).collect()
    }
}

/// alice and bob with each other's keys pinned.
pub fn alice_and_bob() -> (Peer, Peer) {
    let mut alice = Peer::new("alice", identity("alice"));
    let mut bob = Peer::new("bob", identity("bob"));
    alice.pin(&bob);
    bob.pin(&alice);
    (alice, bob)
}

/// The text of a `Message` outcome, or a panic naming what it was.
pub fn text_of(r: &Received) -> &str {
    match r {
        Received::Message(d) => match &d.payload {
            Payload::Text(t) => &t.text,
            other => panic!("not a text: {other:?}"),
        },
        other => panic!("not a message: {other:?}"),
    }
}

pub fn kind(env: &Map<String, Value>) -> &str {
    env["kind"].as_str().unwrap()
}
