//! Membership commits (PROTOCOL.md §4.5, D11): the server keeps per group
//! the last committed version, hash, members and admins, and accepts one
//! commit per version, so honest members never see two states for one
//! version (no forks). It only sequences: it cannot sign a state, so a
//! commit it invented would gain nothing. The rules are pure functions
//! (`check_fields`, `judge`) of the record and the commit; the store does
//! the compare-and-set, so two racing commits cannot both pass.

use std::sync::Arc;

use chat_proto::validate::validate_username;
use chat_proto::wire::ErrorCode;
use chat_proto::{ServerMessage, now_ms};

use super::{Refusal, Reply, authed};
use crate::connection::session::Session;
use crate::context::Shared;
use crate::store::{GroupRecord, Store};

/// Most members a group may have (§4.2).
pub const MAX_MEMBERS: usize = 256;
/// Largest version (2^53 - 1, §4.2).
pub const MAX_VERSION: u64 = (1 << 53) - 1;

/// A `group_commit` request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Commit {
    /// The group (canonical uuid).
    pub group_id: String,
    /// The new version and its membership.
    pub record: GroupRecord,
}

pub(super) async fn group_commit<S: Store>(
    sh: &Arc<Shared<S>>,
    s: &Session,
    commit: Commit,
) -> Reply {
    let me = authed(s)?.username.clone();
    check_fields(&commit).map_err(|why| Refusal::new(ErrorCode::BadRequest, why))?;
    let mut current = sh.store.group(&commit.group_id).await?;
    // A lost compare-and-set means another commit landed in between; the
    // record it returns then fails `judge`, so this runs at most twice.
    for _ in 0..3 {
        judge(current.as_ref(), &commit, &me)?;
        let expected = current.as_ref().map_or(0, |r| r.version);
        match sh
            .store
            .commit_group(
                &commit.group_id,
                expected,
                commit.record.clone(),
                &me,
                now_ms(),
            )
            .await?
        {
            Ok(()) => {
                return Ok(Some(ServerMessage::GroupCommitted {
                    group_id: commit.group_id,
                    version: commit.record.version,
                }));
            }
            Err(now_held) => current = now_held,
        }
    }
    Err(Refusal::new(
        ErrorCode::Internal,
        "the group's record kept changing; try again",
    ))
}

/// The shape rules of §4.2 the server can check: `bad_request` otherwise.
pub fn check_fields(c: &Commit) -> Result<(), String> {
    let canonical = uuid::Uuid::parse_str(&c.group_id)
        .is_ok_and(|id| id.hyphenated().to_string() == c.group_id);
    if !canonical {
        return Err("`group_id` must be a lowercase hyphenated uuid".into());
    }
    let r = &c.record;
    if !(1..=MAX_VERSION).contains(&r.version) {
        return Err(format!("`version` must be 1 to {MAX_VERSION}"));
    }
    let hex = r.state_hash.len() == 64
        && r.state_hash
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    if !hex {
        return Err("`state_hash` must be 64 lowercase hex digits".into());
    }
    if r.members.len() > MAX_MEMBERS {
        return Err(format!(
            "a group has at most {MAX_MEMBERS} members, not {}",
            r.members.len()
        ));
    }
    for (field, names) in [("members", &r.members), ("admins", &r.admins)] {
        if names.is_empty() {
            return Err(format!("`{field}` must name at least one user"));
        }
        if names.iter().any(|n| validate_username(n).is_err()) {
            return Err(format!(
                "`{field}` holds a name that is not a valid username"
            ));
        }
        if !names.windows(2).all(|w| w[0] < w[1]) {
            return Err(format!(
                "`{field}` must be strictly ascending in byte order (no duplicates)"
            ));
        }
    }
    if !r.admins.iter().all(|a| r.members.binary_search(a).is_ok()) {
        return Err("every admin must also be a member".into());
    }
    Ok(())
}

/// Whether `me` may commit `c` on top of `held` (the record, if any), in
/// the order D11 gives: not a member of the record, then the version, then
/// the right to make the change.
pub fn judge(held: Option<&GroupRecord>, c: &Commit, me: &str) -> Result<(), Refusal> {
    let not_admin = |why: &str| Refusal::new(ErrorCode::NotGroupAdmin, why.to_string());
    let Some(held) = held else {
        if c.record.version != 1 {
            return Err(Refusal::stale(0, String::new()));
        }
        if c.record
            .admins
            .binary_search_by(|a| a.as_str().cmp(me))
            .is_err()
        {
            return Err(not_admin(
                "a group is created (version 1) by one of its admins; add yourself to `admins`",
            ));
        }
        return Ok(());
    };
    let is = |list: &[String]| list.binary_search_by(|a| a.as_str().cmp(me)).is_ok();
    if !is(&held.members) {
        return Err(not_admin("you are not a member of this group"));
    }
    if c.record.version != held.version + 1 {
        return Err(Refusal::stale(held.version, held.state_hash.clone()));
    }
    if is(&held.admins) {
        return Ok(());
    }
    let leaving = c.record.members.iter().map(String::as_str).eq(held
        .members
        .iter()
        .map(String::as_str)
        .filter(|m| *m != me))
        && c.record.admins == held.admins;
    if leaving {
        return Ok(());
    }
    Err(not_admin(
        "only an admin may change this group; a member may only leave it \
         (the current members without you, the admins unchanged)",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    const GID: &str = "6c5d130e-8708-4887-80c3-5c82d334a3e7";

    fn commit(version: u64, members: &[&str], admins: &[&str]) -> Commit {
        Commit {
            group_id: GID.into(),
            record: GroupRecord {
                version,
                state_hash: format!("{version:064x}"),
                members: members.iter().map(|s| s.to_string()).collect(),
                admins: admins.iter().map(|s| s.to_string()).collect(),
            },
        }
    }

    fn code(r: Result<(), Refusal>) -> Option<ErrorCode> {
        r.err().map(|e| e.code)
    }

    #[test]
    fn fields_follow_section_4_2() {
        assert_eq!(
            check_fields(&commit(1, &["alice", "bob"], &["alice"])),
            Ok(())
        );
        let bad = |c: Commit| assert!(check_fields(&c).is_err(), "{c:?}");
        let mut c = commit(1, &["alice"], &["alice"]);
        c.group_id = GID.to_uppercase();
        bad(c);
        let mut c = commit(1, &["alice"], &["alice"]);
        c.group_id = GID.replace('-', "");
        bad(c);
        let mut c = commit(1, &["alice"], &["alice"]);
        c.record.state_hash = c.record.state_hash.to_uppercase().replace('0', "A");
        bad(c);
        let mut c = commit(1, &["alice"], &["alice"]);
        c.record.state_hash.pop();
        bad(c);
        bad(commit(0, &["alice"], &["alice"]));
        bad(commit(MAX_VERSION + 1, &["alice"], &["alice"]));
        assert_eq!(check_fields(&commit(MAX_VERSION, &["a"], &["a"])), Ok(()));
        bad(commit(1, &[], &[]));
        bad(commit(1, &["alice"], &[]));
        bad(commit(1, &["bob", "alice"], &["bob"]));
        bad(commit(1, &["alice", "alice"], &["alice"]));
        bad(commit(1, &["alice"], &["bob"]));
        bad(commit(1, &["alice", "bad name"], &["alice"]));
        let names: Vec<String> = (0..=MAX_MEMBERS).map(|i| format!("u{i:03}")).collect();
        let refs: Vec<&str> = names.iter().map(String::as_str).collect();
        bad(commit(1, &refs, &refs[..1]));
        assert_eq!(
            check_fields(&commit(1, &refs[..MAX_MEMBERS], &refs[..1])),
            Ok(())
        );
    }

    #[test]
    fn who_may_commit_what() {
        let v1 = commit(1, &["alice", "bob", "carol"], &["alice"]).record;
        let held = Some(&v1);
        // Creation: by an admin of the new state only, version 1 only.
        assert_eq!(
            code(judge(None, &commit(1, &["alice"], &["alice"]), "alice")),
            None
        );
        assert_eq!(
            code(judge(
                None,
                &commit(1, &["alice", "bob"], &["alice"]),
                "bob"
            )),
            Some(ErrorCode::NotGroupAdmin)
        );
        assert_eq!(
            code(judge(None, &commit(2, &["alice"], &["alice"]), "alice")),
            Some(ErrorCode::StaleVersion)
        );
        // An admin may change anything, at the next version only.
        let add = commit(2, &["alice", "bob", "carol", "dave"], &["alice", "dave"]);
        assert_eq!(code(judge(held, &add, "alice")), None);
        assert_eq!(
            code(judge(held, &commit(3, &["alice"], &["alice"]), "alice")),
            Some(ErrorCode::StaleVersion)
        );
        assert_eq!(
            code(judge(held, &commit(1, &["alice"], &["alice"]), "alice")),
            Some(ErrorCode::StaleVersion)
        );
        // A member may leave, and do nothing else.
        assert_eq!(
            code(judge(held, &add, "bob")),
            Some(ErrorCode::NotGroupAdmin)
        );
        let bob_leaves = commit(2, &["alice", "carol"], &["alice"]);
        assert_eq!(code(judge(held, &bob_leaves, "bob")), None);
        assert_eq!(
            code(judge(held, &bob_leaves, "carol")),
            Some(ErrorCode::NotGroupAdmin),
            "carol cannot remove bob"
        );
        assert_eq!(
            code(judge(
                held,
                &commit(2, &["alice", "carol"], &["alice", "carol"]),
                "bob"
            )),
            Some(ErrorCode::NotGroupAdmin),
            "leaving with a change of admins"
        );
        // Not a member: refused before the version is revealed.
        assert_eq!(
            code(judge(held, &commit(7, &["dave"], &["dave"]), "dave")),
            Some(ErrorCode::NotGroupAdmin)
        );
    }
}
