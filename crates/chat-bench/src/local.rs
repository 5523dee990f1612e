//! chatd's local API (PROTOCOL.md §3) spoken as raw JSON-RPC lines over
//! its Unix socket, as any script or frontend would, without chatd-api's
//! client: the `e2e` figures then include every byte a real frontend
//! costs the daemon. One connection either makes calls one at a time
//! ([`Local::call`], for setup) or is split into a writer that pipelines
//! requests and a reader that takes answers and events as they come (for
//! load).

use std::collections::VecDeque;
use std::path::Path;
use std::time::Duration;

use anyhow::{Context, bail};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, BufWriter};
use tokio::net::UnixStream;
use tokio::net::unix::{OwnedReadHalf, OwnedWriteHalf};

/// How long a setup call may wait for its answer.
pub const CALL_TIMEOUT: Duration = Duration::from_secs(60);

/// The reading half: lines from chatd, parsed.
pub struct LineReader {
    inner: BufReader<OwnedReadHalf>,
    line: String,
}

impl LineReader {
    /// The next line as JSON; `None` when chatd closed the connection.
    pub async fn next(&mut self) -> anyhow::Result<Option<Value>> {
        self.line.clear();
        if self.inner.read_line(&mut self.line).await? == 0 {
            return Ok(None);
        }
        let v = serde_json::from_str(&self.line)
            .with_context(|| format!("chatd wrote a line that is not JSON: {:?}", self.line))?;
        Ok(Some(v))
    }
}

/// The writing half: requests, buffered until [`LineWriter::flush`].
pub struct LineWriter {
    inner: BufWriter<OwnedWriteHalf>,
}

impl LineWriter {
    /// Writes one request line (not flushed).
    pub async fn request(&mut self, id: u64, method: &str, params: Value) -> std::io::Result<()> {
        let line = json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params});
        let mut bytes = serde_json::to_vec(&line)?;
        bytes.push(b'\n');
        self.inner.write_all(&bytes).await
    }

    /// Sends what is buffered.
    pub async fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush().await
    }
}

/// One local-API connection used call by call.
pub struct Local {
    reader: LineReader,
    writer: LineWriter,
    next_id: u64,
    /// Events that arrived while a call waited for its answer.
    pub events: VecDeque<Value>,
}

impl Local {
    /// Connects to chatd's socket.
    pub async fn connect(path: &Path) -> anyhow::Result<Self> {
        let stream = UnixStream::connect(path)
            .await
            .with_context(|| format!("cannot connect to chatd at {}", path.display()))?;
        let (r, w) = stream.into_split();
        Ok(Self {
            reader: LineReader {
                inner: BufReader::new(r),
                line: String::new(),
            },
            writer: LineWriter {
                inner: BufWriter::new(w),
            },
            next_id: 1,
            events: VecDeque::new(),
        })
    }

    /// Calls `method` and returns its result; a JSON-RPC error is an error
    /// naming the method.
    pub async fn ok(&mut self, method: &str, params: Value) -> anyhow::Result<Value> {
        let id = self.next_id;
        self.next_id += 1;
        self.writer.request(id, method, params).await?;
        self.writer.flush().await?;
        loop {
            let v = tokio::time::timeout(CALL_TIMEOUT, self.reader.next())
                .await
                .with_context(|| format!("chatd did not answer {method} within {CALL_TIMEOUT:?}"))??
                .with_context(|| format!("chatd closed the connection during {method}"))?;
            if v.get("id") == Some(&json!(id)) {
                if let Some(e) = v.get("error") {
                    bail!("chatd answered {method} with an error: {e}");
                }
                return Ok(v["result"].clone());
            }
            if let Some(params) = event_params(&v) {
                self.events.push_back(params.clone());
            }
        }
    }

    /// The next event (from those that arrived during calls first).
    pub async fn next_event(&mut self) -> anyhow::Result<Value> {
        if let Some(e) = self.events.pop_front() {
            return Ok(e);
        }
        loop {
            let v = self
                .reader
                .next()
                .await?
                .context("chatd closed the connection")?;
            if let Some(params) = event_params(&v) {
                return Ok(params.clone());
            }
        }
    }

    /// Splits into the two halves for pipelined use (events buffered so
    /// far are dropped).
    pub fn split(self) -> (LineReader, LineWriter) {
        (self.reader, self.writer)
    }
}

/// The params of an `event` notification.
pub fn event_params(line: &Value) -> Option<&Value> {
    (line.get("method") == Some(&json!("event"))).then(|| &line["params"])
}
