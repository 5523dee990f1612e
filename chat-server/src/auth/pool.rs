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
//!
//! A refusal says when to come back: about when the queue that was full
//! will have drained, from how long jobs have been taking. A fixed wait
//! either leaves the workers idle after a fast queue drains (19,000
//! resumes at ~1 ms of RSA each were paced to ~550/s by a one-second
//! wait) or brings the refused back to a queue still full of bcrypt
//! work. Successive refusals get waits spread over the second half of
//! the drain time, so that they come back as a stream, not a wave.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::Semaphore;

use super::source::Source;

/// The pool is full; the request should be answered with `server_busy`
/// and this wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the server is busy; try again in a moment")]
pub struct Busy {
    /// When to try again.
    pub retry_after: Duration,
}

/// The wait a refusal names before any job has finished.
const FIRST_RETRY: Duration = Duration::from_secs(1);
/// The shortest wait a refusal names: coming back sooner costs more in
/// refusals than it gains.
const MIN_RETRY: Duration = Duration::from_millis(50);
/// The longest: beyond it a client is better off told to wait its own way.
const MAX_RETRY: Duration = Duration::from_secs(30);

/// Why [`CpuPool::run_for`] did not run a job.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Denied {
    /// The whole pool is full (`server_busy`).
    #[error("the server is busy; try again in a moment")]
    Busy(Busy),
    /// This source already has its share of jobs admitted (`rate_limited`).
    #[error("too many requests from this address at once")]
    SourceShare,
}

impl From<Busy> for Denied {
    fn from(busy: Busy) -> Self {
        Denied::Busy(busy)
    }
}

/// A bounded pool for CPU-heavy work. Cheap to clone.
#[derive(Clone, Debug)]
pub struct CpuPool {
    running: Arc<Semaphore>,
    admitted: Arc<Semaphore>,
    per_source: usize,
    shares: Arc<Mutex<HashMap<Source, usize>>>,
    pace: Arc<Pace>,
}

/// What the pool knows to name a wait: how long jobs take, and how many
/// refusals it has spread.
#[derive(Debug)]
struct Pace {
    /// Jobs admitted at most (workers and queue).
    capacity: u64,
    workers: u64,
    /// Moving average of a job's run time in microseconds; 0 until one ran.
    job_us: AtomicU64,
    refusals: AtomicU64,
}

impl Pace {
    fn record(&self, took: Duration) {
        let took = u64::try_from(took.as_micros()).unwrap_or(u64::MAX).max(1);
        // Weight 1/8: a storm changes it within a few dozen jobs. Racing
        // updates may lose one sample; an estimate can afford that.
        let old = self.job_us.load(Ordering::Relaxed);
        let new = if old == 0 {
            took
        } else {
            old - old / 8 + took / 8
        };
        self.job_us.store(new, Ordering::Relaxed);
    }

    /// The wait for a refusal now: a point in the second half of the time
    /// the full queue takes to drain, successive refusals spread evenly
    /// (the golden-ratio sequence) over it.
    fn retry_after(&self) -> Duration {
        let job_us = self.job_us.load(Ordering::Relaxed);
        if job_us == 0 {
            return FIRST_RETRY;
        }
        let drain_us = self.capacity.saturating_mul(job_us) / self.workers.max(1);
        let n = self.refusals.fetch_add(1, Ordering::Relaxed);
        // n * 0.618... mod 1, in 1/1024ths.
        let spread = n.wrapping_mul(633) % 1024;
        let wait_us = drain_us / 2 + drain_us / 2 * spread / 1024;
        Duration::from_micros(wait_us).clamp(MIN_RETRY, MAX_RETRY)
    }
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
            pace: Arc::new(Pace {
                capacity: u64::try_from(workers + queue).unwrap_or(u64::MAX),
                workers: u64::try_from(workers).unwrap_or(u64::MAX),
                job_us: AtomicU64::new(0),
                refusals: AtomicU64::new(0),
            }),
        }
    }

    fn busy(&self) -> Busy {
        Busy {
            retry_after: self.pace.retry_after(),
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
            .map_err(|_| self.busy())?;
        let _running = self
            .running
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| self.busy())?;
        let pace = Arc::clone(&self.pace);
        tokio::task::spawn_blocking(move || {
            let started = Instant::now();
            let value = job();
            pace.record(started.elapsed());
            value
        })
        .await
        .map_err(|_| self.busy())
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
        assert!(pool.run(|| ()).await.is_err());
        release.send(()).ok();
        release.send(()).ok();
        assert_eq!(a.await.ok(), Some(Ok(())));
        assert_eq!(b.await.ok(), Some(Ok(())));
        assert_eq!(peak.load(Ordering::SeqCst), 1);
        assert_eq!(pool.run(|| 7).await, Ok(7));
    }

    #[test]
    fn refusals_name_waits_spread_over_the_second_half_of_the_drain_time() {
        let pool = CpuPool::new(2, 98, 1);
        assert_eq!(pool.busy().retry_after, FIRST_RETRY, "no job has run yet");
        for _ in 0..50 {
            pool.pace.record(Duration::from_millis(2));
        }
        // 100 jobs of 2 ms on two workers: 100 ms to drain.
        let waits: Vec<Duration> = (0..200).map(|_| pool.busy().retry_after).collect();
        let min = waits.iter().min().copied().unwrap_or_default();
        let max = waits.iter().max().copied().unwrap_or_default();
        assert!(min >= Duration::from_millis(50), "{min:?}");
        assert!(max <= Duration::from_millis(100), "{max:?}");
        assert!(
            max - min >= Duration::from_millis(45),
            "spread: {min:?}..{max:?}"
        );
        let first_half = waits
            .iter()
            .filter(|w| **w < Duration::from_millis(75))
            .count();
        assert!(
            (80..=120).contains(&first_half),
            "even spread: {first_half} of 200"
        );
    }

    #[test]
    fn slow_jobs_name_long_waits_within_the_bound() {
        let pool = CpuPool::new(2, 256, 1);
        for _ in 0..50 {
            pool.pace.record(Duration::from_millis(250));
        }
        // bcrypt at cost 12: 258 jobs take 32 s on two workers.
        let waits: Vec<Duration> = (0..20).map(|_| pool.busy().retry_after).collect();
        assert!(
            waits.iter().all(|w| *w >= Duration::from_secs(16)),
            "{waits:?}"
        );
        assert!(waits.iter().all(|w| *w <= MAX_RETRY), "{waits:?}");
    }
}
