//! `typing`: a typing indicator for a 1:1 or group conversation; the rules
//! (coalescing, confirmed keys only, the setting) are in `core::typing`.

use chatd_api::{ApiError, Chat, ErrorCode, TypingParams, TypingSent};

use super::check_user;
use crate::core::Core;

pub(super) async fn typing(core: &Core, p: TypingParams) -> Result<TypingSent, ApiError> {
    let chat = Chat::from_params(p.peer.as_deref(), p.group.as_deref(), "peer")
        .map_err(|e| ApiError::new(ErrorCode::InvalidParams, e))?;
    if let Chat::Peer(peer) = &chat {
        check_user(peer)?;
    }
    let sent = crate::core::typing::send(core, chat).await?;
    Ok(TypingSent { sent })
}
