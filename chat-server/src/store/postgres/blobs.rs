//! Blob metadata (PROTOCOL.md §5.3). A reservation locks its owner's user
//! row while it checks the quota and inserts, so two reservations of one
//! owner, even on two nodes, cannot both squeeze under the quota; the
//! durable offset moves by compare-and-set.

use deadpool_postgres::Pool;

use super::pool::{big, unsigned};
use crate::store::{BlobRecord, NewBlob, QuotaRefusal, StoreError};

/// Records a reservation unless it would pass the owner's quota or upload
/// count. Expired rows awaiting the sweeper do not count.
pub(super) async fn create(
    pool: &Pool,
    new: &NewBlob,
) -> Result<Result<(), QuotaRefusal>, StoreError> {
    let mut client = pool.get().await?;
    let tx = client.transaction().await?;
    let lock = tx
        .prepare_cached("SELECT id FROM users WHERE id = $1 FOR NO KEY UPDATE")
        .await?;
    if tx.query_opt(&lock, &[&new.owner]).await?.is_none() {
        return Err(StoreError::NoSuchUser);
    }
    let usage = tx
        .prepare_cached(
            "SELECT count(*) FILTER (WHERE state = 'uploading'), coalesce(sum(size), 0)::bigint \
             FROM blobs WHERE owner_id = $1 AND expires_at > $2",
        )
        .await?;
    let row = tx.query_one(&usage, &[&new.owner, &new.now]).await?;
    let (uploads, used): (i64, i64) = (row.get(0), row.get(1));
    if uploads >= i64::from(new.max_uploads) {
        return Ok(Err(QuotaRefusal::Uploads {
            max: new.max_uploads,
        }));
    }
    let used = unsigned(used, "blob quota use")?;
    if used.saturating_add(new.size) > new.quota {
        return Ok(Err(QuotaRefusal::Bytes {
            used,
            quota: new.quota,
        }));
    }
    let insert = tx
        .prepare_cached(
            "INSERT INTO blobs (blob_id, owner_id, size, state, created_at, expires_at) \
             VALUES ($1, $2, $3, 'uploading', $4, $5)",
        )
        .await?;
    tx.execute(
        &insert,
        &[
            &new.blob_id,
            &new.owner,
            &big(new.size, "blob size")?,
            &new.now,
            &new.expires,
        ],
    )
    .await?;
    tx.commit().await?;
    Ok(Ok(()))
}

/// The row of `blob_id`, expired or not.
pub(super) async fn get(pool: &Pool, blob_id: &str) -> Result<Option<BlobRecord>, StoreError> {
    let client = pool.get().await?;
    let stmt = client
        .prepare_cached(
            "SELECT owner_id, size, durable_offset, digest, created_at, finished_at, expires_at \
             FROM blobs WHERE blob_id = $1",
        )
        .await?;
    let Some(r) = client.query_opt(&stmt, &[&blob_id]).await? else {
        return Ok(None);
    };
    Ok(Some(BlobRecord {
        owner: r.get(0),
        size: unsigned(r.get(1), "blob size")?,
        offset: unsigned(r.get(2), "blob offset")?,
        digest: r.get(3),
        created: r.get(4),
        finished: r.get(5),
        expires: r.get(6),
    }))
}

/// Moves an unfinished blob's durable offset from `from` to `to`; false
/// when the row is not at `from` any more (or is gone or finished).
pub(super) async fn advance(
    pool: &Pool,
    blob_id: &str,
    from: u64,
    to: u64,
) -> Result<bool, StoreError> {
    let client = pool.get().await?;
    let stmt = client
        .prepare_cached(
            "UPDATE blobs SET durable_offset = $3 \
             WHERE blob_id = $1 AND durable_offset = $2 AND state = 'uploading' AND $3 <= size",
        )
        .await?;
    let n = client
        .execute(
            &stmt,
            &[
                &blob_id,
                &big(from, "blob offset")?,
                &big(to, "blob offset")?,
            ],
        )
        .await?;
    Ok(n == 1)
}

/// Marks a complete upload finished with its digest and new expiry; false
/// when it is not an unfinished blob whose offset is its size.
pub(super) async fn finish(
    pool: &Pool,
    blob_id: &str,
    digest: &str,
    now: i64,
    expires: i64,
) -> Result<bool, StoreError> {
    let client = pool.get().await?;
    let stmt = client
        .prepare_cached(
            "UPDATE blobs SET state = 'finished', digest = $2, finished_at = $3, expires_at = $4 \
             WHERE blob_id = $1 AND state = 'uploading' AND durable_offset = size",
        )
        .await?;
    let n = client
        .execute(&stmt, &[&blob_id, &digest, &now, &expires])
        .await?;
    Ok(n == 1)
}

/// Deletes the row; false when there was none.
pub(super) async fn delete(pool: &Pool, blob_id: &str) -> Result<bool, StoreError> {
    let client = pool.get().await?;
    let stmt = client
        .prepare_cached("DELETE FROM blobs WHERE blob_id = $1")
        .await?;
    Ok(client.execute(&stmt, &[&blob_id]).await? == 1)
}

/// Ids of blobs expired at `now`, oldest expiry first, at most `limit`.
pub(super) async fn expired(pool: &Pool, now: i64, limit: u32) -> Result<Vec<String>, StoreError> {
    let client = pool.get().await?;
    let stmt = client
        .prepare_cached(
            "SELECT blob_id FROM blobs WHERE expires_at <= $1 ORDER BY expires_at LIMIT $2",
        )
        .await?;
    let rows = client.query(&stmt, &[&now, &i64::from(limit)]).await?;
    Ok(rows.iter().map(|r| r.get(0)).collect())
}
