//! `conversations` and `mark_read` (the CLI's `conversations` and `read`):
//! the list of conversations with each peer's key trust, and marking one
//! read (up to what the frontend showed) with read receipts, unless the
//! person turned them off (`settings`).

use std::collections::HashMap;

use chat_e2e::{Payload, ReceiptStatus};
use chat_proto::now_ms;
use chatd_api::{
    ApiError, Conversation, Conversations, Direction, Empty, EventBody, MarkReadParams,
    MessageStatus,
};

use super::known::{Offline, check_peer};
use super::trust::trust_state;
use super::{chat, check_user};
use crate::core::outbound::queue;
use crate::core::{Core, CoreError};

pub(super) async fn conversations(core: &Core) -> Result<Conversations, ApiError> {
    let (rows, pins) = core
        .db()
        .call(|tx| Ok((tx.conversations()?, tx.pins()?)))
        .await?;
    let trust: HashMap<String, _> = pins
        .into_iter()
        .map(|p| (p.user.clone(), trust_state(p.state)))
        .collect();
    Ok(Conversations {
        conversations: rows
            .into_iter()
            .map(|r| Conversation {
                online: core.is_online(&r.peer),
                trust: trust.get(&r.peer).copied(),
                peer: r.peer,
                last: r.last,
                unread: r.unread,
            })
            .collect(),
    })
}

pub(super) async fn mark_read(core: &Core, p: MarkReadParams) -> Result<Empty, ApiError> {
    let peer = match chat(p.peer.as_deref(), p.group.as_deref(), "peer")? {
        chatd_api::Chat::Peer(peer) => peer,
        chatd_api::Chat::Group(group) => return mark_group_read(core, group, p.up_to).await,
    };
    check_user(&peer)?;
    check_peer(core, &peer, Offline::Refuse).await?;
    let now = now_ms();
    let events = core
        .db()
        .run(move |tx| {
            let up_to = match &p.up_to {
                None => None,
                Some(id) => match tx.message(id)? {
                    Some(m) if conversation_of(&m) == peer => Some((m.ts, m.id)),
                    _ => {
                        return Err(CoreError::InvalidInput(format!(
                            "no message with id {id:?} in the conversation with {peer}"
                        )));
                    }
                },
            };
            let ids = tx.mark_read(&peer, up_to.as_ref().map(|(ts, id)| (*ts, id.as_str())))?;
            let mut events = Vec::new();
            for id in &ids {
                events.push(tx.append_event(
                    &EventBody::Receipt {
                        id: id.clone(),
                        status: MessageStatus::Read,
                        user: None,
                        receipts: None,
                    },
                    now,
                )?);
            }
            let uuids: Vec<uuid::Uuid> = ids
                .iter()
                .filter_map(|i| uuid::Uuid::parse_str(i).ok())
                .collect();
            // With read receipts off the messages are read here only; they
            // are never reported later, since they are read now.
            if !uuids.is_empty() && tx.settings()?.read_receipts {
                let receipt = Payload::receipt(ReceiptStatus::Read, uuids, now)
                    .map_err(chat_e2e::E2eError::from)?;
                queue(tx, &peer, &receipt, None, now)?;
            }
            Ok::<_, CoreError>(events)
        })
        .await
        .map_err(ApiError::from)?;
    core.hub().announce(events);
    core.kick_outbox();
    Ok(Empty {})
}

/// `mark_read {group}`: the group's incoming messages (up to what the
/// frontend showed) become read, and each sender gets a read receipt for
/// theirs unless read receipts are off.
async fn mark_group_read(
    core: &Core,
    group: String,
    up_to: Option<String>,
) -> Result<Empty, ApiError> {
    let now = now_ms();
    let events = core
        .db()
        .run(move |tx| {
            let row = crate::core::groups::resolve(tx, &group)?;
            let gid = row.group_id.hyphenated().to_string();
            let up_to = match &up_to {
                None => None,
                Some(id) => match tx.message(id)? {
                    Some(m) if m.group.as_ref().is_some_and(|g| g.id == gid) => Some((m.ts, m.id)),
                    _ => {
                        return Err(CoreError::InvalidInput(format!(
                            "no message with id {id:?} in the group {}",
                            row.name
                        )));
                    }
                },
            };
            let read =
                tx.group_mark_read(&gid, up_to.as_ref().map(|(ts, id)| (*ts, id.as_str())))?;
            let mut events = Vec::new();
            let mut by_sender: std::collections::BTreeMap<String, Vec<uuid::Uuid>> =
                std::collections::BTreeMap::new();
            for (id, sender) in &read {
                events.push(tx.append_event(
                    &EventBody::Receipt {
                        id: id.clone(),
                        status: MessageStatus::Read,
                        user: None,
                        receipts: None,
                    },
                    now,
                )?);
                if let Ok(u) = uuid::Uuid::parse_str(id) {
                    by_sender.entry(sender.clone()).or_default().push(u);
                }
            }
            if tx.settings()?.read_receipts {
                for (sender, ids) in by_sender {
                    let receipt = Payload::receipt(ReceiptStatus::Read, ids, now)
                        .map_err(chat_e2e::E2eError::from)?;
                    queue(tx, &sender, &receipt, None, now)?;
                }
            }
            Ok::<_, CoreError>(events)
        })
        .await
        .map_err(ApiError::from)?;
    core.hub().announce(events);
    core.kick_outbox();
    Ok(Empty {})
}

/// The other side of a message's conversation.
fn conversation_of(m: &chatd_api::Message) -> &str {
    match m.direction {
        Direction::In => &m.from,
        Direction::Out => &m.to,
    }
}
