//! Shared by the server's integration tests: start the real binary.
#![allow(dead_code, unused_imports)]

use std::net::{IpAddr, SocketAddr};
use std::path::Path;

pub use chat_proto::{ErrorCode, ServerMessage};
pub use serde_json::json;
pub use test_support::fixtures::{PASSWORD, public_pem};
pub use test_support::{ServerProcess, WireClient};

/// The chat-server binary cargo built for these tests.
pub fn binary() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_chat-server"))
}

/// A fresh plaintext server on loopback with bcrypt cost 4.
pub fn server(extra: &[&str]) -> ServerProcess {
    ServerProcess::start(binary(), extra).expect("server starts")
}

/// The error code of a message, or a panic naming what came instead.
pub fn code(msg: &ServerMessage) -> ErrorCode {
    match msg {
        ServerMessage::Error { code, .. } => *code,
        other => panic!("expected an error, got {other:?}"),
    }
}

/// alice's and bob's keys from the shared vectors.
pub fn alice_key() -> String {
    public_pem("alice")
}

/// bob's key.
pub fn bob_key() -> String {
    public_pem("bob")
}

/// Connects from a chosen loopback address (127.0.0.0/8 is all loopback on
/// Linux), so throttling by source address can be tested.
pub async fn connect_from(local: IpAddr, server: SocketAddr) -> WireClient {
    WireClient::connect_from(local, server)
        .await
        .expect("connect")
}
