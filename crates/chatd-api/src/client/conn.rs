//! One connection to chatd: a reader task that routes each line to the
//! caller waiting for that id or to the event subscribers, a writer task
//! that sends whole lines only (so a caller cancelled mid-call can never
//! leave half a request on the socket), and the state they share.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use serde_json::Value;
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::sync::{Notify, mpsc, oneshot};
use tokio::task::AbortHandle;

use super::error::{ClientError, Closed};
use super::events::{EVENT_BUFFER, EventStream};
use super::lines::{LineError, read_line};
use crate::jsonrpc::{Incoming, parse_incoming};
use crate::{Event, EventKind, MAX_LINE};

/// Requests queued for the writer task; small, because a caller waits for
/// its answer anyway.
const OUTGOING_QUEUE: usize = 64;

/// What a waiting caller receives.
type Reply = Result<Value, ClientError>;

/// One registered event stream.
struct Subscriber {
    kinds: Option<Vec<EventKind>>,
    tx: mpsc::Sender<Event>,
    lagged: Arc<AtomicBool>,
}

/// The state the reader, the writer and the callers share.
#[derive(Default)]
struct State {
    pending: HashMap<u64, oneshot::Sender<Reply>>,
    subscribers: Vec<Subscriber>,
    closed: Option<Closed>,
}

/// The shared state behind a lock held only for map operations, never
/// across an await.
#[derive(Default)]
pub(crate) struct Shared {
    state: Mutex<State>,
    /// Wakes the writer when the connection ends, so it drops its half and
    /// the socket really closes.
    closing: Notify,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding this lock leaves plain maps behind, still
        // consistent enough to drain: keep going rather than poison callers.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Registers a caller for `id`; fails once the connection has ended.
    fn register(&self, id: u64) -> Result<oneshot::Receiver<Reply>, ClientError> {
        let mut state = self.lock();
        if let Some(closed) = &state.closed {
            return Err(closed.to_error());
        }
        let (tx, rx) = oneshot::channel();
        state.pending.insert(id, tx);
        Ok(rx)
    }

    /// Forgets a caller that gave up (its future was dropped).
    fn forget(&self, id: u64) {
        self.lock().pending.remove(&id);
    }

    /// Why the connection ended, if it has.
    fn closed_error(&self) -> Option<ClientError> {
        self.lock().closed.as_ref().map(Closed::to_error)
    }

    fn resolve(&self, id: u64, reply: Reply) {
        if let Some(tx) = self.lock().pending.remove(&id) {
            // The caller may have given up meanwhile; nothing to do then.
            let _ = tx.send(reply);
        }
    }

    /// Hands an event to every subscriber that wants its kind. A subscriber
    /// whose buffer is full is dropped and marked lagged rather than
    /// blocking the reader, which would also hold up every response.
    fn publish(&self, event: Event) {
        let kind = event.body.kind();
        self.lock().subscribers.retain(|sub| {
            if sub.kinds.as_ref().is_some_and(|k| !k.contains(&kind)) {
                return !sub.tx.is_closed();
            }
            match sub.tx.try_send(event.clone()) {
                Ok(()) => true,
                Err(mpsc::error::TrySendError::Full(_)) => {
                    sub.lagged.store(true, Ordering::Release);
                    false
                }
                Err(mpsc::error::TrySendError::Closed(_)) => false,
            }
        });
    }

    /// Ends the connection: every waiting caller gets the cause, every
    /// event stream ends, the writer lets go of the socket. Only the first
    /// cause is kept.
    fn close(&self, why: Closed) {
        let mut state = self.lock();
        let why = state.closed.get_or_insert(why).clone();
        for (_, tx) in state.pending.drain() {
            let _ = tx.send(Err(why.to_error()));
        }
        state.subscribers.clear();
        drop(state);
        self.closing.notify_one();
    }
}

/// A live connection; the reader task is stopped when the last handle (a
/// client clone or an event stream) is dropped, and the writer task ends
/// with the request queue.
pub(crate) struct Connection {
    shared: Arc<Shared>,
    outgoing: mpsc::Sender<String>,
    next_id: AtomicU64,
    reader: AbortHandle,
}

impl Drop for Connection {
    fn drop(&mut self) {
        self.reader.abort();
    }
}

impl Connection {
    /// Starts the reader and writer tasks on the current Tokio runtime.
    pub(crate) fn start<S>(stream: S) -> Arc<Self>
    where
        S: AsyncRead + AsyncWrite + Send + 'static,
    {
        let (read_half, write_half) = tokio::io::split(stream);
        let shared = Arc::new(Shared::default());
        let (outgoing, queue) = mpsc::channel(OUTGOING_QUEUE);
        tokio::spawn(write_loop(write_half, queue, shared.clone()));
        let reader = tokio::spawn(read_loop(read_half, shared.clone())).abort_handle();
        Arc::new(Self {
            shared,
            outgoing,
            next_id: AtomicU64::new(1),
            reader,
        })
    }

    /// Sends a request line built by `line(id)` and waits for its answer.
    pub(crate) async fn request(&self, line: impl FnOnce(u64) -> String) -> Reply {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let line = line(id);
        if line.len() > MAX_LINE {
            return Err(ClientError::Api(crate::ApiError::new(
                crate::ErrorCode::InvalidInput,
                format!(
                    "the request is {} bytes, over the local API's limit of {MAX_LINE} bytes \
                     per line; send less at once",
                    line.len()
                ),
            )));
        }
        let answer = self.shared.register(id)?;
        let _forget = Forget {
            shared: &self.shared,
            id,
        };
        if self.outgoing.send(line).await.is_err() {
            return Err(self
                .shared
                .closed_error()
                .unwrap_or(ClientError::Disconnected));
        }
        answer.await.unwrap_or(Err(ClientError::Disconnected))
    }

    /// Registers an event stream for `kinds` (all when `None`) before the
    /// `subscribe` request goes out, so no event can slip past it.
    pub(crate) fn add_subscriber(
        self: &Arc<Self>,
        kinds: Option<Vec<EventKind>>,
    ) -> Result<EventStream, ClientError> {
        let (tx, rx) = mpsc::channel(EVENT_BUFFER);
        let lagged = Arc::new(AtomicBool::new(false));
        let mut state = self.shared.lock();
        if let Some(closed) = &state.closed {
            return Err(closed.to_error());
        }
        state.subscribers.push(Subscriber {
            kinds,
            tx,
            lagged: lagged.clone(),
        });
        drop(state);
        Ok(EventStream::new(rx, lagged, self.clone()))
    }
}

/// Removes a pending entry when its caller is cancelled (a no-op after
/// the answer came, since the reader removed it already).
struct Forget<'a> {
    shared: &'a Shared,
    id: u64,
}

impl Drop for Forget<'_> {
    fn drop(&mut self) {
        self.shared.forget(self.id);
    }
}

async fn write_loop<W: AsyncWrite + Unpin>(
    mut writer: W,
    mut queue: mpsc::Receiver<String>,
    shared: Arc<Shared>,
) {
    loop {
        let mut line = tokio::select! {
            next = queue.recv() => match next {
                Some(line) => line,
                // Every handle is gone.
                None => break,
            },
            () = shared.closing.notified() => break,
        };
        line.push('\n');
        let sent = async {
            writer.write_all(line.as_bytes()).await?;
            writer.flush().await
        };
        if let Err(e) = sent.await {
            shared.close(Closed::from_io(&e));
            return;
        }
    }
    // Tell chatd we are done; the socket closes when this half drops.
    let _ = writer.shutdown().await;
}

async fn read_loop<R: AsyncRead + Unpin>(reader: R, shared: Arc<Shared>) {
    let mut reader = BufReader::new(reader);
    let mut buf = Vec::new();
    let why = loop {
        match read_line(&mut reader, &mut buf, MAX_LINE).await {
            Ok(true) => {}
            Ok(false) => break Closed::Disconnected,
            Err(LineError::TooLong { max }) => {
                break Closed::Protocol(format!(
                    "chatd sent a line longer than {max} bytes; is something else listening on \
                     the socket?"
                ));
            }
            Err(LineError::Io(e)) => break Closed::from_io(&e),
        }
        let Ok(line) = std::str::from_utf8(&buf) else {
            break Closed::Protocol("chatd sent a line that is not UTF-8".into());
        };
        match parse_incoming(line) {
            Incoming::Response { id, outcome } => shared.resolve(id, outcome.map_err(Into::into)),
            Incoming::Event(event) => shared.publish(*event),
            // Objects we do not know (a future notification, an event type
            // this version lacks) are skipped; anything else is not JSON-RPC.
            Incoming::Other(Value::Object(_)) => {}
            Incoming::Other(_) => {
                break Closed::Protocol("chatd sent a line that is not a JSON object".into());
            }
        }
    };
    shared.close(why);
}
