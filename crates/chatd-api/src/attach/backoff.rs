//! How long an attach session waits before trying chatd again: exponential
//! backoff with full jitter (a random delay between zero and a ceiling that
//! doubles per failed attempt up to a cap). The randomness spreads the
//! frontends that lost the same chatd (a restart, a login session starting)
//! so they do not knock on its socket in lockstep; the cap bounds how long
//! a freshly started chatd goes unnoticed.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::time::Duration;

/// The first ceiling.
pub const FIRST: Duration = Duration::from_millis(200);
/// The largest ceiling: no wait is longer.
pub const CAP: Duration = Duration::from_secs(5);

/// Delays for consecutive failed attempts.
#[derive(Debug, Clone)]
pub struct Backoff {
    first: Duration,
    cap: Duration,
    ceiling: Duration,
    random: RandomState,
    draws: u64,
}

impl Default for Backoff {
    fn default() -> Self {
        Self::new(FIRST, CAP)
    }
}

impl Backoff {
    /// Ceilings from `first`, doubling up to `cap` (`cap` below `first`
    /// is raised to it).
    pub fn new(first: Duration, cap: Duration) -> Self {
        Self {
            first,
            cap: cap.max(first),
            ceiling: first,
            random: RandomState::new(),
            draws: 0,
        }
    }

    /// The delay before the next attempt: uniform in `[0, ceiling]`; the
    /// ceiling then doubles, up to the cap.
    pub fn next_delay(&mut self) -> Duration {
        let ceiling = self.ceiling;
        self.ceiling = (self.ceiling * 2).min(self.cap);
        ceiling.mul_f64(self.unit())
    }

    /// The ceiling of the next delay.
    pub fn ceiling(&self) -> Duration {
        self.ceiling
    }

    /// Back to the first ceiling, after a success.
    pub fn reset(&mut self) {
        self.ceiling = self.first;
    }

    /// A number in [0, 1) from std's per-process random hasher keys (no
    /// dependency just for jitter; this needs spread, not secrecy).
    fn unit(&mut self) -> f64 {
        self.draws += 1;
        let mut h = self.random.build_hasher();
        h.write_u64(self.draws);
        (h.finish() >> 11) as f64 / (1u64 << 53) as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ceilings_double_to_the_cap_delays_stay_under_them_and_reset() {
        let mut b = Backoff::default();
        let mut ceiling = FIRST;
        for _ in 0..12 {
            assert_eq!(b.ceiling(), ceiling);
            let d = b.next_delay();
            assert!(d <= ceiling, "{d:?} over {ceiling:?}");
            ceiling = (ceiling * 2).min(CAP);
        }
        assert_eq!(b.ceiling(), CAP);
        b.reset();
        assert_eq!(b.ceiling(), FIRST);
    }

    #[test]
    fn the_jitter_is_full_not_a_fixed_step() {
        // Full jitter spreads over the whole range: of many draws at the
        // cap, some are in the lower and some in the upper half.
        let mut b = Backoff::new(CAP, CAP);
        let draws: Vec<Duration> = (0..200).map(|_| b.next_delay()).collect();
        assert!(draws.iter().any(|d| *d < CAP / 2));
        assert!(draws.iter().any(|d| *d > CAP / 2));
        assert!(draws.iter().all(|d| *d <= CAP));
    }
}
