//! A criterion measurement of the benchmark thread's CPU time instead of
//! wall time. The development machine is two cores shared by several
//! builds at once; wall time there measures the neighbours as much as the
//! code, while the thread's own CPU time does not count the time it waits
//! for a core. `openssl speed`, which docs/BENCHMARKS.md compares with,
//! divides by CPU time too. Read with
//! `clock_gettime(CLOCK_THREAD_CPUTIME_ID)` (nanoseconds, exact for the
//! running thread; `/proc/thread-self/schedstat` lags by up to a
//! scheduler tick) once at the start and once at the end of each sample.
//!
//! Shared by the benches of chat-proto and chat-e2e (`#[path]` include).

use criterion::measurement::{Measurement, ValueFormatter, WallTime};

/// The benchmark thread's CPU time, in nanoseconds.
pub struct CpuTime;

fn thread_cpu_ns() -> u64 {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::ThreadCPUTime);
    let ns = i128::from(t.tv_sec) * 1_000_000_000 + i128::from(t.tv_nsec);
    u64::try_from(ns).unwrap_or(0)
}

impl Measurement for CpuTime {
    type Intermediate = u64;
    type Value = u64;

    fn start(&self) -> u64 {
        thread_cpu_ns()
    }

    fn end(&self, start: u64) -> u64 {
        thread_cpu_ns().saturating_sub(start)
    }

    fn add(&self, a: &u64, b: &u64) -> u64 {
        a + b
    }

    fn zero(&self) -> u64 {
        0
    }

    fn to_f64(&self, value: &u64) -> f64 {
        *value as f64
    }

    fn formatter(&self) -> &dyn ValueFormatter {
        // Nanoseconds, like wall time: the same units and throughputs.
        WallTime.formatter()
    }
}

/// Criterion measuring CPU time, for `criterion_group!`'s `config`.
pub fn criterion() -> criterion::Criterion<CpuTime> {
    criterion::Criterion::default().with_measurement(CpuTime)
}
