//! Typing indicators between two real daemons through a real server
//! (docs/PROTOCOL.md §4.1, D14): one reaches an online peer as a `typing`
//! event and nothing of it is stored (history, event log); a second right
//! after is coalesced; none leaves before the peer confirmed a key, nor
//! while the `typing_indicators` setting is off; in a group, the event
//! names the group.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
use common::*;

/// Every event of `c`'s log after `since` (all kinds), up to `latest`.
async fn replayed(d: &DaemonProcess, since: u64) -> Vec<Value> {
    let mut c = d.client().await.unwrap();
    let all = json!([
        "message",
        "receipt",
        "presence",
        "connection",
        "key_changed",
        "security",
        "trust",
        "settings",
        "group",
        "typing"
    ]);
    let r = c
        .ok("subscribe", json!({"since": since, "events": all}))
        .await
        .unwrap();
    let latest = r["seq"].as_u64().unwrap();
    let mut got = Vec::new();
    while got
        .last()
        .is_none_or(|e: &Value| e["seq"].as_u64().unwrap() < latest)
    {
        got.push(c.next_event().await.unwrap());
    }
    got
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_indicator_reaches_an_online_peer_and_is_never_stored() {
    let w = World::new();
    let (ad, mut alice) = w.user("alice").await;
    let (bd, mut bob) = w.user("bob").await;
    let mut alice_events = ad.client().await.unwrap();
    alice_events.ok("subscribe", json!({})).await.unwrap();
    let mut bob_events = bd.client().await.unwrap();
    let since = bob_events
        .ok(
            "subscribe",
            json!({"events": ["message", "receipt", "typing", "group"]}),
        )
        .await
        .unwrap()["seq"]
        .as_u64()
        .unwrap();
    // A v1 subscriber (no `events`) never meets a typing event.
    let mut bob_v1 = bd.client().await.unwrap();
    bob_v1.ok("subscribe", json!({})).await.unwrap();

    // No key bob confirmed yet: nothing leaves.
    let r = alice.ok("typing", json!({"peer": "bob"})).await.unwrap();
    assert_eq!(r, json!({"sent": false}));

    let hi = alice
        .ok("send", json!({"to": "bob", "text": "hi"}))
        .await
        .unwrap();
    let hi_id = hi["id"].as_str().unwrap().to_string();
    expect_message(&mut bob_events, "alice", "hi").await;
    expect_receipt(&mut alice_events, &hi_id, "delivered").await;

    let r = alice.ok("typing", json!({"peer": "bob"})).await.unwrap();
    assert_eq!(r, json!({"sent": true}));
    let again = alice.ok("typing", json!({"peer": "bob"})).await.unwrap();
    assert_eq!(again, json!({"sent": false}), "coalesced");
    let t = bob_events
        .event_where("alice typing", |e| e["type"] == "typing")
        .await
        .unwrap();
    assert_eq!((&t["user"], t.get("group")), (&json!("alice"), None));

    // bob's answer travels after the indicator was handled by bob's
    // chatd; the v1 subscriber sees that message and no typing before it.
    bob.ok("send", json!({"to": "alice", "text": "yes?"}))
        .await
        .unwrap();
    let e = bob_v1
        .event_where("bob's answer", |e| {
            e["type"] == "typing" || (e["type"] == "message" && e["message"]["text"] == "yes?")
        })
        .await
        .unwrap();
    assert_eq!(e["type"], "message", "{e}");

    // Nothing of it stored: not in history, not in the event log.
    let h = bob.ok("history", json!({"peer": "alice"})).await.unwrap();
    let texts: Vec<&str> = h["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["text"].as_str().unwrap())
        .collect();
    assert_eq!(texts, ["hi", "yes?"]);
    let log = replayed(&bd, since).await;
    assert!(log.iter().all(|e| e["type"] != "typing"), "{log:?}");

    // The setting off: nothing leaves (bob's key is confirmed by alice's
    // delivery receipt for "yes?").
    expect_message(&mut alice_events, "bob", "yes?").await;
    bob.ok("set_settings", json!({"typing_indicators": false}))
        .await
        .unwrap();
    let mut bob_sent = json!(null);
    test_support::wait::Wait::new("bob's key to be confirmed by alice")
        .until_async(async || {
            // Off: never sent, whatever the key.
            let off = bob.ok("typing", json!({"peer": "alice"})).await.unwrap();
            assert_eq!(off, json!({"sent": false}));
            let m = bob.ok("history", json!({"peer": "alice"})).await.unwrap();
            bob_sent = m["messages"][1]["status"].clone();
            bob_sent == "delivered"
        })
        .await;
    bob.ok("set_settings", json!({"typing_indicators": true}))
        .await
        .unwrap();
    let on = bob.ok("typing", json!({"peer": "alice"})).await.unwrap();
    assert_eq!(on, json!({"sent": true}));

    // In a group: once bob holds its state, alice's indicator names it.
    let g = alice
        .ok("group_create", json!({"name": "team", "members": ["bob"]}))
        .await
        .unwrap();
    let gid = g["group"]["id"].as_str().unwrap().to_string();
    bob_events
        .event_where("bob joins team", |e| e["type"] == "group")
        .await
        .unwrap();
    let r = alice.ok("typing", json!({"group": gid})).await.unwrap();
    assert_eq!(r, json!({"sent": true}), "a conversation of its own");
    let t = bob_events
        .event_where("alice typing in team", |e| {
            e["type"] == "typing" && e.get("group").is_some()
        })
        .await
        .unwrap();
    assert_eq!((&t["user"], &t["group"]), (&json!("alice"), &json!(gid)));
}
