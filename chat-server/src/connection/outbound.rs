//! The one way frames reach a client. Responses wait for room (back-pressure
//! on that client's own requests); pushes from other connections never wait:
//! a client too slow to take its pushes is disconnected rather than allowed
//! to grow a queue on the server or stall the sender. Nothing is lost by
//! that: messages stay stored until acked, and presence is re-read on watch.

use bytes::Bytes;
use chat_proto::codec::encode_frame;
use chat_proto::wire::{self, RequestId, ServerMessage};
use tokio::io::{AsyncWrite, AsyncWriteExt, BufWriter};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

/// The writer is gone; the connection is closing.
#[derive(Debug, Clone, Copy, thiserror::Error)]
#[error("connection closed")]
pub struct Closed;

/// Cheap handle for queueing frames to one connection.
#[derive(Clone, Debug)]
pub struct Outbound {
    tx: mpsc::Sender<Bytes>,
    close: CancellationToken,
}

impl Outbound {
    /// A queue of `capacity` frames and the receiving end for the writer.
    pub fn new(capacity: usize, close: CancellationToken) -> (Self, mpsc::Receiver<Bytes>) {
        let (tx, rx) = mpsc::channel(capacity.max(1));
        (Self { tx, close }, rx)
    }

    /// Queues a response, waiting for room.
    pub async fn send(&self, id: Option<&RequestId>, msg: &ServerMessage) -> Result<(), Closed> {
        let frame = Bytes::from(encode_frame(&wire::encode(id, msg)));
        self.tx.send(frame).await.map_err(|_| Closed)
    }

    /// Queues a push without waiting; a full queue ends the connection.
    pub fn push(&self, msg: &ServerMessage) {
        let frame = Bytes::from(encode_frame(&wire::encode(None, msg)));
        if self.tx.try_send(frame).is_err() {
            tracing::info!("closing a connection too slow to take its pushes");
            self.close.cancel();
        }
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
/// client).
pub async fn write_loop<W: AsyncWrite + Unpin>(
    writer: W,
    mut rx: mpsc::Receiver<Bytes>,
    close: CancellationToken,
) -> std::io::Result<()> {
    let mut out = BufWriter::with_capacity(8 * 1024, writer);
    loop {
        tokio::select! {
            biased;
            frame = rx.recv() => {
                let Some(frame) = frame else { break };
                out.write_all(&frame).await?;
                while let Ok(more) = rx.try_recv() {
                    out.write_all(&more).await?;
                }
                out.flush().await?;
            }
            () = close.cancelled() => {
                while let Ok(more) = rx.try_recv() {
                    out.write_all(&more).await?;
                }
                break;
            }
        }
    }
    out.flush().await?;
    out.shutdown().await
}
