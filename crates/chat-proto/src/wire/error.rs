//! The closed list of error codes of PROTOCOL.md §1.2, §4.5 and §5.3.

use serde::{Deserialize, Serialize};

/// Every error code the server may send.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// Not UTF-8, not JSON, not an object, or no `type`.
    BadFrame,
    /// Length 0 or over the cap; the connection is closed.
    FrameTooLarge,
    /// A `type` this server does not know.
    UnknownType,
    /// A known type with missing or mistyped fields.
    BadRequest,
    /// The request needs a logged-in connection.
    NotAuthenticated,
    /// signup/login/resume on a connection already logged in.
    AlreadyAuthenticated,
    /// Wrong username, password or token.
    BadCredentials,
    /// signup with a name that exists.
    UsernameTaken,
    /// A username outside the allowed syntax.
    InvalidUsername,
    /// A password outside the rules of §0.
    InvalidPassword,
    /// A public key that does not parse or is too weak.
    BadKey,
    /// The named user does not exist.
    NoSuchUser,
    /// Too many failed logins; see `retry_after_ms`.
    RateLimited,
    /// The recipient has too many stored messages.
    MailboxFull,
    /// The server is at capacity; try again later.
    ServerBusy,
    /// A fault on the server side.
    Internal,
    /// `group_commit` for a version that is not the next one (§4.5); sent
    /// as [`super::ServerMessage::StaleVersion`], which carries the group's
    /// current version and hash.
    StaleVersion,
    /// `group_commit` by a user the group's record does not allow to make
    /// that change (§4.5).
    NotGroupAdmin,
    /// A blob (or a piece of one) larger than the server allows, or empty
    /// (§5.3).
    TooLarge,
    /// The owner's blobs would pass their quota (§5.3).
    QuotaExceeded,
    /// `blob_finish` with a digest other than the SHA-256 of what the
    /// server holds; the upload is discarded (§5.3).
    DigestMismatch,
    /// No blob of that id that this user may see: never created, expired,
    /// deleted, or not finished and not theirs (§5.3).
    NoSuchBlob,
    /// A `blob_put` (or `blob_finish`, `blob_get`) at the wrong offset;
    /// sent as [`super::ServerMessage::BadOffset`], which carries the
    /// offset to continue from (§5.3).
    BadOffset,
}

impl ErrorCode {
    /// The code as it appears on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::BadFrame => "bad_frame",
            ErrorCode::FrameTooLarge => "frame_too_large",
            ErrorCode::UnknownType => "unknown_type",
            ErrorCode::BadRequest => "bad_request",
            ErrorCode::NotAuthenticated => "not_authenticated",
            ErrorCode::AlreadyAuthenticated => "already_authenticated",
            ErrorCode::BadCredentials => "bad_credentials",
            ErrorCode::UsernameTaken => "username_taken",
            ErrorCode::InvalidUsername => "invalid_username",
            ErrorCode::InvalidPassword => "invalid_password",
            ErrorCode::BadKey => "bad_key",
            ErrorCode::NoSuchUser => "no_such_user",
            ErrorCode::RateLimited => "rate_limited",
            ErrorCode::MailboxFull => "mailbox_full",
            ErrorCode::ServerBusy => "server_busy",
            ErrorCode::Internal => "internal",
            ErrorCode::StaleVersion => "stale_version",
            ErrorCode::NotGroupAdmin => "not_group_admin",
            ErrorCode::TooLarge => "too_large",
            ErrorCode::QuotaExceeded => "quota_exceeded",
            ErrorCode::DigestMismatch => "digest_mismatch",
            ErrorCode::NoSuchBlob => "no_such_blob",
            ErrorCode::BadOffset => "bad_offset",
        }
    }

    /// Every code, for exhaustive tests and documentation.
    pub const ALL: [ErrorCode; 23] = [
        ErrorCode::BadFrame,
        ErrorCode::FrameTooLarge,
        ErrorCode::UnknownType,
        ErrorCode::BadRequest,
        ErrorCode::NotAuthenticated,
        ErrorCode::AlreadyAuthenticated,
        ErrorCode::BadCredentials,
        ErrorCode::UsernameTaken,
        ErrorCode::InvalidUsername,
        ErrorCode::InvalidPassword,
        ErrorCode::BadKey,
        ErrorCode::NoSuchUser,
        ErrorCode::RateLimited,
        ErrorCode::MailboxFull,
        ErrorCode::ServerBusy,
        ErrorCode::Internal,
        ErrorCode::StaleVersion,
        ErrorCode::NotGroupAdmin,
        ErrorCode::TooLarge,
        ErrorCode::QuotaExceeded,
        ErrorCode::DigestMismatch,
        ErrorCode::NoSuchBlob,
        ErrorCode::BadOffset,
    ];
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
