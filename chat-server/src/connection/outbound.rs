//! The one way frames reach a client. Responses wait for room (back-pressure
//! on that client's own requests); pushes from other connections never wait:
//! a client too slow to take its pushes is disconnected rather than allowed
//! to grow a queue on the server or stall the sender. Nothing is lost by
//! that: messages stay stored until acked, and presence is re-read on watch.
//!
//! Every wait here is on the peer, so every wait is bounded by the stall
//! limit (`Config::write_timeout`) and watches the close signal: a client
//! that stops reading would otherwise hold its slot for ever (the queue
//! fills, responses wait for room, the writer blocks in `write_all`, and the
//! read loop never gets back to its login and idle deadlines).

use std::time::Duration;

use bytes::Bytes;
use chat_proto::codec::encode_frame;
use chat_proto::wire::{self, RequestId, ServerMessage};
use tokio::io::{AsyncWrite, AsyncWriteExt};
use tokio_util::sync::CancellationToken;

use super::queue::{self, Queued, Receiver, Sender};

/// Bulk frames (pieces of blobs) one connection may have queued and not
/// yet written (see [`Outbound::send_bulk`]).
pub const BULK_QUEUED: usize = 4;

/// Bytes of small frames gathered into one write (see [`write_loop`]).
const BATCH_BYTES: usize = 8 * 1024;

/// The writer is gone; the connection is closing.
#[derive(Debug, Clone, Copy, thiserror::Error)]
#[error("connection closed")]
pub struct Closed;

/// Cheap handle for queueing frames to one connection.
#[derive(Clone, Debug)]
pub struct Outbound {
    tx: Sender,
    close: CancellationToken,
    stall: Duration,
}

impl Outbound {
    /// A queue of `capacity` frames and the receiving end for the writer.
    /// A response that finds no room for `stall` closes the connection.
    pub fn new(capacity: usize, close: CancellationToken, stall: Duration) -> (Self, Receiver) {
        let (tx, rx) = queue::queue(capacity, BULK_QUEUED);
        (Self { tx, close, stall }, rx)
    }

    /// Queues a response, waiting for room at most the stall limit; a
    /// client that has not made room by then is not reading, and its
    /// connection is closed.
    pub async fn send(&self, id: Option<&RequestId>, msg: &ServerMessage) -> Result<(), Closed> {
        let frame = Bytes::from(encode_frame(&wire::encode(id, msg)));
        tokio::select! {
            biased;
            () = self.close.cancelled() => Err(Closed),
            sent = tokio::time::timeout(self.stall, self.tx.send(frame)) => match sent {
                Ok(Ok(())) => Ok(()),
                Ok(Err(_)) => Err(Closed),
                Err(_) => {
                    tracing::debug!("closing a connection that does not read its responses");
                    self.close.cancel();
                    Err(Closed)
                }
            },
        }
    }

    /// Queues a bulk response (a piece of a blob) once fewer than
    /// [`BULK_QUEUED`] of them wait to be written, so a client that asks
    /// for pieces faster than it reads them holds a few pieces on the
    /// server, not a queue full of them. Pushes and other responses are
    /// not held up by it. The wait is bounded like [`Self::send`].
    pub async fn send_bulk(
        &self,
        id: Option<&RequestId>,
        msg: &ServerMessage,
    ) -> Result<(), Closed> {
        let turn = tokio::select! {
            biased;
            () = self.close.cancelled() => return Err(Closed),
            turn = tokio::time::timeout(self.stall, self.tx.bulk_turn()) => turn,
        };
        let turn = match turn {
            Ok(Ok(turn)) => turn,
            Ok(Err(_)) => return Err(Closed),
            Err(_) => {
                tracing::debug!("closing a connection that does not read its blob pieces");
                self.close.cancel();
                return Err(Closed);
            }
        };
        let frame = Bytes::from(encode_frame(&wire::encode(id, msg)));
        tokio::select! {
            biased;
            () = self.close.cancelled() => Err(Closed),
            sent = tokio::time::timeout(self.stall, self.tx.send_bulk(turn, frame)) => match sent {
                Ok(Ok(())) => Ok(()),
                Ok(Err(_)) => Err(Closed),
                Err(_) => {
                    tracing::debug!("closing a connection that does not read its responses");
                    self.close.cancel();
                    Err(Closed)
                }
            },
        }
    }

    /// Queues a push without waiting; a full queue ends the connection.
    pub fn push(&self, msg: &ServerMessage) {
        let frame = Bytes::from(encode_frame(&wire::encode(None, msg)));
        if self.tx.try_send(frame).is_err() {
            tracing::info!("closing a connection too slow to take its pushes");
            self.close.cancel();
        }
    }

    /// Queues a frame that may be dropped (an ephemeral envelope): a full
    /// queue drops it and keeps the connection. Returns whether it was
    /// queued.
    pub fn offer(&self, msg: &ServerMessage) -> bool {
        if self.close.is_cancelled() {
            return false;
        }
        let frame = Bytes::from(encode_frame(&wire::encode(None, msg)));
        self.tx.try_send(frame).is_ok()
    }

    /// Asks the connection to close once what is queued is written.
    pub fn close(&self) {
        self.close.cancel();
    }

    /// The token cancelled when this connection closes.
    pub fn closed(&self) -> &CancellationToken {
        &self.close
    }
}

/// Writes queued frames, batching whatever is ready into one flush, until
/// the queue is closed or the connection is asked to close (frames queued
/// before that request are still written, so a final error reaches the
/// client). A frame (or a flush) the client does not take within `stall`
/// ends the loop with `TimedOut`; any end of the loop closes the connection, so the read side
/// never outlives a dead writer.
pub async fn write_loop<W: AsyncWrite + Unpin>(
    writer: W,
    rx: Receiver,
    close: CancellationToken,
    stall: Duration,
) -> std::io::Result<()> {
    let result = write_until_closed(writer, rx, &close, stall).await;
    close.cancel();
    result
}

async fn write_until_closed<W: AsyncWrite + Unpin>(
    mut writer: W,
    mut rx: Receiver,
    close: &CancellationToken,
    stall: Duration,
) -> std::io::Result<()> {
    let mut batch = Batch::default();
    loop {
        tokio::select! {
            biased;
            frames = rx.recv_all() => {
                let Some(mut frames) = frames else { break };
                loop {
                    for frame in frames {
                        Box::pin(batch.add(&mut writer, &rx, frame, stall)).await?;
                    }
                    match rx.try_recv_all() {
                        Some(more) => frames = more,
                        None => break,
                    }
                }
                Box::pin(async {
                    batch.write_out(&mut writer, stall).await?;
                    bounded(stall, writer.flush()).await
                })
                .await?;
            }
            () = close.cancelled() => {
                while let Some(frames) = rx.try_recv_all() {
                    for frame in frames {
                        Box::pin(batch.add(&mut writer, &rx, frame, stall)).await?;
                    }
                }
                break;
            }
        }
    }
    // Every write step is boxed: the writer waits for frames most of its
    // life, and its task should hold only what that wait needs.
    Box::pin(async move {
        batch.write_out(&mut writer, stall).await?;
        bounded(stall, writer.flush()).await?;
        bounded(stall, writer.shutdown()).await
    })
    .await
}

/// Frames gathered into one write while the queue has more of them. The
/// buffer exists only for the length of a batch: an idle connection, which
/// is most of them, holds none (a `BufWriter` kept 8 KiB per connection,
/// two fifths of an idle connection's cost).
#[derive(Default)]
struct Batch {
    buf: Vec<u8>,
}

impl Batch {
    /// Adds `frame`, writing out what is gathered first when it would not
    /// fit; a frame as large as a batch (a piece of a blob) is written as
    /// it is, not copied. A bulk frame's permit goes back once the frame
    /// is gathered or written.
    async fn add<W: AsyncWrite + Unpin>(
        &mut self,
        writer: &mut W,
        rx: &Receiver,
        frame: Queued,
        stall: Duration,
    ) -> std::io::Result<()> {
        if self.buf.len() + frame.frame.len() > BATCH_BYTES {
            self.write_out(writer, stall).await?;
        }
        if frame.frame.len() >= BATCH_BYTES {
            bounded(stall, writer.write_all(&frame.frame)).await?;
        } else {
            if self.buf.capacity() == 0 {
                self.buf.reserve_exact(BATCH_BYTES);
            }
            self.buf.extend_from_slice(&frame.frame);
        }
        rx.done(frame);
        Ok(())
    }

    /// Writes what is gathered and gives the buffer back.
    async fn write_out<W: AsyncWrite + Unpin>(
        &mut self,
        writer: &mut W,
        stall: Duration,
    ) -> std::io::Result<()> {
        if !self.buf.is_empty() {
            bounded(stall, writer.write_all(&self.buf)).await?;
        }
        self.buf = Vec::new();
        Ok(())
    }
}

/// Runs one write step, failing with `TimedOut` when the peer has not taken
/// it within `stall`.
async fn bounded<F>(stall: Duration, step: F) -> std::io::Result<()>
where
    F: std::future::Future<Output = std::io::Result<()>>,
{
    tokio::time::timeout(stall, step).await.map_err(|_| {
        std::io::Error::new(
            std::io::ErrorKind::TimedOut,
            "the client took no data within the write timeout",
        )
    })?
}
