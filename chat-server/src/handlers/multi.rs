//! `send_multi` (PROTOCOL.md §4.5): a group message is one envelope per
//! member, sent in one request and stored in one transaction, with one
//! result per item. What can be decided without the store (the name, the
//! envelope's shape) is decided here; the store refuses items over a
//! mailbox limit or to users who do not exist, each on its own, and only a
//! failure of the whole transaction makes the request fail (nothing
//! stored). Ephemeral batches store nothing and go through `ephemeral`.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use chat_proto::validate::validate_username;
use chat_proto::wire::{ErrorCode, ItemError, MultiItem, MultiOutcome, MultiResult};
use chat_proto::{ServerMessage, now_ms};
use serde_json::{Map, Value};

use super::ephemeral::{self, no_such_user};
use super::{Refusal, Reply, authed};
use crate::config::ms;
use crate::connection::session::Session;
use crate::context::Shared;
use crate::store::{NewMessage, Store, StoreError};

/// Items one `send_multi` may carry.
pub const MAX_ITEMS: usize = 256;

pub(super) async fn send_multi<S: Store>(
    sh: &Arc<Shared<S>>,
    s: &mut Session,
    messages: Vec<MultiItem>,
    ephemeral: bool,
) -> Reply {
    let me = authed(s)?.username.clone();
    if messages.is_empty() || messages.len() > MAX_ITEMS {
        return Err(Refusal::new(
            ErrorCode::BadRequest,
            format!(
                "send_multi carries 1 to {MAX_ITEMS} messages, not {}; split a larger fan-out \
                 into consecutive requests",
                messages.len()
            ),
        ));
    }
    if ephemeral {
        ephemeral::admit(s)?;
    }
    let ts = now_ms();
    let results = if ephemeral {
        pass_on_all(sh, &me, ts, messages).await?
    } else {
        store_all(sh, &me, ts, messages).await?
    };
    Ok(Some(ServerMessage::SentMulti { ts, results }))
}

/// The checks of one item that need no store: a valid name, an object.
fn check(item: &MultiItem) -> Result<&Map<String, Value>, Refusal> {
    if validate_username(&item.to).is_err() {
        return Err(no_such_user(&item.to));
    }
    item.envelope.as_object().ok_or_else(|| {
        Refusal::new(
            ErrorCode::BadRequest,
            "the envelope is not a JSON object; this item was not sent",
        )
    })
}

fn refused(refusal: Refusal) -> MultiOutcome {
    MultiOutcome::Failed {
        error: ItemError {
            code: refusal.code,
            message: refusal.message,
        },
    }
}

fn failed(to: String, refusal: Refusal) -> MultiResult {
    MultiResult {
        to,
        outcome: refused(refusal),
    }
}

async fn store_all<S: Store>(
    sh: &Shared<S>,
    me: &str,
    ts: i64,
    messages: Vec<MultiItem>,
) -> Result<Vec<MultiResult>, Refusal> {
    let mut outcomes: Vec<Option<MultiOutcome>> = Vec::with_capacity(messages.len());
    let mut batch = Vec::new();
    let mut slots = Vec::new();
    for (i, item) in messages.iter().enumerate() {
        let envelope = check(item).and_then(|e| {
            serde_json::to_string(e)
                .map_err(|_| Refusal::new(ErrorCode::BadRequest, "envelope could not be stored"))
        });
        match envelope {
            Ok(envelope) => {
                outcomes.push(None);
                slots.push(i);
                batch.push(NewMessage {
                    sender: me.to_string(),
                    recipient: item.to.clone(),
                    envelope,
                    ts,
                    expires_at: ts.saturating_add(ms(sh.config.message_ttl)),
                    mailbox_limit: sh.config.mailbox_limit,
                    sender_limit: sh.config.mailbox_per_sender,
                });
            }
            Err(refusal) => outcomes.push(Some(refused(refusal))),
        }
    }
    let stored = sh.store.enqueue_many(batch).await?;
    let mut woken = BTreeSet::new();
    for (i, result) in slots.into_iter().zip(stored) {
        let to = &messages[i].to;
        outcomes[i] = Some(match result {
            Ok(msg) => {
                woken.insert(to.as_str());
                MultiOutcome::Sent {
                    msg_id: msg.msg_id,
                    queued: !sh.router.is_online(to),
                    delivered: None,
                }
            }
            Err(StoreError::NoSuchUser) => refused(no_such_user(to)),
            Err(e) => refused(Refusal::from(e)),
        });
    }
    for user in woken {
        sh.mail_committed(user);
    }
    Ok(messages
        .into_iter()
        .zip(outcomes)
        .map(|(item, outcome)| MultiResult {
            to: item.to,
            outcome: outcome.unwrap_or_else(|| {
                refused(Refusal::new(
                    ErrorCode::Internal,
                    "this item was not stored",
                ))
            }),
        })
        .collect())
}

async fn pass_on_all<S: Store>(
    sh: &Shared<S>,
    me: &str,
    ts: i64,
    messages: Vec<MultiItem>,
) -> Result<Vec<MultiResult>, Refusal> {
    let mut results = Vec::with_capacity(messages.len());
    // A name found missing once is not looked up again in this request.
    let mut missing: HashMap<String, bool> = HashMap::new();
    for item in messages {
        let envelope = match check(&item) {
            Ok(envelope) => envelope.clone(),
            Err(refusal) => {
                results.push(failed(item.to, refusal));
                continue;
            }
        };
        if missing.get(&item.to) == Some(&true) {
            let refusal = no_such_user(&item.to);
            results.push(failed(item.to, refusal));
            continue;
        }
        match ephemeral::pass_on(sh, me, &item.to, ts, envelope).await {
            Ok(passed) => {
                missing.insert(item.to.clone(), false);
                results.push(MultiResult {
                    to: item.to,
                    outcome: MultiOutcome::Sent {
                        msg_id: passed.msg_id,
                        queued: false,
                        delivered: Some(passed.delivered),
                    },
                });
            }
            Err(refusal) if refusal.code == ErrorCode::NoSuchUser => {
                missing.insert(item.to.clone(), true);
                results.push(failed(item.to, refusal));
            }
            Err(refusal) => return Err(refusal),
        }
    }
    Ok(results)
}
