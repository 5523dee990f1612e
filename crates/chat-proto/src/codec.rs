//! Length-prefixed frames (PROTOCOL.md §1.2): a u32 big-endian length, then
//! that many bytes. The length is checked against the cap before a single
//! byte of payload is allocated, so a peer cannot make us reserve 4 GiB by
//! sending four bytes.

/// Frame cap before the connection is logged in.
pub const MAX_FRAME_PRE_AUTH: u32 = 64 * 1024;
/// Frame cap once logged in.
pub const MAX_FRAME_POST_AUTH: u32 = 1024 * 1024;

/// Why a frame could not be read.
#[derive(Debug, thiserror::Error)]
pub enum FrameError {
    /// The announced length was 0 or above the cap.
    #[error("frame length {len} is outside 1..={max}")]
    BadLength {
        /// Announced length.
        len: u32,
        /// The cap in force.
        max: u32,
    },
    /// The peer closed the connection in the middle of a frame.
    #[error("connection closed in the middle of a frame")]
    Truncated,
    /// The transport failed.
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

/// Checks an announced length against the cap.
pub fn check_len(len: u32, max: u32) -> Result<usize, FrameError> {
    if len == 0 || len > max {
        return Err(FrameError::BadLength { len, max });
    }
    usize::try_from(len).map_err(|_| FrameError::BadLength { len, max })
}

/// Prefixes `payload` with its length, ready to write. Payloads over
/// `u32::MAX` cannot be framed; they are a caller bug and yield an empty frame
/// header the peer will refuse.
pub fn encode_frame(payload: &[u8]) -> Vec<u8> {
    let len = u32::try_from(payload.len()).unwrap_or(0);
    let mut out = Vec::with_capacity(4 + payload.len());
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(payload);
    out
}

/// Reads one frame from a blocking reader; `Ok(None)` on a clean end of
/// stream between frames.
pub fn read_frame_blocking<R: std::io::Read>(
    reader: &mut R,
    max: u32,
) -> Result<Option<Vec<u8>>, FrameError> {
    let mut header = [0u8; 4];
    match read_exact_or_eof(reader, &mut header)? {
        ReadStatus::Eof => return Ok(None),
        ReadStatus::Partial => return Err(FrameError::Truncated),
        ReadStatus::Full => {}
    }
    let len = check_len(u32::from_be_bytes(header), max)?;
    let mut payload = vec![0u8; len];
    match read_exact_or_eof(reader, &mut payload)? {
        ReadStatus::Full => Ok(Some(payload)),
        _ => Err(FrameError::Truncated),
    }
}

enum ReadStatus {
    Full,
    Partial,
    Eof,
}

fn read_exact_or_eof<R: std::io::Read>(
    reader: &mut R,
    buf: &mut [u8],
) -> std::io::Result<ReadStatus> {
    let mut filled = 0;
    while filled < buf.len() {
        match reader.read(&mut buf[filled..]) {
            Ok(0) if filled == 0 => return Ok(ReadStatus::Eof),
            Ok(0) => return Ok(ReadStatus::Partial),
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(ReadStatus::Full)
}

/// Writes one frame to a blocking writer.
pub fn write_frame_blocking<W: std::io::Write>(
    writer: &mut W,
    payload: &[u8],
) -> std::io::Result<()> {
    writer.write_all(&encode_frame(payload))?;
    writer.flush()
}

#[cfg(feature = "tokio")]
mod asynchronous {
    use super::{FrameError, check_len, encode_frame};
    use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

    /// Reads one frame; `Ok(None)` on a clean end of stream between frames.
    /// Cancel-safe only between frames: callers that `select!` on it must
    /// not drop it mid-frame (the server reads in its own task).
    pub async fn read_frame<R: AsyncRead + Unpin>(
        reader: &mut R,
        max: u32,
    ) -> Result<Option<Vec<u8>>, FrameError> {
        let mut header = [0u8; 4];
        let mut filled = 0;
        while filled < 4 {
            let n = reader.read(&mut header[filled..]).await?;
            if n == 0 {
                return if filled == 0 {
                    Ok(None)
                } else {
                    Err(FrameError::Truncated)
                };
            }
            filled += n;
        }
        let len = check_len(u32::from_be_bytes(header), max)?;
        let mut payload = vec![0u8; len];
        reader.read_exact(&mut payload).await.map_err(|e| {
            if e.kind() == std::io::ErrorKind::UnexpectedEof {
                FrameError::Truncated
            } else {
                FrameError::Io(e)
            }
        })?;
        Ok(Some(payload))
    }

    /// Writes one frame and flushes.
    pub async fn write_frame<W: AsyncWrite + Unpin>(
        writer: &mut W,
        payload: &[u8],
    ) -> std::io::Result<()> {
        writer.write_all(&encode_frame(payload)).await?;
        writer.flush().await
    }
}

#[cfg(feature = "tokio")]
pub use asynchronous::{read_frame, write_frame};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let mut wire = encode_frame(b"{\"type\":\"ping\"}");
        wire.extend(encode_frame(b"{}"));
        let mut r = &wire[..];
        assert_eq!(
            read_frame_blocking(&mut r, 100).ok().flatten().as_deref(),
            Some(&b"{\"type\":\"ping\"}"[..])
        );
        assert_eq!(
            read_frame_blocking(&mut r, 100).ok().flatten().as_deref(),
            Some(&b"{}"[..])
        );
        assert!(matches!(read_frame_blocking(&mut r, 100), Ok(None)));
    }

    #[test]
    fn zero_and_oversized_lengths_are_refused_before_allocating() {
        let mut r: &[u8] = &[0, 0, 0, 0];
        assert!(matches!(
            read_frame_blocking(&mut r, 10),
            Err(FrameError::BadLength { len: 0, .. })
        ));
        // 4 GiB announced, nothing following: refused from the header alone.
        let mut r: &[u8] = &[0xff, 0xff, 0xff, 0xff];
        assert!(matches!(
            read_frame_blocking(&mut r, 10),
            Err(FrameError::BadLength {
                len: u32::MAX,
                max: 10
            })
        ));
        let mut r: &[u8] = &[0, 0, 0, 11];
        assert!(matches!(
            read_frame_blocking(&mut r, 10),
            Err(FrameError::BadLength { len: 11, .. })
        ));
        assert!(check_len(10, 10).is_ok());
    }

    #[test]
    fn truncation_is_reported() {
        let mut r: &[u8] = &[0, 0];
        assert!(matches!(
            read_frame_blocking(&mut r, 10),
            Err(FrameError::Truncated)
        ));
        let mut r: &[u8] = &[0, 0, 0, 5, b'a'];
        assert!(matches!(
            read_frame_blocking(&mut r, 10),
            Err(FrameError::Truncated)
        ));
    }

    #[cfg(feature = "tokio")]
    #[tokio::test]
    async fn async_reader_matches_blocking_one() {
        let mut wire = encode_frame(b"abc");
        wire.extend([0, 0, 0, 0]);
        let mut r = &wire[..];
        assert_eq!(
            read_frame(&mut r, 10).await.ok().flatten().as_deref(),
            Some(&b"abc"[..])
        );
        assert!(matches!(
            read_frame(&mut r, 10).await,
            Err(FrameError::BadLength { len: 0, .. })
        ));
        let mut r: &[u8] = &[0, 0, 0, 3, 1];
        assert!(matches!(
            read_frame(&mut r, 10).await,
            Err(FrameError::Truncated)
        ));
    }
}
