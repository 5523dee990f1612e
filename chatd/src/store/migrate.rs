//! Schema migrations, so that a database written by an older chatd is
//! brought forward on start and one written by a newer chatd is refused
//! instead of being misread.

use std::time::{SystemTime, UNIX_EPOCH};

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use super::StoreError;

/// One numbered SQL file.
struct Migration {
    version: i64,
    sql: &'static str,
}

/// Every migration, in order. Append only: a shipped file never changes.
const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        sql: include_str!("migrations/0001_init.sql"),
    },
    Migration {
        version: 2,
        sql: include_str!("migrations/0002_seen_deliveries.sql"),
    },
];

/// The newest schema version this build knows.
pub(super) fn latest() -> i64 {
    MIGRATIONS.last().map_or(0, |m| m.version)
}

/// Applies every migration newer than the database, each in its own
/// transaction, and records it in `schema_migrations`.
pub(super) fn apply(conn: &mut Connection) -> Result<(), StoreError> {
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS schema_migrations \
         (version INTEGER PRIMARY KEY, applied_ms INTEGER NOT NULL)",
    )?;
    refuse_newer(conn)?;
    for migration in MIGRATIONS {
        apply_one(conn, migration)?;
    }
    Ok(())
}

fn refuse_newer(conn: &Connection) -> Result<(), StoreError> {
    let newest: Option<i64> =
        conn.query_row("SELECT max(version) FROM schema_migrations", [], |r| {
            r.get(0)
        })?;
    match newest {
        Some(v) if v > latest() => Err(StoreError::Db(format!(
            "the database schema version {v} is newer than this chatd supports ({}); run a \
             newer chatd",
            latest()
        ))),
        _ => Ok(()),
    }
}

fn apply_one(conn: &mut Connection, m: &Migration) -> Result<(), StoreError> {
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
    tx.execute_batch(m.sql).map_err(|e| {
        StoreError::Db(format!(
            "schema migration {} failed: {e}; the database was left as it was",
            m.version
        ))
    })?;
    tx.execute(
        "INSERT INTO schema_migrations (version, applied_ms) VALUES (?1, ?2)",
        params![m.version, now_ms()],
    )?;
    tx.commit()?;
    tracing::info!(version = m.version, "applied schema migration");
    Ok(())
}

/// Wall-clock Unix ms, for the migration log only.
fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
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
