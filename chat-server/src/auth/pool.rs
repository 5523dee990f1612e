//! bcrypt (hundreds of milliseconds at cost 12) and RSA private-key
//! operations would stall every connection sharing an async worker, and an
//! unbounded queue of them would let a login storm eat all memory and delay
//! every other login without limit. This pool runs them on the blocking
//! threads, at most `workers` at a time, with at most `queue` more waiting;
//! beyond that the caller is told to come back (`server_busy`).

use std::sync::Arc;

use tokio::sync::Semaphore;

/// The pool is full; the request should be answered with `server_busy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the server is busy; try again in a moment")]
pub struct Busy;

/// A bounded pool for CPU-heavy work. Cheap to clone.
#[derive(Clone, Debug)]
pub struct CpuPool {
    running: Arc<Semaphore>,
    admitted: Arc<Semaphore>,
}

impl CpuPool {
    /// A pool running `workers` jobs at once with `queue` more waiting.
    pub fn new(workers: usize, queue: usize) -> Self {
        let workers = workers.max(1);
        Self {
            running: Arc::new(Semaphore::new(workers)),
            admitted: Arc::new(Semaphore::new(workers + queue)),
        }
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
    async fn refuses_beyond_its_queue_and_never_exceeds_its_workers() {
        let pool = CpuPool::new(1, 1);
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
