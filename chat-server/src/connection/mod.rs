//! One client connection from hello to close: it owns the framing, the
//! timeouts and the bad-frame count, and hands each decoded request to the
//! handlers. Writing happens in a separate task fed by a bounded queue, so
//! pushes from other connections never wait on this client's socket.

pub mod lazy_read;
pub mod login_clock;
pub mod outbound;
pub mod pipeline;
pub mod queue;
pub mod rate;
pub mod session;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use crate::delivery::MailSlot;
use chat_proto::codec::{FrameError, read_frame};
use chat_proto::crypto;
use chat_proto::encoding::b64_encode;
use chat_proto::wire::RequestId;
use chat_proto::wire::{self, ErrorCode, PROTOCOL_VERSION};
use chat_proto::{Request, ServerMessage};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::context::Shared;
use crate::handlers;
use crate::router::{ConnHandle, ConnId};
use crate::store::Store;
use lazy_read::LazyBufReader;
use login_clock::LoginClock;
use outbound::{Outbound, write_loop};
use pipeline::Pipeline;
use session::Session;

/// The `server` string of hello.
pub const SERVER_NAME: &str = concat!("chat-server/", env!("CARGO_PKG_VERSION"));

/// Serves one connection until the client leaves, misbehaves, times out or
/// `close` is cancelled (server shutdown, slow consumer, password change).
/// `login_deadline` is fixed at accept (PROTOCOL.md §1.2: 30 s from
/// accept, the TLS handshake included), and moves back only by the time
/// the client waits as told ([`LoginClock`]).
pub async fn serve<S, IO>(
    sh: Arc<Shared<S>>,
    io: IO,
    peer: SocketAddr,
    id: ConnId,
    close: CancellationToken,
    login_deadline: Instant,
) where
    S: Store,
    IO: AsyncRead + AsyncWrite + Send + 'static,
{
    let (reader, writer) = tokio::io::split(io);
    let stall = sh.config.write_timeout;
    let (out, rx) = Outbound::new(sh.config.outbound_queue, close.clone(), stall);
    let writer = tokio::spawn(write_loop(writer, rx, close.clone(), stall));
    let Ok(nonce) = crypto::random_bytes::<32>().map(b64_encode) else {
        tracing::error!("system RNG failed; refusing connection");
        close.cancel();
        return;
    };
    // Scoped and boxed, like every large future this task awaits only
    // once: a local whose scope spans an await keeps its room in the task
    // for as long as the connection lives, even after it is moved or dropped.
    let greeted = {
        let hello = ServerMessage::Hello {
            protocol: PROTOCOL_VERSION,
            server: SERVER_NAME.into(),
            server_key: sh.key.public_pem().to_string(),
            nonce: nonce.clone(),
            files: Some(sh.config.files.limits()),
        };
        Box::pin(out.send(None, &hello)).await
    };
    let handle = ConnHandle {
        id,
        out: out.clone(),
        mail: Arc::new(MailSlot::new()),
    };
    let mut session = Session::new(handle, peer, nonce, sh.config.ephemeral_per_second);
    let mut pipeline = None;
    if greeted.is_ok() {
        read_loop(
            &sh,
            &mut session,
            LazyBufReader::with_capacity(4096, reader),
            &out,
            &mut pipeline,
            login_deadline,
        )
        .await;
    }
    // Sends already queued are stored either way; their answers go out
    // unless the connection is closing under them.
    if let Some(pipeline) = pipeline {
        pipeline.finish().await;
    }
    session.close(&sh);
    close.cancel();
    drop(session);
    drop(out);
    if let Ok(Err(e)) = writer.await {
        tracing::debug!(peer = %peer, error = %e, "write side ended with an error");
    }
    tracing::debug!(peer = %peer, "connection closed");
}

/// Why the read loop stopped waiting for a frame.
enum Wait {
    Frame(Result<Option<Vec<u8>>, FrameError>),
    LoginTimeout,
    IdleTimeout,
    Closed,
}

async fn next_frame<R: AsyncRead + Unpin>(
    reader: &mut R,
    max: u32,
    idle_deadline: Instant,
    login_deadline: Option<Instant>,
    close: &CancellationToken,
) -> Wait {
    let (deadline, on_timeout) = match login_deadline {
        Some(login) if login < idle_deadline => (login, Wait::LoginTimeout),
        _ => (idle_deadline, Wait::IdleTimeout),
    };
    // Cancelling `read_frame` mid-frame is fine here: every other branch
    // ends the connection.
    tokio::select! {
        biased;
        () = close.cancelled() => Wait::Closed,
        () = tokio::time::sleep_until(deadline) => on_timeout,
        r = read_frame(reader, max) => Wait::Frame(r),
    }
}

/// Writes an answer behind the pending ones, if any are pending.
async fn answer(
    out: &Outbound,
    pipeline: Option<&Pipeline>,
    id: Option<RequestId>,
    msg: ServerMessage,
) -> Result<(), ()> {
    match pipeline {
        Some(p) => p.ready(id, msg).await.map_err(drop),
        None => out.send(id.as_ref(), &msg).await.map_err(drop),
    }
}

/// Queues an `ack` without waiting for its commit; a refusal is answered
/// in its turn.
async fn pipelined_ack<S: Store>(
    sh: &Arc<Shared<S>>,
    s: &Session,
    out: &Outbound,
    pipeline: &mut Option<Pipeline>,
    id: Option<RequestId>,
    msg_ids: Vec<String>,
) -> Result<(), ()> {
    let queued = handlers::queue_ack(sh, s, msg_ids).await;
    let p = pipeline.get_or_insert_with(|| Pipeline::start(sh, out));
    match queued {
        Ok(commit) => p.ack(id, commit).await.map_err(drop),
        Err(refusal) => {
            tracing::debug!(peer = %s.peer, request = "ack", code = %refusal.code, "refused");
            p.ready(id, refusal.into_message()).await.map_err(drop)
        }
    }
}

/// Queues a `send` and its answer without waiting for the commit
/// (see [`pipeline`]); refusals are answered in their turn too.
async fn pipelined_send<S: Store>(
    sh: &Arc<Shared<S>>,
    s: &Session,
    out: &Outbound,
    pipeline: &mut Option<Pipeline>,
    id: Option<RequestId>,
    (to, envelope): (String, serde_json::Map<String, serde_json::Value>),
) -> Result<(), ()> {
    let queued = match Pipeline::admit(sh) {
        Ok(permit) => handlers::queue_send(sh, s, to, envelope)
            .await
            .map(|q| (q, permit)),
        Err(busy) => Err(busy),
    };
    let p = pipeline.get_or_insert_with(|| Pipeline::start(sh, out));
    match queued {
        Ok((queued, permit)) => p.send(sh, id, queued, permit).await.map_err(drop),
        Err(refusal) => {
            tracing::debug!(peer = %s.peer, request = "send", code = %refusal.code, "refused");
            p.ready(id, refusal.into_message()).await.map_err(drop)
        }
    }
}

async fn read_loop<S: Store, R: AsyncRead + Unpin>(
    sh: &Arc<Shared<S>>,
    s: &mut Session,
    mut reader: R,
    out: &Outbound,
    pipeline: &mut Option<Pipeline>,
    login_deadline: Instant,
) {
    let cfg = &sh.config;
    let mut idle_deadline = Instant::now() + cfg.idle_timeout;
    let mut login_clock = LoginClock::new(login_deadline);
    let mut bad_in_a_row = 0u32;
    loop {
        // The login deadline is for connections that never logged in; one
        // that logged out again stays (PROTOCOL.md D2), bound by the idle
        // timeout like any other.
        let (max, login) = match (&s.auth, s.logged_in_once) {
            (Some(_), _) => (cfg.max_frame, None),
            (None, true) => (cfg.max_frame_pre_auth, None),
            (None, false) => (cfg.max_frame_pre_auth, Some(login_clock.deadline())),
        };
        let payload = match next_frame(&mut reader, max, idle_deadline, login, out.closed()).await {
            Wait::Frame(Ok(Some(payload))) => payload,
            Wait::Frame(Ok(None)) | Wait::Closed => return,
            Wait::Frame(Err(FrameError::BadLength { len, max })) => {
                let msg = format!("frame length {len} is outside 1..={max}; closing");
                let bye = ServerMessage::error(ErrorCode::FrameTooLarge, msg);
                let _ = Box::pin(out.send(None, &bye)).await;
                return;
            }
            Wait::Frame(Err(e)) => {
                tracing::debug!(peer = %s.peer, error = %e, "read failed");
                return;
            }
            Wait::LoginTimeout => {
                let msg = format!(
                    "not logged in within {} s; closing",
                    cfg.login_timeout.as_secs()
                );
                let bye = ServerMessage::error(ErrorCode::NotAuthenticated, msg);
                let _ = Box::pin(out.send(None, &bye)).await;
                return;
            }
            Wait::IdleTimeout => {
                tracing::debug!(peer = %s.peer, "idle timeout");
                return;
            }
        };
        let now = Instant::now();
        idle_deadline = now + cfg.idle_timeout;
        login_clock.frame_arrived(now);
        // Boxed: handling a request (a login, a send) is a large future,
        // and inline it would take room in every connection's task for the
        // whole of its life, idle or not.
        let frame = Frame {
            login_clock: &mut login_clock,
            bad_in_a_row: &mut bad_in_a_row,
        };
        if Box::pin(on_frame(sh, s, out, pipeline, frame, payload))
            .await
            .is_err()
        {
            return;
        }
    }
}

/// What the read loop keeps across frames that handling one updates.
struct Frame<'a> {
    login_clock: &'a mut LoginClock,
    bad_in_a_row: &'a mut u32,
}

/// Decodes and handles one frame; `Err` ends the connection.
async fn on_frame<S: Store>(
    sh: &Arc<Shared<S>>,
    s: &mut Session,
    out: &Outbound,
    pipeline: &mut Option<Pipeline>,
    state: Frame<'_>,
    payload: Vec<u8>,
) -> Result<(), ()> {
    let cfg = &sh.config;
    let Frame {
        login_clock,
        bad_in_a_row,
    } = state;
    let (id, request) = match wire::decode_request(&payload) {
        Ok(decoded) => decoded,
        Err(e) => {
            *bad_in_a_row = if e.code == ErrorCode::BadFrame {
                *bad_in_a_row + 1
            } else {
                0
            };
            let closing = *bad_in_a_row >= cfg.max_bad_frames;
            let message = if closing {
                format!("{}; too many bad frames, closing", e.message)
            } else {
                e.message
            };
            let answered = answer(
                out,
                pipeline.as_ref(),
                e.id,
                ServerMessage::error(e.code, message),
            )
            .await;
            return if closing { Err(()) } else { answered };
        }
    };
    // The request owns what it needs; a blob piece is not kept twice.
    drop(payload);
    *bad_in_a_row = 0;
    let request = match request {
        // Logged in: pipelined. Not logged in: refused below as before.
        Request::Send { to, envelope } if s.auth.is_some() => {
            return pipelined_send(sh, s, out, pipeline, id, (to, envelope)).await;
        }
        // An ack is answered only when refused; it need not wait for
        // the sends before it, nor the reads after it for its commit.
        Request::Ack { msg_ids } if s.auth.is_some() => {
            return pipelined_ack(sh, s, out, pipeline, id, msg_ids).await;
        }
        // Anything else sees every earlier send durable and answered,
        // as it would without pipelining.
        request => {
            if let Some(p) = pipeline.as_ref() {
                p.flush().await.map_err(drop)?;
            }
            request
        }
    };
    let kind = request.kind();
    let reply = match handlers::dispatch(sh, s, request).await {
        Ok(reply) => reply,
        Err(refusal) => {
            tracing::debug!(peer = %s.peer, request = kind, code = %refusal.code, "refused");
            Some(refusal.into_message())
        }
    };
    if let Some(ServerMessage::Error {
        retry_after_ms: Some(wait),
        ..
    }) = &reply
        && !s.logged_in_once
    {
        // `server_busy` in a storm (or `rate_limited`): the time the
        // client waits as told does not count toward its login deadline.
        login_clock.told_to_wait(Instant::now(), Duration::from_millis(*wait));
    }
    if let Some(reply) = reply {
        // At most a few pieces of blobs wait per connection (D16), so
        // a client cannot park a queue full of them on the server.
        if matches!(reply, ServerMessage::BlobData { .. }) {
            out.send_bulk(id.as_ref(), &reply).await.map_err(drop)?;
        } else {
            answer(out, pipeline.as_ref(), id, reply).await?;
        }
    }
    s.start_delivery(sh);
    Ok(())
}
