//! The store's one error type, worded for the person reading the log: each
//! message says what went wrong and what to do about it.

/// Why a store operation failed.
#[derive(Debug, Clone, thiserror::Error)]
pub enum StoreError {
    /// SQLite failed: I/O, a full disk, a file locked by another program,
    /// a damaged file.
    #[error("local database error: {0}")]
    Db(String),
    /// The filesystem holding the database is full. Nothing stored is
    /// lost; new writes fail until there is room.
    #[error(
        "the disk holding chatd's database is full, so nothing new can be stored (what is \
         stored is kept): free some space in chatd's data directory, then try again"
    )]
    DiskFull,
    /// The database file or its filesystem cannot be written.
    #[error(
        "chatd's database cannot be written (the file or its filesystem is read-only), so \
         nothing new can be stored (what is stored is kept): make chatd.db, its -wal file and \
         its directory writable by this user, then try again"
    )]
    ReadOnly,
    /// A stored record cannot be decoded.
    #[error(
        "a record in the local database is unreadable ({0}); the file is damaged or was \
         written by a newer chatd: run a newer chatd or restore a backup of chatd.db"
    )]
    Corrupt(String),
    /// The search query cannot be searched for.
    #[error("invalid search query: {0}")]
    InvalidQuery(String),
    /// The database thread has stopped (chatd is shutting down).
    #[error(
        "the local database is closed because chatd is shutting down; retry once it has restarted"
    )]
    Closed,
    /// A job panicked; its transaction was rolled back.
    #[error(
        "a database job panicked and its changes were rolled back; this is a bug in chatd: \
         please report it with the log"
    )]
    JobPanicked,
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        match e.sqlite_error_code() {
            Some(rusqlite::ErrorCode::DiskFull) => return StoreError::DiskFull,
            Some(rusqlite::ErrorCode::ReadOnly) => return StoreError::ReadOnly,
            _ => {}
        }
        StoreError::Db(format!(
            "{e}; if this persists, check free disk space and that chatd.db is writable by \
             this user"
        ))
    }
}

impl From<StoreError> for chat_e2e::StoreError {
    fn from(e: StoreError) -> Self {
        chat_e2e::StoreError::new(e)
    }
}

impl From<chat_e2e::StoreError> for StoreError {
    /// Gives back the store's own error that an e2e trait call wrapped.
    fn from(e: chat_e2e::StoreError) -> Self {
        match e.0.downcast::<StoreError>() {
            Ok(ours) => *ours,
            Err(other) => StoreError::Db(other.to_string()),
        }
    }
}
