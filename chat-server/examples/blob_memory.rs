//! Shows that the server's memory stays flat while a large blob moves
//! (PROTOCOL.md D16): starts the chat-server binary given as the first
//! argument, uploads a blob of the size given as the second (default
//! 100 MiB) in `max_piece` pieces generated on the fly, downloads it again,
//! and prints the server's resident memory (VmRSS) before, and its peak
//! (VmHWM) after, from /proc.
//!
//! ```sh
//! cargo build --release -p chat-server
//! cargo run --release -p chat-server --example blob_memory -- target/release/chat-server
//! ```
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;

use chat_proto::ServerMessage;
use chat_proto::encoding::{b64_decode, b64_encode};
use serde_json::json;
use sha2::{Digest, Sha256};
use test_support::fixtures::public_pem;
use test_support::{ServerProcess, WireClient};

const PIECE: usize = 512 * 1024;

/// The kB value of `field` in /proc/<pid>/status.
fn status_kb(pid: u32, field: &str) -> u64 {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("proc status");
    text.lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .expect("field in /proc status")
}

/// Piece `i` of the test blob: cheap to make again, different per piece.
fn piece(i: usize, len: usize) -> Vec<u8> {
    (0..len).map(|j| (i * 31 + j * 7) as u8).collect()
}

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let binary = PathBuf::from(args.next().expect("usage: blob_memory CHAT_SERVER [BYTES]"));
    let size: usize = args
        .next()
        .map_or(100 * 1024 * 1024, |s| s.parse().expect("BYTES"));
    let srv = ServerProcess::start(&binary, &["--max-blob", &size.max(1).to_string()])
        .expect("server starts");
    let pid = srv.pid();
    let (mut c, _) = WireClient::logged_in(srv.addr, "alice", &public_pem("alice"))
        .await
        .expect("login");
    let before = status_kb(pid, "VmRSS:");
    let ServerMessage::BlobCreated { blob_id, .. } = c
        .request(json!({"type":"blob_create","size":size}))
        .await
        .unwrap()
    else {
        panic!("blob_create refused")
    };
    let mut hash = Sha256::new();
    let (mut at, mut i) = (0, 0);
    while at < size {
        let data = piece(i, PIECE.min(size - at));
        hash.update(&data);
        let ack = c
            .request(
                json!({"type":"blob_put","blob_id":blob_id,"offset":at,"data":b64_encode(&data)}),
            )
            .await
            .unwrap();
        assert!(matches!(ack, ServerMessage::BlobAck { .. }), "{ack:?}");
        at += data.len();
        i += 1;
    }
    let digest = hex::encode(hash.finalize());
    let done = c
        .request(json!({"type":"blob_finish","blob_id":blob_id,"digest":digest}))
        .await
        .unwrap();
    assert!(
        matches!(done, ServerMessage::BlobFinished { .. }),
        "{done:?}"
    );
    let after_upload = status_kb(pid, "VmHWM:");
    let mut back = Sha256::new();
    let mut at = 0;
    while at < size {
        let ServerMessage::BlobData { data, .. } = c
            .request(json!({"type":"blob_get","blob_id":blob_id,"offset":at,"length":PIECE}))
            .await
            .unwrap()
        else {
            panic!("blob_get refused")
        };
        let data = b64_decode(&data, "data").unwrap();
        back.update(&data);
        at += data.len();
    }
    assert_eq!(
        hex::encode(back.finalize()),
        digest,
        "the same bytes came back"
    );
    let peak = status_kb(pid, "VmHWM:");
    println!("blob of {size} bytes moved up and down in {PIECE}-byte pieces");
    println!("server VmRSS before: {before} kB");
    println!("server VmHWM after upload: {after_upload} kB; after download: {peak} kB");
}
