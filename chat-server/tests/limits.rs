//! Per-connection and per-user limits that must hold across requests
//! (issue 10.7, server parts): the watch cap over repeated `watch`
//! requests, the 2048-bit key minimum counted in bits, and each sender's
//! share of a recipient's mailbox.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
use common::*;

fn short_key(bits: u32) -> String {
    std::fs::read_to_string(
        test_support::fixtures::testdata().join(format!("openssl/short{bits}.pub.pem")),
    )
    .unwrap()
}

#[tokio::test]
async fn repeated_watch_requests_do_not_exceed_the_cap() {
    let srv = server(&["--max-watch", "3"]);
    for name in ["u1", "u2", "u3", "u4"] {
        WireClient::logged_in(srv.addr, name, &bob_key())
            .await
            .unwrap();
    }
    let mut alice = user(&srv, "alice", &alice_key()).await;
    let watch = |users: &[&str]| json!({"type":"watch","users":users});
    let r = alice.request(watch(&["u1", "u2"])).await.unwrap();
    assert!(matches!(r, ServerMessage::WatchOk { .. }), "{r:?}");
    let r = alice.request(watch(&["u3", "u4"])).await.unwrap();
    assert_eq!(code(&r), ErrorCode::BadRequest, "{r:?}");
    // Names already watched do not count twice.
    let r = alice.request(watch(&["u1", "u3"])).await.unwrap();
    assert!(matches!(r, ServerMessage::WatchOk { .. }), "{r:?}");
    let r = alice.request(watch(&["u4"])).await.unwrap();
    assert_eq!(code(&r), ErrorCode::BadRequest, "{r:?}");
    // Unwatching makes room again.
    alice
        .request(json!({"type":"unwatch","users":["u2"]}))
        .await
        .unwrap();
    let r = alice.request(watch(&["u4"])).await.unwrap();
    assert!(matches!(r, ServerMessage::WatchOk { .. }), "{r:?}");
}

#[tokio::test]
async fn keys_a_few_bits_short_of_2048_are_refused() {
    let srv = server(&[]);
    let mut c = WireClient::connect(srv.addr).await.unwrap();
    for bits in [2041, 2047] {
        let r = c.signup("alice", PASSWORD, &short_key(bits)).await.unwrap();
        assert_eq!(
            code(&r),
            ErrorCode::BadKey,
            "{bits}-bit key at signup: {r:?}"
        );
    }
    c.signup("alice", PASSWORD, &alice_key()).await.unwrap();
    let r = c.login("alice", PASSWORD, &short_key(2047)).await.unwrap();
    assert_eq!(code(&r), ErrorCode::BadKey, "2047-bit key at login: {r:?}");
}

#[tokio::test]
async fn one_sender_cannot_fill_a_whole_mailbox() {
    let srv = server(&["--mailbox-limit", "3", "--mailbox-per-sender", "2"]);
    // bob exists but is offline: everything is stored for him.
    let (bob, _) = WireClient::logged_in(srv.addr, "bob", &bob_key())
        .await
        .unwrap();
    drop(bob);
    let mut alice = user(&srv, "alice", &alice_key()).await;
    let mut carol = user(&srv, "carol", &alice_key()).await;
    let send = |n: u32| json!({"type":"send","to":"bob","envelope":{"n":n}});
    for n in 0..2 {
        let r = alice.request(send(n)).await.unwrap();
        assert!(matches!(r, ServerMessage::Sent { .. }), "{r:?}");
    }
    let r = alice.request(send(2)).await.unwrap();
    assert_eq!(
        code(&r),
        ErrorCode::MailboxFull,
        "alice over her share: {r:?}"
    );
    // Others still reach bob, up to the mailbox limit.
    let r = carol.request(send(3)).await.unwrap();
    assert!(matches!(r, ServerMessage::Sent { .. }), "{r:?}");
    let r = carol.request(send(4)).await.unwrap();
    assert_eq!(code(&r), ErrorCode::MailboxFull, "mailbox full: {r:?}");
}
