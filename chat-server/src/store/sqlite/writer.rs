//! The single writer: one OS thread owns the only read-write connection and
//! commits whatever writes are queued in one transaction (group commit), so
//! that concurrent sends share one fsync instead of queueing for one each,
//! and so that `seq` order is commit order.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;

use rusqlite::{Connection, Transaction, TransactionBehavior};
use tokio::sync::{mpsc, oneshot};

use crate::store::{Commit, StoreError};

/// Counters of the writer, for benchmarks and diagnostics.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WriterStats {
    /// Transactions committed.
    pub batches: u64,
    /// Operations committed in them (failed operations not counted).
    pub ops: u64,
}

#[derive(Default)]
struct Counters {
    batches: AtomicU64,
    ops: AtomicU64,
}

/// One queued write: runs on the writer thread, replies after the commit.
trait Job: Send {
    /// Runs the operation; returns whether it succeeded, i.e. whether its
    /// changes are to be kept.
    fn run(&mut self, conn: &Connection) -> bool;

    /// Replies to the caller once the batch's fate is known.
    fn finish(self: Box<Self>, batch: &Result<(), String>);
}

struct Op<T, F, A> {
    op: Option<F>,
    /// Runs on the writer thread once the op's batch is committed, before
    /// the reply and before any later batch: in commit order.
    after_commit: A,
    result: Option<Result<T, StoreError>>,
    reply: oneshot::Sender<Result<T, StoreError>>,
}

impl<T, F, A> Job for Op<T, F, A>
where
    T: Send,
    F: FnOnce(&Connection) -> Result<T, StoreError> + Send,
    A: FnOnce(&T) + Send,
{
    fn run(&mut self, conn: &Connection) -> bool {
        let Some(op) = self.op.take() else {
            return false;
        };
        let result = op(conn);
        let ok = result.is_ok();
        self.result = Some(result);
        ok
    }

    fn finish(self: Box<Self>, batch: &Result<(), String>) {
        let reply = match (self.result, batch) {
            // An op that failed changed nothing: its own error is the truth
            // whether or not the rest of the batch committed.
            (Some(Err(e)), _) => Err(e),
            (Some(Ok(value)), Ok(())) => {
                (self.after_commit)(&value);
                Ok(value)
            }
            (_, Err(e)) => Err(StoreError::Db(e.clone())),
            (None, Ok(())) => Err(StoreError::Db("write was not run".to_owned())),
        };
        // The caller may have gone away (cancelled); the write stands anyway.
        let _ = self.reply.send(reply);
    }
}

/// Handle to the writer thread.
pub(super) struct Writer {
    sender: Mutex<Option<mpsc::Sender<Box<dyn Job>>>>,
    thread: Mutex<Option<JoinHandle<()>>>,
    counters: Arc<Counters>,
}

impl Writer {
    /// Starts the thread, which owns `conn` from now on.
    pub(super) fn spawn(
        conn: Connection,
        batch_max: usize,
        queue_capacity: usize,
    ) -> Result<Writer, StoreError> {
        let (sender, receiver) = mpsc::channel(queue_capacity.max(1));
        let counters = Arc::new(Counters::default());
        let thread_counters = Arc::clone(&counters);
        let batch_max = batch_max.max(1);
        let thread = std::thread::Builder::new()
            .name("sqlite-writer".to_owned())
            .spawn(move || writer_loop(conn, receiver, batch_max, &thread_counters))
            .map_err(|e| StoreError::Db(format!("cannot start the database writer thread: {e}")))?;
        Ok(Writer {
            sender: Mutex::new(Some(sender)),
            thread: Mutex::new(Some(thread)),
            counters,
        })
    }

    /// Queues `op` and waits until its batch is committed. A full queue
    /// makes the caller wait (backpressure), never block a thread.
    pub(super) async fn run<T, F>(&self, op: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    {
        self.queue(op).await?.wait().await
    }

    /// Queues `op` (waiting for room, as [`Writer::run`]) and returns as
    /// soon as it is queued: writes queued later run after it, in the same
    /// batch or a later one. The [`Commit`] resolves after its batch.
    pub(super) async fn queue<T, F>(&self, op: F) -> Result<Commit<T>, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    {
        self.queue_then(op, |_: &T| {}).await
    }

    /// [`Writer::queue`], and `after_commit` runs with the op's result on
    /// the writer thread once it is committed, before the caller hears of
    /// it: the after-commit calls of all ops run in commit order. Not run
    /// when the op or its batch failed.
    pub(super) async fn queue_then<T, F, A>(
        &self,
        op: F,
        after_commit: A,
    ) -> Result<Commit<T>, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
        A: FnOnce(&T) + Send + 'static,
    {
        let sender = self.sender()?;
        let (reply, answer) = oneshot::channel();
        let job: Box<dyn Job> = Box::new(Op {
            op: Some(op),
            after_commit,
            result: None,
            reply,
        });
        sender
            .send(job)
            .await
            .map_err(|_| StoreError::Unavailable)?;
        // A held clone would keep the queue open and `close` waiting.
        drop(sender);
        Ok(Commit::new(answer))
    }

    fn sender(&self) -> Result<mpsc::Sender<Box<dyn Job>>, StoreError> {
        let guard = self.sender.lock().unwrap_or_else(PoisonError::into_inner);
        guard.clone().ok_or(StoreError::Unavailable)
    }

    /// Refuses new writes; the thread finishes what is queued and exits.
    /// Returns the thread to join, the first time only.
    pub(super) fn shut(&self) -> Option<JoinHandle<()>> {
        drop(
            self.sender
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .take(),
        );
        self.thread
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
    }

    /// Writes waiting in the queue (not counting the batch being run).
    #[cfg(test)]
    pub(super) fn queued(&self) -> usize {
        self.sender().map_or(0, |s| s.max_capacity() - s.capacity())
    }

    pub(super) fn stats(&self) -> WriterStats {
        WriterStats {
            batches: self.counters.batches.load(Ordering::Relaxed),
            ops: self.counters.ops.load(Ordering::Relaxed),
        }
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        let Some(thread) = self.shut() else {
            return;
        };
        // Joining would block an async worker; inside a runtime the thread
        // is left to finish the queue on its own (`close` waits for it).
        if tokio::runtime::Handle::try_current().is_err() && thread.join().is_err() {
            tracing::error!("the database writer thread panicked");
        }
    }
}

fn writer_loop(
    mut conn: Connection,
    mut receiver: mpsc::Receiver<Box<dyn Job>>,
    batch_max: usize,
    counters: &Counters,
) {
    let mut batch: Vec<Box<dyn Job>> = Vec::with_capacity(batch_max);
    // Returns 0 only once every sender is gone and the queue is empty, so
    // everything queued before the store closed is still written.
    while receiver.blocking_recv_many(&mut batch, batch_max) > 0 {
        let outcome = run_batch(&mut conn, &mut batch);
        match &outcome {
            Ok(kept) => {
                counters.batches.fetch_add(1, Ordering::Relaxed);
                counters.ops.fetch_add(*kept, Ordering::Relaxed);
            }
            Err(e) => tracing::error!(ops = batch.len(), error = %e, "write batch failed"),
        }
        let outcome = outcome.map(|_| ());
        for job in batch.drain(..) {
            job.finish(&outcome);
        }
    }
    if let Err((_, e)) = conn.close() {
        tracing::warn!(error = %e, "closing the database writer connection failed");
    }
    tracing::debug!("database writer stopped");
}

/// Runs every job in one transaction and commits it; returns how many jobs
/// succeeded. An `Err` means nothing of the batch was committed.
fn run_batch(conn: &mut Connection, batch: &mut [Box<dyn Job>]) -> Result<u64, String> {
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(|e| format!("cannot begin a write transaction: {e}"))?;
    let mut kept = 0;
    for job in batch.iter_mut() {
        if run_in_savepoint(&tx, job.as_mut())? {
            kept += 1;
        }
    }
    tx.commit()
        .map_err(|e| format!("cannot commit a write transaction: {e}"))?;
    Ok(kept)
}

/// Runs one job in its own savepoint, so that its failure undoes only its
/// own changes. `Err` means the whole transaction is unusable. The
/// savepoint statements are cached like the jobs' own: rusqlite's
/// `Savepoint` parses its SQL text anew each time, a tenth of the relay's
/// CPU when every message is a job.
fn run_in_savepoint(tx: &Transaction<'_>, job: &mut dyn Job) -> Result<bool, String> {
    savepoint(tx, "SAVEPOINT job").map_err(|e| format!("cannot open a savepoint: {e}"))?;
    let ok = job.run(tx);
    let closed = if ok {
        savepoint(tx, "RELEASE job")
    } else {
        savepoint(tx, "ROLLBACK TO job").and_then(|()| savepoint(tx, "RELEASE job"))
    };
    closed.map_err(|e| format!("cannot close a savepoint: {e}"))?;
    // Some errors (disk full, I/O) make SQLite roll back the whole
    // transaction by itself; the earlier jobs of the batch are then lost
    // and must not be reported as written.
    if tx.is_autocommit() {
        return Err("the write transaction was rolled back by SQLite".to_owned());
    }
    Ok(ok)
}

fn savepoint(conn: &Connection, sql: &str) -> rusqlite::Result<()> {
    conn.prepare_cached(sql)?.execute([])?;
    Ok(())
}
