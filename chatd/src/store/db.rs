//! The async face of the store. SQLite calls block, so they never run on
//! the async workers: one dedicated thread owns the [`Store`] and runs
//! jobs, each in its own transaction, in the order they were submitted.
//! Handles are cheap clones; the thread stops after the last one is
//! dropped (or on [`Db::close`]) once the queued jobs are done.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use tokio::sync::{mpsc, oneshot, watch};

use super::{Store, StoreError, Tx};

/// Jobs that may wait for the thread before callers wait for room.
const QUEUE_CAPACITY: usize = 256;

type Job = Box<dyn FnOnce(&mut Store) + Send>;

enum Msg {
    Job(Job),
    /// Stop after the jobs queued before this one.
    Close,
}

/// A cheap-to-clone handle to the database thread.
#[derive(Clone)]
pub struct Db {
    jobs: mpsc::Sender<Msg>,
    shared: Arc<Shared>,
}

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Db")
            .field("closing", &self.shared.closing.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

struct Shared {
    /// Set by [`Db::close`]: new calls fail at once.
    closing: AtomicBool,
    /// Becomes true (or its sender is dropped) when the thread has stopped.
    stopped: watch::Receiver<bool>,
}

impl Db {
    /// Starts the database thread and opens `path` on it (see
    /// [`Store::open`]); reports the opening error, if any. Blocks until
    /// the file is open and migrated, so call it at start-up.
    pub fn open(path: &Path) -> Result<Db, StoreError> {
        let (jobs, rx) = mpsc::channel(QUEUE_CAPACITY);
        let (opened_tx, opened_rx) = std::sync::mpsc::sync_channel(1);
        let (stopped_tx, stopped) = watch::channel(false);
        let path = path.to_path_buf();
        std::thread::Builder::new()
            .name("chatd-db".into())
            .spawn(move || run(&path, rx, &opened_tx, stopped_tx))
            .map_err(|e| {
                StoreError::Db(format!(
                    "cannot start the database thread: {e}; the system is short of resources"
                ))
            })?;
        match opened_rx.recv() {
            Ok(Ok(())) => Ok(Db {
                jobs,
                shared: Arc::new(Shared {
                    closing: AtomicBool::new(false),
                    stopped,
                }),
            }),
            Ok(Err(e)) => Err(e),
            Err(_) => Err(StoreError::Db(
                "the database thread stopped while opening the file; see the log".into(),
            )),
        }
    }

    /// Runs `f` in one transaction on the database thread (committed when
    /// it returns `Ok`, rolled back otherwise) after every job submitted
    /// before it.
    pub async fn call<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Tx<'_>) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        if self.shared.closing.load(Ordering::Acquire) {
            return Err(StoreError::Closed);
        }
        let (reply, answer) = oneshot::channel();
        let job: Job = Box::new(move |store: &mut Store| {
            let result = catch_unwind(AssertUnwindSafe(|| store.transaction(f)))
                .unwrap_or(Err(StoreError::JobPanicked));
            // The caller may have given up waiting; the work is done anyway.
            let _ = reply.send(result);
        });
        self.jobs
            .send(Msg::Job(job))
            .await
            .map_err(|_| StoreError::Closed)?;
        answer.await.map_err(|_| StoreError::Closed)?
    }

    /// [`Db::call`] for work whose failures are not only the store's (an
    /// end-to-end engine call and the writes it leads to): `E` carries
    /// both, and any error rolls the transaction back.
    pub async fn run<T, E>(
        &self,
        f: impl FnOnce(&mut Tx<'_>) -> Result<T, E> + Send + 'static,
    ) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
    {
        if self.shared.closing.load(Ordering::Acquire) {
            return Err(StoreError::Closed.into());
        }
        let (reply, answer) = oneshot::channel();
        let job: Job = Box::new(move |store: &mut Store| {
            let result = catch_unwind(AssertUnwindSafe(|| store.transaction_with(f)))
                .unwrap_or_else(|_| Err(StoreError::JobPanicked.into()));
            // The caller may have given up waiting; the work is done anyway.
            let _ = reply.send(result);
        });
        self.jobs
            .send(Msg::Job(job))
            .await
            .map_err(|_| StoreError::Closed)?;
        answer.await.map_err(|_| StoreError::Closed)?
    }

    /// Refuses new calls ([`StoreError::Closed`]), lets every job already
    /// queued finish, and waits until the thread has closed the file.
    /// Calling it again (from any handle) just waits.
    pub async fn close(&self) {
        if !self.shared.closing.swap(true, Ordering::AcqRel) {
            // Fails only when the thread is gone already.
            let _ = self.jobs.send(Msg::Close).await;
        }
        let mut stopped = self.shared.stopped.clone();
        // An error means the thread dropped its sender: it has stopped too.
        let _ = stopped.wait_for(|stopped| *stopped).await;
    }
}

/// The database thread: open, report, run jobs until closed or orphaned.
fn run(
    path: &Path,
    mut rx: mpsc::Receiver<Msg>,
    opened: &std::sync::mpsc::SyncSender<Result<(), StoreError>>,
    stopped: watch::Sender<bool>,
) {
    let mut store = match Store::open(path) {
        Ok(store) => store,
        Err(e) => {
            let _ = opened.send(Err(e));
            return;
        }
    };
    let _ = opened.send(Ok(()));
    while let Some(msg) = rx.blocking_recv() {
        match msg {
            Msg::Job(job) => job(&mut store),
            Msg::Close => break,
        }
    }
    // Jobs that raced with `close` are dropped: their callers get `Closed`.
    rx.close();
    drop(rx);
    drop(store);
    stopped.send_replace(true);
}
