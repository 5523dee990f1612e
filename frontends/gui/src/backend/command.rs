//! What the UI asks of chatd, one variant per action a person can take,
//! so the worker is the only place that knows the local API's methods.

/// A request from the UI to the worker.
#[derive(Clone, PartialEq)]
pub enum Command {
    /// Log in to an existing account.
    Login {
        /// Account name.
        username: String,
        /// Password.
        password: String,
    },
    /// Create an account and log in.
    Signup {
        /// Account name.
        username: String,
        /// Password.
        password: String,
    },
    /// Log out (chatd keeps the history).
    Logout,
    /// Send a message.
    Send {
        /// Recipient.
        to: String,
        /// The text.
        text: String,
    },
    /// Load a page of a conversation's history: the newest, or the one
    /// before a time (scrolling back).
    History {
        /// The other side.
        peer: String,
        /// Only messages older than this (Unix ms).
        before: Option<i64>,
    },
    /// Mark read what the window showed of a conversation (chatd sends
    /// read receipts unless they are turned off).
    MarkRead {
        /// The conversation.
        peer: String,
        /// The last message shown: those at or before it are marked.
        up_to: String,
    },
    /// Turn read receipts on or off (chatd's setting, for every frontend).
    SetReadReceipts(bool),
    /// Tell chatd which conversation is on screen (`None`: none).
    Focus {
        /// The open conversation.
        peer: Option<String>,
    },
    /// Look people up by the start of their name.
    Directory {
        /// What the person typed in the search box.
        prefix: String,
    },
    /// Load our own fingerprint and a peer's, for the safety-number dialog.
    Fingerprints {
        /// The peer.
        peer: String,
    },
    /// Load a peer's fingerprint and trust state (to learn of a key that
    /// changed while no window was open).
    Fingerprint {
        /// The peer.
        peer: String,
    },
    /// Record that the person compared a peer's fingerprint.
    Verify {
        /// The peer.
        user: String,
        /// The fingerprint shown to the person.
        fingerprint: String,
    },
    /// Accept a peer's changed key.
    Trust {
        /// The peer.
        user: String,
    },
    /// Reload the list of conversations (after a change chatd reported
    /// only in part, such as another frontend marking messages read).
    Conversations,
    /// Try to attach to chatd now instead of at the next retry.
    Reconnect,
}

impl std::fmt::Debug for Command {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print passwords (or message text) into logs or panics.
        match self {
            Command::Login { username, .. } => write!(f, "Login({username})"),
            Command::Signup { username, .. } => write!(f, "Signup({username})"),
            Command::Logout => f.write_str("Logout"),
            Command::Send { to, .. } => write!(f, "Send(to {to})"),
            Command::History { peer, before } => write!(f, "History({peer}, {before:?})"),
            Command::MarkRead { peer, up_to } => write!(f, "MarkRead({peer}, {up_to})"),
            Command::SetReadReceipts(on) => write!(f, "SetReadReceipts({on})"),
            Command::Focus { peer } => write!(f, "Focus({peer:?})"),
            Command::Directory { prefix } => write!(f, "Directory({prefix:?})"),
            Command::Fingerprints { peer } => write!(f, "Fingerprints({peer})"),
            Command::Fingerprint { peer } => write!(f, "Fingerprint({peer})"),
            Command::Verify { user, .. } => write!(f, "Verify({user})"),
            Command::Trust { user } => write!(f, "Trust({user})"),
            Command::Conversations => f.write_str("Conversations"),
            Command::Reconnect => f.write_str("Reconnect"),
        }
    }
}
