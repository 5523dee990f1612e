//! `send`, `history`, `message` and `search`: one message into the outbox,
//! and reads of the stored history.

use chat_e2e::Payload;
use chatd_api::{
    ApiError, Chat, ConnectionState, Direction, ErrorCode, EventBody, GroupRef, HistoryParams,
    Message, MessageParams, MessageStatus, Messages, OneMessage, SearchParams, SendParams, Sent,
};

use super::groups::member_of;
use super::known::{Offline, check_peer};
use super::{chat, check_user, invalid};
use crate::core::groups::fanout::queue_fanout;
use crate::core::groups::resolve;
use crate::core::outbound::{peer_blocked, queue};
use crate::core::{Core, CoreError};

/// Longest message text accepted, in bytes: chatd-api's
/// [`MAX_TEXT_BYTES`](chatd_api::domain::MAX_TEXT_BYTES), which frontends
/// check before sending.
pub const MAX_TEXT: usize = chatd_api::domain::MAX_TEXT_BYTES;
// A group message has the same limit (PROTOCOL.md §4.1), checked by
// chat-e2e when it decodes one.
const _: () = assert!(MAX_TEXT == chat_e2e::payload::MAX_TEXT_BYTES);
/// Largest page of history or search results.
const MAX_PAGE: u32 = 500;

pub(super) async fn send(core: &Core, p: SendParams) -> Result<Sent, ApiError> {
    let conversation = chat(p.to.as_deref(), p.group.as_deref(), "to")?;
    if let Chat::Peer(to) = &conversation {
        check_user(to)?;
    }
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
    let to = match conversation {
        Chat::Peer(to) => to,
        Chat::Group(group) => return send_group(core, &me, &group, p.text).await,
    };
    let logged_in = ready_peer(core, &to, &me).await?;
    let now = core.next_send_ts();
    let payload = Payload::text(p.text.clone(), now).map_err(|e| invalid(e.to_string()))?;
    let id = payload.id().map(|u| u.to_string()).unwrap_or_default();
    let message = Message {
        id: id.clone(),
        from: me,
        to: to.clone(),
        text: p.text,
        ts: now,
        direction: Direction::Out,
        status: MessageStatus::Sending,
        group: None,
        receipts: None,
        file: None,
    };
    let mid = id.clone();
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

/// Whether something may be written to `to` now (the user exists, as far
/// as can be known; the key is pinned when online; a changed key was
/// accepted); answers whether chatd is logged in (else it waits in the
/// outbox).
pub(super) async fn ready_peer(core: &Core, to: &str, me: &str) -> Result<bool, ApiError> {
    check_peer(core, to, Offline::Queue).await?;
    let logged_in = core.link().state().conn == ConnectionState::LoggedIn;
    if logged_in {
        // First contact: learn (and pin) the key now, so a typo is
        // reported at once rather than as a failed message later.
        core.ensure_pin(to).await?;
    }
    if to == me {
        // Right after a login or resume the comparison of our own key with
        // the server's may still be running: its answer decides.
        if logged_in {
            core.chores_done().await;
        }
        if let Some(refused) = core.own_key_mismatch() {
            return Err(refused.into());
        }
    }
    if peer_blocked(core, to).await? {
        return Err(CoreError::from(chat_e2e::E2eError::PeerKeyChanged(to.to_string())).into());
    }
    Ok(logged_in)
}

/// `send {group}`: one `group_text` to every other member of the state
/// held, as one outbox batch (D15).
async fn send_group(core: &Core, me: &str, group: &str, text: String) -> Result<Sent, ApiError> {
    let gid = member_of(core, group, me).await?;
    let logged_in = core.link().state().conn == ConnectionState::LoggedIn;
    let now = core.next_send_ts();
    let me = me.to_string();
    let (id, events) = core
        .db()
        .run(move |tx| {
            let held = tx
                .group_held(gid)?
                .filter(|h| h.state().is_member(&me))
                .ok_or_else(|| {
                    CoreError::NotGroupMember("you are not a member of this group".into())
                })?;
            let s = held.state();
            let to: Vec<String> = s.members().iter().filter(|m| **m != me).cloned().collect();
            let payload = Payload::group_text(gid, s.version(), text.clone(), now)
                .map_err(|e| CoreError::InvalidInput(e.to_string()))?;
            let id = payload.id().map(|u| u.to_string()).unwrap_or_default();
            let gid_text = gid.hyphenated().to_string();
            let mut message = Message {
                id: id.clone(),
                from: me.clone(),
                to: gid_text.clone(),
                text,
                ts: now,
                direction: Direction::Out,
                // With nobody else in the group there is nothing to send.
                status: if to.is_empty() {
                    MessageStatus::Sent
                } else {
                    MessageStatus::Sending
                },
                group: Some(GroupRef {
                    id: gid_text,
                    name: s.name().to_string(),
                }),
                receipts: None,
                file: None,
            };
            tx.insert_message(&message)?;
            tx.group_receipts_init(&id, &to)?;
            queue_fanout(tx, &to, &payload, Some(&id), &id, now)?;
            tx.fill_group(&mut message)?;
            let event = tx.append_event(
                &EventBody::Message {
                    message,
                    focused: false,
                },
                now,
            )?;
            Ok::<_, CoreError>((id, vec![event]))
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
    let peer = match chat(p.peer.as_deref(), p.group.as_deref(), "peer")? {
        Chat::Peer(peer) => peer,
        Chat::Group(group) => {
            let messages = core
                .db()
                .run(move |tx| {
                    let row = resolve(tx, &group)?;
                    let gid = row.group_id.hyphenated().to_string();
                    Ok::<_, CoreError>(tx.group_history(&gid, limit, p.before)?)
                })
                .await
                .map_err(ApiError::from)?;
            return Ok(Messages {
                messages,
                notices: Vec::new(),
            });
        }
    };
    check_user(&peer)?;
    check_peer(core, &peer, Offline::Refuse).await?;
    let (messages, notices) = core
        .db()
        .call(move |tx| {
            let messages = tx.history(&peer, limit, p.before)?;
            // The notices inside this page's window: up to `before`, and
            // back to the oldest message shown unless the page reaches
            // the start of the conversation.
            let reaches_start = u32::try_from(messages.len()).unwrap_or(u32::MAX) < limit;
            let from = match messages.first() {
                Some(oldest) if !reaches_start => Some(oldest.ts),
                _ => None,
            };
            let notices = tx.notices(&peer, from, p.before)?;
            Ok((messages, notices))
        })
        .await?;
    Ok(Messages { messages, notices })
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
    if p.group.is_some() {
        let Chat::Group(group) = chat(p.peer.as_deref(), p.group.as_deref(), "peer")? else {
            return Err(invalid("give `peer` or `group`, not both"));
        };
        let messages = core
            .db()
            .run(move |tx| {
                let row = resolve(tx, &group)?;
                let gid = row.group_id.hyphenated().to_string();
                Ok::<_, CoreError>(tx.search_group(&p.query, &gid, limit)?)
            })
            .await
            .map_err(ApiError::from)?;
        return Ok(Messages {
            messages,
            notices: Vec::new(),
        });
    }
    if let Some(peer) = &p.peer {
        check_user(peer)?;
        check_peer(core, peer, Offline::Refuse).await?;
    }
    let messages = core
        .db()
        .call(move |tx| tx.search(&p.query, p.peer.as_deref(), limit))
        .await?;
    Ok(Messages {
        messages,
        notices: Vec::new(),
    })
}
