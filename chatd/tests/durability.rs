//! Crashes and restarts: kill -9 of a daemon or of the server loses no
//! message, shows none twice, and needs no password again; `subscribe`
//! with `since` replays exactly what a frontend missed.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
use common::*;

fn texts(history: &Value) -> Vec<String> {
    history["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["text"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_daemon_keeps_history_keys_and_login() {
    let w = World::new();
    let (mut ad, mut alice) = w.user("alice").await;
    let (bd, _bob) = w.user("bob").await;
    let mut bob_events = bd.client().await.unwrap();
    bob_events.ok("subscribe", json!({})).await.unwrap();
    alice
        .ok("send", json!({"to": "bob", "text": "before the crash"}))
        .await
        .unwrap();
    expect_message(&mut bob_events, "alice", "before the crash").await;
    let fpr = alice.ok("fingerprint", json!({})).await.unwrap();

    ad.kill9();
    ad.restart().await.unwrap();
    let mut alice = ad.client().await.unwrap();
    wait_state(&mut alice, "logged_in").await;
    assert_eq!(alice.ok("fingerprint", json!({})).await.unwrap(), fpr);
    assert_eq!(
        texts(&alice.ok("history", json!({"peer": "bob"})).await.unwrap()),
        ["before the crash"]
    );
    alice
        .ok("send", json!({"to": "bob", "text": "after the crash"}))
        .await
        .unwrap();
    expect_message(&mut bob_events, "alice", "after the crash").await;
    // bob's daemon did not have to re-pin alice: same key, still one pin.
    let seen = bob_events
        .ok("fingerprint", json!({"user": "alice"}))
        .await
        .unwrap();
    assert_eq!(seen["fingerprint"], fpr["fingerprint"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_written_while_the_server_is_down_arrive_once() {
    let mut w = World::new();
    let (ad, mut alice) = w.user("alice").await;
    let (bd, _bob) = w.user("bob").await;
    alice
        .ok("send", json!({"to": "bob", "text": "first contact"}))
        .await
        .unwrap();
    let mut bob = bd.client().await.unwrap();
    bob.ok("subscribe", json!({})).await.unwrap();
    expect_message(&mut bob, "alice", "first contact").await;

    w.server.kill9();
    wait_until(&mut alice, "offline", |s| s != "logged_in").await;
    let mut queued = Vec::new();
    for n in 1..=3 {
        let r = alice
            .ok("send", json!({"to": "bob", "text": format!("offline {n}")}))
            .await
            .unwrap();
        assert_eq!(r["queued"], true);
        queued.push(r["id"].as_str().unwrap().to_string());
    }
    assert_eq!(
        alice.ok("message", json!({"id": queued[0]})).await.unwrap()["message"]["status"],
        "sending"
    );
    w.server.kill9_and_restart().unwrap();
    for n in 1..=3 {
        expect_message(&mut bob, "alice", &format!("offline {n}")).await;
    }
    let mut alice_events = ad.client().await.unwrap();
    alice_events
        .ok("subscribe", json!({"since": 0}))
        .await
        .unwrap();
    expect_receipt(&mut alice_events, &queued[2], "delivered").await;
    let h = bob.ok("history", json!({"peer": "alice"})).await.unwrap();
    assert_eq!(
        texts(&h),
        ["first contact", "offline 1", "offline 2", "offline 3"]
    );
}

/// More deliveries than one inbound batch (64), the first contact's
/// session key among them, all pushed at once when bob's daemon logs in:
/// every one is stored once, in order, and acked.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_waiting_at_login_arrives_whole_and_in_order() {
    const N: usize = 150;
    let w = World::new();
    let (_ad, mut alice) = w.user("alice").await;
    let (mut bd, _bob) = w.user("bob").await;
    bd.kill9();
    let sent: Vec<String> = (1..=N).map(|n| format!("burst {n}")).collect();
    for t in &sent {
        alice
            .ok("send", json!({"to": "bob", "text": t}))
            .await
            .unwrap();
    }
    let server_dir = w.server.data_dir();
    test_support::wait::until_async("the burst stored on the server", async || {
        unacked_on_server(server_dir, "bob").len() >= N
    })
    .await;
    bd.restart().await.unwrap();
    let mut bob = bd.client().await.unwrap();
    let got = test_support::wait::Wait::new("the whole burst in bob's history")
        .every(std::time::Duration::from_millis(200))
        .until_async(async || {
            let h = bob
                .ok("history", json!({"peer": "alice", "limit": 500}))
                .await
                .ok()?;
            let t = texts(&h);
            (t.len() >= N).then_some(t)
        })
        .await;
    assert_eq!(got, sent);
    test_support::wait::until_async("bob's mailbox on the server to empty", async || {
        unacked_on_server(server_dir, "bob").is_empty()
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subscribe_since_replays_exactly_the_missed_events() {
    let w = World::new();
    let (_ad, mut alice) = w.user("alice").await;
    let (mut bd, mut bob) = w.user("bob").await;
    alice
        .ok("send", json!({"to": "bob", "text": "one"}))
        .await
        .unwrap();
    let mut sub = bd.client().await.unwrap();
    let seq0 = sub.ok("subscribe", json!({"since": 0})).await.unwrap()["seq"]
        .as_u64()
        .unwrap();
    expect_message(&mut sub, "alice", "one").await;
    let seen = bob.ok("subscribe", json!({})).await.unwrap()["seq"]
        .as_u64()
        .unwrap();
    assert!(seen >= seq0);
    drop(sub);

    bd.kill9();
    alice
        .ok("send", json!({"to": "bob", "text": "two"}))
        .await
        .unwrap();
    alice
        .ok("send", json!({"to": "bob", "text": "three"}))
        .await
        .unwrap();
    bd.restart().await.unwrap();
    let mut probe = bd.client().await.unwrap();
    wait_state(&mut probe, "logged_in").await;
    // Wait until both messages are in bob's history before replaying.
    test_support::wait::until_async("both messages in bob's history", async || {
        texts(&probe.ok("history", json!({"peer": "alice"})).await.unwrap()).len() == 3
    })
    .await;
    let mut again = bd.client().await.unwrap();
    let latest = again.ok("subscribe", json!({"since": seen})).await.unwrap()["seq"]
        .as_u64()
        .unwrap();
    let mut replayed = Vec::new();
    while replayed
        .last()
        .map_or(seen, |e: &Value| e["seq"].as_u64().unwrap())
        < latest
    {
        replayed.push(again.next_event().await.unwrap());
    }
    let seqs: Vec<u64> = replayed
        .iter()
        .map(|e| e["seq"].as_u64().unwrap())
        .collect();
    assert_eq!(
        seqs,
        (seen + 1..=latest).collect::<Vec<_>>(),
        "contiguous, nothing twice"
    );
    let msgs: Vec<&str> = replayed
        .iter()
        .filter(|e| e["type"] == "message")
        .map(|e| e["message"]["text"].as_str().unwrap())
        .collect();
    assert_eq!(msgs, ["two", "three"]);
}
