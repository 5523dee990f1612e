//! The one order of a conversation: by the sender's timestamp, then by
//! message id. chatd's `history` query sorts by it and every frontend's
//! timeline keeps it, so a conversation reads the same in every window,
//! on both sides of it, and whether it was loaded page by page or grew
//! event by event.
//!
//! Why the id and not arrival order: two messages with the same
//! millisecond (one from each side, or a burst) arrive in different orders
//! at the two daemons, and a frontend merging a history page with live
//! events cannot know chatd's arrival order at all. The id (a uuid) is
//! carried everywhere, so the tiebreak is arbitrary but the same for
//! everyone and stable across restarts.

use std::cmp::Ordering;

use crate::Message;

/// What a timeline is sorted by: `(ts, id)`.
pub type TimelineKey<'a> = (i64, &'a str);

/// The sort key of `m` in a timeline.
pub fn timeline_key(m: &Message) -> TimelineKey<'_> {
    (m.ts, m.id.as_str())
}

/// Compares two messages in timeline order (oldest first).
pub fn timeline_cmp(a: &Message, b: &Message) -> Ordering {
    timeline_key(a).cmp(&timeline_key(b))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Direction, MessageStatus};

    fn msg(id: &str, ts: i64) -> Message {
        Message {
            id: id.into(),
            from: "bob".into(),
            to: "alice".into(),
            text: id.into(),
            ts,
            direction: Direction::In,
            status: MessageStatus::Delivered,
            group: None,
            receipts: None,
            file: None,
        }
    }

    #[test]
    fn time_first_then_id_whatever_the_arrival_order() {
        let arrivals = [
            vec![msg("b", 5), msg("a", 5), msg("c", 1)],
            vec![msg("c", 1), msg("a", 5), msg("b", 5)],
            vec![msg("a", 5), msg("c", 1), msg("b", 5)],
        ];
        for mut messages in arrivals {
            messages.sort_by(timeline_cmp);
            let ids: Vec<&str> = messages.iter().map(|m| m.id.as_str()).collect();
            assert_eq!(ids, ["c", "a", "b"]);
        }
        assert_eq!(timeline_key(&msg("x", 7)), (7, "x"));
    }
}
