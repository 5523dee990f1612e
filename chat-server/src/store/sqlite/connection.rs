//! Opening SQLite connections with the settings the store's guarantees rest
//! on (WAL, `synchronous=FULL`, foreign keys), in one place so that the
//! writer and the readers cannot drift apart, and turning SQLite errors into
//! [`StoreError`]s.

use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, ffi};

use crate::store::StoreError;

/// Opens (creating if needed) the one read-write connection.
///
/// WAL lets readers run while the writer commits; `synchronous=FULL` makes
/// every commit fsync the WAL, so a `sent` answer survives a crash of the
/// process and of the machine.
pub(super) fn open_writer(path: &Path, busy_timeout: Duration) -> Result<Connection, StoreError> {
    create_private(path)?;
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_CREATE
        | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags).map_err(|e| open_error(path, &e))?;
    configure_writer(&conn, busy_timeout).map_err(|e| open_error(path, &e))?;
    let mode: String = conn
        .pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))
        .map_err(|e| open_error(path, &e))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(StoreError::Db(format!(
            "cannot enable WAL mode on {} (SQLite chose {mode}); put the database on a local \
             filesystem",
            path.display()
        )));
    }
    Ok(conn)
}

fn configure_writer(conn: &Connection, busy_timeout: Duration) -> rusqlite::Result<()> {
    conn.busy_timeout(busy_timeout)?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    // Enough for every statement of the store, so none is re-prepared.
    conn.set_prepared_statement_cache_capacity(64);
    Ok(())
}

/// Opens one read-only connection for the reader pool.
pub(super) fn open_reader(path: &Path, busy_timeout: Duration) -> Result<Connection, StoreError> {
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags).map_err(|e| open_error(path, &e))?;
    conn.busy_timeout(busy_timeout)
        .map_err(|e| open_error(path, &e))?;
    // Belt and braces: even a bug in a query cannot write through a reader.
    conn.pragma_update(None, "query_only", "ON")
        .map_err(|e| open_error(path, &e))?;
    Ok(conn)
}

/// Creates the database file readable by its owner only, before SQLite
/// creates it with the default mode: it holds password and token hashes.
/// SQLite gives the `-wal` and `-shm` files the mode of the database file.
#[cfg(unix)]
fn create_private(path: &Path) -> Result<(), StoreError> {
    use std::os::unix::fs::OpenOptionsExt;
    let created = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path);
    match created {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(StoreError::Db(format!(
            "cannot create database {}: {e}; check that its directory exists and is writable",
            path.display()
        ))),
    }
}

#[cfg(not(unix))]
fn create_private(_path: &Path) -> Result<(), StoreError> {
    Ok(())
}

fn open_error(path: &Path, e: &rusqlite::Error) -> StoreError {
    StoreError::Db(format!(
        "cannot open database {}: {e}; check that the path is a SQLite database on a local \
         filesystem, writable by this user",
        path.display()
    ))
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        StoreError::Db(e.to_string())
    }
}

/// Whether `e` is a violation of the given extended constraint code
/// (`ffi::SQLITE_CONSTRAINT_UNIQUE`, ...).
pub(super) fn is_constraint(e: &rusqlite::Error, extended_code: i32) -> bool {
    e.sqlite_error()
        .is_some_and(|err| err.extended_code == extended_code)
}

/// Maps a foreign-key failure to [`StoreError::NoSuchUser`]: every foreign
/// key of the schema points at `users`.
pub(super) fn fk_means_no_user(e: rusqlite::Error) -> StoreError {
    if is_constraint(&e, ffi::SQLITE_CONSTRAINT_FOREIGNKEY) {
        StoreError::NoSuchUser
    } else {
        e.into()
    }
}
