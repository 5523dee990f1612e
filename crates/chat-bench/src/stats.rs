//! Latency histograms: hdrhistogram keeps p50 to p99.9 and the max exact to
//! three significant digits in constant memory, however many messages a
//! phase sends, so recording costs the same at 1,000 and 500,000 msgs/s.

use hdrhistogram::Histogram;
use serde::Serialize;

/// Highest latency recorded, in microseconds (an hour).
const MAX_US: u64 = 3_600_000_000;

/// A latency histogram in microseconds.
#[derive(Clone)]
pub struct Latency(Histogram<u64>);

impl Default for Latency {
    fn default() -> Self {
        Self::new()
    }
}

impl Latency {
    /// Empty.
    // Constant bounds that hdrhistogram accepts: this cannot fail.
    #[allow(clippy::expect_used)]
    pub fn new() -> Self {
        // 3 significant digits up to an hour: a few hundred KiB at most.
        Self(Histogram::new_with_bounds(1, MAX_US, 3).expect("valid constant bounds"))
    }

    /// Records one sample (clamped into range).
    pub fn record_us(&mut self, us: u64) {
        let _ = self.0.record(us.clamp(1, MAX_US));
    }

    /// Adds another histogram's samples.
    pub fn merge(&mut self, other: &Latency) {
        let _ = self.0.add(&other.0);
    }

    /// The percentiles we report.
    pub fn summary(&self) -> Summary {
        let h = &self.0;
        let ms = |us: u64| us as f64 / 1000.0;
        Summary {
            count: h.len(),
            p50_ms: ms(h.value_at_quantile(0.50)),
            p99_ms: ms(h.value_at_quantile(0.99)),
            p999_ms: ms(h.value_at_quantile(0.999)),
            max_ms: ms(h.max()),
        }
    }
}

/// Percentiles of one phase, in milliseconds.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Summary {
    /// Samples.
    pub count: u64,
    /// Median.
    pub p50_ms: f64,
    /// 99th percentile.
    pub p99_ms: f64,
    /// 99.9th percentile.
    pub p999_ms: f64,
    /// Largest.
    pub max_ms: f64,
}
