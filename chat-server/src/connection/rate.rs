//! A per-connection rate limit for ephemeral sends (PROTOCOL.md §4.5: at
//! most 10 a second per connection). A sliding window of the last admitted
//! times, not a token bucket: "at most N in any window" holds exactly, and
//! the wait it reports is until the oldest of them leaves the window.
//! Clock readings are passed in, so the tests need no sleeping.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// At most `max` admissions in any `window`.
#[derive(Debug)]
pub struct RateWindow {
    max: usize,
    window: Duration,
    recent: VecDeque<Instant>,
}

impl RateWindow {
    /// A window admitting `max` (at least 1) per `window`.
    pub fn new(max: u32, window: Duration) -> Self {
        let max = usize::try_from(max.max(1)).unwrap_or(usize::MAX);
        Self {
            max,
            window,
            // Grown on the first admission: most connections never send
            // an ephemeral envelope, and each would hold the room anyway.
            recent: VecDeque::new(),
        }
    }

    /// Admits one more at `now`, or says how long until one would be.
    pub fn admit(&mut self, now: Instant) -> Result<(), Duration> {
        while let Some(&oldest) = self.recent.front() {
            if now.saturating_duration_since(oldest) >= self.window {
                self.recent.pop_front();
            } else {
                break;
            }
        }
        if self.recent.len() >= self.max {
            let oldest = self.recent.front().copied().unwrap_or(now);
            return Err(self
                .window
                .saturating_sub(now.saturating_duration_since(oldest)));
        }
        self.recent.push_back(now);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn at_most_max_in_any_window() {
        let start = Instant::now();
        let at = |ms: u64| start + Duration::from_millis(ms);
        let mut w = RateWindow::new(3, Duration::from_secs(1));
        for ms in [0, 100, 200] {
            assert_eq!(w.admit(at(ms)), Ok(()));
        }
        // The fourth within the second waits until the first leaves it.
        assert_eq!(w.admit(at(300)), Err(Duration::from_millis(700)));
        assert_eq!(w.admit(at(999)), Err(Duration::from_millis(1)));
        // A refusal is not counted; at 1000 the first has left.
        assert_eq!(w.admit(at(1000)), Ok(()));
        assert_eq!(w.admit(at(1050)), Err(Duration::from_millis(50)));
        assert_eq!(w.admit(at(1100)), Ok(()));
        // After a quiet spell the whole allowance is back.
        for ms in [5000, 5001, 5002] {
            assert_eq!(w.admit(at(ms)), Ok(()));
        }
        assert!(w.admit(at(5003)).is_err());
    }

    #[test]
    fn zero_means_one() {
        let now = Instant::now();
        let mut w = RateWindow::new(0, Duration::from_secs(1));
        assert_eq!(w.admit(now), Ok(()));
        assert!(w.admit(now).is_err());
    }
}
