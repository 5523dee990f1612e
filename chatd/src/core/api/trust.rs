//! `fingerprint`, `verify` and `trust`: a user's key as pinned, and the
//! person's decisions about it; a decision releases what waited for it.

use chat_e2e::{PinState, PinStore};
use chat_proto::now_ms;
use chatd_api::{
    ApiError, ConnectionState, ErrorCode, Fingerprint, FingerprintParams, TrustResult, TrustState,
    UserParams, VerifyParams,
};

use super::check_user;
use crate::core::inbound::retry_pending;
use crate::core::{Core, CoreError};

fn trust_state(s: PinState) -> TrustState {
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
    let user = match p.user {
        None => None,
        Some(u) if Some(&u) == me.as_ref() => None,
        Some(u) => Some(u),
    };
    let Some(user) = user else {
        return Ok(Fingerprint {
            user: me.unwrap_or_default(),
            fingerprint: core.identity().fingerprint().to_string(),
            state: TrustState::Verified,
        });
    };
    check_user(&user)?;
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
    Ok(Fingerprint {
        user,
        fingerprint,
        state: trust_state(pin.state),
    })
}

pub(super) async fn verify(core: &Core, p: VerifyParams) -> Result<TrustResult, ApiError> {
    check_user(&p.user)?;
    let engine = core.engine()?;
    let (user, fpr) = (p.user.clone(), p.fingerprint.clone());
    let state = core
        .db()
        .run(move |tx| Ok::<_, CoreError>(engine.verify(tx, &user, &fpr, now_ms())?))
        .await?;
    after_trust_change(core, &p.user).await;
    Ok(TrustResult {
        state: trust_state(state),
    })
}

pub(super) async fn trust(core: &Core, p: UserParams) -> Result<TrustResult, ApiError> {
    check_user(&p.user)?;
    let engine = core.engine()?;
    let user = p.user.clone();
    let state = core
        .db()
        .run(move |tx| Ok::<_, CoreError>(engine.trust(tx, &user, now_ms())?))
        .await?;
    after_trust_change(core, &p.user).await;
    Ok(TrustResult {
        state: trust_state(state),
    })
}

/// Held envelopes and queued messages may move now.
async fn after_trust_change(core: &Core, user: &str) {
    retry_pending(core, user).await;
    core.kick_outbox();
}
