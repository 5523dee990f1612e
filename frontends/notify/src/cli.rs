//! The command line, defined once with clap so that parsing, `--help` and
//! the generated man page and completions all read the same definition.

use std::path::PathBuf;

use clap::Parser;

/// `chat-notify`: desktop notifications for SecureChat.
#[derive(Debug, Clone, Parser)]
#[command(
    name = "chat-notify",
    version,
    about = "Show desktop notifications for new SecureChat messages",
    long_about = "Show desktop notifications for new SecureChat messages. chat-notify \
                  attaches to chatd, the SecureChat daemon, and shows a freedesktop \
                  notification for each incoming message (several messages from one \
                  sender in a short time share one notification; a group message names \
                  its group, \"alice in team\"; a file says what it is, \"bob sent \
                  photo.jpg\", with its caption as the text), for being added to or removed from a \
                  group, for a peer whose key changed, and for security alerts. It says \
                  nothing about a conversation (1:1 or group) that an attached frontend \
                  shows. It resumes where it \
                  left off after a restart, waits for chatd when chatd is not running, \
                  and carries on when no notification server is there."
)]
pub struct Cli {
    /// chatd's socket [default: $XDG_RUNTIME_DIR/securechat/chatd.sock]
    #[arg(long, env = "CHATD_SOCKET", value_name = "PATH")]
    pub socket: Option<PathBuf>,

    /// chatd's configuration file, read for its [notifications] table
    /// [default: $XDG_CONFIG_HOME/securechat/chatd.toml]
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Never show message text or file names, only who wrote (the same as
    /// `preview = false` in the [notifications] table of chatd.toml)
    #[arg(long)]
    pub no_preview: bool,

    /// Messages from one sender less than this many seconds apart share one
    /// notification
    #[arg(long, value_name = "SECS", default_value_t = 60)]
    pub group_window: u64,

    /// Where the number of the last event handled is kept [default:
    /// $STATE_DIRECTORY/notify.seq under systemd, else
    /// $XDG_STATE_HOME/securechat/notify.seq]
    #[arg(long, value_name = "FILE")]
    pub state_file: Option<PathBuf>,
}
