//! Reading newline-delimited requests with a hard cap, so a frontend that
//! never sends a newline cannot make the daemon buffer without bound.

use tokio::io::{AsyncBufRead, AsyncBufReadExt};

/// A line longer than the cap.
#[derive(Debug)]
pub struct TooLong;

/// Reads one line (without its newline) into `buf`. `Ok(None)` at end of
/// stream; `Ok(Some(Err(TooLong)))` once more than `max` bytes arrive
/// without a newline (the caller closes the connection).
pub async fn read_line<R: AsyncBufRead + Unpin>(
    reader: &mut R,
    buf: &mut Vec<u8>,
    max: usize,
) -> std::io::Result<Option<Result<(), TooLong>>> {
    buf.clear();
    loop {
        let available = reader.fill_buf().await?;
        if available.is_empty() {
            return Ok(if buf.is_empty() { None } else { Some(Ok(())) });
        }
        if let Some(i) = available.iter().position(|b| *b == b'\n') {
            if buf.len() + i > max {
                return Ok(Some(Err(TooLong)));
            }
            buf.extend_from_slice(&available[..i]);
            reader.consume(i + 1);
            return Ok(Some(Ok(())));
        }
        let n = available.len();
        if buf.len() + n > max {
            return Ok(Some(Err(TooLong)));
        }
        buf.extend_from_slice(available);
        reader.consume(n);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn lines_are_split_and_capped() {
        let mut r: &[u8] = b"ab\ncd\n\nlast";
        let mut buf = Vec::new();
        let mut lines = Vec::new();
        while let Some(Ok(())) = read_line(&mut r, &mut buf, 10).await.unwrap_or(None) {
            lines.push(String::from_utf8_lossy(&buf).into_owned());
        }
        assert_eq!(lines, ["ab", "cd", "", "last"]);
        let mut r: &[u8] = b"0123456789A\n";
        assert!(matches!(
            read_line(&mut r, &mut buf, 10).await,
            Ok(Some(Err(TooLong)))
        ));
        let mut r: &[u8] = b"0123456789\n";
        assert!(matches!(
            read_line(&mut r, &mut buf, 10).await,
            Ok(Some(Ok(())))
        ));
    }
}
