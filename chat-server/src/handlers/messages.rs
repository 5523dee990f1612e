//! Store-and-forward: `send` answers only once the envelope is committed
//! (so `sent` survives a crash), then wakes the recipient's sessions;
//! `ack` deletes what the recipient confirms. The server never looks inside
//! an envelope.

use std::sync::Arc;

use chat_proto::validate::validate_username;
use chat_proto::wire::ErrorCode;
use chat_proto::{ServerMessage, now_ms};
use serde_json::{Map, Value};

use super::{Refusal, Reply, authed};
use crate::config::ms;
use crate::connection::session::Session;
use crate::context::Shared;
use crate::store::{Commit, NewMessage, Store, StoredMessage};

/// Ids one ack may carry.
const MAX_ACK_IDS: usize = 1_000;

pub(super) async fn send<S: Store>(
    sh: &Arc<Shared<S>>,
    s: &Session,
    to: String,
    envelope: Map<String, Value>,
) -> Reply {
    let queued = queue_send(sh, s, to, envelope).await?;
    queued.answer(sh).await
}

/// A `send` that holds its place in the commit order and waits for the
/// commit; the connection keeps reading meanwhile (pipelining).
#[derive(Debug)]
pub struct QueuedSend {
    to: String,
    commit: Commit<StoredMessage>,
}

impl QueuedSend {
    /// Waits for the commit, wakes the recipient's sessions and makes the
    /// answer: `sent` only once the envelope is durable.
    pub async fn answer<S: Store>(self, sh: &Shared<S>) -> Reply {
        let stored = self.commit.wait().await?;
        let queued = !sh.router.is_online(&self.to);
        sh.mail_committed(&self.to);
        Ok(Some(ServerMessage::Sent {
            msg_id: stored.msg_id,
            ts: stored.ts,
            queued,
        }))
    }
}

/// Checks a `send` and queues its envelope with the store; returns once
/// its place in the commit order is taken, so a later send from this
/// connection is committed after it (per-sender order).
pub async fn queue_send<S: Store>(
    sh: &Shared<S>,
    s: &Session,
    to: String,
    envelope: Map<String, Value>,
) -> Result<QueuedSend, Refusal> {
    let me = authed(s)?.username.clone();
    if validate_username(&to).is_err() {
        return Err(Refusal::new(
            ErrorCode::NoSuchUser,
            format!("no user named {to:?}"),
        ));
    }
    let envelope = serde_json::to_string(&envelope)
        .map_err(|_| Refusal::new(ErrorCode::BadRequest, "envelope could not be stored"))?;
    let now = now_ms();
    let commit = sh
        .store
        .enqueue_in_order(NewMessage {
            sender: me,
            recipient: to.clone(),
            envelope,
            ts: now,
            expires_at: now.saturating_add(ms(sh.config.message_ttl)),
            mailbox_limit: sh.config.mailbox_limit,
            sender_limit: sh.config.mailbox_per_sender,
        })
        .await?;
    Ok(QueuedSend { to, commit })
}

pub(super) async fn ack<S: Store>(sh: &Arc<Shared<S>>, s: &Session, msg_ids: Vec<String>) -> Reply {
    queue_ack(sh, s, msg_ids).await?.wait().await?;
    Ok(None)
}

/// Checks an `ack` and queues its deletes with the store; returns once
/// their place in the commit order is taken. An ack has no answer, so the
/// connection need not wait for the commit before it reads on.
pub async fn queue_ack<S: Store>(
    sh: &Shared<S>,
    s: &Session,
    msg_ids: Vec<String>,
) -> Result<Commit<()>, Refusal> {
    let me = authed(s)?.username.clone();
    if msg_ids.len() > MAX_ACK_IDS {
        return Err(Refusal::new(
            ErrorCode::BadRequest,
            format!("ack at most {MAX_ACK_IDS} ids at a time"),
        ));
    }
    Ok(sh.store.ack_in_order(&me, msg_ids).await?)
}
