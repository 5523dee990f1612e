//! The command line, defined once with clap so that parsing, `--help` and
//! the generated chat-tui(1) man page all read the same definition.

use std::path::PathBuf;

use clap::Parser;

/// Shown at the end of `--help` and in the man page: the keys, the
/// commands, what happens when chatd is away, and the files involved.
pub const AFTER_HELP: &str = "\
Keys (press ? or F1 inside chat-tui for the full list):
  Enter            send the message (or run the /command)
  Alt+Enter        new line in the message (Ctrl+J as well)
  Tab, Shift+Tab   move between the conversation list, the messages and the input
  PgUp, PgDn       scroll the conversation; older messages load at the top
  Ctrl+N, Ctrl+P   next or previous conversation
  Ctrl+C           quit

Commands typed in the input line:
  /msg NAME            open a conversation with NAME
  /fingerprint [NAME]  show your fingerprint and the peer's, to compare in person
  /verify FINGERPRINT  record that the peer's fingerprint matched
  /trust               accept the peer's changed key (it becomes unverified)
  /search WORDS        search the local history
  /quit                leave (chatd keeps running and receiving)

When chatd is not running, chat-tui says so, tells how to start it, and
reconnects by itself when it comes back; what you are typing is kept.

Files:
  $XDG_STATE_HOME/securechat/chat-tui.seq  the last event seen, per socket, so
                                           that events from while chat-tui was
                                           closed are shown when it opens

Exit codes: 0 on a normal exit, 1 when the terminal cannot be used,
2 on a usage error.";

/// `chat-tui`: a full-screen terminal client for SecureChat.
#[derive(Debug, Clone, Parser)]
#[command(
    name = "chat-tui",
    version,
    about = "Full-screen terminal client for SecureChat end-to-end encrypted chat",
    long_about = "chat-tui is a full-screen terminal client for SecureChat. It talks to \
                  chatd, the per-user daemon that holds your keys, your history and the \
                  connection to the server; chat-tui itself holds no secrets and keeps \
                  nothing but the number of the last event it has shown.\n\n\
                  It opens on a login or sign-up screen when chatd is not logged in, and \
                  otherwise on the chat screen: your conversations and the users online on \
                  the left, with presence and unread counts; the open conversation on the \
                  right, with timestamps, delivery and read marks, and a banner when the \
                  peer's key is unverified or has changed; the input line at the bottom.\n\n\
                  Any number of chat-tui (and other frontends) may run at once and show the \
                  same state; closing chat-tui changes nothing in the session, and chatd \
                  goes on receiving messages while it is closed.",
    after_long_help = AFTER_HELP
)]
pub struct Cli {
    /// Open the conversation with PEER straight away (a username)
    #[arg(value_name = "PEER", value_parser = parse_username)]
    pub peer: Option<String>,

    /// chatd's socket [default: $XDG_RUNTIME_DIR/securechat/chatd.sock]
    #[arg(long, env = "CHATD_SOCKET", value_name = "PATH")]
    pub socket: Option<PathBuf>,

    /// Show times in UTC instead of the local time zone
    #[arg(long)]
    pub utc: bool,
}

/// A name that is not a username can never be a peer: say so at once.
fn parse_username(s: &str) -> Result<String, String> {
    crate::app::commands::checked(s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn peer_and_socket_parse() {
        let cli = Cli::try_parse_from(["chat-tui", "--socket", "/tmp/s.sock", "bob"]).unwrap();
        assert_eq!(cli.peer.as_deref(), Some("bob"));
        assert_eq!(cli.socket, Some(PathBuf::from("/tmp/s.sock")));
        let err = Cli::try_parse_from(["chat-tui", "not a name"]).unwrap_err();
        assert!(err.to_string().contains("not a username"), "{err}");
    }
}
