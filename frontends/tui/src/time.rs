//! Timestamps as people read them. The zone is a value rather than a global
//! so that the screens render the same in tests (UTC) as they do for a
//! person (the local zone, with its daylight saving rules).

use chrono::{DateTime, Local, NaiveDateTime, Utc};

/// Which clock times are shown in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Zone {
    /// The machine's time zone (`TZ`, `/etc/localtime`).
    #[default]
    Local,
    /// UTC, for tests and for people who ask for it (`--utc`).
    Utc,
}

impl Zone {
    fn naive(self, ms: i64) -> NaiveDateTime {
        let utc = DateTime::<Utc>::from_timestamp_millis(ms).unwrap_or_default();
        match self {
            Zone::Utc => utc.naive_utc(),
            Zone::Local => utc.with_timezone(&Local).naive_local(),
        }
    }

    /// `14:05`.
    pub fn clock(self, ms: i64) -> String {
        self.naive(ms).format("%H:%M").to_string()
    }

    /// `Tue 25 Nov 2025`, for the line between two days of a conversation.
    pub fn day(self, ms: i64) -> String {
        self.naive(ms).format("%a %-d %b %Y").to_string()
    }

    /// `25 Nov 14:05`, where the day matters (search results).
    pub fn short(self, ms: i64) -> String {
        self.naive(ms).format("%-d %b %H:%M").to_string()
    }

    /// Whether two instants fall on the same calendar day in this zone.
    pub fn same_day(self, a: i64, b: i64) -> bool {
        self.naive(a).date() == self.naive(b).date()
    }
}

/// Now, in Unix milliseconds.
pub fn now_ms() -> i64 {
    Utc::now().timestamp_millis()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_formats() {
        // 2025-11-25 14:05:00 UTC
        let t = 1_764_079_500_000;
        assert_eq!(Zone::Utc.clock(t), "14:05");
        assert_eq!(Zone::Utc.day(t), "Tue 25 Nov 2025");
        assert_eq!(Zone::Utc.short(t), "25 Nov 14:05");
        assert!(Zone::Utc.same_day(t, t + 3_600_000));
        assert!(!Zone::Utc.same_day(t, t + 12 * 3_600_000));
        // Out-of-range values do not panic.
        let _ = Zone::Local.clock(i64::MAX);
        let _ = Zone::Utc.day(i64::MIN);
    }
}
