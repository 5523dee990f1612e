//! Why a transfer stopped, sorted by what happens next: the manager
//! retries what [`TransferError::is_retryable`] says will pass later (the
//! network, the server being busy) and gives up on the rest, showing the
//! message, which says what the person can do.

use std::io;
use std::path::PathBuf;

use chat_e2e::file::FileError;
use chat_proto::ErrorCode;

use crate::link::LinkError;

/// Why an upload or a download did not complete.
#[derive(Debug, thiserror::Error)]
pub enum TransferError {
    /// The bulk connection was lost, or could not log in right now.
    #[error("the connection to the server was lost; the transfer continues when it is back")]
    Offline,
    /// The server could not be reached.
    #[error("cannot reach the server ({0}); the transfer continues when it is back")]
    Unreachable(String),
    /// The session token was refused: the main link must log in again.
    #[error("not logged in; the transfer continues after the next login")]
    NotLoggedIn,
    /// The server asked to slow down (or is busy, or failed inside).
    #[error("the server is busy ({message}); the transfer will be tried again")]
    Busy {
        /// The server's words.
        message: String,
        /// When it said to try again, if it did.
        retry_after_ms: Option<u64>,
    },
    /// The server keeps moving the offset under the upload (another
    /// session of this account writes the same blob).
    #[error("the server's offset for this upload keeps moving; the upload will be tried again")]
    OffsetsDisagree,
    /// The server has no blob store (its hello has no `files`).
    #[error("this server does not store files; ask its operator to enable file transfers")]
    NoBlobStore,
    /// `too_large`: the blob is larger than the server takes.
    #[error("the file is too large for this server ({message})")]
    TooLarge {
        /// The server's words.
        message: String,
    },
    /// `quota_exceeded`: the account's storage on the server is full.
    #[error(
        "the server's storage for this account is full ({message}); wait for earlier files to \
         expire or cancel unfinished uploads"
    )]
    QuotaExceeded {
        /// The server's words.
        message: String,
    },
    /// `no_such_blob`.
    #[error("the file is no longer on the server (expired or deleted)")]
    NoSuchBlob,
    /// `digest_mismatch` at `blob_finish`: the server discarded the upload.
    #[error(
        "the server holds other bytes than were sent and discarded the upload; send the file again"
    )]
    DigestMismatch,
    /// Any other refusal by the server.
    #[error("the server refused ({code:?}): {message}")]
    Refused {
        /// The wire code.
        code: ErrorCode,
        /// The server's words.
        message: String,
    },
    /// The server answered something that makes no sense here.
    #[error("unexpected answer from the server: {0}")]
    Protocol(String),
    /// The blob failed a check of PROTOCOL.md §5.2: the file is not kept.
    #[error("the file was tampered with or damaged on the way and was not saved: {0}")]
    Tampered(FileError),
    /// The file to send changed size while it was being sent.
    #[error("the file changed while it was being sent; send it again")]
    SourceChanged,
    /// A local file could not be read or written.
    #[error("cannot {what} {}: {source}; check the disk and the permissions, then try again", path.display())]
    Io {
        /// What was being done ("read", "write", ...).
        what: &'static str,
        /// To which file.
        path: PathBuf,
        /// The system's error.
        source: io::Error,
    },
}

impl TransferError {
    /// Whether the same transfer may succeed if tried again later (the
    /// manager backs off and retries); refusals, tampering and local
    /// trouble need a person.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            Self::Offline
                | Self::Unreachable(_)
                | Self::NotLoggedIn
                | Self::Busy { .. }
                | Self::OffsetsDisagree
        )
    }

    /// A short stable name, for the local API's `error` and for logs.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Offline => "offline",
            Self::Unreachable(_) => "unreachable",
            Self::NotLoggedIn => "not_logged_in",
            Self::Busy { .. } => "server_busy",
            Self::OffsetsDisagree => "offsets_disagree",
            Self::NoBlobStore => "no_blob_store",
            Self::TooLarge { .. } => "file_too_large",
            Self::QuotaExceeded { .. } => "quota_exceeded",
            Self::NoSuchBlob => "no_such_blob",
            Self::DigestMismatch => "digest_mismatch",
            Self::Refused { .. } => "refused",
            Self::Protocol(_) => "protocol",
            Self::Tampered(_) => "file_tampered",
            Self::SourceChanged => "source_changed",
            Self::Io { .. } => "io",
        }
    }

    /// A local I/O error on `path`, or the blob check inside it (the
    /// chat-e2e adapters carry [`FileError`]s in `io::Error`s).
    pub(crate) fn io(what: &'static str, path: impl Into<PathBuf>, source: io::Error) -> Self {
        match FileError::from_io(&source) {
            Some(FileError::SourceChanged { .. }) => Self::SourceChanged,
            Some(e) => Self::Tampered(e.clone()),
            None => Self::Io {
                what,
                path: path.into(),
                source,
            },
        }
    }
}

impl From<LinkError> for TransferError {
    fn from(e: LinkError) -> Self {
        match e {
            LinkError::Offline => Self::Offline,
            LinkError::Unreachable(why) => Self::Unreachable(why),
            LinkError::NotLoggedIn => Self::NotLoggedIn,
            LinkError::Protocol(why) => Self::Protocol(why),
            LinkError::Server {
                code,
                message,
                retry_after_ms,
            } => match code {
                ErrorCode::RateLimited | ErrorCode::ServerBusy | ErrorCode::Internal => {
                    Self::Busy {
                        message,
                        retry_after_ms,
                    }
                }
                ErrorCode::TooLarge => Self::TooLarge { message },
                ErrorCode::QuotaExceeded => Self::QuotaExceeded { message },
                ErrorCode::NoSuchBlob => Self::NoSuchBlob,
                ErrorCode::DigestMismatch => Self::DigestMismatch,
                code => Self::Refused { code, message },
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn network_trouble_is_retried_and_refusals_are_not() {
        let server = |code| {
            TransferError::from(LinkError::Server {
                code,
                message: "no".into(),
                retry_after_ms: None,
            })
        };
        assert!(TransferError::from(LinkError::Offline).is_retryable());
        assert!(server(ErrorCode::RateLimited).is_retryable());
        assert!(!server(ErrorCode::QuotaExceeded).is_retryable());
        assert!(matches!(
            server(ErrorCode::NoSuchBlob),
            TransferError::NoSuchBlob
        ));
        assert!(!TransferError::Tampered(FileError::DigestMismatch).is_retryable());
        assert_eq!(
            TransferError::NoSuchBlob.to_string(),
            "the file is no longer on the server (expired or deleted)"
        );
    }
}
