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
//! A refusal says when to come back: each refused client is given the
//! next place in a virtual line that starts when the full queue will have
//! drained and moves at the pool's pace (a moving average of how long jobs
//! take, over the workers). A fixed wait either leaves the workers idle
//! after a fast queue drains or brings everyone back at once to a queue
//! still full; a wait of just the drain time brings back all the refused
//! while only a queue's worth can be admitted, and answering the refusals
//! then costs more than the jobs (a resume storm measured 228,000
//! refusals for 6,000 resumes). With the line, the refused return at about
//! the rate they can be served.

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

/// What the pool knows to name a wait: how long jobs take, and the line
/// of refused clients it has already told when to come back.
#[derive(Debug)]
struct Pace {
    /// Jobs admitted at most (workers and queue).
    capacity: u64,
    workers: u64,
    /// Moving average of a job's run time in microseconds; 0 until one ran.
    job_us: AtomicU64,
    /// The time the last refused client was told to come back.
    line: Mutex<Option<Instant>>,
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

    /// The wait for a refusal at `now`: the refused client takes the next
    /// place in a line that starts when the full queue will have drained
    /// and admits one client per job's share of the workers.
    fn retry_after(&self, now: Instant) -> Duration {
        let job_us = self.job_us.load(Ordering::Relaxed);
        if job_us == 0 {
            return FIRST_RETRY;
        }
        let slot = Duration::from_micros(job_us / self.workers.max(1));
        let drained = now + slot.saturating_mul(u32::try_from(self.capacity).unwrap_or(u32::MAX));
        let mut line = self.line.lock().unwrap_or_else(|e| e.into_inner());
        let turn = line.map_or(drained, |last| (last + slot).max(drained));
        *line = Some(turn);
        (turn - now).clamp(MIN_RETRY, MAX_RETRY)
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
                line: Mutex::new(None),
            }),
        }
    }

    fn busy(&self) -> Busy {
        Busy {
            retry_after: self.pace.retry_after(Instant::now()),
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
    fn refused_clients_are_given_successive_places_in_a_line_after_the_queue() {
        let pool = CpuPool::new(2, 98, 1);
        let now = Instant::now();
        assert_eq!(
            pool.pace.retry_after(now),
            FIRST_RETRY,
            "no job has run yet"
        );
        for _ in 0..50 {
            pool.pace.record(Duration::from_millis(2));
        }
        // 100 jobs of 2 ms on two workers: drained in 100 ms, then one
        // place a millisecond.
        let waits: Vec<Duration> = (0..1000).map(|_| pool.pace.retry_after(now)).collect();
        assert_eq!(waits[0], Duration::from_millis(100));
        assert_eq!(waits[1], Duration::from_millis(101));
        assert_eq!(waits[999], Duration::from_millis(1099));
        // Later refusals queue behind the earlier ones, not before them.
        let later = now + Duration::from_millis(500);
        assert_eq!(pool.pace.retry_after(later), Duration::from_millis(600));
        // Once the line has passed, it starts again after the queue.
        let much_later = now + Duration::from_secs(10);
        assert_eq!(
            pool.pace.retry_after(much_later),
            Duration::from_millis(100)
        );
    }

    #[test]
    fn waits_stay_within_their_bounds() {
        let pool = CpuPool::new(2, 0, 1);
        let now = Instant::now();
        pool.pace.record(Duration::from_micros(10));
        assert_eq!(pool.pace.retry_after(now), MIN_RETRY);
        let slow = CpuPool::new(2, 256, 1);
        for _ in 0..50 {
            slow.pace.record(Duration::from_millis(250));
        }
        // bcrypt at cost 12: 258 jobs take 32 s on two workers.
        assert_eq!(slow.pace.retry_after(now), MAX_RETRY);
    }
}
