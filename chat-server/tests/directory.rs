//! Directory and presence: list_users, get_key, watch/unwatch, and that
//! presence and key changes reach watchers and nobody else.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
use common::*;

use chat_proto::wire::UserPresence;

fn user(name: &str, online: bool) -> UserPresence {
    UserPresence {
        username: name.into(),
        online,
    }
}

#[tokio::test]
async fn list_users_sorts_filters_and_pages() {
    let srv = server(&[]);
    let (mut c, _) = WireClient::logged_in(srv.addr, "carol", &alice_key())
        .await
        .unwrap();
    let mut anon = WireClient::connect(srv.addr).await.unwrap();
    for name in ["bob", "alice", "al", "alfred", "Albert"] {
        anon.signup(name, PASSWORD, &bob_key()).await.unwrap();
    }
    let r = c.request(json!({"type":"list_users"})).await.unwrap();
    let names = ["Albert", "al", "alfred", "alice", "bob", "carol"];
    let want: Vec<UserPresence> = names.iter().map(|n| user(n, *n == "carol")).collect();
    assert_eq!(
        r,
        ServerMessage::Users {
            users: want,
            more: false
        }
    );
    let r = c
        .request(json!({"type":"list_users","prefix":"al","limit":2}))
        .await
        .unwrap();
    assert_eq!(
        r,
        ServerMessage::Users {
            users: vec![user("al", false), user("alfred", false)],
            more: true
        }
    );
    let r = c
        .request(json!({"type":"list_users","prefix":"al","limit":2,"after":"alfred"}))
        .await
        .unwrap();
    assert_eq!(
        r,
        ServerMessage::Users {
            users: vec![user("alice", false)],
            more: false
        }
    );
    let r = c
        .request(json!({"type":"list_users","online_only":true}))
        .await
        .unwrap();
    assert_eq!(
        r,
        ServerMessage::Users {
            users: vec![user("carol", true)],
            more: false
        }
    );
    // Limits are clamped to 1..=500 rather than refused.
    let r = c
        .request(json!({"type":"list_users","limit":100000}))
        .await
        .unwrap();
    assert!(matches!(r, ServerMessage::Users { ref users, .. } if users.len() == 6));
    let r = c
        .request(json!({"type":"list_users","limit":0}))
        .await
        .unwrap();
    assert!(matches!(r, ServerMessage::Users { ref users, more: true } if users.len() == 1));
    let r = c
        .request(json!({"type":"list_users","limit":-1}))
        .await
        .unwrap();
    assert_eq!(code(&r), ErrorCode::BadRequest);
}

#[tokio::test]
async fn get_key_returns_the_key_and_its_fingerprint() {
    let srv = server(&[]);
    let (mut c, _) = WireClient::logged_in(srv.addr, "alice", &alice_key())
        .await
        .unwrap();
    let v = test_support::fixtures::vectors();
    match c
        .request(json!({"type":"get_key","username":"alice"}))
        .await
        .unwrap()
    {
        ServerMessage::Key {
            username,
            public_key,
            fingerprint,
        } => {
            assert_eq!(username, "alice");
            assert_eq!(
                fingerprint,
                v["keys"]["alice"]["fingerprint"].as_str().unwrap()
            );
            let key = chat_proto::crypto::public_key_from_pem(&public_key).unwrap();
            assert_eq!(chat_proto::crypto::fingerprint(&key), fingerprint);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        code(
            &c.request(json!({"type":"get_key","username":"zed"}))
                .await
                .unwrap()
        ),
        ErrorCode::NoSuchUser
    );
    assert_eq!(
        code(
            &c.request(json!({"type":"get_key","username":"../x"}))
                .await
                .unwrap()
        ),
        ErrorCode::NoSuchUser
    );
}

#[tokio::test]
async fn presence_and_key_changes_reach_watchers_only() {
    let srv = server(&[]);
    let (mut watcher, _) = WireClient::logged_in(srv.addr, "alice", &alice_key())
        .await
        .unwrap();
    let (mut bystander, _) = WireClient::logged_in(srv.addr, "carol", &alice_key())
        .await
        .unwrap();
    let mut anon = WireClient::connect(srv.addr).await.unwrap();
    anon.signup("bob", PASSWORD, &bob_key()).await.unwrap();
    let r = watcher
        .request(json!({"type":"watch","users":["bob","carol"]}))
        .await
        .unwrap();
    assert_eq!(
        r,
        ServerMessage::WatchOk {
            users: vec![user("bob", false), user("carol", true)]
        }
    );
    assert_eq!(
        code(
            &watcher
                .request(json!({"type":"watch","users":["bob","ghost"]}))
                .await
                .unwrap()
        ),
        ErrorCode::NoSuchUser
    );

    // bob comes online: the watcher hears, the bystander does not.
    let (mut bob, _) = WireClient::logged_in(srv.addr, "bob", &bob_key())
        .await
        .unwrap();
    assert!(
        matches!(watcher.next_push().await.unwrap(), ServerMessage::Presence { ref username, online: true, .. } if username == "bob")
    );
    // A second session of bob is not a transition.
    let (bob2, _) = WireClient::logged_in(srv.addr, "bob", &bob_key())
        .await
        .unwrap();
    // bob logs in with a new identity key: watchers get key_changed.
    let mut bob3 = WireClient::connect(srv.addr).await.unwrap();
    bob3.login("bob", PASSWORD, &alice_key()).await.unwrap();
    let fpr = test_support::fixtures::vectors()["keys"]["alice"]["fingerprint"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        watcher.next_push().await.unwrap(),
        ServerMessage::KeyChanged {
            username: "bob".into(),
            fingerprint: fpr
        }
    );
    // Last session down: offline.
    drop(bob2);
    drop(bob3);
    bob.request(json!({"type":"logout"})).await.unwrap();
    assert!(
        matches!(watcher.next_push().await.unwrap(), ServerMessage::Presence { ref username, online: false, .. } if username == "bob")
    );
    // Unwatch stops it.
    let r = watcher
        .request(json!({"type":"unwatch","users":["bob"]}))
        .await
        .unwrap();
    assert_eq!(
        r,
        ServerMessage::UnwatchOk {
            users: vec!["bob".into()]
        }
    );
    let (_bob, _) = WireClient::logged_in(srv.addr, "bob", &bob_key())
        .await
        .unwrap();
    // The bystander saw none of it; the watcher sees nothing more about bob.
    assert_eq!(
        bystander.request(json!({"type":"ping"})).await.unwrap(),
        ServerMessage::Pong {}
    );
    assert!(bystander.backlog.is_empty(), "{:?}", bystander.backlog);
    assert_eq!(
        watcher.request(json!({"type":"ping"})).await.unwrap(),
        ServerMessage::Pong {}
    );
    assert!(watcher.backlog.is_empty(), "{:?}", watcher.backlog);
}
