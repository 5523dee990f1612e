//! Known answers of this crate's own, made with Python `cryptography` by
//! testdata/e2e/gen.py: a later part of a key's sequence, receipts, an
//! unknown payload type, the reverse direction, and refusals with reasons.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use chat_e2e::envelope::{msg_aad, session_key_tbs};
use chat_e2e::session::{Route, open_msg, open_session_key};
use chat_e2e::{Envelope, Payload, PublicIdentity, ReceiptStatus, Received, SecurityReason};
use chat_proto::encoding::b64_decode;
use common::{Peer, T0, e2e, identity, obj, s};
use serde_json::Value;

fn peer_pinning(name: &str, other: &str, v: &Value) -> Peer {
    let mut peer = Peer::new(name, identity(name));
    let pem = s(&v["keys"][other], "public_pem");
    peer.engine
        .observe_key(&mut peer.store, other, pem, T0)
        .unwrap();
    peer
}

/// Opens one direction with the low-level functions (exact bytes) and
/// through the engine; returns the engine outcomes of the messages.
fn open_direction(v: &Value, dir: &str) -> Vec<Received> {
    let d = &v[dir];
    let (from, to) = (s(d, "from"), s(d, "to"));
    let route = Route { from, to };
    let sender = PublicIdentity::from_pem(s(&v["keys"][from], "public_pem")).unwrap();
    let recipient = identity(to);
    assert_eq!(sender.fingerprint(), s(&v["keys"][from], "fingerprint"));

    let Ok(Envelope::SessionKey(sk)) = Envelope::from_json(&obj(&d["session_key_envelope"])) else {
        panic!("{dir}: session key does not parse")
    };
    let wrapped = b64_decode(&sk.wrapped, "wrapped").unwrap();
    let signed = session_key_tbs(
        from,
        to,
        sender.fingerprint(),
        recipient.fingerprint(),
        &sk.key_id,
        &wrapped,
    );
    assert_eq!(hex::encode(signed), s(d, "signed_bytes_hex"));
    let key = open_session_key(&recipient, &sender, route, &sk).unwrap();
    assert_eq!(hex::encode(key.expose()), s(d, "session_key_hex"));

    for m in d["messages"].as_array().unwrap() {
        let Ok(Envelope::Msg(msg)) = Envelope::from_json(&obj(&m["envelope"])) else {
            panic!("{dir}: msg does not parse")
        };
        assert_eq!(
            hex::encode(msg_aad(from, to, &msg.key_id, msg.seq)),
            s(m, "aad_hex")
        );
        assert_eq!(
            open_msg(&key, route, &msg).unwrap().as_slice(),
            s(m, "plaintext").as_bytes()
        );
    }

    let mut engine = peer_pinning(to, from, v);
    assert!(matches!(
        engine.recv(from, &obj(&d["session_key_envelope"]), T0),
        Received::SessionKey { .. }
    ));
    d["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| engine.recv(from, &obj(&m["envelope"]), T0))
        .collect()
}

fn payload(r: &Received) -> &Payload {
    match r {
        Received::Message(d) => &d.payload,
        other => panic!("not a message: {other:?}"),
    }
}

#[test]
fn carol_key_matches_its_fingerprint() {
    let v = e2e();
    for name in ["alice", "bob", "carol"] {
        assert_eq!(
            identity(name).fingerprint(),
            s(&v["keys"][name], "fingerprint")
        );
    }
}

#[test]
fn alice_to_bob_from_seq_2_with_an_unknown_type() {
    let v = e2e();
    let got = open_direction(&v, "alice_to_bob");
    let seqs: Vec<u64> = got
        .iter()
        .map(|r| match r {
            Received::Message(d) => d.seq,
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(seqs, [2, 3, 4]);
    let Payload::Text(t) = payload(&got[0]) else {
        panic!("not text")
    };
    assert_eq!(t.text, "second \u{e9} \u{2713} \"quoted\"");
    let Payload::Text(t) = payload(&got[1]) else {
        panic!("not text")
    };
    assert_eq!(t.text, "third\nline");
    assert_eq!(
        payload(&got[2]),
        &Payload::Unknown {
            kind: "sticker".into()
        }
    );
}

#[test]
fn bob_to_alice_with_receipts() {
    let v = e2e();
    let got = open_direction(&v, "bob_to_alice");
    let Payload::Text(t) = payload(&got[0]) else {
        panic!("not text")
    };
    assert_eq!(t.text, "hi alice");
    let sent_ids: Vec<String> = v["alice_to_bob"]["messages"]
        .as_array()
        .unwrap()
        .iter()
        .take(2)
        .map(|m| {
            let p: Value = serde_json::from_str(s(m, "plaintext")).unwrap();
            s(&p, "id").to_string()
        })
        .collect();
    let Payload::Receipt(r) = payload(&got[1]) else {
        panic!("not a receipt")
    };
    assert_eq!(r.status, ReceiptStatus::Delivered);
    assert_eq!(
        r.ids.iter().map(|i| i.to_string()).collect::<Vec<_>>(),
        sent_ids
    );
    let Payload::Receipt(r) = payload(&got[2]) else {
        panic!("not a receipt")
    };
    assert_eq!((r.status, r.ids.len()), (ReceiptStatus::Read, 1));
}

#[test]
fn negative_cases_are_refused_for_their_reasons() {
    let v = e2e();
    let cases = v["negative"]["cases"].as_array().unwrap();
    assert!(cases.len() >= 10);
    for case in cases {
        let name = s(case, "name");
        let mut bob = peer_pinning("bob", "alice", &v);
        if case["needs_key"].as_bool().unwrap_or(false) {
            let sk = obj(&v["alice_to_bob"]["session_key_envelope"]);
            assert!(matches!(
                bob.recv("alice", &sk, T0),
                Received::SessionKey { .. }
            ));
        }
        let want: SecurityReason = serde_json::from_value(case["reason"].clone())
            .unwrap_or_else(|_| panic!("{name}: reason"));
        match bob.recv("alice", &obj(&case["envelope"]), T0) {
            Received::Security(got) => assert_eq!(got, want, "{name}"),
            other => panic!("{name} was not refused: {other:?}"),
        }
        assert_eq!(want.as_str(), s(case, "reason"));
    }
}
