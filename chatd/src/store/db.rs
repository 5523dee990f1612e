//! The async face of the store. SQLite calls block, so they never run on
//! the async workers: one dedicated thread owns the [`Store`] and runs
//! jobs, each as its own transaction, in the order they were submitted.
//! Handles are cheap clones; the thread stops after the last one is
//! dropped (or on [`Db::close`]) once the queued jobs are done.
//!
//! Group commit: every commit costs an fsync (`synchronous=FULL`, a few
//! milliseconds on an ordinary disk), and the pipelines, the local API and
//! the event hub each wait for their own jobs, so under load the fsyncs,
//! not the work, bounded a daemon at a few hundred jobs a second. The
//! thread therefore takes every job already waiting (never waiting for
//! more), runs each in a savepoint of one transaction, commits once and
//! only then answers them all: a job's writes still stand or fall
//! together, nobody hears "done" before the fsync that makes it so, and
//! a job alone in the queue commits exactly as before. A job that only
//! read, before any job of its batch wrote, is answered at once: it saw
//! only committed data, and has nothing to wait for.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use tokio::sync::{mpsc, oneshot, watch};

use super::{Store, StoreError, Tx};

/// Jobs that may wait for the thread before callers wait for room.
const QUEUE_CAPACITY: usize = 256;

/// Most jobs in one transaction.
const MAX_BATCH: usize = 64;

/// What a job does once its batch's transaction has ended: answer its
/// caller with its own result if the commit succeeded (`Ok`), with the
/// commit's error otherwise.
type Finish = Box<dyn FnOnce(Result<(), &StoreError>) + Send>;

/// A job runs in a savepoint of the batch's transaction (given the store),
/// or not at all when that transaction could not begin (given `None`; its
/// finish then reports that error).
type Job = Box<dyn FnOnce(Option<&mut Store>) -> Finish + Send>;

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
    /// before it; answers once the commit is durable.
    pub async fn call<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Tx<'_>) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        self.run(f).await
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
        self.submit(f).await?.answer().await
    }

    /// [`Db::run`] in two steps: queues `f` (waiting only for room in the
    /// queue) and hands back what answers it. A pipeline that queues
    /// several jobs before awaiting the first gets them into one group
    /// commit, still run in the order queued.
    pub async fn submit<T, E>(
        &self,
        f: impl FnOnce(&mut Tx<'_>) -> Result<T, E> + Send + 'static,
    ) -> Result<Submitted<T, E>, E>
    where
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
    {
        if self.shared.closing.load(Ordering::Acquire) {
            return Err(StoreError::Closed.into());
        }
        let (reply, answer) = oneshot::channel();
        let job: Job = Box::new(move |store: Option<&mut Store>| {
            let result = store.map(|store| {
                catch_unwind(AssertUnwindSafe(|| store.in_savepoint(f)))
                    .unwrap_or_else(|_| Err(StoreError::JobPanicked.into()))
            });
            Box::new(move |committed: Result<(), &StoreError>| {
                let result = match (result, committed) {
                    // Rolled back with its batch, or never run.
                    (Some(Ok(_)) | None, Err(e)) => Err(e.clone().into()),
                    (Some(result), _) => result,
                    (None, Ok(())) => Err(StoreError::Closed.into()),
                };
                // The caller may have given up waiting; the work is done anyway.
                let _ = reply.send(result);
            })
        });
        self.jobs
            .send(Msg::Job(job))
            .await
            .map_err(|_| StoreError::Closed)?;
        Ok(Submitted { answer })
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

/// A job queued by [`Db::submit`].
#[must_use = "a submitted job runs anyway; its answer says whether it was committed"]
pub struct Submitted<T, E> {
    answer: oneshot::Receiver<Result<T, E>>,
}

impl<T, E: From<StoreError>> Submitted<T, E> {
    /// The job's result once its transaction is committed (or the error
    /// that rolled it back).
    pub async fn answer(self) -> Result<T, E> {
        self.answer.await.map_err(|_| StoreError::Closed)?
    }
}

/// Runs `jobs` in one transaction, each in its own savepoint, commits, then
/// answers each (see the module doc).
fn run_batch(store: &mut Store, jobs: &mut Vec<Job>) {
    if jobs.is_empty() {
        return;
    }
    let mut broken = store.begin().err();
    let mut batch_wrote = false;
    let mut finishes: Vec<Finish> = Vec::with_capacity(jobs.len());
    for job in jobs.drain(..) {
        if broken.is_some() {
            finishes.push(job(None));
            continue;
        }
        let changes = store.total_changes();
        let finish = job(Some(&mut *store));
        let wrote = store.total_changes() != changes;
        if !wrote && !batch_wrote && store.in_transaction() {
            // Read only, and it saw only committed data: it need not wait
            // for the fsync of the jobs after it.
            finish(Ok(()));
            continue;
        }
        batch_wrote |= wrote;
        finishes.push(finish);
        // Some errors (a full disk, an I/O error) make SQLite roll the
        // whole transaction back: what ran before is gone, and later jobs
        // would commit one by one. Stop, and report the loss to them all.
        if !store.in_transaction() {
            broken = Some(StoreError::Db(
                "SQLite abandoned the transaction after an error, so nothing of it was \
                 stored; retry, and check free disk space if it persists"
                    .into(),
            ));
        }
    }
    let ended = match broken {
        Some(e) => {
            store.rollback();
            Err(e)
        }
        None => store.commit(),
    };
    for finish in finishes {
        finish(ended.as_ref().map(|_| ()));
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
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while let Some(msg) = rx.blocking_recv() {
        let mut close = matches!(msg, Msg::Close);
        if let Msg::Job(job) = msg {
            batch.push(job);
        }
        // Only what is already waiting: a job alone is never held back.
        while !close && batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(Msg::Job(job)) => batch.push(job),
                Ok(Msg::Close) => close = true,
                Err(_) => break,
            }
        }
        run_batch(&mut store, &mut batch);
        if close {
            break;
        }
    }
    // Jobs that raced with `close` are dropped: their callers get `Closed`.
    rx.close();
    drop(rx);
    drop(store);
    stopped.send_replace(true);
}
