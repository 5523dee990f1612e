//! What a change of trust in a peer's key leaves behind, written in the
//! transaction that changes the pin so neither can exist without the
//! other: a `trust` event for frontends (docs/PROTOCOL.md D9) and, for
//! the changes a person should see in the conversation (the key changed,
//! was accepted, was verified), a notice that `history` returns in the
//! timeline.

use chatd_api::{Event, EventBody, Notice, NoticeKind, TrustState};

use crate::store::{StoreError, Tx};

/// Records that `user`'s key (the one with `fingerprint`) is now in
/// `state`, with the notice `notice` when a person should see it.
/// Returns the event to announce after commit.
pub fn record_trust(
    tx: &Tx<'_>,
    user: &str,
    state: TrustState,
    fingerprint: &str,
    notice: Option<NoticeKind>,
    now: i64,
) -> Result<Event, StoreError> {
    if let Some(kind) = notice {
        tx.add_notice(&Notice {
            ts: now,
            user: user.to_string(),
            kind,
            fingerprint: fingerprint.to_string(),
        })?;
    }
    tx.append_event(
        &EventBody::Trust {
            user: user.to_string(),
            state,
            fingerprint: fingerprint.to_string(),
            ts: now,
        },
        now,
    )
}
