//! One attach session for every frontend, so that none of them restates
//! the loop around chatd's socket: connect, `subscribe` from the last event
//! handled (`since`), `status`, hand out what happens as a stream of
//! [`Update`]s, and when chatd goes away say so and attach again with
//! exponential backoff and full jitter ([`Backoff`]).
//!
//! Every event is handed out once: across a detach and reattach (the
//! session remembers the last seq it handed out and drops any repeat of the
//! `since` replay) and across a restart of the frontend (the seq of the last
//! event the frontend finished with is kept in a [`SeqStore`] file).
//! "Finished" means the frontend came back for the next update; a frontend
//! killed while handling an event sees it again after its restart, never
//! loses it.
//!
//! ```no_run
//! # async fn demo() -> Result<(), chatd_api::attach::SeqStoreError> {
//! use chatd_api::attach::{Attach, SeqStore, Update};
//! let mut session = Attach::new(chatd_api::paths::default_socket())
//!     .seq_store(SeqStore::new("/home/me/.local/state/securechat/my-tool.seq"))
//!     .start()?;
//! while let Some(update) = session.next().await {
//!     match update {
//!         Update::Attached(a) => println!("attached, chatd is {:?}", a.status.state),
//!         Update::Event(e) => println!("{e:?}"),
//!         Update::Detached(why) => println!("{why}"),
//!     }
//! }
//! # Ok(()) }
//! ```

pub mod backoff;
pub mod seq_store;
mod task;

use std::path::PathBuf;
use std::sync::Arc;

use tokio::sync::{Notify, mpsc};
use tokio::task::AbortHandle;

use crate::client::{Client, ClientError};
use crate::{Event, EventKind, Status};

pub use backoff::Backoff;
pub use seq_store::{SeqStore, SeqStoreError};

/// Updates queued between the session's task and the frontend. The task
/// waits when the frontend falls behind (chatd keeps the events in its
/// durable log meanwhile, and the session catches up with `since`).
const UPDATE_QUEUE: usize = 256;
/// Events handed out before the seq is saved even though more are queued,
/// so a long `since` replay costs one write per this many, not per event.
const SAVE_EVERY: u64 = 256;

/// What an attach session reports.
#[derive(Debug)]
pub enum Update {
    /// Connected and subscribed: chatd's status, and the connection to
    /// make calls on until the next [`Update::Detached`].
    Attached(Attached),
    /// An event, in chatd's order, each seq once.
    Event(Event),
    /// chatd went away ([`ClientError::Disconnected`]) or cannot be reached
    /// (the error says what to do next). Sent when an attachment ends and
    /// again whenever the reason changes, not for every failed attempt.
    Detached(ClientError),
}

/// A successful attach.
#[derive(Debug, Clone)]
pub struct Attached {
    /// chatd's status, read after subscribing (so no event between the
    /// two is missed).
    pub status: Status,
    /// The connection, for calls; it fails once the session detaches.
    pub client: Client,
    /// The session resumes after this seq: the last event handed out, or
    /// chatd's latest on a first attach (what happened before is not news)
    /// and when chatd's event log started anew (a new data directory).
    pub seq: u64,
}

/// How to attach: the socket, which events, where to keep the seq, how to
/// back off. [`Attach::start`] runs it.
#[derive(Debug, Clone)]
pub struct Attach {
    socket: Option<PathBuf>,
    events: Option<Vec<EventKind>>,
    seq_store: Option<SeqStore>,
    since: Option<u64>,
    backoff: Backoff,
}

impl Attach {
    /// A session for chatd's socket at `socket`; with `None` (no socket
    /// path known) every attempt is [`ClientError::NoSocketPath`].
    pub fn new(socket: Option<PathBuf>) -> Self {
        Self {
            socket,
            events: Some(EventKind::ALL.to_vec()),
            seq_store: None,
            since: None,
            backoff: Backoff::default(),
        }
    }

    /// Subscribes to these kinds only (by default every kind, the
    /// extensions included: [`EventKind::ALL`]).
    pub fn events(mut self, kinds: Vec<EventKind>) -> Self {
        self.events = Some(kinds);
        self
    }

    /// Resumes from and saves to `store` (without one, a restart of the
    /// frontend starts from chatd's latest event).
    pub fn seq_store(mut self, store: SeqStore) -> Self {
        self.seq_store = Some(store);
        self
    }

    /// Starts after the event `seq` rather than at chatd's latest or the
    /// seq store's: the first attach replays every stored event after it
    /// (`chat watch --since`). A seq beyond chatd's latest starts at the
    /// latest, as for a seq store.
    pub fn since(mut self, seq: u64) -> Self {
        self.since = Some(seq);
        self
    }

    /// Waits between attempts as `backoff` says (default: from 200 ms,
    /// doubling to 5 s, full jitter).
    pub fn backoff(mut self, backoff: Backoff) -> Self {
        self.backoff = backoff;
        self
    }

    /// Reads the seq store and starts attaching on the current Tokio
    /// runtime. Fails only when the seq store cannot be read.
    ///
    /// # Panics
    ///
    /// Outside a Tokio runtime (like [`Client::connect`]).
    pub fn start(self) -> Result<Session, SeqStoreError> {
        let saved = match &self.seq_store {
            Some(store) => store.load()?,
            None => None,
        };
        let start = self.since.or(saved);
        let (tx, rx) = mpsc::channel(UPDATE_QUEUE);
        let retry = Arc::new(Notify::new());
        let plan = task::Plan {
            socket: self.socket,
            events: self.events,
            backoff: self.backoff,
        };
        let task = tokio::spawn(task::run(plan, start, tx, retry.clone())).abort_handle();
        Ok(Session {
            rx,
            retry,
            store: self.seq_store,
            taken: start,
            saved,
            unsaved: 0,
            save_error: None,
            task,
        })
    }
}

/// A running attach session; dropping it stops attaching (and saves the
/// seq, see [`Session::close`] to do that without blocking).
pub struct Session {
    rx: mpsc::Receiver<Update>,
    retry: Arc<Notify>,
    store: Option<SeqStore>,
    /// The seq of the last event (or attach point) handed out.
    taken: Option<u64>,
    /// What the seq store holds.
    saved: Option<u64>,
    /// Events handed out since the last save.
    unsaved: u64,
    save_error: Option<SeqStoreError>,
    task: AbortHandle,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("store", &self.store)
            .field("taken", &self.taken)
            .field("saved", &self.saved)
            .finish_non_exhaustive()
    }
}

impl Session {
    /// The next update. Calling it again means the previous one was
    /// handled: its seq is saved once nothing else is queued (or every
    /// [`SAVE_EVERY`] events). Cancel-safe: dropping the future loses
    /// nothing. `None` only once the session's task is gone (its runtime
    /// is shutting down).
    pub async fn next(&mut self) -> Option<Update> {
        if self.rx.is_empty() || self.unsaved >= SAVE_EVERY {
            self.save().await;
        }
        let update = self.rx.recv().await?;
        self.took(&update);
        Some(update)
    }

    /// The next update if one is queued, without waiting (for UI loops);
    /// saving is left to [`next`](Self::next), [`close`](Self::close) or
    /// the drop.
    pub fn try_next(&mut self) -> Option<Update> {
        let update = self.rx.try_recv().ok()?;
        self.took(&update);
        Some(update)
    }

    /// Attempts to attach now rather than at the end of the current wait
    /// ("Retry now"); no effect while attached.
    pub fn retry_now(&self) {
        self.retry.notify_one();
    }

    /// The seq of the last event handed out (or where the session resumed).
    pub fn last_seq(&self) -> Option<u64> {
        self.taken
    }

    /// Why the last save of the seq failed; `None` after a save succeeded.
    /// The session goes on either way (after a restart, some events may
    /// then be handed out again).
    pub fn save_error(&self) -> Option<&SeqStoreError> {
        self.save_error.as_ref()
    }

    /// Stops attaching and saves the seq of the last update handed out.
    pub async fn close(mut self) -> Result<(), SeqStoreError> {
        self.task.abort();
        self.save().await;
        match self.save_error.take() {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    fn took(&mut self, update: &Update) {
        match update {
            // A transient event's seq is not a place to resume from.
            Update::Event(e) if e.body.is_transient() => {}
            Update::Event(e) => {
                self.taken = Some(e.seq);
                self.unsaved += 1;
            }
            Update::Attached(a) => self.taken = Some(a.seq),
            Update::Detached(_) => {}
        }
    }

    /// Saves `taken` if it moved, off the async worker threads.
    async fn save(&mut self) {
        let (Some(store), Some(seq)) = (self.store.clone(), self.taken) else {
            return;
        };
        if self.saved == Some(seq) {
            return;
        }
        let outcome = tokio::task::spawn_blocking(move || store.save(seq)).await;
        self.record(seq, outcome.unwrap_or(Ok(())));
    }

    fn record(&mut self, seq: u64, outcome: Result<(), SeqStoreError>) {
        match outcome {
            Ok(()) => {
                self.saved = Some(seq);
                self.unsaved = 0;
                self.save_error = None;
            }
            Err(e) => self.save_error = Some(e),
        }
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        self.task.abort();
        // A last save on the way out; a few bytes, so doing it here (even
        // on an async thread) beats replaying events after a restart.
        if let (Some(store), Some(seq)) = (&self.store, self.taken)
            && self.saved != Some(seq)
            && store.save(seq).is_ok()
        {
            self.saved = Some(seq);
        }
    }
}
