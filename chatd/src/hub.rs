//! Events for frontends: every event is appended to the durable log in the
//! store first (so `subscribe` with `since` can replay it after a crash of
//! either side), then broadcast to live subscribers. A subscriber keeps a
//! cursor and fills any gap from the log, so a slow frontend or events
//! committed by concurrent tasks in a different order than they were
//! broadcast never cost it an event or show it one twice.

use chatd_api::{Event, EventBody, EventKind};
use tokio::sync::broadcast;

use crate::store::Db;
use crate::store::StoreError;

/// Live fan-out capacity; a subscriber further behind re-reads the log.
const LIVE_CAPACITY: usize = 1024;
/// Events read from the log per round when catching up.
const CATCH_UP_BATCH: u32 = 500;

/// The event hub. Cheap to clone.
#[derive(Clone)]
pub struct Hub {
    db: Db,
    live: broadcast::Sender<Event>,
}

impl Hub {
    /// A hub over the store's event log.
    pub fn new(db: Db) -> Self {
        Self {
            db,
            live: broadcast::channel(LIVE_CAPACITY).0,
        }
    }

    /// Appends one event and broadcasts it.
    pub async fn publish(&self, body: EventBody) -> Result<Event, StoreError> {
        let now = chat_proto::now_ms();
        let event = self.db.call(move |tx| tx.append_event(&body, now)).await?;
        self.announce(vec![event.clone()]);
        Ok(event)
    }

    /// Broadcasts events already committed to the log (appended inside a
    /// larger transaction).
    pub fn announce(&self, events: Vec<Event>) {
        for e in events {
            let _ = self.live.send(e);
        }
    }

    /// Starts a subscription: the latest seq now, and a stream that yields
    /// every event after `since` (or after now), in order, without gaps.
    pub async fn subscribe(
        &self,
        since: Option<u64>,
        kinds: Option<Vec<EventKind>>,
    ) -> Result<(u64, Subscription), StoreError> {
        // Subscribe to live events before reading the log position, so
        // nothing committed in between can be missed.
        let live = self.live.subscribe();
        let latest = self.db.call(|tx| tx.latest_event_seq()).await?;
        let cursor = since.unwrap_or(latest).min(latest);
        Ok((
            latest,
            Subscription {
                db: self.db.clone(),
                live,
                cursor,
                known: latest,
                kinds,
                buffer: Vec::new(),
            },
        ))
    }
}

/// One subscriber's view of the event stream.
pub struct Subscription {
    db: Db,
    live: broadcast::Receiver<Event>,
    cursor: u64,
    known: u64,
    kinds: Option<Vec<EventKind>>,
    buffer: Vec<Event>,
}

impl Subscription {
    /// The next event this subscriber wants; `None` when the hub is gone.
    pub async fn next(&mut self) -> Option<Result<Event, StoreError>> {
        loop {
            if let Some(e) = self.pop_buffered() {
                return Some(Ok(e));
            }
            if self.cursor < self.known {
                let since = self.cursor;
                match self
                    .db
                    .call(move |tx| tx.events_since(since, CATCH_UP_BATCH))
                    .await
                {
                    Ok(batch) if batch.is_empty() => self.known = self.cursor,
                    Ok(batch) => self.buffer = batch.into_iter().rev().collect(),
                    Err(e) => return Some(Err(e)),
                }
                continue;
            }
            match self.live.recv().await {
                Ok(e) if e.seq <= self.cursor => {}
                Ok(e) if e.seq == self.cursor + 1 => self.buffer.push(e),
                // A gap: everything up to e.seq is committed; read it.
                Ok(e) => self.known = e.seq,
                Err(broadcast::error::RecvError::Lagged(_)) => {
                    match self.db.call(|tx| tx.latest_event_seq()).await {
                        Ok(latest) => self.known = latest,
                        Err(e) => return Some(Err(e)),
                    }
                }
                Err(broadcast::error::RecvError::Closed) => return None,
            }
        }
    }

    fn pop_buffered(&mut self) -> Option<Event> {
        while let Some(e) = self.buffer.pop() {
            if e.seq <= self.cursor {
                continue;
            }
            self.cursor = e.seq;
            self.known = self.known.max(e.seq);
            if self
                .kinds
                .as_ref()
                .is_none_or(|k| k.contains(&e.body.kind()))
            {
                return Some(e);
            }
        }
        None
    }
}
