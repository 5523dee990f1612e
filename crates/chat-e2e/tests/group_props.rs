//! Properties of group states (PROTOCOL.md §4) with real keys: every
//! chain of valid changes is accepted step by step by a member watching
//! it; no change to a signed state survives verification; and the
//! canonical encoding tells apart every two states that differ.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeSet;
use std::sync::{Arc, OnceLock};

use chat_e2e::group::{
    Accepted, GroupError, GroupState, Membership, SignedGroupState, StateHash, accept,
};
use chat_e2e::{IdentityKey, PublicIdentity};
use common::identity;
use proptest::prelude::*;
use uuid::Uuid;

/// The users with keys: only they sign. Loaded once for all cases.
fn keys() -> &'static [(&'static str, Arc<IdentityKey>)] {
    static KEYS: OnceLock<Vec<(&'static str, Arc<IdentityKey>)>> = OnceLock::new();
    KEYS.get_or_init(|| {
        ["alice", "bob", "carol"]
            .into_iter()
            .map(|n| (n, identity(n)))
            .collect()
    })
}

fn key(name: &str) -> &'static IdentityKey {
    &keys().iter().find(|(n, _)| *n == name).unwrap().1
}

fn public(name: &str) -> PublicIdentity {
    key(name).public().clone()
}

/// A member who never signs and is never removed: the one who checks.
const WATCHER: &str = "watcher";

/// One change to a group, drawn before we know the group it applies to;
/// the indexes pick among whoever qualifies at that point.
#[derive(Debug, Clone)]
enum Op {
    Add(String),
    Remove(usize),
    MakeAdmin(usize),
    Rename(String),
    Leave(usize),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        "[a-z]{1,6}".prop_map(Op::Add),
        Just(Op::Add("carol".into())),
        Just(Op::Add("bob".into())),
        any::<usize>().prop_map(Op::Remove),
        any::<usize>().prop_map(Op::MakeAdmin),
        "[ -~]{1,20}".prop_map(Op::Rename),
        any::<usize>().prop_map(Op::Leave),
    ]
}

fn pick<'a>(set: impl Iterator<Item = &'a String>, i: usize) -> Option<String> {
    let v: Vec<&String> = set.collect();
    (!v.is_empty()).then(|| v[i % v.len()].clone())
}

fn keyed(user: &str) -> bool {
    keys().iter().any(|(n, _)| *n == user)
}

/// Applies `op` to `cur` as a member entitled to it would; `None` when it
/// does not apply (nobody qualifies).
fn next(cur: &GroupState, op: &Op, admin_pick: usize) -> Option<SignedGroupState> {
    let mut m = cur.membership().clone();
    let admin = pick(cur.admins().iter().filter(|a| keyed(a)), admin_pick)?;
    let signer = match op {
        Op::Add(u) => {
            m.add(u);
            admin
        }
        Op::Remove(i) => {
            let u = pick(cur.members().iter().filter(|u| *u != WATCHER), *i)?;
            m.remove(&u);
            admin
        }
        Op::MakeAdmin(i) => {
            let u = pick(cur.members().iter().filter(|u| keyed(u)), *i)?;
            m.make_admin(&u);
            admin
        }
        Op::Rename(name) => {
            m.name = name.clone();
            admin
        }
        Op::Leave(i) => {
            let u = pick(cur.members().iter().filter(|u| keyed(u)), *i)?;
            m.remove(&u);
            u
        }
    };
    // Invalid results (the last admin leaving, over 256) are not made.
    let state = cur.successor(m, &signer, key(&signer).fingerprint()).ok()?;
    Some(SignedGroupState::sign(state, key(&signer)).unwrap())
}

fn genesis() -> SignedGroupState {
    let m = Membership::new("props", ["alice", "bob", WATCHER], ["alice"]);
    let s =
        GroupState::genesis(Uuid::from_u128(42), m, "alice", key("alice").fingerprint()).unwrap();
    SignedGroupState::sign(s, key("alice")).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// A chain of valid changes is accepted by a member at every step,
    /// and anyone the step removed learns it.
    #[test]
    fn any_valid_chain_is_accepted(ops in proptest::collection::vec((op(), any::<usize>()), 1..8)) {
        let first = genesis();
        prop_assert_eq!(
            accept(None, &first, &public("alice"), WATCHER),
            Ok(Accepted::Joined)
        );
        let mut held = first.state().clone();
        for (op, who) in ops {
            let Some(s) = next(&held, &op, who) else { continue };
            let signer = public(s.state().signer());
            prop_assert_eq!(accept(Some(&held), &s, &signer, WATCHER), Ok(Accepted::Advanced));
            for gone in held.members().difference(s.state().members()) {
                prop_assert_eq!(accept(Some(&held), &s, &signer, gone), Ok(Accepted::Removed));
            }
            // Received again once held, it changes nothing.
            prop_assert_eq!(
                accept(Some(s.state()), &s, &signer, WATCHER),
                Ok(Accepted::Duplicate)
            );
            held = s.state().clone();
        }
    }

    /// Changing any field of a signed state, or one bit of its signature,
    /// makes it fail: either it is no longer a valid state or it no longer
    /// verifies.
    #[test]
    fn any_change_to_a_signed_state_fails(field in 0usize..9, bit in 0usize..2048, word in "[a-z]{1,8}") {
        let signed = genesis();
        let s = signed.state();
        let mut json = signed.to_json();
        let mut members: Vec<String> = s.members().iter().cloned().collect();
        match field {
            0 => { json.insert("name".into(), format!("{}{word}", s.name()).into()); }
            1 => { members.push(format!("zz{word}")); json.insert("members".into(), members.into()); }
            2 => { members.retain(|m| m != "bob"); json.insert("members".into(), members.into()); }
            3 => { json.insert("admins".into(), vec!["alice", "bob"].into()); }
            4 => { json.insert("version".into(), 2.into()); json.insert("prev".into(), s.hash().to_hex().into()); }
            5 => { json.insert("group_id".into(), Uuid::from_u128(43).hyphenated().to_string().into()); }
            6 => { json.insert("signer".into(), "bob".into()); }
            7 => { json.insert("signer_fingerprint".into(), key("bob").fingerprint().into()); }
            _ => {
                let mut sig = signed.sig().to_vec();
                sig[bit / 8] ^= 1 << (bit % 8);
                json.insert("sig".into(), chat_proto::encoding::b64_encode(&sig).into());
            }
        }
        let Ok(changed) = SignedGroupState::from_json(&json) else { return Ok(()) };
        prop_assert_ne!(&changed, &signed);
        // Checked with alice's key and with the key of whoever it now names.
        for signer in ["alice", changed.state().signer()] {
            let r = changed.verify(&public(signer));
            prop_assert!(
                matches!(r, Err(GroupError::BadSignature { .. })),
                "field {} verified with {}'s key", field, signer
            );
        }
    }

    /// Two states have the same bytes exactly when they are the same
    /// state (small alphabets make near-collisions likely).
    #[test]
    fn the_encoding_is_injective(a in small_state(), b in small_state()) {
        prop_assert_eq!(a == b, a.to_bytes() == b.to_bytes());
        prop_assert_eq!(a == b, a.hash() == b.hash());
    }

    /// The JSON form parses back to the same state, and only valid
    /// states come out of parsing.
    #[test]
    fn json_round_trips(a in small_state(), sig in proptest::collection::vec(any::<u8>(), 0..8)) {
        let signed = SignedGroupState::from_parts(a, sig);
        prop_assert_eq!(SignedGroupState::from_json(&signed.to_json()), Ok(signed));
    }
}

/// States over tiny alphabets, built through the validating constructor.
fn small_state() -> impl Strategy<Value = GroupState> {
    let user = prop_oneof![Just("a"), Just("b"), Just("ab"), Just("ba"), Just("a.b")];
    let fpr = prop_oneof![Just("0".repeat(64)), Just("a".repeat(64))];
    (
        0u128..3,
        1u64..4,
        prop_oneof![Just("a"), Just("ab"), Just("a\u{e9}"), Just("b a")],
        proptest::collection::btree_set(user.clone(), 1..4),
        any::<usize>(),
        user,
        fpr,
    )
        .prop_filter_map(
            "valid",
            |(gid, version, name, members, admin, signer, fpr)| {
                let admins: BTreeSet<String> =
                    [members.iter().nth(admin % members.len())?.to_string()].into();
                let prev = if version > 1 {
                    Some(StateHash::from_hex(&format!("{version:064x}"))?)
                } else {
                    None
                };
                let m = Membership::new(name, members, admins);
                GroupState::from_parts(Uuid::from_u128(gid), version, prev, m, signer.into(), fpr)
                    .ok()
            },
        )
}
