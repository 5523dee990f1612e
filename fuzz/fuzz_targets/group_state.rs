//! Group states (PROTOCOL.md §4.2-§4.4) through the strict parser
//! (chat_e2e::group::SignedGroupState::from_json), signature verification
//! and the acceptance rules (chat_e2e::group::accept), what a member runs
//! on every `group_state` payload: any object is refused or answered
//! without panics, parsed states round-trip through their JSON form, and
//! the answers agree with the rules (a duplicate has the held hash, a join
//! or an advance keeps `me` a member, a removal does not, and only the
//! states held for another group are `WrongGroup`).
//!
//! The held states are fixed: none, and each of the six signed states of
//! testdata/groups/vectors.json's chain, for the members alice, bob, carol
//! and dave in turn. The signer's pinned key is alice's, bob's or carol's
//! test key by name (alice's for any other name).
//!
//! The first byte picks the mode: even, the rest is the state object as it
//! arrives, signature included (so mostly `group_bad_signature` once
//! mutated); odd, the rest is a state object that is re-signed first with
//! the test key it names (its `signer_fingerprint` replaced by that key's),
//! so the acceptance rules after the signature check are reached with any
//! state; with bit 1 set as well, its `prev` is also replaced by the hash
//! of the chain's state one version below, when there is one.

#![no_main]

mod common;

use std::sync::LazyLock;

use chat_e2e::group::{Accepted, GroupError, GroupState, SignedGroupState, accept};
use chat_e2e::{IdentityKey, PublicIdentity};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

const GROUPS: &str = include_str!("../../testdata/groups/vectors.json");
const E2E: &str = include_str!("../../testdata/e2e/vectors.json");

/// Who receives the candidate: members of the chain at various points,
/// including dave, who is removed and added back.
const MEMBERS: [&str; 4] = ["alice", "bob", "carol", "dave"];

struct Fixture {
    /// alice, bob and carol with their private keys.
    keys: Vec<(&'static str, IdentityKey)>,
    /// The chain's states, in order, each verified with its signer's key.
    chain: Vec<GroupState>,
}

impl Fixture {
    fn key(&self, signer: &str) -> &IdentityKey {
        let (_, key) = self
            .keys
            .iter()
            .find(|(name, _)| *name == signer)
            .unwrap_or(&self.keys[0]);
        key
    }

    fn pinned(&self, signer: &str) -> &PublicIdentity {
        self.key(signer).public()
    }
}

static FIXTURE: LazyLock<Fixture> = LazyLock::new(|| {
    let e2e: Value = serde_json::from_str(E2E).expect("e2e vectors parse");
    let keys = vec![
        (
            "alice",
            common::field(&["keys", "alice", "private_pkcs8_pem"]),
        ),
        ("bob", common::field(&["keys", "bob", "private_pkcs8_pem"])),
        (
            "carol",
            e2e["keys"]["carol"]["private_pkcs8_pem"]
                .as_str()
                .expect("carol's key")
                .to_string(),
        ),
    ];
    let keys: Vec<(&'static str, IdentityKey)> = keys
        .into_iter()
        .map(|(name, pem)| (name, IdentityKey::from_pem(&pem).expect("test key")))
        .collect();
    let groups: Value = serde_json::from_str(GROUPS).expect("group vectors parse");
    let mut fixture = Fixture {
        keys,
        chain: Vec::new(),
    };
    for step in groups["chain"].as_array().expect("chain") {
        let signed = SignedGroupState::from_json(step["state"].as_object().expect("state object"))
            .expect("a chain state parses");
        signed
            .verify(fixture.pinned(signed.state().signer()))
            .expect("a chain state verifies");
        fixture.chain.push(signed.state().clone());
    }
    fixture
});

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let Ok(Value::Object(map)) = serde_json::from_slice::<Value>(rest) else {
        return;
    };
    let Ok(parsed) = SignedGroupState::from_json(&map) else {
        return;
    };
    // The strict parser accepts one JSON form per state: ours.
    assert_eq!(
        SignedGroupState::from_json(&parsed.to_json()).as_ref(),
        Ok(&parsed),
        "a parsed state round-trips"
    );
    let f = &*FIXTURE;
    let candidate = if mode % 2 == 0 {
        parsed
    } else {
        resign(f, parsed.state(), mode & 2 != 0)
    };
    check(f, &candidate);
});

/// The same state signed by the test key its signer names, optionally
/// chained to the vectors' state one version below.
fn resign(f: &Fixture, s: &GroupState, rechain: bool) -> SignedGroupState {
    let key = f.key(s.signer());
    let mut prev = s.prev();
    if rechain && let Some(below) = f.chain.iter().find(|h| h.version() + 1 == s.version()) {
        prev = Some(below.hash());
    }
    let state = GroupState::from_parts(
        s.group_id(),
        s.version(),
        prev,
        s.membership().clone(),
        s.signer().to_string(),
        key.fingerprint().to_string(),
    )
    .expect("a parsed state with another valid fingerprint is valid");
    let signed = SignedGroupState::sign(state, key).expect("signs");
    signed
        .verify(key.public())
        .expect("verifies with the key that signed it");
    signed
}

/// §4.4 for every held state and member. The signature check does not
/// depend on either, so a candidate that fails it is tried twice only.
fn check(f: &Fixture, candidate: &SignedGroupState) {
    let s = candidate.state();
    let pinned = f.pinned(s.signer());
    let helds = std::iter::once(None).chain(f.chain.iter().map(Some));
    if candidate.verify(pinned).is_err() {
        for held in [None, f.chain.last()] {
            let got = accept(held, candidate, pinned, "bob").expect_err("bad signature");
            if held.is_some_and(|h| h.group_id() != s.group_id()) {
                assert_eq!(got, GroupError::WrongGroup);
            } else {
                assert!(matches!(got, GroupError::BadSignature { .. }), "{got:?}");
            }
        }
        return;
    }
    for held in helds {
        for me in MEMBERS {
            let got = accept(held, candidate, pinned, me);
            let other_group = held.is_some_and(|h| h.group_id() != s.group_id());
            match got {
                Ok(Accepted::Duplicate) => {
                    let h = held.expect("a duplicate of a state held");
                    assert_eq!((h.version(), h.hash()), (s.version(), s.hash()));
                }
                Ok(Accepted::Joined | Accepted::Advanced) => assert!(s.is_member(me)),
                Ok(Accepted::Removed) => {
                    assert!(!s.is_member(me) && held.is_some_and(|h| h.is_member(me)))
                }
                Err(GroupError::WrongGroup) => assert!(other_group),
                Err(e) => {
                    assert!(!other_group, "{e:?}");
                    assert!(e.reason().is_some(), "{e:?} has a security reason");
                    assert!(
                        !matches!(
                            e,
                            GroupError::BadSignature { .. }
                                | GroupError::Malformed(_)
                                | GroupError::TooManyMembers { .. }
                                | GroupError::CannotSign(_)
                        ),
                        "{e:?} after parsing and verifying"
                    );
                }
            }
        }
    }
}
