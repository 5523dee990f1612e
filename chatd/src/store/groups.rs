//! Groups (PROTOCOL.md §4): per group the state held, its members, and
//! every signed state accepted, by version. The acceptance rules live in
//! `chat_e2e::group`; this module only records what they accepted, and
//! keeps the one invariant the daemon relies on: the state held is the
//! highest version recorded, and never goes back (so a replayed old state
//! cannot bring a group back, §4.4).
//!
//! Beside them, what the group pipeline (`core/groups/`, D15) must not
//! lose: the state we signed and are committing ([`Tx::group_commit_put`]),
//! and group payloads held until they can be applied ([`Tx::group_hold`]).

use chat_e2e::group::SignedGroupState;
use rusqlite::{OptionalExtension, params};
use serde_json::Value;
use uuid::Uuid;

use super::records::sql_u64;
use super::{StoreError, Tx};

/// One group as listed: the state held, summarised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupRow {
    /// The group's id.
    pub group_id: Uuid,
    /// Version of the state held.
    pub version: u64,
    /// The group's name in the state held.
    pub name: String,
    /// Whether we are a member of the state held (false once we left or
    /// were removed).
    pub is_member: bool,
    /// When the state held was accepted (Unix ms).
    pub updated_ms: i64,
}

/// The most group payloads held per sender (as for envelopes, D5).
pub const MAX_HELD_PER_SENDER: i64 = 1000;

/// A group payload waiting to be applied (see [`Tx::group_hold`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeldGroupPayload {
    /// Its row.
    pub row: i64,
    /// The group it is about.
    pub group_id: Uuid,
    /// Who sent it.
    pub sender: String,
    /// The payload's JSON.
    pub payload: String,
    /// When it arrived (Unix ms).
    pub received_ms: i64,
}

impl Tx<'_> {
    /// Records `signed`, accepted by `me` at `now`, as the state held for
    /// its group, with its members, and adds it to the group's states.
    /// Only a version above the one held is recorded: anything else
    /// (a duplicate, an older state) changes nothing and answers false.
    pub fn put_group_state(
        &self,
        signed: &SignedGroupState,
        me: &str,
        now: i64,
    ) -> Result<bool, StoreError> {
        let state = signed.state();
        let gid = state.group_id().hyphenated().to_string();
        let version = sql_u64(state.version());
        if self.held_version(&gid)?.is_some_and(|held| held >= version) {
            return Ok(false);
        }
        let hash = state.hash().to_hex();
        let json = serde_json::to_string(signed)
            .map_err(|e| StoreError::Db(format!("cannot encode a group state: {e}")))?;
        self.exec(
            "INSERT INTO group_states (group_id, version, state_hash, state, accepted_ms) \
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![gid, version, hash, json, now],
        )?;
        self.exec(
            "INSERT INTO groups (group_id, version, state_hash, name, is_member, updated_ms) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6) \
             ON CONFLICT (group_id) DO UPDATE SET version = excluded.version, \
             state_hash = excluded.state_hash, name = excluded.name, \
             is_member = excluded.is_member, updated_ms = excluded.updated_ms",
            params![gid, version, hash, state.name(), state.is_member(me), now],
        )?;
        self.exec(
            "DELETE FROM group_members WHERE group_id = ?1",
            params![gid],
        )?;
        for user in state.members() {
            self.exec(
                "INSERT INTO group_members (group_id, user, is_admin) VALUES (?1, ?2, ?3)",
                params![gid, user, state.is_admin(user)],
            )?;
        }
        Ok(true)
    }

    /// The state held for `group_id`: the last one accepted.
    pub fn group_held(&self, group_id: Uuid) -> Result<Option<SignedGroupState>, StoreError> {
        let gid = group_id.hyphenated().to_string();
        let text: Option<String> = self
            .tx
            .prepare_cached(
                "SELECT s.state FROM groups g JOIN group_states s \
                 ON s.group_id = g.group_id AND s.version = g.version WHERE g.group_id = ?1",
            )?
            .query_row(params![gid], |row| row.get(0))
            .optional()?;
        text.map(|t| decode_state(&t)).transpose()
    }

    /// The states accepted for `group_id` after version `have`, in order,
    /// as far as they run without a gap (a member that joined late, or
    /// came back, holds no states from before), at most `limit`: the
    /// answer to a `group_state_request` (§4.1).
    pub fn group_states_after(
        &self,
        group_id: Uuid,
        have: u64,
        limit: usize,
    ) -> Result<Vec<SignedGroupState>, StoreError> {
        let gid = group_id.hyphenated().to_string();
        let mut stmt = self.tx.prepare_cached(
            "SELECT version, state FROM group_states \
             WHERE group_id = ?1 AND version > ?2 ORDER BY version LIMIT ?3",
        )?;
        let rows = stmt
            .query_map(params![gid, sql_u64(have), sql_u64(limit as u64)], |row| {
                Ok((row.get::<_, i64>(0)?, row.get::<_, String>(1)?))
            })?
            .collect::<Result<Vec<_>, _>>()?;
        let mut out = Vec::with_capacity(rows.len());
        let mut next = have.saturating_add(1);
        for (version, text) in rows {
            if to_u64(version)? != next {
                break;
            }
            out.push(decode_state(&text)?);
            next = next.saturating_add(1);
        }
        Ok(out)
    }

    /// Every group a state was accepted for, by name then id.
    pub fn groups(&self) -> Result<Vec<GroupRow>, StoreError> {
        let mut stmt = self.tx.prepare_cached(
            "SELECT group_id, version, name, is_member, updated_ms FROM groups \
             ORDER BY name, group_id",
        )?;
        let rows = stmt
            .query_map([], |row| {
                Ok((
                    row.get::<_, String>(0)?,
                    row.get::<_, i64>(1)?,
                    row.get::<_, String>(2)?,
                    row.get::<_, bool>(3)?,
                    row.get::<_, i64>(4)?,
                ))
            })?
            .collect::<Result<Vec<_>, _>>()?;
        rows.into_iter()
            .map(|(gid, version, name, is_member, updated_ms)| {
                Ok(GroupRow {
                    group_id: parse_group_id(&gid)?,
                    version: to_u64(version)?,
                    name,
                    is_member,
                    updated_ms,
                })
            })
            .collect()
    }

    /// The groups whose state held lists `user` as a member, in id order.
    pub fn groups_of(&self, user: &str) -> Result<Vec<Uuid>, StoreError> {
        let mut stmt = self.tx.prepare_cached(
            "SELECT group_id FROM group_members WHERE user = ?1 ORDER BY group_id",
        )?;
        let ids = stmt
            .query_map(params![user], |row| row.get::<_, String>(0))?
            .collect::<Result<Vec<_>, _>>()?;
        ids.iter().map(|g| parse_group_id(g)).collect()
    }

    /// The summary row of one group.
    pub fn group_row(&self, group_id: Uuid) -> Result<Option<GroupRow>, StoreError> {
        Ok(self.groups()?.into_iter().find(|g| g.group_id == group_id))
    }

    /// Marks that we are no longer a member of a group without a new
    /// state: we were its last member and left (§4.4: the last member
    /// leaving sends no state). The state held stays.
    pub fn group_mark_left(&self, group_id: Uuid, now: i64) -> Result<(), StoreError> {
        self.exec(
            "UPDATE groups SET is_member = 0, updated_ms = ?2 WHERE group_id = ?1",
            params![group_id.hyphenated().to_string(), now],
        )?;
        Ok(())
    }

    /// Records the state we signed and are about to commit for its group
    /// (replacing one left from an earlier attempt).
    pub fn group_commit_put(&self, signed: &SignedGroupState, now: i64) -> Result<(), StoreError> {
        let json = serde_json::to_string(signed)
            .map_err(|e| StoreError::Db(format!("cannot encode a group state: {e}")))?;
        self.exec(
            "INSERT INTO group_commits (group_id, state, created_ms) VALUES (?1, ?2, ?3) \
             ON CONFLICT (group_id) DO UPDATE SET state = excluded.state, \
             created_ms = excluded.created_ms",
            params![
                signed.state().group_id().hyphenated().to_string(),
                json,
                now
            ],
        )?;
        Ok(())
    }

    /// Forgets the commit in progress for a group.
    pub fn group_commit_remove(&self, group_id: Uuid) -> Result<(), StoreError> {
        self.exec(
            "DELETE FROM group_commits WHERE group_id = ?1",
            params![group_id.hyphenated().to_string()],
        )?;
        Ok(())
    }

    /// Every commit in progress (to finish after a restart).
    pub fn group_commits(&self) -> Result<Vec<SignedGroupState>, StoreError> {
        let mut stmt = self
            .tx
            .prepare_cached("SELECT state FROM group_commits ORDER BY group_id")?;
        let rows = stmt
            .query_map([], |row| row.get::<_, String>(0))?
            .collect::<Result<Vec<_>, _>>()?;
        rows.iter().map(|t| decode_state(t)).collect()
    }

    /// Holds a group payload (its JSON) from `sender` until it can be
    /// applied. Returns its row id.
    pub fn group_hold(
        &self,
        group_id: Uuid,
        sender: &str,
        payload: &str,
        now: i64,
    ) -> Result<i64, StoreError> {
        self.exec(
            "INSERT INTO group_held (group_id, sender, payload, received_ms) \
             VALUES (?1, ?2, ?3, ?4)",
            params![group_id.hyphenated().to_string(), sender, payload, now],
        )?;
        let row = self.tx.last_insert_rowid();
        // At most MAX_HELD_PER_SENDER per sender, the newest kept (D5).
        self.exec(
            "DELETE FROM group_held WHERE sender = ?1 AND id NOT IN \
             (SELECT id FROM group_held WHERE sender = ?1 ORDER BY id DESC LIMIT ?2)",
            params![sender, MAX_HELD_PER_SENDER],
        )?;
        Ok(row)
    }

    /// The payloads held, oldest first: `(row, group, sender, payload, received_ms)`.
    pub fn group_held_all(&self) -> Result<Vec<HeldGroupPayload>, StoreError> {
        let mut stmt = self.tx.prepare_cached(
            "SELECT id, group_id, sender, payload, received_ms FROM group_held ORDER BY id",
        )?;
        let rows = stmt
            .query_map([], |row| {
                Ok((
                    row.get::<_, i64>(0)?,
                    row.get::<_, String>(1)?,
                    row.get::<_, String>(2)?,
                    row.get::<_, String>(3)?,
                    row.get::<_, i64>(4)?,
                ))
            })?
            .collect::<Result<Vec<_>, _>>()?;
        rows.into_iter()
            .map(|(row, gid, sender, payload, received_ms)| {
                Ok(HeldGroupPayload {
                    row,
                    group_id: parse_group_id(&gid)?,
                    sender,
                    payload,
                    received_ms,
                })
            })
            .collect()
    }

    /// Removes a held payload (no-op when it is gone).
    pub fn group_held_remove(&self, row: i64) -> Result<(), StoreError> {
        self.exec("DELETE FROM group_held WHERE id = ?1", [row])?;
        Ok(())
    }

    fn held_version(&self, gid: &str) -> Result<Option<i64>, StoreError> {
        Ok(self
            .tx
            .prepare_cached("SELECT version FROM groups WHERE group_id = ?1")?
            .query_row(params![gid], |row| row.get(0))
            .optional()?)
    }
}

fn decode_state(text: &str) -> Result<SignedGroupState, StoreError> {
    let corrupt = |why: String| StoreError::Corrupt(format!("group state: {why}"));
    let value: Value = serde_json::from_str(text).map_err(|e| corrupt(e.to_string()))?;
    let Value::Object(map) = value else {
        return Err(corrupt("not a JSON object".into()));
    };
    SignedGroupState::from_json(&map).map_err(|e| corrupt(e.to_string()))
}

/// A stored version (always >= 1 by the schema's CHECK).
fn to_u64(version: i64) -> Result<u64, StoreError> {
    u64::try_from(version).map_err(|_| StoreError::Corrupt(format!("group version {version}")))
}

fn parse_group_id(text: &str) -> Result<Uuid, StoreError> {
    Uuid::try_parse(text).map_err(|_| StoreError::Corrupt(format!("group id `{text}`")))
}
