//! The core's one error type, and its translation into local-API errors.
//! Internals return [`CoreError`], which keeps what failed (the store, the
//! end-to-end layer, the server link, the caller's input); only the API
//! boundary turns it into an [`ApiError`], in one place, so every method
//! reports the same failure the same way with a next step, and the log
//! names the part that failed (a refused signature is never reported as a
//! database error).

use chat_e2e::E2eError;
use chat_proto::ErrorCode as Wire;
use chatd_api::{ApiError, ErrorCode};
use serde_json::json;

use crate::link::LinkError;
use crate::store::StoreError;

/// Why a core operation failed.
#[derive(Debug, thiserror::Error)]
pub enum CoreError {
    /// The local database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The end-to-end layer refused or failed.
    #[error(transparent)]
    E2e(#[from] E2eError),
    /// The server could not be asked, or said no.
    #[error(transparent)]
    Link(#[from] LinkError),
    /// What the caller gave is not acceptable; the message says why.
    #[error("{0}")]
    InvalidInput(String),
    /// The `group` param names no group we hold (the message says so).
    #[error("{0}")]
    NoSuchGroup(String),
    /// Only an admin of the group may do this.
    #[error("{0}")]
    NotGroupAdmin(String),
    /// Only a member of the group may do this.
    #[error("{0}")]
    NotGroupMember(String),
    /// No transfer by that id.
    #[error("{0}")]
    NoSuchTransfer(String),
    /// A file larger than the server or chatd takes.
    #[error("{0}")]
    FileTooLarge(String),
    /// The message has no file, or its file cannot be fetched.
    #[error("{0}")]
    NotAFile(String),
    /// No account is bound to this daemon yet.
    #[error("no account yet: sign up or log in first")]
    NoAccount,
    /// The daemon holds another account's data.
    #[error(
        "this chatd holds the data of {held}; run another chatd with its own --data-dir for {wanted}"
    )]
    OtherAccount {
        /// The account the data belongs to.
        held: String,
        /// The account asked for.
        wanted: String,
    },
    /// The server holds another identity key for our own account than the
    /// one this daemon owns: someone logged in to the account with it.
    #[error(
        "the server holds another identity key for {user} ({server}) than this chatd's own \
         ({local}): someone logged in to your account with another key; nothing is sent to \
         yourself until it is fixed: change your password, then run `chat login` to register \
         this chatd's key again"
    )]
    OwnKeyMismatch {
        /// Our account.
        user: String,
        /// Fingerprint of the key the server gave.
        server: String,
        /// Fingerprint of our own key.
        local: String,
    },
    /// A bug or a broken invariant inside chatd.
    #[error("internal error in chatd: {0}; please report it with the log")]
    Internal(String),
}

impl CoreError {
    /// Logs a failure of chatd itself (not of the caller's input) at the
    /// level it deserves, naming the part that failed.
    fn log(&self) {
        match self {
            CoreError::Store(e) => tracing::error!(error = %e, "local database failure"),
            CoreError::E2e(e) if is_callers(e) => {}
            CoreError::E2e(e) => tracing::error!(error = %e, "end-to-end failure"),
            CoreError::Internal(e) => tracing::error!(error = %e, "internal failure"),
            _ => {}
        }
    }
}

/// End-to-end errors that answer what the caller asked rather than fail.
fn is_callers(e: &E2eError) -> bool {
    matches!(
        e,
        E2eError::UnknownPeer(_)
            | E2eError::PeerKeyChanged(_)
            | E2eError::FingerprintMismatch { .. }
            | E2eError::InvalidFingerprint
    )
}

impl From<CoreError> for ApiError {
    fn from(e: CoreError) -> Self {
        e.log();
        match e {
            CoreError::Link(e) => link_error(e),
            CoreError::E2e(e) => e2e_error(e),
            CoreError::Store(e) => store_error(e),
            CoreError::InvalidInput(m) => ApiError::new(ErrorCode::InvalidInput, m),
            CoreError::NoSuchGroup(m) => ApiError::new(ErrorCode::NoSuchGroup, m),
            CoreError::NotGroupAdmin(m) => ApiError::new(ErrorCode::NotGroupAdmin, m),
            CoreError::NotGroupMember(m) => ApiError::new(ErrorCode::NotGroupMember, m),
            CoreError::NoSuchTransfer(m) => ApiError::new(ErrorCode::NoSuchTransfer, m),
            CoreError::FileTooLarge(m) => ApiError::new(ErrorCode::FileTooLarge, m),
            CoreError::NotAFile(m) => ApiError::new(ErrorCode::NotAFile, m),
            e @ CoreError::OtherAccount { .. } => {
                ApiError::new(ErrorCode::InvalidInput, e.to_string())
            }
            e @ CoreError::NoAccount => ApiError::new(ErrorCode::NotLoggedIn, e.to_string()),
            e @ CoreError::OwnKeyMismatch { .. } => {
                ApiError::new(ErrorCode::KeyChanged, e.to_string())
            }
            e @ CoreError::Internal(_) => ApiError::new(ErrorCode::InternalError, e.to_string()),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        CoreError::Store(e).into()
    }
}

impl From<LinkError> for ApiError {
    fn from(e: LinkError) -> Self {
        CoreError::Link(e).into()
    }
}

/// A full or read-only disk is the person's to fix: say so plainly, with a
/// machine-readable reason beside the code.
fn store_error(e: StoreError) -> ApiError {
    let reason = match e {
        StoreError::DiskFull => "disk_full",
        StoreError::ReadOnly => "read_only",
        _ => {
            return ApiError::new(
                ErrorCode::InternalError,
                format!("local storage failed: {e}"),
            );
        }
    };
    ApiError::new(ErrorCode::InternalError, e.to_string()).with_data("reason", json!(reason))
}

fn link_error(e: LinkError) -> ApiError {
    match e {
        LinkError::Offline => ApiError::new(
            ErrorCode::Offline,
            "chatd is not connected to the server; it keeps trying",
        ),
        LinkError::Unreachable(why) => ApiError::new(
            ErrorCode::Offline,
            format!(
                "chatd cannot reach the server ({why}); it keeps trying: check the network \
                 and the server address, then try again"
            ),
        ),
        LinkError::NotLoggedIn => {
            ApiError::new(ErrorCode::NotLoggedIn, "not logged in: run `chat login`")
        }
        LinkError::Protocol(m) => ApiError::new(ErrorCode::InternalError, m),
        LinkError::Server {
            code,
            message,
            retry_after_ms,
        } => {
            let ours = match code {
                Wire::BadCredentials => ErrorCode::BadCredentials,
                Wire::UsernameTaken => ErrorCode::UsernameTaken,
                Wire::NoSuchUser => ErrorCode::NoSuchUser,
                Wire::NotGroupAdmin => ErrorCode::NotGroupAdmin,
                Wire::RateLimited | Wire::ServerBusy => ErrorCode::RateLimited,
                Wire::NotAuthenticated => ErrorCode::NotLoggedIn,
                Wire::InvalidUsername
                | Wire::InvalidPassword
                | Wire::BadKey
                | Wire::MailboxFull => ErrorCode::InvalidInput,
                _ => ErrorCode::InternalError,
            };
            let err = ApiError::new(ours, message);
            match retry_after_ms {
                Some(ms) => err.with_data("retry_after_ms", json!(ms)),
                None => err,
            }
        }
    }
}

fn e2e_error(e: E2eError) -> ApiError {
    match e {
        E2eError::UnknownPeer(u) => {
            ApiError::new(ErrorCode::NoSuchUser, format!("no key known for {u}"))
        }
        E2eError::PeerKeyChanged(u) => ApiError::new(
            ErrorCode::KeyChanged,
            format!("{u}'s identity key changed; compare fingerprints, then run `chat trust {u}`"),
        ),
        // Never the expected fingerprint: handing out the right answer
        // would let a person "verify" without comparing anything.
        E2eError::FingerprintMismatch { user, given, .. } => ApiError::new(
            ErrorCode::FingerprintMismatch,
            format!(
                "{given} is not the fingerprint of {user}'s key; nothing was marked verified. \
                 Compare again, digit by digit, with the fingerprint {user} reads to you from \
                 their own device"
            ),
        ),
        E2eError::InvalidFingerprint => ApiError::new(ErrorCode::InvalidInput, e.to_string()),
        other => ApiError::new(ErrorCode::InternalError, other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_variant_maps_to_its_code() {
        let cases: Vec<(CoreError, ErrorCode)> = vec![
            (StoreError::Closed.into(), ErrorCode::InternalError),
            (
                E2eError::PeerKeyChanged("bob".into()).into(),
                ErrorCode::KeyChanged,
            ),
            (
                E2eError::UnknownPeer("bob".into()).into(),
                ErrorCode::NoSuchUser,
            ),
            (E2eError::InvalidFingerprint.into(), ErrorCode::InvalidInput),
            (LinkError::Offline.into(), ErrorCode::Offline),
            (LinkError::NotLoggedIn.into(), ErrorCode::NotLoggedIn),
            (
                LinkError::Server {
                    code: Wire::RateLimited,
                    message: "slow down".into(),
                    retry_after_ms: Some(5),
                }
                .into(),
                ErrorCode::RateLimited,
            ),
            (
                CoreError::InvalidInput("no".into()),
                ErrorCode::InvalidInput,
            ),
            (CoreError::NoAccount, ErrorCode::NotLoggedIn),
            (
                CoreError::OtherAccount {
                    held: "a".into(),
                    wanted: "b".into(),
                },
                ErrorCode::InvalidInput,
            ),
            (
                CoreError::OwnKeyMismatch {
                    user: "a".into(),
                    server: "1".into(),
                    local: "2".into(),
                },
                ErrorCode::KeyChanged,
            ),
            (CoreError::Internal("x".into()), ErrorCode::InternalError),
        ];
        for (core, code) in cases {
            let text = core.to_string();
            let api = ApiError::from(core);
            assert_eq!(api.code, Some(code), "{text}");
        }
    }

    #[test]
    fn an_e2e_failure_is_not_called_a_database_error() {
        let api = ApiError::from(CoreError::from(E2eError::NoSendingKey("bob".into())));
        assert!(!api.message.contains("database"), "{}", api.message);
        assert!(!api.message.contains("storage"), "{}", api.message);
    }
}
