//! What the UI asks of chatd, one variant per action a person can take,
//! so the worker is the only place that knows the local API's methods.

use std::path::PathBuf;

use chatd_api::Chat;

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
        /// The conversation: a peer, or a group by id.
        chat: Chat,
        /// The text.
        text: String,
    },
    /// Load a page of a conversation's history: the newest, or the one
    /// before a time (scrolling back).
    History {
        /// The conversation.
        chat: Chat,
        /// Only messages older than this (Unix ms).
        before: Option<i64>,
    },
    /// Mark read what the window showed of a conversation (chatd sends
    /// read receipts unless they are turned off).
    MarkRead {
        /// The conversation.
        chat: Chat,
        /// The last message shown: those at or before it are marked.
        up_to: String,
    },
    /// Turn read receipts on or off (chatd's setting, for every frontend).
    SetReadReceipts(bool),
    /// Turn typing indicators on or off (chatd's setting).
    SetTypingIndicators(bool),
    /// Tell chatd that the person is typing in a conversation.
    Typing {
        /// The conversation.
        chat: Chat,
    },
    /// Tell chatd which conversation is on screen (`None`: none).
    Focus {
        /// The open conversation.
        chat: Option<Chat>,
    },
    /// Reload the groups.
    Groups,
    /// Create a group with us as its admin.
    GroupCreate {
        /// Its name.
        name: String,
        /// The other members.
        members: Vec<String>,
    },
    /// Add members to a group (admins only).
    GroupAdd {
        /// The group's id.
        group: String,
        /// Whom.
        users: Vec<String>,
    },
    /// Remove members from a group (admins only).
    GroupRemove {
        /// The group's id.
        group: String,
        /// Whom.
        users: Vec<String>,
    },
    /// Leave a group.
    GroupLeave {
        /// The group's id.
        group: String,
    },
    /// Make a member an admin, or no longer one (admins only).
    GroupAdmin {
        /// The group's id.
        group: String,
        /// The member.
        user: String,
        /// Admin or not.
        admin: bool,
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
    /// Open the desktop's file dialog for a file to send in `chat`; the
    /// answer comes back as [`Update::Picked`](super::Update::Picked).
    PickFile {
        /// The conversation.
        chat: Chat,
    },
    /// Send a file.
    SendFile {
        /// The conversation.
        chat: Chat,
        /// The file, as an absolute path.
        path: PathBuf,
        /// Text sent with it.
        caption: Option<String>,
    },
    /// Download a received file to the downloads directory.
    Download {
        /// The file's message.
        id: String,
        /// The file's name, for a notice if it fails.
        name: String,
    },
    /// Stop an upload or download for good.
    CancelTransfer {
        /// The transfer's id.
        id: String,
    },
    /// Open a local file with the desktop's handler for its type, or the
    /// folder it is in (`folder`).
    Open {
        /// The file.
        path: PathBuf,
        /// Open its folder instead.
        folder: bool,
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
            Command::Send { chat, .. } => write!(f, "Send(to {chat:?})"),
            Command::History { chat, before } => write!(f, "History({chat:?}, {before:?})"),
            Command::MarkRead { chat, up_to } => write!(f, "MarkRead({chat:?}, {up_to})"),
            Command::SetReadReceipts(on) => write!(f, "SetReadReceipts({on})"),
            Command::SetTypingIndicators(on) => write!(f, "SetTypingIndicators({on})"),
            Command::Typing { chat } => write!(f, "Typing({chat:?})"),
            Command::Focus { chat } => write!(f, "Focus({chat:?})"),
            Command::Groups => f.write_str("Groups"),
            Command::GroupCreate { name, members } => {
                write!(f, "GroupCreate({name:?}, {members:?})")
            }
            Command::GroupAdd { group, users } => write!(f, "GroupAdd({group}, {users:?})"),
            Command::GroupRemove { group, users } => write!(f, "GroupRemove({group}, {users:?})"),
            Command::GroupLeave { group } => write!(f, "GroupLeave({group})"),
            Command::GroupAdmin { group, user, admin } => {
                write!(f, "GroupAdmin({group}, {user}, {admin})")
            }
            Command::Directory { prefix } => write!(f, "Directory({prefix:?})"),
            Command::Fingerprints { peer } => write!(f, "Fingerprints({peer})"),
            Command::Fingerprint { peer } => write!(f, "Fingerprint({peer})"),
            Command::Verify { user, .. } => write!(f, "Verify({user})"),
            Command::Trust { user } => write!(f, "Trust({user})"),
            Command::PickFile { chat } => write!(f, "PickFile({chat:?})"),
            // A path can be as private as a message.
            Command::SendFile { chat, .. } => write!(f, "SendFile(to {chat:?})"),
            Command::Download { id, .. } => write!(f, "Download({id})"),
            Command::CancelTransfer { id } => write!(f, "CancelTransfer({id})"),
            Command::Open { folder, .. } => write!(f, "Open(folder: {folder})"),
            Command::Conversations => f.write_str("Conversations"),
            Command::Reconnect => f.write_str("Reconnect"),
        }
    }
}
