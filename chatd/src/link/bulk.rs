//! A second connection to the server for bulk data (PROTOCOL.md §5.4): a
//! file transfer moves up to 100 MiB in pieces of half a MiB, and on the
//! main connection those frames would queue in front of chat messages,
//! receipts and pings. So a transfer opens its own session with `resume`
//! (the same token as the main link), pipelines its requests there, and
//! closes it when done; chat keeps flowing on the main link meanwhile.
//!
//! Decisions:
//! - **Pushes are dropped, never acked.** The server delivers mail to every
//!   live session of a user, this one included. The main link receives,
//!   decrypts and acks the same messages; acking here would make the
//!   server forget a message the main link has not stored yet (and this
//!   connection has no store to put it in). Unacked, the server simply
//!   delivers it to the main link, now or at its next login.
//! - **No `logout`, ever.** `logout` revokes the token, which is the main
//!   link's too; [`Bulk::close`] just closes the socket.
//! - **Answers in order, requests pipelined.** The server handles one
//!   connection's requests in order, so a window of requests in flight
//!   keeps the pipe full; answers are matched by id all the same.
//! - **`bad_offset` is an answer, not an error.** It comes back as
//!   `Ok(ServerMessage::BadOffset { offset, .. })`, as on the main link,
//!   because the offset in it is where the transfer continues and
//!   [`LinkError::Server`] has no room for it.
//! - **A dead connection fails everything in flight** with
//!   [`LinkError::Offline`]; a transfer then opens a new `Bulk` and asks
//!   the server where to continue. Nothing reconnects here: the transfer
//!   manager owns retries and backoff.

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chat_proto::codec::{MAX_FRAME_POST_AUTH, read_frame, write_frame};
use chat_proto::wire::{self, FileLimits, RequestId, TokenCredentials};
use chat_proto::{ErrorCode, Request, ServerMessage, now_ms};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;
use zeroize::Zeroizing;

use super::conn::{self, ConnectError, Reader, Writer};
use super::{LinkError, into_result};

/// Interval between pings when nothing else is said (§1.2: every 30 s).
const PING_EVERY: Duration = Duration::from_secs(30);
/// Silence after which the connection is presumed dead (as the main link).
const DEAD_AFTER_MS: i64 = 75_000;
/// How long `resume` may take once connected.
const RESUME_TIMEOUT: Duration = Duration::from_secs(30);
/// Frames waiting for the writer; each is at most one piece (~700 KiB of
/// b64), so this bounds the memory a fast producer can queue.
const QUEUE: usize = 4;
/// Frames larger than this are decoded on the blocking pool.
const BIG_FRAME: usize = 64 * 1024;

/// Where to connect and as whom: what the main link knows.
pub struct BulkSetup {
    /// HOST:PORT.
    pub server: String,
    /// Bare TCP (loopback only).
    pub plaintext: bool,
    /// The server fingerprint to insist on; the main link's pin, so a bulk
    /// connection never trusts a key the main link did not.
    pub pin: Option<String>,
    /// The logged-in account.
    pub username: String,
    /// The session token of the main link.
    pub token: Zeroizing<String>,
}

type Reply = oneshot::Sender<Result<ServerMessage, LinkError>>;
type Pending = Arc<Mutex<HashMap<u64, Reply>>>;

/// A request on its way to the writer; the reply is registered by the
/// writer just before the frame goes out, so a writer that has stopped
/// drops the reply instead of leaving it pending forever.
struct Outgoing {
    id: u64,
    frame: Vec<u8>,
    reply: Reply,
}

/// One logged-in bulk connection. Requests may be made concurrently from
/// any number of tasks (`&self`).
pub struct Bulk {
    tx: mpsc::Sender<Outgoing>,
    next_id: AtomicU64,
    limits: Option<FileLimits>,
    task: JoinHandle<()>,
}

/// An answer still to come: what [`Bulk::submit`] gives, to be awaited
/// with [`Answer::wait`] once the window is full.
pub struct Answer(oneshot::Receiver<Result<ServerMessage, LinkError>>);

impl Answer {
    /// The server's answer; `Err(LinkError::Offline)` when the connection
    /// died first.
    pub async fn wait(self) -> Result<ServerMessage, LinkError> {
        self.0.await.unwrap_or(Err(LinkError::Offline))
    }
}

impl Bulk {
    /// Connects (TLS and pin as the main link), reads hello and resumes the
    /// session with the token. A refused token is
    /// [`LinkError::NotLoggedIn`]; network trouble is
    /// [`LinkError::Unreachable`]; a server key other than the pin is
    /// [`LinkError::Protocol`].
    pub async fn open(setup: &BulkSetup) -> Result<Bulk, LinkError> {
        let (mut reader, mut writer, hello) =
            conn::connect(&setup.server, setup.plaintext, setup.pin.as_deref())
                .await
                .map_err(|e| match e {
                    ConnectError::Unreachable { .. } => LinkError::Unreachable(e.to_string()),
                    // A wrong key or another protocol will not pass by
                    // trying again.
                    ConnectError::PinMismatch { .. } | ConnectError::Protocol { .. } => {
                        LinkError::Protocol(e.to_string())
                    }
                })?;
        let credentials = hello.seal(&TokenCredentials {
            username: setup.username.clone(),
            token: setup.token.to_string(),
        })?;
        // Transfers only: the chat connection takes the deliveries.
        let resume = Request::Resume {
            credentials,
            deliver: Some(false),
        };
        let login = async {
            write_frame(
                &mut writer,
                &wire::encode(Some(&RequestId::from(0u64)), &resume),
            )
            .await
            .map_err(|e| LinkError::Unreachable(e.to_string()))?;
            // Before login the server sends nothing but the answer (and
            // perhaps an error about to close); pushes come after.
            loop {
                let frame = read_frame(&mut reader, MAX_FRAME_POST_AUTH)
                    .await
                    .map_err(|e| LinkError::Unreachable(e.to_string()))?
                    .ok_or_else(|| LinkError::Unreachable("closed during resume".into()))?;
                match wire::decode_server(&frame) {
                    Ok((Some(_), msg)) => return into_result(msg),
                    Ok((None, ServerMessage::Error { message, .. })) => {
                        return Err(LinkError::Unreachable(message));
                    }
                    _ => continue,
                }
            }
        };
        let answer = tokio::time::timeout(RESUME_TIMEOUT, login)
            .await
            .unwrap_or_else(|_| Err(LinkError::Unreachable("resume timed out".into())));
        match answer {
            Ok(ServerMessage::LoginOk { .. }) => {}
            Err(LinkError::Server {
                code: ErrorCode::BadCredentials,
                ..
            }) => return Err(LinkError::NotLoggedIn),
            Err(e) => return Err(e),
            Ok(other) => {
                return Err(LinkError::Protocol(format!(
                    "unexpected answer to resume: {other:?}"
                )));
            }
        }
        let (tx, rx) = mpsc::channel(QUEUE);
        let task = tokio::spawn(drive(reader, writer, rx));
        Ok(Bulk {
            tx,
            next_id: AtomicU64::new(1),
            limits: hello.files,
            task,
        })
    }

    /// The blob store's limits from hello; `None` when the server has no
    /// blob store.
    pub fn limits(&self) -> Option<&FileLimits> {
        self.limits.as_ref()
    }

    /// Sends a request and awaits its answer. Server errors are
    /// [`LinkError::Server`]; `bad_offset` is `Ok(ServerMessage::BadOffset)`
    /// (module doc).
    pub async fn request(&self, request: Request) -> Result<ServerMessage, LinkError> {
        self.submit(request).await?.wait().await
    }

    /// Sends a request without waiting for its answer, to keep several in
    /// flight; waits only while the writer's queue is full.
    pub async fn submit(&self, request: Request) -> Result<Answer, LinkError> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let rid = RequestId::from(id);
        // A piece's frame is ~700 KiB of JSON: encode it off the async
        // workers.
        let frame = match &request {
            Request::BlobPut { data, .. } if data.len() > BIG_FRAME => {
                tokio::task::spawn_blocking(move || wire::encode(Some(&rid), &request))
                    .await
                    .map_err(|_| LinkError::Offline)?
            }
            _ => wire::encode(Some(&rid), &request),
        };
        let (reply, rx) = oneshot::channel();
        self.tx
            .send(Outgoing { id, frame, reply })
            .await
            .map_err(|_| LinkError::Offline)?;
        Ok(Answer(rx))
    }

    /// Whether the connection is still up (as far as anyone knows).
    pub fn is_open(&self) -> bool {
        !self.tx.is_closed()
    }

    /// Closes the connection (without `logout`: the token is shared).
    /// Requests still in flight fail with [`LinkError::Offline`].
    pub async fn close(mut self) {
        self.task.abort();
        let _ = (&mut self.task).await;
    }
}

impl Drop for Bulk {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Writes what callers submit, pings when idle, and ends (failing what is
/// in flight) when the reader sees the connection end or go silent.
async fn drive(reader: Reader, mut writer: Writer, mut rx: mpsc::Receiver<Outgoing>) {
    let pending: Pending = Arc::default();
    let last_seen = Arc::new(AtomicI64::new(now_ms()));
    // Stops the reader and fails everything in flight however this task
    // ends, aborted by `close` included.
    let mut ends = Ends {
        reader: tokio::spawn(read_loop(reader, pending.clone(), last_seen.clone())),
        pending: pending.clone(),
    };
    let mut ping = tokio::time::interval(PING_EVERY);
    ping.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    ping.tick().await;
    loop {
        tokio::select! {
            _ = &mut ends.reader => break,
            _ = ping.tick() => {
                if now_ms() - last_seen.load(Ordering::Relaxed) > DEAD_AFTER_MS {
                    tracing::warn!("the bulk connection has been silent too long; closing it");
                    break;
                }
                // A text id: the reader drops the pong like any answer
                // nobody waits for.
                let id = RequestId::Text("ping".into());
                if write_frame(&mut writer, &wire::encode(Some(&id), &Request::Ping {})).await.is_err() {
                    break;
                }
            }
            out = rx.recv() => {
                let Some(out) = out else { break };
                if let Ok(mut p) = pending.lock() {
                    p.insert(out.id, out.reply);
                }
                if write_frame(&mut writer, &out.frame).await.is_err() {
                    break;
                }
                ping.reset();
            }
        }
    }
}

/// What must happen when the connection's task ends, however it ends.
struct Ends {
    reader: JoinHandle<()>,
    pending: Pending,
}

impl Drop for Ends {
    fn drop(&mut self) {
        self.reader.abort();
        if let Ok(mut pending) = self.pending.lock() {
            for (_, reply) in pending.drain() {
                let _ = reply.send(Err(LinkError::Offline));
            }
        }
    }
}

/// Routes answers to their callers; drops pushes (module doc).
async fn read_loop(mut reader: Reader, pending: Pending, last_seen: Arc<AtomicI64>) {
    loop {
        let frame = match read_frame(&mut reader, MAX_FRAME_POST_AUTH).await {
            Ok(Some(frame)) => frame,
            Ok(None) => return,
            Err(e) => {
                tracing::debug!(error = %e, "read from the bulk connection failed");
                return;
            }
        };
        last_seen.store(now_ms(), Ordering::Relaxed);
        // A piece's frame is ~700 KiB of JSON: parse it off the async
        // workers, small answers in place.
        let decoded = if frame.len() > BIG_FRAME {
            match tokio::task::spawn_blocking(move || wire::decode_server(&frame)).await {
                Ok(decoded) => decoded,
                Err(_) => return,
            }
        } else {
            wire::decode_server(&frame)
        };
        let (id, msg) = match decoded {
            Ok(decoded) => decoded,
            Err(e) => {
                tracing::debug!(reason = %e.message, "undecodable frame on the bulk connection");
                continue;
            }
        };
        let Some(RequestId::Number(n)) = id else {
            // A push (mail is the main link's) or a text id (not ours).
            continue;
        };
        let reply = n
            .as_u64()
            .and_then(|n| pending.lock().ok().and_then(|mut p| p.remove(&n)));
        if let Some(reply) = reply {
            let _ = reply.send(into_result(msg));
        }
    }
}
