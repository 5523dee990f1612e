//! One 1:1 message through the end-to-end layer (issue 14 item 2), for a
//! 200-byte payload (a chat line) and a 64 KiB one (the largest text),
//! at two depths:
//!
//! - `envelope/seal` and `open`: the envelope alone
//!   (`session::seal_msg` / `open_msg`: AES-256-GCM, the associated data,
//!   base64), over a plaintext of exactly that many bytes.
//! - `engine/encrypt` and `decrypt`: what the daemon runs per message
//!   once a session key exists: `Engine::encrypt` (payload to JSON, seal,
//!   advance the key's seq in the store, envelope to JSON) and
//!   `Engine::receive` (envelope from JSON, replay window, open, payload
//!   from JSON), against the in-memory store. Each `decrypt` gets a fresh
//!   envelope (made outside the measurement), as replayed ones are
//!   dropped early.
//!
//! No RSA here: it only happens when a key is made (see `group_fanout`
//! and chat-proto's `crypto` bench). Run with
//! `cargo bench -p chat-e2e --bench envelope`; CI only compiles it.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

#[path = "../../chat-proto/benches/support/cpu_time.rs"]
mod cpu_time;

use std::hint::black_box;
use std::sync::Arc;

use chat_e2e::session::{Route, SecretKey, open_msg, seal_msg};
use chat_e2e::{
    Config, Engine, IdentityKey, MemoryStore, Payload, PublicIdentity, Received, SendingKeyStore,
};
use cpu_time::CpuTime;
use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use serde_json::{Map, Value};

const VECTORS: &str = include_str!("../../../testdata/vectors/v1.json");
const KEY_ID: &str = "40b04b0f-fd8e-45d9-9949-93a07bab65c9";
const ROUTE: Route<'static> = Route {
    from: "alice",
    to: "bob",
};
/// The payload sizes measured: a chat line and the largest text.
const SIZES: [(usize, &str); 2] = [(200, "200 B"), (64 * 1024, "64 KiB")];

fn vector_key(user: &str, field: &str) -> String {
    let v: Value = serde_json::from_str(VECTORS).unwrap();
    v["keys"][user][field].as_str().unwrap().to_string()
}

fn now() -> i64 {
    chat_proto::now_ms()
}

fn bench_envelope(c: &mut Criterion<CpuTime>) {
    let key = SecretKey::generate().unwrap();
    let mut group = c.benchmark_group("envelope");
    for (size, label) in SIZES {
        let plaintext = vec![b'x'; size];
        let sealed = seal_msg(&key, ROUTE, KEY_ID, 1, &plaintext).unwrap();
        group.throughput(Throughput::Bytes(size as u64));
        group.bench_function(format!("seal {label}"), |b| {
            b.iter(|| seal_msg(&key, ROUTE, KEY_ID, 1, black_box(&plaintext)).unwrap())
        });
        group.bench_function(format!("open {label}"), |b| {
            b.iter(|| open_msg(&key, ROUTE, black_box(&sealed)).unwrap())
        });
    }
    group.finish();
}

/// alice's engine and store (bob pinned), and bob's (alice pinned), with
/// alice's sending key to bob already made and known to bob.
struct Pair {
    alice: Engine,
    alice_store: MemoryStore,
    bob: Engine,
    bob_store: MemoryStore,
}

impl Pair {
    fn new() -> Self {
        // No rotation after 1,000 messages in the middle of a measurement.
        let config = Config {
            max_messages_per_key: u64::MAX,
            ..Config::default()
        };
        let identity =
            |user| Arc::new(IdentityKey::from_pem(&vector_key(user, "private_pkcs8_pem")).unwrap());
        let alice = Engine::new("alice", identity("alice")).with_config(config.clone());
        let bob = Engine::new("bob", identity("bob")).with_config(config);
        let (mut alice_store, mut bob_store) = (MemoryStore::new(), MemoryStore::new());
        alice
            .observe_key(
                &mut alice_store,
                "bob",
                &vector_key("bob", "public_pem"),
                now(),
            )
            .unwrap();
        bob.observe_key(
            &mut bob_store,
            "alice",
            &vector_key("alice", "public_pem"),
            now(),
        )
        .unwrap();
        let mut pair = Self {
            alice,
            alice_store,
            bob,
            bob_store,
        };
        // The first message carries the session key (RSA): get it over with.
        for envelope in pair.encrypt(&Payload::text("hello", now()).unwrap()) {
            pair.decrypt(&envelope);
        }
        // bob's receipt would confirm the key; until then every message
        // also carries the `session_key` envelope again (D5).
        let mut key = pair.alice_store.sending_key("bob").unwrap().unwrap();
        key.confirmed = true;
        key.unconfirmed_ids.clear();
        pair.alice_store.put_sending_key(&key).unwrap();
        pair
    }

    fn encrypt(&mut self, payload: &Payload) -> Vec<Map<String, Value>> {
        self.alice
            .encrypt_blocking(&mut self.alice_store, "bob", payload, now())
            .unwrap()
            .iter()
            .map(|e| e.to_json())
            .collect()
    }

    fn decrypt(&mut self, envelope: &Map<String, Value>) -> Received {
        self.bob
            .receive_blocking(&mut self.bob_store, "alice", envelope, now())
            .unwrap()
    }
}

/// A text payload of `size` bytes once encoded (id, time and JSON
/// included).
fn text_of(size: usize) -> Payload {
    let overhead = text_payload_len("x") - 1;
    let len = size
        .saturating_sub(overhead)
        .min(chat_e2e::payload::MAX_TEXT_BYTES);
    Payload::text("x".repeat(len), now()).unwrap()
}

fn text_payload_len(text: &str) -> usize {
    Payload::text(text, now())
        .unwrap()
        .to_bytes()
        .unwrap()
        .len()
}

fn bench_engine(c: &mut Criterion<CpuTime>) {
    let mut pair = Pair::new();
    let mut group = c.benchmark_group("engine");
    for (size, label) in SIZES {
        let payload = text_of(size);
        let bytes = payload.to_bytes().unwrap().len();
        println!("engine {label}: payload {bytes} bytes");
        group.throughput(Throughput::Bytes(bytes as u64));
        group.bench_function(format!("encrypt {label}"), |b| {
            b.iter(|| pair.encrypt(black_box(&payload)))
        });
        let Pair {
            alice,
            alice_store,
            bob,
            bob_store,
        } = &mut pair;
        group.bench_function(format!("decrypt {label}"), |b| {
            b.iter_batched(
                || {
                    let mut envelopes = alice
                        .encrypt_blocking(alice_store, "bob", &payload, now())
                        .unwrap();
                    assert_eq!(envelopes.len(), 1, "one msg envelope per message");
                    envelopes.remove(0).to_json()
                },
                |envelope| {
                    let received = bob
                        .receive_blocking(bob_store, "alice", &envelope, now())
                        .unwrap();
                    assert!(matches!(received, Received::Message(_)));
                    received
                },
                BatchSize::SmallInput,
            )
        });
    }
    // Both calls read the peer's pin and parse its PEM into a key (base64,
    // DER, SHA-256 fingerprint) on every message: that part alone.
    let pem = vector_key("alice", "public_pem");
    group.bench_function("parse a pinned key (per message)", |b| {
        b.iter(|| PublicIdentity::from_pem(black_box(&pem)).unwrap())
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = cpu_time::criterion();
    targets = bench_envelope, bench_engine
}
criterion_main!(benches);
