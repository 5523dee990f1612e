//! Logging what peers control. A peer chooses usernames, ids and error
//! texts; written raw, a newline in one forges a log line and a 45 KB
//! string floods the journal. So such text is logged only through
//! [`peer_text`] (control characters escaped, length capped), and events a
//! peer can trigger at will (credentials that do not open, failed logins)
//! go through a [`LogLimiter`] at debug level.

use std::fmt;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Characters of peer-controlled text shown in a log line.
const MAX_SHOWN: usize = 64;

/// Peer-controlled text made safe for a log line: control and other
/// non-printing characters escaped as `\n`, `\u{..}`, cut after 64
/// characters with `…`.
pub struct PeerText<'a>(&'a str);

/// Wraps `text` for logging; see [`PeerText`].
pub fn peer_text(text: &str) -> PeerText<'_> {
    PeerText(text)
}

impl fmt::Display for PeerText<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, c) in self.0.chars().enumerate() {
            if i == MAX_SHOWN {
                return f.write_str("…");
            }
            if c.is_control() || c == '\u{2028}' || c == '\u{2029}' || c == '\\' {
                write!(f, "{}", c.escape_default())?;
            } else {
                write!(f, "{c}")?;
            }
        }
        Ok(())
    }
}

/// Lets one log line through per interval and counts the ones it held
/// back, so an event a peer can repeat at will cannot flood the log.
#[derive(Debug)]
pub struct LogLimiter {
    interval: Duration,
    state: Mutex<Option<(Instant, u64)>>,
}

impl LogLimiter {
    /// A limiter letting one line through per `interval`.
    pub const fn new(interval: Duration) -> Self {
        Self {
            interval,
            state: Mutex::new(None),
        }
    }

    /// `Some(suppressed)` when a line may be written now (with the number
    /// held back since the last one), `None` when this one is held back.
    pub fn allow(&self, now: Instant) -> Option<u64> {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        match *state {
            Some((last, ref mut held)) if now.duration_since(last) < self.interval => {
                *held += 1;
                None
            }
            Some((_, held)) => {
                *state = Some((now, 0));
                Some(held)
            }
            None => {
                *state = Some((now, 0));
                Some(0)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn newlines_and_controls_are_escaped_and_long_text_is_cut() {
        let forged = "x\n2026-01-01T00:00:00Z  INFO chat_server: logged in\r\u{1b}[31m";
        let shown = peer_text(forged).to_string();
        assert!(!shown.contains('\n') && !shown.contains('\r') && !shown.contains('\u{1b}'));
        assert!(shown.starts_with("x\\n2026"), "{shown}");
        let long = "a".repeat(45_000);
        assert_eq!(peer_text(&long).to_string().chars().count(), MAX_SHOWN + 1);
        assert_eq!(peer_text("alice").to_string(), "alice");
    }

    #[test]
    fn one_line_per_interval_with_a_count_of_the_rest() {
        let limiter = LogLimiter::new(Duration::from_secs(1));
        let t = Instant::now();
        assert_eq!(limiter.allow(t), Some(0));
        assert_eq!(limiter.allow(t + Duration::from_millis(10)), None);
        assert_eq!(limiter.allow(t + Duration::from_millis(20)), None);
        assert_eq!(limiter.allow(t + Duration::from_secs(2)), Some(2));
    }
}
