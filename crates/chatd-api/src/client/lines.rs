//! Reading newline-terminated lines with a hard cap, checked before the
//! bytes are kept: a peer that never sends `\n` costs at most `max` bytes of
//! memory, not whatever it manages to send.

use tokio::io::{AsyncBufRead, AsyncBufReadExt};

/// Why no line could be read.
#[derive(Debug)]
pub(crate) enum LineError {
    /// The line grew past the cap before its newline.
    TooLong {
        /// The cap.
        max: usize,
    },
    /// The socket failed.
    Io(std::io::Error),
}

/// Reads one line (without its `\n`, and without a `\r` before it) into
/// `buf`, which is cleared first. `Ok(false)` at end of stream; a partial
/// line cut off by the end of stream is dropped, since it can be no
/// complete JSON-RPC message.
pub(crate) async fn read_line<R: AsyncBufRead + Unpin>(
    reader: &mut R,
    buf: &mut Vec<u8>,
    max: usize,
) -> Result<bool, LineError> {
    buf.clear();
    loop {
        let available = reader.fill_buf().await.map_err(LineError::Io)?;
        if available.is_empty() {
            return Ok(false);
        }
        let (chunk, used, done) = match available.iter().position(|&b| b == b'\n') {
            Some(i) => (&available[..i], i + 1, true),
            None => (available, available.len(), false),
        };
        if buf.len() + chunk.len() > max {
            return Err(LineError::TooLong { max });
        }
        buf.extend_from_slice(chunk);
        reader.consume(used);
        if done {
            if buf.last() == Some(&b'\r') {
                buf.pop();
            }
            return Ok(true);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn lines_of(input: &[u8], max: usize) -> Vec<Result<String, String>> {
        let mut reader = tokio::io::BufReader::with_capacity(4, input);
        let mut buf = Vec::new();
        let mut out = Vec::new();
        loop {
            match read_line(&mut reader, &mut buf, max).await {
                Ok(true) => out.push(Ok(String::from_utf8_lossy(&buf).into_owned())),
                Ok(false) => return out,
                Err(LineError::TooLong { max }) => {
                    out.push(Err(format!("too long {max}")));
                    return out;
                }
                Err(LineError::Io(e)) => {
                    out.push(Err(e.to_string()));
                    return out;
                }
            }
        }
    }

    #[tokio::test]
    async fn splits_lines_across_buffer_refills() {
        let got = lines_of(b"hello world\r\n\n{\"a\":1}\npartial", 64).await;
        assert_eq!(
            got,
            vec![
                Ok("hello world".to_string()),
                Ok(String::new()),
                Ok("{\"a\":1}".to_string())
            ]
        );
    }

    #[tokio::test]
    async fn a_line_at_the_cap_passes_and_one_past_it_fails() {
        assert_eq!(
            lines_of(b"12345678\n", 8).await,
            vec![Ok("12345678".into())]
        );
        assert_eq!(
            lines_of(b"123456789\n", 8).await,
            vec![Err("too long 8".into())]
        );
    }
}
