//! One frontend connection: requests in, responses and (after
//! `subscribe`) events out, through one writer task so lines never
//! interleave. Work a request started finishes even if the frontend goes
//! away mid-request: closing a frontend never loses a message it sent.
//! This layer only translates: a line becomes a typed [`Request`] for
//! `core::api`, and its [`Reply`] or error becomes a line.

use std::sync::Arc;

use chatd_api::jsonrpc;
use chatd_api::{
    ApiError, ErrorCode, FocusParams, MAX_LINE, Method, Reply, Request, SubscribeParams, call,
};
use interprocess::local_socket::tokio::Stream;
use serde_json::Value;
use tokio::io::{AsyncWriteExt, BufReader, BufWriter};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::lines::read_line;
use crate::core::{Core, api};

/// Lines waiting to be written to one frontend.
const OUT_QUEUE: usize = 256;

/// Serves one connection until it closes or the daemon stops.
pub async fn serve(core: Arc<Core>, stream: Stream, id: u64, shutdown: CancellationToken) {
    let (recv, send) = tokio::io::split(stream);
    let (out, rx) = mpsc::channel::<String>(OUT_QUEUE);
    let writer = tokio::spawn(write_loop(send, rx));
    let mut reader = BufReader::with_capacity(16 * 1024, recv);
    let mut buf = Vec::new();
    let mut subscription: Option<JoinHandle<()>> = None;
    loop {
        let line = tokio::select! {
            () = shutdown.cancelled() => break,
            l = read_line(&mut reader, &mut buf, MAX_LINE) => l,
        };
        match line {
            Ok(Some(Ok(()))) => {}
            Ok(Some(Err(_))) => {
                let e = ApiError::new(
                    ErrorCode::InvalidRequest,
                    format!("line longer than {MAX_LINE} bytes; closing"),
                );
                let _ = out.send(jsonrpc::error_line(&Value::Null, &e)).await;
                break;
            }
            Ok(None) | Err(_) => break,
        }
        let Ok(text) = std::str::from_utf8(&buf) else {
            let e = ApiError::new(ErrorCode::ParseError, "the line is not UTF-8");
            let _ = out.send(jsonrpc::error_line(&Value::Null, &e)).await;
            continue;
        };
        if text.trim().is_empty() {
            continue;
        }
        let request = match jsonrpc::parse_request(text) {
            Ok(r) => r,
            Err((rid, e)) => {
                let _ = out.send(jsonrpc::error_line(&rid, &e)).await;
                continue;
            }
        };
        let jsonrpc::Request {
            id: rid,
            method,
            params,
        } = request;
        let request = Request::from_parts(&method, params);
        if method == call::Subscribe::NAME {
            // A second `subscribe` replaces the first (even one with bad
            // params), and is answered even without an id.
            if let Some(previous) = subscription.take() {
                previous.abort();
            }
            let rid = rid.unwrap_or(Value::Null);
            subscription = match request {
                Ok(Request::Subscribe(p)) => subscribe(&core, &out, &rid, p).await,
                Ok(_) => None,
                Err(e) => {
                    let _ = out.send(jsonrpc::error_line(&rid, &e)).await;
                    None
                }
            };
            continue;
        }
        let outcome = match request {
            Ok(request) => api::handle(&core, id, request).await.and_then(result),
            Err(e) => Err(e),
        };
        if let Some(rid) = rid {
            let line = match outcome {
                Ok(result) => jsonrpc::result_line(&rid, result),
                Err(e) => jsonrpc::error_line(&rid, &e),
            };
            if out.send(line).await.is_err() {
                break;
            }
        }
    }
    if let Some(s) = subscription {
        s.abort();
    }
    // The focus of a frontend that left is cleared.
    let _ = api::handle(&core, id, Request::Focus(FocusParams::default())).await;
    drop(out);
    let _ = writer.await;
}

/// The result object of a reply.
fn result(reply: Reply) -> Result<Value, ApiError> {
    reply
        .to_value()
        .map_err(|e| ApiError::new(ErrorCode::InternalError, e.to_string()))
}

/// Answers `subscribe`, then forwards events on this connection.
async fn subscribe(
    core: &Arc<Core>,
    out: &mpsc::Sender<String>,
    rid: &Value,
    params: SubscribeParams,
) -> Option<JoinHandle<()>> {
    let (subscribed, mut sub) = match api::subscribe(core, params).await {
        Ok(pair) => pair,
        Err(e) => {
            let _ = out.send(jsonrpc::error_line(rid, &e)).await;
            return None;
        }
    };
    // The answer is queued before any event, so it is written first.
    let answer = result(Reply::Subscribe(subscribed));
    let line = match answer {
        Ok(value) => jsonrpc::result_line(rid, value),
        Err(e) => jsonrpc::error_line(rid, &e),
    };
    if out.send(line).await.is_err() {
        return None;
    }
    let out = out.clone();
    Some(tokio::spawn(async move {
        while let Some(next) = sub.next().await {
            let Ok(event) = next else { return };
            if out.send(jsonrpc::event_line(&event)).await.is_err() {
                return;
            }
        }
    }))
}

async fn write_loop<W: tokio::io::AsyncWrite + Unpin>(writer: W, mut rx: mpsc::Receiver<String>) {
    let mut w = BufWriter::new(writer);
    while let Some(line) = rx.recv().await {
        if w.write_all(line.as_bytes()).await.is_err() || w.write_all(b"\n").await.is_err() {
            return;
        }
        while let Ok(more) = rx.try_recv() {
            if w.write_all(more.as_bytes()).await.is_err() || w.write_all(b"\n").await.is_err() {
                return;
            }
        }
        if w.flush().await.is_err() {
            return;
        }
    }
    let _ = w.shutdown().await;
}
