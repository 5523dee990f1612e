//! A conversation laid out as rows of styled text at a given width: day
//! separators, `HH:MM name text`, continuation rows indented under the
//! name, delivery marks after our own messages. Pure, so the app can count
//! rows to scroll and the renderer draws the very same rows.

use chatd_api::{Direction, Message, MessageStatus};

use crate::time::Zone;
use crate::wrap::{width, wrap};

/// What a piece of a row is, for the theme to colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    /// Timestamps.
    Time,
    /// The line between two days.
    Day,
    /// Our own name.
    Me,
    /// The peer's name.
    Peer,
    /// Message text.
    Text,
    /// A delivery mark.
    Mark(MessageStatus),
}

/// One screen row: pieces of text with their tone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row(pub Vec<(String, Tone)>);

/// Columns taken by `HH:MM `.
const TIME_WIDTH: usize = 6;
/// Narrowest useful room for text beside the name on the first row.
const MIN_TEXT: usize = 8;

/// The mark shown after one of our messages.
pub fn mark(status: MessageStatus) -> &'static str {
    match status {
        MessageStatus::Sending => "…",
        MessageStatus::Sent => "✓",
        MessageStatus::Delivered => "✓✓",
        MessageStatus::Read => "✓✓ read",
        MessageStatus::Failed => "✗ not sent",
    }
}

/// Every row of `messages` (oldest first) at `width` columns.
pub fn rows(messages: &[Message], width: usize, zone: Zone) -> Vec<Row> {
    laid_out(messages, width, zone)
        .into_iter()
        .map(|(_, row)| row)
        .collect()
}

/// For every row of [`rows`], the index of the message it belongs to
/// (`None` for a day separator): what is on screen, for read receipts.
pub fn owners(messages: &[Message], width: usize, zone: Zone) -> Vec<Option<usize>> {
    laid_out(messages, width, zone)
        .into_iter()
        .map(|(owner, _)| owner)
        .collect()
}

fn laid_out(messages: &[Message], width: usize, zone: Zone) -> Vec<(Option<usize>, Row)> {
    let mut out = Vec::new();
    let mut previous: Option<i64> = None;
    for (i, m) in messages.iter().enumerate() {
        if previous.is_none_or(|p| !zone.same_day(p, m.ts)) {
            out.push((None, day_row(&zone.day(m.ts), width)));
        }
        previous = Some(m.ts);
        let mut rows = Vec::new();
        message_rows(m, width, zone, &mut rows);
        out.extend(rows.into_iter().map(|r| (Some(i), r)));
    }
    out
}

fn day_row(day: &str, width: usize) -> Row {
    let label = format!(" {day} ");
    let side = width.saturating_sub(crate::wrap::width(&label)) / 2;
    let dashes = "─".repeat(side);
    Row(vec![(format!("{dashes}{label}{dashes}"), Tone::Day)])
}

fn message_rows(m: &Message, width: usize, zone: Zone, out: &mut Vec<Row>) {
    let tone = match m.direction {
        Direction::Out => Tone::Me,
        Direction::In => Tone::Peer,
    };
    // `/me waves` is an action: `* bob waves`.
    let (name, text) = match m.text.strip_prefix("/me ") {
        Some(action) => (format!("* {}", m.from), action),
        None => (m.from.clone(), m.text.as_str()),
    };
    let name = name.as_str();
    let indent = " ".repeat(TIME_WIDTH);
    let rest = width.saturating_sub(TIME_WIDTH).max(1);
    let first = width.saturating_sub(TIME_WIDTH + width_of(name) + 1);
    let head = vec![
        (format!("{} ", zone.clock(m.ts)), Tone::Time),
        (name.to_string(), tone),
    ];
    let mut rows: Vec<Row> = Vec::new();
    if first >= MIN_TEXT {
        let wrapped = wrap(text, first, rest);
        for (i, text) in wrapped.into_iter().enumerate() {
            let mut row = if i == 0 {
                let mut h = head.clone();
                h.push((" ".to_string(), Tone::Text));
                h
            } else {
                vec![(indent.clone(), Tone::Text)]
            };
            row.push((text, Tone::Text));
            rows.push(Row(row));
        }
    } else {
        rows.push(Row(head));
        for row in wrap(text, rest, rest) {
            rows.push(Row(vec![(indent.clone(), Tone::Text), (row, Tone::Text)]));
        }
    }
    if m.direction == Direction::Out {
        add_mark(&mut rows, m.status, width, &indent);
    }
    out.extend(rows);
}

/// The mark goes at the end of the last row when it fits, else on a row
/// of its own.
fn add_mark(rows: &mut Vec<Row>, status: MessageStatus, width: usize, indent: &str) {
    let mark = mark(status);
    let fits = rows
        .last()
        .is_some_and(|r| row_width(r) + 1 + width_of(mark) <= width);
    if fits && let Some(last) = rows.last_mut() {
        last.0.push((" ".to_string(), Tone::Text));
        last.0.push((mark.to_string(), Tone::Mark(status)));
    } else {
        rows.push(Row(vec![
            (indent.to_string(), Tone::Text),
            (mark.to_string(), Tone::Mark(status)),
        ]));
    }
}

fn row_width(row: &Row) -> usize {
    row.0.iter().map(|(s, _)| width(s)).sum()
}

fn width_of(s: &str) -> usize {
    width(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(
        from: &str,
        text: &str,
        ts: i64,
        direction: Direction,
        status: MessageStatus,
    ) -> Message {
        Message {
            id: format!("{from}-{ts}"),
            from: from.into(),
            to: "x".into(),
            text: text.into(),
            ts,
            direction,
            status,
        }
    }

    fn plain(rows: &[Row]) -> Vec<String> {
        rows.iter()
            .map(|r| r.0.iter().map(|(s, _)| s.as_str()).collect())
            .collect()
    }

    #[test]
    fn rows_wrap_under_the_name_and_end_with_the_mark() {
        let t = 1_764_079_500_000;
        let messages = [
            msg(
                "bob",
                "hello there alice",
                t,
                Direction::In,
                MessageStatus::Read,
            ),
            msg(
                "alice",
                "hi bob, this one is long enough to wrap",
                t + 60_000,
                Direction::Out,
                MessageStatus::Delivered,
            ),
        ];
        let rows = rows(&messages, 30, Zone::Utc);
        assert_eq!(
            plain(&rows),
            vec![
                "────── Tue 25 Nov 2025 ──────",
                "14:05 bob hello there alice",
                "14:06 alice hi bob, this one",
                "      is long enough to wrap",
                "      ✓✓",
            ]
        );
        // Too narrow for anything: still rows, no panic.
        assert!(!super::rows(&messages, 0, Zone::Utc).is_empty());
    }
}
