//! Deliveries chatd could not store (a full disk, a read-only database):
//! kept in memory in arrival order and tried again every second, so they
//! arrive as soon as there is room, without waiting for the next
//! connection (the server sends unacked mail again only to a new session).
//! They are not acked until stored, so a crash meanwhile loses nothing;
//! and since a new session sends them all again, the queue is emptied at
//! every login.

use std::collections::VecDeque;
use std::time::Duration;

use serde_json::{Map, Value};
use tokio::time::Instant;

/// How often the queue is tried again.
const RETRY_EVERY: Duration = Duration::from_secs(1);
/// Deliveries kept at most; later ones wait for the next session.
const CAPACITY: usize = 1024;

/// One delivery as the server pushed it.
pub(super) struct Delivery {
    /// The server's id, for the ack.
    pub msg_id: String,
    /// The sender.
    pub from: String,
    /// The envelope.
    pub envelope: Map<String, Value>,
}

/// The queue, with the time of its next try.
#[derive(Default)]
pub(super) struct Unstored {
    queue: VecDeque<Delivery>,
    next: Option<Instant>,
}

impl Unstored {
    /// When to try again; `None` while the queue is empty.
    pub fn due(&self) -> Option<Instant> {
        self.next.filter(|_| !self.queue.is_empty())
    }

    /// Whether nothing waits (new deliveries may be processed at once).
    pub fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }

    /// Queues a delivery behind the others, so the order is kept.
    pub fn push(&mut self, delivery: Delivery) {
        if self.queue.is_empty() {
            self.next = Some(Instant::now() + RETRY_EVERY);
        }
        if self.queue.len() < CAPACITY {
            self.queue.push_back(delivery);
        } else {
            tracing::warn!(
                "too many deliveries wait for storage; the rest come with the next session"
            );
        }
    }

    /// The oldest delivery waiting.
    pub fn front(&self) -> Option<&Delivery> {
        self.queue.front()
    }

    /// Drops the oldest delivery (it was stored).
    pub fn pop(&mut self) {
        self.queue.pop_front();
    }

    /// Storing still fails: try again later.
    pub fn later(&mut self) {
        self.next = Some(Instant::now() + RETRY_EVERY);
    }

    /// Forgets everything (a new session delivers it all again).
    pub fn clear(&mut self) {
        self.queue.clear();
        self.next = None;
    }
}
