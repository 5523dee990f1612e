//! The group pipeline (PROTOCOL.md §4, D15) in-process: membership
//! changes committed and fanned out, group messages in `send_multi`
//! frames with per-member failures and receipts, and the §4.4 rules on
//! what arrives (joins, refusals, gaps, requests).

use chat_e2e::group::{GroupState, Membership, SignedGroupState};
use chat_e2e::{Payload, ReceiptStatus};
use chat_proto::ErrorCode;
use serde_json::{Value, json};

use super::{Harness, Peer, code_of};

/// A peer that knows alice's key, and whose key the relay hands out.
fn peer(h: &Harness, name: &str) -> Peer {
    let mut p = Peer::fresh(name);
    p.learn("alice", &test_support::fixtures::public_pem("alice"));
    h.relay.set_key(name, &p.public_pem());
    p
}

/// The payloads `p` can open of what alice sent it so far, from the
/// `skip`-th envelope on.
fn opened(h: &Harness, p: &mut Peer, skip: usize) -> Vec<Payload> {
    let envs: Vec<_> = h.sent_to(&p.name).into_iter().skip(skip).collect();
    p.open_all("alice", &envs)
}

fn sign(p: &Peer, state: GroupState) -> SignedGroupState {
    SignedGroupState::sign(state, &p.identity).unwrap()
}

fn genesis(by: &Peer, name: &str, members: &[&str]) -> SignedGroupState {
    let m = Membership::new(name, members.iter().copied(), [by.name.as_str()]);
    let s = GroupState::genesis(
        chat_e2e::payload::new_id().unwrap(),
        m,
        &by.name,
        by.identity.fingerprint(),
    )
    .unwrap();
    sign(by, s)
}

fn next(
    by: &Peer,
    prev: &SignedGroupState,
    edit: impl FnOnce(&mut Membership),
) -> SignedGroupState {
    let mut m = prev.state().membership().clone();
    edit(&mut m);
    let s = prev
        .state()
        .successor(m, &by.name, by.identity.fingerprint())
        .unwrap();
    sign(by, s)
}

async fn deliver_payload(h: &mut Harness, from: &mut Peer, payload: &Payload) {
    for env in from.seal_payload("alice", payload) {
        h.deliver(&from.name.clone(), &env).await;
    }
}

async fn create(h: &mut Harness, name: &str, members: &[&str]) -> String {
    let r = h
        .ok("group_create", json!({"name": name, "members": members}))
        .await;
    r["group"]["id"].as_str().unwrap().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_created_group_is_committed_fanned_out_and_talked_in() {
    let mut h = Harness::alice().await;
    let mut bob = peer(&h, "bob");
    let mut carol = peer(&h, "carol");
    let gid = create(&mut h, "team", &["bob", "carol", "bob"]).await;
    assert_eq!(h.relay.commits(), vec![(gid.clone(), 1)]);
    let e = h.event_where("group", |e| e["type"] == "group").await;
    assert_eq!(e["change"], json!({"joined": true}));
    assert_eq!(e["by"], "alice");
    assert_eq!(e["group"]["members"].as_array().unwrap().len(), 3);

    // Each member gets the signed state, in one send_multi.
    h.relay_until("the state to both", |r| {
        r.sent().iter().filter(|s| s.to != "alice").count() >= 4
    })
    .await;
    for p in [&mut bob, &mut carol] {
        let got = opened(&h, p, 0);
        let [Payload::GroupState(s)] = got.as_slice() else {
            panic!("{got:?}")
        };
        assert_eq!(s.state.as_ref().unwrap().state().version(), 1);
    }
    let before = (h.sent_to("bob").len(), h.sent_to("carol").len());

    // A message: one frame holding every member's copy.
    let frames = h.relay.multi_frames().len();
    let sent = h
        .ok("send", json!({"group": "team", "text": "hello all"}))
        .await;
    let id = sent["id"].as_str().unwrap().to_string();
    let m = h.next_message().await;
    assert_eq!(
        (&m["to"], &m["group"]["name"]),
        (&json!(gid), &json!("team"))
    );
    assert_eq!(m["receipts"]["recipients"], 2);
    h.relay_until("the message to both", |r| r.multi_frames().len() > frames)
        .await;
    assert_eq!(h.relay.multi_frames().len(), frames + 1, "one frame");
    for (p, skip) in [(&mut bob, before.0), (&mut carol, before.1)] {
        let got = opened(&h, p, skip);
        let [Payload::GroupText(t)] = got.as_slice() else {
            panic!("{got:?}")
        };
        assert_eq!(
            (t.text.as_str(), t.id.to_string()),
            ("hello all", id.clone())
        );
    }
    // Sent to both: the aggregate is `sent`; each receipt moves one member.
    let r = h
        .event_where("sent", |e| {
            e["type"] == "receipt" && e["receipts"]["recipients"] == 2 && e["status"] == "sent"
        })
        .await;
    assert_eq!(r["id"], json!(id));
    let receipt = bob.receipt("alice", ReceiptStatus::Delivered, &[&id]);
    for env in receipt {
        h.deliver("bob", &env).await;
    }
    let r = h
        .event_where("bob's receipt", |e| {
            e["type"] == "receipt" && e["user"] == "bob" && e["status"] != "sending"
        })
        .await;
    assert_eq!(r["receipts"]["delivered"], json!(["bob"]));
    assert_eq!(r["status"], "sent", "carol has not confirmed yet");
    let receipt = carol.receipt("alice", ReceiptStatus::Read, &[&id]);
    for env in receipt {
        h.deliver("carol", &env).await;
    }
    let r = h
        .event_where("carol's receipt", |e| {
            e["type"] == "receipt" && e["user"] == "carol"
        })
        .await;
    assert_eq!(r["status"], "delivered");
    assert_eq!(r["receipts"]["read"], json!(["carol"]));
    let one = h.ok("message", json!({"id": id})).await;
    assert_eq!(one["message"]["status"], "delivered");
    assert_eq!(
        one["message"]["receipts"]["delivered"],
        json!(["bob", "carol"])
    );
    // Group messages stay out of the 1:1 list and history.
    let convs = h.ok("conversations", json!({})).await;
    assert!(
        convs["conversations"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["last"].is_null()),
        "{convs}"
    );
    let hist = h.ok("history", json!({"group": gid})).await;
    assert_eq!(hist["messages"][0]["text"], "hello all");
    let found = h.ok("search", json!({"query": "hello"})).await;
    assert_eq!(found["messages"][0]["group"]["id"], json!(gid));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_group_joined_from_a_state_takes_messages_from_members_only() {
    let mut h = Harness::alice().await;
    let mut bob = peer(&h, "bob");
    let mut mallory = peer(&h, "mallory");
    let s1 = genesis(&bob, "club", &["alice", "bob"]);
    let gid = s1.state().group_id();
    deliver_payload(
        &mut h,
        &mut bob,
        &Payload::group_state(s1.clone(), 1).unwrap(),
    )
    .await;
    let e = h.event_where("joined", |e| e["type"] == "group").await;
    assert_eq!(
        (&e["by"], &e["change"]),
        (&json!("bob"), &json!({"joined": true}))
    );

    let t = Payload::group_text(gid, 1, "welcome", 2).unwrap();
    deliver_payload(&mut h, &mut bob, &t).await;
    let m = h.next_message().await;
    assert_eq!(
        (&m["from"], &m["to"], &m["text"]),
        (&json!("bob"), &json!(gid.to_string()), &json!("welcome"))
    );
    assert_eq!(m["group"]["name"], "club");
    h.relay_until("a receipt to bob", |r| {
        r.sent().iter().any(|s| s.to == "bob")
    })
    .await;
    let back = opened(&h, &mut bob, 0);
    assert!(
        matches!(back.as_slice(), [Payload::Receipt(r)] if r.status == ReceiptStatus::Delivered)
    );

    // Someone outside the group: refused and reported.
    let t = Payload::group_text(gid, 1, "let me in", 3).unwrap();
    deliver_payload(&mut h, &mut mallory, &t).await;
    let e = h
        .event_where("a refusal", |e| e["type"] == "security")
        .await;
    assert_eq!(
        (&e["user"], &e["reason"], &e["group"]),
        (
            &json!("mallory"),
            &json!("group_not_member"),
            &json!(gid.to_string())
        )
    );
    // A change signed by a member who is not an admin.
    let forged = next(&mallory, &s1, |m| m.add("mallory"));
    deliver_payload(
        &mut h,
        &mut mallory,
        &Payload::group_state(forged, 4).unwrap(),
    )
    .await;
    let e = h
        .event_where("a refusal", |e| e["type"] == "security")
        .await;
    assert_eq!(
        (&e["reason"], &e["group"]),
        (&json!("group_not_admin"), &json!(gid.to_string()))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_version_gap_is_held_asked_for_and_filled() {
    let mut h = Harness::alice().await;
    let mut bob = peer(&h, "bob");
    let s1 = genesis(&bob, "club", &["alice", "bob"]);
    let gid = s1.state().group_id();
    let s2 = next(&bob, &s1, |m| m.add("carol"));
    let s3 = next(&bob, &s2, |m| m.add("dave"));
    deliver_payload(
        &mut h,
        &mut bob,
        &Payload::group_state(s1.clone(), 1).unwrap(),
    )
    .await;
    h.event_where("joined", |e| e["type"] == "group").await;
    let sent_before = h.sent_to("bob").len();
    deliver_payload(&mut h, &mut bob, &Payload::group_state(s3, 2).unwrap()).await;
    // A request for what is missing goes to an admin.
    h.relay_until("a request to bob", |r| {
        r.sent().iter().filter(|s| s.to == "bob").count() > sent_before
    })
    .await;
    let asked = opened(&h, &mut bob, sent_before);
    assert!(
        matches!(asked.as_slice(), [Payload::GroupStateRequest(r)] if r.have == 1 && r.group_id == gid),
        "{asked:?}"
    );
    deliver_payload(&mut h, &mut bob, &Payload::group_state(s2, 3).unwrap()).await;
    let e = h.event_where("v2", |e| e["type"] == "group").await;
    assert_eq!(e["change"]["added"], json!(["carol"]));
    let e = h.event_where("v3", |e| e["type"] == "group").await;
    assert_eq!(e["change"]["added"], json!(["dave"]));
    assert_eq!(e["group"]["version"], 3);
    // A replay of v1 now is stale.
    deliver_payload(&mut h, &mut bob, &Payload::group_state(s1, 4).unwrap()).await;
    let e = h
        .event_where("a refusal", |e| e["type"] == "security")
        .await;
    assert_eq!(e["reason"], "group_stale");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_removed_member_gets_the_removal_and_nothing_after() {
    let mut h = Harness::alice().await;
    let mut bob = peer(&h, "bob");
    let mut carol = peer(&h, "carol");
    let gid = create(&mut h, "team", &["bob", "carol"]).await;
    h.relay_until("the state out", |r| r.multi_frames().len() == 1)
        .await;
    let r = h
        .ok("group_remove", json!({"group": gid, "users": ["carol"]}))
        .await;
    assert_eq!(r["group"]["members"].as_array().unwrap().len(), 2);
    h.relay_until("the removal out", |r| r.multi_frames().len() == 2)
        .await;
    let c = h.sent_to("carol").len();
    h.ok("send", json!({"group": gid, "text": "without carol"}))
        .await;
    h.relay_until("the message out", |r| r.multi_frames().len() == 3)
        .await;
    assert_eq!(h.sent_to("carol").len(), c, "nothing after the removal");
    let got = opened(&h, &mut carol, 0);
    let states: Vec<u64> = got
        .iter()
        .filter_map(|p| match p {
            Payload::GroupState(s) => Some(s.state.as_ref().unwrap().state().version()),
            _ => None,
        })
        .collect();
    assert_eq!(states, vec![1, 2]);
    let got = opened(&h, &mut bob, 0);
    assert!(matches!(got.last(), Some(Payload::GroupText(t)) if t.text == "without carol"));
    // Rules: remove ourselves, add someone in already, a non-admin.
    let e = h
        .api("group_remove", json!({"group": gid, "users": ["alice"]}))
        .await
        .unwrap_err();
    assert_eq!(code_of(&e), "invalid_input");
    let e = h
        .api("group_add", json!({"group": gid, "users": ["bob"]}))
        .await
        .unwrap_err();
    assert_eq!(code_of(&e), "invalid_input");
    let e = h
        .api("send", json!({"group": "nope", "text": "x"}))
        .await
        .unwrap_err();
    assert_eq!(code_of(&e), "no_such_group");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_whose_copy_fails_alone_waits_for_the_retry() {
    let mut h = Harness::alice().await;
    let mut bob = peer(&h, "bob");
    let mut carol = peer(&h, "carol");
    let gid = create(&mut h, "team", &["bob", "carol"]).await;
    h.relay_until("the state out", |r| r.multi_frames().len() == 1)
        .await;
    let (b, c) = (h.sent_to("bob").len(), h.sent_to("carol").len());
    // carol's mailbox is full for one try (her session key item fails).
    h.relay.fail_items_to("carol", [ErrorCode::MailboxFull]);
    h.ok("send", json!({"group": gid, "text": "once each"}))
        .await;
    h.relay_until("bob's copy", |r| {
        r.sent().iter().filter(|s| s.to == "bob").count() > b
    })
    .await;
    h.core.kick_outbox();
    // Her `msg` item was stored without its key; the retry sends both.
    h.relay_until("carol's copy on the retry", |r| {
        r.sent().iter().filter(|s| s.to == "carol").count() >= c + 3
    })
    .await;
    let bob_got = opened(&h, &mut bob, b);
    assert_eq!(bob_got.len(), 1, "bob got it once: {bob_got:?}");
    let carol_got = opened(&h, &mut carol, c + 1);
    assert!(
        matches!(carol_got.as_slice(), [Payload::GroupText(t)] if t.text == "once each"),
        "{carol_got:?}"
    );
    let hist = h.ok("history", json!({"group": gid})).await;
    assert_eq!(hist["messages"][0]["status"], "sent");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_that_loses_a_race_is_redone_on_the_winners_state() {
    let mut h = Harness::alice().await;
    let mut bob = peer(&h, "bob");
    let _carol = peer(&h, "carol");
    let _dave = peer(&h, "dave");
    // bob made the group with alice as second admin.
    let m = Membership::new("race", ["alice", "bob"], ["alice", "bob"]);
    let s1 = sign(
        &bob,
        GroupState::genesis(
            chat_e2e::payload::new_id().unwrap(),
            m,
            "bob",
            bob.identity.fingerprint(),
        )
        .unwrap(),
    );
    let gid = s1.state().group_id().to_string();
    h.relay
        .set_group_record(&gid, 1, &s1.state().hash().to_hex());
    deliver_payload(
        &mut h,
        &mut bob,
        &Payload::group_state(s1.clone(), 1).unwrap(),
    )
    .await;
    h.event_where("joined", |e| e["type"] == "group").await;
    // bob wins version 2 (adds carol) before alice's add of dave commits.
    let s2 = next(&bob, &s1, |m| m.add("carol"));
    h.relay
        .set_group_record(&gid, 2, &s2.state().hash().to_hex());
    let core = h.core.clone();
    let g = gid.clone();
    let adding = tokio::spawn(async move {
        let req = chatd_api::Request::from_parts(
            "group_add",
            json!({"group": g, "users": ["dave"]})
                .as_object()
                .unwrap()
                .clone(),
        )
        .unwrap();
        super::api::handle(&core, 1, req).await
    });
    h.relay_until("alice asked bob for the winner", |r| {
        r.sent().iter().any(|s| s.to == "bob")
    })
    .await;
    deliver_payload(&mut h, &mut bob, &Payload::group_state(s2, 2).unwrap()).await;
    let answer = adding.await.unwrap().unwrap().to_value().unwrap();
    let members: Vec<Value> = answer["group"]["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["user"].clone())
        .collect();
    assert_eq!(
        members,
        vec![json!("alice"), json!("bob"), json!("carol"), json!("dave")]
    );
    assert_eq!(answer["group"]["version"], 3);
    assert_eq!(h.relay.commits(), vec![(gid, 3)]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pending_commit_left_by_a_crash_is_finished_after_login() {
    let mut h = Harness::alice().await;
    let _bob = peer(&h, "bob");
    let alice = Peer::vector("alice", "alice");
    let s1 = genesis(&alice, "later", &["alice", "bob"]);
    let gid = s1.state().group_id().to_string();
    // The server sequenced it, then chatd died before holding it.
    h.relay
        .set_group_record(&gid, 1, &s1.state().hash().to_hex());
    h.core
        .db()
        .call(move |tx| tx.group_commit_put(&s1, 1))
        .await
        .unwrap();
    h.login().await;
    let e = h
        .event_where("the group held", |e| e["type"] == "group")
        .await;
    assert_eq!(e["group"]["id"], json!(gid));
    h.relay_until("the state to bob", |r| {
        r.sent().iter().any(|s| s.to == "bob")
    })
    .await;
    let left = h.core.db().call(|tx| tx.group_commits()).await.unwrap();
    assert!(left.is_empty());
}
