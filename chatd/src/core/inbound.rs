//! The inbound pipeline: one task that takes what the server pushes, in the
//! order it arrives. A delivered envelope is decrypted and its effect (a new
//! message, a receipt, a held envelope) committed in one transaction with
//! the engine's own state; only then is it acked, so a crash at any point
//! means the server delivers it again and the duplicate is dropped.
//!
//! Nothing in this loop waits on the server: a response can only be read
//! after the pushes queued before it, so a loop that awaited one while
//! thousands of deliveries filled its queue would deadlock. Work that
//! needs the network (fetching a key, watching, the after-login chores)
//! runs in tasks of its own; an envelope from a peer whose key is not
//! known yet is held and examined again once the key arrives.

use std::sync::Arc;

use chat_e2e::{Payload, ReceiptStatus, Received};
use chat_proto::{Request, ServerMessage, now_ms};
use chatd_api::{Direction, Event, EventBody, Message, MessageStatus, SecurityReason};
use serde_json::{Map, Value};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::Core;
use crate::link::LinkEvent;
use crate::store::{OutboxItem, PendingEnvelope, StoreError, Tx};

/// Runs until shutdown or until the link is gone.
pub async fn run(
    core: Arc<Core>,
    mut events: mpsc::Receiver<LinkEvent>,
    shutdown: CancellationToken,
) {
    let Some(mut learned) = core.take_learned() else {
        tracing::error!("the inbound loop was started twice; the second one stops");
        return;
    };
    loop {
        let event = tokio::select! {
            () = shutdown.cancelled() => return,
            Some(peer) = learned.recv() => {
                retry_pending(&core, &peer).await;
                continue;
            }
            e = events.recv() => match e { Some(e) => e, None => return },
        };
        match event {
            LinkEvent::LoggedIn(user) => {
                // Bound here, before the next delivery is looked at.
                match core.bind_account(&user) {
                    Ok(()) => {
                        tokio::spawn(logged_in(core.clone(), user));
                    }
                    Err(e) => tracing::error!("{}", e.message),
                }
            }
            LinkEvent::Push(ServerMessage::Deliver {
                msg_id,
                from,
                envelope,
                ..
            }) => {
                if deliver(&core, &msg_id, &from, &envelope).await {
                    core.link.ack(vec![msg_id]).await;
                }
            }
            LinkEvent::Push(ServerMessage::Presence {
                username, online, ..
            }) => {
                core.set_online(&username, online);
                let _ = core
                    .hub
                    .publish(EventBody::Presence {
                        user: username,
                        online,
                    })
                    .await;
            }
            LinkEvent::Push(ServerMessage::KeyChanged { username, .. }) => {
                let core = core.clone();
                tokio::spawn(async move {
                    if let Err(e) = core.fetch_key(&username).await {
                        tracing::warn!(peer = %username, error = %e, "cannot fetch the changed key");
                    }
                });
            }
            LinkEvent::Push(ServerMessage::Error { message, .. }) => {
                tracing::warn!("the server ended the session: {message}");
            }
            LinkEvent::Push(other) => tracing::debug!(push = ?other, "ignored push"),
        }
    }
}

/// After login or resume (the account is bound already): watch every
/// peer, examine held envelopes again and flush the outbox.
async fn logged_in(arc: Arc<Core>, user: String) {
    let (core, user) = (arc.as_ref(), user.as_str());
    let peers = core.db.call(|tx| tx.peers()).await.unwrap_or_default();
    let peers: Vec<String> = peers.into_iter().filter(|p| p != user).collect();
    if !peers.is_empty() {
        watch(core, peers).await;
    }
    for sender in core
        .db
        .call(|tx| tx.pending_peers())
        .await
        .unwrap_or_default()
    {
        learn_peer(arc.clone(), &sender);
    }
    core.outbox_kick.notify_one();
}

/// Fetches a sender's key if we have none (which watches them), then has
/// the inbound loop examine what they sent meanwhile. One such task per
/// peer at a time.
fn learn_peer(core: Arc<Core>, peer: &str) {
    if !core.start_learning(peer) {
        return;
    }
    let peer = peer.to_string();
    tokio::spawn(async move {
        // A first pin also starts watching them (Core::fetch_key).
        match core.ensure_pin(&peer).await {
            Ok(()) => core.key_learned(&peer).await,
            Err(e) => {
                tracing::warn!(peer = %peer, error = %e, "cannot fetch the key; what they sent waits")
            }
        }
        core.done_learning(&peer);
    });
}

/// Watches `users`, recording their presence.
pub async fn watch(core: &Core, users: Vec<String>) {
    match core.link.request(Request::Watch { users }).await {
        Ok(ServerMessage::WatchOk { users }) => {
            for u in users {
                core.set_online(&u.username, u.online);
            }
        }
        Ok(other) => tracing::debug!(answer = ?other, "unexpected answer to watch"),
        Err(e) => tracing::warn!(error = %e, "watch failed"),
    }
}

/// Handles one delivered envelope; true when it may be acked.
async fn deliver(
    core: &Arc<Core>,
    msg_id: &str,
    from: &str,
    envelope: &Map<String, Value>,
) -> bool {
    let Ok(engine) = core.engine() else {
        return false;
    };
    let known = core.db.call({
        let f = from.to_string();
        move |tx| Ok(chat_e2e::PinStore::pin(tx, &f)?.is_some())
    });
    if !known.await.unwrap_or(true) {
        // The engine holds the envelope (unknown peer); learn the key
        // meanwhile, then examine it again.
        learn_peer(core.clone(), from);
    }
    let focused = core.is_focused(from);
    let (e, f, env, id) = (
        engine.clone(),
        from.to_string(),
        envelope.clone(),
        msg_id.to_string(),
    );
    let outcome = core
        .db
        .call(move |tx| {
            let now = now_ms();
            let first_time = tx.mark_delivery_seen(&id, &f, now)?;
            let received = e
                .receive(tx, &f, &env, now)
                .map_err(|e| StoreError::Db(e.to_string()))?;
            if matches!(received, Received::Duplicate)
                && first_time
                && env.get("kind") == Some(&Value::from("msg"))
            {
                // Accepted before under another server id: not a lost ack
                // but a replay (by the server or someone who can inject).
                tracing::warn!(peer = %f, "a replayed envelope was dropped");
                let body = EventBody::Security {
                    user: f.clone(),
                    reason: SecurityReason::Replayed,
                };
                return Ok(Outcome::Done(vec![tx.append_event(&body, now)?]));
            }
            apply(tx, &e, &f, &id, &env, received, focused)
        })
        .await;
    settle(core, from, msg_id, outcome).await
}

/// What a receive led to, after its transaction committed.
enum Outcome {
    Done(Vec<Event>),
    NeedsKey(chat_e2e::UnwrapJob, Map<String, Value>),
    NewKey(Vec<Event>),
}

/// Commits the effect of one engine result inside the caller's transaction.
fn apply(
    tx: &mut Tx<'_>,
    engine: &chat_e2e::Engine,
    from: &str,
    msg_id: &str,
    env: &Map<String, Value>,
    r: Received,
    focused: bool,
) -> Result<Outcome, StoreError> {
    let now = now_ms();
    let mut events = Vec::new();
    match r {
        Received::Message(d) => apply_payload(
            tx,
            engine.username(),
            from,
            d.payload,
            now,
            focused,
            &mut events,
        )?,
        Received::SessionKey { .. } => return Ok(Outcome::NewKey(events)),
        Received::Pending(p) => {
            let envelope = serde_json::to_string(env).map_err(|e| StoreError::Db(e.to_string()))?;
            tx.pending_push(&PendingEnvelope {
                from: from.to_string(),
                server_msg_id: msg_id.to_string(),
                envelope,
                reason: serde_json::to_value(p.reason)
                    .ok()
                    .and_then(|v| v.as_str().map(String::from))
                    .unwrap_or_default(),
                key_id: Some(p.key_id),
                received_ms: now,
            })?;
        }
        Received::Security(reason) => {
            tracing::warn!(peer = %from, ?reason, "refused an envelope");
            let reason = api_reason(reason);
            events.push(tx.append_event(
                &EventBody::Security {
                    user: from.to_string(),
                    reason,
                },
                now,
            )?);
        }
        Received::Duplicate | Received::Ignored { .. } => {}
        Received::NeedsPrivateKey(job) => return Ok(Outcome::NeedsKey(job, env.clone())),
    }
    Ok(Outcome::Done(events))
}

fn apply_payload(
    tx: &mut Tx<'_>,
    me: &str,
    from: &str,
    payload: Payload,
    now: i64,
    focused: bool,
    events: &mut Vec<Event>,
) -> Result<(), StoreError> {
    match payload {
        Payload::Text(t) => {
            let message = Message {
                id: t.id.to_string(),
                from: from.to_string(),
                to: me.to_string(),
                text: t.text,
                ts: t.ts,
                direction: Direction::In,
                status: MessageStatus::Delivered,
            };
            if tx.insert_message(&message)? {
                let receipt = Payload::receipt(ReceiptStatus::Delivered, vec![t.id], now)
                    .map_err(|e| StoreError::Db(e.to_string()))?;
                queue(tx, from, &receipt, None, now)?;
                events.push(tx.append_event(&EventBody::Message { message, focused }, now)?);
            }
        }
        Payload::Receipt(r) => {
            let status = match r.status {
                ReceiptStatus::Delivered => MessageStatus::Delivered,
                ReceiptStatus::Read => MessageStatus::Read,
            };
            for id in r.ids {
                let id = id.to_string();
                // Only the recipient of a message may confirm it.
                let ours = tx
                    .message(&id)?
                    .is_some_and(|m| m.direction == Direction::Out && m.to == from);
                if ours && tx.set_status(&id, status)? {
                    events.push(tx.append_event(&EventBody::Receipt { id, status }, now)?);
                }
            }
        }
        _ => {}
    }
    Ok(())
}

/// Appends a payload to the outbox.
pub fn queue(
    tx: &mut Tx<'_>,
    peer: &str,
    payload: &Payload,
    message_id: Option<String>,
    now: i64,
) -> Result<i64, StoreError> {
    let bytes = payload
        .to_bytes()
        .map_err(|e| StoreError::Db(e.to_string()))?;
    let payload = String::from_utf8(bytes).map_err(|e| StoreError::Db(e.to_string()))?;
    tx.outbox_push(&OutboxItem {
        peer: peer.to_string(),
        payload,
        message_id,
        created_ms: now,
    })
}

/// Finishes what the transaction started: the RSA unwrap off the async
/// workers, events to frontends, receipts to the outbox. True when acked.
async fn settle(
    core: &Core,
    from: &str,
    msg_id: &str,
    outcome: Result<Outcome, StoreError>,
) -> bool {
    match outcome {
        Ok(Outcome::Done(events)) => {
            let any_message = events
                .iter()
                .any(|e| matches!(e.body, EventBody::Message { .. }));
            core.hub.announce(events);
            if any_message {
                core.outbox_kick.notify_one();
            }
            true
        }
        Ok(Outcome::NewKey(events)) => {
            core.hub.announce(events);
            Box::pin(retry_pending(core, from)).await;
            true
        }
        Ok(Outcome::NeedsKey(job, env)) => {
            let Ok(unwrapped) = tokio::task::spawn_blocking(move || job.run()).await else {
                return false;
            };
            let Ok(engine) = core.engine() else {
                return false;
            };
            let focused = core.is_focused(from);
            let (f, id) = (from.to_string(), msg_id.to_string());
            let outcome = core
                .db
                .call(move |tx| {
                    let r = engine
                        .finish_session_key(tx, unwrapped, now_ms())
                        .map_err(|e| StoreError::Db(e.to_string()))?;
                    apply(tx, &engine, &f, &id, &env, r, focused)
                })
                .await;
            Box::pin(settle(core, from, msg_id, outcome)).await
        }
        Err(e) => {
            tracing::error!(peer = %from, error = %e, "cannot process a delivery; it will come again");
            false
        }
    }
}

/// Retries the envelopes held for `peer` (after a new session key, a
/// trust, or a login).
pub async fn retry_pending(core: &Core, peer: &str) {
    let p = peer.to_string();
    let held = match core.db.call(move |tx| tx.pending_for(&p)).await {
        Ok(held) => held,
        Err(e) => {
            tracing::error!(error = %e, "cannot read held envelopes");
            return;
        }
    };
    for (id, held) in held {
        let Ok(envelope) = serde_json::from_str::<Map<String, Value>>(&held.envelope) else {
            let _ = core.db.call(move |tx| tx.pending_remove(id)).await;
            continue;
        };
        let Ok(engine) = core.engine() else { return };
        let focused = core.is_focused(peer);
        let (f, env, mid) = (peer.to_string(), envelope, held.server_msg_id.clone());
        let outcome = core
            .db
            .call(move |tx| {
                let r = engine
                    .receive(tx, &f, &env, now_ms())
                    .map_err(|e| StoreError::Db(e.to_string()))?;
                if matches!(r, Received::Pending(_)) {
                    return Ok(None);
                }
                tx.pending_remove(id)?;
                apply(tx, &engine, &f, &mid, &env, r, focused).map(Some)
            })
            .await;
        match outcome {
            Ok(None) => {}
            Ok(Some(o)) => {
                Box::pin(settle(core, peer, &held.server_msg_id, Ok(o))).await;
            }
            Err(e) => tracing::error!(error = %e, "cannot retry a held envelope"),
        }
    }
}

/// chat-e2e's refusal as the local API names it. Every reason chat-e2e has
/// is one chatd-api knows (see the test), so no frontend shows one of ours
/// as unknown.
fn api_reason(reason: chat_e2e::SecurityReason) -> SecurityReason {
    SecurityReason::from_code(reason.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_e2e_reason_is_a_known_api_reason() {
        use chat_e2e::SecurityReason as E;
        let all = [
            E::MalformedEnvelope,
            E::BadSignature,
            E::UnwrapFailed,
            E::BadTag,
            E::MalformedPayload,
            E::RetiredKey,
        ];
        for reason in all {
            // Exhaustive: a new chat-e2e reason does not compile here until
            // it is listed above (and then must be known to chatd-api).
            match reason {
                E::MalformedEnvelope
                | E::BadSignature
                | E::UnwrapFailed
                | E::BadTag
                | E::MalformedPayload
                | E::RetiredKey => {}
            }
            let api = api_reason(reason);
            assert!(!matches!(api, SecurityReason::Unknown(_)), "{reason:?}");
            assert_eq!(api.as_str(), reason.as_str());
        }
    }
}
