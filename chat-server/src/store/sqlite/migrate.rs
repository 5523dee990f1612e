//! Schema migrations, so that a database written by an older chat-server is
//! brought forward on start and one written by a newer one is refused
//! instead of being misread.

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use crate::store::StoreError;

/// One numbered SQL file.
struct Migration {
    version: i64,
    sql: &'static str,
}

/// Every migration, in order. Append only: a shipped file never changes.
const MIGRATIONS: &[Migration] = &[Migration {
    version: 1,
    sql: include_str!("../migrations/0001_init.sql"),
}];

/// Applies every migration newer than the database, each in its own
/// transaction, and records it in `schema_migrations`.
pub(super) fn apply(conn: &mut Connection, now_ms: i64) -> Result<(), StoreError> {
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS schema_migrations \
         (version INTEGER PRIMARY KEY, applied_at INTEGER)",
    )?;
    refuse_newer(conn)?;
    for migration in MIGRATIONS {
        apply_one(conn, migration, now_ms)?;
    }
    Ok(())
}

/// The newest version this build knows.
pub(super) fn latest() -> i64 {
    MIGRATIONS.last().map_or(0, |m| m.version)
}

fn refuse_newer(conn: &Connection) -> Result<(), StoreError> {
    let newest: Option<i64> =
        conn.query_row("SELECT max(version) FROM schema_migrations", [], |r| {
            r.get(0)
        })?;
    match newest {
        Some(v) if v > latest() => Err(StoreError::Db(format!(
            "database schema version {v} is newer than this chat-server supports ({}); run a \
             newer chat-server",
            latest()
        ))),
        _ => Ok(()),
    }
}

fn apply_one(conn: &mut Connection, m: &Migration, now_ms: i64) -> Result<(), StoreError> {
    // IMMEDIATE takes the write lock before the check, so two processes
    // opening the same file cannot both apply a migration.
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let done = tx
        .query_row(
            "SELECT 1 FROM schema_migrations WHERE version = ?1",
            [m.version],
            |_| Ok(()),
        )
        .optional()?
        .is_some();
    if done {
        return Ok(());
    }
    tx.execute_batch(m.sql)
        .map_err(|e| StoreError::Db(format!("schema migration {} failed: {e}", m.version)))?;
    tx.execute(
        "INSERT INTO schema_migrations (version, applied_at) VALUES (?1, ?2)",
        params![m.version, now_ms],
    )?;
    tx.commit()?;
    tracing::info!(version = m.version, "applied schema migration");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::MIGRATIONS;

    #[test]
    fn versions_are_numbered_from_one_without_gaps() {
        for (i, m) in MIGRATIONS.iter().enumerate() {
            assert_eq!(m.version, i64::try_from(i).unwrap() + 1);
        }
    }
}
