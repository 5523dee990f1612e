//! chatd's group pipeline (PROTOCOL.md §4, D15): what the daemon does with
//! groups, split by job.
//!
//! - [`receive`]: the §4.1 group payloads that arrive, applied inside the
//!   delivery's transaction (§4.4 through `chat_e2e::group::accept`), and
//!   payloads held until they can be applied (a version gap, a signer whose
//!   key is not pinned yet, a message for a state not held yet).
//! - [`change`]: membership changes from the local API: the next state is
//!   built, signed off the async workers, written down as a pending commit,
//!   committed on the wire, then held and fanned out; a lost race is redone
//!   on top of the winner's state.
//! - [`fanout`]: a payload to several members as outbox items of one batch,
//!   which the outbox sends as `send_multi` frames.
//!
//! This file keeps what they share: the runtime state (one membership
//! change at a time, the wake-up when a state is accepted), the group as
//! the local API shows it, the diff a `group` event carries, and how a
//! `group` param names a group.

pub mod change;
pub mod fanout;
pub mod receive;

use std::collections::{BTreeSet, HashSet};

use chat_e2e::PinStore;
use chat_e2e::group::GroupState;
use chatd_api::{Group, GroupChange, GroupMember};
use tokio::sync::{Mutex, Notify};
use uuid::Uuid;

use super::{Core, CoreError};
use crate::core::api::trust_state_of;
use crate::store::{GroupRow, StoreError, Tx};

/// How long a held group payload waits (PROTOCOL.md §4.1, D5).
pub const HOLD_MS: i64 = 7 * 24 * 3600 * 1000;

/// Runtime state of the group pipeline; what must survive is in the store.
pub struct Groups {
    /// One membership change at a time (they read, sign and commit the
    /// state held; two at once would race each other for nothing).
    changes: Mutex<()>,
    /// Woken whenever a state is accepted (a change that lost a race waits
    /// for the winner's state).
    accepted: Notify,
}

impl Groups {
    /// Nothing in progress.
    pub fn new() -> Self {
        Self {
            changes: Mutex::new(()),
            accepted: Notify::new(),
        }
    }
}

impl Default for Groups {
    fn default() -> Self {
        Self::new()
    }
}

impl Core {
    /// Tells waiting membership changes that a state was accepted.
    pub fn group_accepted(&self) {
        self.groups.accepted.notify_waiters();
    }
}

/// Who is online now, as a set (a snapshot taken before a transaction,
/// for the members' `online` flags of the groups it reports).
pub type Online = HashSet<String>;

/// Whose daemon this is: the members' `trust` is left out for us.
fn me_of(tx: &Tx<'_>) -> Result<Option<String>, StoreError> {
    tx.setting(crate::link::keys::USERNAME)
}

/// The group `group_id` as the local API shows it, from the store.
pub fn view(tx: &Tx<'_>, group_id: Uuid, online: &Online) -> Result<Option<Group>, StoreError> {
    let (Some(row), Some(held)) = (tx.group_row(group_id)?, tx.group_held(group_id)?) else {
        return Ok(None);
    };
    view_of(tx, &row, held.state(), online).map(Some)
}

fn view_of(
    tx: &Tx<'_>,
    row: &GroupRow,
    state: &GroupState,
    online: &Online,
) -> Result<Group, StoreError> {
    let id = row.group_id.hyphenated().to_string();
    let me = me_of(tx)?;
    let mut members = Vec::with_capacity(state.members().len());
    for user in state.members() {
        let trust = if me.as_ref() == Some(user) {
            None
        } else {
            PinStore::pin(tx, user)?.map(|p| trust_state_of(p.state))
        };
        members.push(GroupMember {
            user: user.clone(),
            admin: state.is_admin(user),
            online: online.contains(user),
            trust,
        });
    }
    let (last, unread) = tx.group_last_and_unread(&id)?;
    Ok(Group {
        id,
        name: row.name.clone(),
        version: row.version,
        members,
        is_member: row.is_member,
        last,
        unread,
    })
}

/// Every group held, most recent message or change first.
pub fn views(tx: &Tx<'_>, online: &Online) -> Result<Vec<Group>, StoreError> {
    let mut out = Vec::new();
    for row in tx.groups()? {
        if let Some(held) = tx.group_held(row.group_id)? {
            let g = view_of(tx, &row, held.state(), online)?;
            let recent = g
                .last
                .as_ref()
                .map_or(row.updated_ms, |m| m.ts.max(row.updated_ms));
            out.push((recent, g));
        }
    }
    out.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.id.cmp(&b.1.id)));
    Ok(out.into_iter().map(|(_, g)| g).collect())
}

/// What changed from `old` (None: the group is new to us) to `new`, as
/// `me` sees it.
pub fn diff(old: Option<&GroupState>, new: &GroupState, me: &str) -> GroupChange {
    let was_member = old.is_some_and(|o| o.is_member(me));
    let Some(old) = old.filter(|_| was_member) else {
        return GroupChange {
            joined: new.is_member(me),
            ..GroupChange::default()
        };
    };
    let minus = |a: &BTreeSet<String>, b: &BTreeSet<String>| -> Vec<String> {
        a.difference(b).cloned().collect()
    };
    GroupChange {
        joined: false,
        added: minus(new.members(), old.members()),
        removed: minus(old.members(), new.members()),
        admins_added: minus(new.admins(), old.admins())
            .into_iter()
            .filter(|u| old.is_member(u))
            .collect(),
        admins_removed: minus(old.admins(), new.admins())
            .into_iter()
            .filter(|u| new.is_member(u))
            .collect(),
        renamed_from: (old.name() != new.name()).then(|| old.name().to_string()),
    }
}

/// Who the group `group` param names: a group id held (any group, also
/// one we left), or the exact name of exactly one group we are a member
/// of.
pub fn resolve(tx: &Tx<'_>, group: &str) -> Result<GroupRow, CoreError> {
    if let Ok(id) = Uuid::try_parse(group)
        && id.hyphenated().to_string() == group
    {
        return tx
            .group_row(id)?
            .ok_or_else(|| CoreError::NoSuchGroup(no_group(group)));
    }
    let named: Vec<GroupRow> = tx
        .groups()?
        .into_iter()
        .filter(|g| g.is_member && g.name == group)
        .collect();
    match named.len() {
        0 => Err(CoreError::NoSuchGroup(no_group(group))),
        1 => Ok(named
            .into_iter()
            .next()
            .ok_or(CoreError::Internal("lost a row".into()))?),
        n => Err(CoreError::InvalidInput(format!(
            "{n} groups are called {group:?}: use an id: {}",
            named
                .iter()
                .map(|g| g.group_id.hyphenated().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
}

fn no_group(group: &str) -> String {
    format!("no group {group:?} among the groups you are a member of; `chat groups` lists them")
}
