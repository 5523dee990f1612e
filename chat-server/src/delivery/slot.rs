//! A session's mail slot: what its delivery loop is to do next. Either
//! the store handed over the messages it just committed for this user, in
//! `seq` order, and the loop sends them on without reading them back; or
//! something happened that only a read of the mailbox can settle (mail
//! committed elsewhere, a slot that overflowed, the session's start), and
//! the loop reads the store from its cursor. Bounded: a client that does
//! not keep up costs a flag, not memory; its mail waits in the store.

use std::collections::VecDeque;
use std::sync::{Mutex, MutexGuard, PoisonError};

use tokio::sync::Notify;

use crate::store::StoredMessage;

/// Messages a slot holds before it gives up on them and asks for a read.
const CAPACITY: usize = 256;

/// One session's slot.
#[derive(Debug)]
pub struct MailSlot {
    state: Mutex<State>,
    bell: Notify,
}

#[derive(Debug)]
struct State {
    /// Committed for this user, in `seq` order, not yet taken.
    handed: VecDeque<StoredMessage>,
    /// The store holds mail the loop may not have: read it.
    read_store: bool,
}

/// What the loop takes out of the slot.
#[derive(Debug, Default)]
pub struct Taken {
    /// Read the store from the cursor before sending `handed`.
    pub read_store: bool,
    /// Messages to send on, in `seq` order (some may be at or below the
    /// cursor already: skip those).
    pub handed: VecDeque<StoredMessage>,
}

impl Default for MailSlot {
    fn default() -> Self {
        Self::new()
    }
}

impl MailSlot {
    /// A slot whose first take reads the store: mail stored before the
    /// session began is only there.
    pub fn new() -> Self {
        MailSlot {
            state: Mutex::new(State {
                handed: VecDeque::new(),
                read_store: true,
            }),
            bell: Notify::new(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // Only a queue and a flag live under the lock; a panic elsewhere
        // cannot leave them half-changed.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// New mail is in the store: the loop is to read it there.
    pub fn ring(&self) {
        self.lock().read_store = true;
        self.bell.notify_one();
    }

    /// `msg` was just committed for this user. Callers hand messages over
    /// in `seq` order. A full slot drops what it holds and asks for a read
    /// of the store instead, where all of it is.
    pub fn hand_over(&self, msg: &StoredMessage) {
        {
            let mut state = self.lock();
            if state.read_store {
                // The read will find it; holding it too would only be
                // skipped as already sent.
            } else if state.handed.len() >= CAPACITY {
                state.handed = VecDeque::new();
                state.read_store = true;
            } else {
                state.handed.push_back(msg.clone());
            }
        }
        self.bell.notify_one();
    }

    /// Takes what there is to do, leaving the slot empty.
    pub fn take(&self) -> Taken {
        let mut state = self.lock();
        Taken {
            read_store: std::mem::take(&mut state.read_store),
            handed: std::mem::take(&mut state.handed),
        }
    }

    /// Waits until something is put in the slot after the last take (or
    /// was put in since, and not yet waited for).
    pub async fn wait(&self) {
        self.bell.notified().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(seq: i64) -> StoredMessage {
        StoredMessage {
            seq,
            msg_id: format!("m{seq}"),
            sender: "alice".to_owned(),
            ts: 1,
            envelope: "{}".to_owned(),
        }
    }

    fn seqs(taken: &Taken) -> Vec<i64> {
        taken.handed.iter().map(|m| m.seq).collect()
    }

    #[test]
    fn the_first_take_reads_the_store_and_later_ones_get_what_was_handed() {
        let slot = MailSlot::new();
        slot.hand_over(&msg(1));
        let first = slot.take();
        assert!(first.read_store);
        assert!(first.handed.is_empty(), "the read covers it");
        slot.hand_over(&msg(2));
        slot.hand_over(&msg(5));
        let next = slot.take();
        assert!(!next.read_store);
        assert_eq!(seqs(&next), [2, 5]);
        let empty = slot.take();
        assert!(!empty.read_store && empty.handed.is_empty());
    }

    #[test]
    fn a_ring_asks_for_a_read_and_keeps_what_was_handed() {
        let slot = MailSlot::new();
        slot.take();
        slot.hand_over(&msg(3));
        slot.ring();
        let taken = slot.take();
        assert!(taken.read_store);
        assert_eq!(seqs(&taken), [3]);
    }

    #[test]
    fn an_overflowing_slot_holds_nothing_and_asks_for_a_read() {
        let slot = MailSlot::new();
        slot.take();
        for seq in 1..=i64::try_from(CAPACITY).unwrap() + 1 {
            slot.hand_over(&msg(seq));
        }
        let taken = slot.take();
        assert!(taken.read_store, "the store has what was dropped");
        assert!(taken.handed.is_empty());
        slot.hand_over(&msg(1_000));
        assert_eq!(seqs(&slot.take()), [1_000]);
    }

    #[tokio::test]
    async fn a_hand_over_before_the_wait_is_not_missed() {
        let slot = MailSlot::new();
        slot.take();
        slot.hand_over(&msg(1));
        slot.wait().await;
        assert_eq!(seqs(&slot.take()), [1]);
    }
}
