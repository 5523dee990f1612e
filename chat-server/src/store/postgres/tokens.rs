//! Session tokens. Using one is a single conditional UPDATE: validity
//! (owner, absolute expiry, idle limit) and the new last use are decided in
//! one statement, so a token revoked a moment earlier is never accepted.

use deadpool_postgres::Pool;

use super::pool::fk_means_no_user;
use crate::store::{NewToken, StoreError, UserId};

pub(super) async fn insert(pool: &Pool, token: &NewToken) -> Result<(), StoreError> {
    let client = pool.get().await?;
    let stmt = client
        .prepare_cached(
            "INSERT INTO tokens (token_hash, user_id, created_at, expires_at, last_used_at) \
             VALUES ($1, $2, $3, $4, $3)",
        )
        .await?;
    client
        .execute(
            &stmt,
            &[
                &token.token_hash.as_slice(),
                &token.user_id,
                &token.created_at,
                &token.expires_at,
            ],
        )
        .await
        .map_err(fk_means_no_user)?;
    Ok(())
}

pub(super) async fn use_token(
    pool: &Pool,
    username: &str,
    token_hash: &[u8; 32],
    now: i64,
    idle_ms: i64,
) -> Result<Option<(UserId, i64)>, StoreError> {
    let client = pool.get().await?;
    let stmt = client
        .prepare_cached(
            "UPDATE tokens t SET last_used_at = $3 FROM users u \
             WHERE t.token_hash = $1 AND u.id = t.user_id AND u.username = $2 \
               AND t.expires_at > $3 AND t.last_used_at > $4 \
             RETURNING t.user_id, t.expires_at",
        )
        .await?;
    let row = client
        .query_opt(
            &stmt,
            &[
                &token_hash.as_slice(),
                &username,
                &now,
                &now.saturating_sub(idle_ms),
            ],
        )
        .await?;
    Ok(row.map(|r| (r.get(0), r.get(1))))
}

pub(super) async fn revoke(pool: &Pool, token_hash: &[u8; 32]) -> Result<(), StoreError> {
    let client = pool.get().await?;
    let stmt = client
        .prepare_cached("DELETE FROM tokens WHERE token_hash = $1")
        .await?;
    client.execute(&stmt, &[&token_hash.as_slice()]).await?;
    Ok(())
}

pub(super) async fn revoke_except(
    pool: &Pool,
    user: UserId,
    keep: Option<&[u8; 32]>,
) -> Result<(), StoreError> {
    let client = pool.get().await?;
    let stmt = client
        .prepare_cached(
            "DELETE FROM tokens WHERE user_id = $1 \
             AND ($2::bytea IS NULL OR token_hash <> $2)",
        )
        .await?;
    let keep = keep.map(<[u8; 32]>::as_slice);
    client.execute(&stmt, &[&user, &keep]).await?;
    Ok(())
}
