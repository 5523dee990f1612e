//! Membership changes made here (`group_create`, `group_add`,
//! `group_remove`, `group_leave`, `group_admin`; PROTOCOL.md §4.5, D15).
//!
//! One change at a time: the state held is read, the caller's edit makes
//! the next membership, the state is signed on the blocking pool (RSA),
//! and written down as a pending commit **before** `group_commit` leaves,
//! so that a crash after the server sequenced it cannot lose a state that
//! only we could send: after a restart [`finish_pending`] commits it again
//! (`stale_version` naming our own hash means it went through). Once
//! committed, one transaction holds the state, queues its fan-out to the
//! new members and everyone removed, and appends the `group` event.
//!
//! A commit that loses a race (`stale_version`) waits for the winner's
//! state to arrive (asking an admin for it), then the edit runs again on
//! top of it, a bounded number of times, so racing admins converge.

use std::sync::Arc;
use std::time::Duration;

use chat_e2e::Payload;
use chat_e2e::group::{GroupState, Membership, SignedGroupState};
use chat_proto::{ErrorCode as Wire, Request, ServerMessage, now_ms};
use chatd_api::ConnectionState;
use uuid::Uuid;

use super::fanout::queue_fanout;
use super::receive::{Ctx, Effects, record};
use crate::core::outbound::queue;
use crate::core::{Core, CoreError};
use crate::link::LinkError;

/// How many times a change is redone after losing a race.
const MAX_ATTEMPTS: usize = 5;
/// How long a change that lost a race waits for the winner's state.
const WINNER_WAIT: Duration = Duration::from_secs(15);

/// What the caller's edit makes of the state held.
pub enum Edit {
    /// The next state's membership.
    Next(Membership),
    /// We are the last member and leave: no state, nothing to commit.
    LastLeave,
}

/// Runs one change of group `group` (`None`: a new group) and answers
/// its id. `edit` sees the state held (`None` for a new group) each time
/// the change is (re)made.
pub async fn change(
    core: &Arc<Core>,
    group: Option<Uuid>,
    edit: impl Fn(Option<&GroupState>) -> Result<Edit, CoreError>,
) -> Result<Uuid, CoreError> {
    let me = core.account().ok_or(CoreError::NoAccount)?;
    let _one_at_a_time = core.groups.changes.lock().await;
    let gid = match group {
        Some(g) => g,
        None => chat_e2e::payload::new_id()
            .map_err(|e| CoreError::Internal(format!("no randomness for a group id: {e}")))?,
    };
    for _ in 0..MAX_ATTEMPTS {
        if core.link().state().conn != ConnectionState::LoggedIn {
            return Err(LinkError::Offline.into());
        }
        let held = core.db().call(move |tx| tx.group_held(gid)).await?;
        let old = held.as_ref().map(SignedGroupState::state);
        let membership = match edit(old)? {
            Edit::Next(m) => m,
            Edit::LastLeave => {
                last_leave(core, gid, &me).await?;
                return Ok(gid);
            }
        };
        let fp = core.identity().fingerprint().to_string();
        let state = match old {
            Some(h) => h.successor(membership, &me, &fp),
            None => GroupState::genesis(gid, membership, &me, &fp),
        }
        .map_err(|e| CoreError::InvalidInput(e.to_string()))?;
        let identity = core.identity().clone();
        let signed = tokio::task::spawn_blocking(move || SignedGroupState::sign(state, &identity))
            .await
            .map_err(|e| CoreError::Internal(format!("signing failed: {e}")))?
            .map_err(|e| CoreError::Internal(e.to_string()))?;
        let pending = signed.clone();
        core.db()
            .call(move |tx| tx.group_commit_put(&pending, now_ms()))
            .await?;
        match commit(core, &signed).await {
            Committed::Yes => {
                finish(core, &signed).await?;
                return Ok(gid);
            }
            Committed::Lost(current) => {
                core.db()
                    .call(move |tx| tx.group_commit_remove(gid))
                    .await?;
                if held.is_none() {
                    return Err(CoreError::Internal(
                        "the server holds a group with the id just made; try again".into(),
                    ));
                }
                wait_for_winner(core, gid, current).await?;
            }
            Committed::Refused(e) => {
                core.db()
                    .call(move |tx| tx.group_commit_remove(gid))
                    .await?;
                return Err(e);
            }
            // The pending commit stays: `finish_pending` settles it after
            // the next login.
            Committed::Unknown(e) => return Err(e),
        }
    }
    Err(CoreError::InvalidInput(
        "other admins keep changing the group at the same time; try again".into(),
    ))
}

/// What the server said to a commit.
enum Committed {
    Yes,
    /// Another state holds the version (the server's current version).
    Lost(u64),
    /// Refused: not an admin per the server's record, or malformed.
    Refused(CoreError),
    /// No answer: it may or may not have been sequenced.
    Unknown(CoreError),
}

async fn commit(core: &Core, signed: &SignedGroupState) -> Committed {
    let s = signed.state();
    let hash = s.hash().to_hex();
    let request = Request::GroupCommit {
        group_id: s.group_id().hyphenated().to_string(),
        version: s.version(),
        state_hash: hash.clone(),
        members: s.members().iter().cloned().collect(),
        admins: s.admins().iter().cloned().collect(),
    };
    match core.link().request(request).await {
        Ok(ServerMessage::GroupCommitted { version, .. }) if version == s.version() => {
            Committed::Yes
        }
        Ok(ServerMessage::StaleVersion {
            current_version,
            current_hash,
            ..
        }) => {
            if current_version == s.version() && current_hash == hash {
                // Ours went through before (a retry after a crash).
                Committed::Yes
            } else {
                Committed::Lost(current_version)
            }
        }
        Ok(other) => Committed::Unknown(CoreError::Link(LinkError::Protocol(format!(
            "group_commit answered with {other:?}"
        )))),
        Err(LinkError::Server {
            code: Wire::NotGroupAdmin,
            ..
        }) => Committed::Refused(CoreError::NotGroupAdmin(
            "the server's record of the group does not let you make this change".into(),
        )),
        Err(e @ LinkError::Server { .. }) => Committed::Refused(e.into()),
        Err(e) => Committed::Unknown(CoreError::InvalidInput(format!(
            "the change could not be confirmed ({e}); chatd finishes it when it is back online"
        ))),
    }
}

/// A committed state: held, fanned out to the new members and everyone
/// removed, announced, in one transaction.
async fn finish(core: &Arc<Core>, signed: &SignedGroupState) -> Result<(), CoreError> {
    let me = core.account().ok_or(CoreError::NoAccount)?;
    let online = core.online_now();
    let signed = signed.clone();
    let now = now_ms();
    let fx = core
        .db()
        .run(move |tx| {
            let s = signed.state();
            let gid = s.group_id();
            tx.group_commit_remove(gid)?;
            let held = tx.group_held(gid)?;
            let old = held.as_ref().map(SignedGroupState::state);
            if old.is_some_and(|o| o.version() >= s.version()) {
                return Ok::<_, CoreError>(Effects::default());
            }
            let mut to: Vec<String> = s.members().iter().cloned().collect();
            if let Some(o) = old {
                to.extend(o.members().iter().filter(|m| !s.is_member(m)).cloned());
            }
            to.retain(|m| *m != me);
            to.sort();
            let payload =
                Payload::group_state(signed.clone(), now).map_err(chat_e2e::E2eError::from)?;
            let batch = payload.id().map(|u| u.to_string()).unwrap_or_default();
            queue_fanout(tx, &to, &payload, None, &batch, now)?;
            let mut fx = Effects::default();
            let never = |_: &str| false;
            let cx = Ctx {
                me: &me,
                online: &online,
                focused: &never,
                now,
            };
            let old = old.cloned();
            record(tx, &cx, &signed, old.as_ref(), &mut fx)?;
            Ok(fx)
        })
        .await?;
    core.hub().announce(fx.events);
    core.group_accepted();
    core.kick_outbox();
    Ok(())
}

/// The last member leaves: no state (a state without members is
/// malformed); the group stays held, and we are no longer a member.
async fn last_leave(core: &Arc<Core>, gid: Uuid, me: &str) -> Result<(), CoreError> {
    let online = core.online_now();
    let me = me.to_string();
    let now = now_ms();
    let events = core
        .db()
        .run(move |tx| {
            tx.group_mark_left(gid, now)?;
            let mut events = Vec::new();
            if let Some(group) = super::view(tx, gid, &online)? {
                let body = chatd_api::EventBody::Group {
                    group: Box::new(group),
                    by: me.clone(),
                    change: chatd_api::GroupChange {
                        removed: vec![me.clone()],
                        ..Default::default()
                    },
                };
                events.push(tx.append_event(&body, now)?);
            }
            Ok::<_, CoreError>(events)
        })
        .await?;
    core.hub().announce(events);
    Ok(())
}

/// After a lost race: asks an admin for the states we miss, and waits
/// until the state held reaches `version` (or gives up after
/// [`WINNER_WAIT`]).
async fn wait_for_winner(core: &Arc<Core>, gid: Uuid, version: u64) -> Result<(), CoreError> {
    let me = core.account().ok_or(CoreError::NoAccount)?;
    let now = now_ms();
    core.db()
        .run(move |tx| {
            let Some(held) = tx.group_held(gid)? else {
                return Ok::<_, CoreError>(());
            };
            let h = held.state();
            if h.version() >= version {
                return Ok(());
            }
            if let Some(admin) = h.admins().iter().find(|a| **a != me) {
                let p = Payload::group_state_request(gid, h.version(), now)
                    .map_err(chat_e2e::E2eError::from)?;
                queue(tx, admin, &p, None, now)?;
            }
            Ok(())
        })
        .await?;
    core.kick_outbox();
    let deadline = tokio::time::Instant::now() + WINNER_WAIT;
    loop {
        let woken = core.groups.accepted.notified();
        tokio::pin!(woken);
        woken.as_mut().enable();
        let held = core
            .db()
            .call(move |tx| Ok(tx.group_held(gid)?.map(|h| h.state().version())))
            .await?;
        if held.is_some_and(|v| v >= version) {
            return Ok(());
        }
        if tokio::time::timeout_at(deadline, woken).await.is_err() {
            return Err(CoreError::InvalidInput(
                "another admin changed the group at the same time and its change has not \
                 arrived yet; try again in a moment"
                    .into(),
            ));
        }
    }
}

/// After login: settles the commits a crash or a lost connection left
/// pending. One the server took (or takes now) is held and fanned out;
/// one that lost to another state is dropped (the change it made was
/// never confirmed to anyone).
pub async fn finish_pending(core: &Arc<Core>) {
    let _one_at_a_time = core.groups.changes.lock().await;
    let pending = match core.db().call(|tx| tx.group_commits()).await {
        Ok(p) => p,
        Err(e) => {
            tracing::error!(error = %e, "cannot read the pending group commits");
            return;
        }
    };
    for signed in pending {
        let gid = signed.state().group_id();
        match commit(core, &signed).await {
            Committed::Yes => {
                if let Err(e) = finish(core, &signed).await {
                    tracing::error!(error = %e, "cannot record a committed group state");
                }
            }
            Committed::Lost(_) | Committed::Refused(_) => {
                tracing::warn!(group = %gid, "a group change left pending lost to another one; it was dropped");
                let _ = core.db().call(move |tx| tx.group_commit_remove(gid)).await;
            }
            Committed::Unknown(e) => {
                tracing::warn!(group = %gid, error = %e, "a pending group change waits for the next login");
            }
        }
    }
}
