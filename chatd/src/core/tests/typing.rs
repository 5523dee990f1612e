//! Typing indicators (docs/PROTOCOL.md §4.1, D14): sent ephemeral, only
//! under a key the peer confirmed, at most once per interval per
//! conversation, never while the setting is off or chatd is offline;
//! received as a transient event that nothing stores.

use std::time::Duration;

use chat_e2e::{Payload, ReceiptStatus};
use serde_json::{Value, json};

use super::{Harness, Peer, code_of};

/// alice (with this typing interval) and bob, who confirmed alice's key
/// by a delivery receipt for her first message.
async fn confirmed(interval: Duration) -> (Harness, Peer) {
    let pem = test_support::fixtures::private_pem("alice");
    let h = Harness::start_with("alice", &pem, interval).await;
    h.relay
        .set_key("alice", &test_support::fixtures::public_pem("alice"));
    h.login().await;
    let mut bob = Peer::vector("bob", "bob");
    bob.learn("alice", &test_support::fixtures::public_pem("alice"));
    h.relay.set_key("bob", &bob.public_pem());
    let mut h = h;
    let before = h.ok("typing", json!({"peer": "bob"})).await;
    assert_eq!(before, json!({"sent": false}), "no confirmed key yet");
    assert!(h.relay.ephemeral().is_empty());

    let sent = h.ok("send", json!({"to": "bob", "text": "hi"})).await;
    let id = sent["id"].as_str().unwrap().to_string();
    let want = Value::from(id.clone());
    h.event_where("hi sent", |e| {
        e["type"] == "receipt" && e["id"] == want && e["status"] == "sent"
    })
    .await;
    bob.open_all("alice", &h.sent_to("bob"));
    for env in bob.receipt("alice", ReceiptStatus::Delivered, &[&id]) {
        h.deliver("bob", &env).await;
    }
    h.event_where("hi delivered", |e| {
        e["type"] == "receipt" && e["id"] == want && e["status"] == "delivered"
    })
    .await;
    (h, bob)
}

/// What bob reads in every ephemeral request alice made so far.
fn typings_at_bob(h: &Harness, bob: &mut Peer) -> Vec<Payload> {
    let mut out = Vec::new();
    for request in h.relay.ephemeral() {
        for item in request {
            assert_eq!(item.to, "bob");
            assert_eq!(item.envelope["kind"], "msg", "never a session key");
            out.extend(bob.open_all("alice", &[item.envelope]));
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_indicator_per_interval_under_the_confirmed_key() {
    let (h, mut bob) = confirmed(crate::config::TYPING_INTERVAL).await;
    let first = h.ok("typing", json!({"peer": "bob"})).await;
    assert_eq!(first, json!({"sent": true}));
    // Right after: coalesced.
    let again = h.ok("typing", json!({"peer": "bob"})).await;
    assert_eq!(again, json!({"sent": false}));
    let got = typings_at_bob(&h, &mut bob);
    assert!(
        matches!(got.as_slice(), [Payload::Typing(t)] if t.group_id.is_none()),
        "{got:?}"
    );
    // Nothing of it is stored for alice's frontends either.
    let history = h.ok("history", json!({"peer": "bob"})).await;
    assert_eq!(history["messages"].as_array().unwrap().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_setting_and_the_link_decide_whether_one_leaves() {
    let (h, mut bob) = confirmed(Duration::ZERO).await;
    assert_eq!(h.ok("typing", json!({"peer": "bob"})).await["sent"], true);
    assert_eq!(
        h.ok("typing", json!({"peer": "bob"})).await["sent"],
        true,
        "the interval is over"
    );
    h.ok("set_settings", json!({"typing_indicators": false}))
        .await;
    assert_eq!(h.ok("typing", json!({"peer": "bob"})).await["sent"], false);
    h.ok("set_settings", json!({"typing_indicators": true}))
        .await;
    h.relay.set_logged_in(None);
    assert_eq!(h.ok("typing", json!({"peer": "bob"})).await["sent"], false);
    h.relay.set_logged_in(Some("alice"));
    assert_eq!(h.ok("typing", json!({"peer": "bob"})).await["sent"], true);
    assert_eq!(typings_at_bob(&h, &mut bob).len(), 3);

    // The conversation is named as everywhere else.
    let e = h.api("typing", json!({})).await.unwrap_err();
    assert_eq!(code_of(&e), "invalid_params");
    let e = h
        .api("typing", json!({"peer": "bob", "group": "team"}))
        .await
        .unwrap_err();
    assert_eq!(code_of(&e), "invalid_params");
    let e = h.api("typing", json!({"group": "team"})).await.unwrap_err();
    assert_eq!(code_of(&e), "no_such_group");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_received_indicator_is_a_transient_event_and_nothing_else() {
    let mut h = Harness::alice().await;
    let mut bob = Peer::vector("bob", "bob");
    bob.learn("alice", &test_support::fixtures::public_pem("alice"));
    h.relay.set_key("bob", &bob.public_pem());
    for env in bob.seal("alice", "hello") {
        h.deliver("bob", &env).await;
    }
    let hello = h.next_message().await;
    async fn hello_seq(h: &Harness) -> u64 {
        h.core.db().call(|tx| tx.latest_event_seq()).await.unwrap()
    }
    let latest = hello_seq(&h).await;

    // A typing indicator in a group alice holds nothing of: dropped.
    let group = uuid::Uuid::new_v4();
    let in_group = Payload::typing(Some(group), chat_proto::now_ms()).unwrap();
    let env = bob.seal_payload("alice", &in_group).pop().unwrap();
    h.deliver_ephemeral("bob", &env).await;
    // A text sent ephemeral: not a message.
    let text = Payload::text("not stored", chat_proto::now_ms()).unwrap();
    let env = bob.seal_payload("alice", &text).pop().unwrap();
    h.deliver_ephemeral("bob", &env).await;
    // The 1:1 indicator: the next event alice's frontends see.
    let typing = Payload::typing(None, chat_proto::now_ms()).unwrap();
    let env = bob.seal_payload("alice", &typing).pop().unwrap();
    h.deliver_ephemeral("bob", &env).await;

    let e = h.next_event().await;
    assert_eq!((&e["type"], &e["user"]), (&json!("typing"), &json!("bob")));
    assert!(e.get("group").is_none(), "{e}");
    let seq = e["seq"].as_u64().unwrap();
    let stored = h
        .core
        .db()
        .call(|tx| tx.events_since(0, 1000))
        .await
        .unwrap();
    assert!(
        seq >= latest && stored.iter().any(|s| s.seq == seq),
        "the seq of a stored event, not a new one"
    );
    assert!(
        stored.iter().all(|s| !s.body.is_transient()),
        "nothing was stored in the event log"
    );
    let history = h.ok("history", json!({"peer": "bob"})).await;
    assert_eq!(history["messages"], json!([hello]));
    assert!(
        !h.relay.acked().iter().any(|a| a == "ephemeral"),
        "an ephemeral delivery is never acked"
    );
    // No receipt went back for any of it, only the one for "hello": a
    // marker queued now leaves after anything queued before it.
    let marker = h.ok("send", json!({"to": "bob", "text": "marker"})).await;
    let want = marker["id"].clone();
    h.event_where("the marker sent", move |e| {
        e["type"] == "receipt" && e["id"] == want && e["status"] == "sent"
    })
    .await;
    let receipts: Vec<_> = bob
        .open_all("alice", &h.sent_to("bob"))
        .into_iter()
        .filter(|p| matches!(p, Payload::Receipt(_)))
        .collect();
    assert_eq!(receipts.len(), 1, "{receipts:?}");
}

/// Records a group state in alice's store as if the rules accepted it.
async fn hold_group(h: &Harness, id: uuid::Uuid, name: &str, members: &[&str]) {
    use chat_e2e::group::{GroupState, Membership, SignedGroupState};
    let fpr = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
    let admin = members[0].to_string();
    let m = Membership::new(name, members.iter().copied(), [admin.as_str()]);
    let state = GroupState::genesis(id, m, &admin, fpr).unwrap();
    let signed = SignedGroupState::from_parts(state, vec![7; 4]);
    h.core
        .db()
        .call(move |tx| tx.put_group_state(&signed, "alice", 1))
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_a_group_one_send_multi_goes_to_the_members_with_confirmed_keys() {
    let (mut h, mut bob) = confirmed(crate::config::TYPING_INTERVAL).await;
    let team = uuid::Uuid::new_v4();
    hold_group(&h, team, "team", &["alice", "bob", "carol"]).await;
    let r = h.ok("typing", json!({"group": "team"})).await;
    assert_eq!(r, json!({"sent": true}));
    let requests = h.relay.ephemeral();
    assert_eq!(requests.len(), 1, "one request");
    assert_eq!(requests[0].len(), 1, "carol has no confirmed key: skipped");
    let got = typings_at_bob(&h, &mut bob);
    assert!(
        matches!(got.as_slice(), [Payload::Typing(t)] if t.group_id == Some(team)),
        "{got:?}"
    );
    let id = team.hyphenated().to_string();
    assert_eq!(
        h.ok("typing", json!({"group": id})).await,
        json!({"sent": false}),
        "coalesced per conversation, whatever names it"
    );
    // A group alice is no longer in: by id refused, by name unknown.
    let left = uuid::Uuid::new_v4();
    hold_group(&h, left, "old", &["bob", "carol"]).await;
    let e = h
        .api("typing", json!({"group": left.hyphenated().to_string()}))
        .await
        .unwrap_err();
    assert_eq!(code_of(&e), "not_group_member");
    let e = h.api("typing", json!({"group": "old"})).await.unwrap_err();
    assert_eq!(code_of(&e), "no_such_group");

    // Received: from a member of a group both are in, an event with the
    // group; in a group bob is not a member of, nothing.
    for env in bob.seal("alice", "hello") {
        h.deliver("bob", &env).await;
    }
    h.next_message().await;
    let not_bobs = uuid::Uuid::new_v4();
    hold_group(&h, not_bobs, "without bob", &["alice", "carol"]).await;
    for group in [Some(not_bobs), Some(team)] {
        let p = Payload::typing(group, chat_proto::now_ms()).unwrap();
        let env = bob.seal_payload("alice", &p).pop().unwrap();
        h.deliver_ephemeral("bob", &env).await;
    }
    let e = h.next_event().await;
    assert_eq!(
        (&e["type"], &e["user"], &e["group"]),
        (&json!("typing"), &json!("bob"), &json!(id))
    );
}
