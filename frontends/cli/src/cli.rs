//! The command line, defined once with clap so that parsing, `--help`, the
//! tests and the generated man page and completions all read the same
//! definition.

use std::path::PathBuf;

use chatd_api::{Chat, EventKind};
use clap::{Args, Parser, Subcommand};

pub use crate::when::When;

/// Shown after `--help`: what the exit codes mean, for scripts.
pub const EXIT_CODES_HELP: &str = "\
Exit codes:
  0  success
  1  any other failure
  2  usage error (a wrong flag or argument)
  3  chatd is not running (start it with `systemctl --user start chatd` or run `chatd`)
  4  chatd refused the request

Every command takes --json for one JSON object per line on stdout. With --json
every failure is one JSON object on stderr: chatd's error object when it
refused, else {\"message\", \"data\": {\"code\"}} with the code one of usage,
not_running, no_socket_path, disconnected, io, protocol, transfer_failed,
transfer_cancelled or failure.";

/// `chat`: send and read end-to-end encrypted messages through chatd.
#[derive(Debug, Parser)]
#[command(
    name = "chat",
    version,
    about = "Send and read end-to-end encrypted messages through chatd",
    long_about = "Send and read end-to-end encrypted messages through chatd, the \
                  SecureChat daemon that holds your keys and talks to the server. \
                  `chat demo` shows the whole system working on this machine.",
    after_help = EXIT_CODES_HELP,
    propagate_version = true,
    subcommand_required = true,
    arg_required_else_help = true
)]
pub struct Cli {
    /// Machine-readable output: the result as one JSON object per line
    #[arg(long, global = true)]
    pub json: bool,

    /// chatd's socket [default: $XDG_RUNTIME_DIR/securechat/chatd.sock]
    #[arg(long, global = true, env = "CHATD_SOCKET", value_name = "PATH")]
    pub socket: Option<PathBuf>,

    /// What to do
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands, one module each under `commands/`.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Show chatd's link to the server, the account and the version
    Status,
    /// Create an account on the server and log in
    Signup(AccountArgs),
    /// Log in to an existing account
    Login(AccountArgs),
    /// Log out (chatd keeps the history)
    Logout,
    /// Change the account's password
    Passwd(PasswdArgs),
    /// List users on the server
    Users(UsersArgs),
    /// Send a message to a user or a group (the text is read from stdin when not given)
    Send(SendArgs),
    /// Send a file to a user or a group, waiting until it is uploaded
    SendFile(SendFileArgs),
    /// Save a received file (by its message's id), waiting until it is checked
    Download(DownloadArgs),
    /// List file transfers, newest first, or show one
    Transfers(TransfersArgs),
    /// Stop a transfer: an upload not yet sent, or a download
    CancelTransfer(TransferIdArg),
    /// Show the conversation with a user or a group, oldest first
    History(HistoryArgs),
    /// Show one message by id (as `watch` and `send` name them)
    Message(MessageArgs),
    /// List conversations with users, most recent first (groups: `chat groups`)
    Conversations,
    /// Mark the conversation with a user or a group read (sends read receipts)
    Read(ReadArgs),
    /// Create, change, leave and show groups
    Group(GroupArgs),
    /// List your groups, most recent first (the same as `chat group list`)
    Groups,
    /// Search the local history
    Search(SearchArgs),
    /// Show a fingerprint (yours when no user is given) to compare in person
    Fingerprint(FingerprintArgs),
    /// Record that you compared a user's fingerprint and it matched
    Verify(VerifyArgs),
    /// Accept a user's changed key (it becomes unverified)
    Trust(PeerArg),
    /// Print events as they happen until interrupted, waiting out chatd restarts
    Watch(WatchArgs),
    /// Show chatd's settings, or change one (they apply to every frontend)
    Settings(SettingsArgs),
    /// Run a server and two daemons in a temp dir and show them chatting
    Demo(DemoArgs),
}

/// `signup` and `login`.
#[derive(Debug, Args)]
pub struct AccountArgs {
    /// Account name (asked for when absent)
    pub user: Option<String>,
    /// Read the password from the first line of stdin instead of prompting
    #[arg(long)]
    pub password_stdin: bool,
}

/// `passwd`.
#[derive(Debug, Args)]
pub struct PasswdArgs {
    /// Read the current and the new password from the first two lines of stdin
    #[arg(long)]
    pub password_stdin: bool,
}

/// `users`.
#[derive(Debug, Args)]
pub struct UsersArgs {
    /// Only names starting with this
    pub prefix: Option<String>,
    /// Only users online now
    #[arg(long)]
    pub online: bool,
    /// At most this many (0 lists none) [default: 50, at most 500]
    #[arg(long, value_name = "N")]
    pub limit: Option<u32>,
}

/// `send`.
#[derive(Debug, Args)]
#[command(override_usage = "chat send [OPTIONS] USER [TEXT]\n       \
                            chat send [OPTIONS] --group GROUP [TEXT]")]
pub struct SendArgs {
    /// Recipient (absent with --group, where the first argument is the text)
    #[arg(required_unless_present = "group")]
    pub user: Option<String>,
    /// The message; read from stdin when absent
    pub text: Option<String>,
    /// Send to this group instead: its id, or its name when only one of your
    /// groups has that name
    #[arg(long, short = 'g', value_name = "GROUP")]
    pub group: Option<String>,
}

impl SendArgs {
    /// The conversation and the text given on the command line (`None`:
    /// read it from stdin). With `--group` the first argument is the text,
    /// so a second one is a mistake.
    pub fn target(&self) -> Result<(Chat, Option<&str>), String> {
        match (&self.group, &self.user, &self.text) {
            (Some(group), first, None) => Ok((Chat::group(group), first.as_deref())),
            (Some(_), _, Some(_)) => Err(
                "with --group, give only the text (quote it when it has spaces): \
                 chat send --group GROUP \"TEXT\""
                    .into(),
            ),
            (None, Some(user), text) => Ok((Chat::peer(user), text.as_deref())),
            (None, None, _) => Err("name the recipient: chat send USER [TEXT]".into()),
        }
    }
}

/// How `send-file` and `download` end.
#[derive(Debug, Args)]
pub struct WaitArgs {
    /// Return at once with the ids instead of waiting for the transfer to
    /// end (`chat transfers` follows it)
    #[arg(long)]
    pub no_wait: bool,
}

/// `send-file`.
#[derive(Debug, Args)]
#[command(
    override_usage = "chat send-file [OPTIONS] USER PATH\n       \
                      chat send-file [OPTIONS] --group GROUP PATH",
    after_help = "chatd copies the file before it answers, so it may change or go once this \
                  starts. On a terminal a progress bar shows the upload; with --json every \
                  transfer event is a JSON line, then the result. Exits 1 with chatd's reason \
                  when the upload fails or is cancelled; Ctrl-C stops waiting, not the upload."
)]
pub struct SendFileArgs {
    /// Recipient (absent with --group, where the first argument is the path)
    #[arg(required_unless_present = "group")]
    pub user: Option<String>,
    /// The file; a relative path is taken from the current directory
    pub path: Option<String>,
    /// Send to this group instead: its id, or its name when only one of your
    /// groups has that name
    #[arg(long, short = 'g', value_name = "GROUP")]
    pub group: Option<String>,
    /// Text sent with the file
    #[arg(long, short = 'c', value_name = "TEXT")]
    pub caption: Option<String>,
    /// The name the recipients see [default: the file's own name]
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
    /// Waiting
    #[command(flatten)]
    pub wait: WaitArgs,
}

impl SendFileArgs {
    /// The conversation and the path. With `--group` the first argument is
    /// the path, so a second one is a mistake.
    pub fn target(&self) -> Result<(Chat, &str), String> {
        match (&self.group, &self.user, &self.path) {
            (Some(group), Some(path), None) => Ok((Chat::group(group), path.as_str())),
            (Some(_), None, _) => Err("name the file: chat send-file --group GROUP PATH".into()),
            (Some(_), Some(_), Some(_)) => {
                Err("with --group, give only the file: chat send-file --group GROUP PATH".into())
            }
            (None, Some(user), Some(path)) => Ok((Chat::peer(user), path.as_str())),
            (None, Some(_), None) => Err("name the file: chat send-file USER PATH".into()),
            (None, None, _) => Err("name the recipient: chat send-file USER PATH".into()),
        }
    }
}

/// `download`.
#[derive(Debug, Args)]
#[command(
    after_help = "MESSAGE_ID is the file message's id, as `chat history` and `chat \
                        watch` show it. The file is checked against what the sender sent \
                        before it is put in place. On a terminal a progress bar shows the \
                        download; then the file's path is printed. Exits 1 with chatd's \
                        reason when the download fails or is cancelled."
)]
pub struct DownloadArgs {
    /// The file message's id (a uuid)
    #[arg(value_name = "MESSAGE_ID")]
    pub id: String,
    /// Where to: a directory (the file keeps its name, made unique there) or
    /// a file path; relative to the current directory [default: your
    /// downloads directory]
    #[arg(value_name = "DEST")]
    pub dest: Option<String>,
    /// Waiting
    #[command(flatten)]
    pub wait: WaitArgs,
}

/// `transfers`.
#[derive(Debug, Args)]
pub struct TransfersArgs {
    /// Show only this transfer (its id, as the list shows it)
    #[arg(value_name = "ID")]
    pub id: Option<String>,
}

/// Commands that take one transfer.
#[derive(Debug, Args)]
pub struct TransferIdArg {
    /// The transfer's id (`chat transfers` lists them)
    #[arg(value_name = "ID")]
    pub id: String,
}

/// `history`.
#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// The other side of the conversation
    #[arg(required_unless_present = "group", conflicts_with = "group")]
    pub user: Option<String>,
    /// A group's conversation instead: its id, or its name when only one of
    /// your groups has that name
    #[arg(long, short = 'g', value_name = "GROUP")]
    pub group: Option<String>,
    /// At most this many messages (0 shows none) [default: 50, at most 500]
    #[arg(long, short = 'n', value_name = "N")]
    pub limit: Option<u32>,
    /// Only messages older than this: Unix milliseconds, a date or date and
    /// time (2026-11-20, 2026-11-20T14:30 local, or RFC 3339 with Z or an
    /// offset), or a duration ago (90s, 15m, 2h, 3d, 1w, 1d12h)
    #[arg(long, value_name = "WHEN", value_parser = crate::when::parse)]
    pub before: Option<When>,
}

/// `message`.
#[derive(Debug, Args)]
pub struct MessageArgs {
    /// The message id (a uuid)
    pub id: String,
}

/// Commands that take one user.
#[derive(Debug, Args)]
pub struct PeerArg {
    /// The user
    pub user: String,
}

/// `read`.
#[derive(Debug, Args)]
pub struct ReadArgs {
    /// The other side of the conversation
    #[arg(required_unless_present = "group", conflicts_with = "group")]
    pub user: Option<String>,
    /// A group's conversation instead: its id, or its name when only one of
    /// your groups has that name
    #[arg(long, short = 'g', value_name = "GROUP")]
    pub group: Option<String>,
}

/// The conversation a `history` or `read` names: exactly one of the two,
/// which clap enforces.
fn chat_of(user: Option<&String>, group: Option<&String>) -> Chat {
    match (user, group) {
        (_, Some(group)) => Chat::group(group),
        (Some(user), None) => Chat::peer(user),
        // clap requires one of the two.
        (None, None) => Chat::peer(""),
    }
}

impl HistoryArgs {
    /// The conversation shown.
    pub fn chat(&self) -> Chat {
        chat_of(self.user.as_ref(), self.group.as_ref())
    }
}

impl ReadArgs {
    /// The conversation marked read.
    pub fn chat(&self) -> Chat {
        chat_of(self.user.as_ref(), self.group.as_ref())
    }
}

/// `group`.
#[derive(Debug, Args)]
#[command(
    after_help = "GROUP is a group's id, or its name when only one of the groups you are in \
                  has that name (`chat group list` shows both). Only admins add, remove and \
                  make admins; anyone leaves."
)]
pub struct GroupArgs {
    /// What to do with groups
    #[command(subcommand)]
    pub command: GroupCommand,
}

/// The `group` subcommands, one per group method of chatd.
#[derive(Debug, Subcommand)]
pub enum GroupCommand {
    /// Create a group with these users; you are its first admin
    Create {
        /// The group's name (1 to 64 characters)
        name: String,
        /// The other members (at most 255; none makes a group of one)
        #[arg(value_name = "USER")]
        users: Vec<String>,
    },
    /// Add users to a group (admins only)
    Add {
        /// The group (id or name)
        group: String,
        /// Whom to add
        #[arg(required = true, value_name = "USER")]
        users: Vec<String>,
    },
    /// Remove users from a group (admins only); they get nothing sent after
    Remove {
        /// The group (id or name)
        group: String,
        /// Whom to remove
        #[arg(required = true, value_name = "USER")]
        users: Vec<String>,
    },
    /// Leave a group; its history stays, read-only
    Leave {
        /// The group (id or name)
        group: String,
    },
    /// Make a member an admin, or with --revoke no longer one (admins only)
    Admin {
        /// The group (id or name)
        group: String,
        /// The member
        user: String,
        /// Take the admin role away instead of giving it
        #[arg(long, alias = "remove")]
        revoke: bool,
    },
    /// Show a group: its members, who are admins and who is online
    Info {
        /// The group (id or name; a group you left only by id)
        group: String,
    },
    /// List your groups, also those you left, most recent first
    List,
}

/// `search`.
#[derive(Debug, Args)]
pub struct SearchArgs {
    /// Words to find
    pub query: String,
    /// Only in the conversation with this user
    #[arg(long, value_name = "USER", conflicts_with = "group")]
    pub peer: Option<String>,
    /// Only in this group's conversation (id or name)
    #[arg(long, short = 'g', value_name = "GROUP")]
    pub group: Option<String>,
    /// At most this many messages (0 shows none) [default: 50, at most 500]
    #[arg(long, short = 'n', value_name = "N")]
    pub limit: Option<u32>,
}

/// `fingerprint`.
#[derive(Debug, Args)]
pub struct FingerprintArgs {
    /// Whose (yours when absent)
    pub user: Option<String>,
}

/// `verify`.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// Whose key
    pub user: String,
    /// The fingerprint its owner read out to you (spaces and case do not
    /// matter, so the 16 groups may be typed unquoted)
    #[arg(required = true, num_args = 1.., value_name = "FINGERPRINT")]
    pub fingerprint: Vec<String>,
}

impl VerifyArgs {
    /// The fingerprint as one string, the groups joined.
    pub fn fingerprint(&self) -> String {
        self.fingerprint.concat()
    }
}

/// `settings`.
#[derive(Debug, Args)]
pub struct SettingsArgs {
    /// The setting to change (all are shown when absent)
    #[command(subcommand)]
    pub change: Option<SettingChange>,
}

/// One setting to change.
#[derive(Debug, Subcommand)]
pub enum SettingChange {
    /// Tell people when you read their messages (on, the default), or
    /// never (off: they see "delivered" only)
    ReadReceipts {
        /// on or off
        #[arg(value_enum)]
        value: OnOff,
    },
    /// Tell people when you are typing a message to them (on, the default),
    /// and show when they are (chat-tui, chat-gui, `chat watch --typing`)
    TypingIndicators {
        /// on or off
        #[arg(value_enum)]
        value: OnOff,
    },
}

/// A switch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OnOff {
    /// On.
    On,
    /// Off.
    Off,
}

/// `watch`.
#[derive(Debug, Args)]
pub struct WatchArgs {
    /// First replay every stored event after this seq, so nothing is missed
    #[arg(long, value_name = "SEQ")]
    pub since: Option<u64>,
    /// Only these kinds: message, receipt, presence, connection,
    /// key_changed, security, trust, settings, group, typing, transfer
    /// [default: all but typing]; message and receipt include those of
    /// group messages
    #[arg(long, value_delimiter = ',', value_name = "KIND,...", value_parser = event_kind)]
    pub events: Option<Vec<EventKind>>,
    /// Also show who is typing (never stored, so --since does not replay it)
    #[arg(long)]
    pub typing: bool,
    /// Also show how far transfers are, up to 4 lines a second each (never
    /// stored); without it a transfer shows when it starts, waits and ends
    #[arg(long)]
    pub progress: bool,
}

impl WatchArgs {
    /// The kinds asked for: `--events` or every kind but typing, plus
    /// typing with `--typing`.
    pub fn kinds(&self) -> Vec<EventKind> {
        let mut kinds = match &self.events {
            Some(kinds) => kinds.clone(),
            None => EventKind::ALL
                .iter()
                .copied()
                .filter(|k| *k != EventKind::Typing)
                .collect(),
        };
        if self.typing && !kinds.contains(&EventKind::Typing) {
            kinds.push(EventKind::Typing);
        }
        kinds
    }

    /// The kinds to subscribe to: [`kinds`](Self::kinds), plus `group`
    /// when messages or receipts are asked for, since chatd sends those of
    /// group messages only to subscribers that name `group`.
    pub fn subscription(&self) -> Vec<EventKind> {
        let mut kinds = self.kinds();
        let messages = kinds
            .iter()
            .any(|k| matches!(k, EventKind::Message | EventKind::Receipt));
        if messages && !kinds.contains(&EventKind::Group) {
            kinds.push(EventKind::Group);
        }
        kinds
    }
}

/// `demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Keep the temp dir (data, logs, sockets) and print where it is
    #[arg(long)]
    pub keep: bool,
}

/// Parses an event kind by its protocol name.
fn event_kind(s: &str) -> Result<EventKind, String> {
    serde_json::from_value(serde_json::Value::String(s.to_string())).map_err(|_| {
        format!(
            "`{s}` is not an event kind; use message, receipt, presence, connection, \
             key_changed, security, trust, settings, group, typing or transfer"
        )
    })
}
