//! chat-server on PostgreSQL (`--store postgres://...`) as a real process
//! with real wire clients: the same relay on the shared store, a `sent`
//! that survives kill -9 of the node, and a second node on the same
//! database delivering what the first one stored.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
use common::*;
use test_support::Postgres;

async fn database() -> String {
    tokio::task::spawn_blocking(|| Postgres::shared()?.database())
        .await
        .unwrap()
        .unwrap()
}

#[tokio::test]
async fn two_clients_chat_and_sent_survives_kill9() {
    let url = database().await;
    let mut srv = server(&["--store", &url]);
    let mut bob = user(&srv, "bob", &bob_key()).await;
    let mut alice = user(&srv, "alice", &alice_key()).await;
    send_text(&mut alice, "bob", "hello bob").await;
    assert_eq!(
        next_text(&mut bob).await,
        ("alice".into(), "hello bob".into())
    );
    send_text(&mut bob, "alice", "hi alice").await;
    assert_eq!(
        next_text(&mut alice).await,
        ("bob".into(), "hi alice".into())
    );

    // Bob goes away; what alice is told is `sent` is in PostgreSQL.
    bob.request(json!({"type":"logout"})).await.unwrap();
    drop(bob);
    send_text(&mut alice, "bob", "while you were away").await;
    drop(alice);
    srv.kill9_and_restart().unwrap();
    let mut bob = user(&srv, "bob", &bob_key()).await;
    assert_eq!(
        next_text(&mut bob).await,
        ("alice".into(), "while you were away".into()),
        "acked messages are gone, the unacked one survived the kill"
    );
}

#[tokio::test]
async fn a_second_node_on_the_same_database_delivers_what_the_first_stored() {
    let url = database().await;
    let node1 = server(&["--store", &url]);
    let node2 = server(&["--store", &url]);
    // Accounts made on node 1 log in on node 2.
    let mut bob = user(&node1, "bob", &bob_key()).await;
    bob.request(json!({"type":"logout"})).await.unwrap();
    drop(bob);
    let mut alice = user(&node1, "alice", &alice_key()).await;
    for n in 0..5 {
        send_text(&mut alice, "bob", &format!("m{n}")).await;
    }
    let mut bob = user(&node2, "bob", &bob_key()).await;
    for n in 0..5 {
        assert_eq!(next_text(&mut bob).await, ("alice".into(), format!("m{n}")));
    }
}
