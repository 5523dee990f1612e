//! D-Bus errors: each local-API error code becomes a named D-Bus error
//! under `org.securechat.Chatd1.Error`, so busctl, gdbus and scripts see
//! `org.securechat.Chatd1.Error.KeyChanged` rather than a generic failure,
//! with chatd's human message (which says what to do next) as the text.

use chatd_api::{ApiError, ErrorCode};
use zbus::DBusError;

/// The prefix of every error name.
pub const ERROR_PREFIX: &str = "org.securechat.Chatd1.Error";

/// A method's failure on D-Bus. One variant per [`ErrorCode`], named in
/// CamelCase after the code's name (`key_changed` -> `KeyChanged`).
#[derive(Debug, DBusError)]
#[zbus(prefix = "org.securechat.Chatd1.Error")]
pub enum Error {
    /// A D-Bus failure of chatd's own (for example a reply it could not
    /// send); named `org.freedesktop.DBus.Error.*`.
    #[zbus(error)]
    ZBus(zbus::Error),
    /// `parse_error`.
    ParseError(String),
    /// `invalid_request`.
    InvalidRequest(String),
    /// `method_not_found`.
    MethodNotFound(String),
    /// `invalid_params`.
    InvalidParams(String),
    /// `internal_error`.
    InternalError(String),
    /// `not_logged_in`.
    NotLoggedIn(String),
    /// `offline`.
    Offline(String),
    /// `no_such_user`.
    NoSuchUser(String),
    /// `key_changed`.
    KeyChanged(String),
    /// `bad_credentials`.
    BadCredentials(String),
    /// `username_taken`.
    UsernameTaken(String),
    /// `rate_limited`.
    RateLimited(String),
    /// `fingerprint_mismatch`.
    FingerprintMismatch(String),
    /// `invalid_input`.
    InvalidInput(String),
    /// No group by that id or name.
    NoSuchGroup(String),
    /// Only an admin of the group may do that.
    NotGroupAdmin(String),
    /// Not (or no longer) a member of the group.
    NotGroupMember(String),
    /// No transfer by that id.
    NoSuchTransfer(String),
    /// The file is larger than the server or chatd takes.
    FileTooLarge(String),
    /// The message has no file, or its file cannot be fetched any more.
    NotAFile(String),
    /// The caller runs as another user (the session bus admits only its
    /// owner, so this means a misconfigured bus).
    AccessDenied(String),
}

impl Error {
    /// An internal error with `message`.
    pub fn internal(message: impl Into<String>) -> Self {
        Self::InternalError(message.into())
    }
}

impl From<ApiError> for Error {
    fn from(e: ApiError) -> Self {
        let mut message = e.message;
        // The socket carries the wait in `data`; D-Bus errors have text only.
        if let Some(ms) = e.data.get("retry_after_ms").and_then(|v| v.as_u64()) {
            message = format!("{message} (retry after {ms} ms)");
        }
        let Some(code) = e.code else {
            return Self::InternalError(message);
        };
        match code {
            ErrorCode::ParseError => Self::ParseError(message),
            ErrorCode::InvalidRequest => Self::InvalidRequest(message),
            ErrorCode::MethodNotFound => Self::MethodNotFound(message),
            ErrorCode::InvalidParams => Self::InvalidParams(message),
            ErrorCode::InternalError => Self::InternalError(message),
            ErrorCode::NotLoggedIn => Self::NotLoggedIn(message),
            ErrorCode::Offline => Self::Offline(message),
            ErrorCode::NoSuchUser => Self::NoSuchUser(message),
            ErrorCode::KeyChanged => Self::KeyChanged(message),
            ErrorCode::BadCredentials => Self::BadCredentials(message),
            ErrorCode::UsernameTaken => Self::UsernameTaken(message),
            ErrorCode::RateLimited => Self::RateLimited(message),
            ErrorCode::FingerprintMismatch => Self::FingerprintMismatch(message),
            ErrorCode::InvalidInput => Self::InvalidInput(message),
            ErrorCode::NoSuchGroup => Self::NoSuchGroup(message),
            ErrorCode::NotGroupAdmin => Self::NotGroupAdmin(message),
            ErrorCode::NotGroupMember => Self::NotGroupMember(message),
            ErrorCode::NoSuchTransfer => Self::NoSuchTransfer(message),
            ErrorCode::FileTooLarge => Self::FileTooLarge(message),
            ErrorCode::NotAFile => Self::NotAFile(message),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `key_changed` -> `KeyChanged`.
    fn camel(name: &str) -> String {
        name.split('_')
            .map(|w| {
                let mut c = w.chars();
                c.next()
                    .map(|f| f.to_uppercase().chain(c).collect::<String>())
                    .unwrap_or_default()
            })
            .collect()
    }

    #[test]
    fn every_code_has_its_named_error_and_message() {
        for code in ErrorCode::ALL {
            let e = Error::from(ApiError::new(code, "what to do next"));
            assert_eq!(
                e.name().as_str(),
                format!("{ERROR_PREFIX}.{}", camel(code.name())),
                "{code:?}"
            );
            assert_eq!(e.description(), Some("what to do next"));
        }
    }

    #[test]
    fn the_wait_of_a_rate_limit_is_in_the_text() {
        let e = ApiError::new(ErrorCode::RateLimited, "too many attempts")
            .with_data("retry_after_ms", serde_json::json!(1500));
        let e = Error::from(e);
        assert_eq!(e.name().as_str(), format!("{ERROR_PREFIX}.RateLimited"));
        assert_eq!(
            e.description(),
            Some("too many attempts (retry after 1500 ms)")
        );
    }
}
