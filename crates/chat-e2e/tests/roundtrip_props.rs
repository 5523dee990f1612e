//! Round-trip properties of chat-e2e's encoders, on stable: envelopes
//! through their JSON form, payloads (§2 and the group payloads of §4.1)
//! through their bytes, and messages
//! through seal/open (the receive side's decrypt path) with arbitrary keys,
//! routes and plaintexts.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use chat_e2e::envelope::{msg_aad, session_key_tbs};
use chat_e2e::group::{GroupState, MAX_VERSION, Membership, SignedGroupState, StateHash};
use chat_e2e::payload::{GroupStatePayload, GroupStateRequest, GroupText, Typing};
use chat_e2e::session::{Route, SecretKey, open_msg, seal_msg};
use chat_e2e::{Envelope, MsgEnvelope, Payload, Receipt, ReceiptStatus, SessionKeyEnvelope, Text};
use proptest::prelude::*;
use serde_json::Value;
use uuid::Uuid;

fn text() -> impl Strategy<Value = String> {
    proptest::collection::vec(any::<char>(), 0..24).prop_map(|c| c.into_iter().collect())
}

fn uuid() -> impl Strategy<Value = Uuid> {
    any::<[u8; 16]>().prop_map(Uuid::from_bytes)
}

/// Key ids as the protocol requires them: canonical lowercase uuids.
fn key_id() -> impl Strategy<Value = String> {
    uuid().prop_map(|u| u.hyphenated().to_string())
}

fn envelope() -> impl Strategy<Value = Envelope> {
    prop_oneof![
        (key_id(), text(), text()).prop_map(|(key_id, wrapped, sig)| Envelope::SessionKey(
            SessionKeyEnvelope {
                key_id,
                wrapped,
                sig
            }
        )),
        (key_id(), 1..=u64::MAX, text(), text()).prop_map(|(key_id, seq, nonce, ct)| {
            Envelope::Msg(MsgEnvelope {
                key_id,
                seq,
                nonce,
                ct,
            })
        }),
    ]
}

/// A well-formed signed state (the signature is arbitrary bytes: encoding
/// does not verify).
fn signed_state() -> impl Strategy<Value = SignedGroupState> {
    let users = proptest::collection::btree_set("[A-Za-z0-9_.-]{1,8}", 1..6);
    (
        uuid(),
        1..=MAX_VERSION,
        any::<[u8; 32]>(),
        "[^\\p{Cc}]{1,12}",
        users,
        any::<usize>(),
        "[a-z]{1,8}",
        "[0-9a-f]{64}",
        proptest::collection::vec(any::<u8>(), 0..40),
    )
        .prop_map(
            |(gid, version, prev, name, members, pick, signer, fpr, sig)| {
                let prev = (version > 1).then(|| StateHash::from_hex(&hex::encode(prev)).unwrap());
                let admin = members.iter().nth(pick % members.len()).unwrap().clone();
                let m = Membership::new(name, members, [admin]);
                let state = GroupState::from_parts(gid, version, prev, m, signer, fpr).unwrap();
                SignedGroupState::from_parts(state, sig)
            },
        )
}

/// The group payloads of §4.1.
fn group_payload() -> impl Strategy<Value = Payload> {
    let nonempty =
        proptest::collection::vec(any::<char>(), 1..24).prop_map(|c| c.into_iter().collect());
    prop_oneof![
        (uuid(), any::<i64>(), uuid(), 1..=MAX_VERSION, nonempty).prop_map(
            |(id, ts, group_id, version, text)| Payload::GroupText(GroupText {
                id,
                ts,
                group_id,
                version,
                text
            })
        ),
        (uuid(), any::<i64>(), signed_state()).prop_map(|(id, ts, s)| Payload::GroupState(
            GroupStatePayload {
                id,
                ts,
                state: Ok(s)
            }
        )),
        (uuid(), any::<i64>(), uuid(), 0..=MAX_VERSION).prop_map(|(id, ts, group_id, have)| {
            Payload::GroupStateRequest(GroupStateRequest {
                id,
                ts,
                group_id,
                have,
            })
        }),
        (uuid(), any::<i64>(), proptest::option::of(uuid()))
            .prop_map(|(id, ts, group_id)| Payload::Typing(Typing { id, ts, group_id })),
    ]
}

fn payload() -> impl Strategy<Value = Payload> {
    let status = prop_oneof![Just(ReceiptStatus::Delivered), Just(ReceiptStatus::Read)];
    prop_oneof![
        (uuid(), any::<i64>(), text()).prop_map(|(id, ts, text)| Payload::Text(Text {
            id,
            ts,
            text
        })),
        (
            uuid(),
            any::<i64>(),
            status,
            proptest::collection::vec(uuid(), 0..5)
        )
            .prop_map(|(id, ts, status, ids)| Payload::Receipt(Receipt {
                id,
                ts,
                status,
                ids
            })),
    ]
}

proptest! {
    #[test]
    fn envelopes_round_trip_through_json(e in envelope()) {
        let map = e.to_json();
        prop_assert_eq!(Envelope::from_json(&map).unwrap(), e.clone());
        // And through the text that travels inside `send` / `deliver`.
        let text = Value::Object(map).to_string();
        let Value::Object(again) = serde_json::from_str::<Value>(&text).unwrap() else {
            panic!("not an object");
        };
        prop_assert_eq!(Envelope::from_json(&again).unwrap(), e);
    }

    #[test]
    fn payloads_round_trip_through_bytes(p in payload()) {
        let bytes = p.to_bytes().unwrap();
        prop_assert_eq!(Payload::from_bytes(&bytes).unwrap(), p);
    }

    #[test]
    fn group_payloads_round_trip_through_bytes_and_any_formatting(p in group_payload()) {
        let bytes = p.to_bytes().unwrap();
        prop_assert_eq!(&Payload::from_bytes(&bytes).unwrap(), &p);
        // A pretty-printed copy with a field from a later version decodes
        // the same.
        let mut value: Value = serde_json::from_slice(&bytes).unwrap();
        value["later_field"] = Value::from(true);
        let pretty = serde_json::to_vec_pretty(&value).unwrap();
        prop_assert_eq!(Payload::from_bytes(&pretty).unwrap(), p);
    }

    #[test]
    fn messages_open_under_their_route_and_seq_only(
        key in any::<[u8; 32]>(),
        from in text(),
        to in text(),
        id in key_id(),
        seq in 1..=u64::MAX,
        plaintext in proptest::collection::vec(any::<u8>(), 0..300),
    ) {
        let key = SecretKey::from_bytes(key);
        let route = Route { from: &from, to: &to };
        let env = seal_msg(&key, route, &id, seq, &plaintext).unwrap();
        // Through the envelope's JSON form, as the recipient gets it.
        let Envelope::Msg(env) = Envelope::from_json(&Envelope::Msg(env).to_json()).unwrap() else {
            panic!("not a msg");
        };
        let opened = open_msg(&key, route, &env).unwrap();
        prop_assert_eq!(opened.as_slice(), &plaintext[..]);
        let swapped = Route { from: &to, to: &from };
        prop_assert_eq!(open_msg(&key, swapped, &env).is_ok(), from == to);
        let replayed = MsgEnvelope { seq: seq.wrapping_add(1).max(1), ..env.clone() };
        prop_assert!(open_msg(&key, route, &replayed).is_err());
    }

    #[test]
    fn bound_data_differs_whenever_a_field_does(
        a in (text(), text(), key_id(), 1..=u64::MAX),
        b in (text(), text(), key_id(), 1..=u64::MAX),
        wrapped in proptest::collection::vec(any::<u8>(), 0..64),
    ) {
        prop_assert_eq!(msg_aad(&a.0, &a.1, &a.2, a.3) == msg_aad(&b.0, &b.1, &b.2, b.3), a == b);
        let sk = |x: &(String, String, String, u64)| {
            session_key_tbs(&x.0, &x.1, "fa", "fb", &x.2, &wrapped)
        };
        let same_route = (&a.0, &a.1, &a.2) == (&b.0, &b.1, &b.2);
        prop_assert_eq!(sk(&a) == sk(&b), same_route);
    }
}
