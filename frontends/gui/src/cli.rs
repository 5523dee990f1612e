//! The command line of `chat-gui`, defined once with clap so that parsing,
//! `--help` and the generated man page all read the same definition.

use std::path::PathBuf;

use clap::{Parser, ValueEnum};

/// Shown after `--help`: the keyboard, the environment and the exit codes.
pub const AFTER_HELP: &str = "\
Keyboard:
  Tab, Shift+Tab      move between controls; Enter or Space activates one
  Enter               send the message (Shift+Enter starts a new line)
  Ctrl+K              search people
  Alt+Up, Alt+Down    previous or next conversation
  Escape              close a dialog
  Ctrl+Plus, Ctrl+Minus, Ctrl+0   zoom in, out, reset

Environment:
  CHATD_SOCKET        chatd's socket (same as --socket)
  XDG_RUNTIME_DIR     where the socket is by default

Exit codes:
  0  the window was closed
  1  the window could not be opened (no display, no OpenGL)
  2  usage error (a wrong flag or argument)";

/// `chat-gui`: the SecureChat desktop app.
#[derive(Debug, Clone, Parser)]
#[command(
    name = "chat-gui",
    version,
    about = "The SecureChat desktop app: end-to-end encrypted chat through chatd",
    long_about = "The SecureChat desktop app: log in or sign up, see your \
                  conversations, groups and who is online, chat, and compare safety \
                  numbers, all through chatd, the per-user daemon that holds your \
                  keys and talks to the server.\n\n\
                  Groups are listed above the conversations with a square avatar. \
                  \"+ New group\" makes one (a name, and members picked from the \
                  people you talk to, who is online, or anyone found by name); you \
                  are its first member and admin. A group's timeline names who \
                  wrote each message, says what changed (\"alice added carol\"), and \
                  shows under your own messages how many members have them and who \
                  read them (\"delivered to 3 of 5\", \"read by alice, bob\"). Its members are listed beside it with their \
                  presence, admin mark and any changed key; admins add, remove and \
                  make admins there, and any member can leave. What chatd refuses \
                  is shown in its words.\n\n\
                  Files: the paper clip beside the message box opens the \
                  desktop's file dialog, and files dropped on the window go to the \
                  open conversation; what is typed goes with the file as its \
                  caption. A file shows its name, size and caption, an image its \
                  preview, and a progress bar while it uploads or downloads (Cancel \
                  stops it). A received file is downloaded only when you click \
                  Download (chatd puts it in your downloads folder and checks it); \
                  then Open opens it with the desktop's application for its type \
                  and Show in folder opens its folder.\n\n\
                  While you type, the others see \"you are typing...\" (chatd is \
                  told at most once a second), unless \"Send typing indicators\" \
                  is off in the account menu; \"bob is typing...\" shows under the \
                  timeline for 6 seconds after bob's last indicator, or until his \
                  message arrives.\n\n\
                  chat-gui keeps no state of its own. Any number of windows, \
                  `chat-tui` and `chat` can be attached at once and show the same \
                  conversations; closing the window changes nothing in the session. \
                  When chatd is not running the window says how to start it \
                  (`systemctl --user start chatd`, or `chatd` in a terminal) and \
                  attaches as soon as it is up.\n\n\
                  A message, 1:1 or in a group, is marked read (and, unless \
                  \"Send read receipts\" is off in the account menu, its sender \
                  told) only once it was on screen in the focused window. Switching between \
                  logging in and chatting, here or in another frontend, \
                  clears every field and wipes typed passwords.\n\n\
                  The window follows the desktop's scale factor; Ctrl+Plus and \
                  Ctrl+Minus zoom further.",
    after_help = AFTER_HELP
)]
pub struct Cli {
    /// chatd's socket [default: $XDG_RUNTIME_DIR/securechat/chatd.sock]
    #[arg(long, env = "CHATD_SOCKET", value_name = "PATH")]
    pub socket: Option<PathBuf>,

    /// Colour theme to start with (switch any time from the window)
    #[arg(long, value_enum, default_value_t = Theme::Dark, value_name = "THEME")]
    pub theme: Theme,
}

/// The colour themes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum Theme {
    /// Light text on a dark background (the default)
    #[default]
    Dark,
    /// Dark text on a light background
    Light,
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
    fn socket_and_theme_parse() {
        let cli = Cli::try_parse_from(["chat-gui", "--socket", "/tmp/x.sock", "--theme", "light"])
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(cli.socket, Some(PathBuf::from("/tmp/x.sock")));
        assert_eq!(cli.theme, Theme::Light);
    }
}
