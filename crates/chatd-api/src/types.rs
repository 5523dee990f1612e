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
    /// Extension: peers whose key changed and waits for `trust` or
    /// `verify` (their pin is `changed`), sorted. Absent when none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub key_changes: Vec<String>,
    /// Extension: chatd holds a session token and logs in by itself once
    /// it reaches the server (no password needed). Absent means false.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub resume: bool,
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

/// Params of `send`: exactly one of `to` and `group`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct SendParams {
    /// Recipient (v1: always present).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    /// Extension: a group instead (its id, or the name of one group we are
    /// a member of).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
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
    /// Delivery state. For an outgoing group message, the least advanced
    /// of its recipients (`read` once every one read it).
    pub status: MessageStatus,
    /// Extension: the group of a group message (then `to` is the group
    /// id). Absent for 1:1 messages.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<crate::groups::GroupRef>,
    /// Extension: per-member receipts of an outgoing group message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub receipts: Option<crate::groups::GroupReceipts>,
    /// Extension: the file of a file message (then `text` is its caption,
    /// empty when it has none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<crate::files::FileInfo>,
}

/// Params of `history`: exactly one of `peer` and `group`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct HistoryParams {
    /// The other side of the conversation (v1: always present).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peer: Option<String>,
    /// Extension: a group's conversation instead.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
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
    /// Extension (`history` only): the key notices of this conversation
    /// inside the window of the returned page, oldest first, for frontends
    /// to merge into the timeline by `ts`. Absent when none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notices: Vec<Notice>,
}

/// What happened to a peer's identity key (a `history` notice).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum NoticeKind {
    /// The server reported a different key; nothing moves until `trust`.
    KeyChanged,
    /// A person accepted the changed key (`trust`): it is the pin now,
    /// unverified.
    KeyAccepted,
    /// A person compared the fingerprint and it matched (`verify`).
    Verified,
}

/// A key notice in a conversation's timeline (extension, issue 11).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Notice {
    /// When chatd recorded it (Unix ms).
    pub ts: i64,
    /// Whose key.
    pub user: String,
    /// What happened.
    pub kind: NoticeKind,
    /// The fingerprint of the key it is about (the new key for
    /// `key_changed`).
    pub fingerprint: String,
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
    /// Extension: the trust state of the peer's key; absent before chatd
    /// pinned one. `changed` means a key change waits for `trust`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trust: Option<TrustState>,
}

/// Result of `conversations`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Conversations {
    /// Most recent first.
    pub conversations: Vec<Conversation>,
}

/// A conversation, by peer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct PeerParams {
    /// The conversation.
    pub peer: String,
}

/// Params of `mark_read`: exactly one of `peer` and `group`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct MarkReadParams {
    /// The conversation (v1: always present).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peer: Option<String>,
    /// Extension: a group's conversation instead.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// Extension: mark read only the incoming messages at or before this
    /// message (by id) in timeline order `(ts, id)` — what the frontend
    /// showed. Absent: the whole conversation (v1). An id that is not in
    /// this conversation is `invalid_input`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub up_to: Option<String>,
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
    /// Extension: for a peer, the 60-digit safety number of this key and
    /// ours (`chatd_api::domain::safety_number`), the same on both sides,
    /// for comparing by voice. Absent for oneself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub safety_number: Option<String>,
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
    /// Extension: the call changed nothing (`trust` on a key that had not
    /// changed; `verify` of a key already verified). Absent means false.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub unchanged: bool,
}

/// chatd's settings, which apply to every frontend (extension, issue 11).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Settings {
    /// Send read receipts when a conversation is marked read (default
    /// true). Off: `mark_read` marks read locally only; delivery receipts
    /// are still sent.
    pub read_receipts: bool,
    /// Send typing indicators while a frontend reports typing (default
    /// true). Off: `typing` sends nothing; indicators from others are
    /// still shown.
    #[serde(default = "yes")]
    pub typing_indicators: bool,
}

fn yes() -> bool {
    true
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            read_receipts: true,
            typing_indicators: true,
        }
    }
}

/// Params of `set_settings`: the settings to change (absent ones stay).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct SettingsPatch {
    /// See [`Settings::read_receipts`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read_receipts: Option<bool>,
    /// See [`Settings::typing_indicators`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub typing_indicators: Option<bool>,
}

/// Params of `search`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct SearchParams {
    /// Words to find.
    pub query: String,
    /// Only in this conversation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peer: Option<String>,
    /// Extension: only in this group (not together with `peer`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
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
    /// Extension: a peer's key changed trust state (sent only to
    /// subscribers that name it).
    Trust,
    /// Extension: chatd's settings changed (sent only to subscribers that
    /// name it).
    Settings,
    /// Extension: a group changed (sent only to subscribers that name it;
    /// so are the `message` and `receipt` events of group messages).
    Group,
    /// Extension: someone is typing (never stored; sent only to
    /// subscribers that name it).
    Typing,
    /// Extension: a file transfer started, moved, or ended (sent only to
    /// subscribers that name it; progress is never stored).
    Transfer,
}

impl EventKind {
    /// The kinds of PROTOCOL.md §3: what `subscribe` without `events`
    /// sends, so a v1 client never meets a kind it does not know.
    pub const V1: &[EventKind] = &[
        EventKind::Message,
        EventKind::Receipt,
        EventKind::Presence,
        EventKind::Connection,
        EventKind::KeyChanged,
        EventKind::Security,
    ];

    /// Every kind, the extensions included (what this crate's attach
    /// session subscribes to).
    pub const ALL: &[EventKind] = &[
        EventKind::Message,
        EventKind::Receipt,
        EventKind::Presence,
        EventKind::Connection,
        EventKind::KeyChanged,
        EventKind::Security,
        EventKind::Trust,
        EventKind::Settings,
        EventKind::Group,
        EventKind::Typing,
        EventKind::Transfer,
    ];
}

/// Params of `subscribe`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct SubscribeParams {
    /// Only these kinds (the v1 kinds, [`EventKind::V1`], when absent;
    /// extension kinds only when named).
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
    /// Extension: the open group conversation instead (its id or name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
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
        /// Its new status (for a group message, the aggregate).
        status: MessageStatus,
        /// Extension: for a group message, the member whose receipt this
        /// is.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        user: Option<String>,
        /// Extension: for a group message, its receipts now.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        receipts: Option<crate::groups::GroupReceipts>,
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
        /// Extension: the group it is about, when known (the `group_*`
        /// reasons of §4.4).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        group: Option<String>,
    },
    /// Extension: a peer's key changed trust state (became `changed`,
    /// was verified, was trusted).
    Trust {
        /// Whose key.
        user: String,
        /// The new state.
        state: TrustState,
        /// The fingerprint of the key the state is about (the new key
        /// while `changed`).
        fingerprint: String,
        /// When (Unix ms).
        ts: i64,
    },
    /// Extension: chatd's settings changed.
    Settings {
        /// The settings now.
        settings: Settings,
    },
    /// Extension: a group changed (created, joined, members or admins
    /// changed, we left or were removed).
    Group {
        /// The group after the change.
        group: Box<crate::groups::Group>,
        /// Who signed the change.
        by: String,
        /// What changed.
        change: crate::groups::GroupChange,
    },
    /// Extension: someone is typing. Never stored: `seq` is the latest
    /// stored event's, and `subscribe` with `since` never replays it.
    /// Show it for 6 seconds after the last one, or until a message from
    /// `user` arrives in that conversation.
    Typing {
        /// Who types.
        user: String,
        /// In which group (absent: the 1:1 conversation with `user`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        group: Option<String>,
    },
    /// Extension: a transfer started, ended, or moved. Progress (`progress`
    /// true) comes at most 4 times a second per transfer and is never
    /// stored, like `typing`; every change of state is stored.
    Transfer {
        /// The transfer now.
        transfer: Box<crate::files::Transfer>,
        /// Only `bytes` changed since the last event of this transfer.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        progress: bool,
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
            EventBody::Trust { .. } => EventKind::Trust,
            EventBody::Settings { .. } => EventKind::Settings,
            EventBody::Group { .. } => EventKind::Group,
            EventBody::Typing { .. } => EventKind::Typing,
            EventBody::Transfer { .. } => EventKind::Transfer,
        }
    }

    /// Whether this event belongs to a group's conversation: a `message`
    /// of a group message (`message.group` present) or the `receipt` of
    /// one (`user` or `receipts` present). Such events go only to
    /// subscribers that name [`EventKind::Group`] besides their own kind,
    /// so a v1 client never takes a group message for a 1:1 one.
    pub fn is_group_scoped(&self) -> bool {
        match self {
            EventBody::Message { message, .. } => message.group.is_some(),
            EventBody::Receipt { user, receipts, .. } => user.is_some() || receipts.is_some(),
            _ => false,
        }
    }

    /// Whether this event is never stored (`typing`): its `seq` is the
    /// latest stored event's, shared with that event, so a client that
    /// drops seqs it has seen must let these through and must not resume
    /// from them.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            EventBody::Typing { .. } | EventBody::Transfer { progress: true, .. }
        )
    }

    /// Whether a subscriber that named `kinds` gets this event: its kind
    /// is named, and for a group-scoped event
    /// ([`is_group_scoped`](Self::is_group_scoped)) `group` is named too.
    pub fn wanted_by(&self, kinds: &[EventKind]) -> bool {
        kinds.contains(&self.kind())
            && (!self.is_group_scoped() || kinds.contains(&EventKind::Group))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn extension_fields_leave_v1_json_unchanged() {
        let t = TrustResult {
            state: TrustState::Verified,
            unchanged: false,
        };
        assert_eq!(
            serde_json::to_value(&t).unwrap(),
            json!({"state": "verified"})
        );
        let back: TrustResult = serde_json::from_value(json!({"state": "verified"})).unwrap();
        assert_eq!(back, t, "a v1 answer reads as changed");
        let m = Messages {
            messages: vec![],
            notices: vec![],
        };
        assert_eq!(serde_json::to_value(&m).unwrap(), json!({"messages": []}));
        let f = Fingerprint {
            user: "me".into(),
            fingerprint: "ab".into(),
            state: TrustState::Verified,
            safety_number: None,
        };
        assert_eq!(
            serde_json::to_value(&f).unwrap(),
            json!({"user": "me", "fingerprint": "ab", "state": "verified"})
        );
        let c = Conversation {
            peer: "bob".into(),
            last: None,
            unread: 0,
            online: false,
            trust: None,
        };
        assert_eq!(
            serde_json::to_value(&c).unwrap(),
            json!({"peer": "bob", "last": null, "unread": 0, "online": false})
        );
        let s = Status {
            state: ConnectionState::Offline,
            username: None,
            server: "h:1".into(),
            server_fingerprint: None,
            version: "1".into(),
            error: None,
            key_changes: vec![],
            resume: false,
        };
        assert_eq!(
            serde_json::to_value(&s).unwrap(),
            json!({"state": "offline", "username": null, "server": "h:1",
                   "server_fingerprint": null, "version": "1"})
        );
        let p = MarkReadParams {
            peer: Some("bob".into()),
            up_to: None,
            group: None,
        };
        assert_eq!(serde_json::to_value(&p).unwrap(), json!({"peer": "bob"}));
    }

    #[test]
    fn v1_kinds_are_the_protocol_s_and_all_adds_the_extensions() {
        let names = |kinds: &[EventKind]| -> Vec<String> {
            kinds
                .iter()
                .map(|k| {
                    serde_json::to_value(k)
                        .unwrap()
                        .as_str()
                        .unwrap()
                        .to_string()
                })
                .collect()
        };
        assert_eq!(
            names(EventKind::V1),
            [
                "message",
                "receipt",
                "presence",
                "connection",
                "key_changed",
                "security"
            ]
        );
        let all = names(EventKind::ALL);
        assert_eq!(all[..6], names(EventKind::V1)[..]);
        assert_eq!(
            all[6..],
            ["trust", "settings", "group", "typing", "transfer"]
        );
        // Every body's kind is in ALL.
        let bodies = [
            EventBody::Trust {
                user: "bob".into(),
                state: TrustState::Changed,
                fingerprint: "ab".into(),
                ts: 1,
            },
            EventBody::Settings {
                settings: Settings::default(),
            },
        ];
        for b in bodies {
            assert!(EventKind::ALL.contains(&b.kind()));
            assert!(!EventKind::V1.contains(&b.kind()));
        }
    }

    #[test]
    fn group_scoped_events_need_the_group_kind_and_typing_is_transient() {
        let mut message = Message {
            id: "m".into(),
            from: "bob".into(),
            to: "alice".into(),
            text: "hi".into(),
            ts: 1,
            direction: Direction::In,
            status: MessageStatus::Delivered,
            group: None,
            receipts: None,
            file: None,
        };
        let one_to_one = EventBody::Message {
            message: message.clone(),
            focused: false,
        };
        message.group = Some(crate::groups::GroupRef {
            id: "g".into(),
            name: "team".into(),
        });
        let in_group = EventBody::Message {
            message,
            focused: false,
        };
        let group_receipt = EventBody::Receipt {
            id: "m".into(),
            status: MessageStatus::Delivered,
            user: Some("bob".into()),
            receipts: None,
        };
        assert!(one_to_one.wanted_by(EventKind::V1));
        assert!(!in_group.wanted_by(EventKind::V1));
        assert!(!group_receipt.wanted_by(EventKind::V1));
        assert!(in_group.wanted_by(EventKind::ALL));
        assert!(group_receipt.wanted_by(&[EventKind::Receipt, EventKind::Group]));
        assert!(
            !in_group.wanted_by(&[EventKind::Group]),
            "its kind is message"
        );
        let typing = EventBody::Typing {
            user: "bob".into(),
            group: None,
        };
        assert!(typing.is_transient() && !one_to_one.is_transient());
        assert!(!typing.wanted_by(EventKind::V1));
    }

    #[test]
    fn settings_default_to_read_receipts_on_and_patches_omit_what_stays() {
        assert!(Settings::default().read_receipts);
        assert_eq!(
            serde_json::to_value(SettingsPatch::default()).unwrap(),
            json!({})
        );
    }
}
