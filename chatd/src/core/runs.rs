//! Consecutive one-to-one outbox items leave together. Sent one by one,
//! each item waited for three commits in a row (its sequence number in
//! the store, the server's `sent`, its removal), each with an fsync, so
//! a backlog drained at a few dozen messages a second however fast the
//! rest of the daemon was. A run is encrypted in one transaction, sent as
//! `send_multi` frames (§4.5: one server commit per frame) and removed in
//! one transaction: the same three commits for the whole run. The order
//! per peer and the guarantees of [`super::outbound`] are unchanged: the
//! sequence numbers are durable before anything leaves, and an item is
//! removed only after the server stored it.

use chat_e2e::{Outgoing, Payload};
use chat_proto::now_ms;
use chatd_api::MessageStatus;

use super::groups::fanout::send_sealed;
use super::outbound::{Fate, finish_in, pin_fate};
use super::{Core, CoreError};
use crate::store::OutboxItem;

/// Most items in one run.
pub const MAX_RUN: usize = 64;

/// What became of one item of a run.
pub(crate) enum Step {
    /// Sent (or failed for good) and removed from the outbox.
    Done,
    /// Must wait (its peer's key changed, the mailbox is full...): the
    /// peer's later items wait too.
    Later,
    /// The link went away.
    Offline,
    /// Left alone: the caller sends it one by one, after this run.
    Untouched,
}

/// Sends `items` (one-to-one, in outbox order) together and removes what
/// was sent. Items from the first one that needs a new sending key on
/// are left alone ([`Step::Untouched`]), as are all of them when the
/// run cannot be encrypted in one go: the one-by-one path handles those.
pub(crate) async fn send_run(core: &Core, items: &[(i64, &OutboxItem)]) -> Vec<Step> {
    let mut fates: Vec<Option<Fate>> = items.iter().map(|_| None).collect();
    let mut payloads = Vec::with_capacity(items.len());
    // The fate of each peer whose key could not be pinned.
    let mut unpinned: Vec<(&str, Option<Fate>)> = Vec::new();
    for (i, (_, item)) in items.iter().enumerate() {
        let Ok(payload) = Payload::from_bytes(item.payload.as_bytes()) else {
            fates[i] = Some(Fate::Failed("the queued payload is unreadable".into()));
            continue;
        };
        let peer = item.peer.as_str();
        let refused = match unpinned.iter().find(|(p, _)| *p == peer) {
            Some((_, fate)) => fate.clone(),
            None => {
                let fate = match core.ensure_pin(peer).await {
                    Ok(()) => None,
                    Err(e) => Some(pin_fate(e, peer)),
                };
                if matches!(fate, Some(Fate::Offline)) {
                    return items.iter().map(|_| Step::Offline).collect();
                }
                unpinned.push((peer, fate.clone()));
                fate
            }
        };
        match refused {
            None => payloads.push((i, item.peer.clone(), payload)),
            fate => fates[i] = fate,
        }
    }
    let Ok(engine) = core.engine() else {
        return untouched(fates);
    };
    // Every sequence number of the run in one commit; stops before the
    // first item that needs a new sending key (RSA work, which the
    // one-by-one path does off this task).
    let sealed = core
        .db()
        .run(move |tx| {
            let mut sealed = Vec::new();
            for (i, peer, payload) in payloads {
                match engine.encrypt(tx, &peer, &payload, now_ms())? {
                    Outgoing::Ready(envs) => sealed.push((i, envs)),
                    Outgoing::NeedsSessionKey(_) => break,
                }
            }
            Ok::<_, CoreError>(sealed)
        })
        .await;
    let sealed = match sealed {
        Ok(sealed) if !sealed.is_empty() => sealed,
        // Nothing encrypted: the one-by-one path tells the errors apart.
        _ => return untouched(fates),
    };
    let peers: Vec<&str> = items.iter().map(|(_, i)| i.peer.as_str()).collect();
    if send_sealed(core, &peers, sealed, &mut fates).await.is_err() {
        return items.iter().map(|_| Step::Offline).collect();
    }
    // Removed, with their statuses moved, in one commit.
    let done: Vec<(i64, OutboxItem, MessageStatus)> = items
        .iter()
        .zip(&fates)
        .filter_map(|((id, item), fate)| match fate {
            Some(Fate::Sent) => Some((*id, (*item).clone(), MessageStatus::Sent)),
            Some(Fate::Failed(why)) => {
                tracing::warn!(peer = %item.peer, "message cannot be sent: {why}");
                Some((*id, (*item).clone(), MessageStatus::Failed))
            }
            _ => None,
        })
        .collect();
    let now = now_ms();
    let finished = core
        .db()
        .call(move |tx| {
            let mut events = Vec::new();
            for (id, item, status) in &done {
                events.extend(finish_in(tx, *id, item, *status, now)?);
            }
            Ok(events)
        })
        .await;
    match finished {
        Ok(events) => core.hub().announce(events),
        // Still queued: sent again later, dropped as a copy by the
        // recipient (payload id), as after a crash.
        Err(e) => tracing::error!(error = %e, "cannot update the outbox"),
    }
    fates
        .into_iter()
        .map(|f| match f {
            Some(Fate::Sent | Fate::Failed(_)) => Step::Done,
            Some(Fate::Later) => Step::Later,
            Some(Fate::Offline) => Step::Offline,
            None => Step::Untouched,
        })
        .collect()
}

/// Nothing was sent: items already judged (unreadable, unpinned) keep
/// their fate, the rest are left to the one-by-one path.
fn untouched(fates: Vec<Option<Fate>>) -> Vec<Step> {
    fates
        .into_iter()
        .map(|f| match f {
            Some(Fate::Later) => Step::Later,
            Some(Fate::Offline) => Step::Offline,
            // A failure is re-judged (and finished) one by one.
            _ => Step::Untouched,
        })
        .collect()
}
