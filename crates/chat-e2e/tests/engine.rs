//! The engine's behaviour between real peers: session keys and their
//! re-sending, rotation (count, age, identity changes), replay windows,
//! pending messages, wrong recipients, changed keys and verification.
//! Time is injected; keys come from the vector files.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;

use chat_e2e::{
    Config, E2eError, E2eStore, Engine, KeyObservation, MemoryStore, Outgoing, Payload,
    PendingReason, PinState, PinStore, ReceiptStatus, Received, SecurityReason,
};
use common::{HOUR, Peer, T0, alice_and_bob, identity, kind, text_of};
use serde_json::{Map, Value};

fn key_id(env: &Map<String, Value>) -> String {
    env["key_id"].as_str().unwrap().to_string()
}

fn seq(env: &Map<String, Value>) -> u64 {
    env["seq"].as_u64().unwrap()
}

#[test]
fn first_message_carries_its_session_key() {
    let (mut alice, mut bob) = alice_and_bob();
    let (_, envs) = alice.send_text("bob", "hello", T0);
    assert_eq!(
        envs.iter().map(kind).collect::<Vec<_>>(),
        ["session_key", "msg"]
    );
    assert_eq!(key_id(&envs[0]), key_id(&envs[1]));
    assert_eq!(seq(&envs[1]), 1);
    let got = bob.recv_all("alice", &envs, T0);
    assert!(matches!(&got[0], Received::SessionKey { key_id } if *key_id == key_id_of(&envs)));
    assert_eq!(text_of(&got[1]), "hello");
}

fn key_id_of(envs: &[Map<String, Value>]) -> String {
    key_id(envs.last().unwrap())
}

#[test]
fn session_key_is_resent_until_a_receipt_confirms_it() {
    let (mut alice, mut bob) = alice_and_bob();
    let (p1, e1) = alice.send_text("bob", "one", T0);
    let (_, e2) = alice.send_text("bob", "two", T0 + 1);
    assert_eq!(
        e2.iter().map(kind).collect::<Vec<_>>(),
        ["session_key", "msg"]
    );
    assert_eq!(e1[0], e2[0], "the same signed announcement, no new RSA");
    // bob "lost" the first pair: the second still gets through.
    let got = bob.recv_all("alice", &e2, T0 + 2);
    assert!(matches!(got[0], Received::SessionKey { .. }));
    assert_eq!(text_of(&got[1]), "two");
    assert!(matches!(
        bob.recv("alice", &e1[0], T0 + 2),
        Received::Duplicate
    ));
    assert_eq!(text_of(&bob.recv("alice", &e1[1], T0 + 2)), "one");

    // A receipt for a message under the key confirms it.
    let receipt =
        Payload::receipt(ReceiptStatus::Delivered, vec![p1.id().unwrap()], T0 + 3).unwrap();
    let r = bob.send("alice", &receipt, T0 + 3);
    for env in &r {
        alice.recv("bob", env, T0 + 4);
    }
    let (_, e3) = alice.send_text("bob", "three", T0 + 5);
    assert_eq!(e3.iter().map(kind).collect::<Vec<_>>(), ["msg"]);
    assert_eq!(text_of(&bob.recv("alice", &e3[0], T0 + 6)), "three");
}

#[test]
fn only_a_confirmed_fresh_key_counts_as_confirmed_for_ephemeral_payloads() {
    let (mut alice, mut bob) = alice_and_bob();
    let confirmed = |a: &Peer, at| a.engine.has_confirmed_key(&a.store, "bob", at).unwrap();
    assert!(!confirmed(&alice, T0), "no key yet");
    assert!(
        !alice
            .engine
            .has_confirmed_key(&alice.store, "nobody", T0)
            .unwrap(),
        "no pin: false, not an error"
    );
    let (p1, e1) = alice.send_text("bob", "one", T0);
    assert!(!confirmed(&alice, T0), "sent, not confirmed");
    bob.recv_all("alice", &e1, T0);
    let receipt =
        Payload::receipt(ReceiptStatus::Delivered, vec![p1.id().unwrap()], T0 + 1).unwrap();
    for env in &bob.send("alice", &receipt, T0 + 1) {
        alice.recv("bob", env, T0 + 1);
    }
    assert!(confirmed(&alice, T0 + 2));
    // Then encrypting an ephemeral payload gives one `msg` and no key.
    let typing = Payload::typing(None, T0 + 2).unwrap();
    let envs = alice.send("bob", &typing, T0 + 2);
    assert_eq!(envs.iter().map(kind).collect::<Vec<_>>(), ["msg"]);
    // A key due for rotation is not one to use.
    assert!(!confirmed(&alice, T0 + 25 * HOUR));
}

#[test]
fn a_receipt_for_a_group_text_confirms_the_key_too() {
    let (mut alice, mut bob) = alice_and_bob();
    let gid = uuid::Uuid::from_u128(0x1234_5678_9abc_4def_8123_4567_89ab_cdef);
    let p = Payload::group_text(gid, 1, "to the group", T0).unwrap();
    let envs = alice.send("bob", &p, T0);
    assert_eq!(envs.len(), 2, "announced under a new key");
    bob.recv_all("alice", &envs, T0);
    let receipt = Payload::receipt(ReceiptStatus::Delivered, vec![p.id().unwrap()], T0).unwrap();
    for env in bob.send("alice", &receipt, T0) {
        alice.recv("bob", &env, T0);
    }
    let (_, e) = alice.send_text("bob", "next", T0);
    assert_eq!(e.iter().map(kind).collect::<Vec<_>>(), ["msg"]);
}

#[test]
fn a_receipt_for_something_else_confirms_nothing() {
    let (mut alice, mut bob) = alice_and_bob();
    alice.send_text("bob", "one", T0);
    let other = Payload::receipt(
        ReceiptStatus::Read,
        vec![chat_e2e::payload::new_id().unwrap()],
        T0,
    )
    .unwrap();
    for env in bob.send("alice", &other, T0) {
        alice.recv("bob", &env, T0);
    }
    let (_, e) = alice.send_text("bob", "two", T0);
    assert_eq!(e.len(), 2);
}

#[test]
fn rotation_after_1000_messages() {
    let (mut alice, mut bob) = alice_and_bob();
    let mut first_key = String::new();
    for i in 1..=1000u64 {
        let (_, envs) = alice.send_text("bob", &format!("m{i}"), T0);
        let msg = envs.last().unwrap();
        assert_eq!(seq(msg), i);
        if i == 1 {
            first_key = key_id(msg);
        }
        assert_eq!(key_id(msg), first_key);
        for r in bob.recv_all("alice", &envs, T0) {
            assert!(
                !matches!(r, Received::Security(_) | Received::Pending(_)),
                "{r:?}"
            );
        }
    }
    let p = Payload::text("m1001", T0).unwrap();
    assert!(matches!(
        alice
            .engine
            .encrypt(&mut alice.store, "bob", &p, T0)
            .unwrap(),
        Outgoing::NeedsSessionKey(_)
    ));
    let envs = alice.send("bob", &p, T0);
    assert_eq!(kind(&envs[0]), "session_key");
    assert_ne!(key_id_of(&envs), first_key);
    assert_eq!(seq(envs.last().unwrap()), 1);
    let got = bob.recv_all("alice", &envs, T0);
    assert_eq!(text_of(&got[1]), "m1001");
}

#[test]
fn rotation_after_24_hours_and_when_the_clock_goes_back() {
    let (mut alice, _bob) = alice_and_bob();
    let k0 = key_id_of(&alice.send_text("bob", "a", T0).1);
    assert_eq!(
        key_id_of(&alice.send_text("bob", "b", T0 + 24 * HOUR - 1).1),
        k0
    );
    let k1 = key_id_of(&alice.send_text("bob", "c", T0 + 24 * HOUR).1);
    assert_ne!(k1, k0);
    let k2 = key_id_of(&alice.send_text("bob", "d", T0 + 24 * HOUR - 10).1);
    assert_ne!(k2, k1, "a key from the future is replaced");
}

#[test]
fn split_api_runs_rsa_on_another_thread() {
    let (mut alice, mut bob) = alice_and_bob();
    let p = Payload::text("threads", T0).unwrap();
    let Outgoing::NeedsSessionKey(job) = alice
        .engine
        .encrypt(&mut alice.store, "bob", &p, T0)
        .unwrap()
    else {
        panic!("a fresh peer needs a key")
    };
    assert_eq!(job.peer(), "bob");
    let fresh = std::thread::spawn(move || job.run())
        .join()
        .unwrap()
        .unwrap();
    assert!(
        alice
            .engine
            .install_sending_key(&mut alice.store, fresh, T0)
            .unwrap()
    );
    let Outgoing::Ready(envs) = alice
        .engine
        .encrypt(&mut alice.store, "bob", &p, T0)
        .unwrap()
    else {
        panic!("the installed key is used")
    };
    let envs: Vec<_> = envs.iter().map(chat_e2e::Envelope::to_json).collect();

    let Received::NeedsPrivateKey(job) = bob
        .engine
        .receive(&mut bob.store, "alice", &envs[0], T0)
        .unwrap()
    else {
        panic!("a new session key needs the private key")
    };
    let unwrapped = std::thread::spawn(move || job.run()).join().unwrap();
    assert!(matches!(
        bob.engine
            .finish_session_key(&mut bob.store, unwrapped, T0)
            .unwrap(),
        Received::SessionKey { .. }
    ));
    assert_eq!(text_of(&bob.recv("alice", &envs[1], T0)), "threads");
}

#[test]
fn a_second_concurrent_key_is_not_installed_over_a_fresh_one() {
    let (mut alice, _bob) = alice_and_bob();
    let p = Payload::text("x", T0).unwrap();
    let job = |a: &mut Peer| match a.engine.encrypt(&mut a.store, "bob", &p, T0).unwrap() {
        Outgoing::NeedsSessionKey(job) => job,
        Outgoing::Ready(_) => panic!("no key yet"),
    };
    let (j1, j2) = (job(&mut alice), job(&mut alice));
    assert!(
        alice
            .engine
            .install_sending_key(&mut alice.store, j1.run().unwrap(), T0)
            .unwrap()
    );
    assert!(
        !alice
            .engine
            .install_sending_key(&mut alice.store, j2.run().unwrap(), T0)
            .unwrap()
    );
}

#[test]
fn replays_are_dropped_in_and_out_of_order() {
    let (mut alice, mut bob) = alice_and_bob();
    let mut msgs = Vec::new();
    for i in 1..=5 {
        let envs = alice.send_text("bob", &format!("m{i}"), T0).1;
        if i == 1 {
            assert!(matches!(
                bob.recv("alice", &envs[0], T0),
                Received::SessionKey { .. }
            ));
        }
        msgs.push(envs.last().unwrap().clone());
    }
    // In order, then the same again.
    assert_eq!(text_of(&bob.recv("alice", &msgs[0], T0)), "m1");
    assert!(matches!(
        bob.recv("alice", &msgs[0], T0),
        Received::Duplicate
    ));
    // Out of order: 4, 2 arrive before 3; redeliveries of each are dropped.
    for i in [3, 1] {
        assert_eq!(
            text_of(&bob.recv("alice", &msgs[i], T0)),
            format!("m{}", i + 1)
        );
    }
    for i in [3, 1, 0] {
        assert!(matches!(
            bob.recv("alice", &msgs[i], T0),
            Received::Duplicate
        ));
    }
    for i in [2, 4] {
        assert_eq!(
            text_of(&bob.recv("alice", &msgs[i], T0)),
            format!("m{}", i + 1)
        );
    }
    for m in &msgs {
        assert!(matches!(bob.recv("alice", m, T0), Received::Duplicate));
    }
}

#[test]
fn replay_state_survives_a_restart() {
    let (mut alice, mut bob) = alice_and_bob();
    let envs = alice.send_text("bob", "once", T0).1;
    bob.recv_all("alice", &envs, T0);
    // A new engine over the same (persisted) state.
    let mut restarted = Peer {
        engine: Engine::new("bob", identity("bob")),
        store: bob.store.clone(),
    };
    assert!(matches!(
        restarted.recv("alice", &envs[0], T0),
        Received::Duplicate
    ));
    assert!(matches!(
        restarted.recv("alice", &envs[1], T0),
        Received::Duplicate
    ));
    let next = alice.send_text("bob", "twice", T0).1;
    assert_eq!(
        text_of(&restarted.recv("alice", next.last().unwrap(), T0)),
        "twice"
    );
}

#[test]
fn a_tampered_copy_of_an_accepted_message_is_a_security_event() {
    let (mut alice, mut bob) = alice_and_bob();
    let envs = alice.send_text("bob", "x", T0).1;
    bob.recv_all("alice", &envs, T0);
    let mut forged = envs[1].clone();
    forged.insert("ct".into(), Value::from("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"));
    assert!(matches!(
        bob.recv("alice", &forged, T0),
        Received::Security(SecurityReason::BadTag)
    ));
}

#[test]
fn message_before_its_session_key_is_pending_then_opens() {
    let (mut alice, mut bob) = alice_and_bob();
    let envs = alice.send_text("bob", "early", T0).1;
    let held = match bob.recv("alice", &envs[1], T0) {
        Received::Pending(p) => p,
        other => panic!("{other:?}"),
    };
    assert_eq!(held.reason, PendingReason::UnknownKey);
    assert_eq!(held.key_id, key_id(&envs[1]));
    match bob.recv("alice", &envs[0], T0) {
        Received::SessionKey { key_id } => assert_eq!(key_id, held.key_id),
        other => panic!("{other:?}"),
    }
    assert_eq!(text_of(&bob.recv("alice", &envs[1], T0)), "early");
}

#[test]
fn an_unknown_sender_is_pending_until_its_key_is_pinned() {
    let (mut alice, _) = alice_and_bob();
    let mut bob = Peer::new("bob", identity("bob"));
    let envs = alice.send_text("bob", "hi", T0).1;
    for env in &envs {
        assert!(matches!(
            bob.recv("alice", env, T0),
            Received::Pending(p) if p.reason == PendingReason::UnknownPeer
        ));
    }
    bob.pin(&alice);
    let got = bob.recv_all("alice", &envs, T0);
    assert_eq!(text_of(&got[1]), "hi");
    assert!(matches!(
        bob.engine.encrypt(&mut bob.store, "carol", &Payload::text("x", T0).unwrap(), T0),
        Err(E2eError::UnknownPeer(u)) if u == "carol"
    ));
}

#[test]
fn an_envelope_for_alice_fails_cleanly_at_carol() {
    let (mut bob, mut alice) = {
        let (a, b) = alice_and_bob();
        (b, a)
    };
    let mut carol = Peer::new("carol", identity("carol"));
    carol.pin(&bob);
    let envs = bob.send_text("alice", "for alice only", T0).1;
    assert!(matches!(
        carol.recv("bob", &envs[0], T0),
        Received::Security(SecurityReason::BadSignature)
    ));
    assert!(matches!(
        carol.recv("bob", &envs[1], T0),
        Received::Pending(p) if p.reason == PendingReason::UnknownKey
    ));
    // Relabelled by the server as coming from carol, whom alice pins: refused.
    alice.pin(&carol);
    assert!(matches!(
        alice.recv("carol", &envs[0], T0),
        Received::Security(SecurityReason::BadSignature)
    ));
    let got = alice.recv_all("bob", &envs, T0);
    assert_eq!(text_of(&got[1]), "for alice only");
}

#[test]
fn our_new_identity_rotates_every_sending_key() {
    let (mut alice, mut bob) = alice_and_bob();
    let old = key_id_of(&alice.send_text("bob", "old", T0).1);
    // alice's daemon now runs with a new identity key (carol's key material).
    let mut alice2 = Peer {
        engine: Engine::new("alice", identity("carol")),
        store: alice.store.clone(),
    };
    let envs = alice2.send_text("bob", "new", T0 + 1).1;
    assert_eq!(kind(&envs[0]), "session_key");
    assert_ne!(key_id_of(&envs), old);
    // bob still pins alice's old key and has not heard of the new one: a
    // session key signed by it is refused...
    assert!(matches!(
        bob.recv("alice", &envs[0], T0 + 2),
        Received::Security(SecurityReason::BadSignature)
    ));
    // ...until bob learns of the new key and trusts it. The announcement
    // is re-sent with every message until confirmed, so nothing is lost.
    let pem = alice2.engine.identity().public_pem().to_string();
    bob.engine
        .observe_key(&mut bob.store, "alice", &pem, T0 + 3)
        .unwrap();
    bob.engine.trust(&mut bob.store, "alice", T0 + 4).unwrap();
    let got = bob.recv_all("alice", &envs, T0 + 5);
    assert_eq!(text_of(&got[1]), "new");
}

#[test]
fn a_changed_peer_key_blocks_both_directions_until_trust() {
    let (mut alice, mut bob) = alice_and_bob();
    let before = alice.send_text("bob", "before", T0).1;
    bob.recv_all("alice", &before, T0);
    bob.send_text("alice", "to old alice", T0);
    let in_flight = alice.send_text("bob", "in flight", T0).1;

    // alice reinstalls with a new identity; the server reports it to bob.
    let mut alice2 = Peer {
        engine: Engine::new("alice", identity("carol")),
        store: MemoryStore::new(),
    };
    alice2.pin(&bob);
    let new_pem = alice2.engine.identity().public_pem().to_string();
    let obs = bob
        .engine
        .observe_key(&mut bob.store, "alice", &new_pem, T0 + 1)
        .unwrap();
    assert!(
        matches!(obs, KeyObservation::Changed { ref new, .. } if new == alice2.engine.identity().fingerprint())
    );
    assert_eq!(
        bob.store.pin("alice").unwrap().unwrap().state,
        PinState::Changed
    );

    // Nothing goes out...
    let p = Payload::text("blocked", T0 + 2).unwrap();
    assert!(matches!(
        bob.engine.encrypt(&mut bob.store, "alice", &p, T0 + 2),
        Err(E2eError::PeerKeyChanged(u)) if u == "alice"
    ));
    // ...and nothing new comes in: held, new key and old key alike.
    let fresh = alice2.send_text("bob", "from new alice", T0 + 3).1;
    for env in fresh.iter().chain(&in_flight[1..]) {
        assert!(matches!(
            bob.recv("alice", env, T0 + 3),
            Received::Pending(p) if p.reason == PendingReason::PeerKeyChanged
        ));
    }

    assert_eq!(
        bob.engine.trust(&mut bob.store, "alice", T0 + 4).unwrap(),
        PinState::Unverified
    );
    assert_eq!(
        bob.engine.trust(&mut bob.store, "alice", T0 + 4).unwrap(),
        PinState::Unverified
    );
    // Retried held envelopes: the new key's open; the old identity's key is retired.
    let got = bob.recv_all("alice", &fresh, T0 + 5);
    assert_eq!(text_of(&got[1]), "from new alice");
    assert!(matches!(
        bob.recv("alice", &in_flight[1], T0 + 5),
        Received::Security(SecurityReason::RetiredKey)
    ));
    // bob's sending key was rotated, to the new key.
    let envs = bob.send_text("alice", "hello new alice", T0 + 6).1;
    assert_eq!(kind(&envs[0]), "session_key");
    let got = alice2.recv_all("bob", &envs, T0 + 7);
    assert_eq!(text_of(&got[1]), "hello new alice");
}

#[test]
fn a_key_made_before_a_change_is_not_installed() {
    let (mut alice, _bob) = alice_and_bob();
    let p = Payload::text("x", T0).unwrap();
    let Outgoing::NeedsSessionKey(job) = alice
        .engine
        .encrypt(&mut alice.store, "bob", &p, T0)
        .unwrap()
    else {
        panic!()
    };
    let made = job.run().unwrap();
    let carol_pem = identity("carol").public_pem().to_string();
    alice
        .engine
        .observe_key(&mut alice.store, "bob", &carol_pem, T0)
        .unwrap();
    assert!(matches!(
        alice.engine.install_sending_key(&mut alice.store, made, T0),
        Err(E2eError::PeerKeyChanged(_))
    ));
    alice.engine.trust(&mut alice.store, "bob", T0).unwrap();
    let Outgoing::NeedsSessionKey(job) = alice
        .engine
        .encrypt(&mut alice.store, "bob", &p, T0)
        .unwrap()
    else {
        panic!()
    };
    // A key wrapped to bob's old identity is stale now.
    let Outgoing::NeedsSessionKey(old_job) = ({
        let mut other = Peer::new("alice", identity("alice"));
        other.pin(&Peer::new("bob", identity("bob")));
        other
            .engine
            .encrypt(&mut other.store, "bob", &p, T0)
            .unwrap()
    }) else {
        panic!()
    };
    assert!(
        !alice
            .engine
            .install_sending_key(&mut alice.store, old_job.run().unwrap(), T0)
            .unwrap()
    );
    assert!(
        alice
            .engine
            .install_sending_key(&mut alice.store, job.run().unwrap(), T0)
            .unwrap()
    );
}

#[test]
fn verify_matches_mismatches_and_adopts_a_changed_key() {
    let (_, mut bob) = alice_and_bob();
    let alice_fpr = identity("alice").fingerprint().to_string();
    let spaced = chat_proto::crypto::format_fingerprint(&alice_fpr);
    let wrong = identity("carol").fingerprint().to_string();
    match bob.engine.verify(&mut bob.store, "alice", &wrong, T0) {
        Err(e @ E2eError::FingerprintMismatch { .. }) => {
            let E2eError::FingerprintMismatch { user, given } = &e else {
                unreachable!()
            };
            assert_eq!((user.as_str(), given.as_str()), ("alice", wrong.as_str()));
            for shown in [e.to_string(), format!("{e:?}")] {
                assert!(
                    !shown.contains(&alice_fpr),
                    "a mismatch never carries the right fingerprint: {shown}"
                );
            }
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        bob.store.pin("alice").unwrap().unwrap().state,
        PinState::Unverified
    );
    assert!(matches!(
        bob.engine.verify(&mut bob.store, "alice", "12 34", T0),
        Err(E2eError::InvalidFingerprint)
    ));
    assert!(matches!(
        bob.engine.verify(&mut bob.store, "nobody", &alice_fpr, T0),
        Err(E2eError::UnknownPeer(_))
    ));
    assert_eq!(
        bob.engine
            .verify(&mut bob.store, "alice", &spaced, T0)
            .unwrap(),
        PinState::Verified
    );

    // A changed key: only the new fingerprint verifies, and adopts it.
    let carol_pem = identity("carol").public_pem().to_string();
    bob.engine
        .observe_key(&mut bob.store, "alice", &carol_pem, T0)
        .unwrap();
    assert!(
        bob.engine
            .verify(&mut bob.store, "alice", &alice_fpr, T0)
            .is_err()
    );
    assert_eq!(
        bob.engine
            .verify(&mut bob.store, "alice", &wrong, T0)
            .unwrap(),
        PinState::Verified
    );
    let pin = bob.store.pin("alice").unwrap().unwrap();
    assert_eq!(
        (pin.fingerprint.as_str(), pin.pending),
        (wrong.as_str(), None)
    );
}

#[test]
fn observing_keys_pins_reverts_and_refuses_weak_ones() {
    let mut bob = Peer::new("bob", identity("bob"));
    let alice_pem = identity("alice").public_pem().to_string();
    let carol_pem = identity("carol").public_pem().to_string();
    let e = &bob.engine;
    assert_eq!(
        e.observe_key(&mut bob.store, "alice", &alice_pem, T0)
            .unwrap(),
        KeyObservation::Pinned
    );
    assert_eq!(
        e.observe_key(&mut bob.store, "alice", &alice_pem, T0)
            .unwrap(),
        KeyObservation::Unchanged(PinState::Unverified)
    );
    assert!(matches!(
        e.observe_key(&mut bob.store, "alice", &carol_pem, T0)
            .unwrap(),
        KeyObservation::Changed { .. }
    ));
    assert_eq!(
        e.observe_key(&mut bob.store, "alice", &alice_pem, T0)
            .unwrap(),
        KeyObservation::Reverted
    );
    let weak =
        std::fs::read_to_string(common::repo_path("testdata/openssl/weak1024.pub.pem")).unwrap();
    assert!(matches!(
        e.observe_key(&mut bob.store, "mallory", &weak, T0),
        Err(E2eError::Crypto(chat_proto::crypto::CryptoError::WeakKey))
    ));
    assert!(bob.store.pin("mallory").unwrap().is_none());
}

#[test]
fn receiving_keys_and_their_tombstones_are_bounded() {
    let (mut alice, mut bob) = alice_and_bob();
    bob.engine = bob.engine.clone().with_config(Config {
        max_live_receiving_keys: 2,
        max_retired_keys: 3,
        ..Config::default()
    });
    let mut rounds = Vec::new();
    for i in 0..6 {
        alice.engine.rekey(&mut alice.store, "bob").unwrap();
        let envs = alice.send_text("bob", &format!("k{i}"), T0 + i).1;
        let got = bob.recv_all("alice", &envs, T0 + i);
        assert_eq!(text_of(&got[1]), format!("k{i}"));
        rounds.push(envs);
        let (live, retired) = bob.store.key_counts();
        assert!(live <= 2 && retired <= 3, "{live} live, {retired} retired");
    }
    assert_eq!(bob.store.key_counts(), (2, 3));
    // Round 3 is retired but remembered: its messages and announcement are refused.
    let late = alice.send_text("bob", "x", T0).1; // (current key, still fine)
    assert_eq!(
        text_of(bob.recv_all("alice", &late, T0).last().unwrap()),
        "x"
    );
    assert!(matches!(
        bob.recv("alice", &rounds[3][0], T0),
        Received::Duplicate
    ));
    assert!(matches!(
        bob.recv("alice", &rounds[3][1], T0),
        Received::Security(SecurityReason::RetiredKey)
    ));
    // Round 5 is live.
    assert!(matches!(
        bob.recv("alice", &rounds[5][1], T0),
        Received::Duplicate
    ));
}

#[test]
fn unknown_kinds_are_ignored_and_malformed_envelopes_reported() {
    let (_, mut bob) = alice_and_bob();
    let mut v2 = Map::new();
    v2.insert("kind".into(), "group_key".into());
    assert!(
        matches!(bob.recv("alice", &v2, T0), Received::Ignored { kind } if kind == "group_key")
    );
    let mut bad = Map::new();
    bad.insert("kind".into(), "msg".into());
    bad.insert("key_id".into(), "not-a-uuid".into());
    assert!(matches!(
        bob.recv("alice", &bad, T0),
        Received::Security(SecurityReason::MalformedEnvelope)
    ));
    assert!(matches!(
        bob.recv("alice", &Map::new(), T0),
        Received::Security(SecurityReason::MalformedEnvelope)
    ));
}

#[test]
fn the_engine_works_over_a_trait_object() {
    let (mut alice, mut bob) = alice_and_bob();
    let store: &mut dyn E2eStore = &mut alice.store;
    let p = Payload::text("dyn", T0).unwrap();
    let envs = alice.engine.encrypt_blocking(store, "bob", &p, T0).unwrap();
    assert!(store.sending_key("bob").unwrap().is_some());
    let envs: Vec<_> = envs.iter().map(chat_e2e::Envelope::to_json).collect();
    assert_eq!(text_of(&bob.recv_all("alice", &envs, T0)[1]), "dyn");
    let _: Arc<chat_e2e::IdentityKey> = Arc::clone(alice.engine.identity());
}

#[test]
fn jobs_and_the_engine_can_cross_threads() {
    fn is_send_static<T: Send + 'static>() {}
    fn is_sync<T: Sync>() {}
    is_send_static::<chat_e2e::SessionKeyJob>();
    is_send_static::<chat_e2e::UnwrapJob>();
    is_send_static::<chat_e2e::UnwrappedKey>();
    is_send_static::<chat_e2e::NewSendingKey>();
    is_send_static::<Engine>();
    is_sync::<Engine>();
}

#[test]
fn a_file_larger_than_the_receiver_takes_is_its_own_security_reason() {
    use chat_e2e::file::{BlobDigest, BlobId, FileAttachment, FileKey};
    use chat_e2e::payload::FilePayload;
    let (mut alice, mut bob) = alice_and_bob();
    let file = |size| FileAttachment {
        blob: BlobId::from_bytes([7; 16]),
        key: FileKey::from_parts([1; 32], [2; 8]),
        digest: BlobDigest::from_bytes([3; 32]),
        size,
        name: "big.iso".into(),
        mime: "application/octet-stream".into(),
        thumbnail: None,
        caption: None,
    };
    let payload = |size| {
        Payload::File(FilePayload {
            id: uuid::Uuid::from_u128(size as u128 + 1),
            ts: T0,
            file: file(size),
        })
    };
    // At the limit it is a file; one byte over, `file_too_large` (not
    // `malformed_payload`: the sender may simply allow more).
    let limit = chat_e2e::file::MAX_FILE_SIZE;
    let envs = alice.send("bob", &payload(limit), T0);
    let got = bob.recv_all("alice", &envs, T0);
    assert!(
        matches!(&got[1], Received::Message(d) if matches!(d.payload, Payload::File(_))),
        "{got:?}"
    );
    let envs = alice.send("bob", &payload(limit + 1), T0);
    assert!(matches!(
        bob.recv("alice", envs.last().unwrap(), T0),
        Received::Security(SecurityReason::FileTooLarge)
    ));
}
