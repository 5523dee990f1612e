//! A payload to several members (a group message, a new group state):
//! queued as one outbox item per member sharing a `batch`, so that each
//! member's copy is removed once the server stored it and only the
//! members whose copy failed wait for the next try; and sent as
//! `send_multi` frames of at most 256 items and 1 MiB, every member's envelopes
//! (its `session_key` when needed, then the `msg`) together in one frame
//! and in the order they were queued (§4.5).

use chat_e2e::{E2eError, Envelope, Payload};
use chat_proto::wire::{MultiItem, MultiOutcome};
use chat_proto::{ErrorCode as Wire, Request, ServerMessage};

use crate::core::outbound::{Fate, encrypt, pin_fate};
use crate::core::{Core, CoreError};
use crate::link::LinkError;
use crate::store::{OutboxItem, Tx};

/// Items per `send_multi` (§4.5).
pub const MAX_ITEMS: usize = 256;

/// Bytes the items of one `send_multi` may take: the 1 MiB frame cap
/// (§1.2) less room for the request around them. A fan-out of a 64 KiB
/// text is some 90 KB per member, so a frame of 256 items could be 20 MB.
const MAX_FRAME_BYTES: usize = chat_proto::codec::MAX_FRAME_POST_AUTH as usize - 4 * 1024;

/// What one item adds to a frame besides its envelope: `{"to":..,
/// "envelope":..}`, the name and the separators (names are short, §0).
const ITEM_OVERHEAD: usize = 128;

/// Queues `payload` to each of `to`, inside the caller's transaction, as
/// one batch named `batch`.
pub fn queue_fanout(
    tx: &mut Tx<'_>,
    to: &[String],
    payload: &Payload,
    message_id: Option<&str>,
    batch: &str,
    now: i64,
) -> Result<(), CoreError> {
    let bytes = payload.to_bytes().map_err(E2eError::from)?;
    let payload = String::from_utf8(bytes)
        .map_err(|_| CoreError::Internal("an encoded payload is not UTF-8".into()))?;
    for peer in to {
        tx.outbox_push(&OutboxItem {
            peer: peer.clone(),
            payload: payload.clone(),
            message_id: message_id.map(str::to_string),
            created_ms: now,
            batch: Some(batch.to_string()),
        })?;
    }
    Ok(())
}

/// Sends the items of one batch (all the same payload); answers a fate
/// per item, in the order given.
pub(crate) async fn send_batch(core: &Core, items: &[&OutboxItem]) -> Vec<Fate> {
    let mut fates: Vec<Option<Fate>> = items.iter().map(|_| None).collect();
    let Some(first) = items.first() else {
        return Vec::new();
    };
    let Ok(payload) = Payload::from_bytes(first.payload.as_bytes()) else {
        return items
            .iter()
            .map(|_| Fate::Failed("the queued payload is unreadable".into()))
            .collect();
    };
    // A group message goes only to members of the state held now: one
    // removed since it was written gets nothing after its removal, and
    // nobody gets anything once we left or were removed ourselves.
    let me = core.account().unwrap_or_default();
    let members = match &payload {
        Payload::GroupText(t) => {
            let gid = t.group_id;
            match core.db().call(move |tx| tx.group_held(gid)).await {
                Ok(held) => Some(
                    held.filter(|h| h.state().is_member(&me))
                        .map(|h| h.state().members().clone())
                        .unwrap_or_default(),
                ),
                Err(e) => {
                    tracing::error!(error = %e, "cannot read a group");
                    return items.iter().map(|_| Fate::Later).collect();
                }
            }
        }
        _ => None,
    };
    let mut sealed: Vec<(usize, Vec<Envelope>)> = Vec::new();
    for (i, item) in items.iter().enumerate() {
        if let Some(m) = &members
            && !m.contains(&item.peer)
        {
            fates[i] = Some(Fate::Failed(format!(
                "{} is not in the group now",
                item.peer
            )));
            continue;
        }
        if let Err(e) = core.ensure_pin(&item.peer).await {
            let fate = pin_fate(e, &item.peer);
            if matches!(fate, Fate::Offline) {
                return items.iter().map(|_| Fate::Offline).collect();
            }
            fates[i] = Some(fate);
            continue;
        }
        match encrypt(core, &item.peer, &payload).await {
            Ok(envs) => sealed.push((i, envs)),
            Err(CoreError::E2e(E2eError::PeerKeyChanged(_))) => fates[i] = Some(Fate::Later),
            Err(e) => fates[i] = Some(Fate::Failed(e.to_string())),
        }
    }
    let peers: Vec<&str> = items.iter().map(|i| i.peer.as_str()).collect();
    if send_sealed(core, &peers, sealed, &mut fates).await.is_err() {
        return items.iter().map(|_| Fate::Offline).collect();
    }
    fates
        .into_iter()
        .map(|f| f.unwrap_or(Fate::Later))
        .collect()
}

/// Sends sealed envelopes (owner index, its envelopes in order) as
/// `send_multi` frames, in order, and records each owner's fate in
/// `fates` (the worst of its envelopes'). `peers[i]` is owner i's
/// recipient. An owner whose recipient had an envelope refused in an
/// earlier frame is not sent in a later one (it waits, `Later`), so a
/// peer never receives messages out of the order they were queued.
/// `Err` when the link went away: nothing more was sent.
pub(crate) async fn send_sealed(
    core: &Core,
    peers: &[&str],
    sealed: Vec<(usize, Vec<Envelope>)>,
    fates: &mut [Option<Fate>],
) -> Result<(), LinkError> {
    let mut stopped: std::collections::HashSet<&str> = std::collections::HashSet::new();
    for frame in frames(sealed) {
        let frame: Vec<(usize, Envelope)> = frame
            .into_iter()
            .filter(|(i, _)| {
                let held = stopped.contains(peers[*i]);
                if held {
                    fates[*i] = Some(Fate::Later);
                }
                !held
            })
            .collect();
        if frame.is_empty() {
            continue;
        }
        let owners: Vec<usize> = frame.iter().map(|(i, _)| *i).collect();
        let messages: Vec<MultiItem> = frame
            .into_iter()
            .map(|(i, env)| MultiItem {
                to: peers[i].to_string(),
                envelope: serde_json::Value::Object(env.to_json()),
            })
            .collect();
        let answer = core
            .link()
            .request(Request::SendMulti {
                messages,
                ephemeral: false,
            })
            .await;
        match answer {
            Ok(ServerMessage::SentMulti { results, .. }) if results.len() == owners.len() => {
                for (owner, result) in owners.iter().zip(results) {
                    let fate = match result.outcome {
                        MultiOutcome::Sent { .. } => Fate::Sent,
                        MultiOutcome::Failed { error } => item_fate(error.code, peers[*owner]),
                    };
                    // The worst outcome of a member's envelopes wins.
                    fates[*owner] = Some(match fates[*owner].take() {
                        None | Some(Fate::Sent) => fate,
                        Some(worse) => worse,
                    });
                }
            }
            Ok(other) => {
                for o in owners {
                    fates[o] = Some(Fate::Failed(format!("unexpected answer {other:?}")));
                }
            }
            Err(LinkError::Offline | LinkError::NotLoggedIn) => return Err(LinkError::Offline),
            Err(LinkError::Server {
                code: Wire::MailboxFull | Wire::ServerBusy | Wire::RateLimited,
                ..
            }) => {
                for o in owners {
                    fates[o] = Some(Fate::Later);
                }
            }
            Err(e) => {
                for o in owners {
                    fates[o] = Some(Fate::Failed(e.to_string()));
                }
            }
        }
        for (i, fate) in fates.iter().enumerate() {
            if matches!(fate, Some(Fate::Later | Fate::Failed(_))) && i < peers.len() {
                stopped.insert(peers[i]);
            }
        }
    }
    Ok(())
}

/// The fate of one refused item of `send_multi`.
fn item_fate(code: Wire, peer: &str) -> Fate {
    match code {
        Wire::NoSuchUser => Fate::Failed(format!("{peer} does not exist")),
        Wire::BadRequest => Fate::Failed(format!("the server refused the copy for {peer}")),
        _ => Fate::Later,
    }
}

/// Splits the sealed envelopes into frames of at most [`MAX_ITEMS`] and
/// [`MAX_FRAME_BYTES`], never splitting one member's envelopes, in order.
fn frames(sealed: Vec<(usize, Vec<Envelope>)>) -> Vec<Vec<(usize, Envelope)>> {
    let mut out: Vec<Vec<(usize, Envelope)>> = Vec::new();
    let mut frame: Vec<(usize, Envelope)> = Vec::new();
    let mut bytes = 0;
    for (i, envs) in sealed {
        let size: usize = envs
            .iter()
            .map(|e| serde_json::to_vec(&e.to_json()).map_or(0, |v| v.len()) + ITEM_OVERHEAD)
            .sum();
        if !frame.is_empty()
            && (frame.len() + envs.len() > MAX_ITEMS || bytes + size > MAX_FRAME_BYTES)
        {
            out.push(std::mem::take(&mut frame));
            bytes = 0;
        }
        bytes += size;
        frame.extend(envs.into_iter().map(|e| (i, e)));
    }
    if !frame.is_empty() {
        out.push(frame);
    }
    out
}
