//! The outbound pipeline: retries after a failed send, order per peer,
//! failures that are final, and receipts moving a message's status.

use chat_e2e::{Payload, ReceiptStatus};
use chat_proto::ErrorCode;
use serde_json::{Value, json};

use super::{Harness, Peer, text_of};
use crate::link::LinkError;

async fn alice_and_bob() -> (Harness, Peer) {
    let h = Harness::alice().await;
    let mut bob = Peer::vector("bob", "bob");
    bob.learn("alice", &test_support::fixtures::public_pem("alice"));
    h.relay.set_key("bob", &bob.public_pem());
    (h, bob)
}

fn texts(payloads: &[Payload]) -> Vec<String> {
    payloads
        .iter()
        .filter(|p| matches!(p, Payload::Text(_)))
        .map(text_of)
        .collect()
}

/// Waits for a `receipt` event for `id` and returns its status.
async fn receipt_for(h: &mut Harness, id: &Value) -> Value {
    let id = id.clone();
    h.event_where("a receipt", move |e| {
        e["type"] == "receipt" && e["id"] == id
    })
    .await["status"]
        .clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_send_the_server_refuses_for_now_is_retried_in_order() {
    let (mut h, mut bob) = alice_and_bob().await;
    h.relay.fail_next_sends([LinkError::Server {
        code: ErrorCode::ServerBusy,
        message: "busy".into(),
        retry_after_ms: Some(1000),
    }]);
    let first = h.ok("send", json!({"to": "bob", "text": "first"})).await;
    assert_eq!(first["queued"], false);
    // The second message kicks the outbox: the first goes before it.
    let second = h.ok("send", json!({"to": "bob", "text": "second"})).await;
    assert_eq!(receipt_for(&mut h, &first["id"]).await, "sent");
    assert_eq!(receipt_for(&mut h, &second["id"]).await, "sent");
    let opened = bob.open_all("alice", &h.sent_to("bob"));
    assert_eq!(texts(&opened), ["first", "second"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_was_queued_while_the_link_dropped_leaves_after_login() {
    let (mut h, mut bob) = alice_and_bob().await;
    h.ok("fingerprint", json!({"user": "bob"})).await;
    h.relay.fail_next_sends([LinkError::Offline]);
    let sent = h.ok("send", json!({"to": "bob", "text": "patience"})).await;
    // Nothing moves until the link is back.
    h.relay_until("the failed attempt", |r| r.failures_left() == 0)
        .await;
    h.login().await;
    assert_eq!(receipt_for(&mut h, &sent["id"]).await, "sent");
    assert_eq!(
        texts(&bob.open_all("alice", &h.sent_to("bob"))),
        ["patience"]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_written_offline_are_queued_and_sent_later() {
    let (mut h, mut bob) = alice_and_bob().await;
    h.relay.set_logged_in(None);
    let sent = h
        .ok("send", json!({"to": "bob", "text": "from offline"}))
        .await;
    assert_eq!(sent["queued"], true);
    h.login().await;
    assert_eq!(receipt_for(&mut h, &sent["id"]).await, "sent");
    assert_eq!(
        texts(&bob.open_all("alice", &h.sent_to("bob"))),
        ["from offline"]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recipient_that_does_not_exist_fails_the_message() {
    let (mut h, _bob) = alice_and_bob().await;
    h.ok("fingerprint", json!({"user": "bob"})).await;
    h.relay.fail_next_sends([LinkError::Server {
        code: ErrorCode::NoSuchUser,
        message: "gone".into(),
        retry_after_ms: None,
    }]);
    let sent = h
        .ok("send", json!({"to": "bob", "text": "into the void"}))
        .await;
    assert_eq!(receipt_for(&mut h, &sent["id"]).await, "failed");
    let m = h.ok("message", json!({"id": sent["id"]})).await;
    assert_eq!(m["message"]["status"], "failed");
    let unknown = h
        .api("send", json!({"to": "nobody", "text": "hi"}))
        .await
        .unwrap_err();
    assert_eq!(super::code_of(&unknown), "no_such_user");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn receipts_move_the_status_forward_only_from_the_recipient() {
    let (mut h, mut bob) = alice_and_bob().await;
    let sent = h
        .ok("send", json!({"to": "bob", "text": "did you get it"}))
        .await;
    let id = sent["id"].as_str().unwrap().to_string();
    assert_eq!(receipt_for(&mut h, &sent["id"]).await, "sent");
    bob.open_all("alice", &h.sent_to("bob"));

    for e in bob.receipt("alice", ReceiptStatus::Delivered, &[&id]) {
        h.deliver("bob", &e).await;
    }
    assert_eq!(receipt_for(&mut h, &sent["id"]).await, "delivered");
    for e in bob.receipt("alice", ReceiptStatus::Read, &[&id]) {
        h.deliver("bob", &e).await;
    }
    assert_eq!(receipt_for(&mut h, &sent["id"]).await, "read");

    // A late `delivered` does not move it back; a receipt from someone
    // who is not the recipient moves nothing.
    for e in bob.receipt("alice", ReceiptStatus::Delivered, &[&id]) {
        h.deliver("bob", &e).await;
    }
    let mut mallory = Peer::fresh("mallory");
    mallory.learn("alice", &test_support::fixtures::public_pem("alice"));
    h.relay.set_key("mallory", &mallory.public_pem());
    h.ok("fingerprint", json!({"user": "mallory"})).await;
    for e in mallory.receipt("alice", ReceiptStatus::Delivered, &[&id]) {
        h.deliver("mallory", &e).await;
    }
    for e in bob.seal("alice", "marker") {
        h.deliver("bob", &e).await;
    }
    // The next event after the read receipt is bob's marker message.
    let next = h.next_event().await;
    assert_eq!(
        (&next["type"], &next["message"]["text"]),
        (&json!("message"), &json!("marker")),
        "{next}"
    );
    let m = h.ok("message", json!({"id": id})).await;
    assert_eq!(m["message"]["status"], "read");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mark_read_sends_a_read_receipt() {
    let (mut h, mut bob) = alice_and_bob().await;
    for e in bob.seal("alice", "read me") {
        h.deliver("bob", &e).await;
    }
    let m = h.next_message().await;
    h.ok("mark_read", json!({"peer": "bob"})).await;
    assert_eq!(receipt_for(&mut h, &m["id"]).await, "read");
    h.relay_until("a read receipt to bob", |r| {
        r.sent().iter().filter(|s| s.to == "bob").count() >= 4
    })
    .await;
    let receipts: Vec<ReceiptStatus> = bob
        .open_all("alice", &h.sent_to("bob"))
        .into_iter()
        .filter_map(|p| match p {
            Payload::Receipt(r) => Some(r.status),
            _ => None,
        })
        .collect();
    assert!(receipts.contains(&ReceiptStatus::Read), "{receipts:?}");
}
