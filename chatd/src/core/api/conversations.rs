//! `conversations` and `mark_read` (the CLI's `conversations` and `read`):
//! the list of conversations, and marking one read with read receipts.

use chat_e2e::{Payload, ReceiptStatus};
use chat_proto::now_ms;
use chatd_api::{
    ApiError, Conversation, Conversations, Empty, EventBody, MessageStatus, PeerParams,
};

use super::check_user;
use crate::core::outbound::queue;
use crate::core::{Core, CoreError};

pub(super) async fn conversations(core: &Core) -> Result<Conversations, ApiError> {
    let rows = core.db().call(|tx| tx.conversations()).await?;
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
        .db()
        .run(move |tx| {
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
