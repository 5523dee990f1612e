//! JSON-RPC error codes of PROTOCOL.md §3: the standard ones and the
//! daemon's own, each with its symbolic name in `data.code`, so scripts can
//! match on names rather than numbers.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// Every error code chatd answers with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// -32700: the line is not JSON.
    ParseError,
    /// -32600: not a JSON-RPC 2.0 request object.
    InvalidRequest,
    /// -32601: no such method.
    MethodNotFound,
    /// -32602: missing or mistyped params.
    InvalidParams,
    /// -32603: a fault inside chatd.
    InternalError,
    /// -32001: the method needs a logged-in account.
    NotLoggedIn,
    /// -32002: the server cannot be reached now.
    Offline,
    /// -32003: the named user does not exist.
    NoSuchUser,
    /// -32004: the peer's key changed; `trust` it first.
    KeyChanged,
    /// -32005: wrong username or password.
    BadCredentials,
    /// -32006: signup with a taken name.
    UsernameTaken,
    /// -32007: too many attempts; wait.
    RateLimited,
    /// -32008: `verify` with a fingerprint that is not the peer's.
    FingerprintMismatch,
    /// -32009: a value outside what the method accepts.
    InvalidInput,
    /// -32010: extension: no group by that id or name.
    NoSuchGroup,
    /// -32011: extension: only an admin of the group may do that.
    NotGroupAdmin,
    /// -32012: extension: we are not (or no longer) a member of the group.
    NotGroupMember,
    /// -32013: extension: no transfer by that id.
    NoSuchTransfer,
    /// -32014: extension: the file is larger than the server takes (or
    /// than chatd's own limit), or the server keeps no files at all.
    FileTooLarge,
    /// -32015: extension: the message has no file, or its file cannot be
    /// fetched any more.
    NotAFile,
}

impl ErrorCode {
    /// The JSON-RPC numeric code.
    pub fn number(self) -> i64 {
        match self {
            ErrorCode::ParseError => -32700,
            ErrorCode::InvalidRequest => -32600,
            ErrorCode::MethodNotFound => -32601,
            ErrorCode::InvalidParams => -32602,
            ErrorCode::InternalError => -32603,
            ErrorCode::NotLoggedIn => -32001,
            ErrorCode::Offline => -32002,
            ErrorCode::NoSuchUser => -32003,
            ErrorCode::KeyChanged => -32004,
            ErrorCode::BadCredentials => -32005,
            ErrorCode::UsernameTaken => -32006,
            ErrorCode::RateLimited => -32007,
            ErrorCode::FingerprintMismatch => -32008,
            ErrorCode::InvalidInput => -32009,
            ErrorCode::NoSuchGroup => -32010,
            ErrorCode::NotGroupAdmin => -32011,
            ErrorCode::NotGroupMember => -32012,
            ErrorCode::NoSuchTransfer => -32013,
            ErrorCode::FileTooLarge => -32014,
            ErrorCode::NotAFile => -32015,
        }
    }

    /// The symbolic name, as in `data.code`.
    pub fn name(self) -> &'static str {
        match self {
            ErrorCode::ParseError => "parse_error",
            ErrorCode::InvalidRequest => "invalid_request",
            ErrorCode::MethodNotFound => "method_not_found",
            ErrorCode::InvalidParams => "invalid_params",
            ErrorCode::InternalError => "internal_error",
            ErrorCode::NotLoggedIn => "not_logged_in",
            ErrorCode::Offline => "offline",
            ErrorCode::NoSuchUser => "no_such_user",
            ErrorCode::KeyChanged => "key_changed",
            ErrorCode::BadCredentials => "bad_credentials",
            ErrorCode::UsernameTaken => "username_taken",
            ErrorCode::RateLimited => "rate_limited",
            ErrorCode::FingerprintMismatch => "fingerprint_mismatch",
            ErrorCode::InvalidInput => "invalid_input",
            ErrorCode::NoSuchGroup => "no_such_group",
            ErrorCode::NotGroupAdmin => "not_group_admin",
            ErrorCode::NotGroupMember => "not_group_member",
            ErrorCode::NoSuchTransfer => "no_such_transfer",
            ErrorCode::FileTooLarge => "file_too_large",
            ErrorCode::NotAFile => "not_a_file",
        }
    }

    /// Every code.
    pub const ALL: [ErrorCode; 20] = [
        ErrorCode::ParseError,
        ErrorCode::InvalidRequest,
        ErrorCode::MethodNotFound,
        ErrorCode::InvalidParams,
        ErrorCode::InternalError,
        ErrorCode::NotLoggedIn,
        ErrorCode::Offline,
        ErrorCode::NoSuchUser,
        ErrorCode::KeyChanged,
        ErrorCode::BadCredentials,
        ErrorCode::UsernameTaken,
        ErrorCode::RateLimited,
        ErrorCode::FingerprintMismatch,
        ErrorCode::InvalidInput,
        ErrorCode::NoSuchGroup,
        ErrorCode::NotGroupAdmin,
        ErrorCode::NotGroupMember,
        ErrorCode::NoSuchTransfer,
        ErrorCode::FileTooLarge,
        ErrorCode::NotAFile,
    ];

    /// The code with this number, if it is one of ours.
    pub fn from_number(n: i64) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.number() == n)
    }
}

/// An error answer from chatd, or one made by the client for a transport
/// failure.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{message}")]
pub struct ApiError {
    /// The code (None when chatd sent a number we do not know).
    pub code: Option<ErrorCode>,
    /// The JSON-RPC number.
    pub number: i64,
    /// For people.
    pub message: String,
    /// Extra data (`code` and, for some errors, more: `retry_after_ms`).
    pub data: Value,
}

impl ApiError {
    /// An error of a known code.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code: Some(code),
            number: code.number(),
            message: message.into(),
            data: json!({"code": code.name()}),
        }
    }

    /// Adds a field to `data`.
    pub fn with_data(mut self, key: &str, value: Value) -> Self {
        if let Value::Object(map) = &mut self.data {
            map.insert(key.to_string(), value);
        }
        self
    }

    /// The JSON-RPC `error` object.
    pub fn to_json(&self) -> Value {
        json!({"code": self.number, "message": self.message, "data": self.data})
    }

    /// Parses a JSON-RPC `error` object.
    pub fn from_json(v: &Value) -> Self {
        let number = v["code"].as_i64().unwrap_or(-32603);
        Self {
            code: ErrorCode::from_number(number),
            number,
            message: v["message"]
                .as_str()
                .unwrap_or("error without a message")
                .to_string(),
            data: v.get("data").cloned().unwrap_or(Value::Null),
        }
    }
}
