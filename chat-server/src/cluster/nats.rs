//! The NATS side of the bus: one task publishes the events the router
//! queues, one applies the events other nodes publish. The client
//! reconnects on its own for as long as the node runs; while NATS is away
//! publishes wait in the client's buffer and then in a bounded queue,
//! past which they are dropped: each is only a wake-up, and the slow poll
//! catches up (see the module docs of `cluster`).

use std::sync::Arc;

use async_nats::{Client, Subscriber};
use futures_util::StreamExt;
use tokio::sync::{Notify, mpsc};
use tokio_util::sync::CancellationToken;

use super::event::{Event, PREFIX};
use crate::router::{LocalRouter, Router};

/// Connects to `url`. Returns at once even when NATS is down: the node
/// serves on polling alone until the client gets through.
pub(super) async fn connect(url: &str, node: &str) -> anyhow::Result<Client> {
    let shown = super::BusUrl::redacted(url);
    let events_url = shown.clone();
    let client = async_nats::ConnectOptions::new()
        .name(format!("chat-server {node}"))
        .retry_on_initial_connect()
        .max_reconnects(None)
        .event_callback(move |event| {
            let url = events_url.clone();
            async move {
                match event {
                    async_nats::Event::Connected => tracing::info!(bus = %url, "bus connected"),
                    async_nats::Event::Disconnected => tracing::warn!(
                        bus = %url,
                        "bus disconnected; wake-ups wait for the next poll until it is back"
                    ),
                    other => tracing::info!(bus = %url, event = %other, "bus event"),
                }
            }
        })
        .connect(url)
        .await
        .map_err(|e| anyhow::anyhow!("cannot use the bus at {shown}: {e}"))?;
    Ok(client)
}

/// Publishes queued events until the queue closes or `stop` is cancelled.
pub(super) async fn publish(
    client: Client,
    mut queue: mpsc::Receiver<Event>,
    stop: CancellationToken,
) {
    loop {
        let event = tokio::select! {
            () = stop.cancelled() => return,
            e = queue.recv() => match e {
                Some(e) => e,
                None => return,
            },
        };
        let Ok(payload) = serde_json::to_vec(&event) else {
            continue;
        };
        if let Err(e) = client.publish(event.subject(), payload.into()).await {
            tracing::debug!(error = %e, "bus publish failed; the poll will catch up");
        }
    }
}

/// Subscribes to every node's events. When NATS is up the subscription
/// is in place on the server before this returns, so that no wake-up sent
/// after the node announced itself is missed; when it is down the client
/// subscribes once it gets through.
pub(super) async fn subscribe(client: &Client) -> anyhow::Result<Subscriber> {
    let sub = client
        .subscribe(format!("{PREFIX}.>"))
        .await
        .map_err(|e| anyhow::anyhow!("cannot subscribe to the bus: {e}"))?;
    match tokio::time::timeout(READY_WAIT, client.flush()).await {
        Ok(Ok(())) => {}
        _ => tracing::warn!("the bus is not answering; serving on polling alone until it is back"),
    }
    Ok(sub)
}

/// How long start-up waits for NATS to confirm the subscription.
const READY_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

/// Applies other nodes' events to this node's sessions until `stop`.
pub(super) async fn receive(
    mut sub: Subscriber,
    node: String,
    local: Arc<LocalRouter>,
    refresh: Arc<Notify>,
    stop: CancellationToken,
) {
    loop {
        let msg = tokio::select! {
            () = stop.cancelled() => return,
            m = sub.next() => match m {
                Some(m) => m,
                None => return,
            },
        };
        let Ok(event) = serde_json::from_slice::<Event>(&msg.payload) else {
            tracing::warn!(subject = %msg.subject, "ignoring a bus message that is not a chat-server event");
            continue;
        };
        if event.node() == node {
            continue;
        }
        apply(&local, &refresh, event);
    }
}

/// What another node's event does here.
fn apply(local: &LocalRouter, refresh: &Notify, event: Event) {
    match event {
        Event::Mail { user, .. } => local.mail_for(&user),
        Event::Presence { .. } => refresh.notify_one(),
        Event::KeyChanged {
            user, fingerprint, ..
        } => local.tell_key_changed(&user, &fingerprint),
        // The session that asked is on the other node: end every one here.
        Event::EndSessions { user, reason, .. } => local.end_sessions(&user, NO_CONN, &reason),
        Event::PassOn { user, frame, .. } => {
            match chat_proto::wire::decode_server(frame.as_bytes()) {
                Ok((_, msg)) => {
                    local.pass_on(&user, &msg);
                }
                Err(e) => {
                    tracing::warn!(error = ?e, "ignoring an ephemeral frame from the bus that does not decode")
                }
            }
        }
    }
}

/// No connection has id 0 (they count from 1).
const NO_CONN: crate::router::ConnId = 0;
