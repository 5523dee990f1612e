//! How long to wait before trying chatd again: doubling from a short first
//! delay to a cap, with jitter so that several frontends restarted together
//! do not knock on chatd's socket in lockstep.

use std::hash::{BuildHasher, Hasher};
use std::time::Duration;

/// The first delay.
pub const FIRST: Duration = Duration::from_millis(200);
/// The longest delay.
pub const CAP: Duration = Duration::from_secs(5);

/// Delays for consecutive failed attempts.
#[derive(Debug)]
pub struct Backoff {
    next: Duration,
    random: std::collections::hash_map::RandomState,
    draws: u64,
}

impl Default for Backoff {
    fn default() -> Self {
        Self {
            next: FIRST,
            random: std::collections::hash_map::RandomState::new(),
            draws: 0,
        }
    }
}

impl Backoff {
    /// The delay before the next attempt: the current step, scaled by a
    /// random factor between 0.75 and 1.25.
    pub fn next_delay(&mut self) -> Duration {
        let step = self.next;
        self.next = (self.next * 2).min(CAP);
        step.mul_f64(0.75 + 0.5 * self.unit())
    }

    /// Back to the first delay, after a success.
    pub fn reset(&mut self) {
        self.next = FIRST;
    }

    /// A number in [0, 1) from std's per-process random hasher keys (no
    /// dependency just for jitter).
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
    fn doubles_up_to_the_cap_with_jitter_and_resets() {
        let mut b = Backoff::default();
        let mut base = FIRST;
        for _ in 0..10 {
            let d = b.next_delay();
            assert!(
                d >= base.mul_f64(0.75) && d <= base.mul_f64(1.25),
                "{d:?} vs {base:?}"
            );
            base = (base * 2).min(CAP);
        }
        assert!(b.next_delay() <= CAP.mul_f64(1.25));
        b.reset();
        assert!(b.next_delay() <= FIRST.mul_f64(1.25));
    }
}
