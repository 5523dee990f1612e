//! Opening the database file with the settings the store's guarantees rest
//! on: private file modes (it holds session keys and the login token), WAL
//! with `synchronous=FULL` (a commit survives a power cut), foreign keys.

use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

use super::StoreError;

/// How long a statement waits for a lock held by another process (a backup
/// tool, a second chatd by mistake) before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Creates the directory and file if needed, opens and configures the
/// connection.
pub(super) fn open(path: &Path) -> Result<Connection, StoreError> {
    create_parent(path)?;
    create_private(path)?;
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_CREATE
        | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags).map_err(|e| open_error(path, &e))?;
    configure(&conn).map_err(|e| open_error(path, &e))?;
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

fn configure(conn: &Connection) -> rusqlite::Result<()> {
    conn.busy_timeout(BUSY_TIMEOUT)?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.set_prepared_statement_cache_capacity(64);
    Ok(())
}

fn open_error(path: &Path, e: &rusqlite::Error) -> StoreError {
    StoreError::Db(format!(
        "cannot open {}: {e}; check that it is a SQLite database on a local filesystem, \
         writable by this user",
        path.display()
    ))
}

/// Creates the missing directories above the file, readable by the owner
/// only. An existing directory is left as it is.
fn create_parent(path: &Path) -> Result<(), StoreError> {
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
        StoreError::Db(format!(
            "cannot create the directory {}: {e}; check the permissions of its parent",
            parent.display()
        ))
    })
}

/// Creates the file with mode 0600 before SQLite creates it with the
/// default mode (SQLite gives its `-wal` and `-shm` files the mode of the
/// database), and narrows an existing file that others could read.
#[cfg(unix)]
fn create_private(path: &Path) -> Result<(), StoreError> {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    let file_error = |e: std::io::Error| {
        StoreError::Db(format!(
            "cannot create or secure {}: {e}; check that its directory is writable by this user",
            path.display()
        ))
    };
    let created = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path);
    match created {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            let mode = std::fs::metadata(path)
                .map_err(file_error)?
                .permissions()
                .mode();
            if mode & 0o077 != 0 {
                std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
                    .map_err(file_error)?;
            }
            Ok(())
        }
        Err(e) => Err(file_error(e)),
    }
}

#[cfg(not(unix))]
fn create_private(_path: &Path) -> Result<(), StoreError> {
    Ok(())
}
