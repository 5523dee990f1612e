//! The frame codec on the frames the relay moves most (issue 14 item 2):
//! a `send` of one 1:1 message, its `sent` answer, the `deliver` push to
//! the recipient and the recipient's `ack`, plus a `deliver` of the
//! largest text (64 KiB). Each is measured both ways as the server and
//! the daemon run them: `encode` is the typed message to framed bytes
//! (`wire::encode` + `codec::encode_frame`), `decode` is framed bytes back
//! to the typed message (`codec::read_frame_blocking` + `decode_request` /
//! `decode_server`). The envelopes have the shape and size chat-e2e
//! produces (a `msg` over a 200-byte payload is 216 bytes of ciphertext),
//! with random bytes in place of ciphertext: the codec never looks inside.
//!
//! Run with `cargo bench -p chat-proto --bench codec`; CI only compiles
//! it. Numbers are in docs/BENCHMARKS.md.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

#[path = "support/cpu_time.rs"]
mod cpu_time;

use std::hint::black_box;

use chat_proto::codec::{MAX_FRAME_POST_AUTH, encode_frame, read_frame_blocking};
use chat_proto::encoding::b64_encode;
use chat_proto::wire::{RequestId, decode_request, decode_server, encode};
use chat_proto::{Request, ServerMessage};
use cpu_time::CpuTime;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use serde::Serialize;
use serde_json::{Map, Value, json};

/// AES-GCM adds its 16-byte tag to the payload.
const TAG: usize = 16;

/// A `msg` envelope as chat-e2e writes it, over a payload of `payload`
/// bytes (pseudo-random bytes stand in for the ciphertext).
fn msg_envelope(payload: usize) -> Map<String, Value> {
    let mut x = 0x2545_f491_4f6c_dd1d_u64;
    let ct: Vec<u8> = (0..payload + TAG)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect();
    let Value::Object(map) = json!({
        "kind": "msg",
        "key_id": "40b04b0f-fd8e-45d9-9949-93a07bab65c9",
        "seq": 417,
        "nonce": b64_encode([7u8; 12]),
        "ct": b64_encode(ct),
    }) else {
        unreachable!()
    };
    map
}

const MSG_ID: &str = "6f1d8a52-3c1e-4e8e-9d0f-1b2a3c4d5e6f";

fn send(payload: usize) -> Request {
    Request::Send {
        to: "bob".into(),
        envelope: msg_envelope(payload),
    }
}

fn deliver(payload: usize) -> ServerMessage {
    ServerMessage::Deliver {
        msg_id: MSG_ID.into(),
        from: "alice".into(),
        ts: 1_764_000_000_000,
        envelope: msg_envelope(payload),
    }
}

fn framed<T: Serialize>(id: Option<&RequestId>, msg: &T) -> Vec<u8> {
    encode_frame(&encode(id, msg))
}

fn read(mut bytes: &[u8]) -> Vec<u8> {
    read_frame_blocking(&mut bytes, MAX_FRAME_POST_AUTH)
        .unwrap()
        .unwrap()
}

/// Benchmarks encoding and decoding of one client request.
fn request(c: &mut Criterion<CpuTime>, name: &str, id: Option<&RequestId>, msg: &Request) {
    let bytes = framed(id, msg);
    let mut group = c.benchmark_group(format!("codec/{name}"));
    group.throughput(Throughput::Bytes(bytes.len() as u64));
    group.bench_function("encode", |b| b.iter(|| framed(id, black_box(msg))));
    group.bench_function("decode", |b| {
        b.iter(|| decode_request(&read(black_box(&bytes))).unwrap())
    });
    group.finish();
    println!("codec/{name}: {} bytes framed", bytes.len());
}

/// Benchmarks encoding and decoding of one server message.
fn server(c: &mut Criterion<CpuTime>, name: &str, id: Option<&RequestId>, msg: &ServerMessage) {
    let bytes = framed(id, msg);
    let mut group = c.benchmark_group(format!("codec/{name}"));
    group.throughput(Throughput::Bytes(bytes.len() as u64));
    group.bench_function("encode", |b| b.iter(|| framed(id, black_box(msg))));
    group.bench_function("decode", |b| {
        b.iter(|| decode_server(&read(black_box(&bytes))).unwrap())
    });
    group.finish();
    println!("codec/{name}: {} bytes framed", bytes.len());
}

fn bench_codec(c: &mut Criterion<CpuTime>) {
    let id = RequestId::from(41_u64);
    request(c, "send 200 B", Some(&id), &send(200));
    server(
        c,
        "sent",
        Some(&id),
        &ServerMessage::Sent {
            msg_id: MSG_ID.into(),
            ts: 1_764_000_000_000,
            queued: false,
        },
    );
    server(c, "deliver 200 B", None, &deliver(200));
    request(
        c,
        "ack 1",
        Some(&id),
        &Request::Ack {
            msg_ids: vec![MSG_ID.into()],
        },
    );
    server(c, "deliver 64 KiB", None, &deliver(64 * 1024));
}

criterion_group! {
    name = benches;
    config = cpu_time::criterion();
    targets = bench_codec
}
criterion_main!(benches);
