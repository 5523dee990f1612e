//! Shared setup of chatd's integration tests: a real chat-server process
//! and real chatd processes in temp dirs.
#![allow(
    dead_code,
    unused_imports,
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::new_without_default
)]

pub use serde_json::{Value, json};
pub use test_support::{DaemonProcess, RpcClient, ServerProcess, World};

pub const PASSWORD: &str = "correct horse battery";

/// Polls status until the state is `state` (or logged_in when asking for
/// connected).
pub async fn wait_state(c: &mut RpcClient, state: &str) {
    let want = state.to_string();
    wait_until(c, state, move |now| {
        now == want || (want == "connected" && now == "logged_in")
    })
    .await;
}

/// Polls status until `pred` holds for the state.
pub async fn wait_until(c: &mut RpcClient, what: &str, pred: impl Fn(&str) -> bool) {
    test_support::wait::Wait::new(&format!("the daemon to reach state {what}"))
        .every(std::time::Duration::from_millis(50))
        .until_async(async || {
            let s = c.ok("status", json!({})).await.unwrap();
            pred(s["state"].as_str().unwrap_or_default())
        })
        .await;
}

/// The error name in `data.code`.
pub fn err_code(e: &Value) -> String {
    e["data"]["code"].as_str().unwrap_or_default().to_string()
}

/// Waits for a message event from `from` with `text`.
pub async fn expect_message(c: &mut RpcClient, from: &str, text: &str) -> Value {
    let (from, text) = (from.to_string(), text.to_string());
    c.event_where(&format!("message {text:?} from {from}"), move |e| {
        e["type"] == "message"
            && e["message"]["from"] == from.as_str()
            && e["message"]["text"] == text.as_str()
    })
    .await
    .unwrap()
}

/// Waits for a receipt event for `id` with `status`.
pub async fn expect_receipt(c: &mut RpcClient, id: &str, status: &str) {
    let (id, status) = (id.to_string(), status.to_string());
    c.event_where(&format!("receipt {status} for {id}"), move |e| {
        e["type"] == "receipt" && e["id"] == id.as_str() && e["status"] == status.as_str()
    })
    .await
    .unwrap();
}

/// Starts `name`'s chatd in `w` set to stop at `failpoint` (chatd's
/// test-only `failpoints` feature, on for these tests): it stops there
/// and waits to be killed.
pub async fn daemon_stopping_at(w: &World, name: &str, failpoint: &str) -> DaemonProcess {
    let args = vec![
        "--server".into(),
        w.server.addr.to_string(),
        "--server-fingerprint".into(),
        w.server.fingerprint.clone(),
        "--plaintext".into(),
    ];
    let env = test_support::daemon::DaemonEnv {
        set: vec![("CHATD_FAILPOINT".into(), failpoint.into())],
        ..Default::default()
    };
    DaemonProcess::start_with_env(&w.dir.path().join(name), args, env)
        .await
        .unwrap()
}

/// Waits until the daemon's log says it stopped at `failpoint`.
pub async fn reached(d: &DaemonProcess, failpoint: &str) {
    let what = format!("chatd to stop at failpoint {failpoint}");
    let needle = format!("failpoint=\"{failpoint}\"");
    test_support::wait_for(&what, std::time::Duration::from_secs(60), || {
        let hit = d
            .log_text()
            .lines()
            .any(|l| l.contains("failpoint reached") && l.contains(&needle));
        async move { hit.then_some(()) }
    })
    .await
    .unwrap_or_else(|e| panic!("{e}; its log:\n{}", d.log_text()));
}

/// Server message ids stored for `user` (not acked yet).
pub fn unacked_on_server(server_dir: &std::path::Path, user: &str) -> Vec<String> {
    let db = rusqlite::Connection::open_with_flags(
        server_dir.join("chat-server.db"),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .unwrap();
    let mut q = db
        .prepare(
            "SELECT msg_id FROM messages JOIN users ON users.id = messages.recipient_id \
             WHERE users.username = ?1",
        )
        .unwrap();
    q.query_map([user], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}
