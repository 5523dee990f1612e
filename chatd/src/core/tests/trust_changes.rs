//! What a change of trust in a peer's key leaves behind (docs/PROTOCOL.md
//! D9): `trust` events, timeline notices in `history`, the pending change
//! in `status` and `conversations`, `unchanged` for a decision that
//! changed nothing, the safety number, a mismatch that never hands out the
//! right fingerprint, and the extension kinds reaching only subscribers
//! that ask for them.

use chat_e2e::PublicIdentity;
use chat_proto::ServerMessage;
use chatd_api::{EventKind, SubscribeParams};
use serde_json::{Value, json};

use super::{Harness, Peer, code_of};
use crate::core::api;

/// alice logged in with bob pinned (the vectors' bob key) after one
/// message to him; the pin was announced as a `trust` event first.
async fn alice_knowing_bob() -> (Harness, Peer) {
    let mut h = Harness::alice().await;
    let mut bob = Peer::vector("bob", "bob");
    bob.learn("alice", &test_support::fixtures::public_pem("alice"));
    h.relay.set_key("bob", &bob.public_pem());
    let sent = h
        .ok("send", json!({"to": "bob", "text": "hello bob"}))
        .await;
    let id = sent["id"].clone();
    let mut pinned = None;
    loop {
        let e = h
            .event_where("bob pinned, then the message sent", |e| {
                e["type"] == "trust" || e["type"] == "receipt"
            })
            .await;
        if e["type"] == "trust" {
            pinned = Some(e);
        } else if e["id"] == id && e["status"] == "sent" {
            break;
        }
    }
    let pinned = pinned.expect("a trust event for bob's first pin");
    assert_eq!(
        (&pinned["user"], &pinned["state"]),
        (&json!("bob"), &json!("unverified"))
    );
    (h, bob)
}

fn fingerprint(pem: &str) -> String {
    PublicIdentity::from_pem(pem)
        .unwrap()
        .fingerprint()
        .to_string()
}

/// bob's key changes on the server and alice hears of it.
async fn bob_changes_key(h: &mut Harness) -> String {
    let new_bob = Peer::fresh("bob");
    let new_fpr = fingerprint(&new_bob.public_pem());
    h.relay.set_key("bob", &new_bob.public_pem());
    h.push(ServerMessage::KeyChanged {
        username: "bob".into(),
        fingerprint: new_fpr.clone(),
    })
    .await;
    new_fpr
}

fn kinds(notices: &Value) -> Vec<String> {
    notices
        .as_array()
        .map(|a| {
            a.iter()
                .map(|n| n["kind"].as_str().unwrap_or_default().to_string())
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_change_is_an_event_a_notice_and_a_pending_change_until_trusted() {
    let (mut h, _bob) = alice_knowing_bob().await;
    let status = h.ok("status", json!({})).await;
    assert!(status.get("key_changes").is_none(), "{status}");

    let new_fpr = bob_changes_key(&mut h).await;
    let changed = h
        .event_where("trust: changed", |e| e["type"] == "trust")
        .await;
    assert_eq!(
        (&changed["state"], &changed["fingerprint"]),
        (&json!("changed"), &json!(new_fpr))
    );
    let status = h.ok("status", json!({})).await;
    assert_eq!(status["key_changes"], json!(["bob"]));
    let c = h.ok("conversations", json!({})).await;
    assert_eq!(c["conversations"][0]["trust"], "changed");
    let page = h.ok("history", json!({"peer": "bob"})).await;
    assert_eq!(kinds(&page["notices"]), ["key_changed"]);
    assert_eq!(page["notices"][0]["fingerprint"], json!(new_fpr));

    let t = h.ok("trust", json!({"user": "bob"})).await;
    assert_eq!(
        t,
        json!({"state": "unverified"}),
        "a change: no `unchanged`"
    );
    let accepted = h
        .event_where("trust: accepted", |e| e["type"] == "trust")
        .await;
    assert_eq!(
        (&accepted["state"], &accepted["fingerprint"]),
        (&json!("unverified"), &json!(new_fpr))
    );
    let page = h.ok("history", json!({"peer": "bob"})).await;
    assert_eq!(kinds(&page["notices"]), ["key_changed", "key_accepted"]);
    let status = h.ok("status", json!({})).await;
    assert!(status.get("key_changes").is_none(), "{status}");
    let c = h.ok("conversations", json!({})).await;
    assert_eq!(c["conversations"][0]["trust"], "unverified");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trust_and_verify_that_change_nothing_say_so() {
    let (mut h, bob) = alice_knowing_bob().await;
    let t = h.ok("trust", json!({"user": "bob"})).await;
    assert_eq!(t, json!({"state": "unverified", "unchanged": true}));
    let fpr = fingerprint(&bob.public_pem());
    let v = h
        .ok("verify", json!({"user": "bob", "fingerprint": fpr}))
        .await;
    assert_eq!(v, json!({"state": "verified"}));
    let v = h
        .ok("verify", json!({"user": "bob", "fingerprint": fpr}))
        .await;
    assert_eq!(v, json!({"state": "verified", "unchanged": true}));
    let t = h.ok("trust", json!({"user": "bob"})).await;
    assert_eq!(
        t,
        json!({"state": "verified", "unchanged": true}),
        "trust keeps a verified key verified"
    );
    // One notice, for the one real change.
    let page = h.ok("history", json!({"peer": "bob"})).await;
    assert_eq!(kinds(&page["notices"]), ["verified"]);
    let verified = h.event_where("verified", |e| e["type"] == "trust").await;
    assert_eq!(verified["state"], "verified");
    let t = h.ok("status", json!({})).await;
    assert!(t.get("key_changes").is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mismatch_never_hands_out_the_right_fingerprint() {
    let (h, bob) = alice_knowing_bob().await;
    let right = fingerprint(&bob.public_pem());
    let grouped: String = right
        .as_bytes()
        .chunks(4)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect::<Vec<_>>()
        .join(" ");
    let e = h
        .api(
            "verify",
            json!({"user": "bob", "fingerprint": "0".repeat(64)}),
        )
        .await
        .unwrap_err();
    assert_eq!(code_of(&e), "fingerprint_mismatch");
    let everything = format!("{} {}", e.message, e.data);
    for shown in [
        &right,
        &grouped,
        &right.to_uppercase(),
        &right[..16].to_string(),
    ] {
        assert!(
            !everything.contains(shown.as_str()),
            "the error gives away {shown}: {everything}"
        );
    }
    assert!(e.message.contains("bob"), "{}", e.message);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_peer_fingerprint_carries_the_safety_number_of_both_keys() {
    let (h, bob) = alice_knowing_bob().await;
    let f = h.ok("fingerprint", json!({"user": "bob"})).await;
    let alice_fpr = fingerprint(&test_support::fixtures::public_pem("alice"));
    let expected = chatd_api::domain::safety_number(
        "bob",
        &fingerprint(&bob.public_pem()),
        "alice",
        &alice_fpr,
    );
    assert_eq!(f["safety_number"], json!(expected));
    let own = h.ok("fingerprint", json!({})).await;
    assert!(own.get("safety_number").is_none(), "{own}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn extension_events_reach_only_subscribers_that_name_them_live_and_replayed() {
    let mut h = Harness::alice().await;
    let since = Some(0);
    let (_, mut v1) = api::subscribe(
        &h.core,
        SubscribeParams {
            events: None,
            since,
        },
    )
    .await
    .unwrap();
    let (_, mut named) = api::subscribe(
        &h.core,
        SubscribeParams {
            events: Some(vec![EventKind::Settings]),
            since,
        },
    )
    .await
    .unwrap();
    h.ok("set_settings", json!({"read_receipts": false})).await;
    h.event_where("settings", |e| e["type"] == "settings").await;
    // A v1 kind after it, so the v1 subscriber has something to get.
    h.core
        .hub()
        .publish(chatd_api::EventBody::Presence {
            user: "bob".into(),
            online: true,
        })
        .await
        .unwrap();

    let mut seen_v1 = Vec::new();
    loop {
        let e = next(&mut v1).await;
        seen_v1.push(e["type"].as_str().unwrap_or_default().to_string());
        if e["type"] == "presence" && e["user"] == "bob" {
            break;
        }
    }
    assert!(
        !seen_v1.iter().any(|t| t == "settings" || t == "trust"),
        "{seen_v1:?}"
    );
    let e = next(&mut named).await;
    assert_eq!(e["type"], "settings");

    // Replayed from the log: the same rule.
    let (_, mut replay_v1) = api::subscribe(
        &h.core,
        SubscribeParams {
            events: None,
            since,
        },
    )
    .await
    .unwrap();
    let mut replayed = Vec::new();
    loop {
        let e = next(&mut replay_v1).await;
        replayed.push(e["type"].as_str().unwrap_or_default().to_string());
        if e["type"] == "presence" && e["user"] == "bob" {
            break;
        }
    }
    assert!(!replayed.iter().any(|t| t == "settings"), "{replayed:?}");
}

/// The next event of `sub`, as JSON.
async fn next(sub: &mut crate::hub::Subscription) -> Value {
    let e = tokio::time::timeout(super::EVENT_TIMEOUT, sub.next())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    serde_json::to_value(e).unwrap()
}
