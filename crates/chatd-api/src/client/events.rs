//! The receiving end of a subscription: events in the order chatd sent
//! them, ending when the connection does, and telling a consumer that fell
//! too far behind how to resume without a gap (`since`).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use tokio::sync::mpsc;

use super::conn::Connection;
use crate::Event;

/// Events buffered per stream before it is cut off as lagged. Big enough
/// for bursts (a `since` replay, a flood of presence changes); bounded so a
/// frontend that stopped reading cannot grow the client without limit.
pub const EVENT_BUFFER: usize = 4096;

/// Why [`EventStream::try_recv`] returned no event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TryRecvError {
    /// Nothing queued right now.
    #[error("no event queued")]
    Empty,
    /// The stream has ended (see [`EventStream::lagged`]).
    #[error("the event stream has ended")]
    Ended,
}

/// Events of one subscription. Holding it keeps the connection open.
pub struct EventStream {
    rx: mpsc::Receiver<Event>,
    lagged: Arc<AtomicBool>,
    last_seq: Option<u64>,
    _conn: Arc<Connection>,
}

impl std::fmt::Debug for EventStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventStream")
            .field("last_seq", &self.last_seq)
            .field("lagged", &self.lagged())
            .finish_non_exhaustive()
    }
}

impl EventStream {
    pub(crate) fn new(
        rx: mpsc::Receiver<Event>,
        lagged: Arc<AtomicBool>,
        conn: Arc<Connection>,
    ) -> Self {
        Self {
            rx,
            lagged,
            last_seq: None,
            _conn: conn,
        }
    }

    /// The next event; `None` once chatd has gone away (or the stream
    /// lagged, see [`lagged`](Self::lagged)) and every queued event was
    /// taken. Cancel-safe: dropping the future loses no event.
    pub async fn recv(&mut self) -> Option<Event> {
        let event = self.rx.recv().await?;
        self.last_seq = Some(event.seq);
        Some(event)
    }

    /// The next event if one is queued, without waiting (for frontends that
    /// poll from a UI loop).
    pub fn try_recv(&mut self) -> Result<Event, TryRecvError> {
        match self.rx.try_recv() {
            Ok(event) => {
                self.last_seq = Some(event.seq);
                Ok(event)
            }
            Err(mpsc::error::TryRecvError::Empty) => Err(TryRecvError::Empty),
            Err(mpsc::error::TryRecvError::Disconnected) => Err(TryRecvError::Ended),
        }
    }

    /// True when the stream ended because more than [`EVENT_BUFFER`]
    /// events were waiting unread. Nothing is lost for good: subscribe
    /// again with `since` set to [`last_seq`](Self::last_seq).
    pub fn lagged(&self) -> bool {
        self.lagged.load(Ordering::Acquire)
    }

    /// The seq of the last event taken from this stream.
    pub fn last_seq(&self) -> Option<u64> {
        self.last_seq
    }
}
