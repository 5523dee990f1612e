//! Client-to-server requests (PROTOCOL.md §1.3–§1.5, §4.5 and §5.3) and the JSON
//! payloads sealed inside their `credentials`.

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
        /// `Some(false)`: a session for transfers only, which is never
        /// sent deliveries (PROTOCOL.md D16). Absent: an ordinary session.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        deliver: Option<bool>,
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
    /// `send` with `"ephemeral": true` (§4.5): passed to the recipient's
    /// live sessions and never stored. On the wire it is a `send`; it is a
    /// variant of its own so that nobody handles it as a stored send by
    /// forgetting to look at a flag (see `variants.rs`).
    SendEphemeral {
        /// Recipient username.
        to: String,
        /// The opaque envelope (a JSON object).
        envelope: Map<String, Value>,
    },
    /// Up to 256 envelopes in one request, stored in one transaction (§4.5).
    SendMulti {
        /// The items, in the order they are to be stored.
        messages: Vec<MultiItem>,
        /// Pass to live sessions only, store nothing.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        ephemeral: bool,
    },
    /// Commit the next version of a group's membership (§4.5).
    GroupCommit {
        /// The group (a lowercase hyphenated uuid).
        group_id: String,
        /// The version being committed.
        version: u64,
        /// state_hash (§4.3) of the new state: 64 lowercase hex digits.
        state_hash: String,
        /// The new state's members, strictly ascending.
        members: Vec<String>,
        /// The new state's admins, strictly ascending, each a member.
        admins: Vec<String>,
    },
    /// Reserve a blob of `size` bytes in the blob store (§5.3).
    BlobCreate {
        /// The blob's exact size in bytes (1 to the server's `max_blob`).
        size: u64,
    },
    /// Write one piece of an unfinished blob at its durable offset (§5.3).
    BlobPut {
        /// The blob (32 lowercase hex digits).
        blob_id: String,
        /// Where the piece goes: must be the blob's durable offset.
        offset: u64,
        /// The piece, b64; at most `max_piece` bytes decoded.
        data: String,
    },
    /// Ask for a blob's size, durable offset and state (§5.3).
    BlobStatus {
        /// The blob.
        blob_id: String,
    },
    /// Close an upload with the SHA-256 of all its bytes (§5.3).
    BlobFinish {
        /// The blob.
        blob_id: String,
        /// Lowercase hex SHA-256 of the whole blob (64 digits).
        digest: String,
    },
    /// Read a piece of a finished blob (§5.3).
    BlobGet {
        /// The blob.
        blob_id: String,
        /// First byte wanted.
        offset: u64,
        /// Bytes wanted; the answer holds at most `max_piece`.
        length: u64,
    },
    /// Delete one of one's own blobs, freeing its quota (§5.3).
    BlobDelete {
        /// The blob.
        blob_id: String,
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
    "send_multi",
    "group_commit",
    "blob_create",
    "blob_put",
    "blob_status",
    "blob_finish",
    "blob_get",
    "blob_delete",
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
            Request::Send { .. } | Request::SendEphemeral { .. } => "send",
            Request::SendMulti { .. } => "send_multi",
            Request::GroupCommit { .. } => "group_commit",
            Request::BlobCreate { .. } => "blob_create",
            Request::BlobPut { .. } => "blob_put",
            Request::BlobStatus { .. } => "blob_status",
            Request::BlobFinish { .. } => "blob_finish",
            Request::BlobGet { .. } => "blob_get",
            Request::BlobDelete { .. } => "blob_delete",
            Request::Ack { .. } => "ack",
            Request::Ping {} => "ping",
        }
    }
}

/// One item of `send_multi`. The envelope is any JSON value here so that
/// one that is not an object fails that item only (`bad_request` in its
/// result), not the whole request.
// Debug is written by hand in `debug.rs`: it hides the envelope.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct MultiItem {
    /// Recipient username.
    pub to: String,
    /// The opaque envelope (must be a JSON object to be sent).
    pub envelope: Value,
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
