//! What the app asks of chatd and what comes back, as plain values: the app
//! never holds a client, so it can be driven by tests without a daemon,
//! and the I/O task is the only place that turns these into calls.

use chatd_api::{
    Chat, Conversation, ErrorCode, FileSent, Fingerprint, Group, LoggedIn, Message, Messages, Sent,
    Settings, Status, Transfer, TrustResult, User,
};

/// A password on its way to chatd; never printed by `Debug`.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Secret(pub String);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(..)")
    }
}

/// One call to chatd's local API.
#[derive(Debug, Clone, PartialEq)]
pub enum Request {
    /// `status`.
    Status,
    /// `login`.
    Login {
        /// Account name.
        username: String,
        /// Password.
        password: Secret,
    },
    /// `signup` (then logged in).
    Signup {
        /// Account name.
        username: String,
        /// Password.
        password: Secret,
    },
    /// `conversations`.
    Conversations,
    /// `users` with `online_only`.
    OnlineUsers,
    /// `history` of a conversation, older than `before` when paging back.
    History {
        /// The conversation.
        chat: Chat,
        /// Only messages older than this (Unix ms).
        before: Option<i64>,
    },
    /// `send` to a peer or a group.
    Send {
        /// Where.
        chat: Chat,
        /// The text.
        text: String,
    },
    /// `mark_read` of the incoming messages up to `up_to` (the newest one
    /// on screen).
    MarkRead {
        /// The conversation.
        chat: Chat,
        /// The newest message read (the whole conversation when `None`).
        up_to: Option<String>,
    },
    /// `fingerprint` of `user` (oneself when `None`).
    Fingerprint {
        /// Whose.
        user: Option<String>,
    },
    /// `verify`.
    Verify {
        /// Whose key.
        user: String,
        /// What the person compared.
        fingerprint: String,
    },
    /// `trust`.
    Trust {
        /// Whose key.
        user: String,
    },
    /// `search` in every conversation.
    Search {
        /// The words.
        query: String,
    },
    /// `settings`.
    Settings,
    /// `set_settings` with read receipts on or off.
    SetReceipts {
        /// Send read receipts.
        on: bool,
    },
    /// `set_settings` with typing indicators on or off.
    SetTyping {
        /// Send typing indicators.
        on: bool,
    },
    /// `focus`: the conversation on screen (`None` clears it).
    Focus {
        /// The open conversation.
        chat: Option<Chat>,
    },
    /// `typing`: the person types in this conversation.
    Typing {
        /// Where.
        chat: Chat,
    },
    /// `groups`.
    Groups,
    /// `group_info`.
    GroupInfo {
        /// The group id.
        group: String,
    },
    /// `group_create`.
    GroupCreate {
        /// Its name.
        name: String,
        /// The others in it.
        members: Vec<String>,
    },
    /// `group_add`.
    GroupAdd {
        /// The group id.
        group: String,
        /// Whom.
        users: Vec<String>,
    },
    /// `group_remove`.
    GroupRemove {
        /// The group id.
        group: String,
        /// Whom.
        users: Vec<String>,
    },
    /// `group_leave`.
    GroupLeave {
        /// The group id.
        group: String,
    },
    /// `group_admin`.
    GroupAdmin {
        /// The group id.
        group: String,
        /// The member.
        user: String,
        /// Make an admin (or no longer one).
        admin: bool,
    },
    /// `send_file` to a peer or a group.
    SendFile {
        /// Where.
        chat: Chat,
        /// The file as typed: relative paths and `~/` are resolved by the
        /// I/O task (the app reads no working directory).
        path: String,
        /// The text sent with it.
        caption: Option<String>,
    },
    /// `download` of a file message into chatd's default place.
    Download {
        /// The file message's id.
        id: String,
        /// The file's name, for what is said about it.
        name: String,
    },
    /// `cancel_transfer`.
    CancelTransfer {
        /// The transfer's id.
        id: String,
    },
}

/// A successful answer, typed by the request it answers.
#[derive(Debug, Clone, PartialEq)]
pub enum Answer {
    /// To `Status`.
    Status(Status),
    /// To `Login` and `Signup`.
    LoggedIn(LoggedIn),
    /// To `Conversations`.
    Conversations(Vec<Conversation>),
    /// To `OnlineUsers`.
    Users(Vec<User>),
    /// To `Search` (and `History` without notices).
    Messages(Vec<Message>),
    /// To `History`: the page and the key notices inside it.
    History(Messages),
    /// To `Settings` and `SetReceipts`.
    Settings(Settings),
    /// To `Send`.
    Sent(Sent),
    /// To `Fingerprint`.
    Fingerprint(Fingerprint),
    /// To `Verify` and `Trust`.
    Trust(TrustResult),
    /// To `Groups`.
    Groups(Vec<Group>),
    /// To `GroupInfo`, `GroupCreate`, `GroupAdd`, `GroupRemove`,
    /// `GroupLeave` and `GroupAdmin`: the group after it.
    Group(Group),
    /// To `SendFile`.
    FileSent(FileSent),
    /// To `Download` and `CancelTransfer`: the transfer now.
    Transfer(Transfer),
    /// To `MarkRead`, `Focus` and `Typing` (nothing the app needs).
    Done,
}

/// Why a call failed, reduced to what the app needs to decide and say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// chatd's error code, when chatd answered with one.
    pub code: Option<ErrorCode>,
    /// For people; says what to do next.
    pub message: String,
    /// chatd is not there (not running, or it went away mid-call).
    pub unreachable: bool,
}

impl Failure {
    /// A refusal by chatd with `code`.
    pub fn api(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code: Some(code),
            message: message.into(),
            unreachable: false,
        }
    }

    /// Refused here, before chatd was asked (a path that cannot be
    /// resolved).
    pub fn local(message: impl Into<String>) -> Self {
        Self {
            code: None,
            message: message.into(),
            unreachable: false,
        }
    }

    /// chatd could not be reached.
    pub fn unreachable(message: impl Into<String>) -> Self {
        Self {
            code: None,
            message: message.into(),
            unreachable: true,
        }
    }
}

/// The outcome of one request.
pub type Outcome = Result<Answer, Failure>;
