//! Group membership records (PROTOCOL.md §4.5) as compare-and-set
//! statements: the first version is an insert that does nothing when the
//! group exists, every later one an update conditioned on the version held.
//! PostgreSQL re-checks that condition after waiting for a concurrent
//! commit, so two commits on one version cannot both succeed.

use deadpool_postgres::Pool;

use super::pool::{big, unsigned};
use crate::store::{GroupRecord, StoreError};

pub(super) async fn get(pool: &Pool, group_id: &str) -> Result<Option<GroupRecord>, StoreError> {
    let client = pool.get().await?;
    let stmt = client
        .prepare_cached(
            "SELECT version, state_hash, members, admins FROM group_records WHERE group_id = $1",
        )
        .await?;
    let Some(row) = client.query_opt(&stmt, &[&group_id]).await? else {
        return Ok(None);
    };
    Ok(Some(GroupRecord {
        version: unsigned(row.get(0), "group version")?,
        state_hash: row.get(1),
        members: row.get(2),
        admins: row.get(3),
    }))
}

pub(super) async fn commit(
    pool: &Pool,
    group_id: &str,
    expected: u64,
    record: &GroupRecord,
    by: &str,
    now: i64,
) -> Result<Result<(), Option<GroupRecord>>, StoreError> {
    let version = big(record.version, "group version")?;
    let client = pool.get().await?;
    let written = if expected == 0 {
        let stmt = client
            .prepare_cached(
                "INSERT INTO group_records \
                 (group_id, version, state_hash, members, admins, committed_by, committed_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (group_id) DO NOTHING",
            )
            .await?;
        client
            .execute(
                &stmt,
                &[
                    &group_id,
                    &version,
                    &record.state_hash,
                    &record.members,
                    &record.admins,
                    &by,
                    &now,
                ],
            )
            .await?
    } else {
        let stmt = client
            .prepare_cached(
                "UPDATE group_records SET version = $2, state_hash = $3, members = $4, \
                 admins = $5, committed_by = $6, committed_at = $7 \
                 WHERE group_id = $1 AND version = $8",
            )
            .await?;
        client
            .execute(
                &stmt,
                &[
                    &group_id,
                    &version,
                    &record.state_hash,
                    &record.members,
                    &record.admins,
                    &by,
                    &now,
                    &big(expected, "group version")?,
                ],
            )
            .await?
    };
    drop(client);
    if written == 1 {
        return Ok(Ok(()));
    }
    // Stale: what is held now (committed by someone else, or none at all
    // when `expected` named a version of a group that does not exist).
    Ok(Err(get(pool, group_id).await?))
}
