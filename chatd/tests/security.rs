//! Attacks from outside the daemon: a sender (or the server) that tampers
//! with ciphertext, signs a session key with the wrong identity, replays an
//! envelope, or whose key changes. "mallory" is a raw protocol client
//! holding a real identity key and the real end-to-end engine, so her
//! envelopes are exactly what a peer's daemon would send.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
use common::*;

use std::sync::Arc;

use chat_e2e::{Engine, IdentityKey, MemoryStore, Payload};
use chat_proto::ServerMessage;
use test_support::WireClient;
use test_support::fixtures::{private_pem, public_pem};

struct Mallory {
    wire: WireClient,
    engine: Engine,
    store: MemoryStore,
}

impl Mallory {
    /// Logs in as mallory with the vectors' alice key.
    async fn new(w: &World) -> Self {
        Self::named(w, "mallory").await
    }

    /// Logs in as `name` with the vectors' alice key.
    async fn named(w: &World, name: &str) -> Self {
        let (wire, _) = WireClient::logged_in(w.server.addr, name, &public_pem("alice"))
            .await
            .unwrap();
        let id = Arc::new(IdentityKey::from_pem(&private_pem("alice")).unwrap());
        Self {
            wire,
            engine: Engine::new(name, id),
            store: MemoryStore::new(),
        }
    }

    /// Pins `user`'s key as the server reports it.
    async fn learn(&mut self, user: &str) {
        let ServerMessage::Key { public_key, .. } = self
            .wire
            .request(json!({"type":"get_key","username":user}))
            .await
            .unwrap()
        else {
            panic!("get_key")
        };
        self.engine
            .observe_key(&mut self.store, user, &public_key, chat_proto::now_ms())
            .unwrap();
    }

    /// Encrypts a text to `to`: the envelopes, as JSON objects.
    fn seal(&mut self, to: &str, text: &str) -> Vec<serde_json::Map<String, Value>> {
        let payload = Payload::text(text, chat_proto::now_ms()).unwrap();
        let envs = self
            .engine
            .encrypt_blocking(&mut self.store, to, &payload, chat_proto::now_ms())
            .unwrap();
        envs.iter().map(|e| e.to_json()).collect()
    }

    async fn send(&mut self, to: &str, envelope: &serde_json::Map<String, Value>) {
        let r = self
            .wire
            .request(json!({"type":"send","to":to,"envelope":envelope}))
            .await
            .unwrap();
        assert!(matches!(r, ServerMessage::Sent { .. }), "{r:?}");
    }
}

async fn expect_security(c: &mut RpcClient, user: &str, reason: &str) {
    let (u, r) = (user.to_string(), reason.to_string());
    c.event_where(&format!("security {reason}"), move |e| {
        e["type"] == "security" && e["user"] == u.as_str() && e["reason"] == r.as_str()
    })
    .await
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tampering_forgery_and_replay_are_refused_and_reported() {
    let w = World::new();
    let (bd, mut bob) = w.user("bob").await;
    let mut events = bd.client().await.unwrap();
    events.ok("subscribe", json!({})).await.unwrap();
    let mut m = Mallory::new(&w).await;
    m.learn("bob").await;

    // An honest message first: bob pins mallory and shows it.
    let first = m.seal("bob", "an honest hello");
    for e in &first {
        m.send("bob", e).await;
    }
    expect_message(&mut events, "mallory", "an honest hello").await;

    // Tampered ciphertext under the same key.
    let mut tampered = m.seal("bob", "will be altered").pop().unwrap();
    let ct = tampered["ct"].as_str().unwrap().to_string();
    let mut bytes = chat_proto::encoding::b64_decode(&ct, "ct").unwrap();
    bytes[0] ^= 1;
    tampered.insert("ct".into(), json!(chat_proto::encoding::b64_encode(&bytes)));
    m.send("bob", &tampered).await;
    expect_security(&mut events, "mallory", "bad_tag").await;

    // The first msg envelope again, under a new server id: a replay.
    let replay = first.last().unwrap().clone();
    m.send("bob", &replay).await;
    expect_security(&mut events, "mallory", "replayed").await;

    // A session key signed by another identity (bob's vector key).
    let forger = Engine::new(
        "mallory",
        Arc::new(IdentityKey::from_pem(&private_pem("bob")).unwrap()),
    );
    let mut fstore = MemoryStore::new();
    let ServerMessage::Key { public_key, .. } = m
        .wire
        .request(json!({"type":"get_key","username":"bob"}))
        .await
        .unwrap()
    else {
        panic!()
    };
    forger
        .observe_key(&mut fstore, "bob", &public_key, chat_proto::now_ms())
        .unwrap();
    let forged = forger
        .encrypt_blocking(&mut fstore, "bob", &Payload::text("forged", 1).unwrap(), 1)
        .unwrap();
    for e in forged {
        m.send("bob", &e.to_json()).await;
    }
    expect_security(&mut events, "mallory", "bad_signature").await;

    // None of the refused envelopes became a message.
    let h = bob.ok("history", json!({"peer": "mallory"})).await.unwrap();
    let texts: Vec<&str> = h["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["text"].as_str().unwrap())
        .collect();
    assert_eq!(texts, ["an honest hello"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_changed_key_blocks_sending_until_trusted() {
    let w = World::new();
    let (bd, mut bob) = w.user("bob").await;
    let mut events = bd.client().await.unwrap();
    events.ok("subscribe", json!({})).await.unwrap();
    let mut m = Mallory::new(&w).await;
    m.learn("bob").await;
    for e in m.seal("bob", "hi bob") {
        m.send("bob", &e).await;
    }
    expect_message(&mut events, "mallory", "hi bob").await;
    let old = bob
        .ok("fingerprint", json!({"user": "mallory"}))
        .await
        .unwrap();
    bob.ok("send", json!({"to": "mallory", "text": "hi mallory"}))
        .await
        .unwrap();

    // mallory logs in again with another key: bob's daemon is told.
    let mut again = WireClient::connect(w.server.addr).await.unwrap();
    let new_key = public_pem("bob");
    assert!(matches!(
        again.login("mallory", PASSWORD, &new_key).await.unwrap(),
        ServerMessage::LoginOk { .. }
    ));
    let changed = events
        .event_where("key_changed", |e| {
            e["type"] == "key_changed" && e["user"] == "mallory"
        })
        .await
        .unwrap();
    assert_ne!(changed["fingerprint"], old["fingerprint"]);
    let now = bob
        .ok("fingerprint", json!({"user": "mallory"}))
        .await
        .unwrap();
    assert_eq!(now["state"], "changed");
    assert_eq!(now["fingerprint"], changed["fingerprint"]);
    let e = bob
        .call("send", json!({"to": "mallory", "text": "blocked"}))
        .await
        .unwrap()
        .unwrap_err();
    assert_eq!(
        (e["code"].as_i64(), err_code(&e)),
        (Some(-32004), "key_changed".to_string())
    );

    let t = bob.ok("trust", json!({"user": "mallory"})).await.unwrap();
    assert_eq!(t, json!({"state": "unverified"}));
    let sent = bob
        .ok("send", json!({"to": "mallory", "text": "after trust"}))
        .await
        .unwrap();
    expect_receipt(&mut events, sent["id"].as_str().unwrap(), "sent").await;
}

/// A large backlog from a sender the daemon has never seen: the key fetch
/// must not wait behind the deliveries queued before its answer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_large_backlog_from_a_new_sender_is_all_delivered() {
    const N: usize = 1_100;
    // Over two frames a message (its session key goes along until
    // confirmed): more than one sender's share of a mailbox by default (D7).
    let w = World::with_server_args(&["--mailbox-per-sender", "5000"]);
    let (mut bd, _bob) = w.user("bob").await;
    bd.kill9();
    let mut m = Mallory::new(&w).await;
    m.learn("bob").await;
    // Pipelined: write every send, then read every answer.
    let mut frames = 0;
    for n in 0..N {
        for e in m.seal("bob", &format!("backlog {n}")) {
            m.wire
                .send_value(&json!({"type":"send","id":frames,"to":"bob","envelope":e}))
                .await
                .unwrap();
            frames += 1;
        }
    }
    for _ in 0..frames {
        let (_, r) = m.wire.recv().await.unwrap().unwrap();
        assert!(matches!(r, ServerMessage::Sent { .. }), "{r:?}");
    }
    bd.restart().await.unwrap();
    let mut bob = bd.client().await.unwrap();
    test_support::wait::Wait::new("all messages to arrive")
        .within(std::time::Duration::from_secs(120))
        .every(std::time::Duration::from_millis(100))
        .until_async(async || {
            // Conversations first: until mallory's first message is stored,
            // `history` of a name chatd has never seen may answer `offline`
            // while the restarted daemon is still logging in (D9).
            let conv = bob.ok("conversations", json!({})).await.unwrap();
            let count = conv["conversations"]
                .as_array()
                .unwrap()
                .iter()
                .find(|c| c["peer"] == "mallory")
                .map_or(0, |c| c["unread"].as_u64().unwrap());
            if count as usize == N {
                let h = bob
                    .ok("history", json!({"peer": "mallory", "limit": 500}))
                    .await
                    .unwrap();
                assert_eq!(h["messages"].as_array().unwrap().len(), 500);
                return Ok(());
            }
            Err(format!("{count} of {N} unread"))
        })
        .await;
}

/// Several senders the daemon has never seen, each sending two messages at
/// once: everything held while their keys are fetched is examined again,
/// nothing is left behind.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bursts_from_many_new_senders_all_arrive() {
    const SENDERS: usize = 12;
    let w = World::new();
    let (bd, mut bob) = w.user("bob").await;
    let mut senders = Vec::new();
    for i in 0..SENDERS {
        let mut m = Mallory::named(&w, &format!("sender{i}")).await;
        m.learn("bob").await;
        senders.push(m);
    }
    // Pipeline every envelope of every sender before reading any answer.
    let mut sent = Vec::new();
    for (i, m) in senders.iter_mut().enumerate() {
        let mut frames = 0;
        for text in ["one", "two"] {
            for e in m.seal("bob", &format!("{text} from {i}")) {
                m.wire
                    .send_value(&json!({"type":"send","id":frames,"to":"bob","envelope":e}))
                    .await
                    .unwrap();
                frames += 1;
            }
        }
        sent.push(frames);
    }
    for (m, frames) in senders.iter_mut().zip(sent) {
        for _ in 0..frames {
            let (_, r) = m.wire.recv().await.unwrap().unwrap();
            assert!(matches!(r, ServerMessage::Sent { .. }), "{r:?}");
        }
    }
    test_support::wait::Wait::new("every sender's two messages")
        .every(std::time::Duration::from_millis(100))
        .until_async(async || {
            let mut missing = Vec::new();
            for i in 0..SENDERS {
                let h = bob
                    .ok("history", json!({"peer": format!("sender{i}")}))
                    .await
                    .unwrap();
                if h["messages"].as_array().unwrap().len() != 2 {
                    missing.push(i);
                }
            }
            match missing.is_empty() {
                true => Ok(()),
                false => Err(format!(
                    "senders with messages missing: {missing:?}\n{}",
                    bd.log_text()
                )),
            }
        })
        .await;
}
