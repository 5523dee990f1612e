//! The bounds on pipelined sends. Per connection: a client that writes
//! sends and never reads an answer makes the server stop reading it, so it
//! holds a bounded number of answers, not everything it was sent.
//! Server-wide: at `max_sends_in_flight` sends awaiting a commit, a send is
//! answered `server_busy` and not stored. The server runs in-process over
//! an in-memory pipe with a 4 KiB buffer: over loopback the kernel would
//! take megabytes of answers first and hide the per-connection bound (it
//! is bounded there too, by the socket buffers, but not by this code), and
//! in-process the test can hold the server-wide permits itself.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::Duration;

use chat_proto::ServerMessage;
use chat_proto::codec::{encode_frame, read_frame};
use chat_server::blobs::DiskBlobs;
use chat_server::connection::outbound::BULK_QUEUED;
use chat_server::context::Shared;
use chat_server::router::LocalRouter;
use chat_server::store::{SqliteStore, Store};
use chat_server::{Config, keys};
use serde_json::{Value, json};
use test_support::fixtures::{PASSWORD, public_pem};
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};
use tokio_util::sync::CancellationToken;

/// Bytes the pipe holds in each direction.
const PIPE: usize = 4096;

async fn frame<R: AsyncRead + Unpin>(r: &mut R) -> ServerMessage {
    let bytes = read_frame(r, 1 << 20).await.unwrap().unwrap();
    chat_proto::wire::decode_server(&bytes).unwrap().1
}

async fn write<W: AsyncWrite + Unpin>(w: &mut W, v: &Value) {
    w.write_all(&encode_frame(&serde_json::to_vec(v).unwrap()))
        .await
        .unwrap();
}

/// Reads hello, signs `user` up and logs in.
async fn log_in<S: AsyncRead + AsyncWrite + Unpin>(io: &mut S, user: &str) {
    let ServerMessage::Hello {
        server_key, nonce, ..
    } = frame(io).await
    else {
        panic!("no hello")
    };
    let key = chat_proto::crypto::public_key_from_pem(&server_key).unwrap();
    let creds = serde_json::to_vec(&json!({"username":user,"password":PASSWORD})).unwrap();
    let aad = chat_proto::sealed::credentials_aad(&nonce);
    for kind in ["signup", "login"] {
        let sealed = chat_proto::sealed::Sealed::seal(&key, &aad, &creds).unwrap();
        let pem = public_pem(user);
        write(
            io,
            &json!({"type":kind,"id":1,"credentials":sealed,"public_key":pem}),
        )
        .await;
        let answer = frame(io).await;
        assert!(
            matches!(
                answer,
                ServerMessage::SignupOk { .. } | ServerMessage::LoginOk { .. }
            ),
            "{answer:?}"
        );
    }
}

/// A server's shared state on a fresh data dir.
fn shared(config: Config) -> (tempfile::TempDir, Arc<Shared<SqliteStore>>) {
    let dir = tempfile::tempdir().unwrap();
    let (key, _) = keys::load_or_create(dir.path(), None).unwrap();
    let store = SqliteStore::open(&dir.path().join("chat.db")).unwrap();
    let blobs = Arc::new(DiskBlobs::open(dir.path()).unwrap());
    let sh = Shared::new(
        config,
        store,
        Arc::new(LocalRouter::new()),
        Arc::new(key),
        blobs,
    );
    (dir, Arc::new(sh))
}

/// One connection to `sh` over an in-memory pipe: the client's end and
/// the task serving the server's end.
fn connect(
    sh: &Arc<Shared<SqliteStore>>,
    id: u64,
) -> (tokio::io::DuplexStream, tokio::task::JoinHandle<()>) {
    let (client, server) = tokio::io::duplex(PIPE);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    let peer = "127.0.0.1:1".parse().unwrap();
    let task = tokio::spawn(chat_server::connection::serve(
        sh.clone(),
        server,
        peer,
        id,
        CancellationToken::new(),
        deadline,
    ));
    (client, task)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sender_that_never_reads_its_answers_is_held_to_the_bound() {
    let config = Config {
        bcrypt_cost: 4,
        // The stalled connection is closed after this, so the test can
        // count what was stored in the end.
        write_timeout: Duration::from_secs(1),
        mailbox_limit: 1_000_000,
        mailbox_per_sender: 1_000_000,
        ..Config::default()
    };
    let (depth, queue) = (config.pipeline_depth, config.outbound_queue);
    let (_dir, sh) = shared(config);
    let serve = |id| connect(&sh, id);
    let (mut bob, _bob_task) = serve(1);
    log_in(&mut bob, "bob").await;
    let (mut alice, alice_task) = serve(2);
    log_in(&mut alice, "alice").await;
    // bob never reads either: his deliveries must not be what stalls.
    drop(bob);

    let (_read, mut write_half) = tokio::io::split(alice);
    let mut written = 0u64;
    let writer = tokio::spawn(async move {
        loop {
            let send = json!({"type":"send","id":written,"to":"bob","envelope":{"n":written}});
            let bytes = encode_frame(&serde_json::to_vec(&send).unwrap());
            if write_half.write_all(&bytes).await.is_err() {
                return written;
            }
            written += 1;
        }
    });
    // The server closes the connection once an answer has waited the
    // write timeout for room; the writer then fails.
    alice_task.await.unwrap();
    let written = writer.await.unwrap();
    let stored = sh.store.pending("bob", 0, 1_000_000).await.unwrap().len();
    // Answers the server can hold for this connection: the pipe, its 8 KiB
    // write buffer (an answer is over 60 bytes), the outbound queue, the
    // pipeline, and one in each task's hands.
    let held = (PIPE + 8 * 1024) / 60 + queue + depth + BULK_QUEUED;
    assert!(stored <= held, "stored {stored}, bound {held}");
    assert!(
        written as usize > stored,
        "the client could write more than was stored"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn at_the_server_wide_bound_a_send_is_busy_and_not_stored() {
    let config = Config {
        bcrypt_cost: 4,
        max_sends_in_flight: 2,
        ..Config::default()
    };
    let (_dir, sh) = shared(config);
    let (mut bob, _bob_task) = connect(&sh, 1);
    log_in(&mut bob, "bob").await;
    let (mut alice, _alice_task) = connect(&sh, 2);
    log_in(&mut alice, "alice").await;
    let send = |id: u64| json!({"type":"send","id":id,"to":"bob","envelope":{"n":id}});
    // Two sends of other connections awaiting their commit: the bound.
    let held = sh
        .sends_in_flight
        .clone()
        .acquire_many_owned(2)
        .await
        .unwrap();
    write(&mut alice, &send(10)).await;
    match frame(&mut alice).await {
        ServerMessage::Error {
            code: chat_proto::ErrorCode::ServerBusy,
            retry_after_ms: Some(100),
            ..
        } => {}
        other => panic!("{other:?}"),
    }
    // One of them committed: there is room for one.
    drop(held);
    let held = sh.sends_in_flight.clone().acquire_owned().await.unwrap();
    write(&mut alice, &send(11)).await;
    assert!(matches!(
        frame(&mut alice).await,
        ServerMessage::Sent { .. }
    ));
    drop(held);
    let stored = sh.store.pending("bob", 0, 10).await.unwrap();
    assert_eq!(stored.len(), 1, "the busy send was not stored");
    assert_eq!(stored[0].envelope, r#"{"n":11}"#);
}
