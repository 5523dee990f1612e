//! Known answers from the protocol's shared vectors (testdata/vectors/v1.json,
//! made with Python/OpenSSL): our code must open them byte for byte and
//! refuse each negative case for the right reason.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use chat_e2e::envelope::{msg_aad, session_key_tbs};
use chat_e2e::session::{Route, open_msg, unwrap_session_key, verify_session_key};
use chat_e2e::{Envelope, Payload, PublicIdentity, Received, SecurityReason};
use chat_proto::encoding::b64_decode;
use common::{Peer, T0, identity, obj, s, v1};

fn session_parts(v: &serde_json::Value) -> (chat_e2e::SessionKeyEnvelope, chat_e2e::MsgEnvelope) {
    let session = &v["session"];
    let Ok(Envelope::SessionKey(sk)) = Envelope::from_json(&obj(&session["session_key_envelope"]))
    else {
        panic!("session_key envelope does not parse")
    };
    let Ok(Envelope::Msg(msg)) = Envelope::from_json(&obj(&session["msg_envelope"])) else {
        panic!("msg envelope does not parse")
    };
    (sk, msg)
}

#[test]
fn fingerprints_of_the_vector_keys() {
    let v = v1();
    for name in ["alice", "bob"] {
        let public = PublicIdentity::from_pem(s(&v["keys"][name], "public_pem")).unwrap();
        assert_eq!(public.fingerprint(), s(&v["keys"][name], "fingerprint"));
        assert_eq!(identity(name).fingerprint(), public.fingerprint());
    }
}

#[test]
fn session_vector_opens_byte_for_byte() {
    let v = v1();
    let session = &v["session"];
    let (from, to) = (s(session, "from"), s(session, "to"));
    let alice = PublicIdentity::from_pem(s(&v["keys"]["alice"], "public_pem")).unwrap();
    let bob = identity("bob");
    let (sk, msg) = session_parts(&v);
    let route = Route { from, to };

    let wrapped = verify_session_key(&alice, bob.fingerprint(), route, &sk).unwrap();
    assert_eq!(wrapped, b64_decode(&sk.wrapped, "wrapped").unwrap());
    let signed = session_key_tbs(
        from,
        to,
        alice.fingerprint(),
        bob.fingerprint(),
        &sk.key_id,
        &wrapped,
    );
    assert_eq!(hex::encode(signed), s(session, "signed_bytes_hex"));

    let key = unwrap_session_key(&bob, &wrapped).unwrap();
    assert_eq!(hex::encode(key.expose()), s(session, "session_key_hex"));

    assert_eq!(
        hex::encode(msg_aad(from, to, &msg.key_id, msg.seq)),
        s(session, "msg_aad_hex")
    );
    let plaintext = open_msg(&key, route, &msg).unwrap();
    assert_eq!(plaintext.as_slice(), s(session, "msg_plaintext").as_bytes());
}

/// bob's engine with alice pinned, after accepting the vector session key.
fn bob_with_session(v: &serde_json::Value) -> Peer {
    let mut bob = Peer::new("bob", identity("bob"));
    let alice_pem = s(&v["keys"]["alice"], "public_pem");
    bob.engine
        .observe_key(&mut bob.store, "alice", alice_pem, T0)
        .unwrap();
    let key_id = s(&v["session"]["session_key_envelope"], "key_id").to_string();
    match bob.recv("alice", &obj(&v["session"]["session_key_envelope"]), T0) {
        Received::SessionKey { key_id: got } => assert_eq!(got, key_id),
        other => panic!("session key refused: {other:?}"),
    }
    bob
}

#[test]
fn session_vector_through_the_engine() {
    let v = v1();
    let mut bob = bob_with_session(&v);
    let expected = Payload::from_bytes(s(&v["session"], "msg_plaintext").as_bytes()).unwrap();
    match bob.recv("alice", &obj(&v["session"]["msg_envelope"]), T0) {
        Received::Message(d) => {
            assert_eq!(d.seq, 1);
            assert_eq!(d.payload, expected);
            let Payload::Text(text) = d.payload else {
                panic!("not text")
            };
            assert_eq!(text.text, "hello bob \u{2713}");
            assert_eq!(text.id.to_string(), "6c5d130e-8708-4887-80c3-5c82d334a3e7");
            assert_eq!(text.ts, 1_764_100_000_000);
        }
        other => panic!("msg refused: {other:?}"),
    }
    // Redelivery of the same pair: both duplicates, no RSA needed.
    assert!(matches!(
        bob.recv("alice", &obj(&v["session"]["session_key_envelope"]), T0),
        Received::Duplicate
    ));
    assert!(matches!(
        bob.recv("alice", &obj(&v["session"]["msg_envelope"]), T0),
        Received::Duplicate
    ));
}

#[test]
fn every_negative_vector_is_refused_for_its_reason() {
    let v = v1();
    let negative = &v["negative"];
    let expected = [
        ("msg_tag_flipped", SecurityReason::BadTag),
        (
            "session_key_signed_by_other_key",
            SecurityReason::BadSignature,
        ),
        ("msg_wrong_seq_in_aad", SecurityReason::BadTag),
    ];
    let names: Vec<&String> = negative
        .as_object()
        .unwrap()
        .keys()
        .filter(|k| *k != "note")
        .collect();
    assert_eq!(
        names.len(),
        expected.len(),
        "a negative vector is not covered"
    );
    for (name, reason) in expected {
        // Before and after the authentic message was accepted: a tampered
        // copy is never taken for a duplicate.
        for accept_first in [false, true] {
            let mut bob = bob_with_session(&v);
            if accept_first {
                let good = bob.recv("alice", &obj(&v["session"]["msg_envelope"]), T0);
                assert!(matches!(good, Received::Message(_)));
            }
            match bob.recv("alice", &obj(&negative[name]), T0) {
                Received::Security(got) => assert_eq!(got, reason, "{name}"),
                other => panic!("{name} was not refused: {other:?}"),
            }
        }
    }
    // Refusals leave the replay state alone: the real seq 1 still decrypts.
    let mut bob = bob_with_session(&v);
    for name in ["msg_tag_flipped", "msg_wrong_seq_in_aad"] {
        bob.recv("alice", &obj(&negative[name]), T0);
    }
    assert!(matches!(
        bob.recv("alice", &obj(&v["session"]["msg_envelope"]), T0),
        Received::Message(_)
    ));
}
