//! The `read_receipts` setting between two real daemons through a real
//! server: with it off, bob's chatd marks alice's messages read for bob's
//! frontends but alice's chatd never hears "read" (only "delivered"), and
//! turning it on again does not report what was read meanwhile.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
use common::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_peer_never_sees_read_while_read_receipts_are_off() {
    let w = World::new();
    let (ad, mut alice) = w.user("alice").await;
    let (bd, mut bob) = w.user("bob").await;
    let mut alice_events = ad.client().await.unwrap();
    alice_events.ok("subscribe", json!({})).await.unwrap();
    let mut bob_events = bd.client().await.unwrap();
    bob_events
        .ok(
            "subscribe",
            json!({"events": ["message", "receipt", "settings"]}),
        )
        .await
        .unwrap();

    let s = bob
        .ok("set_settings", json!({"read_receipts": false}))
        .await
        .unwrap();
    assert_eq!(
        s,
        json!({"read_receipts": false, "typing_indicators": true})
    );
    bob_events
        .event_where("the settings event", |e| e["type"] == "settings")
        .await
        .unwrap();

    let quiet = alice
        .ok("send", json!({"to": "bob", "text": "quietly read"}))
        .await
        .unwrap();
    let quiet_id = quiet["id"].as_str().unwrap().to_string();
    expect_message(&mut bob_events, "alice", "quietly read").await;
    expect_receipt(&mut alice_events, &quiet_id, "delivered").await;
    bob.ok("mark_read", json!({"peer": "alice"})).await.unwrap();
    // bob's own frontends see it read.
    expect_receipt(&mut bob_events, &quiet_id, "read").await;

    // Turned on again: only what is read from now on is reported. bob's
    // later message to alice travels after anything bob's chatd queued for
    // her before it, so once it arrives a stray "read" would have too.
    bob.ok("set_settings", json!({"read_receipts": true}))
        .await
        .unwrap();
    bob.ok("mark_read", json!({"peer": "alice"})).await.unwrap();
    let loud = alice
        .ok("send", json!({"to": "bob", "text": "read out loud"}))
        .await
        .unwrap();
    let loud_id = loud["id"].as_str().unwrap().to_string();
    expect_message(&mut bob_events, "alice", "read out loud").await;
    bob.ok("mark_read", json!({"peer": "alice"})).await.unwrap();
    expect_receipt(&mut alice_events, &loud_id, "read").await;
    bob.ok("send", json!({"to": "alice", "text": "after"}))
        .await
        .unwrap();
    expect_message(&mut alice_events, "bob", "after").await;

    let m = alice.ok("message", json!({"id": quiet_id})).await.unwrap();
    assert_eq!(
        m["message"]["status"], "delivered",
        "alice never learns bob read it"
    );
    let s = bob.ok("settings", json!({})).await.unwrap();
    assert_eq!(s, json!({"read_receipts": true, "typing_indicators": true}));
}
