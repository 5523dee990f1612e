//! Server-to-client messages: responses (which carry the request `id`,
//! added by [`super::encode`]) and pushes (which carry none).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::ErrorCode;

/// A user and whether they have a live session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserPresence {
    /// Account name.
    pub username: String,
    /// At least one live session.
    pub online: bool,
}

/// Every message the server sends, tagged by `type`.
// Debug is written by hand in `debug.rs`: it redacts secrets.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerMessage {
    /// First frame on every connection.
    Hello {
        /// Protocol version (1).
        protocol: u32,
        /// `chat-server/<version>`.
        server: String,
        /// The server's public key (SPKI PEM).
        server_key: String,
        /// Base64 of 32 random bytes; binds sealed credentials to this connection.
        nonce: String,
        /// The blob store's limits (§5.4); absent when the server has no
        /// blob store.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        files: Option<FileLimits>,
    },
    /// The account was created.
    SignupOk {
        /// The new account.
        username: String,
    },
    /// The connection is logged in.
    LoginOk {
        /// Who.
        username: String,
        /// Base64 of 32 random bytes, for `resume`.
        token: String,
        /// When the token expires at the latest (Unix ms).
        token_expires: i64,
    },
    /// The token is revoked.
    LogoutOk {},
    /// The password changed; other tokens are revoked.
    PasswordChanged {},
    /// A page of the directory.
    Users {
        /// Sorted by username.
        users: Vec<UserPresence>,
        /// More names match after this page.
        more: bool,
    },
    /// A user's identity key.
    Key {
        /// Whose key.
        username: String,
        /// SPKI PEM.
        public_key: String,
        /// fingerprint(public_key).
        fingerprint: String,
    },
    /// The users are now watched.
    WatchOk {
        /// Their current presence.
        users: Vec<UserPresence>,
    },
    /// The users are no longer watched.
    UnwatchOk {
        /// The names removed.
        users: Vec<String>,
    },
    /// A watched user's first session came up or last went down.
    Presence {
        /// Who.
        username: String,
        /// Whether they are now online.
        online: bool,
        /// When (Unix ms).
        ts: i64,
    },
    /// A watched user registered a new identity key.
    KeyChanged {
        /// Who.
        username: String,
        /// fingerprint of the new key.
        fingerprint: String,
    },
    /// The message is durable.
    Sent {
        /// Server message id.
        msg_id: String,
        /// Server timestamp (Unix ms).
        ts: i64,
        /// The recipient had no live session.
        queued: bool,
    },
    /// The answer to an ephemeral `send` (§4.5): nothing was stored. On
    /// the wire a `sent` with `queued: false` and `delivered`.
    SentEphemeral {
        /// Server id of this relay (never to be acked).
        msg_id: String,
        /// Server timestamp (Unix ms).
        ts: i64,
        /// At least one live session of the recipient took it; false when
        /// it was dropped.
        delivered: bool,
    },
    /// The answer to `send_multi`: one result per item, in item order.
    SentMulti {
        /// Server timestamp of the request (Unix ms), shared by its items.
        ts: i64,
        /// One per item.
        results: Vec<MultiResult>,
    },
    /// The membership commit was accepted (§4.5).
    GroupCommitted {
        /// The group.
        group_id: String,
        /// The version now recorded.
        version: u64,
    },
    /// A message for this user.
    Deliver {
        /// Server message id, to ack.
        msg_id: String,
        /// Sender.
        from: String,
        /// Server timestamp of the send.
        ts: i64,
        /// The opaque envelope.
        envelope: Map<String, Value>,
    },
    /// An ephemeral envelope for this user (§4.5): never stored, needs no
    /// ack. On the wire a `deliver` with `"ephemeral": true`.
    DeliverEphemeral {
        /// Server id of this relay (acking it does nothing).
        msg_id: String,
        /// Sender.
        from: String,
        /// Server timestamp of the send.
        ts: i64,
        /// The opaque envelope.
        envelope: Map<String, Value>,
    },
    /// A blob is reserved (§5.3).
    BlobCreated {
        /// The new blob's id (32 lowercase hex digits), chosen by the server.
        blob_id: String,
        /// When the unfinished upload expires (Unix ms).
        expires: i64,
    },
    /// A piece is durable (§5.3).
    BlobAck {
        /// The blob.
        blob_id: String,
        /// The new durable offset: where the next piece goes.
        offset: u64,
    },
    /// A blob's state (§5.3): how a client resumes.
    BlobStatus {
        /// The blob.
        blob_id: String,
        /// Its declared size.
        size: u64,
        /// Its durable offset (= size once finished).
        offset: u64,
        /// Whether it is finished (downloadable).
        finished: bool,
        /// When it expires (Unix ms).
        expires: i64,
    },
    /// An upload is closed and its digest checked (§5.3).
    BlobFinished {
        /// The blob.
        blob_id: String,
        /// Its size.
        size: u64,
        /// When it expires (Unix ms).
        expires: i64,
    },
    /// A piece of a finished blob (§5.3).
    BlobData {
        /// The blob.
        blob_id: String,
        /// Where the piece starts.
        offset: u64,
        /// The blob's whole size.
        size: u64,
        /// The piece, b64 (empty at the end of the blob).
        data: String,
    },
    /// A blob is deleted and its quota freed (§5.3).
    BlobDeleted {
        /// The blob.
        blob_id: String,
    },
    /// Keep-alive answer.
    Pong {},
    /// A request failed, or the connection is about to close.
    Error {
        /// What failed.
        code: ErrorCode,
        /// For people.
        message: String,
        /// With `rate_limited` (and `server_busy`): when to try again.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        retry_after_ms: Option<u64>,
    },
    /// `error` `stale_version` (§4.5): the commit's version is not the next
    /// one. On the wire an `error` with `code: "stale_version"`; its own
    /// variant because it carries what the client needs to recover.
    StaleVersion {
        /// For people.
        message: String,
        /// The version the server holds (0: it has no record of the group).
        current_version: u64,
        /// That version's state hash ("" when there is no record).
        current_hash: String,
    },
    /// `error` `bad_offset` (§5.3): on the wire an `error` with
    /// `code: "bad_offset"`; its own variant because it carries the offset
    /// the client must continue from.
    BadOffset {
        /// For people.
        message: String,
        /// The blob's durable offset (for `blob_get`: its size).
        offset: u64,
    },
}

/// The blob store's limits, advertised in `hello` (§5.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileLimits {
    /// Largest blob in bytes.
    pub max_blob: u64,
    /// Largest piece of `blob_put` and `blob_data` in bytes (decoded).
    pub max_piece: u64,
    /// Bytes one user's unfinished reservations and finished blobs may
    /// take together.
    pub quota: u64,
    /// An unfinished upload expires this long after `blob_create` (ms).
    pub upload_ttl_ms: u64,
    /// A finished blob expires this long after `blob_finish` (ms).
    pub blob_ttl_ms: u64,
}

/// One item's outcome in `sent_multi`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MultiResult {
    /// The item's recipient, as given.
    pub to: String,
    /// Sent or refused.
    #[serde(flatten)]
    pub outcome: MultiOutcome,
}

/// Whether one item of `send_multi` was sent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum MultiOutcome {
    /// Stored (or, ephemeral, passed on), as a `send` of it would have been.
    Sent {
        /// Server message id.
        msg_id: String,
        /// The recipient had no live session (always false when ephemeral).
        queued: bool,
        /// Ephemeral items only: a live session took it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        delivered: Option<bool>,
    },
    /// Refused; the other items are not affected.
    Failed {
        /// Why.
        error: ItemError,
    },
}

/// Why one item of `send_multi` was refused.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ItemError {
    /// `no_such_user`, `mailbox_full` or `bad_request`.
    pub code: ErrorCode,
    /// For people.
    pub message: String,
}

/// The `type` of every [`ServerMessage`] variant.
pub(super) const SERVER_TYPES: &[&str] = &[
    "hello",
    "signup_ok",
    "login_ok",
    "logout_ok",
    "password_changed",
    "users",
    "key",
    "watch_ok",
    "unwatch_ok",
    "presence",
    "key_changed",
    "sent",
    "sent_multi",
    "group_committed",
    "blob_created",
    "blob_ack",
    "blob_status",
    "blob_finished",
    "blob_data",
    "blob_deleted",
    "deliver",
    "pong",
    "error",
];

impl ServerMessage {
    /// An error with a message and no retry hint.
    pub fn error(code: ErrorCode, message: impl Into<String>) -> Self {
        ServerMessage::Error {
            code,
            message: message.into(),
            retry_after_ms: None,
        }
    }
}
