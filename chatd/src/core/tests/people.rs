//! Who a name is and whether they are online (docs/PROTOCOL.md D9): a name
//! nobody has is "no user named ..." for every method that names a peer,
//! known peers work offline, and presence after a (re)login is the
//! server's word at once, never what was known before the link dropped.

use serde_json::json;

use super::{Harness, Peer, code_of};

const PEER_METHODS: [(&str, &str); 7] = [
    ("history", r#"{"peer": "ghost"}"#),
    ("mark_read", r#"{"peer": "ghost"}"#),
    ("search", r#"{"query": "boo", "peer": "ghost"}"#),
    ("fingerprint", r#"{"user": "ghost"}"#),
    (
        "verify",
        r#"{"user": "ghost", "fingerprint": "0000000000000000000000000000000000000000000000000000000000000000"}"#,
    ),
    ("trust", r#"{"user": "ghost"}"#),
    ("send", r#"{"to": "ghost", "text": "anyone?"}"#),
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_name_nobody_has_is_no_such_user_everywhere() {
    let h = Harness::alice().await;
    for (method, params) in PEER_METHODS {
        let e = h
            .api(method, serde_json::from_str(params).unwrap())
            .await
            .unwrap_err();
        assert_eq!(code_of(&e), "no_such_user", "{method}: {e:?}");
        assert!(
            e.message.starts_with("no user named ghost"),
            "{method}: {}",
            e.message
        );
    }
    let c = h.ok("conversations", json!({})).await;
    assert!(
        !c.to_string().contains("ghost"),
        "no conversation with nobody: {c}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offline_a_known_peer_works_and_an_unknown_name_cannot_be_checked() {
    let h = Harness::alice().await;
    let bob = Peer::vector("bob", "bob");
    h.relay.set_key("bob", &bob.public_pem());
    h.ok("fingerprint", json!({"user": "bob"})).await;
    h.relay.set_logged_in(None);
    // bob is known (pinned): reads work offline, a message queues.
    h.ok("history", json!({"peer": "bob"})).await;
    h.ok("mark_read", json!({"peer": "bob"})).await;
    let sent = h.ok("send", json!({"to": "bob", "text": "later"})).await;
    assert_eq!(sent["queued"], true);
    // ghost cannot be checked: `send` queues as in v1, the rest say why.
    for (method, params) in PEER_METHODS {
        let result = h.api(method, serde_json::from_str(params).unwrap()).await;
        if method == "send" {
            assert_eq!(result.unwrap()["queued"], true);
            continue;
        }
        let e = result.unwrap_err();
        assert_eq!(code_of(&e), "offline", "{method}: {e:?}");
        assert!(
            e.message.contains("cannot check whether ghost exists"),
            "{method}: {}",
            e.message
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn presence_comes_with_every_login_and_nobody_is_online_while_offline() {
    let mut h = Harness::alice().await;
    let bob = Peer::vector("bob", "bob");
    h.relay.set_key("bob", &bob.public_pem());
    h.ok("fingerprint", json!({"user": "bob"})).await;
    let first = h
        .event_where("bob's presence at first contact", |e| {
            e["type"] == "presence" && e["user"] == "bob"
        })
        .await;
    assert_eq!(first["online"], false);
    let bob_row = |c: &serde_json::Value| {
        c["conversations"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["peer"] == "bob")
            .cloned()
            .unwrap()
    };

    // The link drops while bob comes online; a new login reports him at
    // once from the watch answer, without waiting for a push.
    h.relay.set_logged_in(None);
    let c = h.ok("conversations", json!({})).await;
    assert_eq!(bob_row(&c)["online"], false);
    h.relay.set_online("bob", true);
    h.login().await;
    h.event_where("bob online, from the watch answer of the login", |e| {
        e["type"] == "presence" && e["user"] == "bob" && e["online"] == true
    })
    .await;
    let c = h.ok("conversations", json!({})).await;
    assert_eq!(bob_row(&c)["online"], true);
    // While offline, nobody is shown online.
    h.relay.set_logged_in(None);
    let c = h.ok("conversations", json!({})).await;
    assert_eq!(bob_row(&c)["online"], false);
}
