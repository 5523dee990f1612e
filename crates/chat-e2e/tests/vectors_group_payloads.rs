//! The group payloads of PROTOCOL.md §4.1 against the plaintexts that
//! testdata/groups/payloads.py wrote from the specification alone: each
//! decodes and encodes back to Python's exact bytes, other spellings of
//! them decode to the same payload, and each refused one names its field.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeMap;

use chat_e2e::group::SignedGroupState;
use chat_e2e::{Payload, PayloadError};
use common::{group_payloads, groups, obj, s};
use serde_json::Value;

fn entries<'a>(v: &'a Value, section: &str) -> &'a [Value] {
    v[section].as_array().unwrap()
}

#[test]
fn python_plaintexts_decode_and_encode_back_to_the_same_bytes() {
    let v = group_payloads();
    let mut kinds = std::collections::BTreeSet::new();
    for e in entries(&v, "encoded") {
        let (name, plaintext) = (s(e, "name"), s(e, "plaintext"));
        let p = Payload::from_bytes(plaintext.as_bytes()).unwrap();
        kinds.insert(p.kind().to_string());
        assert_eq!(p.to_bytes().unwrap(), plaintext.as_bytes(), "{name}");
    }
    assert_eq!(
        kinds.into_iter().collect::<Vec<_>>(),
        ["group_state", "group_state_request", "group_text", "typing"]
    );
}

#[test]
fn the_state_inside_is_the_chain_s_first_and_still_verifies_as_such() {
    let v = group_payloads();
    let e = entries(&v, "encoded")
        .iter()
        .find(|e| s(e, "name") == "group_state")
        .unwrap();
    let Payload::GroupState(g) = Payload::from_bytes(s(e, "plaintext").as_bytes()).unwrap() else {
        panic!("not a group_state")
    };
    let first = SignedGroupState::from_json(&obj(&groups()["chain"][0]["state"])).unwrap();
    assert_eq!(g.state, Ok(first));
}

#[test]
fn other_spellings_decode_to_the_same_payloads() {
    let v = group_payloads();
    let by_name: BTreeMap<&str, Payload> = entries(&v, "encoded")
        .iter()
        .map(|e| {
            let p = Payload::from_bytes(s(e, "plaintext").as_bytes()).unwrap();
            (s(e, "name"), p)
        })
        .collect();
    let lenient = entries(&v, "lenient");
    assert_eq!(lenient.len(), by_name.len());
    for e in lenient {
        let got = Payload::from_bytes(s(e, "plaintext").as_bytes()).unwrap();
        assert_eq!(&got, &by_name[s(e, "same_as")], "{}", s(e, "name"));
    }
}

#[test]
fn refused_plaintexts_name_the_field_at_fault() {
    let v = group_payloads();
    let refused = entries(&v, "refused");
    assert!(refused.len() >= 10);
    for e in refused {
        let field = s(e, "field");
        let got = Payload::from_bytes(s(e, "plaintext").as_bytes());
        assert!(
            matches!(&got, Err(PayloadError::BadField(f)) if *f == field),
            "{}: {got:?}",
            s(e, "name")
        );
    }
}
