//! chatd's local store: everything the daemon must not lose (settings, the
//! history with its full-text index, key notices for the timeline, the outbox, envelopes waiting for a
//! key, the event log, the end-to-end engine's keys and pins, and the
//! groups with every signed state accepted for them) in one
//! SQLite file, so that one transaction can cover an engine call and the
//! writes it leads to, and a crash loses nothing that was committed.
//!
//! [`Store`] is the synchronous owner of the connection; [`Db`] runs it on
//! a dedicated thread for the async daemon. All reads and writes go through
//! a [`Tx`], one transaction, committed when its closure returns `Ok`.

mod conversations;
mod db;
mod e2e;
mod error;
mod events;
mod files;
mod group_messages;
mod groups;
mod history;
mod migrate;
mod notices;
mod open;
mod outbox;
mod pending;
mod records;
mod search;
mod seen;
mod settings;

#[cfg(test)]
mod tests;

use std::path::Path;

use rusqlite::Connection;

pub use db::{Db, Submitted};
pub use error::StoreError;
pub use events::{EVENTS_KEEP_COUNT, EVENTS_KEEP_MS};
pub use files::{StoredFile, TransferRow};
pub use groups::{GroupRow, HeldGroupPayload};
pub use history::ConversationRow;
pub use outbox::OutboxItem;
pub use pending::PendingEnvelope;
pub use search::{MAX_QUERY_TERMS, fts_query};

/// The local database: one connection to one SQLite file.
pub struct Store {
    conn: Connection,
}

/// One transaction, as its jobs see it. Every method of the store lives
/// here, so that a caller composes several of them atomically. It is a
/// savepoint inside the database thread's batch transaction (see
/// [`db`](self::db)), so its writes are kept or undone as one, whatever
/// the other jobs of the batch do.
pub struct Tx<'a> {
    tx: rusqlite::Savepoint<'a>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("path", &self.conn.path())
            .finish_non_exhaustive()
    }
}

impl Store {
    /// Opens (creating if needed, mode 0600, its directory 0700) the
    /// database at `path` and brings its schema up to date.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        let mut conn = open::open(path)?;
        migrate::apply(&mut conn)?;
        Ok(Store { conn })
    }

    /// Runs `f` in one transaction: committed when it returns `Ok`, rolled
    /// back when it returns `Err` (or panics).
    pub fn transaction<T>(
        &mut self,
        f: impl FnOnce(&mut Tx<'_>) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        self.transaction_with(f)
    }

    /// [`Store::transaction`] for work whose failures are not only the
    /// store's (an end-to-end engine call inside the transaction): any
    /// error rolls back and comes back as the caller's own type.
    pub fn transaction_with<T, E: From<StoreError>>(
        &mut self,
        f: impl FnOnce(&mut Tx<'_>) -> Result<T, E>,
    ) -> Result<T, E> {
        self.begin()?;
        match self.in_savepoint(f) {
            Ok(value) => {
                self.commit()?;
                Ok(value)
            }
            Err(e) => {
                self.rollback();
                Err(e)
            }
        }
    }

    /// Opens a transaction that several jobs then share, each in a
    /// savepoint ([`Store::in_savepoint`]), until [`Store::commit`].
    /// IMMEDIATE takes the write lock up front: a transaction that reads
    /// and then writes cannot fail half-way on a lock held elsewhere.
    pub(crate) fn begin(&mut self) -> Result<(), StoreError> {
        self.conn
            .execute_batch("BEGIN IMMEDIATE")
            .map_err(StoreError::from)
    }

    /// Runs `f` in a savepoint of the open transaction: its writes stay
    /// (until the transaction ends) when it returns `Ok`, and are undone
    /// when it returns `Err` or panics.
    pub(crate) fn in_savepoint<T, E: From<StoreError>>(
        &mut self,
        f: impl FnOnce(&mut Tx<'_>) -> Result<T, E>,
    ) -> Result<T, E> {
        let sp = self.conn.savepoint().map_err(StoreError::from)?;
        let mut tx = Tx { tx: sp };
        // On `Err` (or a panic) the savepoint is dropped: rolled back.
        let value = f(&mut tx)?;
        tx.tx.commit().map_err(StoreError::from)?;
        Ok(value)
    }

    /// Commits the open transaction (with the fsync `synchronous=FULL`
    /// asks for); on failure it is rolled back and nothing of it stays.
    pub(crate) fn commit(&mut self) -> Result<(), StoreError> {
        match self.conn.execute_batch("COMMIT") {
            Ok(()) => Ok(()),
            Err(e) => {
                self.rollback();
                Err(match StoreError::from(e) {
                    StoreError::Db(e) => {
                        StoreError::Db(format!("cannot commit to the local database: {e}"))
                    }
                    full_or_read_only => full_or_read_only,
                })
            }
        }
    }

    /// Whether a transaction is open (SQLite ends one itself after some
    /// errors).
    pub(crate) fn in_transaction(&self) -> bool {
        !self.conn.is_autocommit()
    }

    /// Rows inserted, updated or deleted since the connection opened (a
    /// job that leaves it unchanged only read).
    pub(crate) fn total_changes(&self) -> u64 {
        self.conn.total_changes()
    }

    /// Ends the open transaction without keeping anything of it.
    pub(crate) fn rollback(&mut self) {
        if !self.conn.is_autocommit() {
            let _ = self.conn.execute_batch("ROLLBACK");
        }
    }
}
