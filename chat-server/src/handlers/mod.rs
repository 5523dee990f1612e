//! One module per group of requests; `dispatch` is the only switch on the
//! request type. Handlers return the response or a [`Refusal`]; the
//! connection adds the request id and writes it.

mod account;
mod directory;
mod messages;

use std::sync::Arc;

use chat_proto::sealed::{Sealed, credentials_aad};
use chat_proto::wire::ErrorCode;
use chat_proto::{Request, ServerMessage};
use serde::de::DeserializeOwned;

use crate::auth::pool::Busy;
use crate::connection::session::{Authed, Session};
use crate::context::Shared;
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
}

impl Refusal {
    /// A refusal without a retry hint.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            retry_after_ms: None,
        }
    }

    /// The frame sent to the client.
    pub fn into_message(self) -> ServerMessage {
        ServerMessage::Error {
            code: self.code,
            message: self.message,
            retry_after_ms: self.retry_after_ms,
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
    fn from(_: Busy) -> Self {
        Refusal {
            code: ErrorCode::ServerBusy,
            message: "the server is busy; try again in a moment".into(),
            retry_after_ms: Some(1_000),
        }
    }
}

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
        Request::Resume { credentials } => account::resume(sh, s, credentials).await,
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
/// the JSON inside. A blob sealed for another connection's nonce (a replay)
/// or another key does not open: `bad_credentials`.
async fn open_credentials<S: Store, T: DeserializeOwned + Send + 'static>(
    sh: &Shared<S>,
    s: &Session,
    sealed: Sealed,
) -> Result<T, Refusal> {
    let key = sh.key.clone();
    let aad = credentials_aad(&s.nonce);
    let opened = sh
        .pool
        .run(move || sealed.open(key.private_key(), &aad))
        .await?;
    let plaintext = opened.map_err(|_| {
        tracing::info!(peer = %s.peer, "credentials did not open (wrong key, wrong nonce or replay)");
        Refusal::new(
            ErrorCode::BadCredentials,
            "credentials do not open: seal them to this server's key with this connection's hello nonce",
        )
    })?;
    serde_json::from_slice(&plaintext).map_err(|_| {
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
        let busy = Refusal::from(Busy);
        assert_eq!(
            (busy.code, busy.retry_after_ms),
            (ErrorCode::ServerBusy, Some(1_000))
        );
    }
}
