//! The task behind a [`Session`](super::Session): attaches, pumps events
//! to the session's queue dropping any seq already handed out, and when
//! chatd goes away reports it and tries again after a backoff. It ends when
//! the session is dropped.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Notify, mpsc};

use super::{Attached, Backoff, Update};
use crate::client::{Client, ClientError, EventStream};
use crate::{EventKind, Status, SubscribeParams};

/// How long connecting, subscribing and reading the status may take
/// together before the attempt counts as failed (a chatd that accepts but
/// never answers must not hold the session forever).
const ATTACH_TIMEOUT: Duration = Duration::from_secs(10);

/// What the task needs from [`Attach`](super::Attach).
pub(super) struct Plan {
    pub(super) socket: Option<PathBuf>,
    pub(super) events: Option<Vec<EventKind>>,
    pub(super) backoff: Backoff,
}

/// Runs until the session is gone. `last` is the seq of the last event
/// handed out (from the seq store at start).
pub(super) async fn run(
    mut plan: Plan,
    mut last: Option<u64>,
    tx: mpsc::Sender<Update>,
    retry: Arc<Notify>,
) {
    // The reason last reported, so a failing attempt is reported once.
    let mut reported: Option<String> = None;
    loop {
        match attach(plan.socket.as_deref(), &plan.events, last).await {
            Ok((client, stream, status, latest)) => {
                // Resume where we were, unless chatd's log is behind that
                // (it started anew): then from its present.
                let seq = match last {
                    Some(s) if s <= latest => s,
                    _ => latest,
                };
                last = Some(seq);
                plan.backoff.reset();
                let attached = Attached {
                    status,
                    client: client.clone(),
                    seq,
                };
                if tx.send(Update::Attached(attached)).await.is_err() {
                    return;
                }
                let Some(lost) = pump(&client, stream, &plan.events, &mut last, &tx).await else {
                    return;
                };
                reported = Some(lost.to_string());
                if tx.send(Update::Detached(lost)).await.is_err() {
                    return;
                }
            }
            Err(e) => {
                let why = e.to_string();
                if reported.as_ref() != Some(&why) {
                    reported = Some(why);
                    if tx.send(Update::Detached(e)).await.is_err() {
                        return;
                    }
                }
            }
        }
        tokio::select! {
            () = tokio::time::sleep(plan.backoff.next_delay()) => {}
            () = retry.notified() => {}
            () = tx.closed() => return,
        }
    }
}

/// Connects, subscribes from `since` and reads the status; also returns
/// chatd's latest seq. The stream is registered before the status call,
/// so no event between the two is lost.
async fn attach(
    socket: Option<&Path>,
    events: &Option<Vec<EventKind>>,
    since: Option<u64>,
) -> Result<(Client, EventStream, Status, u64), ClientError> {
    let socket = socket.ok_or(ClientError::NoSocketPath)?;
    let attempt = async {
        let client = Client::connect(socket).await?;
        let params = SubscribeParams {
            events: events.clone(),
            since,
        };
        let (subscribed, stream) = client.subscribe(params).await?;
        let status = client.status().await?;
        Ok((client, stream, status, subscribed.seq))
    };
    match tokio::time::timeout(ATTACH_TIMEOUT, attempt).await {
        Ok(outcome) => outcome,
        Err(_) => Err(ClientError::Io(std::io::Error::new(
            std::io::ErrorKind::TimedOut,
            format!(
                "chatd at {} accepted the connection but did not answer within {} s; \
                 check it with `systemctl --user status chatd`",
                socket.display(),
                ATTACH_TIMEOUT.as_secs()
            ),
        ))),
    }
}

/// Hands events to the session until chatd goes away (`Some(why)`) or the
/// session is dropped (`None`). A stream cut off for lagging is resumed on
/// the same connection from the last event handed out.
async fn pump(
    client: &Client,
    mut stream: EventStream,
    events: &Option<Vec<EventKind>>,
    last: &mut Option<u64>,
    tx: &mpsc::Sender<Update>,
) -> Option<ClientError> {
    loop {
        let event = tokio::select! {
            event = stream.recv() => event,
            () = tx.closed() => return None,
        };
        match event {
            // Never stored (`typing`): its seq is a stored event's, so it
            // is neither a repeat nor a place to resume from.
            Some(event) if event.body.is_transient() => {
                if tx.send(Update::Event(event)).await.is_err() {
                    return None;
                }
            }
            Some(event) => {
                // A `since` replay may repeat what was handed out already.
                if last.is_some_and(|l| event.seq <= l) {
                    continue;
                }
                *last = Some(event.seq);
                if tx.send(Update::Event(event)).await.is_err() {
                    return None;
                }
            }
            None if stream.lagged() => {
                let params = SubscribeParams {
                    events: events.clone(),
                    since: *last,
                };
                match client.subscribe(params).await {
                    Ok((_, again)) => stream = again,
                    Err(e) => return Some(e),
                }
            }
            None => return Some(ClientError::Disconnected),
        }
    }
}
