//! The one rule for how a message's status may change, used by chatd's
//! store when a receipt or the outbox updates a message and by the
//! frontends when they merge events, history pages and receipts that may
//! come in any order or twice (a `since` replay).
//!
//! The rule (docs/PROTOCOL.md, "Decisions of this implementation"):
//!
//! | from \ to  | sending | sent | delivered | read | failed |
//! |------------|---------|------|-----------|------|--------|
//! | sending    | -       | yes  | yes       | yes  | yes    |
//! | sent       | -       | -    | yes       | yes  | -      |
//! | delivered  | -       | -    | -         | yes  | -      |
//! | read       | -       | -    | -         | -    | -      |
//! | failed     | -       | yes  | yes       | yes  | -      |
//!
//! Statuses move forward along sending < sent < delivered < read. `failed`
//! is chatd giving up on a message still in its outbox, so only `sending`
//! may become `failed`; a message the server stored, the peer received or
//! read can never fail afterwards (read -> failed is refused). `failed` is
//! not final: sent, delivered and read are facts reported by the server or
//! the peer, and outrank our giving up.
//!
//! Do not compare statuses with `<`/`max`: the derived order puts `Failed`
//! last, which is the declaration order, not this rule.

use crate::MessageStatus;

impl MessageStatus {
    /// Whether a message may go from `self` to `to` (see the module's
    /// table). Staying put is not a move: `s.may_advance_to(s)` is false.
    pub fn may_advance_to(self, to: MessageStatus) -> bool {
        match (self, to) {
            (_, MessageStatus::Failed) => self == MessageStatus::Sending,
            _ => forward_rank(to) > forward_rank(self),
        }
    }

    /// The status after a report of `to`: `to` when the rule allows the
    /// move, else `self` unchanged. Merging any reports in any order, each
    /// any number of times, ends at the same status.
    pub fn advance(self, to: MessageStatus) -> MessageStatus {
        if self.may_advance_to(to) { to } else { self }
    }
}

/// Position along sending < sent < delivered < read; `failed` sits with
/// `sending`, so every fact from the server or the peer outranks it.
fn forward_rank(s: MessageStatus) -> u8 {
    match s {
        MessageStatus::Sending | MessageStatus::Failed => 0,
        MessageStatus::Sent => 1,
        MessageStatus::Delivered => 2,
        MessageStatus::Read => 3,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use MessageStatus::{Delivered, Failed, Read, Sending, Sent};

    const ALL: [MessageStatus; 5] = [Sending, Sent, Delivered, Read, Failed];

    #[test]
    fn the_table() {
        let allowed = |from: MessageStatus, to: MessageStatus| {
            matches!(
                (from, to),
                (Sending, Sent | Delivered | Read | Failed)
                    | (Sent, Delivered | Read)
                    | (Delivered, Read)
                    | (Failed, Sent | Delivered | Read)
            )
        };
        for from in ALL {
            for to in ALL {
                assert_eq!(
                    from.may_advance_to(to),
                    allowed(from, to),
                    "{from:?} -> {to:?}"
                );
                let expected = if allowed(from, to) { to } else { from };
                assert_eq!(from.advance(to), expected, "{from:?} -> {to:?}");
            }
        }
    }

    #[test]
    fn read_never_becomes_failed_and_failed_is_overtaken_by_facts() {
        assert_eq!(Read.advance(Failed), Read);
        assert_eq!(Sent.advance(Failed), Sent);
        assert_eq!(Sending.advance(Failed), Failed);
        assert_eq!(Failed.advance(Delivered), Delivered);
    }

    #[test]
    fn any_order_of_reports_ends_at_the_same_status() {
        // Every permutation of every subset that reaches read ends at read;
        // folding is order-independent for the reports chatd can send.
        let reports = [Sent, Delivered, Read, Failed];
        let mut orders = vec![vec![]];
        for _ in 0..reports.len() {
            let mut next = Vec::new();
            for order in &orders {
                for r in reports {
                    let mut o: Vec<MessageStatus> = order.clone();
                    o.push(r);
                    next.push(o);
                }
            }
            orders = next;
        }
        for order in orders {
            let end = order.iter().fold(Sending, |s, r| s.advance(*r));
            let best = order
                .iter()
                .copied()
                .filter(|s| *s != Failed)
                .max_by_key(|s| forward_rank(*s));
            match best {
                Some(best) => assert_eq!(end, best, "{order:?}"),
                None if order.contains(&Failed) => assert_eq!(end, Failed, "{order:?}"),
                None => assert_eq!(end, Sending),
            }
        }
    }
}
