//! Opening SQLite connections with the settings the store's guarantees rest
//! on (the shared `sqlite-support` crate: private file, WAL,
//! `synchronous=FULL`, foreign keys), and turning SQLite errors into
//! [`StoreError`]s.

use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, ffi};

use crate::store::StoreError;

/// Opens (creating if needed) the one read-write connection. Every commit
/// fsyncs the WAL, so a `sent` answer survives a crash of the process and
/// of the machine.
pub(super) fn open_writer(path: &Path, busy_timeout: Duration) -> Result<Connection, StoreError> {
    let conn = sqlite_support::open_writer(path, busy_timeout).map_err(|e| StoreError::Db(e.0))?;
    tune(&conn, WRITER_CACHE_KIB)?;
    Ok(conn)
}

/// Opens one read-only connection for the reader pool.
pub(super) fn open_reader(path: &Path, busy_timeout: Duration) -> Result<Connection, StoreError> {
    let conn = sqlite_support::open_reader(path, busy_timeout).map_err(|e| StoreError::Db(e.0))?;
    tune(&conn, READER_CACHE_KIB)?;
    Ok(conn)
}

/// Page cache of the writer: the hot pages of a busy relay (the ends of
/// the message indexes, the count tables, users) stay in memory, where
/// SQLite's default of 2 MB let them go to the OS and back.
const WRITER_CACHE_KIB: i64 = 16 * 1024;
/// Page cache of each reader.
const READER_CACHE_KIB: i64 = 4 * 1024;
/// Reads of the database file through a memory map instead of a `pread`
/// per page. Writes still go through the WAL and its fsync, so durability
/// does not change.
const MMAP_BYTES: i64 = 256 * 1024 * 1024;

/// Settings for speed that leave durability as `sqlite-support` set it.
/// Savepoints and sorts use memory, not temp files.
fn tune(conn: &Connection, cache_kib: i64) -> Result<(), StoreError> {
    conn.pragma_update(None, "cache_size", -cache_kib)?;
    conn.pragma_update(None, "mmap_size", MMAP_BYTES)?;
    conn.pragma_update(None, "temp_store", "MEMORY")?;
    Ok(())
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
