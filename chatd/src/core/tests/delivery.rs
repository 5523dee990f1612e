//! The inbound pipeline: held envelopes, session keys arriving late,
//! duplicates, replays and refused envelopes.

use chat_e2e::{Payload, ReceiptStatus};
use serde_json::{Value, json};

use super::{Harness, Peer};

/// bob (the vectors' bob key) knowing alice's key.
fn bob() -> Peer {
    let mut bob = Peer::vector("bob", "bob");
    bob.learn("alice", &test_support::fixtures::public_pem("alice"));
    bob
}

async fn held_for(h: &Harness, peer: &str) -> usize {
    let p = peer.to_string();
    h.core
        .db()
        .call(move |tx| tx.pending_for(&p))
        .await
        .unwrap()
        .len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sender_whose_key_is_unknown_is_held_until_the_key_arrives() {
    let mut h = Harness::alice().await;
    let mut bob = bob();
    // The server cannot tell alice bob's key yet.
    let envs = bob.seal("alice", "wait for my key");
    let ids = [
        h.deliver("bob", &envs[0]).await,
        h.deliver("bob", &envs[1]).await,
    ];
    h.relay_until("both held envelopes acked", |r| {
        ids.iter().all(|id| r.acked().contains(id))
    })
    .await;
    h.relay_until("a key request for bob", |r| {
        r.key_requests().iter().any(|u| u == "bob")
    })
    .await;
    assert_eq!(held_for(&h, "bob").await, 2);

    // Once the key can be had, the next login examines them again.
    h.relay.set_key("bob", &bob.public_pem());
    h.login().await;
    let m = h.next_message().await;
    assert_eq!(
        (&m["from"], &m["text"], &m["status"], &m["direction"]),
        (
            &json!("bob"),
            &json!("wait for my key"),
            &json!("delivered"),
            &json!("in")
        )
    );
    assert_eq!(held_for(&h, "bob").await, 0);
    assert!(
        h.relay.watched().iter().any(|u| u == "bob"),
        "bob is watched"
    );

    // A delivered receipt goes back to bob.
    h.relay_until("a receipt to bob", |r| {
        r.sent().iter().any(|s| s.to == "bob")
    })
    .await;
    let back = bob.open_all("alice", &h.sent_to("bob"));
    let [Payload::Receipt(r)] = back.as_slice() else {
        panic!("{back:?}")
    };
    assert_eq!(r.status, ReceiptStatus::Delivered);
    assert_eq!(r.ids[0].to_string(), m["id"].as_str().unwrap());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_before_its_session_key_waits_for_it() {
    let mut h = Harness::alice().await;
    let mut bob = bob();
    h.relay.set_key("bob", &bob.public_pem());
    let envs = bob.seal("alice", "out of order");
    let msg_id = h.deliver("bob", &envs[1]).await;
    h.relay_until("the early msg acked", |r| r.acked().contains(&msg_id))
        .await;
    h.deliver("bob", &envs[0]).await;
    let m = h.next_message().await;
    assert_eq!(m["text"], "out of order");
    assert_eq!(held_for(&h, "bob").await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redeliveries_are_dropped_and_replays_reported() {
    let mut h = Harness::alice().await;
    let mut bob = bob();
    h.relay.set_key("bob", &bob.public_pem());
    let envs = bob.seal("alice", "only once");
    h.deliver("bob", &envs[0]).await;
    let first = h.deliver("bob", &envs[1]).await;
    assert_eq!(h.next_event().await["message"]["text"], "only once");

    // The same delivery again (a lost ack): dropped silently, acked.
    h.deliver_as(&first, "bob", &envs[1]).await;
    // The same envelope under a new server id: a replay.
    h.deliver("bob", &envs[1]).await;
    let e = h.next_event().await;
    assert_eq!(
        (&e["type"], &e["user"], &e["reason"]),
        (&json!("security"), &json!("bob"), &json!("replayed"))
    );
    for e in bob.seal("alice", "and then this") {
        h.deliver("bob", &e).await;
    }
    assert_eq!(h.next_event().await["message"]["text"], "and then this");
    // The redelivery was acked too (with its batch, which may go out just
    // after the batch's events).
    h.relay_until("the redelivery acked", |r| {
        r.acked().iter().filter(|id| **id == first).count() == 2
    })
    .await;
    let history = h.ok("history", json!({"peer": "bob"})).await;
    let texts: Vec<&Value> = history["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| &m["text"])
        .collect();
    assert_eq!(texts, [&json!("only once"), &json!("and then this")]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_envelopes_are_reported_and_unknown_kinds_ignored() {
    let mut h = Harness::alice().await;
    let mut bob = bob();
    h.relay.set_key("bob", &bob.public_pem());
    let envs = bob.seal("alice", "genuine");
    for e in &envs {
        h.deliver("bob", e).await;
    }
    assert_eq!(h.next_event().await["message"]["text"], "genuine");

    let mut tampered = bob.seal("alice", "altered").pop().unwrap();
    let ct = tampered["ct"].as_str().unwrap().to_string();
    let mut bytes = chat_proto::encoding::b64_decode(&ct, "ct").unwrap();
    bytes[0] ^= 1;
    tampered.insert("ct".into(), json!(chat_proto::encoding::b64_encode(&bytes)));
    h.deliver("bob", &tampered).await;
    let e = h.next_event().await;
    assert_eq!(
        (&e["type"], &e["reason"]),
        (&json!("security"), &json!("bad_tag"))
    );

    let malformed = json!({"kind": "msg", "key_id": "not-a-uuid", "seq": 0});
    h.deliver("bob", malformed.as_object().unwrap()).await;
    let e = h.next_event().await;
    assert_eq!(e["reason"], "malformed_envelope");

    let unknown = json!({"kind": "group_key", "anything": true});
    let ignored = h.deliver("bob", unknown.as_object().unwrap()).await;
    for e in bob.seal("alice", "still talking") {
        h.deliver("bob", &e).await;
    }
    assert_eq!(h.next_event().await["message"]["text"], "still talking");
    // Acked with its batch, which may go out just after the batch's events.
    h.relay_until("the ignored envelope acked", |r| {
        r.acked().contains(&ignored)
    })
    .await;
    // Only the genuine texts reached the history.
    let history = h.ok("history", json!({"peer": "bob"})).await;
    assert_eq!(history["messages"].as_array().unwrap().len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn typing_payloads_are_acked_and_ignored_until_typing_is_implemented() {
    // Group payloads are acted on (core/tests/groups.rs); typing is not yet.
    let mut h = Harness::alice().await;
    let mut bob = bob();
    h.relay.set_key("bob", &bob.public_pem());
    for e in bob.seal("alice", "before") {
        h.deliver("bob", &e).await;
    }
    let before = h.next_event().await["message"].clone();
    assert_eq!(before["text"], "before");

    let gid = uuid::Uuid::from_u128(0x1234_5678_9abc_4def_8123_4567_89ab_cdef);
    let payloads = [
        Payload::typing(Some(gid), 4).unwrap(),
        Payload::typing(None, 5).unwrap(),
    ];
    let mut ignored = Vec::new();
    for p in &payloads {
        for e in bob.seal_payload("alice", p) {
            ignored.push(h.deliver("bob", &e).await);
        }
    }
    // The next thing alice shows is bob's next text: no message, no
    // security event for any of the typing payloads.
    for e in bob.seal("alice", "after") {
        h.deliver("bob", &e).await;
    }
    let after = h.next_event().await["message"].clone();
    assert_eq!(after["text"], "after");
    h.relay_until("every typing payload acked", |r| {
        let acked = r.acked();
        ignored.iter().all(|id| acked.contains(id))
    })
    .await;
    let history = h.ok("history", json!({"peer": "bob"})).await;
    let texts: Vec<&Value> = history["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| &m["text"])
        .collect();
    assert_eq!(texts, [&json!("before"), &json!("after")]);
    // Receipts went back for the two texts only: the outbox sends in
    // order, each under the session key alice re-sends until bob confirms
    // it (D5), so the first four envelopes are both receipts.
    h.relay_until("two receipts to bob", |r| {
        r.sent().iter().filter(|s| s.to == "bob").count() >= 4
    })
    .await;
    let back = bob.open_all("alice", &h.sent_to("bob"));
    let named: Vec<String> = back
        .iter()
        .map(|p| match p {
            Payload::Receipt(r) => r.ids.iter().map(|i| i.to_string()).collect(),
            other => panic!("not a receipt: {other:?}"),
        })
        .collect();
    assert_eq!(
        named,
        [
            before["id"].as_str().unwrap(),
            after["id"].as_str().unwrap()
        ]
    );
}
