//! Two real daemons chatting through a real server: messages both ways,
//! receipts, history, conversations, search, fingerprints and trust.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
use common::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_daemons_chat_with_receipts() {
    let w = World::new();
    let (_ad, mut alice) = w.user("alice").await;
    let (_bd, mut bob) = w.user("bob").await;
    let mut alice_events = _ad.client().await.unwrap();
    alice_events.ok("subscribe", json!({})).await.unwrap();
    let mut bob_events = _bd.client().await.unwrap();
    bob_events.ok("subscribe", json!({})).await.unwrap();

    // Fingerprints agree across daemons, and verify marks them.
    let bob_own = bob.ok("fingerprint", json!({})).await.unwrap();
    let bob_seen = alice
        .ok("fingerprint", json!({"user": "bob"}))
        .await
        .unwrap();
    assert_eq!(bob_own["fingerprint"], bob_seen["fingerprint"]);
    assert_eq!(bob_seen["state"], "unverified");
    let grouped = bob_seen["fingerprint"]
        .as_str()
        .unwrap()
        .as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(" ");
    let v = alice
        .ok(
            "verify",
            json!({"user": "bob", "fingerprint": grouped.to_uppercase()}),
        )
        .await
        .unwrap();
    assert_eq!(v, json!({"state": "verified"}));
    let wrong = alice
        .call(
            "verify",
            json!({"user": "bob", "fingerprint": "ab".repeat(32)}),
        )
        .await
        .unwrap()
        .unwrap_err();
    assert_eq!(wrong["code"], -32008);
    assert_eq!(err_code(&wrong), "fingerprint_mismatch");

    let sent = alice
        .ok("send", json!({"to": "bob", "text": "hello bob ✓"}))
        .await
        .unwrap();
    assert_eq!(sent["queued"], false);
    let id = sent["id"].as_str().unwrap().to_string();
    let m = expect_message(&mut bob_events, "alice", "hello bob ✓").await;
    assert_eq!(m["message"]["id"], id.as_str());
    assert_eq!(m["message"]["direction"], "in");
    expect_receipt(&mut alice_events, &id, "sent").await;
    expect_receipt(&mut alice_events, &id, "delivered").await;

    let conv = bob.ok("conversations", json!({})).await.unwrap();
    assert_eq!(conv["conversations"][0]["peer"], "alice");
    assert_eq!(conv["conversations"][0]["unread"], 1);
    bob.ok("mark_read", json!({"peer": "alice"})).await.unwrap();
    expect_receipt(&mut alice_events, &id, "read").await;
    let conv = bob.ok("conversations", json!({})).await.unwrap();
    assert_eq!(conv["conversations"][0]["unread"], 0);

    bob.ok("send", json!({"to": "alice", "text": "hi alice, all good"}))
        .await
        .unwrap();
    expect_message(&mut alice_events, "bob", "hi alice, all good").await;

    let h = alice.ok("history", json!({"peer": "bob"})).await.unwrap();
    let texts: Vec<&str> = h["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["text"].as_str().unwrap())
        .collect();
    assert_eq!(texts, ["hello bob ✓", "hi alice, all good"]);
    assert_eq!(h["messages"][0]["status"], "read");
    let one = alice.ok("message", json!({"id": id})).await.unwrap();
    assert_eq!(one["message"]["text"], "hello bob ✓");
    let found = bob.ok("search", json!({"query": "hello"})).await.unwrap();
    assert_eq!(found["messages"][0]["id"], id.as_str());
    let users = alice.ok("users", json!({})).await.unwrap();
    let names: Vec<&str> = users["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["username"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["alice", "bob"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_frontend_leaving_mid_request_loses_nothing() {
    let w = World::new();
    let (ad, _alice) = w.user("alice").await;
    let (_bd, _bob) = w.user("bob").await;
    let mut bob_events = _bd.client().await.unwrap();
    bob_events.ok("subscribe", json!({})).await.unwrap();
    // Write a send request and vanish before the answer.
    let mut quitter = ad.client().await.unwrap();
    quitter
        .write_raw(b"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"send\",\"params\":{\"to\":\"bob\",\"text\":\"sent by a quitter\"}}\n")
        .await
        .unwrap();
    drop(quitter);
    expect_message(&mut bob_events, "alice", "sent by a quitter").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn message_events_say_whether_the_conversation_is_open() {
    let w = World::new();
    let (_ad, mut alice) = w.user("alice").await;
    let (bd, _bob) = w.user("bob").await;
    let mut events = bd.client().await.unwrap();
    events.ok("subscribe", json!({})).await.unwrap();
    // A frontend shows the conversation with alice.
    let mut tui = bd.client().await.unwrap();
    tui.ok("focus", json!({"peer": "alice"})).await.unwrap();
    alice
        .ok("send", json!({"to": "bob", "text": "while open"}))
        .await
        .unwrap();
    let e = expect_message(&mut events, "alice", "while open").await;
    assert_eq!(e["focused"], true);
    // The frontend shows something else now.
    tui.ok("focus", json!({})).await.unwrap();
    alice
        .ok("send", json!({"to": "bob", "text": "while closed"}))
        .await
        .unwrap();
    let e = expect_message(&mut events, "alice", "while closed").await;
    assert!(e.get("focused").is_none(), "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_first_message_to_someone_starts_watching_them() {
    let w = World::new();
    let (ad, mut alice) = w.user("alice").await;
    let (_bd, _bob) = w.user("bob").await;
    let mut events = ad.client().await.unwrap();
    events.ok("subscribe", json!({})).await.unwrap();
    alice
        .ok("send", json!({"to": "bob", "text": "first contact"}))
        .await
        .unwrap();
    let conv = alice.ok("conversations", json!({})).await.unwrap();
    assert_eq!(conv["conversations"][0]["online"], true, "{conv}");
    // bob's account shows up with another key: alice's daemon hears of it
    // without a restart or a new login.
    let mut other = test_support::WireClient::connect(w.server.addr)
        .await
        .unwrap();
    other
        .login("bob", PASSWORD, &test_support::fixtures::public_pem("bob"))
        .await
        .unwrap();
    events
        .event_where("key_changed for bob", |e| {
            e["type"] == "key_changed" && e["user"] == "bob"
        })
        .await
        .unwrap();
}
