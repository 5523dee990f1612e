//! Numbered schema migrations: a database written by an older program is
//! brought forward on start, one written by a newer program is refused
//! instead of being misread, and two processes opening the same file cannot
//! both apply a migration.

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use crate::Error;

/// One numbered SQL file. Append only: a shipped file never changes.
#[derive(Debug, Clone, Copy)]
pub struct Migration {
    /// 1, 2, ... without gaps.
    pub version: i64,
    /// The SQL, run in one transaction.
    pub sql: &'static str,
}

/// The newest version in `migrations`.
pub fn latest(migrations: &[Migration]) -> i64 {
    migrations.last().map_or(0, |m| m.version)
}

/// Applies every migration the database lacks, each in its own
/// transaction, recording it in `schema_migrations`. `program` names the
/// program in the message shown when the database is newer than it.
pub fn migrate(
    conn: &mut Connection,
    migrations: &[Migration],
    program: &str,
    now_ms: i64,
) -> Result<(), Error> {
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_ms INTEGER NOT NULL)",
    )
    .map_err(db)?;
    let newest: Option<i64> = conn
        .query_row("SELECT max(version) FROM schema_migrations", [], |r| {
            r.get(0)
        })
        .map_err(db)?;
    if let Some(v) = newest
        && v > latest(migrations)
    {
        return Err(Error(format!(
            "the database schema version {v} is newer than this {program} supports ({}); run a newer {program}",
            latest(migrations)
        )));
    }
    for m in migrations {
        apply_one(conn, m, now_ms)?;
    }
    Ok(())
}

fn db(e: rusqlite::Error) -> Error {
    Error(format!("database error while migrating: {e}"))
}

fn apply_one(conn: &mut Connection, m: &Migration, now_ms: i64) -> Result<(), Error> {
    // IMMEDIATE takes the write lock before the check.
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(db)?;
    let done = tx
        .query_row(
            "SELECT 1 FROM schema_migrations WHERE version = ?1",
            [m.version],
            |_| Ok(()),
        )
        .optional()
        .map_err(db)?
        .is_some();
    if done {
        return Ok(());
    }
    tx.execute_batch(m.sql).map_err(|e| {
        Error(format!(
            "schema migration {} failed: {e}; the database was left as it was",
            m.version
        ))
    })?;
    tx.execute(
        "INSERT INTO schema_migrations (version, applied_ms) VALUES (?1, ?2)",
        params![m.version, now_ms],
    )
    .map_err(db)?;
    tx.commit().map_err(db)?;
    tracing::info!(version = m.version, "applied schema migration");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const TWO: &[Migration] = &[
        Migration {
            version: 1,
            sql: "CREATE TABLE a (x)",
        },
        Migration {
            version: 2,
            sql: "CREATE TABLE b (y)",
        },
    ];

    #[test]
    fn applies_in_order_once_and_refuses_newer_databases() {
        let mut conn = Connection::open_in_memory().expect("open");
        migrate(&mut conn, &TWO[..1], "test", 1).expect("first");
        migrate(&mut conn, TWO, "test", 2).expect("second");
        migrate(&mut conn, TWO, "test", 3).expect("idempotent");
        let versions: Vec<i64> = conn
            .prepare("SELECT version FROM schema_migrations ORDER BY version")
            .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect())
            .expect("versions");
        assert_eq!(versions, vec![1, 2]);
        let err = migrate(&mut conn, &TWO[..1], "test", 4).expect_err("newer");
        assert!(err.0.contains("newer than this test supports"), "{err}");
    }

    #[test]
    fn a_failing_migration_leaves_the_database_as_it_was() {
        let mut conn = Connection::open_in_memory().expect("open");
        let bad = [Migration {
            version: 1,
            sql: "CREATE TABLE a (x); NOT SQL",
        }];
        assert!(migrate(&mut conn, &bad, "test", 1).is_err());
        let tables: i64 = conn
            .query_row(
                "SELECT count(*) FROM sqlite_master WHERE name = 'a'",
                [],
                |r| r.get(0),
            )
            .expect("count");
        assert_eq!(tables, 0);
    }
}
