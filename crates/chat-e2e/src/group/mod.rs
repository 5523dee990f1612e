//! Group membership (PROTOCOL.md §4): signed group states that every
//! member verifies for itself, so that the server, which only sequences
//! membership commits, can neither add a member nor fork a group.
//!
//! - [`state`]: the state (id, version, name, members, admins, previous
//!   hash, signer) and its canonical encoding and hash (§4.2, §4.3).
//! - [`signed`]: RSA-PSS signing and verification, and the strict JSON
//!   form that travels in `group_state` payloads.
//! - [`accept()`]: the acceptance rules of §4.4, in their documented order.
//! - [`GroupError`]: every refusal, with its `security` reason code.
//!
//! Like the rest of this crate it performs no I/O: the daemon keeps the
//! state held per group, looks up the signer's pinned key, and stores,
//! holds or reports according to the answer. Group messages themselves are
//! ordinary pairwise `msg` envelopes (§4.1) and need nothing from here.
//!
//! Known answers made with Python `cryptography` are in
//! `testdata/groups/vectors.json` (`testdata/groups/gen.py`), checked by
//! `tests/vectors_groups.rs`; the other direction is `tests/python_interop.rs`.

mod accept;
mod error;
pub mod signed;
pub mod state;

pub use accept::{Accepted, accept};
pub use error::GroupError;
pub use signed::SignedGroupState;
pub use state::{
    GroupState, MAX_MEMBERS, MAX_NAME_CHARS, MAX_VERSION, Membership, STATE_LABEL, StateHash,
};

#[cfg(test)]
mod tests {
    //! The acceptance rules on a small chain signed with the vectors' keys.

    use uuid::Uuid;

    use super::*;
    use crate::IdentityKey;
    use crate::test_keys::{alice, alice_public, bob, bob_public};

    fn sign(state: GroupState, key: &IdentityKey) -> SignedGroupState {
        SignedGroupState::sign(state, key).unwrap()
    }

    /// v1: alice creates {alice, bob, dave}; v2: alice makes bob admin.
    fn chain() -> (IdentityKey, IdentityKey, SignedGroupState, SignedGroupState) {
        let (a, b) = (alice(), bob());
        let m = Membership::new("g", ["alice", "bob", "dave"], ["alice"]);
        let s1 = GroupState::genesis(Uuid::from_u128(1), m, "alice", a.fingerprint()).unwrap();
        let mut m2 = s1.membership().clone();
        m2.make_admin("bob");
        let s2 = s1.successor(m2, "alice", a.fingerprint()).unwrap();
        let (s1, s2) = (sign(s1, &a), sign(s2, &a));
        (a, b, s1, s2)
    }

    #[test]
    fn a_chain_is_joined_then_advanced() {
        let (_, _, s1, s2) = chain();
        let ap = alice_public();
        assert_eq!(accept(None, &s1, &ap, "bob"), Ok(Accepted::Joined));
        assert_eq!(
            accept(Some(s1.state()), &s2, &ap, "bob"),
            Ok(Accepted::Advanced)
        );
        assert_eq!(
            accept(Some(s2.state()), &s2, &ap, "bob"),
            Ok(Accepted::Duplicate)
        );
        assert!(!Accepted::Duplicate.changes_state());
    }

    #[test]
    fn refusals_name_their_reason() {
        let (a, b, s1, s2) = chain();
        let (ap, bp) = (alice_public(), bob_public());
        // Not a member of a group we do not hold.
        assert_eq!(
            accept(None, &s1, &ap, "carol").unwrap_err().reason(),
            Some("group_not_member")
        );
        // Replay and gap.
        assert_eq!(
            accept(Some(s2.state()), &s1, &ap, "bob"),
            Err(GroupError::Stale { held: 2, got: 1 })
        );
        let mut m3 = s2.state().membership().clone();
        m3.add("erin");
        let s3 = sign(
            s2.state().successor(m3, "bob", b.fingerprint()).unwrap(),
            &b,
        );
        assert_eq!(
            accept(Some(s1.state()), &s3, &bp, "dave"),
            Err(GroupError::VersionGap { held: 1, got: 3 })
        );
        // bob was made admin by v2: his v3 is fine after v2 only.
        assert_eq!(
            accept(Some(s2.state()), &s3, &bp, "dave"),
            Ok(Accepted::Advanced)
        );
        // bob, not an admin in v1, cannot sign a v2.
        let mut m = s1.state().membership().clone();
        m.add("mallory");
        let forged = sign(s1.state().successor(m, "bob", b.fingerprint()).unwrap(), &b);
        assert_eq!(
            accept(Some(s1.state()), &forged, &bp, "dave"),
            Err(GroupError::NotAdmin {
                signer: "bob".into()
            })
        );
        // Two different v2s: a fork.
        let mut m = s1.state().membership().clone();
        m.remove("dave");
        let other = sign(
            s1.state().successor(m, "alice", a.fingerprint()).unwrap(),
            &a,
        );
        assert_eq!(
            accept(Some(s2.state()), &other, &ap, "bob"),
            Err(GroupError::Conflict { version: 2 })
        );
        // The same v2 after dave was removed: dave learns it.
        assert_eq!(
            accept(Some(s1.state()), &other, &ap, "dave"),
            Ok(Accepted::Removed)
        );
        // ...and then refuses what follows, unless it adds him back.
        let mut m = other.state().membership().clone();
        m.add("erin");
        let v3 = sign(
            other
                .state()
                .successor(m.clone(), "alice", a.fingerprint())
                .unwrap(),
            &a,
        );
        assert_eq!(
            accept(Some(other.state()), &v3, &ap, "dave"),
            Err(GroupError::NotMember {
                user: "dave".into()
            })
        );
        m.add("dave");
        let back = sign(
            v3.state().successor(m, "alice", a.fingerprint()).unwrap(),
            &a,
        );
        assert_eq!(
            accept(Some(other.state()), &back, &ap, "dave"),
            Ok(Accepted::Joined)
        );
        // A state held for another group is a caller bug.
        let elsewhere = GroupState::genesis(
            Uuid::from_u128(2),
            s1.state().membership().clone(),
            "alice",
            a.fingerprint(),
        )
        .unwrap();
        assert_eq!(
            accept(Some(&elsewhere), &s2, &ap, "bob"),
            Err(GroupError::WrongGroup)
        );
    }

    #[test]
    fn any_member_may_leave_but_not_take_others_along() {
        let (_, b, s1, _) = chain();
        let bp = bob_public();
        let mut m = s1.state().membership().clone();
        m.remove("bob");
        let leave = sign(
            s1.state()
                .successor(m.clone(), "bob", b.fingerprint())
                .unwrap(),
            &b,
        );
        assert_eq!(
            accept(Some(s1.state()), &leave, &bp, "alice"),
            Ok(Accepted::Advanced)
        );
        assert_eq!(
            accept(Some(s1.state()), &leave, &bp, "bob"),
            Ok(Accepted::Removed)
        );
        m.remove("dave");
        let both = sign(s1.state().successor(m, "bob", b.fingerprint()).unwrap(), &b);
        assert_eq!(
            accept(Some(s1.state()), &both, &bp, "alice")
                .unwrap_err()
                .reason(),
            Some("group_not_admin")
        );
    }
}
