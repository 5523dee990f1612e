//! A conversation laid out as rows of styled text at a given width: day
//! separators, `HH:MM name text` with the names right-aligned in one
//! column (as in weechat), continuation rows indented under the text,
//! files as "📎 name (size)" with their caption below, delivery marks
//! after our own messages ("delivered to 3 of 5 · read by
//! alice, bob" in a group), system lines for key changes and
//! verifications (chatd's notices) and group changes in time order, and an
//! "unread" line above the first message that was unread when the
//! conversation was opened. Pure, so the app can count rows to scroll and
//! the renderer draws the very same rows.

use std::borrow::Cow;

use chatd_api::{Direction, GroupReceipts, Message, MessageStatus, Notice, NoticeKind};

use crate::app::chat::GroupLine;
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
    /// A system line: a key changed (or was accepted, or verified).
    System(NoticeKind),
    /// A system line: a group changed ("alice added carol").
    Group,
    /// The "unread from here" line.
    Unread,
}

/// What the timeline of one conversation is made of.
#[derive(Debug, Clone, Copy)]
pub struct Items<'a> {
    /// Oldest first.
    pub messages: &'a [Message],
    /// Key notices, oldest first.
    pub notices: &'a [Notice],
    /// Group changes, oldest first.
    pub changes: &'a [GroupLine],
    /// The first message that was unread when the conversation opened.
    pub unread_from: Option<&'a str>,
}

impl<'a> Items<'a> {
    /// Only messages (no notices, no unread line).
    pub fn messages(messages: &'a [Message]) -> Self {
        Self {
            messages,
            notices: &[],
            changes: &[],
            unread_from: None,
        }
    }
}

impl<'a> From<&'a crate::app::chat::Convo> for Items<'a> {
    fn from(c: &'a crate::app::chat::Convo) -> Self {
        Self {
            messages: &c.messages,
            notices: &c.notices,
            changes: &c.changes,
            unread_from: c.unread_from.as_deref(),
        }
    }
}

/// One screen row: pieces of text with their tone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row(pub Vec<(String, Tone)>);

/// Columns taken by `HH:MM `.
const TIME_WIDTH: usize = 6;
/// Narrowest useful room for text beside the name on the first row.
const MIN_TEXT: usize = 8;
/// The widest the name column gets; a longer name sticks out of it.
const MAX_NICK: usize = 12;

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

/// Every row of `items` at `width` columns.
pub fn rows(items: Items<'_>, width: usize, zone: Zone) -> Vec<Row> {
    laid_out(items, width, zone)
        .into_iter()
        .map(|(_, row)| row)
        .collect()
}

/// For every row of [`rows`], the index of the message it belongs to
/// (`None` for a day separator, a system line or the unread line): what is
/// on screen, for read receipts.
pub fn owners(items: Items<'_>, width: usize, zone: Zone) -> Vec<Option<usize>> {
    laid_out(items, width, zone)
        .into_iter()
        .map(|(owner, _)| owner)
        .collect()
}

fn laid_out(items: Items<'_>, width: usize, zone: Zone) -> Vec<(Option<usize>, Row)> {
    let mut out = Vec::new();
    let mut previous: Option<i64> = None;
    let mut day = |ts: i64, out: &mut Vec<(Option<usize>, Row)>| {
        if previous.is_none_or(|p| !zone.same_day(p, ts)) {
            out.push((None, day_row(&zone.day(ts), width)));
        }
        previous = Some(ts);
    };
    let nick = nick_width(items.messages, width);
    let mut system: Vec<(i64, String, Tone)> = items
        .notices
        .iter()
        .map(|n| (n.ts, notice_text(n), Tone::System(n.kind)))
        .chain(
            items
                .changes
                .iter()
                .map(|c| (c.ts, c.text.clone(), Tone::Group)),
        )
        .collect();
    system.sort_by_key(|(ts, _, _)| *ts);
    let mut notices = system.iter().peekable();
    for (i, m) in items.messages.iter().enumerate() {
        // A system line goes before the first message newer than it.
        while let Some(n) = notices.next_if(|n| n.0 < m.ts) {
            day(n.0, &mut out);
            out.extend(system_rows(n, width, zone).into_iter().map(|r| (None, r)));
        }
        day(m.ts, &mut out);
        if items.unread_from == Some(m.id.as_str()) {
            out.push((None, unread_row(width)));
        }
        let mut rows = Vec::new();
        message_rows(m, width, nick, zone, &mut rows);
        out.extend(rows.into_iter().map(|r| (Some(i), r)));
    }
    for n in notices {
        day(n.0, &mut out);
        out.extend(system_rows(n, width, zone).into_iter().map(|r| (None, r)));
    }
    out
}

/// A key notice in words (the fingerprint is compared in /fingerprint,
/// where it is shown whole).
pub fn notice_text(n: &Notice) -> String {
    let user = &n.user;
    match n.kind {
        NoticeKind::KeyChanged => format!(
            "⚠ {user}'s key changed: compare fingerprints (/fingerprint) before accepting it \
             (/trust)"
        ),
        NoticeKind::KeyAccepted => format!("{user}'s new key was accepted (unverified)"),
        NoticeKind::Verified => format!("✓ {user}'s key was verified"),
    }
}

fn system_rows((ts, text, tone): &(i64, String, Tone), width: usize, zone: Zone) -> Vec<Row> {
    let rest = width.saturating_sub(TIME_WIDTH).max(1);
    let indent = " ".repeat(TIME_WIDTH);
    wrap(text, rest, rest)
        .into_iter()
        .enumerate()
        .map(|(i, text)| {
            let head = if i == 0 {
                (format!("{} ", zone.clock(*ts)), Tone::Time)
            } else {
                (indent.clone(), Tone::Text)
            };
            Row(vec![head, (text, *tone)])
        })
        .collect()
}

fn unread_row(width: usize) -> Row {
    let label = " unread ";
    let side = width.saturating_sub(crate::wrap::width(label)) / 2;
    let dashes = "╌".repeat(side);
    Row(vec![(format!("{dashes}{label}{dashes}"), Tone::Unread)])
}

fn day_row(day: &str, width: usize) -> Row {
    let label = format!(" {day} ");
    let side = width.saturating_sub(crate::wrap::width(&label)) / 2;
    let dashes = "─".repeat(side);
    Row(vec![(format!("{dashes}{label}{dashes}"), Tone::Day)])
}

/// The name column: as wide as the widest name shown (at most
/// [`MAX_NICK`], and at most a third of the width).
fn nick_width(messages: &[Message], width: usize) -> usize {
    messages
        .iter()
        .map(|m| width_of(&label(m).0))
        .max()
        .unwrap_or(0)
        .min(MAX_NICK)
        .min(width / 3)
}

/// The name shown and the text after it: `/me waves` is an action,
/// `* bob waves`; a file is its name and size, its caption below.
fn label(m: &Message) -> (String, Cow<'_, str>) {
    if let Some(file) = &m.file {
        return (m.from.clone(), Cow::Owned(crate::files::text(m, file)));
    }
    match m.text.strip_prefix("/me ") {
        Some(action) => (format!("* {}", m.from), Cow::Borrowed(action)),
        None => (m.from.clone(), Cow::Borrowed(m.text.as_str())),
    }
}

fn message_rows(m: &Message, width: usize, nick: usize, zone: Zone, out: &mut Vec<Row>) {
    let tone = match m.direction {
        Direction::Out => Tone::Me,
        Direction::In => Tone::Peer,
    };
    let (name, text) = label(m);
    let pad = nick.saturating_sub(width_of(&name));
    let name = format!("{}{name}", " ".repeat(pad));
    let column = TIME_WIDTH + width_of(&name) + 1;
    let mut indent = " ".repeat(TIME_WIDTH);
    let mut rest = width.saturating_sub(TIME_WIDTH).max(1);
    let first = width.saturating_sub(column);
    let head = vec![(format!("{} ", zone.clock(m.ts)), Tone::Time), (name, tone)];
    let mut rows: Vec<Row> = Vec::new();
    if first >= MIN_TEXT {
        // Continuation rows line up with the text, when that leaves room.
        if first >= 2 * MIN_TEXT {
            indent = " ".repeat(column);
            rest = first;
        }
        let wrapped = wrap(&text, first, rest);
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
        for row in wrap(&text, rest, rest) {
            rows.push(Row(vec![(indent.clone(), Tone::Text), (row, Tone::Text)]));
        }
    }
    if m.direction == Direction::Out {
        let text = match &m.receipts {
            Some(r) => group_mark(m.status, r),
            None => mark(m.status).to_string(),
        };
        add_mark(&mut rows, &text, m.status, width, &indent);
    }
    out.extend(rows);
}

/// Readers named before "and N more".
const READERS_SHOWN: usize = 3;

/// The mark of one of our group messages: "✓✓ delivered to 3 of 5 · read
/// by alice, bob" once any member has it, else the 1:1 mark.
pub fn group_mark(status: MessageStatus, r: &GroupReceipts) -> String {
    if r.delivered.is_empty() || matches!(status, MessageStatus::Sending | MessageStatus::Failed) {
        return mark(status).to_string();
    }
    let mut text = format!("✓✓ delivered to {} of {}", r.delivered.len(), r.recipients);
    if !r.read.is_empty() {
        let names = r
            .read
            .iter()
            .take(READERS_SHOWN)
            .cloned()
            .collect::<Vec<_>>()
            .join(", ");
        text.push_str(" · read by ");
        text.push_str(&names);
        if r.read.len() > READERS_SHOWN {
            text.push_str(&format!(" and {} more", r.read.len() - READERS_SHOWN));
        }
    }
    text
}

/// The mark goes at the end of the last row when it fits, else on a row
/// of its own.
fn add_mark(rows: &mut Vec<Row>, mark: &str, status: MessageStatus, width: usize, indent: &str) {
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
            group: None,
            receipts: None,
            file: None,
        }
    }

    fn plain(rows: &[Row]) -> Vec<String> {
        rows.iter()
            .map(|r| r.0.iter().map(|(s, _)| s.as_str()).collect())
            .collect()
    }

    #[test]
    fn a_group_message_says_who_has_it_and_who_read_it() {
        let r = GroupReceipts {
            recipients: 5,
            delivered: ["a", "b", "c", "d", "e"].map(String::from).to_vec(),
            read: ["a", "b", "c", "d"].map(String::from).to_vec(),
        };
        assert_eq!(
            group_mark(MessageStatus::Delivered, &r),
            "✓✓ delivered to 5 of 5 · read by a, b, c and 1 more"
        );
        let none = GroupReceipts {
            recipients: 2,
            ..GroupReceipts::default()
        };
        assert_eq!(group_mark(MessageStatus::Sent, &none), "✓");
        assert_eq!(group_mark(MessageStatus::Sending, &r), "…");
    }

    #[test]
    fn names_line_up_text_wraps_under_the_text_and_ends_with_the_mark() {
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
        let rows = rows(Items::messages(&messages), 30, Zone::Utc);
        assert_eq!(
            plain(&rows),
            vec![
                "────── Tue 25 Nov 2025 ──────",
                "14:05   bob hello there alice",
                "14:06 alice hi bob, this one",
                "            is long enough to",
                "            wrap ✓✓",
            ]
        );
        // Too narrow for anything: still rows, no panic.
        assert!(!super::rows(Items::messages(&messages), 0, Zone::Utc).is_empty());
    }
}
