//! The login deadline of one connection (PROTOCOL.md §1.2: logged in
//! within 30 s of accept), minus the time the client spends waiting as the
//! server told it. In a login or reconnect storm the server answers
//! `server_busy` with `retry_after_ms`; a client that obeys must not be cut
//! off for the time the server made it wait (issue 14 saw 14,900 clients
//! closed mid-storm that way, each of which then reconnected and added to
//! the storm). Only the wait actually taken counts: a client that retries
//! before it was told to earns no more than it waited, so hammering a busy
//! server does not keep a connection open without logging in.

use std::time::Duration;

use tokio::time::Instant;

/// When a connection that has not logged in is closed.
#[derive(Debug, Clone, Copy)]
pub struct LoginClock {
    deadline: Instant,
    /// The end of the wait the client was last told to take, while it is
    /// still taking it (no frame since).
    told_until: Option<Instant>,
}

impl LoginClock {
    /// A deadline at `deadline` (accept + the login timeout).
    pub fn new(deadline: Instant) -> Self {
        Self {
            deadline,
            told_until: None,
        }
    }

    /// The current deadline.
    pub fn deadline(&self) -> Instant {
        self.deadline
    }

    /// The client was told at `now` to wait `wait` before trying again:
    /// the deadline moves back by that much, provisionally.
    pub fn told_to_wait(&mut self, now: Instant, wait: Duration) {
        self.frame_arrived(now);
        self.deadline += wait;
        self.told_until = Some(now + wait);
    }

    /// A frame came at `now`: a wait cut short gives back what it did not
    /// use.
    pub fn frame_arrived(&mut self, now: Instant) {
        if let Some(until) = self.told_until.take()
            && now < until
        {
            self.deadline -= until - now;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: Duration = Duration::from_secs(1);

    #[test]
    fn a_wait_taken_in_full_moves_the_deadline_by_the_wait() {
        let t0 = Instant::now();
        let mut c = LoginClock::new(t0 + 30 * S);
        c.told_to_wait(t0 + 10 * S, 2 * S);
        assert_eq!(c.deadline(), t0 + 32 * S);
        // The retry comes late: the client took its time, that counts.
        c.frame_arrived(t0 + 15 * S);
        assert_eq!(c.deadline(), t0 + 32 * S);
    }

    #[test]
    fn a_wait_cut_short_counts_only_what_was_waited() {
        let t0 = Instant::now();
        let mut c = LoginClock::new(t0 + 30 * S);
        c.told_to_wait(t0 + 10 * S, 5 * S);
        c.frame_arrived(t0 + 11 * S);
        assert_eq!(c.deadline(), t0 + 31 * S);
        // Retrying at once over and over earns nothing.
        for i in 0..100 {
            c.told_to_wait(t0 + 11 * S, 5 * S);
            c.frame_arrived(t0 + 11 * S);
            assert_eq!(c.deadline(), t0 + 31 * S, "round {i}");
        }
    }

    #[test]
    fn waits_told_one_after_another_add_up() {
        let t0 = Instant::now();
        let mut c = LoginClock::new(t0 + 30 * S);
        for i in 0..40 {
            c.told_to_wait(t0 + i * S, S);
            c.frame_arrived(t0 + (i + 1) * S);
        }
        assert_eq!(c.deadline(), t0 + 70 * S);
        // No wait told: frames change nothing.
        c.frame_arrived(t0 + 50 * S);
        assert_eq!(c.deadline(), t0 + 70 * S);
    }
}
