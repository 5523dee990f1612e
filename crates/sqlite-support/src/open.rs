//! Opening connections with the settings the stores' guarantees rest on:
//! a private file (it holds password or session secrets), WAL so readers
//! run while the writer commits, `synchronous=FULL` so a commit survives a
//! crash of the process and of the machine, and foreign keys.

use std::path::Path;
use std::time::Duration;

use rusqlite::config::DbConfig;
use rusqlite::{Connection, OpenFlags};

use crate::Error;

/// Statements prepared once per connection; enough for every statement of
/// either store.
const STATEMENT_CACHE: usize = 64;

/// Opens (creating if needed, with mode 0600 and missing parent
/// directories 0700) the read-write connection.
pub fn open_writer(path: &Path, busy_timeout: Duration) -> Result<Connection, Error> {
    create_parent(path)?;
    create_private(path)?;
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_CREATE
        | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags).map_err(|e| open_error(path, &e))?;
    configure(&conn, busy_timeout).map_err(|e| open_error(path, &e))?;
    let mode: String = conn
        .pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))
        .map_err(|e| open_error(path, &e))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(Error(format!(
            "cannot enable WAL mode on {} (SQLite chose {mode}); put the database on a local filesystem",
            path.display()
        )));
    }
    Ok(conn)
}

/// Opens a read-only connection (for a reader pool).
pub fn open_reader(path: &Path, busy_timeout: Duration) -> Result<Connection, Error> {
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags).map_err(|e| open_error(path, &e))?;
    conn.busy_timeout(busy_timeout)
        .map_err(|e| open_error(path, &e))?;
    // Even a bug in a query cannot write through a reader.
    conn.pragma_update(None, "query_only", "ON")
        .map_err(|e| open_error(path, &e))?;
    cache_statements(&conn).map_err(|e| open_error(path, &e))?;
    Ok(conn)
}

fn configure(conn: &Connection, busy_timeout: Duration) -> rusqlite::Result<()> {
    conn.busy_timeout(busy_timeout)?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    cache_statements(conn)
}

/// Keeps prepared statements, and makes keeping them pay. The bundled
/// SQLite lets a bound value (a `LIMIT ?`, a range bound, with STAT4) shape
/// the query plan, and marks such a statement to be compiled again whenever
/// its bindings are cleared, which rusqlite's cache does on every return:
/// without the planner's stability guarantee (QPSG) every cached query of
/// the relay's delivery path was parsed and planned anew on each use. Our
/// queries are written for their indexes; one plan per statement is what
/// we want anyway.
fn cache_statements(conn: &Connection) -> rusqlite::Result<()> {
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)?;
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    Ok(())
}

fn open_error(path: &Path, e: &rusqlite::Error) -> Error {
    Error(format!(
        "cannot open {}: {e}; check that it is a SQLite database on a local filesystem, writable by this user",
        path.display()
    ))
}

/// Creates the missing directories above the file, private to the owner.
/// An existing directory is left as it is.
fn create_parent(path: &Path) -> Result<(), Error> {
    let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) else {
        return Ok(());
    };
    if parent.is_dir() {
        return Ok(());
    }
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(parent).map_err(|e| {
        Error(format!(
            "cannot create the directory {}: {e}; check the permissions of its parent",
            parent.display()
        ))
    })
}

/// Creates the file with mode 0600 before SQLite creates it with the
/// default mode (SQLite gives its `-wal` and `-shm` files the database's
/// mode), and narrows an existing file that others could read.
#[cfg(unix)]
fn create_private(path: &Path) -> Result<(), Error> {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    let file_error = |e: std::io::Error| {
        Error(format!(
            "cannot create or secure {}: {e}; check that its directory is writable by this user",
            path.display()
        ))
    };
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
    {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            let mode = std::fs::metadata(path)
                .map_err(file_error)?
                .permissions()
                .mode();
            if mode & 0o077 != 0 {
                tracing::warn!(path = %path.display(), "database was readable by others; narrowing it to 0600");
                std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
                    .map_err(file_error)?;
            }
            Ok(())
        }
        Err(e) => Err(file_error(e)),
    }
}

#[cfg(not(unix))]
fn create_private(_path: &Path) -> Result<(), Error> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn writer_is_private_durable_and_wal() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("a/b/test.db");
        let conn = open_writer(&path, Duration::from_secs(1)).expect("open");
        let mode = |p: &Path| std::fs::metadata(p).expect("meta").permissions().mode() & 0o777;
        assert_eq!(mode(&path), 0o600);
        assert_eq!(mode(path.parent().expect("parent")), 0o700);
        let sync: i64 = conn
            .pragma_query_value(None, "synchronous", |r| r.get(0))
            .expect("pragma");
        assert_eq!(sync, 2, "FULL");
        let fk: i64 = conn
            .pragma_query_value(None, "foreign_keys", |r| r.get(0))
            .expect("pragma");
        assert_eq!(fk, 1);
        conn.execute_batch("CREATE TABLE t (x)").expect("create");
        let reader = open_reader(&path, Duration::from_secs(1)).expect("reader");
        assert!(
            reader.execute_batch("INSERT INTO t VALUES (1)").is_err(),
            "readers cannot write"
        );
    }

    /// A cached statement taken again with new values runs the plan it was
    /// prepared with: SQLite's `RePrepare` counter stays at zero.
    #[test]
    fn cached_statements_are_not_compiled_again_on_reuse() {
        use rusqlite::StatementStatus;
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("test.db");
        let writer = open_writer(&path, Duration::from_secs(1)).expect("open");
        writer
            .execute_batch(
                "CREATE TABLE m (seq INTEGER PRIMARY KEY, who INTEGER, exp INTEGER);
                 CREATE INDEX m_who ON m (who, seq, exp);
                 INSERT INTO m (who, exp) VALUES (1, 10), (1, 20), (2, 30);",
            )
            .expect("schema");
        let reader = open_reader(&path, Duration::from_secs(1)).expect("reader");
        let sql =
            "SELECT seq FROM m WHERE who = ?1 AND seq > ?2 AND exp > ?3 ORDER BY seq LIMIT ?4";
        for conn in [&writer, &reader] {
            for round in 0..5_i64 {
                let mut stmt = conn.prepare_cached(sql).expect("prepare");
                let rows: Vec<i64> = stmt
                    .query_map(rusqlite::params![1, round % 2, round, 1 + round], |r| {
                        r.get(0)
                    })
                    .expect("query")
                    .collect::<Result<_, _>>()
                    .expect("rows");
                assert!(!rows.is_empty());
                assert_eq!(
                    stmt.get_status(StatementStatus::RePrepare),
                    0,
                    "round {round}: the cached statement was compiled again"
                );
            }
        }
    }

    #[test]
    fn an_existing_file_readable_by_others_is_narrowed() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("x.db");
        std::fs::write(&path, b"").expect("write");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        open_writer(&path, Duration::from_secs(1)).expect("open");
        assert_eq!(
            std::fs::metadata(&path).expect("meta").permissions().mode() & 0o777,
            0o600
        );
    }
}
