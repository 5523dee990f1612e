//! Shared by the server's integration tests: start the real binary.
#![allow(dead_code, unused_imports)]

pub mod misbehave;

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
/// A connection logged in to `srv` as `name` with the identity key `key`
/// (signing up first when the account is new).
pub async fn user(srv: &ServerProcess, name: &str, key: &str) -> WireClient {
    let (client, _) = WireClient::logged_in(srv.addr, name, key)
        .await
        .unwrap_or_else(|e| panic!("{name} logs in: {e}"));
    client
}

pub fn code(msg: &ServerMessage) -> ErrorCode {
    match msg {
        ServerMessage::Error { code, .. } => *code,
        ServerMessage::StaleVersion { .. } => ErrorCode::StaleVersion,
        other => panic!("expected an error, got {other:?}"),
    }
}

/// Writes every frame before reading any answer (so the server handles
/// them back to back), then returns the answers in request order. Pushes
/// that arrive meanwhile go to the client's backlog.
pub async fn pipeline(c: &mut WireClient, frames: Vec<serde_json::Value>) -> Vec<ServerMessage> {
    use chat_proto::RequestId;
    let ids: Vec<RequestId> = (0..frames.len())
        .map(|i| RequestId::Text(format!("p{i}")))
        .collect();
    for (frame, id) in frames.into_iter().zip(&ids) {
        let mut frame = frame;
        frame["id"] = serde_json::to_value(id).expect("id");
        c.send_value(&frame).await.expect("write");
    }
    let mut answers: Vec<Option<ServerMessage>> = vec![None; ids.len()];
    while answers.iter().any(Option::is_none) {
        match c.recv().await.expect("read") {
            Some((Some(id), msg)) => {
                let i = ids.iter().position(|x| *x == id).expect("an id we sent");
                answers[i] = Some(msg);
            }
            Some(push) => c.backlog.push_back(push),
            None => panic!("the server closed the connection"),
        }
    }
    answers.into_iter().flatten().collect()
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

/// A chat-server child process whose log level the test chooses, for tests
/// that read what the server logs (`ServerProcess` runs at `warn`).
pub struct LoggedServer {
    child: std::process::Child,
    dir: tempfile::TempDir,
    /// Where it listens.
    pub addr: SocketAddr,
}

impl LoggedServer {
    /// Starts a plaintext server with bcrypt cost 4, `RUST_LOG=filter` and
    /// `extra` flags; its stderr goes to a file.
    pub fn start(filter: &str, extra: &[&str]) -> Self {
        use std::io::BufRead;
        let dir = tempfile::tempdir().expect("temp dir");
        let log = std::fs::File::create(dir.path().join("server.log")).expect("log file");
        let mut child = std::process::Command::new(binary())
            .args([
                "--plaintext",
                "--bcrypt-cost",
                "4",
                "--listen",
                "127.0.0.1:0",
            ])
            .arg("--data-dir")
            .arg(dir.path())
            .args(extra)
            .env("RUST_LOG", filter)
            .stdout(std::process::Stdio::piped())
            .stderr(log)
            .spawn()
            .expect("server starts");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        // Drain stdout for the server's whole life: a closed pipe would make
        // its next print fail.
        std::thread::spawn(move || {
            for l in std::io::BufReader::new(stdout)
                .lines()
                .map_while(Result::ok)
            {
                let _ = tx.send(l);
            }
        });
        let line = rx
            .iter()
            .find_map(|l| {
                l.strip_prefix("Server Listening on address ")
                    .map(str::to_string)
            })
            .expect("the server announces its address");
        let (host, port) = line.split_once(" port ").expect("address line");
        let addr = SocketAddr::new(
            host.parse().expect("host"),
            port.trim().parse().expect("port"),
        );
        Self { child, dir, addr }
    }

    /// Everything the server has logged so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default()
    }
}

impl Drop for LoggedServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A `msg` envelope whose `ct` is `text` (the server never reads it).
pub fn text_envelope(text: &str) -> serde_json::Value {
    json!({"kind":"msg","key_id":"k","seq":1,"nonce":"AAAA","ct":text})
}

/// Sends `text` to `to` and expects `sent`.
pub async fn send_text(c: &mut WireClient, to: &str, text: &str) {
    match c
        .request(json!({"type":"send","to":to,"envelope":text_envelope(text)}))
        .await
        .unwrap()
    {
        ServerMessage::Sent { .. } => {}
        other => panic!("send to {to}: {other:?}"),
    }
}

/// The next delivery's sender and `ct`, skipping presence and key pushes;
/// acks it.
pub async fn next_text(c: &mut WireClient) -> (String, String) {
    loop {
        match c.next_push().await.unwrap() {
            ServerMessage::Deliver {
                from,
                envelope,
                msg_id,
                ..
            } => {
                c.send_value(&json!({"type":"ack","msg_ids":[msg_id]}))
                    .await
                    .unwrap();
                return (from, envelope["ct"].as_str().unwrap().to_owned());
            }
            ServerMessage::Presence { .. } | ServerMessage::KeyChanged { .. } => {}
            other => panic!("unexpected push {other:?}"),
        }
    }
}
