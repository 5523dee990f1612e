//! Typing indicators (docs/PROTOCOL.md §4.1, D14): a `typing` payload sent
//! ephemeral, never stored by anyone. Sending is coalesced to one per
//! conversation per [`Config::typing_interval`](crate::config::Config)
//! (3 s), goes only under sending keys the recipient confirmed (so an
//! indicator never costs a `session_key`, and a peer who never answered
//! gets none), and is off with the `typing_indicators` setting. Receiving
//! turns a verified `typing` from an ephemeral delivery into a transient
//! `typing` event: never in history, never in the event log, no receipt,
//! nothing to ack.
//!
//! The coalescing clock is runtime state kept here ([`Coalesce`]): after a
//! restart the first indicator goes at once, which is harmless.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use chat_e2e::{Envelope, Outgoing, Payload, Received};
use chat_proto::wire::{MultiItem, MultiOutcome};
use chat_proto::{Request, ServerMessage, now_ms};
use chatd_api::{ApiError, Chat, ConnectionState, ErrorCode, EventBody};
use serde_json::{Map, Value};
use tokio::time::Instant;
use uuid::Uuid;

use super::{Core, CoreError};

/// A conversation, as the coalescing clock keys it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    Peer(String),
    Group(Uuid),
}

/// When an indicator last left, per conversation.
#[derive(Debug, Default)]
pub struct Coalesce {
    last: Mutex<HashMap<Key, Instant>>,
}

impl Coalesce {
    /// Takes the slot of `key` if none was taken within `interval`;
    /// answers what to put back if nothing is sent after all.
    fn take(&self, key: &Key, interval: Duration) -> Option<Option<Instant>> {
        let now = Instant::now();
        let mut last = self.last.lock().ok()?;
        let before = last.get(key).copied();
        if before.is_some_and(|t| now.duration_since(t) < interval) {
            return None;
        }
        // Forget old entries now and then, so the map stays small.
        if last.len() > 1024 {
            last.retain(|_, t| now.duration_since(*t) < interval);
        }
        last.insert(key.clone(), now);
        Some(before)
    }

    /// Gives the slot back (nothing left after all).
    fn release(&self, key: &Key, before: Option<Instant>) {
        if let Ok(mut last) = self.last.lock() {
            match before {
                Some(t) => last.insert(key.clone(), t),
                None => last.remove(key),
            };
        }
    }
}

/// Where an indicator goes, decided before anything is sealed.
enum Target {
    Peer(String),
    Group { id: Uuid, others: Vec<String> },
}

/// `typing`: leaves one indicator for `chat` unless one left less than the
/// interval ago, the setting is off, chatd is not logged in, or no
/// recipient confirmed a sending key. True when one left.
pub async fn send(core: &Core, chat: Chat) -> Result<bool, ApiError> {
    // Never logged in: nobody to type to yet.
    let Some(me) = core.account() else {
        return Ok(false);
    };
    let target = match chat {
        Chat::Peer(peer) => Target::Peer(peer),
        Chat::Group(group) => {
            let me = me.clone();
            core.db()
                .run(move |tx| {
                    let id = super::groups::resolve(tx, &group)?.group_id;
                    let held = tx.group_held(id)?.ok_or_else(|| {
                        ApiError::new(ErrorCode::NoSuchGroup, format!("no group {group:?}"))
                    })?;
                    let state = held.state();
                    if !state.is_member(&me) {
                        return Err(ApiError::new(
                            ErrorCode::NotGroupMember,
                            format!("you are no longer a member of {:?}", state.name()),
                        ));
                    }
                    let others = state
                        .members()
                        .iter()
                        .filter(|m| **m != me)
                        .cloned()
                        .collect();
                    Ok::<_, ApiError>(Target::Group { id, others })
                })
                .await?
        }
    };
    if core.link().state().conn != ConnectionState::LoggedIn {
        return Ok(false);
    }
    let settings = core.db().call(|tx| tx.settings()).await?;
    if !settings.typing_indicators {
        return Ok(false);
    }
    let key = match &target {
        Target::Peer(p) => Key::Peer(p.clone()),
        Target::Group { id, .. } => Key::Group(*id),
    };
    let Some(before) = core.typing().take(&key, core.config().typing_interval) else {
        return Ok(false);
    };
    let sent = seal_and_send(core, target).await;
    match sent {
        Ok(true) => Ok(true),
        Ok(false) => {
            core.typing().release(&key, before);
            Ok(false)
        }
        Err(e) => {
            core.typing().release(&key, before);
            tracing::debug!(error = %e, "a typing indicator did not leave");
            Ok(false)
        }
    }
}

/// Seals one `typing` to every recipient with a confirmed key and sends
/// them ephemeral: one `send` for a peer, one `send_multi` for a group.
async fn seal_and_send(core: &Core, target: Target) -> Result<bool, CoreError> {
    let engine = core.engine()?;
    let (group_id, recipients) = match target {
        Target::Peer(p) => (None, vec![p]),
        Target::Group { id, others } => (Some(id), others),
    };
    let now = now_ms();
    let payload = Payload::typing(group_id, now).map_err(chat_e2e::E2eError::from)?;
    let items = core
        .db()
        .run(move |tx| {
            let mut items = Vec::new();
            for to in recipients {
                if !engine.has_confirmed_key(tx, &to, now)? {
                    continue;
                }
                // Confirmed and fresh: one `msg`, never a `session_key`.
                if let Outgoing::Ready(envelopes) = engine.encrypt(tx, &to, &payload, now)?
                    && let [Envelope::Msg(_)] = envelopes.as_slice()
                    && let Some(env) = envelopes.last()
                {
                    items.push((to, env.to_json()));
                }
            }
            Ok::<_, CoreError>(items)
        })
        .await?;
    let request = match group_id {
        None => {
            let Some((to, envelope)) = items.into_iter().next() else {
                return Ok(false);
            };
            Request::SendEphemeral { to, envelope }
        }
        Some(_) if items.is_empty() => return Ok(false),
        Some(_) => Request::SendMulti {
            messages: items
                .into_iter()
                .map(|(to, envelope)| MultiItem {
                    to,
                    envelope: Value::Object(envelope),
                })
                .collect(),
            ephemeral: true,
        },
    };
    match core.link().request(request).await? {
        ServerMessage::SentEphemeral { .. } => Ok(true),
        ServerMessage::SentMulti { results, .. } => Ok(results
            .iter()
            .any(|r| matches!(r.outcome, MultiOutcome::Sent { .. }))),
        other => Err(CoreError::Internal(format!(
            "the server answered a typing indicator with {other:?}"
        ))),
    }
}

/// An ephemeral delivery: a `typing` from `from` becomes a transient
/// `typing` event if it opens and, in a group, `from` and we are both
/// members of the state held. Anything else is dropped silently (nothing
/// is stored, held or acked; an ephemeral envelope is never delivered
/// again). Runs in the inbound loop: store work only, no network.
pub async fn received(core: &Core, from: &str, envelope: &Map<String, Value>) {
    let Ok(engine) = core.engine() else {
        return;
    };
    let (f, env) = (from.to_string(), envelope.clone());
    let outcome = core
        .db()
        .run(move |tx| {
            let me = engine.username().to_string();
            let received = engine.receive(tx, &f, &env, now_ms())?;
            let Received::Message(d) = received else {
                return Ok::<_, CoreError>(None);
            };
            let Payload::Typing(t) = d.payload else {
                return Ok(None);
            };
            let group = match t.group_id {
                None => None,
                Some(id) => {
                    let both = tx.group_held(id)?.is_some_and(|s| {
                        let s = s.state();
                        s.is_member(&me) && s.is_member(&f)
                    });
                    if !both {
                        return Ok(None);
                    }
                    Some(id.hyphenated().to_string())
                }
            };
            Ok(Some(EventBody::Typing { user: f, group }))
        })
        .await;
    match outcome {
        Ok(Some(body)) => {
            if let Err(e) = core.hub().announce_transient(body).await {
                tracing::debug!(error = %e, "cannot announce a typing indicator");
            }
        }
        Ok(None) => {}
        Err(e) => tracing::debug!(peer = %from, error = %e, "an ephemeral envelope was dropped"),
    }
}
