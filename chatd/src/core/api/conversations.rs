//! `conversations` and `mark_read` (the CLI's `conversations` and `read`):
//! the list of conversations, and marking one read with read receipts.

use chat_e2e::{Payload, ReceiptStatus};
use chat_proto::now_ms;
use chatd_api::{
    ApiError, Conversation, Conversations, Empty, EventBody, MessageStatus, PeerParams,
};

use super::check_user;
use crate::core::inbound::queue;
use crate::core::{Core, from_store};
use crate::store::StoreError;

pub(super) async fn conversations(core: &Core) -> Result<Conversations, ApiError> {
    let rows = core
        .db
        .call(|tx| tx.conversations())
        .await
        .map_err(from_store)?;
    Ok(Conversations {
        conversations: rows
            .into_iter()
            .map(|r| Conversation {
                online: core.is_online(&r.peer),
                peer: r.peer,
                last: r.last,
                unread: r.unread,
            })
            .collect(),
    })
}

pub(super) async fn mark_read(core: &Core, p: PeerParams) -> Result<Empty, ApiError> {
    check_user(&p.peer)?;
    let peer = p.peer.clone();
    let now = now_ms();
    let events = core
        .db
        .call(move |tx| {
            let ids = tx.mark_read(&peer)?;
            let mut events = Vec::new();
            for id in &ids {
                events.push(tx.append_event(
                    &EventBody::Receipt {
                        id: id.clone(),
                        status: MessageStatus::Read,
                    },
                    now,
                )?);
            }
            let uuids: Vec<uuid::Uuid> = ids
                .iter()
                .filter_map(|i| uuid::Uuid::parse_str(i).ok())
                .collect();
            if !uuids.is_empty() {
                let receipt = Payload::receipt(ReceiptStatus::Read, uuids, now)
                    .map_err(|e| StoreError::Db(e.to_string()))?;
                queue(tx, &peer, &receipt, None, now)?;
            }
            Ok(events)
        })
        .await
        .map_err(from_store)?;
    core.hub.announce(events);
    core.outbox_kick.notify_one();
    Ok(Empty {})
}
