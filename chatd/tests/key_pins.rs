//! Keys that change behind chatd's back: our own account's key replaced on
//! the server by another login (a second device, or the server itself), and
//! a peer's key changed while chatd was not running. Both must be noticed
//! at the next login or resume, never silently adopted.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
use common::*;

use chat_proto::ServerMessage;
use test_support::WireClient;
use test_support::fixtures::public_pem;

/// The latest event seq, for a `subscribe` with `since` that must not miss
/// what a restarting daemon emits before the test has reconnected.
async fn latest_seq(c: &mut RpcClient) -> u64 {
    let r = c.ok("subscribe", json!({})).await.unwrap();
    r["seq"].as_u64().unwrap()
}

/// Restarts the daemon and subscribes from `since`; waits until logged in.
async fn restart_from(d: &mut DaemonProcess, since: u64) -> (RpcClient, RpcClient) {
    d.restart().await.unwrap();
    let mut rpc = d.client().await.unwrap();
    let mut events = d.client().await.unwrap();
    events
        .ok("subscribe", json!({"since": since}))
        .await
        .unwrap();
    wait_state(&mut rpc, "logged_in").await;
    (rpc, events)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_foreign_key_for_our_own_account_is_reported_and_never_encrypted_to() {
    let w = World::new();
    let (mut ad, mut alice) = w.user("alice").await;
    let own = alice.ok("fingerprint", json!({})).await.unwrap();
    let since = latest_seq(&mut alice).await;

    // alice's chatd is stopped first, so that the alert below can only
    // come from the daemon that resumes (a running one would raise it on
    // the server's key_changed push, and the resumed one would answer a
    // send before its own check had run).
    ad.kill9();
    // Someone logs in to alice's account with another identity key; the
    // server now hands that key out as alice's.
    let mut rogue = WireClient::connect(w.server.addr).await.unwrap();
    let foreign = public_pem("bob");
    assert!(matches!(
        rogue.login("alice", PASSWORD, &foreign).await.unwrap(),
        ServerMessage::LoginOk { .. }
    ));

    // alice's chatd resumes: it compares the server's key with its own.
    let (mut alice, mut events) = restart_from(&mut ad, since).await;
    let alert = events
        .event_where("security own_key_mismatch", |e| {
            e["type"] == "security" && e["reason"] == "own_key_mismatch"
        })
        .await
        .unwrap();
    assert_eq!(alert["user"], "alice");

    // A note to self is refused rather than encrypted to the foreign key.
    let e = alice
        .call("send", json!({"to": "alice", "text": "a private note"}))
        .await
        .unwrap()
        .unwrap_err();
    assert_eq!(
        (e["code"].as_i64(), err_code(&e)),
        (Some(-32004), "key_changed".to_string()),
        "{e}"
    );
    let history = alice.ok("history", json!({"peer": "alice"})).await.unwrap();
    assert_eq!(history["messages"], json!([]), "nothing was queued");

    // Our own fingerprint is still the local key, verified.
    assert_eq!(alice.ok("fingerprint", json!({})).await.unwrap(), own);
    assert_eq!(
        alice
            .ok("fingerprint", json!({"user": "alice"}))
            .await
            .unwrap(),
        own
    );
}

/// The same, with the note sent the moment the resumed chatd says it is
/// logged in: its own-key check may still be running, and its answer
/// decides (the send waits for it rather than slipping through).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_note_to_self_right_after_the_resume_waits_for_the_own_key_check() {
    let w = World::new();
    let (mut ad, mut alice) = w.user("alice").await;
    let since = latest_seq(&mut alice).await;
    ad.kill9();
    let mut rogue = WireClient::connect(w.server.addr).await.unwrap();
    assert!(matches!(
        rogue
            .login("alice", PASSWORD, &public_pem("bob"))
            .await
            .unwrap(),
        ServerMessage::LoginOk { .. }
    ));

    let (mut alice, _events) = restart_from(&mut ad, since).await;
    let e = alice
        .call("send", json!({"to": "alice", "text": "sent at once"}))
        .await
        .unwrap()
        .unwrap_err();
    assert_eq!(err_code(&e), "key_changed", "{e}");
    let history = alice.ok("history", json!({"peer": "alice"})).await.unwrap();
    assert_eq!(history["messages"], json!([]), "nothing was queued");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_note_to_self_is_encrypted_to_the_local_key() {
    let w = World::new();
    let (ad, mut alice) = w.user("alice").await;
    let mut events = ad.client().await.unwrap();
    events.ok("subscribe", json!({})).await.unwrap();
    alice
        .ok("send", json!({"to": "alice", "text": "remember the milk"}))
        .await
        .unwrap();
    expect_message(&mut events, "alice", "remember the milk").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_changed_while_chatd_was_stopped_is_noticed_on_resume() {
    let w = World::new();
    let (mut ad, mut alice) = w.user("alice").await;
    let (_bob, _) = WireClient::logged_in(w.server.addr, "bob", &public_pem("bob"))
        .await
        .unwrap();
    let sent = alice
        .ok("send", json!({"to": "bob", "text": "hello bob"}))
        .await
        .unwrap();
    assert!(sent["id"].is_string());
    let pinned = alice
        .ok("fingerprint", json!({"user": "bob"}))
        .await
        .unwrap();
    assert_eq!(pinned["state"], "unverified");
    let since = latest_seq(&mut alice).await;
    ad.terminate().unwrap();

    // While alice's chatd is stopped, bob's account gets another key.
    let mut again = WireClient::connect(w.server.addr).await.unwrap();
    let new_key = public_pem("alice");
    assert!(matches!(
        again.login("bob", PASSWORD, &new_key).await.unwrap(),
        ServerMessage::LoginOk { .. }
    ));

    let (mut alice, mut events) = restart_from(&mut ad, since).await;
    let changed = events
        .event_where("key_changed for bob", |e| {
            e["type"] == "key_changed" && e["user"] == "bob"
        })
        .await
        .unwrap();
    assert_ne!(changed["fingerprint"], pinned["fingerprint"]);
    let now = alice
        .ok("fingerprint", json!({"user": "bob"}))
        .await
        .unwrap();
    assert_eq!(now["state"], "changed");
    let e = alice
        .call("send", json!({"to": "bob", "text": "blocked"}))
        .await
        .unwrap()
        .unwrap_err();
    assert_eq!(
        (e["code"].as_i64(), err_code(&e)),
        (Some(-32004), "key_changed".to_string())
    );
    alice.ok("trust", json!({"user": "bob"})).await.unwrap();
    let after = alice
        .ok("send", json!({"to": "bob", "text": "after trust"}))
        .await
        .unwrap();
    expect_receipt(&mut events, after["id"].as_str().unwrap(), "sent").await;
}
