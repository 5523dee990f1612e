//! The blob metadata's SQL (PROTOCOL.md §5.3): the reservation with its
//! quota check, the durable offset's compare-and-set, finishing, deleting,
//! and finding what expired. The writes run on the writer thread like every
//! other write, so a quota check and the insert it allows are one step and
//! two reservations cannot both squeeze under the quota.

use rusqlite::{Connection, OptionalExtension, params};

use crate::store::{BlobRecord, NewBlob, QuotaRefusal, StoreError};

fn to_i64(n: u64, what: &str) -> Result<i64, StoreError> {
    i64::try_from(n).map_err(|_| StoreError::Db(format!("blob {what} out of range")))
}

fn to_u64(n: i64, what: &str) -> Result<u64, StoreError> {
    u64::try_from(n).map_err(|_| StoreError::Db(format!("blob {what} out of range")))
}

/// Records a reservation unless it would pass the owner's quota or upload
/// count. Expired rows awaiting the sweeper do not count.
pub(super) fn create(
    conn: &Connection,
    new: &NewBlob,
) -> Result<Result<(), QuotaRefusal>, StoreError> {
    let (uploads, used): (i64, i64) = conn
        .prepare_cached(
            "SELECT count(*) FILTER (WHERE state = 'uploading'), coalesce(sum(size), 0) \
             FROM blobs WHERE owner_id = ?1 AND expires_at > ?2",
        )?
        .query_row(params![new.owner, new.now], |r| Ok((r.get(0)?, r.get(1)?)))?;
    if uploads >= i64::from(new.max_uploads) {
        return Ok(Err(QuotaRefusal::Uploads {
            max: new.max_uploads,
        }));
    }
    let used = to_u64(used, "quota use")?;
    if used.saturating_add(new.size) > new.quota {
        return Ok(Err(QuotaRefusal::Bytes {
            used,
            quota: new.quota,
        }));
    }
    conn.prepare_cached(
        "INSERT INTO blobs (blob_id, owner_id, size, state, created_at, expires_at) \
         VALUES (?1, ?2, ?3, 'uploading', ?4, ?5)",
    )?
    .execute(params![
        new.blob_id,
        new.owner,
        to_i64(new.size, "size")?,
        new.now,
        new.expires
    ])?;
    Ok(Ok(()))
}

/// The row of `blob_id`, expired or not.
pub(super) fn get(conn: &Connection, blob_id: &str) -> Result<Option<BlobRecord>, StoreError> {
    let row = conn
        .prepare_cached(
            "SELECT owner_id, size, durable_offset, digest, created_at, finished_at, expires_at \
             FROM blobs WHERE blob_id = ?1",
        )?
        .query_row([blob_id], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, i64>(2)?,
                r.get::<_, Option<String>>(3)?,
                r.get::<_, i64>(4)?,
                r.get::<_, Option<i64>>(5)?,
                r.get::<_, i64>(6)?,
            ))
        })
        .optional()?;
    let Some((owner, size, offset, digest, created, finished, expires)) = row else {
        return Ok(None);
    };
    Ok(Some(BlobRecord {
        owner,
        size: to_u64(size, "size")?,
        offset: to_u64(offset, "offset")?,
        digest,
        created,
        finished,
        expires,
    }))
}

/// Moves an unfinished blob's durable offset from `from` to `to`; false
/// when the row is not at `from` any more (or is gone or finished).
pub(super) fn advance(
    conn: &Connection,
    blob_id: &str,
    from: u64,
    to: u64,
) -> Result<bool, StoreError> {
    let n = conn
        .prepare_cached(
            "UPDATE blobs SET durable_offset = ?3 \
             WHERE blob_id = ?1 AND durable_offset = ?2 AND state = 'uploading' AND ?3 <= size",
        )?
        .execute(params![
            blob_id,
            to_i64(from, "offset")?,
            to_i64(to, "offset")?
        ])?;
    Ok(n == 1)
}

/// Marks a complete upload finished with its digest and new expiry; false
/// when it is not an unfinished blob whose offset is its size.
pub(super) fn finish(
    conn: &Connection,
    blob_id: &str,
    digest: &str,
    now: i64,
    expires: i64,
) -> Result<bool, StoreError> {
    let n = conn
        .prepare_cached(
            "UPDATE blobs SET state = 'finished', digest = ?2, finished_at = ?3, expires_at = ?4 \
             WHERE blob_id = ?1 AND state = 'uploading' AND durable_offset = size",
        )?
        .execute(params![blob_id, digest, now, expires])?;
    Ok(n == 1)
}

/// Deletes the row; false when there was none.
pub(super) fn delete(conn: &Connection, blob_id: &str) -> Result<bool, StoreError> {
    let n = conn
        .prepare_cached("DELETE FROM blobs WHERE blob_id = ?1")?
        .execute([blob_id])?;
    Ok(n == 1)
}

/// Ids of blobs expired at `now`, oldest expiry first, at most `limit`.
pub(super) fn expired(conn: &Connection, now: i64, limit: u32) -> Result<Vec<String>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT blob_id FROM blobs WHERE expires_at <= ?1 ORDER BY expires_at LIMIT ?2",
    )?;
    let ids = stmt
        .query_map(params![now, limit], |r| r.get(0))?
        .collect::<Result<Vec<String>, _>>()?;
    Ok(ids)
}
