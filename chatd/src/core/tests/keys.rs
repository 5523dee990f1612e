//! Pins: a peer's key changing (by push or while chatd was away), trust
//! and verify, and our own account's key, which is never the server's word.

use chat_e2e::{Pin, PinStore, PublicIdentity};
use chat_proto::{ServerMessage, now_ms};
use serde_json::json;

use super::{Harness, Peer, code_of, text_of};

/// alice logged in with bob pinned (the vectors' bob key) after one
/// message to him.
async fn alice_knowing_bob() -> (Harness, Peer) {
    let h = Harness::alice().await;
    let mut bob = Peer::vector("bob", "bob");
    bob.learn("alice", &test_support::fixtures::public_pem("alice"));
    h.relay.set_key("bob", &bob.public_pem());
    h.ok("send", json!({"to": "bob", "text": "hello bob"}))
        .await;
    h.relay_until("the first message to bob", |r| {
        r.sent().iter().any(|s| s.to == "bob")
    })
    .await;
    (h, bob)
}

fn fingerprint(pem: &str) -> String {
    PublicIdentity::from_pem(pem)
        .unwrap()
        .fingerprint()
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_changed_key_blocks_sending_and_receiving_until_trusted() {
    let (mut h, mut bob) = alice_knowing_bob().await;
    assert_eq!(
        text_of(&bob.open_all("alice", &h.sent_to("bob"))[0]),
        "hello bob"
    );
    let mut new_bob = Peer::fresh("bob");
    new_bob.learn("alice", &test_support::fixtures::public_pem("alice"));
    let new_fpr = fingerprint(&new_bob.public_pem());
    h.relay.set_key("bob", &new_bob.public_pem());
    h.push(ServerMessage::KeyChanged {
        username: "bob".into(),
        fingerprint: new_fpr.clone(),
    })
    .await;
    let e = h
        .event_where("key_changed", |e| e["type"] == "key_changed")
        .await;
    assert_eq!(
        (&e["user"], &e["fingerprint"]),
        (&json!("bob"), &json!(new_fpr))
    );

    // Sending is refused, and the new key is the one shown for comparing.
    let err = h
        .api("send", json!({"to": "bob", "text": "blocked"}))
        .await
        .unwrap_err();
    assert_eq!(code_of(&err), "key_changed");
    let f = h.ok("fingerprint", json!({"user": "bob"})).await;
    assert_eq!(
        (&f["state"], &f["fingerprint"]),
        (&json!("changed"), &json!(new_fpr))
    );

    // What the new key sends is held, not shown.
    let envs = new_bob.seal("alice", "from my new key");
    let ids = [
        h.deliver("bob", &envs[0]).await,
        h.deliver("bob", &envs[1]).await,
    ];
    h.relay_until("held envelopes acked", |r| {
        ids.iter().all(|id| r.acked().contains(id))
    })
    .await;

    // Trust: the held message is examined again and sending works, to the
    // new key.
    let t = h.ok("trust", json!({"user": "bob"})).await;
    assert_eq!(t, json!({"state": "unverified"}));
    let m = h.next_message().await;
    assert_eq!(
        (&m["from"], &m["text"]),
        (&json!("bob"), &json!("from my new key"))
    );
    let before = h.sent_to("bob").len();
    let sent = h
        .ok("send", json!({"to": "bob", "text": "after trust"}))
        .await;
    let id = sent["id"].clone();
    h.event_where("the message after trust sent", move |e| {
        e["type"] == "receipt" && e["id"] == id && e["status"] == "sent"
    })
    .await;
    let opened = new_bob.open_all("alice", &h.sent_to("bob")[before..]);
    let texts: Vec<String> = opened
        .iter()
        .filter_map(|p| match p {
            chat_e2e::Payload::Text(t) => Some(t.text.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(texts, ["after trust"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_accepts_only_the_right_fingerprint() {
    let (h, bob) = alice_knowing_bob().await;
    let f = h.ok("fingerprint", json!({"user": "bob"})).await;
    assert_eq!(f["state"], "unverified");
    assert_eq!(f["fingerprint"], fingerprint(&bob.public_pem()));
    let wrong = h
        .api(
            "verify",
            json!({"user": "bob", "fingerprint": "0".repeat(64)}),
        )
        .await
        .unwrap_err();
    assert_eq!(code_of(&wrong), "fingerprint_mismatch");
    let garbage = h
        .api("verify", json!({"user": "bob", "fingerprint": "xyz"}))
        .await
        .unwrap_err();
    assert_eq!(code_of(&garbage), "invalid_input");
    let ok = h
        .ok(
            "verify",
            json!({"user": "bob", "fingerprint": f["fingerprint"]}),
        )
        .await;
    assert_eq!(ok, json!({"state": "verified"}));
    let unknown = h
        .api("fingerprint", json!({"user": "nobody"}))
        .await
        .unwrap_err();
    assert_eq!(code_of(&unknown), "no_such_user");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_changed_while_away_is_noticed_at_the_next_login() {
    let (mut h, _bob) = alice_knowing_bob().await;
    let new_bob = Peer::fresh("bob");
    h.relay.set_key("bob", &new_bob.public_pem());
    // No push: chatd was not connected when it happened. It resumes.
    h.login().await;
    let e = h
        .event_where("key_changed", |e| e["type"] == "key_changed")
        .await;
    assert_eq!(e["user"], "bob");
    assert_eq!(e["fingerprint"], fingerprint(&new_bob.public_pem()));
    let err = h
        .api("send", json!({"to": "bob", "text": "blocked"}))
        .await
        .unwrap_err();
    assert_eq!(code_of(&err), "key_changed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_foreign_key_for_our_account_is_reported_and_never_used() {
    let alice_pem = test_support::fixtures::private_pem("alice");
    let mut h = Harness::start("alice", &alice_pem).await;
    let own = fingerprint(&test_support::fixtures::public_pem("alice"));
    // Someone registered another key for alice on the server.
    h.relay
        .set_key("alice", &test_support::fixtures::public_pem("bob"));
    h.login().await;
    let e = h.event_where("security", |e| e["type"] == "security").await;
    assert_eq!(
        (&e["user"], &e["reason"]),
        (&json!("alice"), &json!("own_key_mismatch"))
    );
    let err = h
        .api("send", json!({"to": "alice", "text": "a private note"}))
        .await
        .unwrap_err();
    assert_eq!(code_of(&err), "key_changed");
    let me = h.ok("fingerprint", json!({})).await;
    assert_eq!(
        me,
        json!({"user": "alice", "fingerprint": own, "state": "verified"})
    );
    assert!(h.sent_to("alice").is_empty());
    assert!(
        h.relay.watched().iter().any(|u| u == "alice"),
        "chatd watches its own account to hear of such logins at once"
    );

    // The key is put right (alice logs in with hers again): notes to self
    // work and are encrypted to her own key.
    h.relay
        .set_key("alice", &test_support::fixtures::public_pem("alice"));
    h.login().await;
    let mut own_daemon = Peer::vector("alice", "alice");
    own_daemon.learn("alice", &test_support::fixtures::public_pem("alice"));
    test_support::wait_for("notes to self allowed again", super::EVENT_TIMEOUT, || {
        let core = h.core.clone();
        async move { core.own_key_mismatch().is_none().then_some(()) }
    })
    .await
    .unwrap();
    h.ok("send", json!({"to": "alice", "text": "a private note"}))
        .await;
    h.relay_until("the note to self", |r| {
        r.sent().iter().any(|s| s.to == "alice")
    })
    .await;
    let opened = own_daemon.open_all("alice", &h.sent_to("alice"));
    assert_eq!(text_of(&opened[0]), "a private note");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_changed_push_about_ourselves_is_checked_at_once() {
    let mut h = Harness::alice().await;
    h.relay
        .set_key("alice", &test_support::fixtures::public_pem("bob"));
    h.push(ServerMessage::KeyChanged {
        username: "alice".into(),
        fingerprint: fingerprint(&test_support::fixtures::public_pem("bob")),
    })
    .await;
    let e = h.event_where("security", |e| e["type"] == "security").await;
    assert_eq!(e["reason"], "own_key_mismatch");
    let me = h.ok("fingerprint", json!({"user": "alice"})).await;
    assert_eq!(me["state"], "verified");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_own_pin_taken_from_the_server_is_replaced_by_our_key() {
    let alice_pem = test_support::fixtures::private_pem("alice");
    let h = Harness::start("alice", &alice_pem).await;
    h.relay
        .set_key("alice", &test_support::fixtures::public_pem("alice"));
    // What an older chatd did: pin the server's word for our own account.
    let foreign = PublicIdentity::from_pem(&test_support::fixtures::public_pem("bob")).unwrap();
    h.core
        .db()
        .call(move |tx| {
            tx.put_pin(&Pin::new("alice", &foreign, now_ms()))?;
            Ok(())
        })
        .await
        .unwrap();
    h.login().await;
    h.ok("send", json!({"to": "alice", "text": "note"})).await;
    h.relay_until("the note to self", |r| {
        r.sent().iter().any(|s| s.to == "alice")
    })
    .await;
    let mut own_daemon = Peer::vector("alice", "alice");
    own_daemon.learn("alice", &test_support::fixtures::public_pem("alice"));
    let opened = own_daemon.open_all("alice", &h.sent_to("alice"));
    assert_eq!(text_of(&opened[0]), "note");
    let pin = h
        .core
        .db()
        .call(|tx| Ok(PinStore::pin(tx, "alice")?))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(pin.public_pem, test_support::fixtures::public_pem("alice"));
}
