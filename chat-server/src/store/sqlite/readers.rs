//! A small pool of read-only connections used from `spawn_blocking`, so that
//! reads run in parallel with each other and with the writer (WAL) and no
//! SQLite call ever runs on an async worker.

use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use rusqlite::Connection;
use tokio::sync::Semaphore;

use super::connection::open_reader;
use crate::store::StoreError;

/// The pool. A permit is held for as long as a connection is out, so a
/// permit always finds a connection.
pub(super) struct Readers {
    idle: Arc<Mutex<Vec<Connection>>>,
    permits: Arc<Semaphore>,
}

impl Readers {
    pub(super) fn open(
        path: &Path,
        count: usize,
        busy_timeout: Duration,
    ) -> Result<Readers, StoreError> {
        let count = count.max(1);
        let conns = (0..count)
            .map(|_| open_reader(path, busy_timeout))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Readers {
            idle: Arc::new(Mutex::new(conns)),
            permits: Arc::new(Semaphore::new(count)),
        })
    }

    /// Runs `read` on a pooled connection on the blocking thread pool.
    pub(super) async fn run<T, F>(&self, read: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let permit = Arc::clone(&self.permits)
            .acquire_owned()
            .await
            .map_err(|_| StoreError::Unavailable)?;
        let idle = Arc::clone(&self.idle);
        // The permit moves into the task: if the caller is cancelled, the
        // connection is still out until the task ends, and so is the permit.
        let task = tokio::task::spawn_blocking(move || {
            let _permit = permit;
            let lease = Lease::take(&idle)?;
            read(lease.conn()?)
        });
        task.await
            .map_err(|e| StoreError::Db(format!("database read task failed: {e}")))?
    }

    /// Refuses further reads; reads under way finish.
    pub(super) fn close(&self) {
        self.permits.close();
    }
}

/// A connection taken from the pool, put back on drop (also on panic).
struct Lease<'a> {
    idle: &'a Mutex<Vec<Connection>>,
    conn: Option<Connection>,
}

impl<'a> Lease<'a> {
    fn take(idle: &'a Mutex<Vec<Connection>>) -> Result<Lease<'a>, StoreError> {
        let conn = idle.lock().unwrap_or_else(PoisonError::into_inner).pop();
        match conn {
            Some(conn) => Ok(Lease {
                idle,
                conn: Some(conn),
            }),
            None => Err(StoreError::Db("reader pool is empty".to_owned())),
        }
    }

    fn conn(&self) -> Result<&Connection, StoreError> {
        self.conn
            .as_ref()
            .ok_or_else(|| StoreError::Db("reader connection was returned".to_owned()))
    }
}

impl Drop for Lease<'_> {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take() {
            self.idle
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(conn);
        }
    }
}
