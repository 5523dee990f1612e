//! `subscribe` and `focus` (the CLI's `watch`; the TUI and GUI focus): what
//! a frontend connection sees of the event log, and which conversation it
//! shows. The connection layers get the event stream from here, so they
//! never reach the hub or the link themselves.

use chatd_api::{ApiError, Empty, EventKind, FocusParams, SubscribeParams, Subscribed};
use tokio::sync::watch;

use super::Caller;
use crate::core::Core;
use crate::link::LinkState;

pub use crate::hub::Subscription;

/// `subscribe`: the latest seq now, and a stream of every event after
/// `since` (or after now), in order, without gaps, the replayed ones
/// included. Only the kinds in `events` are passed on; without `events`
/// the v1 kinds ([`EventKind::V1`]), so a client written against
/// PROTOCOL.md §3 never meets an extension kind it did not ask for.
pub async fn subscribe(
    core: &Core,
    p: SubscribeParams,
) -> Result<(Subscribed, Subscription), ApiError> {
    let kinds = p.events.unwrap_or_else(|| EventKind::V1.to_vec());
    let (seq, sub) = core.hub().subscribe(p.since, Some(kinds)).await?;
    Ok((Subscribed { seq }, sub))
}

/// `focus`: records the conversation `caller` shows (`None` clears it);
/// a group is recorded by its id.
pub(super) async fn focus(core: &Core, caller: Caller, p: FocusParams) -> Result<Empty, ApiError> {
    let shown = match (p.peer, p.group) {
        (Some(_), Some(_)) => {
            return Err(ApiError::new(
                chatd_api::ErrorCode::InvalidParams,
                "give `peer` or `group`, not both",
            ));
        }
        (Some(peer), None) => Some(peer),
        (None, Some(group)) => {
            let row = core
                .db()
                .run(move |tx| crate::core::groups::resolve(tx, &group))
                .await
                .map_err(ApiError::from)?;
            Some(row.group_id.hyphenated().to_string())
        }
        (None, None) => None,
    };
    core.set_focus(caller, shown);
    Ok(Empty {})
}

/// Wakes on every change of the link's state, after which `status` may
/// answer differently; for the D-Bus properties.
pub fn link_changes(core: &Core) -> watch::Receiver<LinkState> {
    core.link().watch()
}
