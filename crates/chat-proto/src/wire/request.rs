//! Client-to-server requests (PROTOCOL.md §1.3–§1.5) and the JSON payloads
//! sealed inside their `credentials`.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::sealed::Sealed;

/// Every request a client may send, tagged by `type`.
// Debug is written by hand in `debug.rs`: it redacts secrets.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Request {
    /// Create an account; credentials seal [`PasswordCredentials`].
    Signup {
        /// Sealed username and password.
        credentials: Sealed,
        /// The identity key (SPKI PEM).
        public_key: String,
    },
    /// Log in; credentials seal [`PasswordCredentials`].
    Login {
        /// Sealed username and password.
        credentials: Sealed,
        /// The identity key; a different one replaces the registered key.
        public_key: String,
    },
    /// Log in with a token; credentials seal [`TokenCredentials`].
    Resume {
        /// Sealed username and token.
        credentials: Sealed,
    },
    /// Revoke this connection's token.
    Logout {},
    /// Change the password; credentials seal [`ChangePasswordCredentials`].
    ChangePassword {
        /// Sealed username, current and new password.
        credentials: Sealed,
    },
    /// Page through the directory.
    ListUsers {
        /// Only names starting with this.
        #[serde(default)]
        prefix: String,
        /// At most this many (default 50, at most 500).
        #[serde(default)]
        limit: Option<u32>,
        /// Only users with a live session.
        #[serde(default)]
        online_only: bool,
        /// Extension: only names sorted strictly after this one (paging).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        after: Option<String>,
    },
    /// Fetch a user's identity key.
    GetKey {
        /// Whose key.
        username: String,
    },
    /// Start receiving presence and key changes of these users.
    Watch {
        /// Usernames to add to the watch set.
        users: Vec<String>,
    },
    /// Stop receiving them.
    Unwatch {
        /// Usernames to remove from the watch set.
        users: Vec<String>,
    },
    /// Store and forward an end-to-end envelope.
    Send {
        /// Recipient username.
        to: String,
        /// The opaque envelope (a JSON object).
        envelope: Map<String, Value>,
    },
    /// Acknowledge delivered messages; no response.
    Ack {
        /// Server message ids.
        msg_ids: Vec<String>,
    },
    /// Keep-alive.
    Ping {},
}

/// The `type` of every [`Request`] variant, for unknown_type detection.
pub const REQUEST_TYPES: &[&str] = &[
    "signup",
    "login",
    "resume",
    "logout",
    "change_password",
    "list_users",
    "get_key",
    "watch",
    "unwatch",
    "send",
    "ack",
    "ping",
];

impl Request {
    /// The wire `type` of this request, for logs and metrics.
    pub fn kind(&self) -> &'static str {
        match self {
            Request::Signup { .. } => "signup",
            Request::Login { .. } => "login",
            Request::Resume { .. } => "resume",
            Request::Logout {} => "logout",
            Request::ChangePassword { .. } => "change_password",
            Request::ListUsers { .. } => "list_users",
            Request::GetKey { .. } => "get_key",
            Request::Watch { .. } => "watch",
            Request::Unwatch { .. } => "unwatch",
            Request::Send { .. } => "send",
            Request::Ack { .. } => "ack",
            Request::Ping {} => "ping",
        }
    }
}

/// Sealed inside signup and login credentials.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, Zeroize, ZeroizeOnDrop)]
pub struct PasswordCredentials {
    /// Account name.
    pub username: String,
    /// The password in clear (only ever inside a sealed blob).
    pub password: String,
}

/// Sealed inside resume credentials.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, Zeroize, ZeroizeOnDrop)]
pub struct TokenCredentials {
    /// Account name.
    pub username: String,
    /// The session token from `login_ok` (base64 of 32 bytes).
    pub token: String,
}

/// Sealed inside change_password credentials.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, Zeroize, ZeroizeOnDrop)]
pub struct ChangePasswordCredentials {
    /// Account name (must be the logged-in user).
    pub username: String,
    /// The current password.
    pub password: String,
    /// The new password.
    pub new_password: String,
}

macro_rules! redacted_debug {
    ($($t:ty),*) => {$(
        impl std::fmt::Debug for $t {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_struct(stringify!($t)).field("username", &self.username).finish_non_exhaustive()
            }
        }
    )*};
}
redacted_debug!(
    PasswordCredentials,
    TokenCredentials,
    ChangePasswordCredentials
);
