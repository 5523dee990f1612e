//! The PostgreSQL schema's migrations (numbered SQL files under
//! `store/migrations/postgres/`), applied at start in one transaction under
//! an advisory lock, so that nodes starting together against one database
//! neither race nor see half a schema.

use deadpool_postgres::Pool;

use crate::store::StoreError;

/// A numbered schema change.
pub(super) struct Migration {
    pub(super) version: i64,
    pub(super) sql: &'static str,
}

/// Every migration, in order. Append only: a shipped file never changes.
pub(super) const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        sql: include_str!("../migrations/postgres/0001_init.sql"),
    },
    Migration {
        version: 2,
        sql: include_str!("../migrations/postgres/0002_cluster.sql"),
    },
];

/// Key of the advisory lock taken while migrating ("chatmigr").
const LOCK_KEY: i64 = 0x6368_6174_6d69_6772;

/// The newest version this build knows.
pub(super) fn latest() -> i64 {
    MIGRATIONS.last().map_or(0, |m| m.version)
}

/// Applies every migration newer than the database; refuses a database
/// migrated by a newer build.
pub(super) async fn apply(pool: &Pool, now_ms: i64) -> Result<(), StoreError> {
    let mut client = pool.get().await?;
    let tx = client.transaction().await?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&LOCK_KEY])
        .await?;
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations (\
         version BIGINT PRIMARY KEY, applied_at BIGINT NOT NULL)",
    )
    .await?;
    let current: i64 = tx
        .query_one(
            "SELECT coalesce(max(version), 0) FROM schema_migrations",
            &[],
        )
        .await?
        .get(0);
    if current > latest() {
        return Err(StoreError::Db(format!(
            "the database's schema (version {current}) is newer than this chat-server \
             knows (version {}); run a newer chat-server",
            latest()
        )));
    }
    for m in MIGRATIONS.iter().filter(|m| m.version > current) {
        tx.batch_execute(m.sql).await.map_err(|e| {
            let StoreError::Db(text) = StoreError::from(e) else {
                return StoreError::Unavailable;
            };
            StoreError::Db(format!("migration {}: {text}", m.version))
        })?;
        tx.execute(
            "INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)",
            &[&m.version, &now_ms],
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::MIGRATIONS;

    #[test]
    fn versions_are_numbered_from_one_without_gaps() {
        for (i, m) in MIGRATIONS.iter().enumerate() {
            assert_eq!(Some(m.version), i64::try_from(i + 1).ok());
        }
    }
}
