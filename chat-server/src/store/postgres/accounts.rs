//! Accounts and their identity keys. Signup is one statement (user, first
//! key and mailbox row together), and a key change locks its user's row so
//! that two changes at once cannot both retire the same current key.

use deadpool_postgres::Pool;
use tokio_postgres::error::SqlState;

use super::pool::{fk_means_no_user, is};
use crate::store::{KeyRecord, StoreError, UserAuth, UserId};

pub(super) async fn create_user(
    pool: &Pool,
    username: &str,
    password_hash: &str,
    key: &KeyRecord,
    now: i64,
) -> Result<UserId, StoreError> {
    let client = pool.get().await?;
    let stmt = client
        .prepare_cached(
            "WITH u AS (INSERT INTO users (username, password_hash) VALUES ($1, $2) RETURNING id), \
             k AS (INSERT INTO identity_keys (user_id, public_key, fingerprint, created_at) \
                   SELECT id, $3, $4, $5 FROM u), \
             m AS (INSERT INTO mailboxes (user_id) SELECT id FROM u) \
             SELECT id FROM u",
        )
        .await?;
    let row = client
        .query_one(
            &stmt,
            &[
                &username,
                &password_hash,
                &key.public_key,
                &key.fingerprint,
                &now,
            ],
        )
        .await
        .map_err(|e| {
            if is(&e, &SqlState::UNIQUE_VIOLATION) {
                StoreError::UsernameTaken
            } else {
                e.into()
            }
        })?;
    Ok(row.get(0))
}

pub(super) async fn user_auth(pool: &Pool, username: &str) -> Result<Option<UserAuth>, StoreError> {
    let client = pool.get().await?;
    let stmt = client
        .prepare_cached("SELECT id, username, password_hash FROM users WHERE username = $1")
        .await?;
    Ok(client
        .query_opt(&stmt, &[&username])
        .await?
        .map(|r| UserAuth {
            id: r.get(0),
            username: r.get(1),
            password_hash: r.get(2),
        }))
}

pub(super) async fn set_password(
    pool: &Pool,
    user: UserId,
    password_hash: &str,
) -> Result<(), StoreError> {
    let client = pool.get().await?;
    let stmt = client
        .prepare_cached("UPDATE users SET password_hash = $2 WHERE id = $1")
        .await?;
    match client.execute(&stmt, &[&user, &password_hash]).await? {
        0 => Err(StoreError::NoSuchUser),
        _ => Ok(()),
    }
}

pub(super) async fn current_key(
    pool: &Pool,
    username: &str,
) -> Result<Option<KeyRecord>, StoreError> {
    let client = pool.get().await?;
    let stmt = client
        .prepare_cached(
            "SELECT k.public_key, k.fingerprint FROM identity_keys k \
             JOIN users u ON u.id = k.user_id \
             WHERE u.username = $1 AND k.replaced_at IS NULL",
        )
        .await?;
    Ok(client
        .query_opt(&stmt, &[&username])
        .await?
        .map(|r| KeyRecord {
            public_key: r.get(0),
            fingerprint: r.get(1),
        }))
}

pub(super) async fn replace_key(
    pool: &Pool,
    user: UserId,
    key: &KeyRecord,
    now: i64,
) -> Result<(), StoreError> {
    let mut client = pool.get().await?;
    let tx = client.transaction().await?;
    // NO KEY UPDATE: serialises key changes of this user without blocking
    // inserts that merely reference the user (tokens, messages).
    let lock = tx
        .prepare_cached("SELECT id FROM users WHERE id = $1 FOR NO KEY UPDATE")
        .await?;
    if tx.query_opt(&lock, &[&user]).await?.is_none() {
        return Err(StoreError::NoSuchUser);
    }
    let current = tx
        .prepare_cached(
            "SELECT fingerprint FROM identity_keys WHERE user_id = $1 AND replaced_at IS NULL",
        )
        .await?;
    let current: Option<String> = tx.query_opt(&current, &[&user]).await?.map(|r| r.get(0));
    // Re-registering the current key (a retried login) is not a change and
    // must not grow the history.
    if current.as_deref() == Some(key.fingerprint.as_str()) {
        return Ok(());
    }
    let retire = tx
        .prepare_cached(
            "UPDATE identity_keys SET replaced_at = $2 WHERE user_id = $1 AND replaced_at IS NULL",
        )
        .await?;
    tx.execute(&retire, &[&user, &now]).await?;
    let insert = tx
        .prepare_cached(
            "INSERT INTO identity_keys (user_id, public_key, fingerprint, created_at) \
             VALUES ($1, $2, $3, $4)",
        )
        .await?;
    tx.execute(&insert, &[&user, &key.public_key, &key.fingerprint, &now])
        .await
        .map_err(fk_means_no_user)?;
    tx.commit().await?;
    Ok(())
}

pub(super) async fn user_exists(pool: &Pool, username: &str) -> Result<bool, StoreError> {
    let client = pool.get().await?;
    let stmt = client
        .prepare_cached("SELECT 1 FROM users WHERE username = $1")
        .await?;
    Ok(client.query_opt(&stmt, &[&username]).await?.is_some())
}

/// Prefix search as a range on the username index (byte order, COLLATE
/// "C"): `LIKE` would treat `_` as a wildcard and need escaping.
pub(super) async fn list_users(
    pool: &Pool,
    prefix: &str,
    after: Option<&str>,
    limit: u32,
) -> Result<Vec<String>, StoreError> {
    let (strict, lower) = match after {
        Some(after) if after >= prefix => (true, after),
        _ => (false, prefix),
    };
    let end = prefix_end(prefix);
    let client = pool.get().await?;
    let stmt = client
        .prepare_cached(
            "SELECT username FROM users \
             WHERE username >= $1 AND (NOT $2 OR username <> $1) \
               AND ($3::text IS NULL OR username < $3) \
             ORDER BY username LIMIT $4",
        )
        .await?;
    let rows = client
        .query(&stmt, &[&lower, &strict, &end, &i64::from(limit)])
        .await?;
    Ok(rows.iter().map(|r| r.get(0)).collect())
}

/// The smallest string greater than every string starting with `prefix`, or
/// `None` when there is none (empty prefix, or only `char::MAX`s).
fn prefix_end(prefix: &str) -> Option<String> {
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
