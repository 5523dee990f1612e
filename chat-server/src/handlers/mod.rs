//! One module per group of requests; `dispatch` is the only switch on the
//! request type. Handlers return the response or a [`Refusal`]; the
//! connection adds the request id and writes it.

mod account;
mod blobs;
mod directory;
mod ephemeral;
pub mod groups;
mod messages;
mod multi;

pub use messages::{QueuedSend, queue_ack, queue_send};

use std::sync::Arc;
use std::time::{Duration, Instant};

use chat_proto::sealed::{Sealed, credentials_aad};
use chat_proto::wire::ErrorCode;
use chat_proto::{Request, ServerMessage};
use serde::de::DeserializeOwned;

use crate::auth::pool::{Busy, Denied};
use crate::auth::source::Source;
use crate::connection::session::{Authed, Session};
use crate::context::Shared;
use crate::logs::LogLimiter;
use crate::store::{Store, StoreError};

/// A request refused, with the error the client gets.
#[derive(Debug)]
pub struct Refusal {
    /// The wire code.
    pub code: ErrorCode,
    /// For people: what happened and what to do.
    pub message: String,
    /// When to try again, for `rate_limited` and `server_busy`.
    pub retry_after_ms: Option<u64>,
    /// With `stale_version`: the group's current version and hash.
    pub current: Option<(u64, String)>,
    /// With `bad_offset`: the offset to continue from.
    pub offset: Option<u64>,
}

impl Refusal {
    /// A refusal without a retry hint.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            retry_after_ms: None,
            current: None,
            offset: None,
        }
    }

    /// `stale_version`, naming the version and hash the server holds.
    pub fn stale(current_version: u64, current_hash: String) -> Self {
        let message = if current_version == 0 {
            "this server has no record of the group: a group starts at version 1".to_string()
        } else {
            format!(
                "version {current_version} is the current one: wait for its state, apply it and \
                 make your change again on top of it as version {}",
                current_version + 1
            )
        };
        Self {
            current: Some((current_version, current_hash)),
            ..Self::new(ErrorCode::StaleVersion, message)
        }
    }

    /// `bad_offset`, naming the offset to continue from.
    pub fn bad_offset(offset: u64, message: impl Into<String>) -> Self {
        Self {
            offset: Some(offset),
            ..Self::new(ErrorCode::BadOffset, message)
        }
    }

    /// The frame sent to the client.
    pub fn into_message(self) -> ServerMessage {
        if let Some(offset) = self.offset {
            return ServerMessage::BadOffset {
                message: self.message,
                offset,
            };
        }
        match self.current {
            Some((current_version, current_hash)) => ServerMessage::StaleVersion {
                message: self.message,
                current_version,
                current_hash,
            },
            None => ServerMessage::Error {
                code: self.code,
                message: self.message,
                retry_after_ms: self.retry_after_ms,
            },
        }
    }
}

impl From<StoreError> for Refusal {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::UsernameTaken => Refusal::new(
                ErrorCode::UsernameTaken,
                "that username is taken; choose another",
            ),
            StoreError::NoSuchUser => Refusal::new(ErrorCode::NoSuchUser, "no such user"),
            StoreError::MailboxFull => Refusal::new(
                ErrorCode::MailboxFull,
                "the recipient has too many undelivered messages; try again after they come online",
            ),
            StoreError::SenderShareFull => Refusal::new(
                ErrorCode::MailboxFull,
                "too many of your messages are waiting for this recipient; try again after they come online",
            ),
            StoreError::Unavailable | StoreError::Db(_) => {
                tracing::error!(error = %e, "store failure");
                Refusal::new(
                    ErrorCode::Internal,
                    "the server could not complete this request; try again later",
                )
            }
        }
    }
}

impl From<Busy> for Refusal {
    fn from(busy: Busy) -> Self {
        Refusal {
            code: ErrorCode::ServerBusy,
            message: "the server is busy; try again in a moment".into(),
            retry_after_ms: Some(
                u64::try_from(busy.retry_after.as_millis())
                    .unwrap_or(u64::MAX)
                    .max(1),
            ),
            current: None,
            offset: None,
        }
    }
}

impl From<Denied> for Refusal {
    fn from(d: Denied) -> Self {
        match d {
            Denied::Busy(busy) => busy.into(),
            Denied::SourceShare => Refusal {
                code: ErrorCode::RateLimited,
                message: "too many requests from your address at once; wait for the answers first"
                    .into(),
                retry_after_ms: Some(1_000),
                current: None,
                offset: None,
            },
        }
    }
}

/// `rate_limited` with the wait rounded up to whole milliseconds.
fn rate_limited(wait: Duration, what: &str) -> Refusal {
    let retry = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX).max(1);
    Refusal {
        code: ErrorCode::RateLimited,
        message: format!("{what}; try again in {} s", retry.div_ceil(1000)),
        retry_after_ms: Some(retry),
        current: None,
        offset: None,
    }
}

/// The throttling source of a session: its IPv4 address or IPv6 /64.
fn source(s: &Session) -> Source {
    Source::of(s.peer.ip())
}

/// Credentials that did not open are logged at most once a second: a peer
/// can send them as fast as it likes.
static UNOPENED_LOG: LogLimiter = LogLimiter::new(Duration::from_secs(1));

/// What a handler produces: a response, nothing (ack), or a refusal.
pub type Reply = Result<Option<ServerMessage>, Refusal>;

/// Runs one request against the session.
pub async fn dispatch<S: Store>(sh: &Arc<Shared<S>>, s: &mut Session, request: Request) -> Reply {
    match request {
        Request::Signup {
            credentials,
            public_key,
        } => account::signup(sh, s, credentials, public_key).await,
        Request::Login {
            credentials,
            public_key,
        } => account::login(sh, s, credentials, public_key).await,
        Request::Resume {
            credentials,
            deliver,
        } => account::resume(sh, s, credentials, deliver != Some(false)).await,
        Request::Logout {} => account::logout(sh, s).await,
        Request::ChangePassword { credentials } => {
            account::change_password(sh, s, credentials).await
        }
        Request::ListUsers {
            prefix,
            limit,
            online_only,
            after,
        } => directory::list_users(sh, s, prefix, limit, online_only, after).await,
        Request::GetKey { username } => directory::get_key(sh, s, username).await,
        Request::Watch { users } => directory::watch(sh, s, users).await,
        Request::Unwatch { users } => directory::unwatch(sh, s, users),
        Request::Send { to, envelope } => messages::send(sh, s, to, envelope).await,
        Request::SendEphemeral { to, envelope } => ephemeral::send(sh, s, to, envelope).await,
        Request::SendMulti {
            messages,
            ephemeral,
        } => multi::send_multi(sh, s, messages, ephemeral).await,
        Request::GroupCommit {
            group_id,
            version,
            state_hash,
            members,
            admins,
        } => {
            let record = crate::store::GroupRecord {
                version,
                state_hash,
                members,
                admins,
            };
            groups::group_commit(sh, s, groups::Commit { group_id, record }).await
        }
        Request::BlobCreate { size } => blobs::create(sh, s, size).await,
        Request::BlobPut {
            blob_id,
            offset,
            data,
        } => blobs::put(sh, s, blob_id, offset, data).await,
        Request::BlobStatus { blob_id } => blobs::status(sh, s, blob_id).await,
        Request::BlobFinish { blob_id, digest } => blobs::finish(sh, s, blob_id, digest).await,
        Request::BlobGet {
            blob_id,
            offset,
            length,
        } => blobs::get(sh, s, blob_id, offset, length).await,
        Request::BlobDelete { blob_id } => blobs::delete(sh, s, blob_id).await,
        Request::Ack { msg_ids } => messages::ack(sh, s, msg_ids).await,
        Request::Ping {} => Ok(Some(ServerMessage::Pong {})),
    }
}

/// The logged-in identity, or `not_authenticated`.
fn authed(s: &Session) -> Result<&Authed, Refusal> {
    s.auth.as_ref().ok_or_else(|| {
        Refusal::new(
            ErrorCode::NotAuthenticated,
            "log in first (login, resume or signup)",
        )
    })
}

/// Opens sealed credentials with the server key on the CPU pool and parses
/// the JSON inside. The source's throttle is consulted first, so a throttled
/// source costs no RSA work, and the job counts toward the source's share
/// of the pool. A blob sealed for another connection's nonce (a replay) or
/// another key does not open: `bad_credentials`, counted as a failure of
/// the source, as is JSON of the wrong shape inside (`bad_request`).
async fn open_credentials<S: Store, T: DeserializeOwned + Send + 'static>(
    sh: &Shared<S>,
    s: &Session,
    sealed: Sealed,
) -> Result<T, Refusal> {
    let src = source(s);
    sh.throttle
        .check_source(src, Instant::now())
        .map_err(|wait| rate_limited(wait, "too many failed attempts from your address"))?;
    let key = sh.key.clone();
    let aad = credentials_aad(&s.nonce);
    let opened = sh
        .pool
        .run_for(src, move || sealed.open(key.unseal_key(), &aad))
        .await?;
    let Ok(plaintext) = opened else {
        sh.throttle.source_failure(src, Instant::now());
        if let Some(held_back) = UNOPENED_LOG.allow(Instant::now()) {
            tracing::debug!(peer = %s.peer, held_back, "credentials did not open (wrong key, wrong nonce or replay)");
        }
        return Err(Refusal::new(
            ErrorCode::BadCredentials,
            "credentials do not open: seal them to this server's key with this connection's hello nonce",
        ));
    };
    serde_json::from_slice(&plaintext).map_err(|_| {
        sh.throttle.source_failure(src, Instant::now());
        Refusal::new(
            ErrorCode::BadRequest,
            "sealed credentials must hold the JSON object PROTOCOL.md §1.3 names",
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn store_and_pool_failures_map_to_their_wire_codes() {
        let code = |e: StoreError| Refusal::from(e).code;
        assert_eq!(code(StoreError::UsernameTaken), ErrorCode::UsernameTaken);
        assert_eq!(code(StoreError::NoSuchUser), ErrorCode::NoSuchUser);
        assert_eq!(code(StoreError::MailboxFull), ErrorCode::MailboxFull);
        assert_eq!(code(StoreError::SenderShareFull), ErrorCode::MailboxFull);
        assert_eq!(code(StoreError::Unavailable), ErrorCode::Internal);
        assert_eq!(
            code(StoreError::Db("disk I/O error".into())),
            ErrorCode::Internal
        );
        // Internal errors never leak database details to the client.
        assert!(
            !Refusal::from(StoreError::Db("disk I/O error".into()))
                .message
                .contains("disk")
        );
        let busy = Refusal::from(Busy {
            retry_after: std::time::Duration::from_millis(420),
        });
        assert_eq!(
            (busy.code, busy.retry_after_ms),
            (ErrorCode::ServerBusy, Some(420))
        );
    }
}
