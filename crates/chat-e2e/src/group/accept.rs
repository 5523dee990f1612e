//! The acceptance rules of PROTOCOL.md §4.4: whether a member takes a
//! received state as the group's next one. Pure: it reads the state held
//! and the candidate and answers; the daemon stores the candidate when the
//! answer is a change, holds it on a version gap, and reports the rest.
//! The checks run in the documented order so that every implementation
//! names the same refusal for the same input.

use super::GroupError;
use super::signed::SignedGroupState;
use super::state::GroupState;
use crate::identity::PublicIdentity;

/// What accepting a state did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Accepted {
    /// The first state we hold as a member (created or added by an admin),
    /// or a return after we had left or been removed.
    Joined,
    /// The next version; we are still a member.
    Advanced,
    /// The next version, and we are no longer a member (removed, or our
    /// own leave coming back): accept nothing more for this group.
    Removed,
    /// The state held, again (a redelivery or a forward): nothing changes.
    Duplicate,
}

impl Accepted {
    /// Whether the candidate is now the state to hold.
    pub fn changes_state(self) -> bool {
        !matches!(self, Self::Duplicate)
    }
}

/// Applies §4.4 to `candidate`, received by `me`, holding `held` for its
/// group (the last state accepted, also after leaving). `signer_key` is
/// the key pinned for `candidate.state().signer()`.
pub fn accept(
    held: Option<&GroupState>,
    candidate: &SignedGroupState,
    signer_key: &PublicIdentity,
    me: &str,
) -> Result<Accepted, GroupError> {
    let s = candidate.state();
    // Step 1 (well formed) was done by parsing: a SignedGroupState is valid.
    if held.is_some_and(|h| h.group_id() != s.group_id()) {
        return Err(GroupError::WrongGroup);
    }
    candidate.verify(signer_key)?;
    if let Some(h) = held {
        if let Some(outcome) = same_or_older(h, s)? {
            return Ok(outcome);
        }
        if h.is_member(me) {
            return advance(h, s, me);
        }
    }
    join(s, me)
}

/// Step 3: a candidate at or below the version held.
fn same_or_older(h: &GroupState, s: &GroupState) -> Result<Option<Accepted>, GroupError> {
    if s.version() < h.version() {
        return Err(GroupError::Stale {
            held: h.version(),
            got: s.version(),
        });
    }
    if s.version() == h.version() {
        return if s.hash() == h.hash() {
            Ok(Some(Accepted::Duplicate))
        } else {
            Err(GroupError::Conflict {
                version: s.version(),
            })
        };
    }
    Ok(None)
}

/// Step 4: the next state of a group we are a member of.
fn advance(h: &GroupState, s: &GroupState, me: &str) -> Result<Accepted, GroupError> {
    if s.version() > h.version().saturating_add(1) {
        return Err(GroupError::VersionGap {
            held: h.version(),
            got: s.version(),
        });
    }
    if s.prev() != Some(h.hash()) {
        return Err(GroupError::BrokenChain);
    }
    if !(h.is_admin(s.signer()) || is_leave(h, s)) {
        return Err(GroupError::NotAdmin {
            signer: s.signer().to_string(),
        });
    }
    Ok(if s.is_member(me) {
        Accepted::Advanced
    } else {
        Accepted::Removed
    })
}

/// A member's own leave: exactly the held state without the signer.
fn is_leave(h: &GroupState, s: &GroupState) -> bool {
    let signer = s.signer();
    let mut expected = h.membership().clone();
    expected.remove(signer);
    h.is_member(signer) && *s.membership() == expected
}

/// Step 5: a state of a group we are not (or no longer) a member of.
fn join(s: &GroupState, me: &str) -> Result<Accepted, GroupError> {
    if !s.is_member(me) {
        return Err(GroupError::NotMember {
            user: me.to_string(),
        });
    }
    if !s.is_admin(s.signer()) {
        return Err(GroupError::NotAdmin {
            signer: s.signer().to_string(),
        });
    }
    Ok(Accepted::Joined)
}
