//! Time and bytes of one message to a 256-member group (issue 12,
//! PROTOCOL.md §4.1, §4.5). The sender's daemon encrypts one `group_text`
//! per member under that member's sending key (pairwise fan-out) and puts
//! the copies in `send_multi` frames of at most 256 items; this measures
//! that work in-process (no network, no disk) and prints the bytes that
//! go on the wire:
//!
//! - `group_text/keys confirmed`: the common case, every member's
//!   sending key established and confirmed: one AES-GCM seal per member,
//!   one frame.
//! - `group_text/first message`: every member also gets a new signed
//!   session key (an RSA-OAEP wrap and an RSA-PSS signature each), so the
//!   copies need two frames.
//! - `group_state/sign` and `verify`: a change to a 256-member group costs
//!   its signer one RSA-PSS signature and each member one verification;
//!   the state's fan-out is printed too.
//!
//! The members' keys are the protocol vectors' (every member pinned to the
//! same public key: the cost per member does not depend on which key).
//! Run with `cargo bench -p chat-e2e --bench group_fanout`; CI only
//! compiles it.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;
use std::sync::Arc;

use chat_e2e::group::{GroupState, Membership, SignedGroupState};
use chat_e2e::{
    Config, Engine, IdentityKey, MemoryStore, Payload, PublicIdentity, SendingKeyStore,
};
use chat_proto::codec::encode_frame;
use chat_proto::wire::{MultiItem, Request, RequestId, encode};
use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use serde_json::Value;
use uuid::Uuid;

/// Members of the group, the sender included (the protocol's maximum).
const MEMBERS: usize = 256;
/// Items in one `send_multi` (§4.5).
const MAX_ITEMS: usize = 256;
/// A message of ordinary length.
const TEXT: &str = "Running ten minutes late, start without me: the slides are in the shared \
                    folder, second version.";
const VECTORS: &str = include_str!("../../../testdata/vectors/v1.json");

fn vector_key(user: &str, field: &str) -> String {
    let v: Value = serde_json::from_str(VECTORS).unwrap();
    v["keys"][user][field].as_str().unwrap().to_string()
}

fn now() -> i64 {
    chat_proto::now_ms()
}

/// The sender: its engine, its store with every member pinned, and the
/// other members' names.
struct Sender {
    engine: Engine,
    store: MemoryStore,
    peers: Vec<String>,
}

impl Sender {
    fn new() -> Self {
        let identity = IdentityKey::from_pem(&vector_key("alice", "private_pkcs8_pem")).unwrap();
        // No rotation after 1,000 messages in the middle of a measurement.
        let config = Config {
            max_messages_per_key: u64::MAX,
            ..Config::default()
        };
        let engine = Engine::new("alice", Arc::new(identity)).with_config(config);
        let mut store = MemoryStore::new();
        let member_key = vector_key("bob", "public_pem");
        let peers: Vec<String> = (1..MEMBERS).map(|i| format!("member{i:03}")).collect();
        for p in &peers {
            engine
                .observe_key(&mut store, p, &member_key, now())
                .unwrap();
        }
        Self {
            engine,
            store,
            peers,
        }
    }

    /// Marks every sending key confirmed, as each member's first receipt
    /// does: from then on a message is one `msg` envelope per member.
    fn confirm_all(&mut self) {
        for p in &self.peers {
            let mut key = self.store.sending_key(p).unwrap().unwrap();
            key.confirmed = true;
            key.unconfirmed_ids.clear();
            self.store.put_sending_key(&key).unwrap();
        }
    }

    /// One fan-out of `payload`: every member's envelopes, framed as the
    /// consecutive `send_multi` frames the daemon would write.
    fn fan_out(&mut self, payload: &Payload) -> Vec<Vec<u8>> {
        let mut items = Vec::with_capacity(self.peers.len());
        for p in &self.peers {
            let envelopes = self
                .engine
                .encrypt_blocking(&mut self.store, p, payload, now())
                .unwrap();
            items.extend(envelopes.into_iter().map(|e| MultiItem {
                to: p.clone(),
                envelope: Value::Object(e.to_json()),
            }));
        }
        let mut frames = Vec::new();
        while !items.is_empty() {
            let rest = items.split_off(items.len().min(MAX_ITEMS));
            let request = Request::SendMulti {
                messages: std::mem::replace(&mut items, rest),
                ephemeral: false,
            };
            let id = RequestId::from(frames.len() as u64 + 1);
            frames.push(encode_frame(&encode(Some(&id), &request)));
        }
        frames
    }
}

fn group_text() -> Payload {
    Payload::group_text(Uuid::from_u128(7), 1, TEXT, now()).unwrap()
}

/// Prints what one fan-out puts on the wire; returns its bytes.
fn report(what: &str, frames: &[Vec<u8>], plaintext: usize) -> u64 {
    let bytes: usize = frames.iter().map(Vec::len).sum();
    let copies = MEMBERS - 1;
    println!(
        "{what}: {bytes} bytes on the wire in {} send_multi frame(s) for {copies} members \
         ({} bytes per member; payload {plaintext} bytes)",
        frames.len(),
        bytes / copies,
    );
    bytes as u64
}

fn bench_group_text(c: &mut Criterion) {
    let mut group = c.benchmark_group("group_text");
    let plaintext = group_text().to_bytes().unwrap().len();

    // First message: new session keys for everyone.
    let first = report(
        "group_text to 256 members, first message",
        &Sender::new().fan_out(&group_text()),
        plaintext,
    );
    group.sample_size(10);
    group.throughput(Throughput::Bytes(first));
    group.bench_function("first message (new session keys)", |b| {
        b.iter_batched(
            Sender::new,
            |mut s| black_box(s.fan_out(&group_text())),
            BatchSize::PerIteration,
        )
    });

    // Keys established and confirmed.
    let mut sender = Sender::new();
    sender.fan_out(&group_text());
    sender.confirm_all();
    let steady = report(
        "group_text to 256 members, keys confirmed",
        &sender.fan_out(&group_text()),
        plaintext,
    );
    group.sample_size(50);
    group.throughput(Throughput::Bytes(steady));
    group.bench_function("keys confirmed", |b| {
        b.iter_batched(
            group_text,
            |payload| black_box(sender.fan_out(&payload)),
            BatchSize::SmallInput,
        )
    });
    group.finish();
}

fn bench_group_state(c: &mut Criterion) {
    let identity = IdentityKey::from_pem(&vector_key("alice", "private_pkcs8_pem")).unwrap();
    let public = PublicIdentity::from_pem(&vector_key("alice", "public_pem")).unwrap();
    let mut members: Vec<String> = (1..MEMBERS).map(|i| format!("member{i:03}")).collect();
    members.push("alice".into());
    let membership = Membership::new("two hundred and fifty-six", members, ["alice"]);
    let state = GroupState::genesis(
        Uuid::from_u128(7),
        membership,
        "alice",
        identity.fingerprint(),
    )
    .unwrap();
    let signed = SignedGroupState::sign(state.clone(), &identity).unwrap();

    let mut sender = Sender::new();
    sender.fan_out(&group_text());
    sender.confirm_all();
    let payload = Payload::group_state(signed.clone(), now()).unwrap();
    report(
        "group_state of 256 members to 256 members, keys confirmed",
        &sender.fan_out(&payload),
        payload.to_bytes().unwrap().len(),
    );

    let mut group = c.benchmark_group("group_state");
    group.bench_function("sign (256 members)", |b| {
        b.iter(|| black_box(SignedGroupState::sign(state.clone(), &identity).unwrap()))
    });
    group.bench_function("verify (256 members)", |b| {
        b.iter(|| signed.verify(black_box(&public)).unwrap())
    });
    group.finish();
}

criterion_group!(benches, bench_group_text, bench_group_state);
criterion_main!(benches);
