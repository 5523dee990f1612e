//! The outbox pipeline: one task that takes queued payloads in order,
//! encrypts each to its peer at the moment it leaves (so a rotation or a
//! trusted new key applies to everything still queued), sends the
//! envelopes and only then removes the item. A crash between the server's
//! `sent` and the removal sends the message again; the recipient drops the
//! copy by its payload id, so nothing is lost and nothing is shown twice.
//! Consecutive one-to-one items leave as a run ([`super::runs`]): one
//! commit for their sequence numbers, one `send_multi`, one commit for
//! their removal, instead of three commits each.
//!
//! This module owns the outbox: appending to it ([`queue`]), the kick that
//! wakes the pipeline ([`Outbox`]), and the rules for what may leave.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use chat_e2e::{E2eError, Outgoing, Payload, PinStore};
use chat_proto::{ErrorCode as Wire, Request, ServerMessage, now_ms};
use chatd_api::{ConnectionState, EventBody, MessageStatus};
use tokio::sync::{Notify, watch};
use tokio_util::sync::CancellationToken;

use super::runs::Step;
use super::{Core, CoreError};
use crate::link::LinkError;
use crate::store::{OutboxItem, StoreError, Tx};

/// How often a blocked outbox (mailbox full, server busy) is retried.
const RETRY_EVERY: Duration = Duration::from_secs(30);

/// How long a note to ourselves waits for the after-login chores to say
/// whether the server still holds our own key, before it is queued
/// without knowing (it then leaves only once they have run).
const CHORES_WAIT: Duration = Duration::from_secs(10);

/// The outbox's runtime state: the kick that wakes the pipeline, and the
/// session whose after-login chores are done. Nothing leaves in a session
/// before its chores have run (our own key compared with the server's,
/// every pin re-checked), even when a new item kicks the pipeline while
/// they run. The items themselves are in the store.
pub struct Outbox {
    kick: Notify,
    /// [`crate::link::LinkState::session`] whose chores are done.
    ready: watch::Sender<u64>,
}

impl Outbox {
    /// An outbox nobody has kicked yet.
    pub fn new() -> Self {
        Self {
            kick: Notify::new(),
            ready: watch::Sender::new(0),
        }
    }

    /// Wakes the pipeline (a kick while it is busy is kept for later).
    pub fn kick(&self) {
        self.kick.notify_one();
    }

    /// The after-login chores of `session` are done: its items may leave.
    pub fn ready(&self, session: u64) {
        self.ready.send_if_modified(|done| {
            let newer = *done < session;
            if newer {
                *done = session;
            }
            newer
        });
    }

    /// Whether items may leave in `session`.
    fn is_ready(&self, session: u64) -> bool {
        session != 0 && *self.ready.borrow() == session
    }

    /// Waits (at most [`CHORES_WAIT`]) until the chores of `session` are
    /// done; true when they are.
    pub async fn chores_done(&self, session: u64) -> bool {
        let mut done = self.ready.subscribe();
        tokio::time::timeout(CHORES_WAIT, done.wait_for(|s| *s >= session))
            .await
            .is_ok_and(|r| r.is_ok())
    }
}

impl Default for Outbox {
    fn default() -> Self {
        Self::new()
    }
}

/// Appends a payload to the outbox, inside the caller's transaction.
pub fn queue(
    tx: &mut Tx<'_>,
    peer: &str,
    payload: &Payload,
    message_id: Option<String>,
    now: i64,
) -> Result<i64, CoreError> {
    let bytes = payload.to_bytes().map_err(E2eError::from)?;
    let payload = String::from_utf8(bytes)
        .map_err(|_| CoreError::Internal("an encoded payload is not UTF-8".into()))?;
    Ok(tx.outbox_push(&OutboxItem {
        peer: peer.to_string(),
        payload,
        message_id,
        created_ms: now,
        batch: None,
    })?)
}

/// What became of one item.
#[derive(Clone)]
pub(crate) enum Fate {
    /// Sent: remove it.
    Sent,
    /// Cannot ever be sent: remove it, mark the message failed.
    Failed(String),
    /// Not now (peer's key changed, mailbox full): keep it, try the next.
    Later,
    /// The link went away: stop until reconnected.
    Offline,
}

/// Runs until shutdown. The outbox is drained when kicked (a new item, a
/// trust, and the end of the after-login chores, which re-check every pin
/// first so nothing leaves for a peer whose key changed while we were
/// away), when the link changes, and [`RETRY_EVERY`] after a pass that
/// left items waiting (mailbox full, server busy); but only while logged
/// in and once this session's chores are done ([`Outbox::ready`]). An
/// empty or drained outbox sets no timer: an idle daemon is not woken for
/// it.
pub async fn run(core: Arc<Core>, shutdown: CancellationToken) {
    let mut state = core.link().watch();
    loop {
        let session = {
            let now = state.borrow_and_update();
            (now.conn == ConnectionState::LoggedIn).then_some(now.session)
        };
        let ready = session.is_some_and(|s| core.outbox.is_ready(s));
        let retry = ready && drain(&core).await == Pass::ItemsWait;
        tokio::select! {
            () = shutdown.cancelled() => return,
            () = core.outbox.kick.notified() => {}
            changed = state.changed() => if changed.is_err() { return },
            () = tokio::time::sleep(RETRY_EVERY), if retry => {}
        }
    }
}

/// How a pass over the outbox ended.
#[derive(PartialEq)]
enum Pass {
    /// Everything that could leave left; the rest waits for a kick or the
    /// link.
    Done,
    /// Some items must be tried again later (or the outbox could not be
    /// read).
    ItemsWait,
}

async fn drain(core: &Core) -> Pass {
    let items = match core.db().call(|tx| tx.outbox()).await {
        Ok(items) => items,
        Err(e) => {
            tracing::error!(error = %e, "cannot read the outbox");
            return Pass::ItemsWait;
        }
    };
    // A peer whose item must wait keeps all its later items waiting too, so
    // a peer never receives messages out of the order they were written.
    let mut waiting: HashSet<String> = HashSet::new();
    // Batches already handled in this pass (their items leave together).
    let mut batches_done: HashSet<String> = HashSet::new();
    // Items up to this index were handled by a run.
    let mut ran_until = 0;
    for (n, (id, item)) in items.iter().enumerate() {
        if n < ran_until || waiting.contains(&item.peer) {
            continue;
        }
        let fates = match &item.batch {
            None => {
                // This item and the one-to-one items right after it.
                let run: Vec<(i64, &OutboxItem)> = items[n..]
                    .iter()
                    .take_while(|(_, i)| i.batch.is_none())
                    .take(super::runs::MAX_RUN)
                    .filter(|(_, i)| !waiting.contains(&i.peer))
                    .map(|(id, i)| (*id, i))
                    .collect();
                if run.len() < 2 {
                    vec![(*id, item, send_one(core, item).await)]
                } else {
                    ran_until = n + items[n..]
                        .iter()
                        .take_while(|(_, i)| i.batch.is_none())
                        .take(super::runs::MAX_RUN)
                        .count();
                    match send_direct_run(core, &run, &mut waiting).await {
                        Some(fates) => fates,
                        None => return Pass::Done,
                    }
                }
            }
            Some(batch) => {
                if !batches_done.insert(batch.clone()) {
                    continue;
                }
                // This item and the later ones of its batch whose peer
                // does not wait (the batch's items are consecutive).
                let members: Vec<(i64, &OutboxItem)> = items[n..]
                    .iter()
                    .filter(|(_, i)| i.batch.as_ref() == Some(batch) && !waiting.contains(&i.peer))
                    .map(|(id, i)| (*id, i))
                    .collect();
                let refs: Vec<&OutboxItem> = members.iter().map(|(_, i)| *i).collect();
                let fates = super::groups::fanout::send_batch(core, &refs).await;
                // Crash tests stop here: the server stored the copies and
                // the items are not removed yet (D15: sent again, dropped
                // by payload id).
                crate::failpoint::pause("group-fanout-sent").await;
                members
                    .into_iter()
                    .zip(fates)
                    .map(|((id, i), f)| (id, i, f))
                    .collect()
            }
        };
        for (id, item, fate) in fates {
            match fate {
                Fate::Sent => finish(core, id, item, MessageStatus::Sent).await,
                Fate::Failed(why) => {
                    tracing::warn!(peer = %item.peer, "message cannot be sent: {why}");
                    finish(core, id, item, MessageStatus::Failed).await;
                }
                Fate::Later => {
                    waiting.insert(item.peer.clone());
                }
                Fate::Offline => return Pass::Done,
            }
        }
    }
    if waiting.is_empty() {
        Pass::Done
    } else {
        Pass::ItemsWait
    }
}

/// A run of one-to-one items sent together ([`super::runs`]), then the
/// items it left alone one by one; the fates still to apply (a run
/// removes what it sent itself). `None` when the link went away.
async fn send_direct_run<'a>(
    core: &Core,
    run: &[(i64, &'a OutboxItem)],
    waiting: &mut HashSet<String>,
) -> Option<Vec<(i64, &'a OutboxItem, Fate)>> {
    let mut one_by_one = Vec::new();
    for (&(id, item), step) in run.iter().zip(super::runs::send_run(core, run).await) {
        match step {
            Step::Done => {}
            Step::Later => {
                waiting.insert(item.peer.clone());
            }
            Step::Offline => return None,
            Step::Untouched => one_by_one.push((id, item)),
        }
    }
    let mut fates = Vec::new();
    for (id, item) in one_by_one {
        if waiting.contains(&item.peer) {
            continue;
        }
        let fate = send_one(core, item).await;
        let offline = matches!(fate, Fate::Offline);
        if matches!(fate, Fate::Later) {
            waiting.insert(item.peer.clone());
        }
        fates.push((id, item, fate));
        if offline {
            break;
        }
    }
    Some(fates)
}

async fn finish(core: &Core, id: i64, item: &OutboxItem, status: MessageStatus) {
    let item = item.clone();
    let now = now_ms();
    let result = core
        .db()
        .call(move |tx| finish_in(tx, id, &item, status, now))
        .await;
    match result {
        Ok(events) => core.hub().announce(events),
        Err(e) => tracing::error!(error = %e, "cannot update the outbox"),
    }
}

/// Removes a sent (or failed) item and moves its message's status,
/// inside the caller's transaction; the events to announce once committed.
pub(crate) fn finish_in(
    tx: &mut Tx<'_>,
    id: i64,
    item: &OutboxItem,
    status: MessageStatus,
    now: i64,
) -> Result<Vec<chatd_api::Event>, StoreError> {
    tx.outbox_remove(id)?;
    let mut events = Vec::new();
    if item.batch.is_some() {
        // One member's copy of a group message: its receipt, and the
        // aggregate.
        if let Some(mid) = &item.message_id
            && tx.group_receipt_set(mid, &item.peer, status)?
        {
            events.push(tx.append_event(&group_receipt(tx, mid, &item.peer)?, now)?);
        }
        return Ok(events);
    }
    if let Some(mid) = &item.message_id
        && tx.set_status(mid, status)?
    {
        let body = EventBody::Receipt {
            id: mid.clone(),
            status,
            user: None,
            receipts: None,
        };
        events.push(tx.append_event(&body, now)?);
    }
    Ok(events)
}

/// The `receipt` event of a group message after `member`'s status moved:
/// the aggregate status and the receipts now.
pub fn group_receipt(tx: &Tx<'_>, message_id: &str, member: &str) -> Result<EventBody, StoreError> {
    let (receipts, status) = tx.group_receipts(message_id)?;
    Ok(EventBody::Receipt {
        id: message_id.to_string(),
        status,
        user: Some(member.to_string()),
        receipts: Some(receipts),
    })
}

/// What a failure to pin `peer`'s key means for an item to them.
pub(crate) fn pin_fate(e: CoreError, peer: &str) -> Fate {
    match e {
        CoreError::Link(LinkError::Server {
            code: Wire::NoSuchUser,
            ..
        }) => Fate::Failed(format!("{peer} does not exist")),
        CoreError::Link(LinkError::Offline | LinkError::NotLoggedIn) => Fate::Offline,
        _ => Fate::Later,
    }
}

async fn send_one(core: &Core, item: &OutboxItem) -> Fate {
    let Ok(payload) = Payload::from_bytes(item.payload.as_bytes()) else {
        return Fate::Failed("the queued payload is unreadable".into());
    };
    if let Err(e) = core.ensure_pin(&item.peer).await {
        return pin_fate(e, &item.peer);
    }
    let envelopes = match encrypt(core, &item.peer, &payload).await {
        Ok(envs) => envs,
        Err(CoreError::E2e(E2eError::PeerKeyChanged(_))) => return Fate::Later,
        Err(e) => return Fate::Failed(e.to_string()),
    };
    for envelope in envelopes {
        let request = Request::Send {
            to: item.peer.clone(),
            envelope: envelope.to_json(),
        };
        match core.link().request(request).await {
            Ok(ServerMessage::Sent { .. }) => {}
            Ok(other) => return Fate::Failed(format!("unexpected answer {other:?}")),
            Err(LinkError::Offline | LinkError::NotLoggedIn) => return Fate::Offline,
            Err(LinkError::Server {
                code: Wire::NoSuchUser,
                ..
            }) => {
                return Fate::Failed(format!("{} does not exist", item.peer));
            }
            Err(LinkError::Server {
                code: Wire::MailboxFull | Wire::ServerBusy | Wire::RateLimited,
                ..
            }) => {
                return Fate::Later;
            }
            Err(e) => return Fate::Failed(e.to_string()),
        }
    }
    Fate::Sent
}

/// Encrypts with the engine; a new session key is made on the blocking
/// pool (RSA), then installed in the store.
pub(crate) async fn encrypt(
    core: &Core,
    peer: &str,
    payload: &Payload,
) -> Result<Vec<chat_e2e::Envelope>, CoreError> {
    let engine = core.engine()?;
    for _ in 0..3 {
        let (e, p, pl) = (engine.clone(), peer.to_string(), payload.clone());
        let outgoing = core
            .db()
            .run(move |tx| Ok::<_, CoreError>(e.encrypt(tx, &p, &pl, now_ms())?))
            .await?;
        match outgoing {
            Outgoing::Ready(envelopes) => return Ok(envelopes),
            Outgoing::NeedsSessionKey(job) => {
                let made = tokio::task::spawn_blocking(move || job.run())
                    .await
                    .map_err(|e| CoreError::Internal(format!("key job failed: {e}")))??;
                let e = engine.clone();
                core.db()
                    .run(move |tx| Ok::<_, CoreError>(e.install_sending_key(tx, made, now_ms())?))
                    .await?;
            }
        }
    }
    Err(E2eError::NoSendingKey(peer.to_string()).into())
}

/// Whether a peer's pin is `changed` (sending is blocked until `trust`).
pub async fn peer_blocked(core: &Core, peer: &str) -> Result<bool, StoreError> {
    let p = peer.to_string();
    let pin = core.db().call(move |tx| Ok(PinStore::pin(tx, &p)?)).await?;
    Ok(pin.is_some_and(|p| p.state == chat_e2e::PinState::Changed))
}
