//! `fingerprint`, `verify` and `trust`: a user's key as pinned (with the
//! safety number of it and ours), and the person's decisions about it; a
//! decision that changes the pin is recorded with a `trust` event and a
//! timeline notice in the same transaction, and releases what waited for
//! it. A decision that changes nothing says so (`unchanged`).

use std::sync::Arc;

use chat_e2e::{PinState, PinStore};
use chat_proto::now_ms;
use chatd_api::{
    ApiError, ConnectionState, ErrorCode, Fingerprint, FingerprintParams, NoticeKind, TrustResult,
    TrustState, UserParams, VerifyParams,
};

use super::check_user;
use super::known::{Offline, check_peer};
use crate::core::inbound::retry_pending;
use crate::core::notices::record_trust;
use crate::core::{Core, CoreError};
use crate::store::StoreError;

/// The API's name for a pin state.
pub(in crate::core) fn trust_state(s: PinState) -> TrustState {
    match s {
        PinState::Unverified => TrustState::Unverified,
        PinState::Verified => TrustState::Verified,
        PinState::Changed => TrustState::Changed,
    }
}

pub(super) async fn fingerprint(
    core: &Core,
    p: FingerprintParams,
) -> Result<Fingerprint, ApiError> {
    let me = core.account();
    let own = core.identity().fingerprint().to_string();
    let user = match p.user {
        None => None,
        Some(u) if Some(&u) == me.as_ref() => None,
        Some(u) => Some(u),
    };
    let Some(user) = user else {
        return Ok(Fingerprint {
            user: me.unwrap_or_default(),
            fingerprint: own,
            state: TrustState::Verified,
            safety_number: None,
        });
    };
    check_user(&user)?;
    check_peer(core, &user, Offline::Refuse).await?;
    if core.link().state().conn == ConnectionState::LoggedIn {
        core.ensure_pin(&user).await?;
    }
    let u = user.clone();
    let pin = core
        .db()
        .call(move |tx| Ok(PinStore::pin(tx, &u)?))
        .await?
        .ok_or_else(|| {
            ApiError::new(
                ErrorCode::NoSuchUser,
                format!("no key known for {user}; connect and try again"),
            )
        })?;
    // While changed, the key to compare is the new one.
    let fingerprint = pin
        .pending
        .as_ref()
        .map_or(pin.fingerprint.clone(), |k| k.fingerprint.clone());
    // 2 x 5200 SHA-512 rounds: a few milliseconds, off the async workers.
    let safety_number = match me {
        Some(me) => {
            let (u, f) = (user.clone(), fingerprint.clone());
            tokio::task::spawn_blocking(move || chatd_api::domain::safety_number(&me, &own, &u, &f))
                .await
                .ok()
        }
        None => None,
    };
    Ok(Fingerprint {
        user,
        fingerprint,
        state: trust_state(pin.state),
        safety_number,
    })
}

pub(super) async fn verify(core: &Arc<Core>, p: VerifyParams) -> Result<TrustResult, ApiError> {
    check_user(&p.user)?;
    check_peer(core, &p.user, Offline::Refuse).await?;
    let engine = core.engine()?;
    let (user, fpr) = (p.user.clone(), p.fingerprint.clone());
    let (state, unchanged, events) = core
        .db()
        .run(move |tx| {
            let now = now_ms();
            let before = PinStore::pin(tx, &user).map_err(StoreError::from)?;
            let state = engine.verify(tx, &user, &fpr, now)?;
            let unchanged = before.is_some_and(|b| b.state == PinState::Verified);
            let mut events = Vec::new();
            if !unchanged && let Some(pin) = PinStore::pin(tx, &user).map_err(StoreError::from)? {
                events.push(record_trust(
                    tx,
                    &user,
                    trust_state(state),
                    &pin.fingerprint,
                    Some(NoticeKind::Verified),
                    now,
                )?);
            }
            Ok::<_, CoreError>((state, unchanged, events))
        })
        .await?;
    core.hub().announce(events);
    after_trust_change(core, &p.user).await;
    Ok(TrustResult {
        state: trust_state(state),
        unchanged,
    })
}

pub(super) async fn trust(core: &Arc<Core>, p: UserParams) -> Result<TrustResult, ApiError> {
    check_user(&p.user)?;
    check_peer(core, &p.user, Offline::Refuse).await?;
    let engine = core.engine()?;
    let user = p.user.clone();
    let (state, unchanged, events) = core
        .db()
        .run(move |tx| {
            let now = now_ms();
            let before = PinStore::pin(tx, &user).map_err(StoreError::from)?;
            let state = engine.trust(tx, &user, now)?;
            let unchanged = before.is_none_or(|b| b.state != PinState::Changed);
            let mut events = Vec::new();
            if !unchanged && let Some(pin) = PinStore::pin(tx, &user).map_err(StoreError::from)? {
                events.push(record_trust(
                    tx,
                    &user,
                    trust_state(state),
                    &pin.fingerprint,
                    Some(NoticeKind::KeyAccepted),
                    now,
                )?);
            }
            Ok::<_, CoreError>((state, unchanged, events))
        })
        .await?;
    core.hub().announce(events);
    after_trust_change(core, &p.user).await;
    Ok(TrustResult {
        state: trust_state(state),
        unchanged,
    })
}

/// Held envelopes and queued messages may move now.
async fn after_trust_change(core: &Arc<Core>, user: &str) {
    retry_pending(core, user).await;
    core.kick_outbox();
}
