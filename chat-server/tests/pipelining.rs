//! Sends pipelined on one connection (PROTOCOL.md D1, "Pipelining"): many
//! in flight, answered in request order once durable, delivered once in
//! order; bounded per connection; nothing answered `sent` lost to kill -9.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
use common::*;

use chat_proto::RequestId;
use chat_proto::codec::encode_frame;

fn send_frame(n: usize) -> serde_json::Value {
    json!({"type":"send","id":n,"to":"bob",
           "envelope":{"kind":"msg","key_id":"k","seq":n,"nonce":"AAAA","ct":format!("payload-{n}")}})
}

/// Reads deliveries until one with envelope seq `last` arrives; returns
/// (msg_id, seq) of each in arrival order.
async fn deliveries_until(c: &mut WireClient, last: u64) -> Vec<(String, u64)> {
    let mut out = Vec::new();
    loop {
        if let ServerMessage::Deliver {
            msg_id, envelope, ..
        } = c.next_push().await.unwrap()
        {
            let seq = envelope["seq"].as_u64().unwrap();
            out.push((msg_id, seq));
            if seq == last {
                return out;
            }
        }
    }
}

#[tokio::test]
async fn two_hundred_sends_in_flight_are_answered_in_order_and_delivered_once_in_order() {
    let srv = server(&[]);
    let mut bob = user(&srv, "bob", &bob_key()).await;
    let mut alice = user(&srv, "alice", &alice_key()).await;
    // Every frame is written before any answer is read.
    let burst: Vec<u8> = (0..200)
        .flat_map(|n| encode_frame(&serde_json::to_vec(&send_frame(n)).unwrap()))
        .collect();
    alice.write_raw(&burst).await.unwrap();
    let mut sent_ids = Vec::new();
    while sent_ids.len() < 200 {
        match alice.recv().await.unwrap() {
            Some((Some(id), ServerMessage::Sent { msg_id, .. })) => {
                assert_eq!(id, RequestId::from(sent_ids.len() as u64), "answer order");
                sent_ids.push(msg_id);
            }
            Some((None, _)) => {}
            other => panic!("{other:?}"),
        }
    }
    // A marker sent after them: once bob sees it he has seen all before.
    let marker = alice.request(send_frame(1000)).await.unwrap();
    assert!(matches!(marker, ServerMessage::Sent { .. }), "{marker:?}");
    let got = deliveries_until(&mut bob, 1000).await;
    assert_eq!(got.len(), 201, "each delivered once");
    let seqs: Vec<u64> = got[..200].iter().map(|d| d.1).collect();
    assert_eq!(seqs, (0..200).collect::<Vec<u64>>(), "sender's order");
    let ids: Vec<String> = got[..200].iter().map(|d| d.0.clone()).collect();
    assert_eq!(ids, sent_ids, "delivered what was answered, in order");
}

#[tokio::test]
async fn requests_after_pipelined_sends_are_answered_after_them() {
    let srv = server(&[]);
    let _bob = user(&srv, "bob", &bob_key()).await;
    let mut alice = user(&srv, "alice", &alice_key()).await;
    let mut frames: Vec<serde_json::Value> = (0..20).map(send_frame).collect();
    frames.push(json!({"type":"ping"}));
    frames.push(json!({"type":"send","to":"nobody","envelope":{}}));
    frames.push(json!({"type":"send","to":"bob","envelope":"not an object"}));
    let too_many: Vec<String> = (0..1001).map(|i| i.to_string()).collect();
    frames.push(json!({"type":"ack","msg_ids":too_many}));
    frames.extend((20..40).map(send_frame));
    let count = frames.len();
    for (i, mut f) in frames.into_iter().enumerate() {
        f["id"] = json!(i);
        alice.send_value(&f).await.unwrap();
        // An ack that is fine has no answer; it goes along unnumbered.
        if i == 10 {
            alice
                .send_value(&json!({"type":"ack","msg_ids":["not-a-message"]}))
                .await
                .unwrap();
        }
    }
    let mut seen = Vec::new();
    while seen.len() < count {
        if let Some((Some(id), msg)) = alice.recv().await.unwrap() {
            seen.push((id, msg));
        }
    }
    for (i, (id, msg)) in seen.iter().enumerate() {
        assert_eq!(*id, RequestId::from(i as u64), "answers in request order");
        match i {
            20 => assert_eq!(*msg, ServerMessage::Pong {}),
            21 => assert_eq!(code(msg), ErrorCode::NoSuchUser),
            22 | 23 => assert_eq!(code(msg), ErrorCode::BadRequest),
            _ => assert!(matches!(msg, ServerMessage::Sent { .. }), "{msg:?}"),
        }
    }
}

#[tokio::test]
async fn kill_9_mid_burst_loses_nothing_answered_sent() {
    let mut srv = server(&[]);
    let mut bob = user(&srv, "bob", &bob_key()).await;
    bob.request(json!({"type":"logout"})).await.unwrap();
    drop(bob);
    let mut alice = user(&srv, "alice", &alice_key()).await;
    let burst: Vec<u8> = (0..2000)
        .flat_map(|n| encode_frame(&serde_json::to_vec(&send_frame(n)).unwrap()))
        .collect();
    alice.write_raw(&burst).await.unwrap();
    let mut answered = Vec::new();
    // Kill while most of the burst is still being stored.
    while answered.len() < 50 {
        if let Some((Some(_), ServerMessage::Sent { msg_id, .. })) = alice.recv().await.unwrap() {
            answered.push(msg_id);
        }
    }
    srv.kill9();
    // Answers already on their way still count: each said `sent`.
    while let Ok(Some(frame)) = alice.recv().await {
        if let (Some(_), ServerMessage::Sent { msg_id, .. }) = frame {
            answered.push(msg_id);
        }
    }
    srv.kill9_and_restart().unwrap();
    let mut bob = user(&srv, "bob", &bob_key()).await;
    let mut alice = user(&srv, "alice", &alice_key()).await;
    let marker = alice.request(send_frame(1_000_000)).await.unwrap();
    assert!(matches!(marker, ServerMessage::Sent { .. }), "{marker:?}");
    let got = deliveries_until(&mut bob, 1_000_000).await;
    let stored: Vec<String> = got[..got.len() - 1].iter().map(|d| d.0.clone()).collect();
    // Every answered message is there, in the order answered, once.
    assert!(stored.len() >= answered.len());
    assert_eq!(stored[..answered.len()], answered[..]);
    let seqs: Vec<u64> = got[..got.len() - 1].iter().map(|d| d.1).collect();
    assert_eq!(seqs, (0..seqs.len() as u64).collect::<Vec<_>>());
}
