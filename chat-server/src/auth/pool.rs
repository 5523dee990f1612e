//! bcrypt (hundreds of milliseconds at cost 12) and RSA private-key
//! operations would stall every connection sharing an async worker, and an
//! unbounded queue of them would let a login storm eat all memory and delay
//! every other login without limit. This pool runs them on the blocking
//! threads, at most `workers` at a time, with at most `queue` more waiting;
//! beyond that the caller is told to come back (`server_busy`).
//!
//! A shared pool is also a target: one source opening many connections
//! could keep every worker and queue slot busy and starve everyone else.
//! So each source may have only a few jobs admitted at once
//! ([`CpuPool::run_for`]); beyond that share it is refused on its own.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::Semaphore;

use super::source::Source;

/// The pool is full; the request should be answered with `server_busy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the server is busy; try again in a moment")]
pub struct Busy;

/// Why [`CpuPool::run_for`] did not run a job.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Denied {
    /// The whole pool is full (`server_busy`).
    #[error("the server is busy; try again in a moment")]
    Busy,
    /// This source already has its share of jobs admitted (`rate_limited`).
    #[error("too many requests from this address at once")]
    SourceShare,
}

impl From<Busy> for Denied {
    fn from(_: Busy) -> Self {
        Denied::Busy
    }
}

/// A bounded pool for CPU-heavy work. Cheap to clone.
#[derive(Clone, Debug)]
pub struct CpuPool {
    running: Arc<Semaphore>,
    admitted: Arc<Semaphore>,
    per_source: usize,
    shares: Arc<Mutex<HashMap<Source, usize>>>,
}

/// One admitted job of a source; gives the share back when dropped.
struct Share<'a> {
    shares: &'a Mutex<HashMap<Source, usize>>,
    source: Source,
}

impl Drop for Share<'_> {
    fn drop(&mut self) {
        let mut shares = self.shares.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(n) = shares.get_mut(&self.source) {
            *n -= 1;
            if *n == 0 {
                shares.remove(&self.source);
            }
        }
    }
}

impl CpuPool {
    /// A pool running `workers` jobs at once with `queue` more waiting, and
    /// at most `per_source` of them admitted for one source.
    pub fn new(workers: usize, queue: usize, per_source: usize) -> Self {
        let workers = workers.max(1);
        Self {
            running: Arc::new(Semaphore::new(workers)),
            admitted: Arc::new(Semaphore::new(workers + queue)),
            per_source: per_source.max(1),
            shares: Arc::new(Mutex::new(HashMap::new())),
        }
    }

    /// Like [`CpuPool::run`], for a job on behalf of `source`, which may have
    /// at most its share of jobs admitted at once.
    pub async fn run_for<T, F>(&self, source: Source, job: F) -> Result<T, Denied>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        let _share = {
            let mut shares = self.shares.lock().unwrap_or_else(|e| e.into_inner());
            let n = shares.entry(source).or_insert(0);
            if *n >= self.per_source {
                return Err(Denied::SourceShare);
            }
            *n += 1;
            Share {
                shares: &self.shares,
                source,
            }
        };
        Ok(self.run(job).await?)
    }

    /// Runs `job` on a blocking thread once a worker is free, or fails at
    /// once with [`Busy`] when the queue is full.
    pub async fn run<T, F>(&self, job: F) -> Result<T, Busy>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        let _admitted = self
            .admitted
            .clone()
            .try_acquire_owned()
            .map_err(|_| Busy)?;
        let _running = self
            .running
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| Busy)?;
        tokio::task::spawn_blocking(job).await.map_err(|_| Busy)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[tokio::test]
    async fn one_source_gets_only_its_share() {
        let pool = CpuPool::new(4, 4, 1);
        let greedy = Source::of("192.0.2.1".parse().expect("ip"));
        let other = Source::of("192.0.2.2".parse().expect("ip"));
        let (release, gate) = std::sync::mpsc::channel::<()>();
        let held = tokio::spawn({
            let p = pool.clone();
            async move { p.run_for(greedy, move || gate.recv().is_ok()).await }
        });
        while pool.admitted.available_permits() == 8 {
            tokio::task::yield_now().await;
        }
        assert_eq!(pool.run_for(greedy, || 1).await, Err(Denied::SourceShare));
        assert_eq!(pool.run_for(other, || 2).await, Ok(2));
        release.send(()).ok();
        assert_eq!(held.await.ok(), Some(Ok(true)));
        // The share comes back when the job is done.
        assert_eq!(pool.run_for(greedy, || 3).await, Ok(3));
        assert!(pool.shares.lock().expect("lock").is_empty());
    }

    #[tokio::test]
    async fn refuses_beyond_its_queue_and_never_exceeds_its_workers() {
        let pool = CpuPool::new(1, 1, 1);
        let (release, gate) = std::sync::mpsc::channel::<()>();
        let gate = Arc::new(std::sync::Mutex::new(gate));
        let peak = Arc::new(AtomicUsize::new(0));
        let live = Arc::new(AtomicUsize::new(0));
        let job = |gate: Arc<std::sync::Mutex<std::sync::mpsc::Receiver<()>>>,
                   live: Arc<AtomicUsize>,
                   peak: Arc<AtomicUsize>| {
            move || {
                let now = live.fetch_add(1, Ordering::SeqCst) + 1;
                peak.fetch_max(now, Ordering::SeqCst);
                let _ = gate.lock().map(|g| g.recv());
                live.fetch_sub(1, Ordering::SeqCst);
            }
        };
        let a = tokio::spawn({
            let p = pool.clone();
            let j = job(gate.clone(), live.clone(), peak.clone());
            async move { p.run(j).await }
        });
        let b = tokio::spawn({
            let p = pool.clone();
            let j = job(gate.clone(), live.clone(), peak.clone());
            async move { p.run(j).await }
        });
        // Wait until both are admitted (one running, one queued).
        while pool.admitted.available_permits() > 0 {
            tokio::task::yield_now().await;
        }
        assert_eq!(pool.run(|| ()).await, Err(Busy));
        release.send(()).ok();
        release.send(()).ok();
        assert_eq!(a.await.ok(), Some(Ok(())));
        assert_eq!(b.await.ok(), Some(Ok(())));
        assert_eq!(peak.load(Ordering::SeqCst), 1);
        assert_eq!(pool.run(|| 7).await, Ok(7));
    }
}
