//! `--before` times as people write them: Unix milliseconds (what the
//! "older messages" pointer prints and scripts pass), a date or date and
//! time (RFC 3339; local time unless it names its offset), or a duration
//! ago (`90s`, `15m`, `2h`, `3d`, `1w`, and sums such as `1d12h`).
//!
//! Local dates need the system's time zone rules, which chrono already
//! reads for chat-tui and chat-gui, so it is used here too; durations are a
//! few lines of our own (no crate reads `3d` the way this help text says).

use chrono::{DateTime, Local, NaiveDate, NaiveDateTime, NaiveTime, TimeZone};

/// A point in time given on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum When {
    /// Unix milliseconds.
    At(i64),
    /// This many milliseconds before the moment the command runs.
    Ago(i64),
}

impl When {
    /// Unix milliseconds, durations counted back from `now_ms`.
    pub fn ms(self, now_ms: i64) -> i64 {
        match self {
            When::At(ms) => ms,
            When::Ago(ms) => now_ms.saturating_sub(ms),
        }
    }
}

/// What the parser accepts, for its error message.
const FORMS: &str = "use Unix milliseconds (1700000000000), a date (2026-11-20), a date and \
                     time (2026-11-20T14:30, local unless it ends in Z or +01:00), or a \
                     duration ago (90s, 15m, 2h, 3d, 1w, 1d12h)";

/// clap's value parser for `--before`.
pub fn parse(s: &str) -> Result<When, String> {
    let s = s.trim();
    if let Ok(ms) = s.parse::<i64>() {
        return Ok(When::At(ms));
    }
    if let Some(ms) = duration_ms(s) {
        return Ok(When::Ago(ms));
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(When::At(t.timestamp_millis()));
    }
    if let Some(local) = local_date_time(s) {
        return Local
            .from_local_datetime(&local)
            .earliest()
            .map(|t| When::At(t.timestamp_millis()))
            .ok_or_else(|| {
                format!("`{s}` does not exist in the local time zone (a clock change)")
            });
    }
    Err(format!("`{s}` is not a time: {FORMS}"))
}

/// `YYYY-MM-DD` (midnight), `YYYY-MM-DDTHH:MM[:SS]` or the same with a
/// space for the `T`, as a local time.
fn local_date_time(s: &str) -> Option<NaiveDateTime> {
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return Some(d.and_time(NaiveTime::MIN));
    }
    [
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%d %H:%M",
    ]
    .iter()
    .find_map(|f| NaiveDateTime::parse_from_str(s, f).ok())
}

/// `2h`, `1d12h`, ...: one or more numbers each followed by a unit.
fn duration_ms(s: &str) -> Option<i64> {
    let mut total: i64 = 0;
    let mut digits = String::new();
    for c in s.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        let unit: i64 = match c {
            's' => 1_000,
            'm' => 60_000,
            'h' => 3_600_000,
            'd' => 86_400_000,
            'w' => 604_800_000,
            _ => return None,
        };
        let n: i64 = digits.parse().ok()?;
        total = total.checked_add(n.checked_mul(unit)?)?;
        digits.clear();
    }
    // A trailing number without a unit is not a duration.
    digits.is_empty().then_some(total).filter(|_| !s.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unix_milliseconds_as_before() {
        assert_eq!(parse("1700000000000"), Ok(When::At(1_700_000_000_000)));
    }

    #[test]
    fn durations_count_back_from_now() {
        assert_eq!(parse("90s"), Ok(When::Ago(90_000)));
        assert_eq!(parse("15m"), Ok(When::Ago(900_000)));
        assert_eq!(parse("2h"), Ok(When::Ago(7_200_000)));
        assert_eq!(parse("3d"), Ok(When::Ago(259_200_000)));
        assert_eq!(parse("1w"), Ok(When::Ago(604_800_000)));
        assert_eq!(parse("1d12h"), Ok(When::Ago(129_600_000)));
        assert_eq!(When::Ago(2_000).ms(10_000), 8_000);
        for bad in ["h", "2", "2x", "1d12", "99999999999999999999d", ""] {
            assert_eq!(duration_ms(bad), None, "{bad}");
        }
    }

    #[test]
    fn rfc3339_with_an_offset_is_exact() {
        assert_eq!(
            parse("2023-11-14T22:13:20Z"),
            Ok(When::At(1_700_000_000_000))
        );
        assert_eq!(
            parse("2023-11-14T23:13:20+01:00"),
            Ok(When::At(1_700_000_000_000))
        );
        assert_eq!(
            parse("2023-11-14T22:13:20.5Z"),
            Ok(When::At(1_700_000_000_500))
        );
    }

    #[test]
    fn dates_and_times_without_an_offset_are_local() {
        let local = |y, mo, d, h, mi| {
            Local
                .with_ymd_and_hms(y, mo, d, h, mi, 0)
                .earliest()
                .map(|t| When::At(t.timestamp_millis()))
                .ok_or_else(String::new)
        };
        assert_eq!(parse("2026-11-20"), local(2026, 11, 20, 0, 0));
        assert_eq!(parse("2026-11-20T14:30"), local(2026, 11, 20, 14, 30));
        assert_eq!(parse("2026-11-20 14:30"), local(2026, 11, 20, 14, 30));
    }

    #[test]
    fn anything_else_says_what_is_accepted() {
        let err = parse("yesterday").expect_err("not a time");
        assert!(
            err.contains("`yesterday`") && err.contains("2026-11-20"),
            "{err}"
        );
        assert!(parse("2026-13-01").is_err());
    }
}
