//! Group states (PROTOCOL.md §4) against the known answers that
//! testdata/groups/gen.py made with Python `cryptography`: exact
//! state_bytes and hashes, Python's signatures verified here, and every
//! acceptance case (joins, advances, removals, and each refusal with its
//! reason) answered as the independent implementation answered it.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use chat_e2e::PublicIdentity;
use chat_e2e::group::{GroupState, SignedGroupState};
use common::{group_outcome, groups, obj, s};
use serde_json::Value;

fn signer_key(v: &Value, state: &GroupState) -> PublicIdentity {
    PublicIdentity::from_pem(s(&v["keys"][state.signer()], "public_pem")).unwrap()
}

#[test]
fn the_chain_encodes_hashes_and_verifies_exactly() {
    let v = groups();
    let chain = v["chain"].as_array().unwrap();
    assert_eq!(chain.len(), 6);
    let mut prev: Option<GroupState> = None;
    for e in chain {
        let step = s(e, "step");
        let signed = SignedGroupState::from_json(&obj(&e["state"])).unwrap();
        let state = signed.state();
        assert_eq!(
            hex::encode(state.to_bytes()),
            s(e, "state_bytes_hex"),
            "{step}"
        );
        assert_eq!(state.hash().to_hex(), s(e, "state_hash"), "{step}");
        let key = signer_key(&v, state);
        assert_eq!(
            key.fingerprint(),
            s(&v["keys"][state.signer()], "fingerprint")
        );
        signed.verify(&key).unwrap();
        // Our JSON form of it is the one Python wrote (same fields, values).
        assert_eq!(Value::Object(signed.to_json()), e["state"], "{step}");
        if let Some(p) = &prev {
            assert_eq!(state.prev(), Some(p.hash()), "{step}");
            assert_eq!(state.version(), p.version() + 1, "{step}");
        }
        prev = Some(state.clone());
    }
}

#[test]
fn every_case_is_answered_as_the_vectors_say() {
    let v = groups();
    let cases = v["cases"].as_array().unwrap();
    let mut refusals = std::collections::BTreeSet::new();
    for c in cases {
        let expect = s(c, "expect");
        let got = group_outcome(&v["keys"], &c["held"], &c["state"], s(c, "me"));
        assert_eq!(got, expect, "case: {}", s(c, "name"));
        if expect.starts_with("group_") {
            refusals.insert(expect.to_string());
        }
    }
    // Every refusal of §4.4 that a received state can earn is covered.
    let all = [
        "group_bad_signature",
        "group_broken_chain",
        "group_conflict",
        "group_malformed",
        "group_not_admin",
        "group_not_member",
        "group_stale",
        "group_too_large",
        "group_version_gap",
    ];
    assert_eq!(refusals, all.iter().map(|r| r.to_string()).collect());
}
