//! `send`, `history`, `message` and `search`: one message into the outbox,
//! and reads of the stored history.

use chat_e2e::Payload;
use chatd_api::{
    ApiError, ConnectionState, Direction, ErrorCode, EventBody, HistoryParams, Message,
    MessageParams, MessageStatus, Messages, OneMessage, SearchParams, SendParams, Sent,
};

use super::{check_user, invalid};
use crate::core::outbound::{peer_blocked, queue};
use crate::core::{Core, CoreError};

/// Longest message text accepted, in bytes (the envelope must fit the
/// server's 1 MiB frame with room to spare).
pub const MAX_TEXT: usize = 64 * 1024;
/// Largest page of history or search results.
const MAX_PAGE: u32 = 500;

pub(super) async fn send(core: &Core, p: SendParams) -> Result<Sent, ApiError> {
    check_user(&p.to)?;
    if p.text.trim().is_empty() {
        return Err(invalid("the message is empty"));
    }
    if p.text.len() > MAX_TEXT {
        return Err(invalid(format!(
            "the message is {} bytes; at most {MAX_TEXT} are allowed",
            p.text.len()
        )));
    }
    let me = core
        .account()
        .ok_or_else(|| ApiError::new(ErrorCode::NotLoggedIn, "sign up or log in first"))?;
    let logged_in = core.link().state().conn == ConnectionState::LoggedIn;
    if logged_in {
        // First contact: learn (and pin) the key now, so a typo is
        // reported at once rather than as a failed message later.
        core.ensure_pin(&p.to).await?;
    }
    if p.to == me
        && let Some(refused) = core.own_key_mismatch()
    {
        return Err(refused.into());
    }
    if peer_blocked(core, &p.to).await? {
        return Err(CoreError::from(chat_e2e::E2eError::PeerKeyChanged(p.to.clone())).into());
    }
    let now = core.next_send_ts();
    let payload = Payload::text(p.text.clone(), now).map_err(|e| invalid(e.to_string()))?;
    let id = payload.id().map(|u| u.to_string()).unwrap_or_default();
    let message = Message {
        id: id.clone(),
        from: me,
        to: p.to.clone(),
        text: p.text,
        ts: now,
        direction: Direction::Out,
        status: MessageStatus::Sending,
    };
    let (to, mid) = (p.to.clone(), id.clone());
    let events = core
        .db()
        .run(move |tx| {
            tx.insert_message(&message)?;
            queue(tx, &to, &payload, Some(mid), now)?;
            Ok::<_, CoreError>(vec![tx.append_event(
                &EventBody::Message {
                    message,
                    focused: false,
                },
                now,
            )?])
        })
        .await
        .map_err(ApiError::from)?;
    core.hub().announce(events);
    core.kick_outbox();
    Ok(Sent {
        id,
        queued: !logged_in,
    })
}

pub(super) async fn history(core: &Core, p: HistoryParams) -> Result<Messages, ApiError> {
    let limit = p.limit.unwrap_or(50).clamp(1, MAX_PAGE);
    let messages = core
        .db()
        .call(move |tx| tx.history(&p.peer, limit, p.before))
        .await?;
    Ok(Messages { messages })
}

pub(super) async fn message(core: &Core, p: MessageParams) -> Result<OneMessage, ApiError> {
    let id = p.id.clone();
    let found = core.db().call(move |tx| tx.message(&id)).await?;
    found
        .map(|message| OneMessage { message })
        .ok_or_else(|| invalid(format!("no message with id {:?}", p.id)))
}

pub(super) async fn search(core: &Core, p: SearchParams) -> Result<Messages, ApiError> {
    if p.query.trim().is_empty() {
        return Err(invalid("the search query is empty"));
    }
    let limit = p.limit.unwrap_or(50).clamp(1, MAX_PAGE);
    let messages = core
        .db()
        .call(move |tx| tx.search(&p.query, p.peer.as_deref(), limit))
        .await?;
    Ok(Messages { messages })
}
