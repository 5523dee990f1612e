//! Groups: the state held only moves forward, members follow it, every
//! accepted state is kept by version and answers a request up to the
//! first gap, and all of it survives a reopen.

use chat_e2e::group::{GroupState, Membership, SignedGroupState};
use uuid::Uuid;

use super::{Fixture, ME};

const FPR: &str = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

fn gid(n: u128) -> Uuid {
    Uuid::from_u128(n)
}

/// A state with a made-up signature: the store records what the rules
/// accepted and does not verify again.
fn signed(state: GroupState) -> SignedGroupState {
    SignedGroupState::from_parts(state, vec![7; 4])
}

/// v1 {alice, me}; v2 adds bob; v3 removes me; v4 renames; v5 adds me back.
fn chain(group: Uuid) -> Vec<SignedGroupState> {
    let m = Membership::new("friends", ["alice", ME], ["alice"]);
    let mut states = vec![GroupState::genesis(group, m, "alice", FPR).unwrap()];
    let steps: [fn(&mut Membership); 4] = [
        |m| m.add("bob"),
        |m| m.remove(ME),
        |m| m.name = "renamed".into(),
        |m| m.add(ME),
    ];
    for step in steps {
        let last = states.last().unwrap();
        let mut m = last.membership().clone();
        step(&mut m);
        states.push(last.successor(m, "alice", FPR).unwrap());
    }
    states.into_iter().map(signed).collect()
}

#[test]
fn the_state_held_moves_forward_only_and_survives_a_reopen() {
    let mut f = Fixture::new();
    let g = gid(1);
    let c = chain(g);
    assert_eq!(f.tx(|tx| tx.group_held(g)), None);
    assert!(f.tx(|tx| tx.put_group_state(&c[0], ME, 10)));
    assert!(f.tx(|tx| tx.put_group_state(&c[1], ME, 11)));
    // A duplicate or an older state changes nothing.
    assert!(!f.tx(|tx| tx.put_group_state(&c[1], ME, 12)));
    assert!(!f.tx(|tx| tx.put_group_state(&c[0], ME, 13)));
    let mut f = f.reopen();
    assert_eq!(f.tx(|tx| tx.group_held(g)), Some(c[1].clone()));
    let rows = f.tx(|tx| tx.groups());
    assert_eq!(rows.len(), 1);
    assert_eq!(
        (rows[0].group_id, rows[0].version, rows[0].name.as_str()),
        (g, 2, "friends")
    );
    assert!(rows[0].is_member);
    assert_eq!(rows[0].updated_ms, 11);
    assert_eq!(f.tx(|tx| tx.groups_of("bob")), [g]);
}

#[test]
fn membership_follows_the_state_held_also_after_removal() {
    let mut f = Fixture::new();
    let g = gid(2);
    let c = chain(g);
    for (i, s) in c[..3].iter().enumerate() {
        assert!(f.tx(|tx| tx.put_group_state(s, ME, i as i64)));
    }
    // v3 removed us: the group is kept, not a member any more.
    let rows = f.tx(|tx| tx.groups());
    assert_eq!((rows[0].version, rows[0].is_member), (3, false));
    assert_eq!(f.tx(|tx| tx.groups_of(ME)), Vec::<Uuid>::new());
    assert_eq!(f.tx(|tx| tx.groups_of("alice")), [g]);
    // ...and a replayed v2, where we were a member, cannot undo that.
    assert!(!f.tx(|tx| tx.put_group_state(&c[1], ME, 9)));
    assert!(!f.tx(|tx| tx.groups())[0].is_member);
}

#[test]
fn states_after_a_version_run_up_to_the_first_gap() {
    let mut f = Fixture::new();
    let g = gid(3);
    let c = chain(g);
    // Held v1 and v2, then removed (v3 unseen here), then added back at v5.
    for s in [&c[0], &c[1], &c[4]] {
        assert!(f.tx(|tx| tx.put_group_state(s, ME, 1)));
    }
    let versions =
        |v: Vec<SignedGroupState>| -> Vec<u64> { v.iter().map(|s| s.state().version()).collect() };
    assert_eq!(
        versions(f.tx(|tx| tx.group_states_after(g, 0, 100))),
        [1, 2]
    );
    assert_eq!(versions(f.tx(|tx| tx.group_states_after(g, 0, 1))), [1]);
    assert_eq!(
        versions(f.tx(|tx| tx.group_states_after(g, 2, 100))),
        [0; 0]
    );
    assert_eq!(versions(f.tx(|tx| tx.group_states_after(g, 4, 100))), [5]);
    assert_eq!(
        versions(f.tx(|tx| tx.group_states_after(g, 5, 100))),
        [0; 0]
    );
    assert_eq!(
        versions(f.tx(|tx| tx.group_states_after(gid(99), 0, 100))),
        [0; 0]
    );
    // What comes back is the signed state itself, signature included.
    assert_eq!(f.tx(|tx| tx.group_states_after(g, 1, 1)), [c[1].clone()]);
    assert_eq!(f.tx(|tx| tx.group_held(g)), Some(c[4].clone()));
    assert_eq!(f.tx(|tx| tx.groups())[0].name, "renamed");
}

#[test]
fn groups_are_kept_apart_and_listed_by_name() {
    let mut f = Fixture::new();
    let (a, b) = (gid(10), gid(11));
    let m = |name: &str| Membership::new(name, ["alice", ME], ["alice", ME]);
    let sa = signed(GroupState::genesis(a, m("zeta"), "alice", FPR).unwrap());
    let sb = signed(GroupState::genesis(b, m("alpha"), ME, FPR).unwrap());
    f.tx(|tx| tx.put_group_state(&sa, ME, 1));
    f.tx(|tx| tx.put_group_state(&sb, ME, 2));
    let names: Vec<String> = f.tx(|tx| tx.groups()).into_iter().map(|r| r.name).collect();
    assert_eq!(names, ["alpha", "zeta"]);
    assert_eq!(f.tx(|tx| tx.groups_of(ME)), [a, b]);
    assert_eq!(f.tx(|tx| tx.group_held(a)), Some(sa));
    assert_eq!(f.tx(|tx| tx.group_held(b)), Some(sb));
}
