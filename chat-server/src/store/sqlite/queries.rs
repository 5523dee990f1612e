//! The store's read-only SQL, run on the reader pool, kept apart from the
//! writes so that it is obvious nothing here can change the database.

use rusqlite::{Connection, OptionalExtension, params};

use crate::store::{GroupRecord, KeyRecord, StoreError, StoredMessage, UserAuth, UserId};

/// Row id of `username`, if the account exists.
pub(super) fn user_id(conn: &Connection, username: &str) -> Result<Option<UserId>, StoreError> {
    let mut stmt = conn.prepare_cached("SELECT id FROM users WHERE username = ?1")?;
    Ok(stmt.query_row([username], |r| r.get(0)).optional()?)
}

pub(super) fn user_auth(conn: &Connection, username: &str) -> Result<Option<UserAuth>, StoreError> {
    let mut stmt =
        conn.prepare_cached("SELECT id, username, password_hash FROM users WHERE username = ?1")?;
    let row = stmt.query_row([username], |r| {
        Ok(UserAuth {
            id: r.get(0)?,
            username: r.get(1)?,
            password_hash: r.get(2)?,
        })
    });
    Ok(row.optional()?)
}

pub(super) fn user_exists(conn: &Connection, username: &str) -> Result<bool, StoreError> {
    Ok(user_id(conn, username)?.is_some())
}

pub(super) fn current_key(
    conn: &Connection,
    username: &str,
) -> Result<Option<KeyRecord>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT k.public_key, k.fingerprint FROM identity_keys k \
         JOIN users u ON u.id = k.user_id \
         WHERE u.username = ?1 AND k.replaced_at IS NULL",
    )?;
    let row = stmt.query_row([username], |r| {
        Ok(KeyRecord {
            public_key: r.get(0)?,
            fingerprint: r.get(1)?,
        })
    });
    Ok(row.optional()?)
}

// Prefix search as a range on the username index: `LIKE` ignores case and
// treats `_` as a wildcard, `GLOB` would need escaping, and neither would
// stop the scan at the end of the prefix.
const LIST_FROM_BOUNDED: &str = "SELECT username FROM users \
     WHERE username >= ?1 AND username < ?2 ORDER BY username LIMIT ?3";
const LIST_AFTER_BOUNDED: &str = "SELECT username FROM users \
     WHERE username > ?1 AND username < ?2 ORDER BY username LIMIT ?3";
const LIST_FROM: &str = "SELECT username FROM users \
     WHERE username >= ?1 ORDER BY username LIMIT ?2";
const LIST_AFTER: &str = "SELECT username FROM users \
     WHERE username > ?1 ORDER BY username LIMIT ?2";

pub(super) fn list_users(
    conn: &Connection,
    prefix: &str,
    after: Option<&str>,
    limit: u32,
) -> Result<Vec<String>, StoreError> {
    // Rust's `str` order is byte order, the same as SQLite's BINARY
    // collation, so the bounds computed here match the index's order.
    let (strict, lower) = match after {
        Some(after) if after >= prefix => (true, after),
        _ => (false, prefix),
    };
    let limit = i64::from(limit);
    match (strict, prefix_end(prefix)) {
        (false, Some(end)) => collect(conn, LIST_FROM_BOUNDED, params![lower, end, limit]),
        (true, Some(end)) => collect(conn, LIST_AFTER_BOUNDED, params![lower, end, limit]),
        (false, None) => collect(conn, LIST_FROM, params![lower, limit]),
        (true, None) => collect(conn, LIST_AFTER, params![lower, limit]),
    }
}

fn collect(
    conn: &Connection,
    sql: &str,
    params: &[&dyn rusqlite::ToSql],
) -> Result<Vec<String>, StoreError> {
    let mut stmt = conn.prepare_cached(sql)?;
    let names = stmt.query_map(params, |r| r.get(0))?;
    Ok(names.collect::<Result<_, _>>()?)
}

/// The smallest string greater than every string starting with `prefix`, or
/// `None` when there is none (empty prefix, or only `char::MAX`s).
pub(super) fn prefix_end(prefix: &str) -> Option<String> {
    let mut chars: Vec<char> = prefix.chars().collect();
    while let Some(last) = chars.pop() {
        let next = (u32::from(last) + 1..=u32::from(char::MAX)).find_map(char::from_u32);
        if let Some(next) = next {
            chars.push(next);
            return Some(chars.into_iter().collect());
        }
    }
    None
}

/// The owner and absolute expiry of a valid token: the pre-check of
/// `use_token`, so that invalid tokens (guesses, stale ones) never cost the
/// writer anything.
pub(super) fn token_owner(
    conn: &Connection,
    username: &str,
    token_hash: &[u8; 32],
    now: i64,
    idle_ms: i64,
) -> Result<Option<UserId>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT t.user_id FROM tokens t JOIN users u ON u.id = t.user_id \
         WHERE t.token_hash = ?1 AND u.username = ?2 \
           AND t.expires_at > ?3 AND t.last_used_at > ?4",
    )?;
    let row = stmt.query_row(
        params![token_hash, username, now, now.saturating_sub(idle_ms)],
        |r| r.get(0),
    );
    Ok(row.optional()?)
}

pub(super) fn pending(
    conn: &Connection,
    recipient: &str,
    after: i64,
    limit: u32,
    now: i64,
) -> Result<Vec<StoredMessage>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT seq, msg_id, sender, ts, envelope FROM messages \
         WHERE recipient_id = (SELECT id FROM users WHERE username = ?1) \
           AND seq > ?2 AND expires_at > ?3 \
         ORDER BY seq LIMIT ?4",
    )?;
    let rows = stmt.query_map(params![recipient, after, now, i64::from(limit)], |r| {
        Ok(StoredMessage {
            seq: r.get(0)?,
            msg_id: r.get(1)?,
            sender: r.get(2)?,
            ts: r.get(3)?,
            envelope: r.get(4)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The last committed membership of a group. Also run by the writer, inside
/// its transaction, for the compare-and-set of `commit_group`.
pub(super) fn group(conn: &Connection, group_id: &str) -> Result<Option<GroupRecord>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT version, state_hash, members, admins FROM group_records WHERE group_id = ?1",
    )?;
    let row = stmt
        .query_row([group_id], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
            ))
        })
        .optional()?;
    let Some((version, state_hash, members, admins)) = row else {
        return Ok(None);
    };
    let list = |text: &str| {
        serde_json::from_str::<Vec<String>>(text)
            .map_err(|e| StoreError::Db(format!("group record {group_id}: bad list: {e}")))
    };
    Ok(Some(GroupRecord {
        version: u64::try_from(version)
            .map_err(|_| StoreError::Db(format!("group record {group_id}: bad version")))?,
        state_hash,
        members: list(&members)?,
        admins: list(&admins)?,
    }))
}
