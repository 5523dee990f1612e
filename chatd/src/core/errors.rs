//! Translation of internal failures into local-API errors, in one place so
//! every method reports the same failure the same way, with a next step.

use chat_e2e::E2eError;
use chat_proto::ErrorCode as Wire;
use chatd_api::{ApiError, ErrorCode};
use serde_json::json;

use crate::link::LinkError;
use crate::store::StoreError;

/// A link failure as an API error.
pub fn from_link(e: LinkError) -> ApiError {
    match e {
        LinkError::Offline => ApiError::new(
            ErrorCode::Offline,
            "chatd is not connected to the server; it keeps trying",
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

/// A store failure as an API error.
pub fn from_store(e: StoreError) -> ApiError {
    tracing::error!(error = %e, "store failure");
    // A full or read-only disk is the person's to fix: say so plainly, with
    // a machine-readable reason beside the code.
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

/// An end-to-end failure as an API error.
pub fn from_e2e(e: E2eError) -> ApiError {
    match e {
        E2eError::UnknownPeer(u) => {
            ApiError::new(ErrorCode::NoSuchUser, format!("no key known for {u}"))
        }
        E2eError::PeerKeyChanged(u) => ApiError::new(
            ErrorCode::KeyChanged,
            format!("{u}'s identity key changed; compare fingerprints, then run `chat trust {u}`"),
        ),
        E2eError::FingerprintMismatch { .. } => {
            ApiError::new(ErrorCode::FingerprintMismatch, e.to_string())
        }
        E2eError::InvalidFingerprint => ApiError::new(ErrorCode::InvalidInput, e.to_string()),
        other => {
            tracing::error!(error = %other, "end-to-end failure");
            ApiError::new(ErrorCode::InternalError, other.to_string())
        }
    }
}
