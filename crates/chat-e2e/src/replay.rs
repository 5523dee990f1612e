//! Replay detection per receiving key, in constant space. Delivery is at
//! least once and redeliveries can come after newer messages, so "highest
//! seq seen" alone would drop legitimate late messages and a set of every
//! seq would grow without bound; a sliding bitmap over the last
//! [`REPLAY_WINDOW`] sequence numbers does neither. Senders rotate keys
//! after 1,000 messages, so a conforming sender never falls out of it.

use serde::{Deserialize, Serialize};

/// How many sequence numbers below the highest one are tracked.
pub const REPLAY_WINDOW: u64 = 1024;

const WORDS: usize = (REPLAY_WINDOW / 64) as usize;

/// Which sequence numbers of one key were accepted: the highest, and a ring
/// bitmap indexed by `seq % REPLAY_WINDOW` covering the window below it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReplayWindow {
    /// Highest accepted sequence number (0: none yet).
    pub highest: u64,
    /// Ring bitmap; bit `s % REPLAY_WINDOW` is set when `s` was accepted,
    /// for `highest - REPLAY_WINDOW < s <= highest`.
    pub bits: [u64; WORDS],
}

impl ReplayWindow {
    /// Whether `seq` may be accepted: above the highest, or inside the
    /// window and not yet seen. Zero and anything at or below
    /// `highest - REPLAY_WINDOW` count as seen.
    pub fn is_fresh(&self, seq: u64) -> bool {
        if seq == 0 {
            return false;
        }
        if seq > self.highest {
            return true;
        }
        if self.highest - seq >= REPLAY_WINDOW {
            return false;
        }
        let (word, bit) = Self::slot(seq);
        self.bits[word] & bit == 0
    }

    /// Records `seq` as accepted. Call it only after the message
    /// authenticated, and only when [`Self::is_fresh`] said so.
    pub fn mark(&mut self, seq: u64) {
        if !self.is_fresh(seq) {
            return;
        }
        if seq > self.highest {
            self.clear_between(self.highest, seq);
            self.highest = seq;
        }
        let (word, bit) = Self::slot(seq);
        self.bits[word] |= bit;
    }

    /// Clears the slots of `old+1 ..= new`, which now stand for new numbers.
    fn clear_between(&mut self, old: u64, new: u64) {
        if new - old >= REPLAY_WINDOW {
            self.bits = [0; WORDS];
            return;
        }
        for s in old + 1..=new {
            let (word, bit) = Self::slot(s);
            self.bits[word] &= !bit;
        }
    }

    fn slot(seq: u64) -> (usize, u64) {
        let index = seq % REPLAY_WINDOW;
        // index < 1024, so the word index fits any usize.
        ((index / 64) as usize, 1u64 << (index % 64))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accept(w: &mut ReplayWindow, seq: u64) -> bool {
        let fresh = w.is_fresh(seq);
        if fresh {
            w.mark(seq);
        }
        fresh
    }

    #[test]
    fn in_order_then_replayed() {
        let mut w = ReplayWindow::default();
        assert!(!w.is_fresh(0));
        for s in 1..=5 {
            assert!(accept(&mut w, s));
        }
        for s in 1..=5 {
            assert!(!accept(&mut w, s));
        }
        assert_eq!(w.highest, 5);
    }

    #[test]
    fn out_of_order_inside_the_window() {
        let mut w = ReplayWindow::default();
        for s in [3, 1, 10, 2, 9] {
            assert!(accept(&mut w, s), "{s}");
        }
        for s in [1, 2, 3, 9, 10] {
            assert!(!accept(&mut w, s), "{s}");
        }
        for s in [4, 5, 6, 7, 8] {
            assert!(accept(&mut w, s), "{s}");
        }
    }

    #[test]
    fn sliding_reuses_slots_without_false_replays() {
        let mut w = ReplayWindow::default();
        assert!(accept(&mut w, 1));
        // 1 + 1024 lands on the same slot as 1: it must not look replayed.
        assert!(accept(&mut w, 1 + REPLAY_WINDOW));
        assert!(!w.is_fresh(1), "below the window counts as seen");
        assert!(accept(&mut w, 2 + REPLAY_WINDOW));
        assert!(!accept(&mut w, 1 + REPLAY_WINDOW));
        assert!(accept(&mut w, 10 * REPLAY_WINDOW));
        assert!(!w.is_fresh(1 + REPLAY_WINDOW));
        assert!(w.is_fresh(10 * REPLAY_WINDOW - 1));
        assert!(accept(&mut w, u64::MAX));
        assert!(!w.is_fresh(u64::MAX));
        assert!(w.is_fresh(u64::MAX - 1));
    }

    #[test]
    fn every_seq_of_a_full_key_in_reverse_is_accepted_once() {
        let mut w = ReplayWindow::default();
        for s in (1..=1000).rev() {
            assert!(accept(&mut w, s));
        }
        assert!((1..=1000).all(|s| !w.is_fresh(s)));
    }

    #[test]
    fn serialises_for_a_store() {
        let mut w = ReplayWindow::default();
        w.mark(70);
        let json = serde_json::to_string(&w).unwrap();
        assert_eq!(serde_json::from_str::<ReplayWindow>(&json).unwrap(), w);
    }
}
