//! Events and link state on the bus: every event the core records is
//! broadcast as the matching signal (with its seq, never a message's text),
//! `Subscribe` replays stored ones to one caller, and a change of the link
//! state or account emits PropertiesChanged for `State` and `Username`.

use std::sync::Arc;
use std::time::Duration;

use chatd_api::{Empty, Event, EventBody, EventKind, call};
use tokio_util::sync::CancellationToken;
use zbus::object_server::{InterfaceRef, SignalEmitter};

use super::Error;
use super::callers::NO_FRONTEND;
use super::convert::{enum_name, run};
use super::interface::Chatd1;
use crate::core::Core;
use crate::core::api::{self, Subscription};

/// Pause before reading the event log again after it failed.
const RETRY_AFTER_STORE_ERROR: Duration = Duration::from_secs(1);

/// Emits `event` as its signal.
pub async fn emit(emitter: &SignalEmitter<'_>, event: &Event) -> zbus::Result<()> {
    let seq = event.seq;
    match &event.body {
        EventBody::Message { message, focused } if event.body.is_group_scoped() => {
            let group_id = message.group.as_ref().map_or("", |g| g.id.as_str());
            Chatd1::group_message_received(
                emitter,
                seq,
                &message.id,
                group_id,
                &message.from,
                message.ts,
                &enum_name(&message.direction),
                *focused,
            )
            .await
        }
        EventBody::Receipt {
            id,
            status,
            user,
            receipts,
        } if event.body.is_group_scoped() => {
            let r = receipts.clone().unwrap_or_default();
            Chatd1::group_receipt_updated(
                emitter,
                seq,
                id,
                &enum_name(status),
                user.as_deref().unwrap_or_default(),
                r.recipients,
                r.delivered,
                r.read,
            )
            .await
        }
        EventBody::Message { message, focused } => {
            let direction = enum_name(&message.direction);
            Chatd1::message_received(
                emitter,
                seq,
                &message.id,
                &message.from,
                &message.to,
                message.ts,
                &direction,
                *focused,
            )
            .await
        }
        EventBody::Receipt { id, status, .. } => {
            Chatd1::receipt_updated(emitter, seq, id, &enum_name(status)).await
        }
        EventBody::Presence { user, online } => {
            Chatd1::presence_changed(emitter, seq, user, *online).await
        }
        EventBody::Connection { state } => {
            Chatd1::connection_changed(emitter, seq, &enum_name(state)).await
        }
        EventBody::KeyChanged { user, fingerprint } => {
            Chatd1::key_changed(emitter, seq, user, fingerprint).await
        }
        EventBody::Security { user, reason, .. } => {
            Chatd1::security_alert(emitter, seq, user, reason.as_str()).await
        }
        EventBody::Trust {
            user,
            state,
            fingerprint,
            ts,
        } => Chatd1::trust_changed(emitter, seq, user, &enum_name(state), fingerprint, *ts).await,
        EventBody::Settings { settings } => {
            Chatd1::settings_changed(emitter, seq, super::convert::settings_dict(settings)).await
        }
        EventBody::Group { group, by, change } => {
            Chatd1::group_changed(
                emitter,
                seq,
                &group.id,
                by,
                change.joined,
                change.added.clone(),
                change.removed.clone(),
                change.admins_added.clone(),
                change.admins_removed.clone(),
                change.renamed_from.as_deref().unwrap_or_default(),
            )
            .await
        }
        EventBody::Typing { user, group } => {
            Chatd1::user_typing(emitter, seq, user, group.as_deref().unwrap_or_default()).await
        }
        EventBody::Transfer { transfer: t, .. } => {
            Chatd1::transfer_changed(
                emitter,
                seq,
                &t.id,
                &t.message,
                &enum_name(&t.direction),
                &enum_name(&t.state),
                t.bytes,
                t.total,
            )
            .await
        }
    }
}

/// Emits the stored events of `sub` up to `latest` (those of `kinds`, or
/// all) through `emitter`.
pub async fn replay(
    emitter: &SignalEmitter<'_>,
    mut sub: Subscription,
    latest: u64,
    kinds: Option<&[EventKind]>,
) -> Result<(), Error> {
    while let Some(next) = sub.next().await {
        let event = next.map_err(|e| Error::from(chatd_api::ApiError::from(e)))?;
        // Live only; its seq is a stored event's.
        if event.body.is_transient() {
            continue;
        }
        if kinds.is_none_or(|k| event.body.wanted_by(k)) {
            emit(emitter, &event).await?;
        }
        if event.seq >= latest {
            break;
        }
    }
    Ok(())
}

/// Broadcasts every event of `sub` until shutdown.
pub async fn broadcast(
    mut sub: Subscription,
    emitter: SignalEmitter<'static>,
    shutdown: CancellationToken,
) {
    loop {
        let next = tokio::select! {
            () = shutdown.cancelled() => return,
            next = sub.next() => next,
        };
        match next {
            None => return,
            Some(Ok(event)) => {
                if let Err(e) = emit(&emitter, &event).await {
                    tracing::debug!(error = %e, seq = event.seq, "cannot emit a D-Bus signal");
                }
            }
            Some(Err(e)) => {
                tracing::error!(error = %e, "cannot read the event log for D-Bus signals");
                tokio::select! {
                    () = shutdown.cancelled() => return,
                    () = tokio::time::sleep(RETRY_AFTER_STORE_ERROR) => {}
                }
            }
        }
    }
}

/// `State` and `Username` as `Status` reports them (None if it fails).
async fn properties_now(core: &Arc<Core>) -> Option<(String, String)> {
    let status = run::<call::Status>(core, NO_FRONTEND, Empty {})
        .await
        .ok()?;
    Some((
        enum_name(&status.state),
        status.username.unwrap_or_default(),
    ))
}

/// Emits PropertiesChanged whenever the link state or the account changes.
pub async fn properties(core: Arc<Core>, iface: InterfaceRef<Chatd1>, shutdown: CancellationToken) {
    let mut watch = api::link_changes(&core);
    let mut last = properties_now(&core).await.unwrap_or_default();
    loop {
        tokio::select! {
            () = shutdown.cancelled() => return,
            changed = watch.changed() => if changed.is_err() { return },
        }
        let Some(now) = properties_now(&core).await else {
            continue;
        };
        let emitter = iface.signal_emitter();
        let object = iface.get().await;
        if now.0 != last.0
            && let Err(e) = object.state_changed(emitter).await
        {
            tracing::debug!(error = %e, "cannot emit PropertiesChanged for State");
        }
        if now.1 != last.1
            && let Err(e) = object.username_changed(emitter).await
        {
            tracing::debug!(error = %e, "cannot emit PropertiesChanged for Username");
        }
        last = now;
    }
}
