//! Params, results and events of every local-API method (PROTOCOL.md §3).
//! chatd deserialises params and serialises results with these very types,
//! and clients do the reverse, so the two cannot drift apart.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The daemon's link to the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ConnectionState {
    /// Not connected (and not trying, or between attempts).
    Offline,
    /// Connecting or handshaking.
    Connecting,
    /// Connected, not logged in.
    Connected,
    /// Connected and logged in.
    LoggedIn,
}

/// Result of `status`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Status {
    /// The link state.
    pub state: ConnectionState,
    /// The account, once logged in (or remembered for resume).
    pub username: Option<String>,
    /// `host:port` of the server.
    pub server: String,
    /// The pinned server fingerprint, once known.
    pub server_fingerprint: Option<String>,
    /// chatd's version.
    pub version: String,
    /// Extension: why the last attempt to reach the server failed (a wrong
    /// server key names both fingerprints), while not connected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Params of `signup` and `login`.
#[derive(Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Credentials {
    /// Account name.
    pub username: String,
    /// Password.
    pub password: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

/// Result of `signup` and `login`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct LoggedIn {
    /// The account.
    pub username: String,
}

/// Params of `change_password`.
#[derive(Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ChangePassword {
    /// Current password.
    pub password: String,
    /// New password.
    pub new_password: String,
}

impl std::fmt::Debug for ChangePassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ChangePassword { .. }")
    }
}

/// An empty result (`{}`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Empty {}

/// Params of `users`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct UsersParams {
    /// Only names starting with this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prefix: Option<String>,
    /// At most this many.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
    /// Only users online now.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub online_only: Option<bool>,
}

/// A user and their presence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct User {
    /// Account name.
    pub username: String,
    /// Online now.
    pub online: bool,
}

/// Result of `users`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Users {
    /// Sorted by name.
    pub users: Vec<User>,
}

/// Params of `send`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct SendParams {
    /// Recipient.
    pub to: String,
    /// The text.
    pub text: String,
}

/// Result of `send`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Sent {
    /// The message id (uuid).
    pub id: String,
    /// True when it waits in the outbox (chatd offline or the recipient's
    /// key not yet known).
    pub queued: bool,
}

/// Which way a message went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// Received.
    In,
    /// Sent by us.
    Out,
}

/// Where a message is in its life.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum MessageStatus {
    /// In the outbox.
    Sending,
    /// Stored by the server.
    Sent,
    /// The recipient's daemon has it.
    Delivered,
    /// The recipient read it.
    Read,
    /// Could not be sent (see the security/connection events).
    Failed,
}

/// A message as frontends see it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Message {
    /// uuid.
    pub id: String,
    /// Sender.
    pub from: String,
    /// Recipient.
    pub to: String,
    /// The text.
    pub text: String,
    /// Sender's timestamp (Unix ms).
    pub ts: i64,
    /// In or out.
    pub direction: Direction,
    /// Delivery state.
    pub status: MessageStatus,
}

/// Params of `history`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct HistoryParams {
    /// The other side of the conversation.
    pub peer: String,
    /// At most this many (default 50).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
    /// Only messages older than this (Unix ms).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before: Option<i64>,
}

/// Result of `history` and `search`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Messages {
    /// Oldest first (`history`), best match first (`search`).
    pub messages: Vec<Message>,
}

/// Params of `message`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct MessageParams {
    /// The message id.
    pub id: String,
}

/// Result of `message`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct OneMessage {
    /// The message.
    pub message: Message,
}

/// One conversation in `conversations`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Conversation {
    /// The other side.
    pub peer: String,
    /// The newest message.
    pub last: Option<Message>,
    /// Incoming messages not yet marked read.
    pub unread: u32,
    /// The peer is online.
    pub online: bool,
}

/// Result of `conversations`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Conversations {
    /// Most recent first.
    pub conversations: Vec<Conversation>,
}

/// Params of `mark_read`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct PeerParams {
    /// The conversation.
    pub peer: String,
}

/// Trust in a user's identity key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum TrustState {
    /// Pinned on first use, not compared by a person.
    Unverified,
    /// A person compared the fingerprint.
    Verified,
    /// The server now reports a different key; nothing is sent until `trust`.
    Changed,
}

/// Params of `fingerprint`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct FingerprintParams {
    /// Whose (self when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
}

/// Result of `fingerprint`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Fingerprint {
    /// Whose.
    pub user: String,
    /// 64 lowercase hex characters.
    pub fingerprint: String,
    /// Trust state (`verified` for oneself).
    pub state: TrustState,
}

/// Params of `verify`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct VerifyParams {
    /// Whose key.
    pub user: String,
    /// The fingerprint the person compared (spaces and case ignored).
    pub fingerprint: String,
}

/// Params of `trust`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct UserParams {
    /// Whose key.
    pub user: String,
}

/// Result of `verify` and `trust`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct TrustResult {
    /// The new state.
    pub state: TrustState,
}

/// Params of `search`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct SearchParams {
    /// Words to find.
    pub query: String,
    /// Only in this conversation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peer: Option<String>,
    /// At most this many (default 50).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
}

/// The kinds of event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// A message arrived or was sent.
    Message,
    /// A delivery or read receipt.
    Receipt,
    /// A peer came or went.
    Presence,
    /// The server link changed state.
    Connection,
    /// A peer's identity key changed.
    KeyChanged,
    /// Something was refused for security reasons.
    Security,
}

/// Params of `subscribe`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct SubscribeParams {
    /// Only these kinds (all when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub events: Option<Vec<EventKind>>,
    /// Replay every stored event with a greater seq first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since: Option<u64>,
}

/// Result of `subscribe`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Subscribed {
    /// The latest event seq at the time of subscribing.
    pub seq: u64,
}

/// Params of `focus` (extension, issue 4): the conversation a frontend
/// shows, so notifiers stay quiet about it. `peer` absent clears it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct FocusParams {
    /// The open conversation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peer: Option<String>,
}

/// An event notification's params: `seq` plus the typed body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Event {
    /// Increases by one per event; durable across restarts.
    pub seq: u64,
    /// What happened.
    #[serde(flatten)]
    pub body: EventBody,
}

/// What an event says, tagged by `type`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EventBody {
    /// A message arrived or was sent.
    Message {
        /// The message.
        message: Message,
        /// Extension: an attached frontend showed this conversation (see
        /// `focus`) when the message arrived, so notifiers stay quiet.
        /// Absent means false.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        focused: bool,
    },
    /// A message's status changed.
    Receipt {
        /// The message id.
        id: String,
        /// Its new status.
        status: MessageStatus,
    },
    /// A peer came or went.
    Presence {
        /// Who.
        user: String,
        /// Online now.
        online: bool,
    },
    /// The server link changed state.
    Connection {
        /// The new state.
        state: ConnectionState,
    },
    /// A peer's identity key changed.
    KeyChanged {
        /// Who.
        user: String,
        /// The new key's fingerprint.
        fingerprint: String,
    },
    /// Something was refused for security reasons.
    Security {
        /// About whom.
        user: String,
        /// Machine-readable reason (see docs/PROTOCOL.md).
        reason: crate::domain::SecurityReason,
    },
}

impl EventBody {
    /// The kind of this event.
    pub fn kind(&self) -> EventKind {
        match self {
            EventBody::Message { .. } => EventKind::Message,
            EventBody::Receipt { .. } => EventKind::Receipt,
            EventBody::Presence { .. } => EventKind::Presence,
            EventBody::Connection { .. } => EventKind::Connection,
            EventBody::KeyChanged { .. } => EventKind::KeyChanged,
            EventBody::Security { .. } => EventKind::Security,
        }
    }
}
