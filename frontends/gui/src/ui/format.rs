//! How times, days, delivery states and fingerprints are written for
//! people: local time, "Today"/"Yesterday" separators, and fingerprints as
//! the 16 groups of 4 that PROTOCOL.md §0 prescribes.

use chatd_api::{GroupReceipts, MessageStatus, TrustState};
use chrono::{DateTime, Local, NaiveDate, TimeZone};

/// A Unix-ms timestamp in local time (the epoch for nonsense values).
fn local(ts_ms: i64) -> DateTime<Local> {
    Local
        .timestamp_millis_opt(ts_ms)
        .earliest()
        .unwrap_or_else(|| DateTime::<Local>::from(DateTime::UNIX_EPOCH))
}

/// The local calendar day of a timestamp.
pub fn day_of(ts_ms: i64) -> NaiveDate {
    local(ts_ms).date_naive()
}

/// Today, locally.
pub fn today() -> NaiveDate {
    Local::now().date_naive()
}

/// "14:03".
pub fn time_of_day(ts_ms: i64) -> String {
    local(ts_ms).format("%H:%M").to_string()
}

/// A day separator: "Today", "Yesterday", or "Monday 3 March 2025".
pub fn day_label(day: NaiveDate, today: NaiveDate) -> String {
    match (today - day).num_days() {
        0 => "Today".into(),
        1 => "Yesterday".into(),
        _ => day.format("%A %-d %B %Y").to_string(),
    }
}

/// The short time in the conversation list: the time today, the weekday
/// this week, the date before.
pub fn list_time(ts_ms: i64, today: NaiveDate) -> String {
    let day = day_of(ts_ms);
    match (today - day).num_days() {
        0 => time_of_day(ts_ms),
        1..=6 => day.format("%a").to_string(),
        _ => day.format("%-d %b").to_string(),
    }
}

/// The mark on a sent bubble and its words for screen readers.
pub fn status_mark(status: MessageStatus) -> (&'static str, &'static str) {
    match status {
        MessageStatus::Sending => ("…", "sending"),
        MessageStatus::Sent => ("✔", "sent"),
        MessageStatus::Delivered => ("✔✔", "delivered"),
        MessageStatus::Read => ("✔✔", "read"),
        MessageStatus::Failed => ("⚠", "not sent"),
    }
}

/// Under one's own message in a group: "delivered to 3 of 5 · read by
/// alice, bob" (readers count as delivered too).
pub fn group_receipts(r: &GroupReceipts) -> String {
    if r.recipients == 0 {
        return "nobody else in the group".into();
    }
    let mut line = format!("delivered to {} of {}", r.delivered.len(), r.recipients);
    if !r.read.is_empty() {
        line.push_str(" · read by ");
        line.push_str(&r.read.join(", "));
    }
    line
}

/// Words for a trust state.
pub fn trust_words(state: TrustState) -> &'static str {
    match state {
        TrustState::Unverified => "Not verified",
        TrustState::Verified => "Verified",
        TrustState::Changed => "Key changed",
    }
}

/// A fingerprint as 4 lines of 4 groups of 4 hex digits.
pub fn fingerprint_grid(hex: &str) -> String {
    let digits: Vec<char> = hex.chars().filter(|c| !c.is_whitespace()).collect();
    digits
        .chunks(16)
        .map(|line| {
            line.chunks(4)
                .map(|g| g.iter().collect::<String>())
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// A safety number (60 digits) as 3 lines of 4 groups of 5 digits.
pub fn safety_number_grid(number: &str) -> String {
    let digits: Vec<char> = number.chars().filter(char::is_ascii_digit).collect();
    digits
        .chunks(20)
        .map(|line| {
            line.chunks(5)
                .map(|g| g.iter().collect::<String>())
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// A safety number as one line of 12 groups (for screen readers).
pub fn safety_number_line(number: &str) -> String {
    safety_number_grid(number).replace('\n', " ")
}

/// A fingerprint as one line of 16 groups (for screen readers).
pub fn fingerprint_line(hex: &str) -> String {
    fingerprint_grid(hex).replace('\n', " ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_are_sixteen_groups_of_four() {
        let hex: String = "0123456789abcdef".repeat(4);
        let grid = fingerprint_grid(&hex);
        assert_eq!(grid.lines().count(), 4);
        assert_eq!(fingerprint_line(&hex).split(' ').count(), 16);
        assert!(grid.starts_with("0123 4567 89ab cdef\n"));
    }

    #[test]
    fn safety_numbers_are_twelve_groups_of_five_whatever_the_spacing() {
        let digits: String = "0123456789".repeat(6);
        let grid = safety_number_grid(&digits);
        assert_eq!(grid.lines().count(), 3);
        assert!(grid.starts_with("01234 56789 01234 56789\n"), "{grid}");
        let spaced = safety_number_line(&digits);
        assert_eq!(spaced.split(' ').count(), 12);
        // Already grouped by chatd: the same.
        assert_eq!(safety_number_line(&spaced), spaced);
    }

    #[test]
    fn group_receipts_count_deliveries_and_name_readers() {
        let r = |recipients, delivered: &[&str], read: &[&str]| GroupReceipts {
            recipients,
            delivered: delivered.iter().map(|s| s.to_string()).collect(),
            read: read.iter().map(|s| s.to_string()).collect(),
        };
        assert_eq!(group_receipts(&r(5, &[], &[])), "delivered to 0 of 5");
        assert_eq!(
            group_receipts(&r(5, &["alice", "bob", "carol"], &["alice", "bob"])),
            "delivered to 3 of 5 · read by alice, bob"
        );
        assert_eq!(
            group_receipts(&r(2, &["bob", "carol"], &[])),
            "delivered to 2 of 2"
        );
        assert_eq!(group_receipts(&r(0, &[], &[])), "nobody else in the group");
    }

    #[test]
    fn days_are_named_relative_to_today() {
        let today = NaiveDate::from_ymd_opt(2026, 3, 4).unwrap_or_default();
        assert_eq!(day_label(today, today), "Today");
        assert_eq!(
            day_label(today.pred_opt().unwrap_or_default(), today),
            "Yesterday"
        );
        let old = NaiveDate::from_ymd_opt(2025, 3, 3).unwrap_or_default();
        assert_eq!(day_label(old, today), "Monday 3 March 2025");
    }
}
