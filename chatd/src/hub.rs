//! Events for frontends: every event is appended to the durable log in the
//! store first (so `subscribe` with `since` can replay it after a crash of
//! either side), then broadcast to live subscribers. A subscriber keeps a
//! cursor and fills any gap from the log, so a slow frontend or events
//! committed by concurrent tasks in a different order than they were
//! broadcast never cost it an event or show it one twice.
//!
//! Transient events (`typing`) are the exception: never stored, they are
//! broadcast only, with the latest stored seq (shared with that event, not
//! a new one), passed on at once by every live subscriber that wants them,
//! and never replayed. Which subscriber wants what is one rule,
//! [`EventBody::wanted_by`]: its kind named, and `group` named too for the
//! events of group messages.

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

    /// Broadcasts an event that is never stored (`typing`): its seq is
    /// the latest stored one, not incremented, and `subscribe` with
    /// `since` never replays it. Nobody listening: it is gone.
    pub async fn announce_transient(&self, body: EventBody) -> Result<Event, StoreError> {
        let seq = self.db.call(|tx| tx.latest_event_seq()).await?;
        let event = Event { seq, body };
        let _ = self.live.send(event.clone());
        Ok(event)
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
                // Not in the log: passed on now or never, cursor untouched.
                Ok(e) if e.body.is_transient() => {
                    if self.wants(&e) {
                        return Some(Ok(e));
                    }
                }
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
            if self.wants(&e) {
                return Some(e);
            }
        }
        None
    }

    fn wants(&self, e: &Event) -> bool {
        self.kinds.as_ref().is_none_or(|k| e.body.wanted_by(k))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use chatd_api::{Direction, GroupRef, Message, MessageStatus};

    use super::*;

    async fn hub() -> (Hub, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("chatd.db");
        let db = tokio::task::spawn_blocking(move || Db::open(&path))
            .await
            .unwrap()
            .unwrap();
        (Hub::new(db), dir)
    }

    fn message(id: &str, group: bool) -> EventBody {
        EventBody::Message {
            message: Message {
                id: id.into(),
                from: "bob".into(),
                to: if group { "g".into() } else { "alice".into() },
                text: "hi".into(),
                ts: 1,
                direction: Direction::In,
                status: MessageStatus::Delivered,
                group: group.then(|| GroupRef {
                    id: "g".into(),
                    name: "team".into(),
                }),
                receipts: None,
                file: None,
            },
            focused: false,
        }
    }

    fn group_receipt(id: &str) -> EventBody {
        EventBody::Receipt {
            id: id.into(),
            status: MessageStatus::Read,
            user: Some("bob".into()),
            receipts: None,
        }
    }

    fn typing() -> EventBody {
        EventBody::Typing {
            user: "bob".into(),
            group: None,
        }
    }

    async fn next(sub: &mut Subscription) -> Event {
        sub.next().await.unwrap().unwrap()
    }

    #[tokio::test]
    async fn group_messages_and_their_receipts_go_only_to_subscribers_naming_group() {
        let (hub, _dir) = hub().await;
        let (_, mut v1) = hub
            .subscribe(None, Some(EventKind::V1.to_vec()))
            .await
            .unwrap();
        let (_, mut all) = hub
            .subscribe(None, Some(EventKind::ALL.to_vec()))
            .await
            .unwrap();
        hub.publish(message("in-group", true)).await.unwrap();
        hub.publish(group_receipt("in-group")).await.unwrap();
        hub.publish(message("one-to-one", false)).await.unwrap();

        let e = next(&mut v1).await;
        assert_eq!((e.seq, e.body), (3, message("one-to-one", false)));
        assert_eq!(next(&mut all).await.body, message("in-group", true));
        assert_eq!(next(&mut all).await.body, group_receipt("in-group"));
        assert_eq!(next(&mut all).await.seq, 3);

        // The same rule when replayed with `since`.
        let (_, mut v1) = hub
            .subscribe(Some(0), Some(EventKind::V1.to_vec()))
            .await
            .unwrap();
        assert_eq!(next(&mut v1).await.seq, 3);
        let (_, mut with_group) = hub
            .subscribe(Some(0), Some(vec![EventKind::Message, EventKind::Group]))
            .await
            .unwrap();
        assert_eq!(next(&mut with_group).await.seq, 1);
        assert_eq!(next(&mut with_group).await.seq, 3, "no receipt: not named");
    }

    #[tokio::test]
    async fn a_transient_event_is_never_stored_nor_replayed_and_takes_the_latest_seq() {
        let (hub, _dir) = hub().await;
        hub.publish(message("first", false)).await.unwrap();
        let (_, mut v1) = hub
            .subscribe(None, Some(EventKind::V1.to_vec()))
            .await
            .unwrap();
        let (_, mut all) = hub
            .subscribe(None, Some(EventKind::ALL.to_vec()))
            .await
            .unwrap();

        let t = hub.announce_transient(typing()).await.unwrap();
        assert_eq!(t.seq, 1, "the latest stored seq, not a new one");
        hub.publish(message("second", false)).await.unwrap();

        assert_eq!(next(&mut all).await, t);
        let e = next(&mut all).await;
        assert_eq!((e.seq, e.body), (2, message("second", false)));
        assert_eq!(next(&mut v1).await.seq, 2, "typing was not named");

        let (latest, mut replay) = hub
            .subscribe(Some(0), Some(EventKind::ALL.to_vec()))
            .await
            .unwrap();
        assert_eq!(latest, 2);
        assert_eq!(next(&mut replay).await.seq, 1);
        assert_eq!(next(&mut replay).await.seq, 2);
        let stored = hub.db.call(|tx| tx.events_since(0, 100)).await.unwrap();
        assert!(stored.iter().all(|e| !e.body.is_transient()), "{stored:?}");
    }
}
