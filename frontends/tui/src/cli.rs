//! The command line, defined once with clap so that parsing, `--help` and
//! the generated chat-tui(1) man page all read the same definition.

use std::path::PathBuf;

use clap::Parser;

/// What `--help` ends with.
pub const AFTER_HELP: &str =
    "Inside chat-tui, press F1 (or ? then Enter on an empty input line) for every key.";

/// The description, for `--help` and the DESCRIPTION of chat-tui(1):
/// prose paragraphs, since the man page fills each one.
pub const LONG_ABOUT: &str = "\
chat-tui is a full-screen terminal client for SecureChat. It talks to chatd, the per-user \
daemon that holds your keys, your history and the connection to the server; chat-tui itself \
holds no secrets.

It opens on a login or sign-up screen when chatd is not logged in (the password is masked; \
signing up asks for it twice and says what is wrong with it), and otherwise on the chat \
screen: your conversations and groups (#name) and the users online on the left, with \
presence and unread counts; the open conversation on the right, with timestamps, delivery \
and read marks, and a banner when the peer's key is unverified or has changed (in a group, a \
line of its members instead); the input line at the bottom. It works in 80x24 and larger \
terminals.

Keys: Enter sends the message, or runs a command typed with a leading slash. Alt+Enter (or \
Ctrl+J) starts a new line; Ctrl+U clears the whole draft; Up and Down go back through the \
lines you sent. Tab after part of a word completes a user name or a command; otherwise Tab \
and Shift+Tab move between the conversation list, the messages and the input line; in the \
list the arrow keys and Enter open a conversation, and Ctrl+N and Ctrl+P open the next or \
previous one from anywhere. PgUp and PgDn scroll the conversation, loading older messages at \
the top. F1, or a question mark alone on the input line and Enter, shows every key (a \
message may start with a question mark); Esc dismisses a notice; Ctrl+C quits.

Commands: /msg NAME opens a conversation with NAME (or says there is no user of that \
name). /close closes it. /me TEXT sends an action, shown as * NAME TEXT. /fingerprint [NAME] \
shows your key's fingerprint and the peer's, to compare in person or on a call, wrapped \
(never cut) in a small window; /verify FINGERPRINT records that the peer's fingerprint \
matched. When a peer's key changes, chatd sends nothing to that \
peer and accepts nothing from it until you accept the new key with /trust. /search WORDS \
searches the local history of every conversation. /quit leaves; chatd keeps running and \
receiving. A line starting with two slashes sends a message starting with one. When chatd \
refuses to send a draft (a changed key) it is back in the input; a command typed next runs \
beside it and the draft returns afterwards.

Groups: /group create NAME USER... makes a group with you as its admin and opens it; \
/msg #NAME opens a group you are in by its name. In an open group, /add USER... and \
/remove USER... change its members and /admin USER (or /admin USER off) its admins, for \
admins; /leave leaves it (its history stays, read-only); /info shows its members with \
admin, presence and key marks. chatd's refusals (not an admin, not a member) are shown in \
its words. A group's timeline names the sender of every message, has a line for every \
change seen while chat-tui runs (alice added carol), and your messages say how far they got: \
delivered to 2 of 3 · read by bob. The line above the messages lists the members: a star \
for admins, a dot filled when online, !key when a member's key changed.

Files: /send-file PATH sends a file into the open conversation (a path from where chat-tui \
started, or ~/...; /send-file \"PATH\" TEXT sends TEXT with it as its caption); chatd copies \
it at once and uploads it, and a gauge under the messages shows how far it is. A file shows in the timeline with a paperclip, its name and size, and \
its caption below. Nothing is downloaded by itself: /download saves the newest file of the \
conversation (/download N the Nth newest) into your downloads directory, and the file is \
marked saved once chatd has checked it. /cancel stops the conversation's newest transfer. A \
transfer that fails or is cancelled, and a finished download, is said in the status line.

Typing: while you type in an open conversation, chat-tui tells chatd (at most once a second; \
commands do not count), and the other side sees that you are typing; when others type, the \
bottom of the conversation says bob is typing... (in a group: bob, carol are typing...) for \
six seconds after the last word from their chatd, or until their message comes, and the \
list shows an ellipsis beside any other conversation where someone types. /typing off \
tells chatd to send no typing indicators for any frontend (the status line says so); /typing \
on sends them again. Others typing is still shown.

A message counts as read, and its sender sees it read, only once it is on screen in a \
terminal that has focus: scrolled up, behind a help window, or in a window without focus \
it stays unread. chat-tui asks the terminal to report focus; a terminal that never reports \
it is taken as focused (in tmux, set focus-events on).

When another program logs chatd in or out (chat login, chat logout, another chat-tui), \
chat-tui changes screen, discards what was being typed and drops every key but Esc until \
you have seen the new screen, so the rest of a password never goes out as a message and a \
chat line is never taken for a password. Presence, unread counts, key warnings and notices \
follow chatd's events: nobody is shown online while chatd is not logged in.

The terminal bell rings when a message comes that you cannot see (another conversation is \
open, or the terminal has no focus); tmux and most terminals turn it into an urgency hint. \
--no-bell (or CHAT_TUI_NO_BELL=1) turns it off. A line marked unread sits above the first \
message that came unseen, until you leave the conversation. Key changes, accepted keys and \
verifications appear as lines in the conversation, in time order, whichever frontend made \
them. Names line up in one column, and the conversation with yourself (/msg with your own \
name) is shown as notes. /receipts off tells chatd to send no read receipts at all (for \
every frontend, groups too; the status line says so), /receipts on sends them again. A key \
warning (!key, the red banner) goes only when chatd says the key was accepted or verified, \
never because an older list says otherwise.

Marks after your messages: an ellipsis while the message waits in chatd's outbox, one check \
mark once the server has stored it, two when the peer's chatd has it, two and the word read \
once the peer has read it, and a cross if it could not be sent. In a group, two check marks \
and delivered to D of N once any member has it, then read by and who.

Any number of chat-tui and other frontends may run at once and show the same state. Closing \
chat-tui changes nothing in the session: chatd goes on receiving. chat-tui remembers the \
number of the last event it showed, per socket, in $XDG_STATE_HOME/securechat/chat-tui.seq \
(~/.local/state when XDG_STATE_HOME is not set), so that what happened while it was closed, \
such as a changed key or a refused message, is shown when it opens again.

When chatd is not running, chat-tui says so and how to start it (systemctl --user start \
chatd, or run chatd), and reconnects by itself when chatd is back, keeping what you were \
typing.

Exit status: 0 when you quit, 1 when the terminal cannot be used, 2 on a usage error or \
when the socket cannot be found (neither --socket, CHATD_SOCKET nor XDG_RUNTIME_DIR).";

/// `chat-tui`: a full-screen terminal client for SecureChat.
#[derive(Debug, Clone, Parser)]
#[command(
    name = "chat-tui",
    version,
    about = "Full-screen terminal client for SecureChat end-to-end encrypted chat",
    long_about = LONG_ABOUT,
    after_help = AFTER_HELP
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

    /// Never ring the terminal bell (by default it rings when a message
    /// comes that is not on screen)
    #[arg(long, env = "CHAT_TUI_NO_BELL")]
    pub no_bell: bool,
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
