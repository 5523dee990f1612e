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
    sqlite_support::open_writer(path, busy_timeout).map_err(|e| StoreError::Db(e.0))
}

/// Opens one read-only connection for the reader pool.
pub(super) fn open_reader(path: &Path, busy_timeout: Duration) -> Result<Connection, StoreError> {
    sqlite_support::open_reader(path, busy_timeout).map_err(|e| StoreError::Db(e.0))
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
