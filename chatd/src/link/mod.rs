//! The daemon's one connection to the server, kept alive for as long as
//! chatd runs: reconnects with exponential backoff and jitter, resumes the
//! session with the stored token (so a restarted daemon or a dropped
//! network needs no password), pings, and correlates requests with
//! responses. Everything else in chatd talks to the server through the
//! [`Link`] handle and hears from it through [`LinkEvent`]s.
//!
//! The core sees the link only as a [`ServerLink`], so that tests can run
//! the core in-process against a scripted server without any sockets.

pub mod bulk;
pub mod conn;
mod session;

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chat_proto::{ErrorCode, Request, ServerMessage};
use chatd_api::ConnectionState;
use tokio::sync::{mpsc, oneshot, watch};
use tokio_util::sync::CancellationToken;
use zeroize::Zeroizing;

use crate::store::Db;

/// What the rest of the daemon sees of the link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkState {
    /// Connection state.
    pub conn: ConnectionState,
    /// Logged-in account.
    pub user: Option<String>,
    /// Fingerprint of the server key in use or pinned.
    pub server_fingerprint: Option<String>,
    /// Why the last connection attempt failed; cleared on success.
    pub last_error: Option<String>,
    /// Counts logins and resumes: the after-login chores are done per
    /// session, and the outbox waits for this session's (0: none yet).
    pub session: u64,
}

/// Something the server said that the daemon must act on.
#[derive(Debug)]
pub enum LinkEvent {
    /// A push: deliver, presence, key_changed, or an error without id.
    Push(ServerMessage),
    /// The session is logged in (after login or resume): watch peers and
    /// flush the outbox.
    LoggedIn {
        /// The account.
        user: String,
        /// [`LinkState::session`] of this login.
        session: u64,
    },
}

/// Why a request did not get a response.
#[derive(Debug, Clone, thiserror::Error)]
pub enum LinkError {
    /// Not connected to the server now.
    #[error("not connected to the server; the request will work once chatd reconnects")]
    Offline,
    /// An attempt to reach the server, made at once for this request,
    /// failed; the text says why.
    #[error("cannot reach the server: {0}")]
    Unreachable(String),
    /// Connected but not logged in.
    #[error("not logged in; log in first")]
    NotLoggedIn,
    /// The server refused.
    #[error("{message}")]
    Server {
        /// The wire code.
        code: ErrorCode,
        /// The server's message.
        message: String,
        /// For rate limiting.
        retry_after_ms: Option<u64>,
    },
    /// The server answered something unexpected.
    #[error("unexpected answer from the server: {0}")]
    Protocol(String),
}

/// Account operations, which need the connection's nonce to seal.
pub enum AuthCmd {
    /// Create the account (does not log in).
    Signup {
        /// Name.
        username: String,
        /// Password.
        password: Zeroizing<String>,
    },
    /// Log in with the password.
    Login {
        /// Name.
        username: String,
        /// Password.
        password: Zeroizing<String>,
    },
    /// Change the password.
    ChangePassword {
        /// Current password.
        password: Zeroizing<String>,
        /// New password.
        new_password: Zeroizing<String>,
    },
    /// Log out and forget the token.
    Logout,
}

type Reply = oneshot::Sender<Result<ServerMessage, LinkError>>;

enum Cmd {
    Request(Request, Reply),
    Auth(AuthCmd, Reply),
    Ack(Vec<String>),
}

/// Settings keys the link keeps in the store.
pub mod keys {
    /// The session token (base64).
    pub const TOKEN: &str = "token";
    /// Its absolute expiry (Unix ms).
    pub const TOKEN_EXPIRES: &str = "token_expires";
    /// The account the token belongs to.
    pub const USERNAME: &str = "username";
    /// The server fingerprint learned on first use.
    pub const SERVER_FINGERPRINT: &str = "server_fingerprint";
}

/// A boxed future, so that [`ServerLink`] can be used as a trait object.
pub type LinkFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// What the core needs of the connection to the server. [`Link`] is the
/// real one; tests implement it to drive the core without a network.
pub trait ServerLink: Send + Sync {
    /// The current state.
    fn state(&self) -> LinkState;
    /// A receiver of state changes.
    fn watch(&self) -> watch::Receiver<LinkState>;
    /// Sends a request needing a logged-in session and awaits its answer;
    /// server errors come back as [`LinkError::Server`].
    fn request(&self, request: Request) -> LinkFuture<'_, Result<ServerMessage, LinkError>>;
    /// Runs an account operation (sealing credentials to this connection).
    fn auth(&self, cmd: AuthCmd) -> LinkFuture<'_, Result<ServerMessage, LinkError>>;
    /// Acknowledges delivered messages, without waiting for an answer.
    fn ack(&self, msg_ids: Vec<String>) -> LinkFuture<'_, ()>;
}

impl ServerLink for Link {
    fn state(&self) -> LinkState {
        Link::state(self)
    }

    fn watch(&self) -> watch::Receiver<LinkState> {
        Link::watch(self)
    }

    fn request(&self, request: Request) -> LinkFuture<'_, Result<ServerMessage, LinkError>> {
        Box::pin(Link::request(self, request))
    }

    fn auth(&self, cmd: AuthCmd) -> LinkFuture<'_, Result<ServerMessage, LinkError>> {
        Box::pin(Link::auth(self, cmd))
    }

    fn ack(&self, msg_ids: Vec<String>) -> LinkFuture<'_, ()> {
        Box::pin(Link::ack(self, msg_ids))
    }
}

/// Cheap handle to the link task.
#[derive(Clone)]
pub struct Link {
    tx: mpsc::Sender<Cmd>,
    state: watch::Receiver<LinkState>,
}

/// What the link task is given at start.
pub struct LinkSetup {
    /// HOST:PORT.
    pub server: String,
    /// Bare TCP.
    pub plaintext: bool,
    /// A pin from the person (flag or config); else TOFU.
    pub pin: Option<String>,
    /// Our identity's public PEM, sent with signup and login.
    pub identity_pem: String,
    /// The store, for the token and the TOFU pin.
    pub db: Db,
    /// Where pushes go.
    pub events: mpsc::Sender<LinkEvent>,
    /// Ends the link.
    pub shutdown: CancellationToken,
}

impl Link {
    /// Starts the link task.
    pub fn start(setup: LinkSetup) -> (Link, tokio::task::JoinHandle<()>) {
        let (tx, rx) = mpsc::channel(256);
        let initial = LinkState {
            conn: ConnectionState::Offline,
            user: None,
            server_fingerprint: setup.pin.clone(),
            last_error: None,
            session: 0,
        };
        let (state_tx, state) = watch::channel(initial);
        let task = tokio::spawn(session::supervise(setup, rx, state_tx));
        (Link { tx, state }, task)
    }

    /// The current state.
    pub fn state(&self) -> LinkState {
        self.state.borrow().clone()
    }

    /// A receiver of state changes.
    pub fn watch(&self) -> watch::Receiver<LinkState> {
        self.state.clone()
    }

    /// Sends a request needing a logged-in session and awaits its answer;
    /// server errors come back as [`LinkError::Server`].
    pub async fn request(&self, request: Request) -> Result<ServerMessage, LinkError> {
        let (tx, rx) = oneshot::channel();
        self.tx
            .send(Cmd::Request(request, tx))
            .await
            .map_err(|_| LinkError::Offline)?;
        rx.await.map_err(|_| LinkError::Offline)?
    }

    /// Runs an account operation.
    pub async fn auth(&self, cmd: AuthCmd) -> Result<ServerMessage, LinkError> {
        let (tx, rx) = oneshot::channel();
        self.tx
            .send(Cmd::Auth(cmd, tx))
            .await
            .map_err(|_| LinkError::Offline)?;
        rx.await.map_err(|_| LinkError::Offline)?
    }

    /// Acknowledges delivered messages (fire and forget: unacked messages
    /// come again, and the daemon drops duplicates).
    pub async fn ack(&self, msg_ids: Vec<String>) {
        let _ = self.tx.send(Cmd::Ack(msg_ids)).await;
    }
}

/// Requests in flight on one connection, by id.
type Pending = Arc<Mutex<HashMap<u64, Reply>>>;

/// A server's answer, its errors as [`LinkError`]s: one mapping for the
/// chat connection and the bulk one.
fn into_result(msg: ServerMessage) -> Result<ServerMessage, LinkError> {
    match msg {
        ServerMessage::Error {
            code: ErrorCode::NotAuthenticated,
            ..
        } => Err(LinkError::NotLoggedIn),
        ServerMessage::Error {
            code,
            message,
            retry_after_ms,
        } => Err(LinkError::Server {
            code,
            message,
            retry_after_ms,
        }),
        other => Ok(other),
    }
}

/// Reconnect delays: 0.5 s doubling to 30 s, each with full jitter so a
/// server restart is not met by every client at the same instant.
fn backoff(attempt: u32) -> Duration {
    let ceiling = Duration::from_millis(500)
        .saturating_mul(1u32 << attempt.min(6))
        .min(Duration::from_secs(30));
    let r = chat_proto::crypto::random_bytes::<2>()
        .map(u16::from_be_bytes)
        .unwrap_or(u16::MAX);
    // Between half and all of the ceiling.
    ceiling / 2 + ceiling.mul_f64(f64::from(r) / f64::from(u16::MAX) / 2.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_with_jitter_and_caps() {
        for attempt in 0..20 {
            let d = backoff(attempt);
            let ceiling = Duration::from_millis(500)
                .saturating_mul(1u32 << attempt.min(6))
                .min(Duration::from_secs(30));
            assert!(d >= ceiling / 2 && d <= ceiling, "{attempt}: {d:?}");
        }
        assert!(backoff(20) <= Duration::from_secs(30));
    }
}
