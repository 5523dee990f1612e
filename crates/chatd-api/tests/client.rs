//! Protocol tests of the client against a scripted JSON-RPC peer on a real
//! Unix socket: the peer plays chatd's part line by line, so each test can
//! put answers and events in exactly the order it wants to check.

#![allow(clippy::expect_used)]

use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use chatd_api::blocking::{BlockingClient, RecvTimeoutError};
use chatd_api::client::{Client, ClientError, EVENT_BUFFER, TryRecvError};
use chatd_api::jsonrpc::{error_line, event_line, result_line};
use chatd_api::{
    ApiError, ConnectionState, ErrorCode, Event, EventBody, EventKind, MAX_LINE, SubscribeParams,
};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::unix::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{UnixListener, UnixStream};

/// Every step of a test finishes within this, or the test fails.
const STEP: Duration = Duration::from_secs(10);

/// A temp dir removed on drop (this crate has no dev-dependencies).
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> Self {
        static N: AtomicU32 = AtomicU32::new(0);
        let dir = std::env::temp_dir().join(format!(
            "chatd-api-test-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).expect("temp dir");
        Self(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The scripted chatd: a listener on a socket in a temp dir.
struct Peer {
    listener: UnixListener,
    path: PathBuf,
    _dir: TempDir,
}

impl Peer {
    fn new() -> Self {
        let dir = TempDir::new();
        let path = dir.0.join("chatd.sock");
        let listener = UnixListener::bind(&path).expect("bind");
        Self {
            listener,
            path,
            _dir: dir,
        }
    }

    /// Connects a client and accepts its connection.
    async fn pair(&self) -> (Client, PeerConn) {
        let (client, accepted) = tokio::join!(Client::connect(&self.path), self.listener.accept());
        let (stream, _) = accepted.expect("accept");
        (client.expect("connect"), PeerConn::new(stream))
    }
}

/// One accepted connection, read and written line by line.
struct PeerConn {
    reader: BufReader<OwnedReadHalf>,
    writer: OwnedWriteHalf,
}

impl PeerConn {
    fn new(stream: UnixStream) -> Self {
        let (r, w) = stream.into_split();
        Self {
            reader: BufReader::new(r),
            writer: w,
        }
    }

    /// The next request, as JSON.
    async fn request(&mut self) -> Value {
        let mut line = String::new();
        let n = tokio::time::timeout(STEP, self.reader.read_line(&mut line))
            .await
            .expect("a request in time")
            .expect("read");
        assert!(n > 0, "the client closed instead of sending a request");
        let v: Value = serde_json::from_str(&line).expect("a request is JSON");
        assert_eq!(v["jsonrpc"], "2.0");
        v
    }

    async fn send(&mut self, line: &str) {
        self.writer.write_all(line.as_bytes()).await.expect("write");
        self.writer.write_all(b"\n").await.expect("write");
    }

    async fn answer(&mut self, request: &Value, result: Value) {
        self.send(&result_line(&request["id"], result)).await;
    }

    async fn event(&mut self, seq: u64, body: EventBody) {
        self.send(&event_line(&Event { seq, body })).await;
    }
}

fn presence(user: &str) -> EventBody {
    EventBody::Presence {
        user: user.into(),
        online: true,
    }
}

fn status_json() -> Value {
    json!({"state": "logged_in", "username": "alice", "server": "127.0.0.1:7000",
           "server_fingerprint": null, "version": "0.1.0"})
}

async fn within<T>(f: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(STEP, f).await.expect("in time")
}

#[tokio::test]
async fn concurrent_calls_answered_out_of_order_reach_their_callers() {
    let peer = Peer::new();
    let (client, mut conn) = peer.pair().await;
    let (c1, c2, c3) = (client.clone(), client.clone(), client.clone());
    let calls = tokio::spawn(async move {
        tokio::join!(
            c1.call("users", json!({"prefix": "a"})),
            c2.call("conversations", json!({})),
            c3.status(),
        )
    });
    let mut requests = Vec::new();
    for _ in 0..3 {
        requests.push(conn.request().await);
    }
    let ids: std::collections::HashSet<_> = requests.iter().map(|r| r["id"].clone()).collect();
    assert_eq!(ids.len(), 3, "every request has its own id");
    for r in requests.iter().rev() {
        let result = match r["method"].as_str() {
            Some("status") => status_json(),
            Some(m) => json!({"echo": m, "params": r["params"]}),
            None => panic!("no method in {r}"),
        };
        conn.answer(r, result).await;
    }
    let (users, conversations, status) = within(calls).await.expect("join");
    assert_eq!(
        users.expect("users"),
        json!({"echo": "users", "params": {"prefix": "a"}})
    );
    assert_eq!(conversations.expect("conv")["echo"], "conversations");
    let status = status.expect("status");
    assert_eq!(
        (status.state, status.username.as_deref()),
        (ConnectionState::LoggedIn, Some("alice"))
    );
}

#[tokio::test]
async fn events_before_and_between_responses_reach_the_subscriber_in_order() {
    let peer = Peer::new();
    let (client, mut conn) = peer.pair().await;
    let sub = tokio::spawn({
        let client = client.clone();
        async move {
            client
                .subscribe(SubscribeParams {
                    events: None,
                    since: Some(0),
                })
                .await
        }
    });
    let request = conn.request().await;
    assert_eq!(request["method"], "subscribe");
    assert_eq!(request["params"], json!({"since": 0}));
    // Replay before the answer, then live events around another call.
    conn.event(1, presence("bob")).await;
    conn.event(2, presence("carol")).await;
    conn.answer(&request, json!({"seq": 2})).await;
    let (subscribed, mut events) = within(sub).await.expect("join").expect("subscribe");
    assert_eq!(subscribed.seq, 2);
    let history = tokio::spawn({
        let client = client.clone();
        async move { client.call("history", json!({"peer": "bob"})).await }
    });
    let request = conn.request().await;
    conn.event(3, presence("dave")).await;
    conn.answer(&request, json!({"messages": []})).await;
    conn.event(4, presence("erin")).await;
    assert_eq!(
        within(history).await.expect("join").expect("history"),
        json!({"messages": []})
    );
    let mut got = Vec::new();
    for _ in 0..4 {
        let e = within(events.recv()).await.expect("an event");
        got.push(e.seq);
    }
    assert_eq!(got, vec![1, 2, 3, 4]);
    assert_eq!(events.last_seq(), Some(4));
    assert_eq!(events.try_recv().map(|e| e.seq), Err(TryRecvError::Empty));
}

#[tokio::test]
async fn a_stream_gets_only_the_kinds_it_asked_for() {
    let peer = Peer::new();
    let (client, mut conn) = peer.pair().await;
    let sub = tokio::spawn(async move {
        client
            .subscribe(SubscribeParams {
                events: Some(vec![EventKind::Connection]),
                since: None,
            })
            .await
    });
    let request = conn.request().await;
    assert_eq!(request["params"], json!({"events": ["connection"]}));
    conn.answer(&request, json!({"seq": 0})).await;
    let (_, mut events) = within(sub).await.expect("join").expect("subscribe");
    conn.event(1, presence("bob")).await;
    conn.event(
        2,
        EventBody::Connection {
            state: ConnectionState::Offline,
        },
    )
    .await;
    assert_eq!(within(events.recv()).await.map(|e| e.seq), Some(2));
}

#[tokio::test]
async fn an_error_answer_is_an_api_error_with_its_code() {
    let peer = Peer::new();
    let (client, mut conn) = peer.pair().await;
    let call = tokio::spawn({
        let client = client.clone();
        async move { client.send("bob", "hi").await }
    });
    let request = conn.request().await;
    assert_eq!(
        (request["method"].clone(), request["params"].clone()),
        (json!("send"), json!({"to": "bob", "text": "hi"}))
    );
    let refusal = ApiError::new(ErrorCode::KeyChanged, "bob's key changed; trust it first")
        .with_data("user", json!("bob"));
    conn.send(&error_line(&request["id"], &refusal)).await;
    let err = within(call).await.expect("join").expect_err("refused");
    assert_eq!(err.code(), Some(ErrorCode::KeyChanged));
    assert_eq!(err.exit_code(), 4);
    assert_eq!(err.api_error(), Some(&refusal));
    assert_eq!(err.to_string(), "bob's key changed; trust it first");

    // A number chatd may add later still comes through, without a code.
    let call = tokio::spawn(async move { client.status().await });
    let request = conn.request().await;
    conn.send(
        &json!({"jsonrpc": "2.0", "id": request["id"],
                      "error": {"code": -32050, "message": "new"}})
        .to_string(),
    )
    .await;
    let err = within(call).await.expect("join").expect_err("refused");
    let api = err.api_error().expect("api error");
    assert_eq!((api.code, api.number), (None, -32050));
}

#[tokio::test]
async fn a_line_over_the_cap_is_a_protocol_error_and_closes_the_socket() {
    let peer = Peer::new();
    let (client, mut conn) = peer.pair().await;
    let call = tokio::spawn({
        let client = client.clone();
        async move { client.status().await }
    });
    let _ = conn.request().await;
    // 64 MiB without a newline: the client must give up after 1 MiB, not
    // buffer it all, and let go of the socket so the writes fail.
    let chunk = vec![b'x'; 64 * 1024];
    let mut written = 0usize;
    let write_err = within(async {
        loop {
            if let Err(e) = conn.writer.write_all(&chunk).await {
                return e;
            }
            written += chunk.len();
            assert!(written < 64 * MAX_LINE, "the client read on past its cap");
        }
    })
    .await;
    assert!(written >= MAX_LINE, "closed after only {written} bytes");
    assert!(
        matches!(
            write_err.kind(),
            std::io::ErrorKind::BrokenPipe | std::io::ErrorKind::ConnectionReset
        ),
        "{write_err}"
    );
    let err = within(call)
        .await
        .expect("join")
        .expect_err("protocol error");
    assert!(
        matches!(&err, ClientError::Protocol(m) if m.contains("longer than")),
        "{err}"
    );
    // The connection stays failed with the same cause.
    assert!(matches!(
        client.status().await,
        Err(ClientError::Protocol(_))
    ));
}

#[tokio::test]
async fn the_peer_closing_fails_pending_calls_and_ends_the_stream() {
    let peer = Peer::new();
    let (client, mut conn) = peer.pair().await;
    let sub = tokio::spawn({
        let client = client.clone();
        async move { client.subscribe(SubscribeParams::default()).await }
    });
    let request = conn.request().await;
    conn.answer(&request, json!({"seq": 7})).await;
    let (_, mut events) = within(sub).await.expect("join").expect("subscribe");
    let pending = tokio::spawn({
        let client = client.clone();
        async move { tokio::join!(client.status(), client.conversations()) }
    });
    let _ = conn.request().await;
    let _ = conn.request().await;
    conn.event(8, presence("bob")).await;
    drop(conn);
    let (a, b) = within(pending).await.expect("join");
    assert!(matches!(a, Err(ClientError::Disconnected)), "{a:?}");
    assert!(matches!(b, Err(ClientError::Disconnected)), "{b:?}");
    // What came before the close is still delivered, then the end.
    assert_eq!(within(events.recv()).await.map(|e| e.seq), Some(8));
    assert_eq!(within(events.recv()).await, None);
    assert!(!events.lagged());
    assert!(matches!(
        client.status().await,
        Err(ClientError::Disconnected)
    ));
}

#[tokio::test]
async fn a_missing_socket_or_a_stale_one_is_not_running() {
    let dir = TempDir::new();
    let missing = dir.0.join("nope.sock");
    let err = Client::connect(&missing).await.expect_err("no daemon");
    assert!(
        matches!(&err, ClientError::NotRunning { path } if *path == missing),
        "{err:?}"
    );
    assert_eq!(err.exit_code(), 3);
    let msg = err.to_string();
    assert!(
        msg.contains(&missing.display().to_string())
            && msg.contains("systemctl --user start chatd"),
        "{msg}"
    );
    // A socket file left behind by a daemon that died.
    let stale = dir.0.join("stale.sock");
    drop(std::os::unix::net::UnixListener::bind(&stale).expect("bind"));
    assert!(stale.exists());
    let err = Client::connect(&stale).await.expect_err("no daemon");
    assert!(matches!(err, ClientError::NotRunning { .. }), "{err:?}");
}

#[tokio::test]
async fn a_cancelled_call_does_not_confuse_the_next_one() {
    let peer = Peer::new();
    let (client, mut conn) = peer.pair().await;
    let gave_up = tokio::time::timeout(Duration::from_millis(20), client.status()).await;
    assert!(gave_up.is_err());
    let first = conn.request().await;
    let next = tokio::spawn({
        let client = client.clone();
        async move { client.call("conversations", json!({})).await }
    });
    let second = conn.request().await;
    // The late answer to the abandoned call is dropped, not misrouted.
    conn.answer(&first, json!({"late": true})).await;
    conn.answer(&second, json!({"conversations": []})).await;
    assert_eq!(
        within(next).await.expect("join").expect("answer"),
        json!({"conversations": []})
    );
}

#[tokio::test]
async fn a_stream_nobody_reads_is_cut_off_as_lagged_while_calls_go_on() {
    let peer = Peer::new();
    let (client, mut conn) = peer.pair().await;
    let sub = tokio::spawn({
        let client = client.clone();
        async move { client.subscribe(SubscribeParams::default()).await }
    });
    let request = conn.request().await;
    conn.answer(&request, json!({"seq": 0})).await;
    let (_, mut events) = within(sub).await.expect("join").expect("subscribe");
    for seq in 1..=(EVENT_BUFFER as u64 + 10) {
        conn.event(seq, presence("bob")).await;
    }
    let call = tokio::spawn({
        let client = client.clone();
        async move { client.call("status", json!({})).await }
    });
    let request = conn.request().await;
    conn.answer(&request, status_json()).await;
    assert!(within(call).await.expect("join").is_ok());
    let mut n = 0;
    while let Some(e) = within(events.recv()).await {
        n += 1;
        assert_eq!(e.seq, n);
    }
    assert_eq!(n, EVENT_BUFFER as u64);
    assert!(events.lagged());
    assert_eq!(events.last_seq(), Some(n));
}

#[tokio::test]
async fn a_request_over_the_cap_is_refused_before_sending() {
    let peer = Peer::new();
    let (client, _conn) = peer.pair().await;
    let text = "x".repeat(MAX_LINE);
    let err = within(client.send("bob", &text))
        .await
        .expect_err("too big");
    assert_eq!(err.code(), Some(ErrorCode::InvalidInput));
}

#[tokio::test]
async fn a_non_json_line_is_a_protocol_error() {
    let peer = Peer::new();
    let (client, mut conn) = peer.pair().await;
    let call = tokio::spawn(async move { client.status().await });
    let _ = conn.request().await;
    conn.send("HTTP/1.1 400 Bad Request").await;
    let err = within(call).await.expect("join").expect_err("protocol");
    assert!(matches!(err, ClientError::Protocol(_)), "{err:?}");
}

/// The blocking client from a plain thread, driven by a scripted peer on
/// a runtime of the test's own.
#[test]
fn the_blocking_client_calls_and_streams_from_a_plain_thread() {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let peer = {
        let _in_runtime = rt.enter();
        Peer::new()
    };
    let path = peer.path.clone();
    let script = rt.spawn(async move {
        let (stream, _) = peer.listener.accept().await.expect("accept");
        let mut conn = PeerConn::new(stream);
        let r = conn.request().await;
        conn.answer(&r, status_json()).await;
        let r = conn.request().await;
        conn.event(1, presence("bob")).await;
        conn.answer(&r, json!({"seq": 1})).await;
        conn.event(2, presence("carol")).await;
        // Hold the connection until the client is done.
        let mut rest = String::new();
        let _ = conn.reader.read_line(&mut rest).await;
    });
    let client = BlockingClient::connect(&path).expect("connect");
    assert_eq!(client.status().expect("status").version, "0.1.0");
    let (subscribed, mut events) = client
        .subscribe(SubscribeParams::default())
        .expect("subscribe");
    assert_eq!(subscribed.seq, 1);
    assert_eq!(events.recv().map(|e| e.seq), Some(1));
    assert_eq!(
        events.recv_timeout(STEP).map(|e| e.seq),
        Ok(2),
        "events flow between calls"
    );
    assert_eq!(
        events
            .recv_timeout(Duration::from_millis(30))
            .map(|e| e.seq),
        Err(RecvTimeoutError::Timeout)
    );
    drop((client, events));
    rt.block_on(async { within(script).await.expect("script") });
}

/// Used from inside a runtime, the blocking client blocks but never panics.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_blocking_client_does_not_panic_inside_a_runtime() {
    let peer = Peer::new();
    let path = peer.path.clone();
    let script = tokio::spawn(async move {
        let (stream, _) = peer.listener.accept().await.expect("accept");
        let mut conn = PeerConn::new(stream);
        let r = conn.request().await;
        conn.answer(&r, status_json()).await;
        let r = conn.request().await;
        conn.answer(&r, json!({"seq": 0})).await;
        conn.event(1, presence("bob")).await;
    });
    let client = BlockingClient::connect(&path).expect("connect");
    assert!(client.status().is_ok());
    let (_, mut events) = client
        .subscribe(SubscribeParams::default())
        .expect("subscribe");
    assert_eq!(events.recv().map(|e| e.seq), Some(1));
    // The peer is gone after its script: the stream ends.
    assert_eq!(events.recv(), None);
    within(script).await.expect("script");
    let missing = BlockingClient::connect(&path.with_file_name("none.sock"));
    assert!(matches!(missing, Err(ClientError::NotRunning { .. })));
}
