//! The inbound pipeline: one task that takes what the server pushes, in the
//! order it arrives. A delivered envelope is decrypted and its effect (a new
//! message, a receipt, a held envelope) committed in one transaction with
//! the engine's own state; only then is it acked, so a crash at any point
//! means the server delivers it again and the duplicate is dropped.
//! Deliveries already waiting when one is taken are handled with it: each
//! still in its own transaction, but queued together so that they share
//! one commit (one fsync, not one per message) and one `ack`.
//!
//! Nothing in this loop waits on the server: a response can only be read
//! after the pushes queued before it, so a loop that awaited one while
//! thousands of deliveries filled its queue would deadlock. Work that
//! needs the network (fetching a key, watching, the after-login chores)
//! runs in tasks of its own; an envelope from a peer whose key is not
//! known yet is held and examined again once the key arrives.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use chat_e2e::{Payload, ReceiptStatus, Received};
use chat_proto::{ServerMessage, now_ms};
use chatd_api::{Direction, EventBody, Message, MessageStatus, SecurityReason};
use serde_json::{Map, Value};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::groups::receive::{self as group_rx, Ctx, Effects};
use super::outbound::{group_receipt, queue};
use super::unstored::{Delivery, Unstored};
use super::{Core, CoreError};
use crate::link::LinkEvent;
use crate::store::{PendingEnvelope, StoredFile, Tx};

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
    let mut unstored = Unstored::default();
    // An event taken from the queue while gathering a batch of deliveries.
    let mut next: Option<LinkEvent> = None;
    loop {
        let due = unstored.due();
        let event = if let Some(event) = next.take() {
            event
        } else {
            tokio::select! {
            () = shutdown.cancelled() => return,
            Some(peer) = learned.recv() => {
                retry_pending(&core, &peer).await;
                continue;
            }
            () = sleep_until(due), if due.is_some() => {
                retry_unstored(&core, &mut unstored).await;
                continue;
            }
            e = events.recv() => match e { Some(e) => e, None => return },
            }
        };
        match event {
            LinkEvent::LoggedIn { user, session } => {
                // The new session delivers everything unacked again.
                unstored.clear();
                // Bound here, before the next delivery is looked at.
                match core.bind_account(&user) {
                    Ok(()) => {
                        tokio::spawn(logged_in(core.clone(), user, session));
                    }
                    Err(e) => tracing::error!("{e}"),
                }
            }
            LinkEvent::Push(ServerMessage::Deliver {
                msg_id,
                from,
                envelope,
                ..
            }) => {
                let mut batch = vec![Delivery {
                    msg_id,
                    from,
                    envelope,
                }];
                // Behind deliveries waiting for storage, to keep the order.
                if unstored.is_empty() {
                    // What the server pushed meanwhile joins the batch.
                    while batch.len() < MAX_BATCH {
                        match events.try_recv() {
                            Ok(LinkEvent::Push(ServerMessage::Deliver {
                                msg_id,
                                from,
                                envelope,
                                ..
                            })) => batch.push(Delivery {
                                msg_id,
                                from,
                                envelope,
                            }),
                            Ok(other) => {
                                next = Some(other);
                                break;
                            }
                            Err(_) => break,
                        }
                    }
                    let done = deliver_batch(&core, &batch).await;
                    let stored: Vec<String> = batch.drain(..done).map(|d| d.msg_id).collect();
                    if !stored.is_empty() {
                        core.link().ack(stored).await;
                    }
                }
                for d in batch {
                    unstored.push(d);
                }
            }
            // Never stored, never acked: only typing indicators travel so.
            LinkEvent::Push(ServerMessage::DeliverEphemeral { from, envelope, .. }) => {
                super::typing::received(&core, &from, &envelope).await;
            }
            LinkEvent::Push(ServerMessage::Presence {
                username, online, ..
            }) => {
                core.set_online(&username, online);
                let _ = core
                    .hub()
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

/// Tries the deliveries that could not be stored, oldest first, acking
/// each once stored; stops at the first that still fails.
async fn retry_unstored(core: &Arc<Core>, unstored: &mut Unstored) {
    while let Some(d) = unstored.front() {
        if deliver_batch(core, std::slice::from_ref(d)).await == 0 {
            unstored.later();
            return;
        }
        core.link().ack(vec![d.msg_id.clone()]).await;
        unstored.pop();
    }
}

/// Sleeps until `due` (never returns for `None`; the branch is disabled).
async fn sleep_until(due: Option<tokio::time::Instant>) {
    match due {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// After login or resume (the account is bound already): pin our own key
/// and compare it with the server's, watch every peer (and ourselves, to
/// hear of a login to our account with another key), re-check every
/// pinned key, examine held envelopes again, then let the outbox go.
async fn logged_in(core: Arc<Core>, user: String, session: u64) {
    if let Err(e) = core.pin_own_key().await {
        tracing::error!(error = %e, "cannot pin our own key");
    }
    let peers = core.db().call(|tx| tx.peers()).await.unwrap_or_default();
    let mut watched: Vec<String> = peers.into_iter().filter(|p| *p != user).collect();
    watched.push(user.clone());
    core.watch(watched).await;
    if let Err(e) = core.check_own_key().await {
        tracing::warn!(error = %e, "our own key on the server");
    }
    if let Err(e) = core.refresh_pins().await {
        tracing::warn!(error = %e, "cannot re-check the pinned keys");
    }
    for sender in core
        .db()
        .call(|tx| tx.pending_peers())
        .await
        .unwrap_or_default()
    {
        core.learn_peer(&sender);
    }
    super::groups::change::finish_pending(&core).await;
    retry_group_held(&core).await;
    core.outbox.ready(session);
    core.kick_outbox();
}

/// Most deliveries handled, and acked, together.
const MAX_BATCH: usize = 64;

/// What one job of a batch did.
enum Step {
    /// Received; `known` says whether the sender's key was pinned.
    Ran { known: bool, outcome: Outcome },
    /// Not run: a delivery before it did not end in [`Outcome::Done`].
    Skipped,
}

/// Handles deliveries in arrival order, each in its own transaction but
/// queued together so that they share one commit (the store's group
/// commit): one fsync for a burst instead of one per message. Returns how
/// many, from the front, are stored and may be acked; the rest wait.
///
/// A job runs only while every job before it in its round ended in
/// `Done`: after a failure, later ones would be stored out of order; after
/// a session key to unwrap (off this thread), later ones may need the key.
/// Those are skipped, doing nothing, and queued again once it is settled.
async fn deliver_batch(core: &Arc<Core>, batch: &[Delivery]) -> usize {
    let mut done = 0;
    while done < batch.len() {
        let Ok(engine) = core.engine() else {
            return done;
        };
        let snap = Arc::new(core.snapshot());
        let go_on = Arc::new(AtomicBool::new(true));
        let mut queued = Vec::with_capacity(batch.len() - done);
        for d in &batch[done..] {
            let job = receive_job(&engine, d, &snap, &go_on);
            match core.db().submit(job).await {
                Ok(s) => queued.push(s),
                Err(e) => {
                    // The store is closing; what was queued still counts.
                    tracing::debug!(error = %e, "cannot queue a delivery");
                    break;
                }
            }
        }
        if queued.is_empty() {
            return done;
        }
        for (d, job) in batch[done..].iter().zip(queued) {
            let outcome = match job.answer().await {
                Ok(Step::Skipped) => break,
                Ok(Step::Ran { known, outcome }) => {
                    if !known {
                        // The engine held the envelope (unknown peer):
                        // learn the key, then examine it again.
                        core.learn_peer(&d.from);
                    }
                    Ok(outcome)
                }
                Err(e) => Err(e),
            };
            if !settle(core, &d.from, &d.msg_id, outcome).await {
                return done;
            }
            done += 1;
        }
    }
    done
}

/// The transaction that receives `d`, as one job of a batch.
fn receive_job(
    engine: &chat_e2e::Engine,
    d: &Delivery,
    snap: &Arc<Snapshot>,
    go_on: &Arc<AtomicBool>,
) -> impl FnOnce(&mut Tx<'_>) -> Result<Step, CoreError> + Send + 'static {
    let (e, f, env, id) = (
        engine.clone(),
        d.from.clone(),
        d.envelope.clone(),
        d.msg_id.clone(),
    );
    let (snap, go_on) = (snap.clone(), go_on.clone());
    move |tx| {
        // Cleared until this one ends in `Done` (a panic leaves it so).
        if !go_on.swap(false, Ordering::AcqRel) {
            return Ok(Step::Skipped);
        }
        let known = chat_e2e::PinStore::pin(tx, &f)
            .map_err(crate::store::StoreError::from)?
            .is_some();
        let outcome = receive(tx, &e, &f, &id, &env, &snap)?;
        if matches!(outcome, Outcome::Done(_)) {
            go_on.store(true, Ordering::Release);
        }
        Ok(Step::Ran { known, outcome })
    }
}

/// Receives one delivered envelope inside the caller's transaction.
fn receive(
    tx: &mut Tx<'_>,
    e: &chat_e2e::Engine,
    f: &str,
    id: &str,
    env: &Map<String, Value>,
    snap: &Snapshot,
) -> Result<Outcome, CoreError> {
    let now = now_ms();
    let first_time = tx.mark_delivery_seen(id, f, now)?;
    let received = e.receive(tx, f, env, now)?;
    if matches!(received, Received::Duplicate)
        && first_time
        && env.get("kind") == Some(&Value::from("msg"))
    {
        // Accepted before under another server id: not a lost ack but a
        // replay (by the server or someone who can inject).
        tracing::warn!(peer = %f, "a replayed envelope was dropped");
        let body = EventBody::Security {
            user: f.to_owned(),
            reason: SecurityReason::Replayed,
            group: None,
        };
        return Ok(Outcome::Done(Effects {
            events: vec![tx.append_event(&body, now)?],
            ..Effects::default()
        }));
    }
    apply(tx, e, f, id, env, received, snap)
}

/// What a receive led to, after its transaction committed.
enum Outcome {
    Done(Effects),
    /// A session key to unwrap. `held` is the row of the held envelope it
    /// came from: that row is deleted only in the transaction that stores
    /// the key, so a crash in between loses nothing.
    NeedsKey {
        job: chat_e2e::UnwrapJob,
        env: Map<String, Value>,
        held: Option<i64>,
    },
    NewKey(Effects),
}

/// What a transaction of this pipeline needs to know of the runtime:
/// presence and the conversations frontends show, taken just before it.
pub(crate) struct Snapshot {
    online: super::groups::Online,
    focus: std::collections::HashSet<String>,
}

impl Core {
    /// Presence and focus now, for a transaction of the inbound pipeline.
    pub(crate) fn snapshot(&self) -> Snapshot {
        Snapshot {
            online: self.online_now(),
            focus: self.focused_now(),
        }
    }
}

/// Commits the effect of one engine result inside the caller's transaction.
fn apply(
    tx: &mut Tx<'_>,
    engine: &chat_e2e::Engine,
    from: &str,
    msg_id: &str,
    env: &Map<String, Value>,
    r: Received,
    snap: &Snapshot,
) -> Result<Outcome, CoreError> {
    let now = now_ms();
    let mut fx = Effects::default();
    match r {
        Received::Message(d) => {
            let focused = |k: &str| snap.focus.contains(k);
            let cx = Ctx {
                me: engine.username(),
                online: &snap.online,
                focused: &focused,
                now,
            };
            apply_payload(tx, &cx, from, d.payload, &mut fx)?;
        }
        Received::SessionKey { .. } => return Ok(Outcome::NewKey(fx)),
        Received::Pending(p) => {
            let envelope = serde_json::to_string(env)
                .map_err(|e| CoreError::Internal(format!("cannot encode an envelope: {e}")))?;
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
            fx.events.push(tx.append_event(
                &EventBody::Security {
                    user: from.to_string(),
                    reason,
                    group: None,
                },
                now,
            )?);
        }
        Received::Duplicate | Received::Ignored { .. } => {}
        Received::NeedsPrivateKey(job) => {
            return Ok(Outcome::NeedsKey {
                job,
                env: env.clone(),
                held: None,
            });
        }
    }
    Ok(Outcome::Done(fx))
}

fn apply_payload(
    tx: &mut Tx<'_>,
    cx: &Ctx<'_>,
    from: &str,
    payload: Payload,
    fx: &mut Effects,
) -> Result<(), CoreError> {
    let now = cx.now;
    let events = &mut fx.events;
    match payload {
        Payload::Text(t) => direct(tx, cx, from, t.id, t.ts, t.text, None, fx)?,
        Payload::File(f) => {
            let stored = StoredFile::received(&f.file);
            let caption = f.file.caption.unwrap_or_default();
            direct(tx, cx, from, f.id, f.ts, caption, Some(stored), fx)?;
        }
        Payload::Receipt(r) => {
            let status = match r.status {
                ReceiptStatus::Delivered => MessageStatus::Delivered,
                ReceiptStatus::Read => MessageStatus::Read,
            };
            for id in r.ids {
                let id = id.to_string();
                if tx.message_group(&id)?.is_some() {
                    // A group message: only one of its recipients may
                    // confirm it, for themselves (D15).
                    let ours = tx
                        .message(&id)?
                        .is_some_and(|m| m.direction == Direction::Out);
                    if ours && tx.group_receipt_set(&id, from, status)? {
                        events.push(tx.append_event(&group_receipt(tx, &id, from)?, now)?);
                    }
                    continue;
                }
                // Only the recipient of a message may confirm it.
                let ours = tx
                    .message(&id)?
                    .is_some_and(|m| m.direction == Direction::Out && m.to == from);
                if ours && tx.set_status(&id, status)? {
                    let body = EventBody::Receipt {
                        id,
                        status,
                        user: None,
                        receipts: None,
                    };
                    events.push(tx.append_event(&body, now)?);
                }
            }
        }
        // Group payloads (PROTOCOL.md §4.1, D15).
        Payload::GroupText(t) => group_rx::on_text(tx, cx, from, t, fx)?,
        Payload::GroupState(p) => group_rx::on_state(tx, cx, from, p, fx)?,
        Payload::GroupStateRequest(r) => group_rx::on_request(tx, cx, from, r)?,
        Payload::Typing(_) | Payload::Unknown { .. } => {}
        Payload::GroupFile(f) => group_rx::on_file(tx, cx, from, f, fx)?,
    }
    Ok(())
}

/// A text or file from `from` to us: into the history once (a duplicate
/// changes nothing), a `delivered` receipt back, an event. A file is only
/// announced: nothing is downloaded until someone asks (D18).
#[allow(clippy::too_many_arguments)]
fn direct(
    tx: &mut Tx<'_>,
    cx: &Ctx<'_>,
    from: &str,
    id: uuid::Uuid,
    ts: i64,
    text: String,
    file: Option<StoredFile>,
    fx: &mut Effects,
) -> Result<(), CoreError> {
    let message = Message {
        id: id.to_string(),
        from: from.to_string(),
        to: cx.me.to_string(),
        text,
        ts,
        direction: Direction::In,
        status: MessageStatus::Delivered,
        group: None,
        receipts: None,
        file: file.as_ref().map(StoredFile::info),
    };
    if tx.insert_message(&message)? {
        if let Some(file) = &file {
            tx.set_message_file(&message.id, file)?;
        }
        let receipt = Payload::receipt(ReceiptStatus::Delivered, vec![id], cx.now)
            .map_err(chat_e2e::E2eError::from)?;
        queue(tx, from, &receipt, None, cx.now)?;
        let focused = (cx.focused)(from);
        fx.events
            .push(tx.append_event(&EventBody::Message { message, focused }, cx.now)?);
    }
    Ok(())
}

/// Finishes what the transaction started: the RSA unwrap off the async
/// workers, events to frontends, receipts to the outbox. True when acked.
async fn settle(
    core: &Arc<Core>,
    from: &str,
    msg_id: &str,
    outcome: Result<Outcome, CoreError>,
) -> bool {
    match outcome {
        Ok(Outcome::Done(fx)) => {
            effects(core, fx);
            // A receipt or a group payload to send may have been queued.
            core.kick_outbox();
            true
        }
        Ok(Outcome::NewKey(fx)) => {
            effects(core, fx);
            Box::pin(retry_pending(core, from)).await;
            true
        }
        Ok(Outcome::NeedsKey { job, env, held }) => {
            let Ok(unwrapped) = tokio::task::spawn_blocking(move || job.run()).await else {
                return false;
            };
            let Ok(engine) = core.engine() else {
                return false;
            };
            if held.is_some() {
                crate::failpoint::pause("held-key-unwrapped").await;
            }
            let snap = core.snapshot();
            let (f, id) = (from.to_string(), msg_id.to_string());
            let outcome = core
                .db()
                .run(move |tx| {
                    if let Some(row) = held {
                        tx.pending_remove(row)?;
                    }
                    let r = engine.finish_session_key(tx, unwrapped, now_ms())?;
                    apply(tx, &engine, &f, &id, &env, r, &snap)
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

/// Announces what a committed transaction led to, and starts the key
/// fetches it asked for.
fn effects(core: &Arc<Core>, fx: Effects) {
    core.hub().announce(fx.events);
    if fx.accepted {
        core.group_accepted();
    }
    for user in fx.learn {
        core.learn_peer(&user);
    }
}

/// Examines the held group payloads again (after a key arrived, a trust,
/// or a login; expired ones are dropped).
pub async fn retry_group_held(core: &Arc<Core>) {
    let Some(me) = core.account() else { return };
    let snap = core.snapshot();
    let outcome = core
        .db()
        .run(move |tx| {
            let focused = |k: &str| snap.focus.contains(k);
            let cx = Ctx {
                me: &me,
                online: &snap.online,
                focused: &focused,
                now: now_ms(),
            };
            let mut fx = Effects::default();
            group_rx::reexamine(tx, &cx, &mut fx)?;
            Ok::<_, CoreError>(fx)
        })
        .await;
    match outcome {
        Ok(fx) => {
            effects(core, fx);
            core.kick_outbox();
        }
        Err(e) => tracing::error!(error = %e, "cannot examine held group payloads"),
    }
}

/// Retries the envelopes held for `peer` (after a new session key, a
/// trust, or a login), then the group payloads held.
pub async fn retry_pending(core: &Arc<Core>, peer: &str) {
    retry_held_envelopes(core, peer).await;
    retry_group_held(core).await;
}

async fn retry_held_envelopes(core: &Arc<Core>, peer: &str) {
    let p = peer.to_string();
    let held = match core.db().call(move |tx| tx.pending_for(&p)).await {
        Ok(held) => held,
        Err(e) => {
            tracing::error!(error = %e, "cannot read held envelopes");
            return;
        }
    };
    for (id, held) in held {
        let Ok(envelope) = serde_json::from_str::<Map<String, Value>>(&held.envelope) else {
            let _ = core.db().call(move |tx| tx.pending_remove(id)).await;
            continue;
        };
        let Ok(engine) = core.engine() else { return };
        let snap = core.snapshot();
        let (f, env, mid) = (peer.to_string(), envelope, held.server_msg_id.clone());
        let outcome = core
            .db()
            .run(move |tx| {
                let r = engine.receive(tx, &f, &env, now_ms())?;
                match r {
                    Received::Pending(_) => Ok(None),
                    // Kept until the key is stored (see `Outcome::NeedsKey`).
                    Received::NeedsPrivateKey(job) => Ok(Some(Outcome::NeedsKey {
                        job,
                        env,
                        held: Some(id),
                    })),
                    r => {
                        tx.pending_remove(id)?;
                        apply(tx, &engine, &f, &mid, &env, r, &snap).map(Some)
                    }
                }
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
            E::FileTooLarge,
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
                | E::RetiredKey
                | E::FileTooLarge => {}
            }
            let api = api_reason(reason);
            assert!(!matches!(api, SecurityReason::Unknown(_)), "{reason:?}");
            assert_eq!(api.as_str(), reason.as_str());
        }
    }
}
