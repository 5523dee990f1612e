//! Store-and-forward over the real server: durability across kill -9,
//! per-sender order, acks, redelivery, mailbox limits.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
use common::*;

fn envelope(n: usize) -> serde_json::Value {
    json!({"kind":"msg","key_id":"k","seq":n,"nonce":"AAAA","ct":format!("payload-{n}")})
}

async fn send(c: &mut WireClient, to: &str, n: usize) -> ServerMessage {
    c.request(json!({"type":"send","to":to,"envelope":envelope(n)}))
        .await
        .unwrap()
}

/// Reads `count` deliveries, returning (msg_id, from, seq) in arrival order.
async fn deliveries(c: &mut WireClient, count: usize) -> Vec<(String, String, u64)> {
    let mut out = Vec::new();
    while out.len() < count {
        match c.next_push().await.unwrap() {
            ServerMessage::Deliver {
                msg_id,
                from,
                envelope,
                ..
            } => {
                out.push((msg_id, from, envelope["seq"].as_u64().unwrap()));
            }
            ServerMessage::Presence { .. } | ServerMessage::KeyChanged { .. } => {}
            other => panic!("unexpected push {other:?}"),
        }
    }
    out
}

#[tokio::test]
async fn queued_messages_arrive_in_order_and_acked_ones_do_not_return() {
    let srv = server(&[]);
    let mut bob = user(&srv, "bob", &bob_key()).await;
    bob.request(json!({"type":"logout"})).await.unwrap();
    drop(bob);
    let mut alice = user(&srv, "alice", &alice_key()).await;
    for n in 1..=20 {
        match send(&mut alice, "bob", n).await {
            ServerMessage::Sent { queued, msg_id, .. } => {
                assert!(queued, "bob is offline");
                assert_eq!(msg_id.len(), 36);
            }
            other => panic!("{other:?}"),
        }
    }
    let mut bob = user(&srv, "bob", &bob_key()).await;
    let got = deliveries(&mut bob, 20).await;
    assert_eq!(
        got.iter().map(|d| d.2).collect::<Vec<_>>(),
        (1..=20).collect::<Vec<u64>>()
    );
    assert!(got.iter().all(|d| d.1 == "alice"));
    // Ack the first ten only; the rest come again on the next login.
    let ids: Vec<&str> = got[..10].iter().map(|d| d.0.as_str()).collect();
    bob.send_value(&json!({"type":"ack","msg_ids":ids}))
        .await
        .unwrap();
    assert_eq!(
        bob.request(json!({"type":"ping"})).await.unwrap(),
        ServerMessage::Pong {}
    );
    drop(bob);
    let mut bob = user(&srv, "bob", &bob_key()).await;
    let again = deliveries(&mut bob, 10).await;
    assert_eq!(
        again.iter().map(|d| d.2).collect::<Vec<_>>(),
        (11..=20).collect::<Vec<u64>>()
    );
    let ids: Vec<&str> = again.iter().map(|d| d.0.as_str()).collect();
    bob.send_value(&json!({"type":"ack","msg_ids":ids}))
        .await
        .unwrap();
    // Acking unknown or foreign ids is harmless.
    bob.send_value(&json!({"type":"ack","msg_ids":["nope"]}))
        .await
        .unwrap();
    assert_eq!(
        bob.request(json!({"type":"ping"})).await.unwrap(),
        ServerMessage::Pong {}
    );
    drop(bob);
    let mut bob = user(&srv, "bob", &bob_key()).await;
    // Nothing left: the next push is the live message sent now.
    assert!(matches!(
        send(&mut alice, "bob", 99).await,
        ServerMessage::Sent { queued: false, .. }
    ));
    assert_eq!(deliveries(&mut bob, 1).await[0].2, 99);
}

#[tokio::test]
async fn live_delivery_reaches_every_session_of_the_recipient() {
    let srv = server(&[]);
    let mut b1 = user(&srv, "bob", &bob_key()).await;
    let mut b2 = user(&srv, "bob", &bob_key()).await;
    let mut alice = user(&srv, "alice", &alice_key()).await;
    let mut carol = user(&srv, "carol", &alice_key()).await;
    for n in 1..=5 {
        send(&mut alice, "bob", n).await;
        send(&mut carol, "bob", 100 + n).await;
    }
    for b in [&mut b1, &mut b2] {
        let got = deliveries(b, 10).await;
        let from_alice: Vec<u64> = got.iter().filter(|d| d.1 == "alice").map(|d| d.2).collect();
        let from_carol: Vec<u64> = got.iter().filter(|d| d.1 == "carol").map(|d| d.2).collect();
        assert_eq!(from_alice, vec![1, 2, 3, 4, 5], "per-sender order");
        assert_eq!(from_carol, vec![101, 102, 103, 104, 105]);
    }
}

/// Three senders pipeline hundreds of sends each at a recipient who is
/// online but not reading: the server hands committed messages straight to
/// his delivery loop until his socket is full, then falls back to reading
/// his mailbox. He gets every message once, each sender's in order.
#[tokio::test]
async fn a_burst_to_a_recipient_who_is_not_reading_arrives_whole_and_in_order() {
    const EACH: usize = 300;
    let srv = server(&[]);
    let mut bob = user(&srv, "bob", &bob_key()).await;
    let mut senders = Vec::new();
    for name in ["alice", "carol", "dave"] {
        senders.push((name, user(&srv, name, &alice_key()).await));
    }
    // 30 MB in all: more than the sockets between the server and bob hold.
    let padding = "x".repeat(32_000);
    let bursts = senders.iter_mut().enumerate().map(|(i, (_, c))| {
        let frames = (0..EACH)
            .map(|n| {
                let mut env = envelope(i * 10_000 + n);
                env["pad"] = json!(padding);
                json!({"type":"send","to":"bob","envelope":env})
            })
            .collect();
        pipeline(c, frames)
    });
    for answers in futures_util::future::join_all(bursts).await {
        assert!(
            answers
                .iter()
                .all(|a| matches!(a, ServerMessage::Sent { queued: false, .. })),
            "every send is committed for an online bob"
        );
    }
    let got = deliveries(&mut bob, 3 * EACH).await;
    for (i, (name, _)) in senders.iter().enumerate() {
        let from: Vec<u64> = got.iter().filter(|d| d.1 == *name).map(|d| d.2).collect();
        let want: Vec<u64> = (0..EACH).map(|n| (i * 10_000 + n) as u64).collect();
        assert_eq!(from, want, "{name}'s messages, once each, in order");
    }
    let ids: Vec<&str> = got.iter().map(|d| d.0.as_str()).collect();
    for chunk in ids.chunks(500) {
        bob.send_value(&json!({"type":"ack","msg_ids":chunk}))
            .await
            .unwrap();
    }
    assert_eq!(
        bob.request(json!({"type":"ping"})).await.unwrap(),
        ServerMessage::Pong {}
    );
    let (_, alice) = &mut senders[0];
    send(alice, "bob", 99).await;
    assert_eq!(
        deliveries(&mut bob, 1).await[0].2,
        99,
        "nothing delivered twice"
    );
}

#[tokio::test]
async fn sent_messages_survive_kill_9_of_the_server() {
    let mut srv = server(&[]);
    let (mut bob, token) = WireClient::logged_in(srv.addr, "bob", &bob_key())
        .await
        .unwrap();
    bob.request(json!({"type":"logout"})).await.unwrap();
    let _ = token;
    let mut alice = user(&srv, "alice", &alice_key()).await;
    for n in 1..=50 {
        assert!(matches!(
            send(&mut alice, "bob", n).await,
            ServerMessage::Sent { .. }
        ));
    }
    // No chance to flush: every `sent` must already be on disk.
    srv.kill9_and_restart().unwrap();
    let mut bob = user(&srv, "bob", &bob_key()).await;
    let got = deliveries(&mut bob, 50).await;
    assert_eq!(
        got.iter().map(|d| d.2).collect::<Vec<_>>(),
        (1..=50).collect::<Vec<u64>>()
    );
    // Accounts and tokens survived too: alice logs in again.
    let mut a = WireClient::connect(srv.addr).await.unwrap();
    assert!(matches!(
        a.login("alice", PASSWORD, &alice_key()).await.unwrap(),
        ServerMessage::LoginOk { .. }
    ));
}

#[tokio::test]
async fn send_refusals() {
    let srv = server(&["--mailbox-limit", "3"]);
    let mut alice = user(&srv, "alice", &alice_key()).await;
    let (_bob, _) = WireClient::logged_in(srv.addr, "bob", &bob_key())
        .await
        .unwrap();
    assert_eq!(
        code(&send(&mut alice, "nobody", 1).await),
        ErrorCode::NoSuchUser
    );
    assert_eq!(
        code(&send(&mut alice, "bad name!", 1).await),
        ErrorCode::NoSuchUser
    );
    let r = alice
        .request(json!({"type":"send","to":"bob","envelope":"text"}))
        .await
        .unwrap();
    assert_eq!(code(&r), ErrorCode::BadRequest);
    let r = alice
        .request(json!({"type":"send","to":"bob"}))
        .await
        .unwrap();
    assert_eq!(code(&r), ErrorCode::BadRequest);
    for n in 1..=3 {
        assert!(matches!(
            send(&mut alice, "bob", n).await,
            ServerMessage::Sent { .. }
        ));
    }
    assert_eq!(
        code(&send(&mut alice, "bob", 4).await),
        ErrorCode::MailboxFull
    );
    let many: Vec<String> = (0..1001).map(|i| i.to_string()).collect();
    let r = alice
        .request(json!({"type":"ack","msg_ids":many}))
        .await
        .unwrap();
    assert_eq!(code(&r), ErrorCode::BadRequest);
}
