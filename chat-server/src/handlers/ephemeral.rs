//! Ephemeral sends (PROTOCOL.md §4.5): an envelope passed to the
//! recipient's live sessions at once and forgotten. Nothing is stored, so
//! nothing counts towards a mailbox and nothing waits for an ack; a
//! recipient with no live session simply misses it (`delivered: false`).
//! Because they cost the server no disk, they are what a flood would use:
//! each connection may make a few a second (`Config::ephemeral_per_second`).

use std::sync::Arc;
use std::time::Instant;

use chat_proto::validate::validate_username;
use chat_proto::wire::ErrorCode;
use chat_proto::{ServerMessage, now_ms};
use serde_json::{Map, Value};

use super::{Refusal, Reply, authed, rate_limited};
use crate::connection::session::Session;
use crate::context::Shared;
use crate::store::Store;

/// What became of one ephemeral envelope.
pub(super) struct PassedOn {
    /// The id its `deliver` carried (never stored, never to be acked).
    pub msg_id: String,
    /// A live session of the recipient took it.
    pub delivered: bool,
}

/// Counts one ephemeral request against the connection's allowance.
pub(super) fn admit(s: &mut Session) -> Result<(), Refusal> {
    s.ephemeral
        .admit(Instant::now())
        .map_err(|wait| rate_limited(wait, "too many ephemeral sends on this connection"))
}

/// `send` with `ephemeral: true`.
pub(super) async fn send<S: Store>(
    sh: &Arc<Shared<S>>,
    s: &mut Session,
    to: String,
    envelope: Map<String, Value>,
) -> Reply {
    let me = authed(s)?.username.clone();
    admit(s)?;
    if validate_username(&to).is_err() {
        return Err(no_such_user(&to));
    }
    let ts = now_ms();
    let passed = pass_on(sh, &me, &to, ts, envelope).await?;
    Ok(Some(ServerMessage::SentEphemeral {
        msg_id: passed.msg_id,
        ts,
        delivered: passed.delivered,
    }))
}

/// Hands one envelope to every live session of `to` that has room for it.
/// A name nobody is logged in as is looked up, so that a user who does not
/// exist is `no_such_user` as for a stored send.
pub(super) async fn pass_on<S: Store>(
    sh: &Shared<S>,
    from: &str,
    to: &str,
    ts: i64,
    envelope: Map<String, Value>,
) -> Result<PassedOn, Refusal> {
    let msg_id = uuid::Uuid::new_v4().to_string();
    let frame = ServerMessage::DeliverEphemeral {
        msg_id: msg_id.clone(),
        from: from.to_string(),
        ts,
        envelope,
    };
    let delivered = sh.router.pass_on(to, &frame);
    if !delivered && !sh.store.user_exists(to).await? {
        return Err(no_such_user(to));
    }
    Ok(PassedOn { msg_id, delivered })
}

pub(super) fn no_such_user(to: &str) -> Refusal {
    Refusal::new(ErrorCode::NoSuchUser, format!("no user named {to:?}"))
}
