//! Two chat-server processes on loopback sharing one PostgreSQL database
//! and one nats-server (`--store postgres://... --bus nats://...`), with
//! real wire clients: a message, presence, key_changed, kicks and
//! ephemeral envelopes cross from one node to the other; a node killed
//! with SIGKILL mid-burst loses no `sent` message and its users resume on
//! the survivor; with NATS killed, messages and presence still get through
//! by polling, and the bus-only events come back with NATS.
//!
//! Tests that must prove a wake-up travelled on the bus run with a poll of
//! an hour, so polling cannot be what delivered it. No timed assertions:
//! every wait is for an event, with the wire client's generous timeout.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
use std::collections::BTreeSet;
use std::time::Duration;

use common::*;
use test_support::wait::until_async;
use test_support::{Nats, Postgres};

/// A poll so slow that only the bus can be what delivered something.
const NO_POLL: &str = "3600";

async fn database() -> String {
    tokio::task::spawn_blocking(|| Postgres::shared()?.database())
        .await
        .unwrap()
        .unwrap()
}

/// A node of the cluster on `store` and `nats`, polling every `poll` s.
fn node(store: &str, nats: &Nats, poll: &str) -> ServerProcess {
    server(&[
        "--store",
        store,
        "--bus",
        &nats.url(),
        "--bus-poll-secs",
        poll,
        "--node-timeout-secs",
        "3",
    ])
}

/// A database, a bus and two nodes polling every `poll` seconds.
async fn cluster(poll: &str) -> (Nats, ServerProcess, ServerProcess) {
    let url = database().await;
    let nats = Nats::start().unwrap();
    let n1 = node(&url, &nats, poll);
    let n2 = node(&url, &nats, poll);
    (nats, n1, n2)
}

/// The next presence push about `who`, skipping deliveries.
async fn presence_of(c: &mut WireClient, who: &str) -> bool {
    loop {
        match c.next_push().await.unwrap() {
            ServerMessage::Presence {
                username, online, ..
            } if username == who => return online,
            ServerMessage::Presence { .. }
            | ServerMessage::Deliver { .. }
            | ServerMessage::KeyChanged { .. } => {}
            other => panic!("unexpected push {other:?}"),
        }
    }
}

/// Watches `users`; returns who the answer says is online.
async fn watch(c: &mut WireClient, users: &[&str]) -> BTreeSet<String> {
    match c
        .request(json!({"type":"watch","users":users}))
        .await
        .unwrap()
    {
        ServerMessage::WatchOk { users } => users
            .into_iter()
            .filter(|u| u.online)
            .map(|u| u.username)
            .collect(),
        other => panic!("watch: {other:?}"),
    }
}

fn set(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|n| n.to_string()).collect()
}

#[tokio::test]
async fn alice_on_node1_and_bob_on_node2_chat_by_bus_wake_ups() {
    let (_nats, n1, n2) = cluster(NO_POLL).await;
    let mut bob = user(&n2, "bob", &bob_key()).await;
    let mut alice = user(&n1, "alice", &alice_key()).await;
    for n in 0..3 {
        send_text(&mut alice, "bob", &format!("hello {n}")).await;
    }
    for n in 0..3 {
        assert_eq!(
            next_text(&mut bob).await,
            ("alice".into(), format!("hello {n}"))
        );
    }
    send_text(&mut bob, "alice", "hi alice").await;
    assert_eq!(
        next_text(&mut alice).await,
        ("bob".into(), "hi alice".into())
    );
}

/// Until `c`'s node says `who` is `online` (its view of the other node is
/// refreshed on a poke, so a watch right after a login elsewhere may still
/// miss it).
async fn until_seen(c: &mut WireClient, who: &str, online: bool) {
    let what = format!("{who} to show online={online}");
    until_async(&what, async || {
        watch(c, &[who]).await.contains(who) == online
    })
    .await;
}

async fn until_online(c: &mut WireClient, who: &str) {
    until_seen(c, who, true).await;
}

#[tokio::test]
async fn watchers_on_one_node_see_presence_on_the_other() {
    let (_nats, n1, n2) = cluster(NO_POLL).await;
    let mut bob = user(&n2, "bob", &bob_key()).await;
    bob.request(json!({"type":"logout"})).await.unwrap();
    drop(bob);
    let mut alice = user(&n1, "alice", &alice_key()).await;
    until_seen(&mut alice, "bob", false).await;

    let mut bob = user(&n2, "bob", &bob_key()).await;
    assert!(presence_of(&mut alice, "bob").await, "bob online");
    // Node 2 answers for alice, who is on node 1.
    until_online(&mut bob, "alice").await;
    // A second session of bob, on node 1 this time, is no transition; its
    // end is none either, bob is still on node 2.
    let mut bob2 = user(&n1, "bob", &bob_key()).await;
    bob2.request(json!({"type":"logout"})).await.unwrap();
    drop(bob2);
    bob.request(json!({"type":"logout"})).await.unwrap();
    drop(bob);
    assert!(!presence_of(&mut alice, "bob").await, "bob offline");
    assert_eq!(watch(&mut alice, &["bob"]).await, set(&[]));
}

#[tokio::test]
async fn key_changed_and_ephemeral_envelopes_cross_nodes() {
    let (_nats, n1, n2) = cluster(NO_POLL).await;
    let mut alice = user(&n1, "alice", &alice_key()).await;
    let mut bob = user(&n2, "bob", &bob_key()).await;
    watch(&mut alice, &["bob"]).await;
    until_online(&mut alice, "bob").await;

    let r = alice
        .request(
            json!({"type":"send","to":"bob","envelope":text_envelope("typing"),"ephemeral":true}),
        )
        .await
        .unwrap();
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
    loop {
        match bob.next_push().await.unwrap() {
            ServerMessage::DeliverEphemeral { from, envelope, .. } => {
                assert_eq!(
                    (from.as_str(), envelope["ct"].as_str()),
                    ("alice", Some("typing"))
                );
                break;
            }
            ServerMessage::Presence { .. } => {}
            other => panic!("unexpected push {other:?}"),
        }
    }

    // bob logs in on node 2 with a new identity key: alice hears on node 1.
    let mut bob2 = WireClient::connect(n2.addr).await.unwrap();
    bob2.login("bob", PASSWORD, &alice_key()).await.unwrap();
    let fpr = test_support::fixtures::vectors()["keys"]["alice"]["fingerprint"]
        .as_str()
        .unwrap()
        .to_string();
    loop {
        match alice.next_push().await.unwrap() {
            ServerMessage::KeyChanged {
                username,
                fingerprint,
            } => {
                assert_eq!((username.as_str(), fingerprint), ("bob", fpr));
                break;
            }
            ServerMessage::Presence { .. } => {}
            other => panic!("unexpected push {other:?}"),
        }
    }
}

#[tokio::test]
async fn change_password_on_node1_ends_the_accounts_sessions_on_node2() {
    let (_nats, n1, n2) = cluster(NO_POLL).await;
    let (mut asking, _) = WireClient::logged_in(n1.addr, "alice", &alice_key())
        .await
        .unwrap();
    let (mut same_node, _) = WireClient::logged_in(n1.addr, "alice", &alice_key())
        .await
        .unwrap();
    let (mut other_node, token) = WireClient::logged_in(n2.addr, "alice", &alice_key())
        .await
        .unwrap();
    let new = "an entirely new passphrase";
    let creds = asking
        .seal(&json!({"username":"alice","password":PASSWORD,"new_password":new}))
        .unwrap();
    assert_eq!(
        asking
            .request(json!({"type":"change_password","credentials":creds}))
            .await
            .unwrap(),
        ServerMessage::PasswordChanged {}
    );
    for (which, c) in [("node 1", &mut same_node), ("node 2", &mut other_node)] {
        let last = c.expect_closed().await.unwrap();
        assert!(
            last.iter().any(|m| matches!(
                m,
                ServerMessage::Error {
                    code: ErrorCode::NotAuthenticated,
                    ..
                }
            )),
            "the session on {which} was told why: {last:?}"
        );
    }
    // The session that asked stays; the other node's token is revoked.
    assert_eq!(
        asking.request(json!({"type":"ping"})).await.unwrap(),
        ServerMessage::Pong {}
    );
    let mut c = WireClient::connect(n2.addr).await.unwrap();
    assert_eq!(
        code(&c.resume("alice", &token).await.unwrap()),
        ErrorCode::BadCredentials
    );
}

/// Waits for the presence push saying `who` is `online`, acking and
/// collecting (into `got`) the deliveries that come meanwhile.
async fn until_presence(c: &mut WireClient, who: &str, online: bool, got: &mut BTreeSet<String>) {
    loop {
        match c.next_push().await.unwrap() {
            ServerMessage::Presence {
                username,
                online: o,
                ..
            } if username == who && o == online => return,
            ServerMessage::Deliver {
                msg_id, envelope, ..
            } => {
                c.send_value(&json!({"type":"ack","msg_ids":[msg_id]}))
                    .await
                    .unwrap();
                got.insert(envelope["ct"].as_str().unwrap().to_owned());
            }
            ServerMessage::Presence { .. } | ServerMessage::KeyChanged { .. } => {}
            other => panic!("unexpected push {other:?}"),
        }
    }
}

#[tokio::test]
async fn kill9_of_a_node_mid_burst_loses_no_sent_message_and_its_users_resume_on_the_other() {
    let (_nats, mut n1, n2) = cluster("1").await;
    let (mut alice, token) = WireClient::logged_in(n1.addr, "alice", &alice_key())
        .await
        .unwrap();
    let mut bob = user(&n2, "bob", &bob_key()).await;
    watch(&mut bob, &["alice"]).await;
    until_online(&mut bob, "alice").await;

    // A burst, pipelined; node 1 dies once part of it is answered.
    const BURST: u64 = 200;
    for n in 0..BURST {
        alice
            .send_value(
                &json!({"id":n,"type":"send","to":"bob","envelope":text_envelope(&format!("m{n}"))}),
            )
            .await
            .unwrap();
    }
    let mut sent = BTreeSet::new();
    let mut killed = false;
    loop {
        match alice.recv().await {
            Ok(Some((Some(id), ServerMessage::Sent { .. }))) => {
                let id = serde_json::to_value(&id).unwrap().as_u64().unwrap();
                sent.insert(format!("m{id}"));
            }
            Ok(Some(_)) => {}
            Ok(None) | Err(_) => break,
        }
        if sent.len() == 20 && !killed {
            n1.kill9();
            killed = true;
        }
    }
    assert!(killed && sent.len() >= 20, "{} answered", sent.len());

    // Node 1 stops heartbeating; node 2 reaps it and alice goes offline.
    let mut got = BTreeSet::new();
    until_presence(&mut bob, "alice", false, &mut got).await;
    // alice fails over to node 2 with her token.
    let mut alice = WireClient::connect(n2.addr).await.unwrap();
    let r = alice.resume("alice", &token).await.unwrap();
    assert!(matches!(r, ServerMessage::LoginOk { .. }), "{r:?}");
    until_presence(&mut bob, "alice", true, &mut got).await;
    // Every message answered `sent` reaches bob (some that were committed
    // but never answered may come too).
    while !sent.is_subset(&got) {
        let (from, text) = next_text(&mut bob).await;
        assert_eq!(from, "alice");
        got.insert(text);
    }
}

#[tokio::test]
async fn with_nats_down_messages_and_presence_get_through_by_polling_and_the_bus_comes_back() {
    let (mut nats, n1, n2) = cluster("1").await;
    let mut alice = user(&n1, "alice", &alice_key()).await;
    let mut bob = user(&n2, "bob", &bob_key()).await;
    let mut carol = user(&n1, "carol", &bob_key()).await;
    carol.request(json!({"type":"logout"})).await.unwrap();
    drop(carol);
    watch(&mut bob, &["carol"]).await;
    watch(&mut alice, &["bob"]).await;
    until_online(&mut alice, "bob").await;

    nats.stop();
    send_text(&mut alice, "bob", "through the database").await;
    assert_eq!(
        next_text(&mut bob).await,
        ("alice".into(), "through the database".into())
    );
    // Presence is slower (the sessions table is re-read every poll) but
    // still gets across.
    let mut carol = user(&n1, "carol", &bob_key()).await;
    assert!(presence_of(&mut bob, "carol").await, "carol online");

    // NATS comes back; both nodes reconnect and resubscribe.
    nats.restart().unwrap();
    let back = test_support::wait_for(
        "both nodes back on the bus",
        Duration::from_secs(60),
        || {
            let n = nats.subscribed_clients().unwrap_or(0);
            async move { (n == 2).then_some(()) }
        },
    );
    back.await.unwrap();
    // key_changed travels only on the bus: it works again.
    let mut bob2 = WireClient::connect(n2.addr).await.unwrap();
    bob2.login("bob", PASSWORD, &alice_key()).await.unwrap();
    loop {
        match alice.next_push().await.unwrap() {
            ServerMessage::KeyChanged { username, .. } => {
                assert_eq!(username, "bob");
                break;
            }
            ServerMessage::Presence { .. } | ServerMessage::Deliver { .. } => {}
            other => panic!("unexpected push {other:?}"),
        }
    }
    send_text(&mut carol, "bob", "and through the bus again").await;
    assert_eq!(
        next_text(&mut bob).await,
        ("carol".into(), "and through the bus again".into())
    );
}
