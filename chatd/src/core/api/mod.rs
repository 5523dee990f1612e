//! The local-API methods of PROTOCOL.md §3 (except `subscribe`, which
//! belongs to a connection and lives in the socket layer). The socket and
//! D-Bus layers both call [`call`]; neither holds any logic of its own.

use std::sync::Arc;

use chat_e2e::{Payload, PinState, PinStore, ReceiptStatus};
use chat_proto::validate::{validate_password, validate_username};
use chat_proto::{Request, ServerMessage, now_ms};
use chatd_api::*;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use zeroize::Zeroizing;

use super::inbound::{queue, retry_pending};
use super::outbound::peer_blocked;
use super::{Core, from_e2e, from_link, from_store};
use crate::link::{AuthCmd, LinkError};
use crate::store::StoreError;

/// Longest message text accepted, in bytes (the envelope must fit the
/// server's 1 MiB frame with room to spare).
pub const MAX_TEXT: usize = 64 * 1024;
/// Largest page of history or search results.
const MAX_PAGE: u32 = 500;

/// Runs one method. `conn` identifies the calling frontend (for `focus`).
pub async fn call(
    core: &Arc<Core>,
    conn: u64,
    method: &str,
    params: Map<String, Value>,
) -> Result<Value, ApiError> {
    match method {
        "status" => reply(status(core).await),
        "signup" => reply(signup(core, parse(params)?).await),
        "login" => reply(login(core, parse(params)?).await),
        "logout" => reply(logout(core).await),
        "change_password" => reply(change_password(core, parse(params)?).await),
        "users" => reply(users(core, parse(params)?).await),
        "send" => reply(send(core, parse(params)?).await),
        "history" => reply(history(core, parse(params)?).await),
        "message" => reply(message(core, parse(params)?).await),
        "conversations" => reply(conversations(core).await),
        "mark_read" => reply(mark_read(core, parse(params)?).await),
        "fingerprint" => reply(fingerprint(core, parse(params)?).await),
        "verify" => reply(verify(core, parse(params)?).await),
        "trust" => reply(trust(core, parse(params)?).await),
        "search" => reply(search(core, parse(params)?).await),
        "focus" => {
            let p: FocusParams = parse(params)?;
            core.set_focus(conn, p.peer);
            reply(Ok(Empty {}))
        }
        "subscribe" => Err(ApiError::new(
            ErrorCode::InvalidRequest,
            "subscribe needs a connection that stays open",
        )),
        other => Err(ApiError::new(
            ErrorCode::MethodNotFound,
            format!("no method {other:?}; see PROTOCOL.md §3"),
        )),
    }
}

fn parse<T: DeserializeOwned>(params: Map<String, Value>) -> Result<T, ApiError> {
    serde_json::from_value(Value::Object(params))
        .map_err(|e| ApiError::new(ErrorCode::InvalidParams, format!("bad params: {e}")))
}

fn reply<T: Serialize>(r: Result<T, ApiError>) -> Result<Value, ApiError> {
    r.and_then(|v| {
        serde_json::to_value(v).map_err(|e| ApiError::new(ErrorCode::InternalError, e.to_string()))
    })
}

fn invalid(msg: impl Into<String>) -> ApiError {
    ApiError::new(ErrorCode::InvalidInput, msg)
}

fn check_user(user: &str) -> Result<(), ApiError> {
    validate_username(user).map_err(|e| invalid(format!("{user:?}: {e}")))
}

async fn status(core: &Core) -> Result<Status, ApiError> {
    let link = core.link.state();
    let username = match link.user.clone() {
        Some(u) => Some(u),
        None => super::Core::stored_account(&core.db).await,
    };
    Ok(Status {
        state: link.conn,
        username,
        server: core.config.server.clone(),
        server_fingerprint: link.server_fingerprint,
        version: env!("CARGO_PKG_VERSION").to_string(),
        error: match link.conn {
            ConnectionState::Connected | ConnectionState::LoggedIn => None,
            _ => link.last_error,
        },
    })
}

async fn signup(core: &Core, p: Credentials) -> Result<LoggedIn, ApiError> {
    check_user(&p.username)?;
    validate_password(&p.password, &p.username).map_err(|e| invalid(e.to_string()))?;
    refuse_other_account(core, &p.username)?;
    let password = Zeroizing::new(p.password.clone());
    let auth = AuthCmd::Signup {
        username: p.username.clone(),
        password: password.clone(),
    };
    core.link.auth(auth).await.map_err(from_link)?;
    login(core, p).await
}

fn refuse_other_account(core: &Core, user: &str) -> Result<(), ApiError> {
    match core.account() {
        Some(a) if a != user => Err(invalid(format!(
            "this chatd holds the data of {a}; run another chatd with its own --data-dir for {user}"
        ))),
        _ => Ok(()),
    }
}

async fn login(core: &Core, p: Credentials) -> Result<LoggedIn, ApiError> {
    check_user(&p.username)
        .map_err(|_| ApiError::new(ErrorCode::BadCredentials, "wrong username or password"))?;
    refuse_other_account(core, &p.username)?;
    let auth = AuthCmd::Login {
        username: p.username.clone(),
        password: Zeroizing::new(p.password.clone()),
    };
    match core.link.auth(auth).await.map_err(from_link)? {
        ServerMessage::LoginOk { username, .. } => {
            core.bind_account(&username)?;
            Ok(LoggedIn { username })
        }
        other => Err(from_link(LinkError::Protocol(format!(
            "login answered {other:?}"
        )))),
    }
}

async fn logout(core: &Core) -> Result<Empty, ApiError> {
    core.link.auth(AuthCmd::Logout).await.map_err(from_link)?;
    Ok(Empty {})
}

async fn change_password(core: &Core, p: ChangePassword) -> Result<Empty, ApiError> {
    let user = core
        .account()
        .ok_or_else(|| ApiError::new(ErrorCode::NotLoggedIn, "log in first"))?;
    validate_password(&p.new_password, &user).map_err(|e| invalid(e.to_string()))?;
    let auth = AuthCmd::ChangePassword {
        password: Zeroizing::new(p.password.clone()),
        new_password: Zeroizing::new(p.new_password.clone()),
    };
    core.link.auth(auth).await.map_err(from_link)?;
    Ok(Empty {})
}

async fn users(core: &Core, p: UsersParams) -> Result<Users, ApiError> {
    let request = Request::ListUsers {
        prefix: p.prefix.unwrap_or_default(),
        limit: p.limit,
        online_only: p.online_only.unwrap_or(false),
        after: None,
    };
    match core.link.request(request).await.map_err(from_link)? {
        ServerMessage::Users { users, .. } => Ok(Users {
            users: users
                .into_iter()
                .map(|u| User {
                    username: u.username,
                    online: u.online,
                })
                .collect(),
        }),
        other => Err(from_link(LinkError::Protocol(format!(
            "list_users answered {other:?}"
        )))),
    }
}

async fn send(core: &Core, p: SendParams) -> Result<Sent, ApiError> {
    check_user(&p.to)?;
    if p.text.trim().is_empty() {
        return Err(invalid("the message is empty"));
    }
    if p.text.len() > MAX_TEXT {
        return Err(invalid(format!(
            "the message is {} bytes; at most {MAX_TEXT} are allowed",
            p.text.len()
        )));
    }
    let me = core
        .account()
        .ok_or_else(|| ApiError::new(ErrorCode::NotLoggedIn, "sign up or log in first"))?;
    let logged_in = core.link.state().conn == ConnectionState::LoggedIn;
    if logged_in {
        // First contact: learn (and pin) the key now, so a typo is
        // reported at once rather than as a failed message later.
        core.ensure_pin(&p.to).await?;
    }
    if peer_blocked(core, &p.to).await.map_err(from_store)? {
        return Err(from_e2e(chat_e2e::E2eError::PeerKeyChanged(p.to.clone())));
    }
    let now = now_ms();
    let payload = Payload::text(p.text.clone(), now).map_err(|e| invalid(e.to_string()))?;
    let id = payload.id().map(|u| u.to_string()).unwrap_or_default();
    let message = Message {
        id: id.clone(),
        from: me,
        to: p.to.clone(),
        text: p.text,
        ts: now,
        direction: Direction::Out,
        status: MessageStatus::Sending,
    };
    let (to, mid) = (p.to.clone(), id.clone());
    let events = core
        .db
        .call(move |tx| {
            tx.insert_message(&message)?;
            queue(tx, &to, &payload, Some(mid), now)?;
            Ok(vec![tx.append_event(
                &EventBody::Message {
                    message,
                    focused: false,
                },
                now,
            )?])
        })
        .await
        .map_err(from_store)?;
    core.hub.announce(events);
    core.outbox_kick.notify_one();
    Ok(Sent {
        id,
        queued: !logged_in,
    })
}

async fn history(core: &Core, p: HistoryParams) -> Result<Messages, ApiError> {
    let limit = p.limit.unwrap_or(50).clamp(1, MAX_PAGE);
    let messages = core
        .db
        .call(move |tx| tx.history(&p.peer, limit, p.before))
        .await
        .map_err(from_store)?;
    Ok(Messages { messages })
}

async fn message(core: &Core, p: MessageParams) -> Result<OneMessage, ApiError> {
    let id = p.id.clone();
    let found = core
        .db
        .call(move |tx| tx.message(&id))
        .await
        .map_err(from_store)?;
    found
        .map(|message| OneMessage { message })
        .ok_or_else(|| invalid(format!("no message with id {:?}", p.id)))
}

async fn conversations(core: &Core) -> Result<Conversations, ApiError> {
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

async fn mark_read(core: &Core, p: PeerParams) -> Result<Empty, ApiError> {
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

fn trust_state(s: PinState) -> TrustState {
    match s {
        PinState::Unverified => TrustState::Unverified,
        PinState::Verified => TrustState::Verified,
        PinState::Changed => TrustState::Changed,
    }
}

async fn fingerprint(core: &Core, p: FingerprintParams) -> Result<Fingerprint, ApiError> {
    let me = core.account();
    let user = match p.user {
        None => None,
        Some(u) if Some(&u) == me.as_ref() => None,
        Some(u) => Some(u),
    };
    let Some(user) = user else {
        return Ok(Fingerprint {
            user: me.unwrap_or_default(),
            fingerprint: core.identity.fingerprint().to_string(),
            state: TrustState::Verified,
        });
    };
    check_user(&user)?;
    if core.link.state().conn == ConnectionState::LoggedIn {
        core.ensure_pin(&user).await?;
    }
    let u = user.clone();
    let pin = core
        .db
        .call(move |tx| PinStore::pin(tx, &u).map_err(|e| StoreError::Db(e.to_string())))
        .await
        .map_err(from_store)?
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

async fn verify(core: &Core, p: VerifyParams) -> Result<TrustResult, ApiError> {
    check_user(&p.user)?;
    let engine = core.engine()?;
    let (user, fpr) = (p.user.clone(), p.fingerprint.clone());
    let state = core
        .db
        .call(move |tx| Ok(engine.verify(tx, &user, &fpr, now_ms())))
        .await
        .map_err(from_store)?
        .map_err(from_e2e)?;
    after_trust_change(core, &p.user).await;
    Ok(TrustResult {
        state: trust_state(state),
    })
}

async fn trust(core: &Core, p: UserParams) -> Result<TrustResult, ApiError> {
    check_user(&p.user)?;
    let engine = core.engine()?;
    let user = p.user.clone();
    let state = core
        .db
        .call(move |tx| Ok(engine.trust(tx, &user, now_ms())))
        .await
        .map_err(from_store)?
        .map_err(from_e2e)?;
    after_trust_change(core, &p.user).await;
    Ok(TrustResult {
        state: trust_state(state),
    })
}

/// Held envelopes and queued messages may move now.
async fn after_trust_change(core: &Core, user: &str) {
    retry_pending(core, user).await;
    core.outbox_kick.notify_one();
}

async fn search(core: &Core, p: SearchParams) -> Result<Messages, ApiError> {
    if p.query.trim().is_empty() {
        return Err(invalid("the search query is empty"));
    }
    let limit = p.limit.unwrap_or(50).clamp(1, MAX_PAGE);
    let messages = core
        .db
        .call(move |tx| tx.search(&p.query, p.peer.as_deref(), limit))
        .await
        .map_err(from_store)?;
    Ok(Messages { messages })
}
