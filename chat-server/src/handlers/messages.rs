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
use crate::store::{NewMessage, Store};

/// Ids one ack may carry.
const MAX_ACK_IDS: usize = 1_000;

pub(super) async fn send<S: Store>(
    sh: &Arc<Shared<S>>,
    s: &Session,
    to: String,
    envelope: Map<String, Value>,
) -> Reply {
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
    let stored = sh
        .store
        .enqueue(NewMessage {
            sender: me,
            recipient: to.clone(),
            envelope,
            ts: now,
            expires_at: now.saturating_add(ms(sh.config.message_ttl)),
            mailbox_limit: sh.config.mailbox_limit,
            sender_limit: sh.config.mailbox_per_sender,
        })
        .await?;
    let queued = !sh.router.is_online(&to);
    sh.router.mail_for(&to);
    Ok(Some(ServerMessage::Sent {
        msg_id: stored.msg_id,
        ts: stored.ts,
        queued,
    }))
}

pub(super) async fn ack<S: Store>(sh: &Arc<Shared<S>>, s: &Session, msg_ids: Vec<String>) -> Reply {
    let me = authed(s)?.username.clone();
    if msg_ids.len() > MAX_ACK_IDS {
        return Err(Refusal::new(
            ErrorCode::BadRequest,
            format!("ack at most {MAX_ACK_IDS} ids at a time"),
        ));
    }
    sh.store.ack(&me, &msg_ids).await?;
    Ok(None)
}
