//! Reading a conversation: `mark_read` up to what a frontend showed, and
//! the `read_receipts` setting, which decides whether the sender hears of
//! it (docs/PROTOCOL.md D9).

use chat_e2e::{Payload, ReceiptStatus};
use serde_json::{Value, json};

use super::{Harness, Peer, code_of, text_of};

async fn alice_and_bob() -> (Harness, Peer) {
    let h = Harness::alice().await;
    let mut bob = Peer::vector("bob", "bob");
    bob.learn("alice", &test_support::fixtures::public_pem("alice"));
    h.relay.set_key("bob", &bob.public_pem());
    (h, bob)
}

/// bob says each of `texts`; their messages in timeline order.
async fn bob_says(h: &mut Harness, bob: &mut Peer, texts: &[&str]) -> Vec<Value> {
    let mut got = Vec::new();
    for text in texts {
        for e in bob.seal("alice", text) {
            h.deliver("bob", &e).await;
        }
        got.push(h.next_message().await);
    }
    got.sort_by(|a, b| {
        (a["ts"].as_i64(), a["id"].as_str()).cmp(&(b["ts"].as_i64(), b["id"].as_str()))
    });
    got
}

/// The ids of every read receipt bob got from alice so far, once
/// everything alice queued before this call left: a text sent now goes
/// after it (the outbox keeps the order per peer), so when the text is
/// `sent` the rest is at the relay.
/// `opened` counts the envelopes bob opened already.
async fn read_receipts_at_bob(
    h: &mut Harness,
    bob: &mut Peer,
    opened: &mut usize,
    marker: &str,
) -> Vec<String> {
    let sent = h.ok("send", json!({"to": "bob", "text": marker})).await;
    let id = sent["id"].clone();
    h.event_where("the marker sent", move |e| {
        e["type"] == "receipt" && e["id"] == id && e["status"] == "sent"
    })
    .await;
    let mut read = Vec::new();
    let mut saw_marker = false;
    let envelopes = h.sent_to("bob");
    let new = envelopes.get(*opened..).unwrap_or_default().to_vec();
    *opened = envelopes.len();
    for p in bob.open_all("alice", &new) {
        match &p {
            Payload::Receipt(r) if r.status == ReceiptStatus::Read => {
                read.extend(r.ids.iter().map(ToString::to_string));
            }
            Payload::Text(_) if text_of(&p) == marker => saw_marker = true,
            _ => {}
        }
    }
    assert!(saw_marker, "the marker {marker:?} reached bob");
    read
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mark_read_up_to_marks_only_what_was_shown() {
    let (mut h, mut bob) = alice_and_bob().await;
    let msgs = bob_says(&mut h, &mut bob, &["one", "two", "three"]).await;
    let shown = msgs[1]["id"].as_str().unwrap();
    h.ok("mark_read", json!({"peer": "bob", "up_to": shown}))
        .await;
    for (m, want) in msgs.iter().zip(["read", "read", "delivered"]) {
        let got = h.ok("message", json!({"id": m["id"]})).await;
        assert_eq!(got["message"]["status"], want, "{}", m["text"]);
    }
    let c = h.ok("conversations", json!({})).await;
    assert_eq!(c["conversations"][0]["unread"], 1);
    // The rest, v1 style.
    h.ok("mark_read", json!({"peer": "bob"})).await;
    let got = h.ok("message", json!({"id": msgs[2]["id"]})).await;
    assert_eq!(got["message"]["status"], "read");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mark_read_up_to_an_id_outside_the_conversation_is_refused() {
    let (mut h, mut bob) = alice_and_bob().await;
    let msgs = bob_says(&mut h, &mut bob, &["hi"]).await;
    let e = h
        .api(
            "mark_read",
            json!({"peer": "bob", "up_to": "00000000-0000-4000-8000-000000000000"}),
        )
        .await
        .unwrap_err();
    assert_eq!(code_of(&e), "invalid_input", "{e:?}");
    let e = h
        .api(
            "mark_read",
            json!({"peer": "alice", "up_to": msgs[0]["id"]}),
        )
        .await
        .unwrap_err();
    assert_eq!(
        code_of(&e),
        "invalid_input",
        "bob's message, not alice's: {e:?}"
    );
    assert!(e.message.contains("with alice"), "{}", e.message);
    let got = h.ok("message", json!({"id": msgs[0]["id"]})).await;
    assert_eq!(got["message"]["status"], "delivered", "nothing was marked");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_read_receipts_off_nothing_read_is_ever_reported() {
    let (mut h, mut bob) = alice_and_bob().await;
    assert_eq!(
        h.ok("settings", json!({})).await,
        json!({"read_receipts": true, "typing_indicators": true}),
        "on by default"
    );
    let set = h.ok("set_settings", json!({"read_receipts": false})).await;
    assert_eq!(
        set,
        json!({"read_receipts": false, "typing_indicators": true})
    );
    let e = h.event_where("settings", |e| e["type"] == "settings").await;
    assert_eq!(e["settings"]["read_receipts"], false);

    let mut opened = 0;
    let quiet = bob_says(&mut h, &mut bob, &["unseen by bob"]).await;
    h.ok("mark_read", json!({"peer": "bob"})).await;
    // Read here: the frontends hear of it as before.
    let r = h
        .event_where("the local read", |e| e["type"] == "receipt")
        .await;
    assert_eq!((&r["id"], &r["status"]), (&quiet[0]["id"], &json!("read")));
    assert_eq!(
        read_receipts_at_bob(&mut h, &mut bob, &mut opened, "marker one").await,
        Vec::<String>::new()
    );

    // On again: what was read while off stays unreported; what is read
    // now is reported.
    h.ok("set_settings", json!({"read_receipts": true})).await;
    h.ok("mark_read", json!({"peer": "bob"})).await;
    let loud = bob_says(&mut h, &mut bob, &["seen"]).await;
    h.ok("mark_read", json!({"peer": "bob"})).await;
    let reported = read_receipts_at_bob(&mut h, &mut bob, &mut opened, "marker two").await;
    assert_eq!(reported, [loud[0]["id"].as_str().unwrap()]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_setting_set_to_its_value_changes_nothing_and_says_nothing() {
    let mut h = Harness::alice().await;
    h.ok("set_settings", json!({"read_receipts": true})).await;
    h.ok("set_settings", json!({})).await;
    h.ok("set_settings", json!({"read_receipts": false})).await;
    // The first settings event is the one real change.
    let e = h.event_where("settings", |e| e["type"] == "settings").await;
    assert_eq!(e["settings"]["read_receipts"], false);
}
