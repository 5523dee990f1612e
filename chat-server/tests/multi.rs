//! `send_multi` over the real server (PROTOCOL.md §4.5): one transaction,
//! a result per item in item order, per-sender order kept, failures per
//! item, and whole-request errors that store nothing.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
use chat_proto::wire::MultiOutcome;
use common::*;
use serde_json::Value;

fn envelope(n: usize) -> Value {
    json!({"kind":"msg","key_id":"k","seq":n,"nonce":"AAAA","ct":format!("payload-{n}")})
}

fn multi(items: &[(&str, Value)]) -> Value {
    let messages: Vec<Value> = items
        .iter()
        .map(|(to, envelope)| json!({"to": to, "envelope": envelope}))
        .collect();
    json!({"type":"send_multi","messages":messages})
}

/// The results of a `sent_multi`, as (to, Ok(queued) | Err(code)).
fn results(answer: &ServerMessage) -> Vec<(String, Result<bool, ErrorCode>)> {
    let ServerMessage::SentMulti { results, .. } = answer else {
        panic!("expected sent_multi, got {answer:?}")
    };
    results
        .iter()
        .map(|r| {
            let outcome = match &r.outcome {
                MultiOutcome::Sent {
                    queued, delivered, ..
                } => {
                    assert_eq!(*delivered, None, "stored items say nothing of delivery");
                    Ok(*queued)
                }
                MultiOutcome::Failed { error } => Err(error.code),
            };
            (r.to.clone(), outcome)
        })
        .collect()
}

/// Reads deliveries until `count`, as (from, seq of the test envelope).
async fn deliveries(c: &mut WireClient, count: usize) -> Vec<(String, u64)> {
    let mut out = Vec::new();
    while out.len() < count {
        match c.next_push().await.unwrap() {
            ServerMessage::Deliver { from, envelope, .. } => {
                out.push((from, envelope["seq"].as_u64().unwrap()));
            }
            ServerMessage::Presence { .. } => {}
            other => panic!("unexpected push {other:?}"),
        }
    }
    out
}

/// Sends a marker with a plain `send` and checks that it is the next
/// delivery: whatever was supposed not to be stored was not.
async fn next_delivery_is_the_marker(sender: &mut WireClient, to: &mut WireClient, to_name: &str) {
    let r = sender
        .request(json!({"type":"send","to":to_name,"envelope":envelope(9999)}))
        .await
        .unwrap();
    assert!(matches!(r, ServerMessage::Sent { .. }), "{r:?}");
    assert_eq!(deliveries(to, 1).await[0].1, 9999);
}

async fn offline(addr: std::net::SocketAddr, name: &str) {
    let (mut c, _) = WireClient::logged_in(addr, name, &bob_key()).await.unwrap();
    c.request(json!({"type":"logout"})).await.unwrap();
}

#[tokio::test]
async fn every_item_is_stored_in_order_with_a_result_each() {
    let srv = server(&[]);
    let mut bob = user(&srv, "bob", &bob_key()).await;
    offline(srv.addr, "carol").await;
    let mut alice = user(&srv, "alice", &alice_key()).await;
    let r = alice
        .request(multi(&[
            ("bob", envelope(1)),
            ("carol", envelope(2)),
            ("bob", envelope(3)),
            ("bob", envelope(4)),
        ]))
        .await
        .unwrap();
    assert_eq!(
        results(&r),
        [
            ("bob".to_string(), Ok(false)),
            ("carol".to_string(), Ok(true)),
            ("bob".to_string(), Ok(false)),
            ("bob".to_string(), Ok(false)),
        ]
    );
    // A plain send after the batch comes after it: per-sender order.
    alice
        .request(json!({"type":"send","to":"bob","envelope":envelope(5)}))
        .await
        .unwrap();
    let got = deliveries(&mut bob, 4).await;
    assert_eq!(got, [1, 3, 4, 5].map(|n| ("alice".to_string(), n)).to_vec());
    let mut carol = user(&srv, "carol", &bob_key()).await;
    assert_eq!(deliveries(&mut carol, 1).await, [("alice".to_string(), 2)]);
}

#[tokio::test]
async fn items_fail_alone() {
    let srv = server(&["--mailbox-limit", "2"]);
    let mut bob = user(&srv, "bob", &bob_key()).await;
    let mut carol = user(&srv, "carol", &bob_key()).await;
    let mut alice = user(&srv, "alice", &alice_key()).await;
    // bob has one message waiting (unacked), room for one more.
    alice
        .request(json!({"type":"send","to":"bob","envelope":envelope(1)}))
        .await
        .unwrap();
    let r = alice
        .request(multi(&[
            ("carol", envelope(10)),
            ("nobody", envelope(11)),
            ("bad name!", envelope(12)),
            ("carol", json!("not an object")),
            ("carol", json!([1, 2])),
            ("bob", envelope(2)),
            // bob's third: his mailbox holds two now.
            ("bob", envelope(3)),
            ("carol", envelope(13)),
        ]))
        .await
        .unwrap();
    assert_eq!(
        results(&r),
        [
            ("carol".to_string(), Ok(false)),
            ("nobody".to_string(), Err(ErrorCode::NoSuchUser)),
            ("bad name!".to_string(), Err(ErrorCode::NoSuchUser)),
            ("carol".to_string(), Err(ErrorCode::BadRequest)),
            ("carol".to_string(), Err(ErrorCode::BadRequest)),
            ("bob".to_string(), Ok(false)),
            ("bob".to_string(), Err(ErrorCode::MailboxFull)),
            ("carol".to_string(), Ok(false)),
        ]
    );
    let ServerMessage::SentMulti { results: raw, .. } = &r else {
        unreachable!()
    };
    let MultiOutcome::Failed { error } = &raw[6].outcome else {
        unreachable!()
    };
    assert!(error.message.contains("try again"), "{}", error.message);
    assert_eq!(
        deliveries(&mut carol, 2).await,
        [10, 13].map(|n| ("alice".to_string(), n)).to_vec()
    );
    assert_eq!(
        deliveries(&mut bob, 2).await,
        [1, 2].map(|n| ("alice".to_string(), n)).to_vec()
    );
}

#[tokio::test]
async fn whole_request_errors_store_nothing() {
    let srv = server(&[]);
    let mut bob = user(&srv, "bob", &bob_key()).await;
    let mut alice = user(&srv, "alice", &alice_key()).await;
    let too_many: Vec<(&str, Value)> = (0..257).map(|n| ("bob", envelope(n))).collect();
    let r = alice.request(multi(&too_many)).await.unwrap();
    assert_eq!(code(&r), ErrorCode::BadRequest, "{r:?}");
    let ServerMessage::Error { message, .. } = &r else {
        unreachable!()
    };
    assert!(
        message.contains("256") && message.contains("257"),
        "{message}"
    );
    let r = alice.request(multi(&[])).await.unwrap();
    assert_eq!(code(&r), ErrorCode::BadRequest, "{r:?}");
    for bad in [
        json!({"type":"send_multi"}),
        json!({"type":"send_multi","messages":"bob"}),
        json!({"type":"send_multi","messages":[{"to":"bob","envelope":{}}, 5]}),
        json!({"type":"send_multi","messages":[{"to":"bob","envelope":{}}, {"envelope":{}}]}),
        json!({"type":"send_multi","messages":[{"to":"bob","envelope":{}}],"ephemeral":"no"}),
    ] {
        let r = alice.request(bad.clone()).await.unwrap();
        assert_eq!(code(&r), ErrorCode::BadRequest, "{bad}: {r:?}");
    }
    // Exactly 256 is fine.
    let most: Vec<(&str, Value)> = (0..256).map(|n| ("bob", envelope(n))).collect();
    let r = alice.request(multi(&most)).await.unwrap();
    assert_eq!(results(&r).len(), 256);
    let got = deliveries(&mut bob, 256).await;
    assert_eq!(
        got.iter().map(|d| d.1).collect::<Vec<_>>(),
        (0..256).collect::<Vec<u64>>(),
        "nothing of the refused requests was stored"
    );
    // Not logged in: refused before anything else.
    let mut anon = WireClient::connect(srv.addr).await.unwrap();
    let r = anon.request(multi(&[("bob", envelope(1))])).await.unwrap();
    assert_eq!(code(&r), ErrorCode::NotAuthenticated);
    next_delivery_is_the_marker(&mut alice, &mut bob, "bob").await;
}

#[tokio::test]
async fn what_sent_multi_answered_survives_kill_9() {
    let mut srv = server(&[]);
    offline(srv.addr, "bob").await;
    offline(srv.addr, "carol").await;
    let mut alice = user(&srv, "alice", &alice_key()).await;
    let mut items: Vec<(&str, Value)> = Vec::new();
    for n in 0..128 {
        items.push(("bob", envelope(n)));
        items.push(("carol", envelope(n)));
    }
    let r = alice.request(multi(&items)).await.unwrap();
    assert!(results(&r).iter().all(|(_, o)| *o == Ok(true)), "{r:?}");
    // No chance to flush: the answer means it is on disk.
    srv.kill9_and_restart().unwrap();
    for name in ["bob", "carol"] {
        let (mut c, _) = WireClient::logged_in(srv.addr, name, &bob_key())
            .await
            .unwrap();
        let got = deliveries(&mut c, 128).await;
        assert_eq!(
            got.iter().map(|d| d.1).collect::<Vec<_>>(),
            (0..128).collect::<Vec<u64>>(),
            "{name}"
        );
    }
}
