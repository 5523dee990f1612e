//! What can go wrong talking to chatd, as one typed error whose messages
//! say what to do next, plus the exit codes the CLI (and scripts that wrap
//! other frontends) map them to.

use std::path::PathBuf;

use crate::error::{ApiError, ErrorCode};

/// Exit code: success.
pub const EXIT_OK: u8 = 0;
/// Exit code: any failure without a more specific code.
pub const EXIT_FAILURE: u8 = 1;
/// Exit code: the command line was wrong (clap uses 2 as well).
pub const EXIT_USAGE: u8 = 2;
/// Exit code: chatd is not running (nothing listens on the socket).
pub const EXIT_NOT_RUNNING: u8 = 3;
/// Exit code: chatd refused the request (a JSON-RPC error answer).
pub const EXIT_REFUSED: u8 = 4;

/// An error from [`Client`](super::Client) or
/// [`BlockingClient`](crate::blocking::BlockingClient).
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// Nothing listens on the socket: it is missing or refuses connections.
    #[error(
        "chatd is not running (nothing listens on {}); start it with \
         `systemctl --user start chatd` or run `chatd`",
        path.display()
    )]
    NotRunning {
        /// The socket that was tried.
        path: PathBuf,
    },
    /// No socket path is known: neither `$CHATD_SOCKET` nor
    /// `$XDG_RUNTIME_DIR` is set.
    #[error(
        "cannot tell where chatd's socket is: XDG_RUNTIME_DIR is not set; \
         set CHATD_SOCKET or pass the socket path"
    )]
    NoSocketPath,
    /// chatd closed the connection (it stopped or restarted).
    #[error(
        "chatd closed the connection; check it with `systemctl --user status chatd` \
         and try again"
    )]
    Disconnected,
    /// Reading or writing the socket failed. (The cause is in the message
    /// rather than in `source()`, so printing the error chain does not say
    /// it twice.)
    #[error("talking to chatd failed: {0}")]
    Io(std::io::Error),
    /// chatd sent something that breaks the protocol (an over-long line, a
    /// result of the wrong shape).
    #[error("protocol error talking to chatd: {0}")]
    Protocol(String),
    /// chatd answered with a JSON-RPC error.
    #[error(transparent)]
    Api(#[from] ApiError),
}

impl From<std::io::Error> for ClientError {
    fn from(e: std::io::Error) -> Self {
        ClientError::Io(e)
    }
}

impl ClientError {
    /// The process exit code a command-line frontend should end with:
    /// [`EXIT_NOT_RUNNING`] (3), [`EXIT_REFUSED`] (4) or [`EXIT_FAILURE`] (1).
    pub fn exit_code(&self) -> u8 {
        match self {
            ClientError::NotRunning { .. } => EXIT_NOT_RUNNING,
            ClientError::Api(_) => EXIT_REFUSED,
            _ => EXIT_FAILURE,
        }
    }

    /// The daemon's error answer, when this is one.
    pub fn api_error(&self) -> Option<&ApiError> {
        match self {
            ClientError::Api(e) => Some(e),
            _ => None,
        }
    }

    /// The daemon's error code, when this is an answer with a known code.
    pub fn code(&self) -> Option<ErrorCode> {
        self.api_error().and_then(|e| e.code)
    }
}

/// Why a connection ended, kept so that every later call reports the same
/// cause. `ClientError` is not `Clone` (it may hold an `io::Error`), so
/// this is what is stored and turned into a fresh error per caller.
#[derive(Debug, Clone)]
pub(crate) enum Closed {
    /// End of stream from chatd.
    Disconnected,
    /// chatd broke the protocol.
    Protocol(String),
    /// The socket failed.
    Io(std::io::ErrorKind, String),
}

impl Closed {
    /// A fresh error for one caller.
    pub(crate) fn to_error(&self) -> ClientError {
        match self {
            Closed::Disconnected => ClientError::Disconnected,
            Closed::Protocol(msg) => ClientError::Protocol(msg.clone()),
            Closed::Io(kind, msg) => ClientError::Io(std::io::Error::new(*kind, msg.clone())),
        }
    }

    /// Classifies a socket error: a peer that went away is `Disconnected`.
    pub(crate) fn from_io(e: &std::io::Error) -> Self {
        use std::io::ErrorKind::*;
        match e.kind() {
            BrokenPipe | ConnectionReset | ConnectionAborted | UnexpectedEof => {
                Closed::Disconnected
            }
            kind => Closed::Io(kind, e.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes_follow_the_kind_of_failure() {
        let not_running = ClientError::NotRunning {
            path: "/run/x.sock".into(),
        };
        assert_eq!(not_running.exit_code(), EXIT_NOT_RUNNING);
        let msg = not_running.to_string();
        assert!(msg.contains("/run/x.sock") && msg.contains("systemctl --user start chatd"));
        let refused = ClientError::Api(ApiError::new(ErrorCode::NoSuchUser, "no user bob"));
        assert_eq!(refused.exit_code(), EXIT_REFUSED);
        assert_eq!(refused.code(), Some(ErrorCode::NoSuchUser));
        assert_eq!(ClientError::Disconnected.exit_code(), EXIT_FAILURE);
        assert_eq!(ClientError::Protocol("x".into()).code(), None);
        // Printing the whole chain says each cause once.
        let chain = |e: &dyn std::error::Error| {
            let mut parts = vec![e.to_string()];
            let mut cur = e.source();
            while let Some(s) = cur {
                parts.push(s.to_string());
                cur = s.source();
            }
            parts.join(": ")
        };
        assert_eq!(chain(&refused), "no user bob");
        let io = ClientError::from(std::io::Error::other("boom"));
        assert_eq!(chain(&io), "talking to chatd failed: boom");
    }

    #[test]
    fn a_vanished_peer_is_a_disconnect() {
        let e = std::io::Error::from(std::io::ErrorKind::BrokenPipe);
        assert!(matches!(
            Closed::from_io(&e).to_error(),
            ClientError::Disconnected
        ));
        let e = std::io::Error::from(std::io::ErrorKind::PermissionDenied);
        assert!(matches!(Closed::from_io(&e).to_error(), ClientError::Io(_)));
    }
}
