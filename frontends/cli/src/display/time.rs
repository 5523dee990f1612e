//! Times for people: how long ago, rather than a raw Unix millisecond
//! count, and a plain UTC date once that stops being useful.

use std::time::{SystemTime, UNIX_EPOCH};

/// Now in Unix milliseconds (0 if the clock is before 1970).
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// "just now", "42s ago", "5m ago", "3h ago", "2d ago", then the UTC date.
/// A time in the future (another machine's clock) reads "just now".
pub fn relative(ts_ms: i64, now_ms: i64) -> String {
    let secs = now_ms.saturating_sub(ts_ms) / 1000;
    match secs {
        ..10 => "just now".to_string(),
        10..60 => format!("{secs}s ago"),
        60..3600 => format!("{}m ago", secs / 60),
        3600..86_400 => format!("{}h ago", secs / 3600),
        86_400..604_800 => format!("{}d ago", secs / 86_400),
        _ => utc_date(ts_ms),
    }
}

/// `YYYY-MM-DD` in UTC (civil-from-days, Howard Hinnant's algorithm).
pub fn utc_date(ts_ms: i64) -> String {
    let days = ts_ms.div_euclid(86_400_000);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_700_000_000_000;

    #[test]
    fn recent_times_read_as_durations() {
        assert_eq!(relative(NOW, NOW), "just now");
        assert_eq!(relative(NOW + 60_000, NOW), "just now");
        assert_eq!(relative(NOW - 42_000, NOW), "42s ago");
        assert_eq!(relative(NOW - 5 * 60_000, NOW), "5m ago");
        assert_eq!(relative(NOW - 3 * 3_600_000, NOW), "3h ago");
        assert_eq!(relative(NOW - 2 * 86_400_000, NOW), "2d ago");
    }

    #[test]
    fn old_times_read_as_dates() {
        assert_eq!(relative(0, NOW), "1970-01-01");
        assert_eq!(utc_date(NOW), "2023-11-14");
        assert_eq!(utc_date(951_782_400_000), "2000-02-29");
        assert_eq!(utc_date(-86_400_000), "1969-12-31");
    }
}
