//! The store's writes, each a plain function of the open transaction: the
//! writer thread runs them inside one savepoint each, so they need not know
//! about batching, and a failure here undoes only its own changes.

use rusqlite::{Connection, OptionalExtension, ffi, params};

use super::connection::{fk_means_no_user, is_constraint};
use super::queries::{group, user_id};
use crate::store::{
    GroupRecord, KeyRecord, NewMessage, NewToken, StoreError, StoredMessage, UserId, new_msg_id,
};

pub(super) fn create_user(
    conn: &Connection,
    username: &str,
    password_hash: &str,
    key: &KeyRecord,
    now: i64,
) -> Result<UserId, StoreError> {
    // created_at keeps the seed's CURRENT_TIMESTAMP default.
    let mut stmt =
        conn.prepare_cached("INSERT INTO users (username, password_hash) VALUES (?1, ?2)")?;
    stmt.execute([username, password_hash]).map_err(|e| {
        if is_constraint(&e, ffi::SQLITE_CONSTRAINT_UNIQUE) {
            StoreError::UsernameTaken
        } else {
            e.into()
        }
    })?;
    let id = conn.last_insert_rowid();
    insert_key(conn, id, key, now)?;
    Ok(id)
}

pub(super) fn set_password(
    conn: &Connection,
    user: UserId,
    password_hash: &str,
) -> Result<(), StoreError> {
    let mut stmt = conn.prepare_cached("UPDATE users SET password_hash = ?2 WHERE id = ?1")?;
    match stmt.execute(params![user, password_hash])? {
        0 => Err(StoreError::NoSuchUser),
        _ => Ok(()),
    }
}

pub(super) fn replace_key(
    conn: &Connection,
    user: UserId,
    key: &KeyRecord,
    now: i64,
) -> Result<(), StoreError> {
    let current: Option<String> = conn
        .prepare_cached(
            "SELECT fingerprint FROM identity_keys WHERE user_id = ?1 AND replaced_at IS NULL",
        )?
        .query_row([user], |r| r.get(0))
        .optional()?;
    // Re-registering the current key (a retried login) is not a change and
    // must not grow the history.
    if current.as_deref() == Some(key.fingerprint.as_str()) {
        return Ok(());
    }
    conn.prepare_cached(
        "UPDATE identity_keys SET replaced_at = ?2 WHERE user_id = ?1 AND replaced_at IS NULL",
    )?
    .execute(params![user, now])?;
    insert_key(conn, user, key, now)
}

fn insert_key(
    conn: &Connection,
    user: UserId,
    key: &KeyRecord,
    now: i64,
) -> Result<(), StoreError> {
    let mut stmt = conn.prepare_cached(
        "INSERT INTO identity_keys (user_id, public_key, fingerprint, created_at) \
         VALUES (?1, ?2, ?3, ?4)",
    )?;
    stmt.execute(params![user, key.public_key, key.fingerprint, now])
        .map_err(fk_means_no_user)?;
    Ok(())
}

pub(super) fn insert_token(conn: &Connection, token: &NewToken) -> Result<(), StoreError> {
    let mut stmt = conn.prepare_cached(
        "INSERT INTO tokens (token_hash, user_id, created_at, expires_at, last_used_at) \
         VALUES (?1, ?2, ?3, ?4, ?3)",
    )?;
    stmt.execute(params![
        token.token_hash,
        token.user_id,
        token.created_at,
        token.expires_at
    ])
    .map_err(fk_means_no_user)?;
    Ok(())
}

/// Marks a token used, re-checking validity under the write lock (it may
/// have been revoked or have expired since the reader's check). Returns the
/// owner and the absolute expiry when valid.
pub(super) fn touch_token(
    conn: &Connection,
    user: UserId,
    token_hash: &[u8; 32],
    now: i64,
    idle_ms: i64,
) -> Result<Option<(UserId, i64)>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "UPDATE tokens SET last_used_at = ?3 \
         WHERE token_hash = ?1 AND user_id = ?2 AND expires_at > ?3 AND last_used_at > ?4 \
         RETURNING expires_at",
    )?;
    let expires_at: Option<i64> = stmt
        .query_row(
            params![token_hash, user, now, now.saturating_sub(idle_ms)],
            |r| r.get(0),
        )
        .optional()?;
    Ok(expires_at.map(|expires_at| (user, expires_at)))
}

pub(super) fn revoke_token(conn: &Connection, token_hash: &[u8; 32]) -> Result<(), StoreError> {
    conn.prepare_cached("DELETE FROM tokens WHERE token_hash = ?1")?
        .execute([token_hash])?;
    Ok(())
}

pub(super) fn revoke_tokens_except(
    conn: &Connection,
    user: UserId,
    keep: Option<&[u8; 32]>,
) -> Result<(), StoreError> {
    // `IS NOT NULL` is true for every row, so `keep = None` revokes all.
    conn.prepare_cached("DELETE FROM tokens WHERE user_id = ?1 AND token_hash IS NOT ?2")?
        .execute(params![user, keep])?;
    Ok(())
}

pub(super) fn enqueue(conn: &Connection, msg: &NewMessage) -> Result<StoredMessage, StoreError> {
    let recipient = user_id(conn, &msg.recipient)?.ok_or(StoreError::NoSuchUser)?;
    let (mailbox, share) = kept_counts(conn, recipient, &msg.sender)?;
    // The kept counts include expired messages awaiting the purge; only
    // at a limit is it worth counting exactly.
    if mailbox >= i64::from(msg.mailbox_limit)
        && mailbox_size(conn, recipient, msg)? >= i64::from(msg.mailbox_limit)
    {
        return Err(StoreError::MailboxFull);
    }
    if share >= i64::from(msg.sender_limit)
        && sender_share(conn, recipient, msg)? >= i64::from(msg.sender_limit)
    {
        return Err(StoreError::SenderShareFull);
    }
    let msg_id = new_msg_id(msg.ts)?;
    let mut stmt = conn.prepare_cached(
        "INSERT INTO messages (msg_id, sender, recipient_id, ts, expires_at, envelope) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?;
    stmt.execute(params![
        msg_id,
        msg.sender,
        recipient,
        msg.ts,
        msg.expires_at,
        msg.envelope
    ])?;
    Ok(StoredMessage {
        seq: conn.last_insert_rowid(),
        msg_id,
        sender: msg.sender.clone(),
        ts: msg.ts,
        envelope: msg.envelope.clone(),
    })
}

/// The recipient's stored messages and the sender's share of them, as
/// the triggers of migration 5 keep them.
fn kept_counts(
    conn: &Connection,
    recipient: UserId,
    sender: &str,
) -> Result<(i64, i64), StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT (SELECT stored FROM mailbox_sizes WHERE recipient_id = ?1), \
                (SELECT stored FROM sender_shares WHERE recipient_id = ?1 AND sender = ?2)",
    )?;
    let (mailbox, share): (Option<i64>, Option<i64>) =
        stmt.query_row(params![recipient, sender], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok((mailbox.unwrap_or(0), share.unwrap_or(0)))
}

/// Every message of one `send_multi`, in one savepoint of the writer's
/// transaction. A refusal of one item happens before its insert, so it
/// leaves nothing behind; any other error fails the whole operation, and
/// the savepoint takes back what the earlier items wrote.
pub(super) fn enqueue_many(
    conn: &Connection,
    msgs: &[NewMessage],
) -> Result<Vec<Result<StoredMessage, StoreError>>, StoreError> {
    msgs.iter()
        .map(|msg| match enqueue(conn, msg) {
            Ok(stored) => Ok(Ok(stored)),
            Err(
                e
                @ (StoreError::NoSuchUser | StoreError::MailboxFull | StoreError::SenderShareFull),
            ) => Ok(Err(e)),
            Err(e) => Err(e),
        })
        .collect()
}

/// Unexpired messages stored for `recipient`, counted no further than the
/// limit (the answer is only compared with it). Expired ones awaiting the
/// purge do not count: they will never be delivered.
fn mailbox_size(conn: &Connection, recipient: UserId, msg: &NewMessage) -> Result<i64, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT count(*) FROM (SELECT 1 FROM messages \
         WHERE recipient_id = ?1 AND expires_at > ?2 LIMIT ?3)",
    )?;
    let limit = i64::from(msg.mailbox_limit);
    Ok(stmt.query_row(params![recipient, msg.ts, limit], |r| r.get(0))?)
}

/// Unexpired messages stored for `recipient` from `msg.sender`, counted no
/// further than the sender's limit.
fn sender_share(conn: &Connection, recipient: UserId, msg: &NewMessage) -> Result<i64, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT count(*) FROM (SELECT 1 FROM messages \
         WHERE recipient_id = ?1 AND sender = ?2 AND expires_at > ?3 LIMIT ?4)",
    )?;
    let limit = i64::from(msg.sender_limit);
    Ok(stmt.query_row(params![recipient, msg.sender, msg.ts, limit], |r| r.get(0))?)
}

pub(super) fn ack(
    conn: &Connection,
    recipient: &str,
    msg_ids: &[String],
) -> Result<(), StoreError> {
    let Some(recipient) = user_id(conn, recipient)? else {
        return Ok(());
    };
    // One statement for the whole ack, the ids as one JSON array. The `+`
    // keeps the planner on the id index: by recipient it would read the
    // whole mailbox for each ack.
    let ids =
        serde_json::to_string(msg_ids).map_err(|e| StoreError::Db(format!("ack ids: {e}")))?;
    conn.prepare_cached(
        "DELETE FROM messages WHERE +recipient_id = ?1 \
         AND msg_id IN (SELECT value FROM json_each(?2))",
    )?
    .execute(params![recipient, ids])?;
    Ok(())
}

pub(super) fn purge_expired(conn: &Connection, now: i64) -> Result<u64, StoreError> {
    let messages = conn
        .prepare_cached("DELETE FROM messages WHERE expires_at <= ?1")?
        .execute([now])?;
    conn.prepare_cached("DELETE FROM tokens WHERE expires_at <= ?1")?
        .execute([now])?;
    // Count rows the acks brought to zero (see migration 5).
    conn.prepare_cached("DELETE FROM sender_shares WHERE stored <= 0")?
        .execute([])?;
    conn.prepare_cached("DELETE FROM mailbox_sizes WHERE stored <= 0")?
        .execute([])?;
    Ok(u64::try_from(messages).unwrap_or(u64::MAX))
}

/// Compare-and-set of a group's record: writes only when the version held
/// now is `expected` (0 for none), else returns what is held.
pub(super) fn commit_group(
    conn: &Connection,
    group_id: &str,
    expected: u64,
    record: &GroupRecord,
    by: &str,
    now: i64,
) -> Result<Result<(), Option<GroupRecord>>, StoreError> {
    let current = group(conn, group_id)?;
    if current.as_ref().map_or(0, |r| r.version) != expected {
        return Ok(Err(current));
    }
    let version = i64::try_from(record.version)
        .map_err(|_| StoreError::Db("group version out of range".to_owned()))?;
    let list = |names: &[String]| {
        serde_json::to_string(names).map_err(|e| StoreError::Db(format!("group list: {e}")))
    };
    conn.prepare_cached(
        "INSERT INTO group_records \
         (group_id, version, state_hash, members, admins, committed_by, committed_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) \
         ON CONFLICT (group_id) DO UPDATE SET version = excluded.version, \
         state_hash = excluded.state_hash, members = excluded.members, \
         admins = excluded.admins, committed_by = excluded.committed_by, \
         committed_at = excluded.committed_at",
    )?
    .execute(params![
        group_id,
        version,
        record.state_hash,
        list(&record.members)?,
        list(&record.admins)?,
        by,
        now
    ])?;
    Ok(Ok(()))
}
