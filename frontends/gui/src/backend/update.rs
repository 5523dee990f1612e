//! What the worker tells the UI: the link to chatd, snapshots it loaded,
//! events as chatd sent them, and the outcome of each command.

use std::path::PathBuf;

use chatd_api::{
    Chat, ClientError, Conversation, ErrorCode, Event, Fingerprint, Group, Message, Notice, Sent,
    Settings, Status, Transfer, TrustState, User,
};

/// The UI's link to chatd (not chatd's link to the server: that is in
/// [`Status`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Link {
    /// Trying to reach chatd.
    Connecting,
    /// Nothing answers on the socket, or no socket path is known; the
    /// message says what to do.
    NotRunning {
        /// The socket tried, if any.
        socket: Option<String>,
        /// What went wrong and what to do next.
        message: String,
    },
    /// Attached and subscribed.
    Attached,
}

/// A failed request, as the UI shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// chatd's error code, when it answered with one.
    pub code: Option<ErrorCode>,
    /// For people: chatd's message, or what went wrong on the way.
    pub message: String,
}

impl From<ClientError> for Failure {
    fn from(e: ClientError) -> Self {
        Self {
            code: e.code(),
            message: e.to_string(),
        }
    }
}

/// A message from the worker to the UI.
#[derive(Debug, Clone, PartialEq)]
pub enum Update {
    /// The link to chatd changed.
    Link(Link),
    /// chatd's status (its link to the server, the account).
    Status(Status),
    /// Every conversation, most recent first.
    Conversations(Vec<Conversation>),
    /// A page of one conversation's history, oldest first.
    History {
        /// The conversation.
        chat: Chat,
        /// The page ends before this time (`None`: the newest page).
        before: Option<i64>,
        /// The messages.
        messages: Vec<Message>,
        /// Key notices inside the page, oldest first.
        notices: Vec<Notice>,
        /// Fewer than a page came back: this reaches the first message.
        complete: bool,
    },
    /// A conversation's history could not be loaded (such as: there is
    /// no user by that name).
    HistoryFailed {
        /// The conversation.
        chat: Chat,
        /// Why.
        failure: Failure,
    },
    /// chatd's settings.
    Settings(Settings),
    /// An event, in chatd's order.
    Event(Event),
    /// Who is online now.
    Online(Vec<User>),
    /// The people whose names start with `prefix`.
    Directory {
        /// What was searched for.
        prefix: String,
        /// The matches.
        users: Vec<User>,
    },
    /// A fingerprint, ours (`own`) or a peer's.
    Fingerprint {
        /// True for our own key.
        own: bool,
        /// The fingerprint and its trust state.
        fingerprint: Fingerprint,
    },
    /// Login or sign-up finished.
    Auth(Result<String, Failure>),
    /// Every group chatd holds, most recent first.
    Groups(Vec<Group>),
    /// A group action (create, add, remove, leave, admin) finished.
    GroupDone {
        /// It was `group_create` (the window opens the new group).
        created: bool,
        /// The group after it, or why chatd refused it.
        result: Result<Group, Failure>,
    },
    /// A send finished.
    Sent {
        /// The conversation.
        chat: Chat,
        /// The text (kept so a refused message can go back in the composer).
        text: String,
        /// The outcome.
        result: Result<Sent, Failure>,
    },
    /// The file dialog closed.
    Picked {
        /// The conversation it was opened for.
        chat: Chat,
        /// The file picked; `None` when the person cancelled.
        path: Option<PathBuf>,
    },
    /// A transfer as chatd answered it (`send_file`, `download`,
    /// `cancel_transfer`).
    Transfer(Transfer),
    /// `send_file` was refused.
    FileFailed {
        /// The conversation.
        chat: Chat,
        /// The file's name, for the notice.
        name: String,
        /// The caption, for the composer to take back.
        caption: Option<String>,
        /// Why.
        failure: Failure,
    },
    /// `verify` or `trust` finished.
    Trust {
        /// The peer.
        user: String,
        /// The new state, or why it failed.
        result: Result<TrustState, Failure>,
    },
    /// Something else failed; `what` says what was being done.
    Failed {
        /// What was being done ("loading the history", ...).
        what: String,
        /// The failure.
        failure: Failure,
    },
}
