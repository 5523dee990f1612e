//! The queue between a connection's senders and its writer: bounded like a
//! `tokio::sync::mpsc` channel, but holding no memory while empty. A bounded
//! mpsc channel allocates its first block of 32 slots and a cache-padded
//! channel up front, about 1.5 KiB per connection whether or not a frame
//! ever waits; here an idle connection keeps an empty `VecDeque`, a
//! semaphore for the room and a `Notify`, and the writer takes every
//! waiting frame at once, so the deque's memory goes with the batch.
//!
//! Room is given back frame by frame as the writer hands each on, so at
//! most `capacity` frames wait in memory, as with the channel. Bulk frames
//! (blob pieces) have a second, smaller bound of their own.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use bytes::Bytes;
use tokio::sync::{Notify, Semaphore, SemaphorePermit};

/// A frame waiting to be written; a bulk one holds a place among the bulk
/// frames until the writer hands it on.
#[derive(Debug)]
pub struct Queued {
    /// The encoded frame.
    pub frame: Bytes,
    bulk: bool,
}

/// The writer is gone: nothing more can be queued.
#[derive(Debug, Clone, Copy)]
pub struct Gone;

#[derive(Debug)]
struct Inner {
    frames: Mutex<VecDeque<Queued>>,
    room: Semaphore,
    bulk: Semaphore,
    ready: Notify,
    senders: AtomicUsize,
}

impl Inner {
    fn frames(&self) -> MutexGuard<'_, VecDeque<Queued>> {
        // Only pushes and takes happen under the lock; a panic cannot
        // leave the deque half-changed.
        self.frames
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// The sending side; cloned for every holder. The writer sees the queue end
/// once every sender is dropped and the frames are taken.
#[derive(Debug)]
pub struct Sender {
    inner: Arc<Inner>,
}

/// The writer's side.
#[derive(Debug)]
pub struct Receiver {
    inner: Arc<Inner>,
}

/// A queue of at most `capacity` frames, `bulk` of them bulk frames.
pub fn queue(capacity: usize, bulk: usize) -> (Sender, Receiver) {
    let inner = Arc::new(Inner {
        frames: Mutex::new(VecDeque::new()),
        room: Semaphore::new(capacity.max(1)),
        bulk: Semaphore::new(bulk.max(1)),
        ready: Notify::new(),
        senders: AtomicUsize::new(1),
    });
    (
        Sender {
            inner: inner.clone(),
        },
        Receiver { inner },
    )
}

impl Clone for Sender {
    fn clone(&self) -> Self {
        self.inner.senders.fetch_add(1, Ordering::Relaxed);
        Self {
            inner: self.inner.clone(),
        }
    }
}

impl Drop for Sender {
    fn drop(&mut self) {
        if self.inner.senders.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.inner.ready.notify_one();
        }
    }
}

impl Sender {
    /// Queues `frame` once there is room.
    pub async fn send(&self, frame: Bytes) -> Result<(), Gone> {
        let room = self.inner.room.acquire().await.map_err(|_| Gone)?;
        room.forget();
        self.put(Queued { frame, bulk: false });
        Ok(())
    }

    /// Waits for a place among the bulk frames; it goes back when the
    /// returned turn is dropped unused, or once the writer hands on the
    /// frame sent with it.
    pub async fn bulk_turn(&self) -> Result<BulkTurn<'_>, Gone> {
        self.inner
            .bulk
            .acquire()
            .await
            .map(BulkTurn)
            .map_err(|_| Gone)
    }

    /// Queues a bulk frame, with its turn, once there is room.
    pub async fn send_bulk(&self, turn: BulkTurn<'_>, frame: Bytes) -> Result<(), Gone> {
        let room = self.inner.room.acquire().await.map_err(|_| Gone)?;
        room.forget();
        turn.0.forget();
        self.put(Queued { frame, bulk: true });
        Ok(())
    }

    /// Queues `frame` if there is room now.
    pub fn try_send(&self, frame: Bytes) -> Result<(), Gone> {
        let room = self.inner.room.try_acquire().map_err(|_| Gone)?;
        room.forget();
        self.put(Queued { frame, bulk: false });
        Ok(())
    }

    fn put(&self, queued: Queued) {
        self.inner.frames().push_back(queued);
        self.inner.ready.notify_one();
    }
}

/// A place among the bulk frames, not yet used by a queued frame.
#[derive(Debug)]
pub struct BulkTurn<'a>(SemaphorePermit<'a>);

impl Receiver {
    /// Every frame waiting, once there is one; `None` once the senders are
    /// all gone and nothing waits.
    pub async fn recv_all(&mut self) -> Option<VecDeque<Queued>> {
        loop {
            if let Some(frames) = self.try_recv_all() {
                return Some(frames);
            }
            if self.inner.senders.load(Ordering::Acquire) == 0 {
                return self.try_recv_all();
            }
            self.inner.ready.notified().await;
        }
    }

    /// Every frame waiting now, if any.
    pub fn try_recv_all(&mut self) -> Option<VecDeque<Queued>> {
        let mut frames = self.inner.frames();
        if frames.is_empty() {
            None
        } else {
            Some(std::mem::take(&mut *frames))
        }
    }

    /// The writer has handed `queued` on: its room (and bulk turn) go back.
    pub fn done(&self, queued: Queued) {
        if queued.bulk {
            self.inner.bulk.add_permits(1);
        }
        drop(queued);
        self.inner.room.add_permits(1);
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        // Senders waiting for room learn the writer is gone.
        self.inner.room.close();
        self.inner.bulk.close();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::FutureExt;

    fn frame(b: &'static [u8]) -> Bytes {
        Bytes::from_static(b)
    }

    #[tokio::test]
    async fn frames_arrive_in_order_and_room_comes_back_as_they_are_handed_on() {
        let (tx, mut rx) = queue(2, 1);
        tx.send(frame(b"a")).await.unwrap();
        tx.try_send(frame(b"b")).unwrap();
        assert!(tx.try_send(frame(b"c")).is_err(), "full at capacity");
        let mut taken = rx.recv_all().await.unwrap();
        assert!(
            tx.try_send(frame(b"c")).is_err(),
            "taken is not yet handed on"
        );
        let first = taken.pop_front().unwrap();
        assert_eq!(first.frame, frame(b"a"));
        rx.done(first);
        tx.try_send(frame(b"c")).unwrap();
        let second = taken.pop_front().unwrap();
        assert_eq!(second.frame, frame(b"b"));
        rx.done(second);
        let rest: Vec<_> = rx.try_recv_all().unwrap().into_iter().collect();
        assert_eq!(rest.len(), 1);
        assert_eq!(rest[0].frame, frame(b"c"));
    }

    #[tokio::test]
    async fn the_queue_ends_once_every_sender_is_gone_and_nothing_waits() {
        let (tx, mut rx) = queue(4, 1);
        let other = tx.clone();
        tx.send(frame(b"last")).await.unwrap();
        drop(tx);
        drop(other);
        assert_eq!(rx.recv_all().await.unwrap().len(), 1);
        assert!(rx.recv_all().await.is_none());
    }

    #[tokio::test]
    async fn a_bulk_turn_goes_back_when_its_frame_is_handed_on_or_never_queued() {
        let (tx, mut rx) = queue(1, 1);
        let turn = tx.bulk_turn().await.unwrap();
        tx.send_bulk(turn, frame(b"piece")).await.unwrap();
        assert!(
            tx.bulk_turn().now_or_never().is_none(),
            "one bulk frame at most"
        );
        let queued = rx.try_recv_all().unwrap().pop_front().unwrap();
        rx.done(queued);
        let turn = tx.bulk_turn().now_or_never().unwrap().unwrap();
        // No room: the send waits, and is abandoned; its turn goes back.
        tx.try_send(frame(b"fill")).unwrap();
        assert!(tx.send_bulk(turn, frame(b"never")).now_or_never().is_none());
        assert!(tx.bulk_turn().now_or_never().is_some());
        drop(rx);
        assert!(tx.send(frame(b"x")).await.is_err(), "the writer is gone");
    }
}
