//! The session with the server as a person drives it (docs/PROTOCOL.md
//! D9): logout and login at once, a login while chatd waits between
//! connection attempts, and names nobody has, between real daemons and a
//! real server.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
use std::time::Duration;

use common::*;
use test_support::wait;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logout_then_login_at_once_works_on_the_same_connection() {
    // A login deadline of 1 s: a logged-out connection outlives it.
    let w = World::with_server_args(&["--login-timeout", "1"]);
    let (d, mut alice) = w.user("alice").await;
    let mut events = d.client().await.unwrap();
    events
        .ok("subscribe", json!({"events": ["connection"]}))
        .await
        .unwrap();
    alice.ok("logout", json!({})).await.unwrap();
    let s = alice.ok("status", json!({})).await.unwrap();
    assert_eq!(s["state"], "connected");
    let r = alice
        .ok("login", json!({"username": "alice", "password": PASSWORD}))
        .await
        .unwrap();
    assert_eq!(r, json!({"username": "alice"}));

    alice.ok("logout", json!({})).await.unwrap();
    wait::elapse(
        Duration::from_millis(2500),
        "past the server's 1 s login deadline, which a logged-out connection is not subject to",
    )
    .await;
    let r = alice
        .ok("login", json!({"username": "alice", "password": PASSWORD}))
        .await
        .unwrap();
    assert_eq!(r, json!({"username": "alice"}));
    // The connection never dropped: only logged_in/connected changes.
    let mut states = Vec::new();
    while states.len() < 4 {
        let e = events.next_event().await.unwrap();
        states.push(e["state"].as_str().unwrap_or_default().to_string());
    }
    assert_eq!(
        states,
        ["connected", "logged_in", "connected", "logged_in"],
        "{}",
        d.log_text()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_login_between_connection_attempts_tries_at_once() {
    let mut w = World::new();
    let (d, mut alice) = w.user("alice").await;
    alice.ok("logout", json!({})).await.unwrap();
    let mut events = d.client().await.unwrap();
    events
        .ok("subscribe", json!({"events": ["connection"]}))
        .await
        .unwrap();
    // The server goes away; chatd's attempts fail and its backoff grows
    // (0.5 s, 1 s, 2 s, 4 s: after four failures the wait is seconds).
    w.server.kill9();
    let mut failures = 0;
    while failures < 4 {
        let e = events.next_event().await.unwrap();
        if e["state"] == "offline" {
            failures += 1;
        }
    }
    let down = alice
        .call("login", json!({"username": "alice", "password": PASSWORD}))
        .await
        .unwrap()
        .unwrap_err();
    assert_eq!(err_code(&down), "offline", "{down}");
    assert!(
        down["message"]
            .as_str()
            .unwrap()
            .contains("cannot reach the server"),
        "{down}"
    );
    // Back on the same port: a login now does not wait out the backoff.
    w.server.kill9_and_restart().unwrap();
    let r = alice
        .ok("login", json!({"username": "alice", "password": PASSWORD}))
        .await;
    assert_eq!(r.unwrap(), json!({"username": "alice"}), "{}", d.log_text());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_name_nobody_has_is_reported_up_front() {
    let w = World::new();
    let (_d, mut alice) = w.user("alice").await;
    for (method, params) in [
        ("history", json!({"peer": "ghost"})),
        ("mark_read", json!({"peer": "ghost"})),
        ("send", json!({"to": "ghost", "text": "boo"})),
        ("fingerprint", json!({"user": "ghost"})),
    ] {
        let e = alice.call(method, params).await.unwrap().unwrap_err();
        assert_eq!(e["code"], -32003, "{method}: {e}");
        assert!(
            e["message"]
                .as_str()
                .unwrap()
                .starts_with("no user named ghost"),
            "{method}: {e}"
        );
    }
    let c = alice.ok("conversations", json!({})).await.unwrap();
    assert!(
        !c.to_string().contains("ghost"),
        "no conversation with nobody: {c}"
    );
}
