//! Ephemeral sends over the real server (PROTOCOL.md §4.5): passed to live
//! sessions and never stored, `delivered` says whether anyone took it, the
//! `deliver` is marked, acks of it are ignored, mailbox limits do not
//! apply, and each connection may make at most 10 a second.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
use chat_proto::wire::MultiOutcome;
use common::*;
use serde_json::Value;

fn envelope(n: usize) -> Value {
    json!({"kind":"msg","key_id":"k","seq":n,"nonce":"AAAA","ct":format!("payload-{n}")})
}

fn ephemeral(to: &str, n: usize) -> Value {
    json!({"type":"send","to":to,"envelope":envelope(n),"ephemeral":true})
}

/// The next push that is a delivery: (ephemeral, msg_id, from, seq).
async fn next_delivery(c: &mut WireClient) -> (bool, String, String, u64) {
    loop {
        match c.next_push().await.unwrap() {
            ServerMessage::Deliver {
                msg_id,
                from,
                envelope,
                ..
            } => return (false, msg_id, from, envelope["seq"].as_u64().unwrap()),
            ServerMessage::DeliverEphemeral {
                msg_id,
                from,
                envelope,
                ..
            } => return (true, msg_id, from, envelope["seq"].as_u64().unwrap()),
            ServerMessage::Presence { .. } => {}
            other => panic!("unexpected push {other:?}"),
        }
    }
}

/// A stored marker is the next thing `to` receives: nothing ephemeral was
/// kept for it.
async fn next_delivery_is_the_marker(sender: &mut WireClient, to: &mut WireClient, to_name: &str) {
    let r = sender
        .request(json!({"type":"send","to":to_name,"envelope":envelope(9999)}))
        .await
        .unwrap();
    assert!(matches!(r, ServerMessage::Sent { .. }), "{r:?}");
    let (eph, _, _, seq) = next_delivery(to).await;
    assert_eq!((eph, seq), (false, 9999));
}

#[tokio::test]
async fn an_ephemeral_send_reaches_live_sessions_only_and_is_never_stored() {
    let srv = server(&[]);
    let mut b1 = user(&srv, "bob", &bob_key()).await;
    let mut b2 = user(&srv, "bob", &bob_key()).await;
    let mut alice = user(&srv, "alice", &alice_key()).await;
    let r = alice.request(ephemeral("bob", 1)).await.unwrap();
    let ServerMessage::SentEphemeral {
        msg_id, delivered, ..
    } = &r
    else {
        panic!("expected an ephemeral sent, got {r:?}")
    };
    assert!(*delivered);
    for b in [&mut b1, &mut b2] {
        let (eph, id, from, seq) = next_delivery(b).await;
        assert_eq!(
            (eph, id.as_str(), from.as_str(), seq),
            (true, msg_id.as_str(), "alice", 1)
        );
    }
    // Its ack is ignored (no answer, no error, the connection stays).
    b1.send_value(&json!({"type":"ack","msg_ids":[msg_id]}))
        .await
        .unwrap();
    assert_eq!(
        b1.request(json!({"type":"ping"})).await.unwrap(),
        ServerMessage::Pong {}
    );
    // A new session of bob gets nothing again: it was never stored.
    drop((b1, b2));
    let mut bob = user(&srv, "bob", &bob_key()).await;
    next_delivery_is_the_marker(&mut alice, &mut bob, "bob").await;
}

#[tokio::test]
async fn an_ephemeral_send_to_an_offline_user_is_dropped_and_never_delivered_later() {
    let srv = server(&[]);
    let mut bob = user(&srv, "bob", &bob_key()).await;
    bob.request(json!({"type":"logout"})).await.unwrap();
    drop(bob);
    let mut alice = user(&srv, "alice", &alice_key()).await;
    let r = alice.request(ephemeral("bob", 1)).await.unwrap();
    assert!(
        matches!(
            r,
            ServerMessage::SentEphemeral {
                delivered: false,
                ..
            }
        ),
        "{r:?}"
    );
    let mut bob = user(&srv, "bob", &bob_key()).await;
    next_delivery_is_the_marker(&mut alice, &mut bob, "bob").await;
    // Refusals as for a stored send.
    for to in ["nobody", "bad name!"] {
        let r = alice.request(ephemeral(to, 3)).await.unwrap();
        assert_eq!(code(&r), ErrorCode::NoSuchUser, "{to}: {r:?}");
    }
    let r = alice
        .request(json!({"type":"send","to":"bob","envelope":"text","ephemeral":true}))
        .await
        .unwrap();
    assert_eq!(code(&r), ErrorCode::BadRequest);
}

#[tokio::test]
async fn ephemeral_sends_do_not_count_towards_the_mailbox() {
    let srv = server(&["--mailbox-limit", "1"]);
    let mut bob = user(&srv, "bob", &bob_key()).await;
    let mut alice = user(&srv, "alice", &alice_key()).await;
    let r = alice
        .request(json!({"type":"send","to":"bob","envelope":envelope(1)}))
        .await
        .unwrap();
    assert!(matches!(r, ServerMessage::Sent { .. }), "{r:?}");
    let r = alice
        .request(json!({"type":"send","to":"bob","envelope":envelope(2)}))
        .await
        .unwrap();
    assert_eq!(code(&r), ErrorCode::MailboxFull);
    // The mailbox is full, yet ephemeral envelopes still pass, alone and
    // in a batch.
    let r = alice.request(ephemeral("bob", 3)).await.unwrap();
    assert!(
        matches!(
            r,
            ServerMessage::SentEphemeral {
                delivered: true,
                ..
            }
        ),
        "{r:?}"
    );
    let r = alice
        .request(json!({"type":"send_multi","ephemeral":true,"messages":[
            {"to":"bob","envelope":envelope(4)}]}))
        .await
        .unwrap();
    let ServerMessage::SentMulti { results, .. } = &r else {
        panic!("{r:?}")
    };
    assert!(matches!(
        results[0].outcome,
        MultiOutcome::Sent {
            queued: false,
            delivered: Some(true),
            ..
        }
    ));
    let seqs = [
        next_delivery(&mut bob).await,
        next_delivery(&mut bob).await,
        next_delivery(&mut bob).await,
    ];
    let mut seen: Vec<(bool, u64)> = seqs.iter().map(|d| (d.0, d.3)).collect();
    seen.sort();
    assert_eq!(seen, [(false, 1), (true, 3), (true, 4)]);
}

#[tokio::test]
async fn an_ephemeral_batch_answers_per_item() {
    let srv = server(&[]);
    let mut bob = user(&srv, "bob", &bob_key()).await;
    let mut carol = user(&srv, "carol", &bob_key()).await;
    carol.request(json!({"type":"logout"})).await.unwrap();
    let mut alice = user(&srv, "alice", &alice_key()).await;
    let r = alice
        .request(json!({"type":"send_multi","ephemeral":true,"messages":[
            {"to":"bob","envelope":envelope(1)},
            {"to":"carol","envelope":envelope(2)},
            {"to":"nobody","envelope":envelope(3)},
            {"to":"bob","envelope":7},
            {"to":"nobody","envelope":envelope(5)},
            {"to":"bob","envelope":envelope(6)}]}))
        .await
        .unwrap();
    let ServerMessage::SentMulti { results, .. } = &r else {
        panic!("{r:?}")
    };
    let shape: Vec<(&str, Result<Option<bool>, ErrorCode>)> = results
        .iter()
        .map(|r| {
            (
                r.to.as_str(),
                match &r.outcome {
                    MultiOutcome::Sent {
                        queued, delivered, ..
                    } => {
                        assert!(!queued);
                        Ok(*delivered)
                    }
                    MultiOutcome::Failed { error } => Err(error.code),
                },
            )
        })
        .collect();
    assert_eq!(
        shape,
        [
            ("bob", Ok(Some(true))),
            ("carol", Ok(Some(false))),
            ("nobody", Err(ErrorCode::NoSuchUser)),
            ("bob", Err(ErrorCode::BadRequest)),
            ("nobody", Err(ErrorCode::NoSuchUser)),
            ("bob", Ok(Some(true))),
        ]
    );
    for want in [1, 6] {
        let (eph, _, _, seq) = next_delivery(&mut bob).await;
        assert_eq!((eph, seq), (true, want));
    }
    let mut carol = user(&srv, "carol", &bob_key()).await;
    next_delivery_is_the_marker(&mut alice, &mut carol, "carol").await;
}

#[tokio::test]
async fn at_most_ten_ephemeral_sends_a_second_per_connection() {
    let srv = server(&[]);
    let (_bob, _) = WireClient::logged_in(srv.addr, "bob", &bob_key())
        .await
        .unwrap();
    let mut alice = user(&srv, "alice", &alice_key()).await;
    // The window starts empty: the first ten pass whatever the clock does.
    // Of the 190 written right behind them, handled back to back, some
    // must be refused unless the server took over 19 s for them.
    let frames: Vec<Value> = (0..200)
        .map(|n| {
            if n % 2 == 0 {
                ephemeral("bob", n)
            } else {
                json!({"type":"send_multi","ephemeral":true,
                       "messages":[{"to":"bob","envelope":envelope(n)}]})
            }
        })
        .collect();
    let answers = pipeline(&mut alice, frames).await;
    for a in &answers[..10] {
        assert!(
            matches!(
                a,
                ServerMessage::SentEphemeral { .. } | ServerMessage::SentMulti { .. }
            ),
            "{a:?}"
        );
    }
    let limited: Vec<&ServerMessage> = answers
        .iter()
        .filter(|a| matches!(a, ServerMessage::Error { .. }))
        .collect();
    assert!(!limited.is_empty(), "no ephemeral send was refused");
    for a in limited {
        let ServerMessage::Error {
            code,
            retry_after_ms,
            ..
        } = a
        else {
            unreachable!()
        };
        assert_eq!(*code, ErrorCode::RateLimited);
        assert!(
            retry_after_ms.is_some_and(|ms| (1..=1000).contains(&ms)),
            "{a:?}"
        );
    }
    // Stored sends are not limited by it, and another connection has its
    // own allowance.
    let r = alice
        .request(json!({"type":"send","to":"bob","envelope":envelope(1)}))
        .await
        .unwrap();
    assert!(matches!(r, ServerMessage::Sent { .. }), "{r:?}");
    let mut other = user(&srv, "alice", &alice_key()).await;
    let answers = pipeline(&mut other, (0..10).map(|n| ephemeral("bob", n)).collect()).await;
    assert!(
        answers.iter().all(|a| matches!(
            a,
            ServerMessage::SentEphemeral {
                delivered: true,
                ..
            }
        )),
        "{answers:?}"
    );
}

#[tokio::test]
async fn the_ephemeral_rate_is_a_flag() {
    let srv = server(&["--ephemeral-per-second", "3"]);
    let (_bob, _) = WireClient::logged_in(srv.addr, "bob", &bob_key())
        .await
        .unwrap();
    let mut alice = user(&srv, "alice", &alice_key()).await;
    let answers = pipeline(&mut alice, (0..100).map(|n| ephemeral("bob", n)).collect()).await;
    assert!(
        answers[..3]
            .iter()
            .all(|a| matches!(a, ServerMessage::SentEphemeral { .. })),
        "{answers:?}"
    );
    // Of the 97 written right behind them, some are refused unless the
    // server took over 32 s for them.
    assert!(
        answers
            .iter()
            .any(|a| code_of(a) == Some(ErrorCode::RateLimited)),
        "no ephemeral send was refused"
    );
}

fn code_of(m: &ServerMessage) -> Option<ErrorCode> {
    match m {
        ServerMessage::Error { code, .. } => Some(*code),
        _ => None,
    }
}
