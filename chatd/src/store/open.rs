//! Opening chatd's database with the settings the store's guarantees rest
//! on (the shared `sqlite-support` crate): a private file (it holds session
//! keys and the login token), WAL with `synchronous=FULL`, foreign keys.

use std::path::Path;
use std::time::Duration;

use rusqlite::Connection;

use super::StoreError;

/// How long a statement waits for a lock held by another process (a backup
/// tool, a second chatd by mistake) before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Creates the directory and file if needed, opens and configures the
/// connection.
pub(super) fn open(path: &Path) -> Result<Connection, StoreError> {
    sqlite_support::open_writer(path, BUSY_TIMEOUT).map_err(|e| StoreError::Db(e.0))
}
