//! A read buffer that exists only while bytes are arriving. Most
//! connections are idle most of the time, and a fixed `BufReader` kept 4 KiB
//! per connection for nothing (a fifth of what an idle logged-in connection
//! cost). Without any buffer, every frame would take two reads (its length,
//! then its payload); with this one a burst of frames still shares reads,
//! and the buffer is given back as soon as a read finds nothing waiting.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, ReadBuf};

/// Buffers reads from `R` like `tokio::io::BufReader`, but holds its buffer
/// only between a read that returned bytes and the next one that would
/// block.
#[derive(Debug)]
pub struct LazyBufReader<R> {
    inner: R,
    capacity: usize,
    buf: Option<Box<[u8]>>,
    pos: usize,
    filled: usize,
}

impl<R> LazyBufReader<R> {
    /// Reads from `inner` through a buffer of `capacity` bytes while data
    /// flows.
    pub fn with_capacity(capacity: usize, inner: R) -> Self {
        Self {
            inner,
            capacity: capacity.max(1),
            buf: None,
            pos: 0,
            filled: 0,
        }
    }

    /// Whether a buffer is held right now.
    pub fn holds_buffer(&self) -> bool {
        self.buf.is_some()
    }
}

impl<R: AsyncRead + Unpin> AsyncRead for LazyBufReader<R> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        out: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let me = self.get_mut();
        if me.pos == me.filled {
            if out.remaining() >= me.capacity {
                // A read as large as the buffer gains nothing from it.
                me.buf = None;
                return Pin::new(&mut me.inner).poll_read(cx, out);
            }
            let capacity = me.capacity;
            let buf = me
                .buf
                .get_or_insert_with(|| vec![0; capacity].into_boxed_slice());
            let mut into = ReadBuf::new(buf);
            match Pin::new(&mut me.inner).poll_read(cx, &mut into) {
                Poll::Ready(Ok(())) => {
                    me.pos = 0;
                    me.filled = into.filled().len();
                }
                other => {
                    // Nothing waiting (or the read failed): an idle
                    // connection holds no buffer.
                    me.buf = None;
                    me.pos = 0;
                    me.filled = 0;
                    return other;
                }
            }
        }
        if let Some(buf) = &me.buf {
            let available = buf.get(me.pos..me.filled).unwrap_or_default();
            let n = available.len().min(out.remaining());
            out.put_slice(available.get(..n).unwrap_or_default());
            me.pos += n;
        }
        Poll::Ready(Ok(()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    #[tokio::test]
    async fn frames_read_through_it_arrive_whole_and_idle_holds_no_buffer() {
        let (mut client, server) = tokio::io::duplex(64);
        let mut reader = LazyBufReader::with_capacity(16, server);
        assert!(!reader.holds_buffer());

        client
            .write_all(b"hello, world: more than sixteen bytes")
            .await
            .unwrap();
        let mut got = vec![0u8; 37];
        reader.read_exact(&mut got).await.unwrap();
        assert_eq!(got, b"hello, world: more than sixteen bytes");

        // The next read finds nothing waiting: the buffer is given back.
        let mut one = [0u8; 1];
        let polled = std::future::poll_fn(|cx| {
            let mut into = ReadBuf::new(&mut one);
            Poll::Ready(Pin::new(&mut reader).poll_read(cx, &mut into))
        })
        .await;
        assert!(polled.is_pending());
        assert!(!reader.holds_buffer());

        client.write_all(b"x").await.unwrap();
        drop(client);
        assert_eq!(reader.read(&mut one).await.unwrap(), 1);
        assert_eq!(&one, b"x");
        assert_eq!(reader.read(&mut one).await.unwrap(), 0, "end of stream");
    }

    #[tokio::test]
    async fn a_large_read_bypasses_the_buffer() {
        let (mut client, server) = tokio::io::duplex(64);
        let mut reader = LazyBufReader::with_capacity(4, server);
        client.write_all(b"0123456789").await.unwrap();
        let mut got = [0u8; 10];
        reader.read_exact(&mut got).await.unwrap();
        assert_eq!(&got, b"0123456789");
        assert!(!reader.holds_buffer());
    }
}
